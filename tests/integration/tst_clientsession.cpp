#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include "shared/client/clientconnection.h"
#include "shared/client/clientsession.h"
#include "shared/client/pendingrequest.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testprinters.h"
#include "tests/support/testuser.h"
#include "tests/support/testwait.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;

// ClientSession against the real server: reconnect with backoff, resume (`reconnect`) or a fresh
// `auth` when the server forgot the session, the outbox that sends messages typed while offline
// with their client_msg_id, and the close codes that end a session for good.
class TestClientSession : public QObject
{
    Q_OBJECT

private:
    static constexpr int kWaitMs = 15000;

    // Waits until the session is Online; false on deadline.
    static bool waitOnline(ClientSession &session)
    {
        if (session.isOnline())
            return true;
        QSignalSpy online(&session, &ClientSession::online);
        return online.wait(kWaitMs) || session.isOnline();
    }

    // Sends one message online and returns its conversation id (creates the private chat).
    static qint64 conversationWith(ClientSession &session, qint64 userId)
    {
        QSignalSpy sent(&session, &ClientSession::messageSent);
        session.sendTextTo(userId, u"hello"_s);
        if (!sent.wait(kWaitMs))
            return 0;
        return qint64(sent.at(0).at(1).toJsonObject().value(u"conversation_id"_s).toDouble());
    }

    std::unique_ptr<ClientSession> newSession(const TestUser &user)
    {
        auto session = std::make_unique<ClientSession>();
        session->setReconnectDelays(50, 400);
        session->start(m_server.wsUrl(), user.token);
        return session;
    }

    ServerProcess m_server;

private slots:
    void initTestCase()
    {
        m_server.setLimits({{u"messages_per_second"_s, u"1000"_s}, {u"messages_burst"_s, u"1000"_s}});
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    }

    void resumesAfterNetworkDropAndSendsQueuedMessages()
    {
        QString error;
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        const TestUser bob = registerUser(m_server, u"bob"_s, &error);
        QVERIFY2(bob.isValid(), qPrintable(error));
        auto bobConnection = connectAs(m_server, bob, &error);
        QVERIFY2(bobConnection, qPrintable(error));

        auto session = newSession(ann);
        QSignalSpy online(session.get(), &ClientSession::online);
        QVERIFY(waitOnline(*session));
        QCOMPARE(online.size(), 1);
        QCOMPARE(online.at(0).at(1).toBool(), false); // a fresh session
        const QString sessionId = session->connection()->sessionId();
        const qint64 conversation = conversationWith(*session, bob.id);
        QVERIFY(conversation > 0);

        // The network goes away (no close frame).
        QSignalSpy lost(session.get(), &ClientSession::connectionLost);
        session->connection()->abort();
        QVERIFY(lost.size() == 1 || lost.wait(kWaitMs));
        QVERIFY(!session->isOnline());

        // Typed while offline: queued, with its id fixed now.
        QSignalSpy received(bobConnection.get(), &ClientConnection::messageReceived);
        QSignalSpy sent(session.get(), &ClientSession::messageSent);
        const QString first = session->sendText(conversation, u"typed offline 1"_s);
        const QString second = session->sendText(conversation, u"typed offline 2"_s);
        QVERIFY(!first.isEmpty());
        QVERIFY(first != second);
        QCOMPARE(session->outboxSize(), 2);

        QVERIFY(waitOnline(*session));
        QCOMPARE(online.last().at(1).toBool(), true); // resumed, not a new session
        QCOMPARE(session->connection()->sessionId(), sessionId);
        QTRY_COMPARE_WITH_TIMEOUT(sent.size(), 2, kWaitMs);
        QCOMPARE(sent.at(0).at(0).toString(), first);
        QCOMPARE(sent.at(1).at(0).toString(), second);
        QCOMPARE(session->outboxSize(), 0);

        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 2, kWaitMs);
        const auto m1 = received.at(0).at(0).value<ChatMessage>();
        const auto m2 = received.at(1).at(0).value<ChatMessage>();
        QCOMPARE(m1.clientMsgId, first);
        QCOMPARE(m1.content, u"typed offline 1"_s);
        QCOMPARE(m2.clientMsgId, second);
        QVERIFY(m2.seq == m1.seq + 1);
    }

    void authenticatesAfreshAfterServerRestart()
    {
        QString error;
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        const TestUser bob = registerUser(m_server, u"bob"_s, &error);
        QVERIFY2(bob.isValid(), qPrintable(error));

        auto session = newSession(ann);
        QVERIFY(waitOnline(*session));
        const qint64 conversation = conversationWith(*session, bob.id);
        QVERIFY(conversation > 0);
        const QString oldSession = session->connection()->sessionId();

        QVERIFY(m_server.stop());
        QTRY_VERIFY_WITH_TIMEOUT(!session->isOnline(), kWaitMs);
        const QString queued = session->sendText(conversation, u"while the server was down"_s);
        QCOMPARE(session->outboxSize(), 1);
        // Retries with backoff while nothing listens.
        QTRY_VERIFY_WITH_TIMEOUT(session->reconnectAttempt() >= 2, kWaitMs);

        QSignalSpy online(session.get(), &ClientSession::online);
        QSignalSpy sent(session.get(), &ClientSession::messageSent);
        QVERIFY2(m_server.restart(), qPrintable(m_server.errorString()));
        QVERIFY(online.wait(kWaitMs));
        // The restarted server does not know the resume token: a new session from the login token.
        QCOMPARE(online.last().at(1).toBool(), false);
        QVERIFY(session->connection()->sessionId() != oldSession);
        QTRY_COMPARE_WITH_TIMEOUT(sent.size(), 1, kWaitMs);
        QCOMPARE(sent.at(0).at(0).toString(), queued);
        QCOMPARE(session->reconnectAttempt(), 0);

        // Bob finds it in the history with the same client_msg_id.
        auto bobConnection = connectAs(m_server, bob, &error);
        QVERIFY2(bobConnection, qPrintable(error));
        PendingRequest *history = bobConnection->history(conversation);
        QVERIFY(waitForFinished(history));
        QVERIFY(history->isSuccess());
        const QJsonArray messages = history->data().value(u"messages"_s).toArray();
        QCOMPARE(messages.last().toObject().value(u"client_msg_id"_s).toString(), queued);
    }

    void refusedMessageFailsAndLeavesTheOutbox()
    {
        QString error;
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        auto session = newSession(ann);
        QVERIFY(waitOnline(*session));
        QSignalSpy failed(session.get(), &ClientSession::messageFailed);
        const QString id = session->sendText(987654321, u"to nowhere"_s);
        QVERIFY(failed.wait(kWaitMs));
        QCOMPARE(failed.at(0).at(0).toString(), id);
        QVERIFY(failed.at(0).at(1).value<ProtocolError>().code != ErrorCode::Unavailable);
        QCOMPARE(session->outboxSize(), 0);
    }

    void kickEndsTheSession()
    {
        QString error;
        const TestUser admin = createStaffUser(m_server, u"admin"_s, {}, &error);
        QVERIFY2(admin.isValid(), qPrintable(error));
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        auto session = newSession(ann);
        QVERIFY(waitOnline(*session));
        auto adminConnection = connectAs(m_server, admin, &error);
        QVERIFY2(adminConnection, qPrintable(error));

        QSignalSpy ended(session.get(), &ClientSession::ended);
        QSignalSpy lost(session.get(), &ClientSession::connectionLost);
        PendingRequest *kick
            = adminConnection->request(u"admin_kick"_s, {{u"user_id"_s, double(ann.id)}, {u"reason"_s, u"bye"_s}});
        QVERIFY(waitForFinished(kick));
        QVERIFY(kick->isSuccess());
        QVERIFY2(!ended.isEmpty() || ended.wait(kWaitMs),
            qPrintable(lost.isEmpty() ? u"no close"_s : u"closed with %1"_s.arg(lost.at(0).at(0).toInt())));
        QCOMPARE(ended.at(0).at(0).toInt(), 4003);
        QCOMPARE(ended.at(0).at(1).toString(), u"bye"_s);
        QCOMPARE(session->state(), ClientSession::State::Disconnected);
        QSignalSpy stateChanged(session.get(), &ClientSession::stateChanged);
        QVERIFY(!stateChanged.wait(500)); // no reconnect
    }

    void badTokenIsReportedNotRetried()
    {
        ClientSession session;
        session.setReconnectDelays(50, 100);
        QSignalSpy lost(&session, &ClientSession::authenticationLost);
        QSignalSpy ended(&session, &ClientSession::ended);
        session.start(m_server.wsUrl(), u"not-a-token"_s);
        QVERIFY(lost.wait(kWaitMs));
        SB_COMPARE_CODE(lost.at(0).at(0).value<ProtocolError>().code, ErrorCode::AuthFailed);
        QVERIFY(ended.size() == 1 || ended.wait(kWaitMs));
        QCOMPARE(session.state(), ClientSession::State::Disconnected);
        QCOMPARE(session.reconnectAttempt(), 0);
    }

    void backoffGrowsUpToTheMaximum()
    {
        ServerProcess down;
        QVERIFY2(down.start(), qPrintable(down.errorString()));
        const QUrl url = down.wsUrl();
        QVERIFY(down.stop());

        ClientSession session;
        session.setReconnectDelays(40, 160);
        QList<int> delays;
        connect(&session, &ClientSession::stateChanged, this, [&](ClientSession::State state) {
            if (state == ClientSession::State::WaitingToReconnect)
                delays.append(session.msUntilReconnect());
        });
        session.start(url, u"token"_s);
        QTRY_VERIFY_WITH_TIMEOUT(delays.size() >= 5, kWaitMs);
        session.stop();
        QCOMPARE(session.state(), ClientSession::State::Disconnected);
        // 40, 80, 160, 160, ... each with +-20 % jitter.
        QVERIFY2(delays.at(0) <= 52, qPrintable(QString::number(delays.at(0))));
        QVERIFY2(delays.at(1) >= 60 && delays.at(1) <= 102, qPrintable(QString::number(delays.at(1))));
        for (qsizetype i = 2; i < delays.size(); ++i)
            QVERIFY2(delays.at(i) >= 120 && delays.at(i) <= 170, qPrintable(QString::number(delays.at(i))));
    }

    void startWhileOnlineReconnectsAtOnce()
    {
        QString error;
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        ClientSession session;
        session.setReconnectDelays(60000, 60000); // a backoff wait would fail the test
        session.start(m_server.wsUrl(), ann.token);
        QVERIFY(waitOnline(session));
        QSignalSpy online(&session, &ClientSession::online);
        session.start(m_server.wsUrl(), ann.token); // e.g. a new login token
        QVERIFY(online.wait(kWaitMs));
        QVERIFY(session.isOnline());
    }

    void heartbeatPingsWhileOnline()
    {
        QString error;
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        ClientSession session;
        session.setHeartbeatIntervalOverride(100);
        int pongs = 0;
        connect(session.connection(), &ClientConnection::frameReceived, this, [&](const QJsonObject &f) {
            if (f.value(u"type"_s).toString() == u"pong"_s)
                ++pongs;
        });
        session.start(m_server.wsUrl(), ann.token);
        QVERIFY(waitOnline(session));
        QTRY_VERIFY_WITH_TIMEOUT(pongs >= 3, kWaitMs);
        QVERIFY(session.isOnline());
    }
};

QTEST_GUILESS_MAIN(TestClientSession)
#include "tst_clientsession.moc"
