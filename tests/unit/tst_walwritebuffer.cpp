// WalWriteBuffer: the SQLite VFS that writes a commit's WAL frames in one go. Checked with SQLite
// itself: what a commit stored is visible to a second connection (default VFS, no buffering) as soon
// as COMMIT returns, survives the process being killed right after, and the database stays intact
// through spills, rollbacks, transactions larger than the buffer and checkpoints.

#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/storage/walwritebuffer.h"

using Switchboard::Server::WalWriteBuffer;
using namespace Qt::StringLiterals;

namespace {

// A connection opened with sqlite3_open_v2, closed on destruction.
class Connection
{
public:
    Connection(const QString &path, const char *vfs)
    {
        m_rc = sqlite3_open_v2(path.toUtf8().constData(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
    }
    ~Connection() { sqlite3_close_v2(m_db); }
    bool isOpen() const { return m_rc == SQLITE_OK; }
    sqlite3 *db() const { return m_db; }

    bool exec(const char *sql)
    {
        char *message = nullptr;
        const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
        if (rc != SQLITE_OK)
            qWarning() << sql << (message ? message : "") << sqlite3_errstr(rc);
        sqlite3_free(message);
        return rc == SQLITE_OK;
    }
    // First column of the first row as text, or "<error>".
    QByteArray text(const char *sql)
    {
        sqlite3_stmt *st = nullptr;
        QByteArray out = "<error>";
        if (sqlite3_prepare_v2(m_db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            out = QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(st, 0)));
        sqlite3_finalize(st);
        return out;
    }
    qint64 number(const char *sql) { return text(sql).toLongLong(); }

private:
    sqlite3 *m_db = nullptr;
    int m_rc = SQLITE_ERROR;
};

bool configure(Connection &c, const char *cacheSize = "-2000")
{
    return c.exec("PRAGMA journal_mode=WAL") && c.exec("PRAGMA synchronous=FULL")
        && c.exec(QByteArray("PRAGMA cache_size=").append(cacheSize).constData());
}

} // namespace

class TestWalWriteBuffer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(WalWriteBuffer::install(&error), qPrintable(error));
        QVERIFY(WalWriteBuffer::install(&error)); // twice is fine
        QVERIFY(sqlite3_vfs_find(WalWriteBuffer::vfsName()));
        QVERIFY(sqlite3_vfs_find(nullptr) != sqlite3_vfs_find(WalWriteBuffer::vfsName())); // not the default
    }

    void commitsAreVisibleToAnotherConnectionAtOnce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"a.db"_s);
        Connection writer(path, WalWriteBuffer::vfsName());
        QVERIFY(writer.isOpen());
        QVERIFY(configure(writer));
        QVERIFY(writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v BLOB); CREATE INDEX t_k ON t(k)"));
        Connection reader(path, nullptr);
        QVERIFY(reader.isOpen());
        for (int batch = 0; batch < 200; ++batch) {
            QVERIFY(writer.exec("BEGIN IMMEDIATE"));
            for (int i = 0; i < 30; ++i)
                QVERIFY(writer.exec("INSERT INTO t (k, v) VALUES (hex(randomblob(16)), randomblob(300))"));
            QVERIFY(writer.exec("COMMIT"));
            QCOMPARE(reader.number("SELECT count(*) FROM t"), qint64(batch + 1) * 30);
        }
        QCOMPARE(reader.text("PRAGMA integrity_check"), QByteArray("ok"));
        QCOMPARE(writer.text("PRAGMA integrity_check"), QByteArray("ok"));
    }

    void transactionsLargerThanTheBufferAndSpills()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"b.db"_s);
        {
            // A tiny page cache makes SQLite spill dirty pages into the WAL before COMMIT and
            // rewrite them at COMMIT (reads and writes back into frames already written).
            Connection c(path, WalWriteBuffer::vfsName());
            QVERIFY(c.isOpen());
            QVERIFY(configure(c, "10"));
            QVERIFY(c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)"));
            QVERIFY(c.exec("BEGIN"));
            // ~6 MB in one transaction: several times WalWriteBuffer::kMaxHeldBytes.
            for (int i = 0; i < 1500; ++i)
                QVERIFY(c.exec("INSERT INTO t (v) VALUES (randomblob(4000))"));
            QVERIFY(c.exec("UPDATE t SET v = zeroblob(3000) WHERE id % 3 = 0"));
            QVERIFY(c.exec("COMMIT"));
            // A rolled-back transaction leaves nothing behind, and the next one commits normally.
            QVERIFY(c.exec("BEGIN"));
            for (int i = 0; i < 500; ++i)
                QVERIFY(c.exec("INSERT INTO t (v) VALUES (randomblob(4000))"));
            QVERIFY(c.exec("DELETE FROM t WHERE id < 100"));
            QVERIFY(c.exec("ROLLBACK"));
            QVERIFY(c.exec("INSERT INTO t (v) VALUES (x'0102')"));
            QCOMPARE(c.number("SELECT count(*) FROM t"), qint64(1501));
            QCOMPARE(c.number("SELECT count(*) FROM t WHERE length(v) = 3000"), qint64(500));
            QCOMPARE(c.text("PRAGMA integrity_check"), QByteArray("ok"));
            QCOMPARE(c.text("PRAGMA wal_checkpoint(TRUNCATE)"), QByteArray("0"));
            QVERIFY(c.exec("INSERT INTO t (v) VALUES (x'0304')")); // the WAL starts over
        }
        Connection again(path, nullptr);
        QVERIFY(again.isOpen());
        QCOMPARE(again.number("SELECT count(*) FROM t"), qint64(1502));
        QCOMPARE(again.text("SELECT hex(v) FROM t ORDER BY id DESC LIMIT 1"), QByteArray("0304"));
        QCOMPARE(again.text("PRAGMA integrity_check"), QByteArray("ok"));
    }

    void everyCommitSurvivesAKilledProcess()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"c.db"_s);
        {
            Connection c(path, WalWriteBuffer::vfsName());
            QVERIFY(configure(c));
            QVERIFY(c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, v BLOB)"));
        }
        int fds[2];
        QCOMPARE(pipe(fds), 0);
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            // The child commits for ever and reports each committed id; it never closes anything.
            ::close(fds[0]);
            Connection c(path, WalWriteBuffer::vfsName());
            if (!configure(c))
                _exit(2);
            for (qint64 id = 1;; ++id) {
                const QByteArray sql = "BEGIN; INSERT INTO t (n, v) VALUES (" + QByteArray::number(id)
                    + ", randomblob(2000)); INSERT INTO t (v) VALUES (randomblob(100)); COMMIT";
                if (!c.exec(sql.constData()))
                    _exit(3);
                if (write(fds[1], &id, sizeof id) != sizeof id)
                    _exit(4);
            }
        }
        ::close(fds[1]);
        qint64 acknowledged = 0;
        while (acknowledged < 300) {
            qint64 id = 0;
            QCOMPARE(read(fds[0], &id, sizeof id), ssize_t(sizeof id));
            acknowledged = id;
        }
        QCOMPARE(kill(child, SIGKILL), 0);
        int status = 0;
        QCOMPARE(waitpid(child, &status, 0), child);
        QVERIFY(WIFSIGNALED(status));
        ::close(fds[0]);

        Connection after(path, nullptr);
        QVERIFY(after.isOpen());
        QCOMPARE(after.text("PRAGMA integrity_check"), QByteArray("ok"));
        // Every number the child reported as committed is there.
        const QByteArray check = "SELECT count(DISTINCT n) FROM t WHERE n <= " + QByteArray::number(acknowledged)
            + " AND length(v) = 2000";
        QCOMPARE(after.number(check.constData()), acknowledged);
    }
};

QTEST_GUILESS_MAIN(TestWalWriteBuffer)
#include "tst_walwritebuffer.moc"
