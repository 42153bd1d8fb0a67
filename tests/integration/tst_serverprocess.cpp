#include <QSignalSpy>
#include <QTest>

#include "shared/client/clientconnection.h"
#include "shared/client/pendingrequest.h"
#include "shared/client/restclient.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"
#include "tests/support/testprinters.h"
#include "tests/support/testuser.h"
#include "tests/support/testwait.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;

// The test harness itself against the real binary (PROTOCOL.md section 12): start on port 0 and
// parse `listening on`, INI limits, --create-user, SIGTERM/SIGKILL/restart on the same database,
// and the TestUser helpers end to end on both storage backends.
class TestServerProcess : public QObject
{
    Q_OBJECT

private:
    static constexpr int kWaitMs = 10000;

private slots:
    void startsOnAFreePortAndStopsCleanly()
    {
        ServerProcess server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QVERIFY(server.isRunning());
        QVERIFY(server.port() > 0);
        QCOMPARE(server.wsUrl().toString(), u"ws://127.0.0.1:%1/ws"_s.arg(server.port()));
        QCOMPARE(server.httpUrl().toString(), u"http://127.0.0.1:%1"_s.arg(server.port()));
        QVERIFY(server.log().contains(u"listening on"_s));

        RestClient rest(server.httpUrl());
        RestReply *health = rest.get(u"/healthz"_s);
        QVERIFY(waitForFinished(health));
        QCOMPARE(health->status(), 200);

        QVERIFY(server.stop());
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);
        QVERIFY(!server.isRunning());
    }

    void twoServersDoNotClash()
    {
        ServerProcess a;
        ServerProcess b;
        QVERIFY2(a.start(), qPrintable(a.errorString()));
        QVERIFY2(b.start(), qPrintable(b.errorString()));
        QVERIFY(a.port() != b.port());
        QVERIFY(a.databaseUrl() != b.databaseUrl());
    }

    void badBinaryFailsFast()
    {
        const QByteArray previous = qgetenv("SB_SERVER_BINARY");
        qputenv("SB_SERVER_BINARY", "/nonexistent/switchboard-server");
        ServerProcess server;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"did not start"_s));
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(u"switchboard-server output"_s));
        const bool started = server.start(kWaitMs);
        if (previous.isEmpty())
            qunsetenv("SB_SERVER_BINARY");
        else
            qputenv("SB_SERVER_BINARY", previous);
        QVERIFY(!started);
        QVERIFY2(server.errorString().contains(u"cannot start"_s), qPrintable(server.errorString()));
    }

    void limitsReachTheServer()
    {
        ServerProcess server;
        server.setLimits({{u"allow_registration"_s, u"false"_s}});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QVERIFY(server.limits().contains(u"allow_registration"_s));
        RestClient rest(server.httpUrl());
        RestReply *reply = rest.registerUser(u"ann"_s, u"password1"_s, u"Ann"_s);
        QVERIFY(waitForFinished(reply));
        QCOMPARE(reply->status(), 403);
        SB_COMPARE_CODE(reply->error().code, ErrorCode::Forbidden);
    }

    void createUserFromTheCommandLine()
    {
        ServerProcess server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        const TestUser admin = createStaffUser(server, u"admin"_s, u"boss"_s, &error);
        QVERIFY2(admin.isValid(), qPrintable(error));
        QCOMPARE(admin.role, u"admin"_s);
        QVERIFY(admin.username.startsWith(u"boss_"_s));

        // The same name again is refused with a message on stderr.
        const ProcessResult again = server.createUser(admin.username, u"admin"_s, u"password2"_s);
        QVERIFY(again.finished);
        QVERIFY(again.exitCode != 0);
        QVERIFY(!again.standardError.isEmpty());
    }

    void usersChatEndToEnd_data() { TestDatabase::backends(); }

    void usersChatEndToEnd()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        ServerProcess server;
        server.setDatabaseUrl(db.url());
        QVERIFY2(server.start(), qPrintable(server.errorString()));

        QString error;
        const TestUser ann = registerUser(server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        const TestUser bob = registerUser(server, u"bob"_s, &error);
        QVERIFY2(bob.isValid(), qPrintable(error));
        QVERIFY(ann.id != bob.id);
        QCOMPARE(ann.displayName, u"ann"_s);

        auto annConnection = connectAs(server, ann, &error);
        QVERIFY2(annConnection, qPrintable(error));
        auto bobConnection = connectAs(server, bob, &error, ClientConnection::TokenTransport::Header);
        QVERIFY2(bobConnection, qPrintable(error));
        QCOMPARE(annConnection->state(), ClientConnection::State::Authenticated);
        QCOMPARE(annConnection->userId(), ann.id);
        QCOMPARE(bobConnection->userId(), bob.id);
        QVERIFY(!bobConnection->resumeToken().isEmpty());

        QSignalSpy received(bobConnection.get(), &ClientConnection::messageReceived);
        PendingRequest *sent = annConnection->sendTextTo(bob.id, u"hello bob"_s, u"c-1"_s);
        QVERIFY(waitForFinished(sent));
        QVERIFY2(sent->isSuccess(), qPrintable(sent->error().message));
        QCOMPARE(sent->data().value(u"seq"_s).toInteger(), 1);
        QVERIFY(received.wait(kWaitMs) || !received.isEmpty());
        const auto message = received.first().at(0).value<ChatMessage>();
        QCOMPARE(message.content, u"hello bob"_s);
        QCOMPARE(message.senderId, ann.id);
        QCOMPARE(received.first().at(1).toBool(), false);

        PendingRequest *pong = annConnection->ping();
        QVERIFY(waitForFinished(pong));
        QVERIFY(pong->isSuccess());
        QCOMPARE(pong->data().value(u"type"_s).toString(), u"pong"_s);
    }

    void queryTokenAndBadToken()
    {
        ServerProcess server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        const TestUser ann = registerUser(server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        auto connection = connectAs(server, ann, &error, ClientConnection::TokenTransport::Query);
        QVERIFY2(connection, qPrintable(error));

        // A bad token at the upgrade: the server completes it, then closes with 4001.
        TestUser forged = ann;
        forged.token = u"not-a-jwt"_s;
        auto refused = connectAs(server, forged, &error, ClientConnection::TokenTransport::Header);
        QVERIFY(!refused);
        QVERIFY2(error.contains(u"4001"_s), qPrintable(error));
    }

    void killAndRestartKeepsAcknowledgedMessages_data() { TestDatabase::backends(); }

    void killAndRestartKeepsAcknowledgedMessages()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        ServerProcess server;
        server.setDatabaseUrl(db.url());
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        const TestUser ann = registerUser(server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        const TestUser bob = registerUser(server, u"bob"_s, &error);
        QVERIFY2(bob.isValid(), qPrintable(error));
        {
            auto annConnection = connectAs(server, ann, &error);
            QVERIFY2(annConnection, qPrintable(error));
            PendingRequest *sent = annConnection->sendTextTo(bob.id, u"durable"_s);
            QVERIFY(waitForFinished(sent));
            QVERIFY2(sent->isSuccess(), qPrintable(sent->error().message));
            const quint16 port = server.port();
            QSignalSpy disconnected(annConnection.get(), &ClientConnection::disconnected);
            QVERIFY(server.kill());
            QCOMPARE(server.exitStatus(), QProcess::CrashExit);
            QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, kWaitMs);
            QVERIFY2(server.restart(), qPrintable(server.errorString()));
            QVERIFY(server.port() > 0);
            Q_UNUSED(port);
        }
        // The token survives the restart (the JWT secret is kept in the database).
        auto bobConnection = std::make_unique<ClientConnection>();
        QSignalSpy received(bobConnection.get(), &ClientConnection::messageReceived);
        QSignalSpy synced(bobConnection.get(), &ClientConnection::syncCompleted);
        bobConnection->openWithToken(server.wsUrl(), bob.token);
        QVERIFY(synced.wait(kWaitMs));
        QCOMPARE(received.size(), 1);
        QCOMPARE(received.first().at(0).value<ChatMessage>().content, u"durable"_s);
        QCOMPARE(received.first().at(1).toBool(), true); // offline delivery
        QCOMPARE(synced.first().at(0).toInt(), 1);
    }

    void sigtermClosesClientsWith1001()
    {
        ServerProcess server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        const TestUser ann = registerUser(server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        auto connection = connectAs(server, ann, &error);
        QVERIFY2(connection, qPrintable(error));
        QSignalSpy disconnected(connection.get(), &ClientConnection::disconnected);
        QVERIFY(server.stop());
        QCOMPARE(server.exitCode(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, kWaitMs);
        QCOMPARE(connection->closeCode(), 1001);
    }
};

QTEST_GUILESS_MAIN(TestServerProcess)
#include "tst_serverprocess.moc"
