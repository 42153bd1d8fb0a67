#include "tests/support/testdatabase.h"

#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QtDebug>

using namespace Qt::StringLiterals;

namespace Switchboard::Test {

namespace {
QUrl adminUrl()
{
    return QUrl(qEnvironmentVariable(TestDatabase::PostgresUrlVariable));
}

// Runs one statement on the database named by the admin URL, over a short-lived connection.
// CREATE/DROP DATABASE cannot run inside a transaction, so each gets its own connection.
bool execOnAdminDatabase(const QString &statement, QString *error)
{
    const QUrl url = adminUrl();
    const QString connectionName
        = u"sb_test_admin_%1"_s.arg(qulonglong(QRandomGenerator::global()->generate64()), 0, 16);
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
        db.setHostName(url.host());
        db.setPort(url.port(5432));
        db.setUserName(url.userName(QUrl::FullyDecoded));
        db.setPassword(url.password(QUrl::FullyDecoded));
        db.setDatabaseName(url.path().mid(1).isEmpty() ? u"postgres"_s : url.path().mid(1));
        if (!db.open()) {
            *error = u"cannot connect to %1: %2"_s.arg(url.toString(QUrl::RemovePassword), db.lastError().text());
        } else {
            QSqlQuery query(db);
            ok = query.exec(statement);
            if (!ok)
                *error = u"%1: %2"_s.arg(statement, query.lastError().text());
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
    return ok;
}
} // namespace

TestDatabase::TestDatabase(Backend backend) : m_backend(backend)
{ }

TestDatabase::~TestDatabase()
{
    if (m_backend == Backend::PostgreSql && !m_databaseName.isEmpty())
        dropPostgres();
}

void TestDatabase::backends()
{
    QTest::addColumn<QString>("backend");
    QTest::newRow("sqlite") << backendName(Backend::Sqlite);
    QTest::newRow("postgresql") << backendName(Backend::PostgreSql);
}

TestDatabase::Backend TestDatabase::backendFromName(const QString &name)
{
    return name == u"postgresql" ? Backend::PostgreSql : Backend::Sqlite;
}

QString TestDatabase::backendName(Backend backend)
{
    return backend == Backend::PostgreSql ? u"postgresql"_s : u"sqlite"_s;
}

bool TestDatabase::postgresAvailable()
{
    return !qEnvironmentVariableIsEmpty(PostgresUrlVariable);
}

bool TestDatabase::isAvailable() const
{
    return m_backend == Backend::Sqlite || postgresAvailable();
}

QString TestDatabase::skipReason() const
{
    if (isAvailable())
        return {};
    return u"PostgreSQL test skipped: set %1=postgresql://user:pass@127.0.0.1:PORT/dbname "
           "(scripts/test.sh does)"_s.arg(QLatin1StringView(PostgresUrlVariable));
}

bool TestDatabase::create()
{
    m_errorString.clear();
    if (!m_url.isEmpty())
        return true;
    if (m_backend == Backend::Sqlite) {
        m_dir = std::make_unique<QTemporaryDir>();
        if (!m_dir->isValid()) {
            m_errorString = u"no temporary directory: "_s + m_dir->errorString();
            return false;
        }
        m_url = u"sqlite:"_s + m_dir->filePath(u"sb.db"_s);
        return true;
    }
    return createPostgres();
}

bool TestDatabase::createPostgres()
{
    if (!postgresAvailable()) {
        m_errorString = skipReason();
        return false;
    }
    const QUrl admin = adminUrl();
    if (admin.scheme() != u"postgresql" && admin.scheme() != u"postgres") {
        m_errorString = u"%1 is not a postgresql:// URL"_s.arg(QLatin1StringView(PostgresUrlVariable));
        return false;
    }
    // Lowercase letters and digits only: the name goes into SQL unquoted.
    const QString name = u"sbtest_%1"_s.arg(qulonglong(QRandomGenerator::global()->generate64()), 13, 36, QChar(u'0'));
    if (!execOnAdminDatabase(u"CREATE DATABASE "_s + name, &m_errorString))
        return false;
    m_databaseName = name;
    QUrl url = admin;
    url.setScheme(u"postgresql"_s);
    url.setPath(u"/"_s + name);
    url.setQuery(QString());
    m_url = url.toString(QUrl::FullyEncoded);
    return true;
}

void TestDatabase::dropPostgres()
{
    QString error;
    // FORCE (PostgreSQL 13+) ends sessions of a server that was killed and not yet reaped.
    if (!execOnAdminDatabase(u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(m_databaseName), &error)
        && !execOnAdminDatabase(u"DROP DATABASE IF EXISTS "_s + m_databaseName, &error)) {
        qWarning().noquote() << "could not drop test database" << m_databaseName << ":" << error;
    }
    m_databaseName.clear();
}

} // namespace Switchboard::Test
