#pragma once

#include <QByteArray>
#include <QString>

struct sqlite3;
struct sqlite3_stmt;

namespace Switchboard::Server {

// One prepared statement on the SQLite connection that QSqlDatabase opened (its native handle),
// for the few statements every message runs. Through QSqlQuery each execution also converts
// every bound value to a QVariant, builds a QString name per placeholder and a record of the result
// columns: about a quarter of the storage thread's time per message. Values are bound with the
// same types the Qt driver uses (text as UTF-16, QByteArray as blob, null), so rows written either
// way are identical. Owned and used by SqlOperations on the storage thread only.
class SqliteStatement
{
    Q_DISABLE_COPY_MOVE(SqliteStatement)

public:
    // sqlite3_sourceid() of the SQLite this program links (to compare with the Qt driver's).
    static const char *linkedSourceId();

    // Prepares `sql` on `db`; isValid() says whether that worked (error() tells why not).
    SqliteStatement(sqlite3 *db, const char *sql);
    ~SqliteStatement();

    bool isValid() const { return m_statement != nullptr; }
    QString error() const;

    // Placeholders are numbered from 1, as in SQLite.
    bool bind(int index, qint64 value);
    bool bind(int index, const QString &text); // a null QString binds NULL
    bool bindBlob(int index, const QByteArray &bytes);
    bool bindNull(int index);

    // Runs the statement: true with a row to read (hasRow()) or when done; false on an error.
    bool step();
    bool hasRow() const { return m_hasRow; }
    qint64 int64At(int column) const;
    // The rowid of the last INSERT on this connection.
    qint64 lastInsertRowId() const;
    // The rows the last INSERT, UPDATE or DELETE on this connection changed (0 when an upsert's
    // DO NOTHING took effect).
    int changes() const;
    // Ready for the next execution (bindings cleared too).
    void reset();

private:
    sqlite3 *m_db;
    sqlite3_stmt *m_statement = nullptr;
    bool m_hasRow = false;
};

} // namespace Switchboard::Server
