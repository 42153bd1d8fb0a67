#include "server/storage/sqlcontext.h"

#include <QSqlDriver>
#include <QSqlError>

#include "server/storage/logging.h"
#include "server/storage/sqlitestatement.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

SqlContext::SqlContext(QSqlDatabase db, Migrations::Dialect dialect, const StorageRules &rules)
    : m_db(std::move(db)), m_dialect(dialect), m_rules(rules)
{
    // Qt's SQLite driver on Debian uses the system libsqlite3, the library this target links, so
    // its connection handle can be used directly.
    if (m_dialect == Migrations::Dialect::Sqlite && qEnvironmentVariable("SB_SQLITE_NATIVE") != u"0"_s) {
        const QVariant handle = m_db.driver() ? m_db.driver()->handle() : QVariant();
        // A Qt built with its own copy of SQLite inside the plugin (qt.io builds) would hand us a
        // handle of another library: only use it if the plugin's SQLite is exactly ours.
        QSqlQuery source(m_db);
        const bool sameLibrary = source.exec(u"SELECT sqlite_source_id()"_s) && source.next()
            && source.value(0).toString() == QString::fromLatin1(SqliteStatement::linkedSourceId());
        if (handle.isValid() && qstrcmp(handle.typeName(), "sqlite3*") == 0 && sameLibrary)
            m_sqlite = *static_cast<sqlite3 *const *>(handle.constData());
        else
            qCInfo(lcStorage)
                << "the Qt SQLite driver does not use the linked SQLite; hot statements go through QSqlQuery";
    }
}

SqlContext::~SqlContext() = default;

SqliteStatement *SqlContext::native(std::unique_ptr<SqliteStatement> &slot, const char *sql)
{
    if (!slot) {
        auto statement = std::make_unique<SqliteStatement>(m_sqlite, sql);
        if (!statement->isValid()) {
            qCWarning(lcStorage) << "prepare failed:" << QByteArray(sql).left(60) << statement->error();
            m_failed = true;
            return nullptr;
        }
        slot = std::move(statement);
    }
    return slot.get();
}

void SqlContext::nativeFailed(SqliteStatement &statement, const char *what)
{
    qCWarning(lcStorage) << "statement failed:" << what << statement.error();
    statement.reset();
    m_failed = true;
}

void SqlContext::finishStatements()
{
    for (QSqlQuery *q : std::as_const(m_used))
        q->finish();
    m_used.clear();
}

bool SqlContext::execControl(const QString &sql)
{
    if (m_dialect != Migrations::Dialect::Sqlite)
        return execRaw(sql);
    QSqlQuery *q = run(sql, {});
    if (!q)
        return false;
    q->finish();
    m_used.removeOne(q);
    return true;
}

bool SqlContext::execRaw(const QString &sql)
{
    QSqlQuery q(m_db);
    if (!q.exec(sql)) {
        qCWarning(lcStorage) << "statement failed:" << sql << q.lastError().text();
        return false;
    }
    return true;
}

QSqlQuery *SqlContext::run(const QString &sql, std::initializer_list<QVariant> values)
{
    QSqlQuery *q = m_statements.value(sql);
    if (!q) {
        q = new QSqlQuery(m_db);
        q->setForwardOnly(true);
        if (!q->prepare(sql)) {
            qCWarning(lcStorage) << "prepare failed:" << sql.left(60) << q->lastError().text();
            delete q;
            m_failed = true;
            return nullptr;
        }
        m_statements.insert(sql, q);
    }
    if (!m_used.contains(q))
        m_used.append(q);
    int i = 0;
    for (const QVariant &v : values)
        q->bindValue(i++, v);
    if (!q->exec()) {
        qCWarning(lcStorage) << "statement failed:" << sql.left(60) << q->lastError().text();
        m_failed = true;
        return nullptr;
    }
    return q;
}

ProtocolError SqlContext::storageError()
{
    m_failed = true;
    return ProtocolError::make(ErrorCode::Unavailable, u"Storage is temporarily unavailable"_s);
}

void SqlContext::clearStatements()
{
    m_used.clear();
    qDeleteAll(m_statements);
    m_statements.clear();
}

} // namespace Switchboard::Server
