#pragma once

#include <QHash>
#include <QList>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>
#include <initializer_list>
#include <memory>

#include "server/storage/migrations.h"
#include "server/storage/storagerules.h"
#include "shared/protocol/protocolerror.h"

struct sqlite3;

namespace Switchboard::Server {

class SqliteStatement;

// What every table group shares on the storage thread: the thread's connection, its cache of
// prepared statements, the per-job failure flag, the dialect and the services' rules. Every
// statement is prepared with bound values. A failed statement marks the current job failed (the
// caller rolls back its savepoint) and comes back as `unavailable`.
class SqlContext
{
public:
    SqlContext(QSqlDatabase db, Migrations::Dialect dialect, const StorageRules &rules);
    ~SqlContext();
    Q_DISABLE_COPY_MOVE(SqlContext)

    Migrations::Dialect dialect() const { return m_dialect; }
    QSqlDatabase &database() { return m_db; }
    const StorageRules &rules() const { return m_rules; }
    // SQLite's own handle for the statements every message runs (see SqliteStatement); null on
    // PostgreSQL, or when SB_SQLITE_NATIVE=0.
    sqlite3 *sqlite() const { return m_sqlite; }

    // Per-job failure flag, reset by the worker before each job.
    void resetFailure() { m_failed = false; }
    bool failed() const { return m_failed; }
    // Releases the result sets of the statements the last job used (SQLite cannot release a
    // savepoint or commit while a statement still holds a cursor).
    void finishStatements();
    // Forgets every prepared statement (after a reconnect or a rolled-back batch).
    void clearStatements();
    bool execRaw(const QString &sql);
    // Transaction control (BEGIN, SAVEPOINT, ...): a cached prepared statement on SQLite, where
    // re-parsing them for every job cost a quarter of the storage thread; plain exec on
    // PostgreSQL, which cannot PREPARE them.
    bool execControl(const QString &sql);

    // Runs a cached prepared statement; null (and the job failed) when it could not.
    QSqlQuery *run(const QString &sql, std::initializer_list<QVariant> values);
    // A native SQLite statement kept in `slot` by its owner; null (and the job failed) when it
    // cannot be prepared.
    SqliteStatement *native(std::unique_ptr<SqliteStatement> &slot, const char *sql);
    void nativeFailed(SqliteStatement &statement, const char *what);
    // Marks the job failed and returns the error every caller answers with.
    ProtocolError storageError();

private:
    QSqlDatabase m_db;
    Migrations::Dialect m_dialect;
    const StorageRules &m_rules;
    bool m_failed = false;
    QHash<QString, QSqlQuery *> m_statements;
    QList<QSqlQuery *> m_used;
    sqlite3 *m_sqlite = nullptr;
};

} // namespace Switchboard::Server
