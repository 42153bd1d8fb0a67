#include <QDeadlineTimer>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <sys/types.h>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
// The server binary run exactly as given (no arguments added), for the command-line contract.
class Launched
{
    Q_DISABLE_COPY_MOVE(Launched)

public:
    Launched() = default;
    ~Launched()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(5000);
        }
    }

    // Starts and waits for the `listening on HOST:PORT` line (or the process ending).
    bool start(const QStringList &arguments, QString *why, int timeoutMs = 30000)
    {
        process.setProgram(ServerProcess::binaryPath());
        process.setArguments(arguments);
        process.setStandardInputFile(QProcess::nullDevice());
        process.start();
        if (!process.waitForStarted(timeoutMs)) {
            *why = process.errorString();
            return false;
        }
        static const QRegularExpression line(u"^listening on (\\S+):(\\d+)$"_s);
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            if (process.state() == QProcess::NotRunning)
                break;
            process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
            out += process.readAllStandardOutput();
            err += process.readAllStandardError();
            const qsizetype newline = out.indexOf('\n');
            if (newline >= 0) {
                firstLine = QString::fromUtf8(out.left(newline));
                const auto match = line.match(firstLine);
                if (!match.hasMatch()) {
                    *why = u"first stdout line is not 'listening on HOST:PORT': "_s + firstLine;
                    return false;
                }
                host = match.captured(1);
                port = match.captured(2).toUShort();
                return port != 0;
            }
        }
        out += process.readAllStandardOutput();
        err += process.readAllStandardError();
        *why = u"no listening line; exit code %1; stderr: %2"_s.arg(process.exitCode()).arg(QString::fromUtf8(err));
        return false;
    }
    // Runs to completion (for invocations that must fail or exit by themselves).
    int runToExit(const QStringList &arguments, const QByteArray &input = {}, int timeoutMs = 30000)
    {
        process.setProgram(ServerProcess::binaryPath());
        process.setArguments(arguments);
        process.start();
        if (!process.waitForStarted(timeoutMs))
            return -1000;
        process.write(input);
        process.closeWriteChannel();
        if (process.state() != QProcess::NotRunning && !process.waitForFinished(timeoutMs))
            return -1001;
        out += process.readAllStandardOutput();
        err += process.readAllStandardError();
        return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1002;
    }

    QUrl httpUrl() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(port)); }
    QUrl wsUrl() const { return QUrl(u"ws://127.0.0.1:%1/ws"_s.arg(port)); }

    QProcess process;
    QByteArray out;
    QByteArray err;
    QString firstLine;
    QString host;
    quint16 port = 0;
};

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return file.write(content) == content.size();
}
} // namespace

// PROTOCOL.md section 12 (the command-line contract, with the --create-user rules of section 13)
// on both backends: `listening on HOST:PORT` as the first stdout line once connections are
// accepted (port 0 picks one), --create-user with the password on stdin (trailing newline
// stripped; non-zero exit with a message for a taken or invalid name or an unknown role),
// --config INI [server]/[limits] applied with the command line winning, --tls-cert/--tls-key
// serving https and wss, SIGTERM/SIGINT closing clients with 1001 and exiting 0.
class TestCommandLine : public QObject
{
    Q_OBJECT

private slots:
    void listeningLine_data() { TestDatabase::backends(); }
    void listeningLine()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        Launched server;
        QString why;
        QVERIFY2(server.start({u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()}, &why), qPrintable(why));
        QCOMPARE(server.host, u"127.0.0.1"_s);
        // Accepting connections right away.
        RestClient rest(server.httpUrl());
        IT_HTTP(health, rest.get(u"/healthz"_s));
        QCOMPARE(health->status(), 200);
        IT_GUEST(ann, server, "Ann");
        QString error;
        auto connection = connectAs(server.wsUrl(), ann, &error);
        QVERIFY2(connection, qPrintable(error));
        // The port is taken now: a second server on it cannot start and says why.
        Launched second;
        const int code
            = second.runToExit({u"--listen"_s, u"127.0.0.1:%1"_s.arg(server.port), u"--database"_s, db.url()});
        QVERIFY2(code > 0, qPrintable(u"exit %1"_s.arg(code)));
        QVERIFY(!second.err.trimmed().isEmpty());
        QVERIFY(!second.out.contains("listening on"));
        // Exactly one listening line.
        server.out += server.process.readAllStandardOutput();
        QCOMPARE(server.out.count("listening on"), 1);
    }

    void createUserFromStdin_data() { TestDatabase::backends(); }
    void createUserFromStdin()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        auto create = [&](const QString &name, const QString &role, const QByteArray &stdinBytes) {
            return server.runCommand({u"--create-user"_s, name, u"--role"_s, role}, stdinBytes);
        };
        auto loginStatus = [&](const QString &name, const QString &password, QString *role = nullptr) {
            RestClient rest(server.httpUrl());
            rest.setTimeout(30000);
            RestReply *r = rest.login(name, password);
            waitForFinished(r, 30000);
            if (role)
                *role = r->json().value(u"user"_s).toObject().value(u"role"_s).toString();
            return r->status();
        };

        // The trailing newline is not part of the password; inner and other trailing spaces are.
        const QString admin = uniqueUsername(u"boss"_s);
        ProcessResult made = create(admin, u"admin"_s, "two words  \n");
        QVERIFY2(made.ok(), qPrintable(made.describe()));
        QString role;
        QCOMPARE(loginStatus(admin, u"two words  "_s, &role), 200);
        QCOMPARE(role, u"admin"_s);
        QCOMPARE(loginStatus(admin, u"two words  \n"_s), 401);
        QCOMPARE(loginStatus(admin, u"two words"_s), 401);
        // Without a newline at all, the whole input is the password.
        const QString agent = uniqueUsername(u"agent"_s);
        made = create(agent, u"agent"_s, "no-newline-pw");
        QVERIFY2(made.ok(), qPrintable(made.describe()));
        QCOMPARE(loginStatus(agent, u"no-newline-pw"_s, &role), 200);
        QCOMPARE(role, u"agent"_s);
        const QString plain = uniqueUsername(u"plain"_s);
        made = create(plain, u"user"_s, "ordinary password\n");
        QVERIFY2(made.ok(), qPrintable(made.describe()));
        QCOMPARE(loginStatus(plain, u"ordinary password"_s, &role), 200);
        QCOMPARE(role, u"user"_s);

        // Refusals: non-zero exit, a message on stderr, no account.
        const QString taken = admin;
        const QString nobody = uniqueUsername(u"nobody"_s);
        const QList<std::tuple<QString, QString, QByteArray, const char *>> refusals {
            {taken, u"admin"_s, "another password\n", "name taken"},
            {taken, u"user"_s, "another password\n", "name taken, other role"},
            {nobody, u"superuser"_s, "long enough pw\n", "unknown role"},
            {nobody, u"Admin"_s, "long enough pw\n", "role is case-sensitive"},
            {u"Bad Name"_s, u"user"_s, "long enough pw\n", "invalid name"},
            {u"ab"_s, u"user"_s, "long enough pw\n", "name too short"},
            {nobody, u"user"_s, "short\n", "password too short"},
        };
        for (const auto &[name, r, input, what] : refusals) {
            const ProcessResult result = create(name, r, input);
            QVERIFY2(result.finished, what);
            QVERIFY2(result.exitCode != 0, what);
            QVERIFY2(!result.standardError.trimmed().isEmpty(), what);
        }
        QCOMPARE(loginStatus(nobody, u"long enough pw"_s), 401);
        QCOMPARE(loginStatus(taken, u"another password"_s), 401);
        QCOMPARE(loginStatus(taken, u"two words  "_s), 200);
        QVERIFY(server.isRunning());
    }

    void configFileAndCommandLinePrecedence_data() { TestDatabase::backends(); }
    void configFileAndCommandLinePrecedence()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString ini = dir.filePath(u"switchboard.ini"_s);
        const quint16 port = freePort();
        QVERIFY(port != 0);

        // Everything from the file.
        QVERIFY(writeFile(ini,
            u"[server]\nlisten=127.0.0.1:%1\ndatabase=%2\n\n[limits]\nmax_text_chars=10\nallow_registration=false\nheartbeat_interval=17\nmax_frame_bytes=4096\n"_s
                .arg(port)
                .arg(db.url())
                .toUtf8()));
        {
            Launched server;
            QString why;
            QVERIFY2(server.start({u"--config"_s, ini}, &why), qPrintable(why));
            QCOMPARE(server.port, port);
            RestClient rest(server.httpUrl());
            IT_HTTP(registration, rest.registerUser(uniqueUsername(u"r"_s), u"long enough"_s, u"R"_s));
            QCOMPARE(registration->status(), 403);
            SB_COMPARE_CODE(registration->error().code, ErrorCode::Forbidden);
            IT_GUEST(ann, server, "Ann");
            IT_GUEST(bob, server, "Bob");
            QString error;
            auto connection = connectAs(server.wsUrl(), ann, &error);
            QVERIFY2(connection, qPrintable(error));
            IT_OK(ten, connection->sendTextTo(bob.id, u"0123456789"_s));
            IT_FAILS(connection->sendTextTo(bob.id, u"0123456789a"_s), ValidationFailed);
            IT_FAILS(connection->sendTextTo(bob.id, u"😀😀😀😀😀😀😀😀😀😀😀"_s), ValidationFailed);
            IT_OK(tenEmoji, connection->sendTextTo(bob.id, u"😀😀😀😀😀😀😀😀😀😀"_s));
            QCOMPARE(connection->heartbeatInterval(), 17);
            QCOMPARE(connection->sessionData().value(u"heartbeat_interval"_s).toInt(), 17);
            // max_frame_bytes=4096: a frame of exactly 4096 bytes passes, 4097 closes with 1009.
            auto ping = [](qsizetype bytes, const QString &id) {
                const QString head = u"{\"type\":\"ping\",\"id\":\"%1\",\"pad\":\""_s.arg(id);
                return head + QString(bytes - head.size() - 2, u'x') + u"\"}"_s;
            };
            FrameLog frames(connection.get());
            QVERIFY(connection->sendRawText(ping(4096, u"fits"_s)));
            QVERIFY(
                frames.waitFor([](const QJsonObject &f) { return f.value(u"id"_s) == QJsonValue(u"fits"_s); }) >= 0);
            QSignalSpy closed(connection.get(), &ClientConnection::disconnected);
            QVERIFY(connection->sendRawText(ping(4097, u"too big"_s)));
            QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, kWaitMs);
            QCOMPARE(connection->closeCode(), 1009);
        }

        // The command line wins over the file: the file names an address that cannot be bound
        // and a database that cannot be reached.
        QVERIFY(writeFile(ini,
            u"[server]\nlisten=192.0.2.1:%1\ndatabase=postgresql://nobody:x@127.0.0.1:1/none\n\n[limits]\nmax_text_chars=10\n"_s
                .arg(port)
                .toUtf8()));
        {
            Launched server;
            QString why;
            QVERIFY2(
                server.start({u"--config"_s, ini, u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()}, &why),
                qPrintable(why));
            QCOMPARE(server.host, u"127.0.0.1"_s);
            QVERIFY(server.port != 0);
            // Same database as before (registration is allowed again: the file says nothing).
            RestClient rest(server.httpUrl());
            IT_HTTP(registration, rest.registerUser(uniqueUsername(u"r"_s), u"long enough"_s, u"R"_s));
            QCOMPARE(registration->status(), 201);
            IT_GUEST(carol, server, "Carol");
            QString error;
            auto connection = connectAs(server.wsUrl(), carol, &error);
            QVERIFY2(connection, qPrintable(error));
            IT_FAILS(connection->sendTextTo(carol.id, u"eleven char"_s), ValidationFailed); // [limits] still applies
            IT_OK(conversations, connection->conversations());
        }
        // Without the command-line override that file cannot start.
        {
            Launched server;
            const int code = server.runToExit({u"--config"_s, ini});
            QVERIFY2(code != 0, qPrintable(u"exit %1"_s.arg(code)));
            QVERIFY(!server.out.contains("listening on"));
        }
        // Broken configuration: a missing file, a bad value. Non-zero exit with a message.
        QVERIFY(writeFile(ini, "[limits]\nmax_text_chars=lots\n"));
        for (const QStringList &arguments : {QStringList {u"--config"_s, dir.filePath(u"missing.ini"_s)},
                 QStringList {u"--config"_s, ini, u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()},
                 QStringList {u"--listen"_s, u"nonsense"_s, u"--database"_s, db.url()}}) {
            Launched server;
            const int code = server.runToExit(arguments);
            QVERIFY2(code > 0, qPrintable(arguments.join(u' ') + u": exit %1"_s.arg(code)));
            QVERIFY2(!server.err.trimmed().isEmpty(), qPrintable(arguments.join(u' ')));
            QVERIFY(!server.out.contains("listening on"));
        }
        // Out of range values are refused too (storage and limits).
        const QString badIni = dir.filePath(u"bad.ini"_s);
        for (const char *text : {"[storage]\ncommit_window_ms=101\n", "[storage]\nqueue_limit=15\n",
                 "[limits]\nmax_pending_requests=0\n", "[server]\njwt_secret=only-31-bytes-long-0123456789ab\n"}) {
            QVERIFY(writeFile(badIni, text));
            Launched server;
            const int code
                = server.runToExit({u"--config"_s, badIni, u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()});
            QVERIFY2(code > 0, text);
            QVERIFY2(!server.err.trimmed().isEmpty(), text);
            QVERIFY(!server.out.contains("listening on"));
        }
        // The boundary values are accepted.
        QVERIFY(writeFile(badIni,
            "[server]\njwt_secret=exactly-32-bytes-long-0123456789\n[storage]\ncommit_window_ms=0\nqueue_limit=16\n"));
        {
            Launched server;
            QString why;
            QVERIFY2(
                server.start({u"--config"_s, badIni, u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()}, &why),
                qPrintable(why));
        }
    }

    void tlsServesWssAndHttps()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString cert = dir.filePath(u"cert.pem"_s);
        const QString key = dir.filePath(u"key.pem"_s);
        QProcess openssl;
        openssl.start(u"openssl"_s,
            {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s, key, u"-out"_s, cert,
                u"-days"_s, u"1"_s, u"-subj"_s, u"/CN=127.0.0.1"_s});
        if (!openssl.waitForStarted(10000))
            QSKIP("openssl is not installed: cannot make a test certificate");
        QVERIFY(openssl.waitForFinished(60000));
        QCOMPARE(openssl.exitCode(), 0);

        ServerProcess server;
        server.setExtraArguments({u"--tls-cert"_s, cert, u"--tls-key"_s, key});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        const QUrl https(u"https://127.0.0.1:%1"_s.arg(server.port()));
        const QUrl wss(u"wss://127.0.0.1:%1/ws"_s.arg(server.port()));
        RestClient rest(https);
        rest.setIgnoreSslErrors(true);
        IT_HTTP(health, rest.get(u"/healthz"_s));
        QVERIFY2(health->status() == 200, qPrintable(describeReply(health)));
        IT_HTTP(guest, rest.guest(u"Secure"_s));
        QCOMPARE(guest->status(), 200);
        ClientConnection connection;
        connection.setIgnoreSslErrors(true);
        QSignalSpy synced(&connection, &ClientConnection::syncCompleted);
        connection.openWithToken(wss, guest->json().value(u"token"_s).toString());
        QVERIFY(synced.wait(kWaitMs));
        IT_OK(sent, connection.sendTextTo(intOf(guest->json().value(u"user"_s).toObject(), u"id"_s), u"over TLS"_s));
        // Plain HTTP on the TLS port gets no API answer.
        RestClient plain(server.httpUrl());
        plain.setTimeout(5000);
        IT_HTTP(cleartext, plain.get(u"/healthz"_s));
        QVERIFY(cleartext->status() != 200);

        // A certificate without its key is a configuration error.
        Launched broken;
        const int code = broken.runToExit({u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s,
                                              u"sqlite:"_s + dir.filePath(u"x.db"_s), u"--tls-cert"_s, cert},
            {}, 15000);
        QVERIFY2(code > 0, qPrintable(u"exit %1"_s.arg(code)));
        QVERIFY(!broken.err.trimmed().isEmpty());
    }

    void signalsCloseClientsWith1001AndExitZero_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<int>("signal");
        for (const QString &backend : {u"sqlite"_s, u"postgresql"_s}) {
            QTest::addRow("%s-SIGTERM", qPrintable(backend)) << backend << int(SIGTERM);
            QTest::addRow("%s-SIGINT", qPrintable(backend)) << backend << int(SIGINT);
        }
    }
    void signalsCloseClientsWith1001AndExitZero()
    {
        QFETCH(int, signal);
        SB_TEST_DATABASE_FROM_ROW(db);
        Launched server;
        QString why;
        QVERIFY2(server.start({u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()}, &why), qPrintable(why));
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        QString error;
        auto a = connectAs(server.wsUrl(), ann, &error);
        QVERIFY2(a, qPrintable(error));
        auto b = connectAs(server.wsUrl(), bob, &error, ClientConnection::TokenTransport::Header);
        QVERIFY2(b, qPrintable(error));
        ClientConnection anonymous;
        QSignalSpy anonymousConnected(&anonymous, &ClientConnection::connected);
        anonymous.open(server.wsUrl());
        QVERIFY(anonymousConnected.wait(kWaitMs));
        IT_OK(sent, a->sendTextTo(bob.id, u"before shutdown"_s));

        QSignalSpy aClosed(a.get(), &ClientConnection::disconnected);
        QSignalSpy bClosed(b.get(), &ClientConnection::disconnected);
        QSignalSpy anonymousClosed(&anonymous, &ClientConnection::disconnected);
        QVERIFY(::kill(pid_t(server.process.processId()), signal) == 0);
        QTRY_COMPARE_WITH_TIMEOUT(aClosed.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(bClosed.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(anonymousClosed.size(), 1, kWaitMs);
        QCOMPARE(a->closeCode(), 1001);
        QCOMPARE(b->closeCode(), 1001);
        QCOMPARE(anonymous.closeCode(), 1001);
        // (waitForFinished() is false for a process that has already finished)
        const bool exited = server.process.state() == QProcess::NotRunning || server.process.waitForFinished(15000);
        server.err += server.process.readAllStandardError();
        QVERIFY2(exited,
            qPrintable(
                u"still running 15 s after the signal; stderr:\n"_s + QString::fromUtf8(server.err.right(3000))));
        QCOMPARE(server.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.process.exitCode(), 0);

        // The message acknowledged before the signal is there after a restart.
        Launched again;
        QVERIFY2(again.start({u"--listen"_s, u"127.0.0.1:0"_s, u"--database"_s, db.url()}, &why), qPrintable(why));
        auto b2 = connectAs(again.wsUrl(), bob, &error);
        QVERIFY2(b2, qPrintable(error));
        IT_OK(history, b2->history(intOf(sent->data(), u"conversation_id"_s)));
        QCOMPARE(history->data().value(u"messages"_s).toArray().size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
