#include "server/storage/sqlitestatement.h"

#include <sqlite3.h>

namespace Switchboard::Server {

const char *SqliteStatement::linkedSourceId()
{
    return sqlite3_sourceid();
}

SqliteStatement::SqliteStatement(sqlite3 *db, const char *sql) : m_db(db)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_statement, nullptr) != SQLITE_OK) {
        sqlite3_finalize(m_statement);
        m_statement = nullptr;
    }
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_statement);
}

QString SqliteStatement::error() const
{
    return QString::fromUtf8(sqlite3_errmsg(m_db));
}

bool SqliteStatement::bind(int index, qint64 value)
{
    return sqlite3_bind_int64(m_statement, index, value) == SQLITE_OK;
}

bool SqliteStatement::bind(int index, const QString &text)
{
    if (text.isNull())
        return bindNull(index);
    return sqlite3_bind_text16(m_statement, index, text.utf16(), int(text.size() * sizeof(char16_t)), SQLITE_TRANSIENT)
        == SQLITE_OK;
}

bool SqliteStatement::bindBlob(int index, const QByteArray &bytes)
{
    // As the Qt driver: a null QByteArray is NULL, an empty one a zero-length blob.
    if (bytes.isNull())
        return bindNull(index);
    return sqlite3_bind_blob(
               m_statement, index, bytes.isEmpty() ? "" : bytes.constData(), int(bytes.size()), SQLITE_TRANSIENT)
        == SQLITE_OK;
}

bool SqliteStatement::bindNull(int index)
{
    return sqlite3_bind_null(m_statement, index) == SQLITE_OK;
}

bool SqliteStatement::step()
{
    const int rc = sqlite3_step(m_statement);
    m_hasRow = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

qint64 SqliteStatement::int64At(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

qint64 SqliteStatement::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

int SqliteStatement::changes() const
{
    return sqlite3_changes(m_db);
}

void SqliteStatement::reset()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
    m_hasRow = false;
}

} // namespace Switchboard::Server
