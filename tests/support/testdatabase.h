#pragma once

#include <QString>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

namespace Switchboard::Test {

// A fresh, empty database for one test (or one test case) on one backend:
// - SQLite: sqlite:<temporary directory>/sb.db, removed with the directory;
// - PostgreSQL: a new database sbtest_<random> on the server named by the environment variable
//   SB_TEST_POSTGRES_URL (postgresql://user:pass@127.0.0.1:PORT/dbname, a role with CREATEDB),
//   dropped again by the destructor.
//
// Data-driven use, one row per backend, for every test function of the class:
//     void TestFoo::initTestCase_data() { TestDatabase::backends(); }
//     void TestFoo::send()
//     {
//         SB_TEST_DATABASE(db);            // QFETCH + QSKIP without PostgreSQL + create()
//         ServerProcess server;
//         server.setDatabaseUrl(db.url());
//         ...
//     }
class TestDatabase
{
    Q_DISABLE_COPY_MOVE(TestDatabase)

public:
    enum class Backend { Sqlite, PostgreSql };

    static constexpr const char *PostgresUrlVariable = "SB_TEST_POSTGRES_URL";

    explicit TestDatabase(Backend backend = Backend::Sqlite);
    // Drops the PostgreSQL database (WITH (FORCE): a killed server may still hold connections).
    ~TestDatabase();

    // Adds the column "backend" (QString) and the rows "sqlite" and "postgresql"; call it from
    // initTestCase_data() (or a _data() function, after adding your own columns, the rows get
    // only this column).
    static void backends();
    static Backend backendFromName(const QString &name);
    static QString backendName(Backend backend);
    // Whether PostgreSQL tests can run (SB_TEST_POSTGRES_URL is set).
    static bool postgresAvailable();

    Backend backend() const { return m_backend; }
    // False for PostgreSQL without SB_TEST_POSTGRES_URL; then QSKIP with skipReason().
    bool isAvailable() const;
    QString skipReason() const;

    // Creates the database; false with errorString() on failure.
    bool create();
    // The URL to pass to the server's --database; empty before create().
    QString url() const { return m_url; }
    QString errorString() const { return m_errorString; }

private:
    bool createPostgres();
    void dropPostgres();

    Backend m_backend;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_url;
    QString m_databaseName; // PostgreSQL only
    QString m_errorString;
};

} // namespace Switchboard::Test

// In a test function of a class whose initTestCase_data() called TestDatabase::backends():
// fetches the backend, skips when it is not available, creates the database (failing the test if
// that fails).
#define SB_TEST_DATABASE(db)                                                                                           \
    QFETCH_GLOBAL(QString, backend);                                                                                   \
    SB_TEST_DATABASE_ON(db, backend)

// The same for a class whose test functions have rows of their own: the function's _data() adds
// the "backend" column (TestDatabase::backends(), or its own rows with other columns too).
#define SB_TEST_DATABASE_FROM_ROW(db)                                                                                  \
    QFETCH(QString, backend);                                                                                          \
    SB_TEST_DATABASE_ON(db, backend)

#define SB_TEST_DATABASE_ON(db, backendName)                                                                           \
    ::Switchboard::Test::TestDatabase db(::Switchboard::Test::TestDatabase::backendFromName(backendName));             \
    if (!db.isAvailable())                                                                                             \
        QSKIP(qPrintable(db.skipReason()));                                                                            \
    QVERIFY2(db.create(), qPrintable(db.errorString()))
