#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketServer>
#include <functional>
#include <memory>

#include "shared/client/clientconnection.h"
#include "shared/client/pendingrequest.h"
#include "shared/protocol/jsoncodec.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

// A scripted stand-in for the server: a QWebSocketServer on 127.0.0.1:0 that records what it
// receives and answers through a replaceable handler. The default handler answers like the
// real server: `ping` with `pong`, `auth` with session data, `silent` never, `fail` with an
// error, everything else with success and the request echoed in `data`.
class FakeServer : public QObject
{
    Q_OBJECT

public:
    using Handler = std::function<void(QWebSocket *socket, const QJsonObject &frame)>;

    FakeServer() : m_server(u"fake"_s, QWebSocketServer::NonSecureMode)
    {
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *socket = m_server.nextPendingConnection()) {
                m_sockets.append(socket);
                socket->setParent(this);
                connect(socket, &QWebSocket::textMessageReceived, this, [this, socket](const QString &text) {
                    const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
                    m_received.append(frame);
                    Q_EMIT frameArrived(frame);
                    if (m_handler)
                        m_handler(socket, frame);
                    else
                        defaultReply(socket, frame);
                });
                connect(socket, &QWebSocket::binaryMessageReceived, this,
                    [this](const QByteArray &data) { m_binary.append(data); });
                Q_EMIT socketConnected(socket);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url(const QString &query = {}) const
    {
        QUrl url(u"ws://127.0.0.1:%1/ws"_s.arg(m_server.serverPort()));
        if (!query.isEmpty())
            url.setQuery(query);
        return url;
    }
    QWebSocket *socket() const { return m_sockets.isEmpty() ? nullptr : m_sockets.last(); }
    void setHandler(Handler handler) { m_handler = std::move(handler); }

    static void send(QWebSocket *socket, const QJsonObject &frame)
    {
        socket->sendTextMessage(QString::fromUtf8(JsonCodec::serialize(frame)));
    }

    static QJsonObject sessionData()
    {
        return {{u"user"_s, JsonCodec::encode(UserInfo {12, u"ann"_s, u"Ann"_s, u"user"_s})},
            {u"session_id"_s, u"s-1"_s}, {u"resume_token"_s, u"r-1"_s}, {u"heartbeat_interval"_s, 30},
            {u"server_time"_s, 1763900000123.0}};
    }

    static void defaultReply(QWebSocket *socket, const QJsonObject &frame)
    {
        const QString type = frame.value(u"type"_s).toString();
        const QJsonValue id = frame.value(u"id"_s);
        if (type == u"silent")
            return;
        if (type == u"ping") {
            QJsonObject pong {{u"type"_s, u"pong"_s}, {u"timestamp"_s, 1763900000000.0}};
            if (!id.isUndefined())
                pong.insert(u"id"_s, id);
            send(socket, pong);
        } else if (type == u"auth") {
            if (frame.value(u"token"_s).toString() == u"good")
                send(socket, JsonCodec::successReply(type, id, sessionData()));
            else
                send(socket, JsonCodec::errorReply(type, id, ProtocolError::make(ErrorCode::AuthFailed, u"bad"_s)));
        } else if (type == u"fail") {
            ProtocolError e = ProtocolError::make(ErrorCode::RateLimited, u"slow down"_s);
            e.retryAfterMs = 250;
            send(socket, JsonCodec::errorReply(type, id, e));
        } else {
            send(socket, JsonCodec::successReply(type, id, {{u"echo"_s, frame}}));
        }
    }

    QList<QJsonObject> m_received;
    QList<QByteArray> m_binary;

Q_SIGNALS:
    void frameArrived(const QJsonObject &frame);
    void socketConnected(QWebSocket *socket);

private:
    QWebSocketServer m_server;
    QList<QWebSocket *> m_sockets;
    Handler m_handler;
};

constexpr int kWaitMs = 5000;

} // namespace

class TestClientConnection : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FakeServer> m_server;
    std::unique_ptr<ClientConnection> m_connection;

    // Opens a plain connection to the fake server and waits for Connected.
    bool openPlain()
    {
        QSignalSpy connected(m_connection.get(), &ClientConnection::connected);
        m_connection->open(m_server->url());
        return connected.wait(kWaitMs);
    }

    static bool waitFinished(PendingRequest *request)
    {
        if (request->isFinished())
            return true;
        QSignalSpy spy(request, &PendingRequest::finished);
        return spy.wait(kWaitMs);
    }

private slots:
    void init()
    {
        // An unexpected warning is a bug in the test or the code (expected ones are ignored
        // explicitly, which takes precedence).
        QTest::failOnWarning(QRegularExpression(u"."_s));
        m_server = std::make_unique<FakeServer>();
        QVERIFY(m_server->listen());
        m_connection = std::make_unique<ClientConnection>();
    }

    void cleanup()
    {
        m_connection.reset();
        m_server.reset();
    }

    void initialState()
    {
        QCOMPARE(m_connection->state(), ClientConnection::State::Disconnected);
        QCOMPARE(m_connection->closeCode(), -1);
        QCOMPARE(m_connection->userId(), 0);
        QCOMPARE(m_connection->pendingRequestCount(), 0);
    }

    void stateChangesOnOpenAndClose()
    {
        QSignalSpy states(m_connection.get(), &ClientConnection::stateChanged);
        QVERIFY(openPlain());
        QCOMPARE(m_connection->state(), ClientConnection::State::Connected);
        QSignalSpy disconnected(m_connection.get(), &ClientConnection::disconnected);
        m_connection->close(1000, u"bye"_s);
        // Like QAbstractSocket, this may happen before close() returns.
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, kWaitMs);
        QCOMPARE(disconnected.first().at(0).toInt(), 1000);
        QCOMPARE(m_connection->state(), ClientConnection::State::Disconnected);
        QCOMPARE(states.size(), 3);
        QCOMPARE(states.at(0).at(0).value<ClientConnection::State>(), ClientConnection::State::Connecting);
        QCOMPARE(states.at(1).at(0).value<ClientConnection::State>(), ClientConnection::State::Connected);
        QCOMPARE(states.at(2).at(0).value<ClientConnection::State>(), ClientConnection::State::Disconnected);
    }

    void idsIncrementAndRepliesMatchById()
    {
        // Replies come back in reverse order: matching must use the id, not the order.
        QList<QJsonObject> held;
        m_server->setHandler([&held](QWebSocket *socket, const QJsonObject &frame) {
            held.append(frame);
            if (held.size() < 3)
                return;
            for (auto it = held.crbegin(); it != held.crend(); ++it)
                FakeServer::defaultReply(socket, *it);
        });
        QVERIFY(openPlain());
        PendingRequest *a = m_connection->request(u"one"_s, {{u"n"_s, 1}});
        PendingRequest *b = m_connection->request(u"two"_s, {{u"n"_s, 2}});
        PendingRequest *c = m_connection->request(u"three"_s, {{u"n"_s, 3}});
        QCOMPARE(a->id(), 1);
        QCOMPARE(b->id(), 2);
        QCOMPARE(c->id(), 3);
        QCOMPARE(m_connection->pendingRequestCount(), 3);
        QVERIFY(waitFinished(a));
        QVERIFY(waitFinished(b));
        QVERIFY(waitFinished(c));

        for (PendingRequest *r : {a, b, c}) {
            QVERIFY(r->isSuccess());
            const QJsonObject echo = r->data().value(u"echo"_s).toObject();
            QCOMPARE(echo.value(u"type"_s).toString(), r->type());
            QCOMPARE(echo.value(u"id"_s).toInteger(), r->id());
            QCOMPARE(r->reply().value(u"id"_s).toInteger(), r->id());
            QVERIFY(r->elapsedMs() >= 0);
        }
        QCOMPARE(a->data().value(u"echo"_s).toObject().value(u"n"_s).toInt(), 1);
        QCOMPARE(c->data().value(u"echo"_s).toObject().value(u"n"_s).toInt(), 3);
        QCOMPARE(m_connection->pendingRequestCount(), 0);
        // On the wire: the request type and an integer id.
        QCOMPARE(m_server->m_received.at(0).value(u"id"_s), QJsonValue(1));
    }

    void succeededAndFinishedEmittedOnce()
    {
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->request(u"echo"_s);
        QSignalSpy succeeded(r, &PendingRequest::succeeded);
        QSignalSpy failed(r, &PendingRequest::failed);
        QSignalSpy finished(r, &PendingRequest::finished);
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(succeeded.size(), 1);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(succeeded.first().first().toJsonObject(), r->data());
        // Nothing more arrives later (e.g. from the timeout).
        r->setTimeout(50);
        QVERIFY(!finished.wait(200));
    }

    void pongMatchesPing()
    {
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->ping();
        QVERIFY(waitFinished(r));
        QVERIFY(r->isSuccess());
        // A pong has no `success`/`data`: the whole frame is the data.
        QCOMPARE(r->data().value(u"type"_s).toString(), u"pong"_s);
        QCOMPARE(r->data().value(u"id"_s).toInteger(), r->id());
        QCOMPARE(r->data(), r->reply());
    }

    void errorReplyFails()
    {
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->request(u"fail"_s);
        QSignalSpy failed(r, &PendingRequest::failed);
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY(r->isFinished());
        QVERIFY(!r->isSuccess());
        SB_COMPARE_CODE(r->error().code, ErrorCode::RateLimited);
        QCOMPARE(r->error().message, u"slow down"_s);
        QCOMPARE(r->error().retryAfterMs, 250);
        SB_COMPARE_CODE(failed.first().first().value<ProtocolError>().code, ErrorCode::RateLimited);
        QCOMPARE(r->reply().value(u"success"_s), QJsonValue(false));
        QVERIFY(r->data().isEmpty());
    }

    void timeoutFires()
    {
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->request(u"silent"_s, {}, 200);
        QCOMPARE(r->timeout(), 200);
        QSignalSpy failed(r, &PendingRequest::failed);
        QVERIFY(failed.wait(kWaitMs));
        SB_COMPARE_CODE(r->error().code, ErrorCode::Unavailable);
        QCOMPARE(r->error().message, u"timeout"_s);
        QVERIFY(r->reply().isEmpty());
        QCOMPARE(m_connection->pendingRequestCount(), 0);
    }

    void defaultTimeoutComesFromConnection()
    {
        QCOMPARE(m_connection->requestTimeout(), 10000);
        m_connection->setRequestTimeout(150);
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->request(u"silent"_s);
        QCOMPARE(r->timeout(), 150);
        QVERIFY(waitFinished(r));
        QCOMPARE(r->error().message, u"timeout"_s);
    }

    void lateReplyAfterTimeoutIsIgnored()
    {
        QWebSocket *serverSide = nullptr;
        QJsonObject held;
        m_server->setHandler([&](QWebSocket *socket, const QJsonObject &frame) {
            serverSide = socket;
            held = frame;
        });
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->request(u"slow"_s, {}, 100);
        QVERIFY(waitFinished(r));
        QCOMPARE(r->error().message, u"timeout"_s);
        QVERIFY(serverSide);
        QSignalSpy frames(m_connection.get(), &ClientConnection::frameReceived);
        QSignalSpy events(m_connection.get(), &ClientConnection::eventReceived);
        FakeServer::defaultReply(serverSide, held);
        QVERIFY(frames.wait(kWaitMs));
        QCOMPARE(events.size(), 0); // a reply, even unmatched, is not an event
        QVERIFY(!r->isSuccess());
    }

    void closeFailsPendingRequests()
    {
        QVERIFY(openPlain());
        PendingRequest *a = m_connection->request(u"silent"_s);
        PendingRequest *b = m_connection->request(u"silent"_s);
        QSignalSpy arrived(m_server.get(), &FakeServer::frameArrived);
        QTRY_COMPARE_WITH_TIMEOUT(arrived.size(), 2, kWaitMs);

        QSignalSpy failedA(a, &PendingRequest::failed);
        QSignalSpy disconnected(m_connection.get(), &ClientConnection::disconnected);
        m_server->socket()->close(QWebSocketProtocol::CloseCode(4003), u"kicked"_s);
        QVERIFY(disconnected.wait(kWaitMs));

        QCOMPARE(disconnected.first().at(0).toInt(), 4003);
        QCOMPARE(disconnected.first().at(1).toString(), u"kicked"_s);
        QCOMPARE(m_connection->closeCode(), 4003);
        QCOMPARE(m_connection->closeReason(), u"kicked"_s);
        QCOMPARE(failedA.size(), 1); // before disconnected()
        for (PendingRequest *r : {a, b}) {
            QVERIFY(r->isFinished());
            SB_COMPARE_CODE(r->error().code, ErrorCode::Unavailable);
            QCOMPARE(r->error().message, u"connection closed"_s);
        }
        QCOMPARE(m_connection->pendingRequestCount(), 0);
        QCOMPARE(m_connection->state(), ClientConnection::State::Disconnected);
    }

    void dropWithoutCloseFrameIs1006()
    {
        QVERIFY(openPlain());
        QSignalSpy disconnected(m_connection.get(), &ClientConnection::disconnected);
        m_server->socket()->abort();
        QVERIFY(disconnected.wait(kWaitMs));
        QCOMPARE(m_connection->closeCode(), 1006);
        QCOMPARE(disconnected.size(), 1);
    }

    void requestsWhileConnectingAreQueued()
    {
        QSignalSpy connected(m_connection.get(), &ClientConnection::connected);
        m_connection->open(m_server->url());
        QCOMPARE(m_connection->state(), ClientConnection::State::Connecting);
        PendingRequest *a = m_connection->request(u"first"_s);
        QVERIFY(m_connection->sendFrame({{u"type"_s, u"raw"_s}}));
        PendingRequest *b = m_connection->request(u"second"_s);
        QCOMPARE(m_connection->queuedFrameCount(), 3);
        QVERIFY(waitFinished(a));
        QVERIFY(waitFinished(b));
        QVERIFY(a->isSuccess());
        QVERIFY(b->isSuccess());
        QCOMPARE(m_connection->queuedFrameCount(), 0);
        // Sent in request order.
        QCOMPARE(m_server->m_received.size(), 3);
        QCOMPARE(m_server->m_received.at(0).value(u"type"_s).toString(), u"first"_s);
        QCOMPARE(m_server->m_received.at(1).value(u"type"_s).toString(), u"raw"_s);
        QCOMPARE(m_server->m_received.at(2).value(u"type"_s).toString(), u"second"_s);
    }

    void queueLimitFailsBeyondCap()
    {
        m_connection->setMaxQueuedFrames(2);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"^send queue full"_s));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"^send queue full"_s));
        m_connection->open(m_server->url());
        PendingRequest *a = m_connection->request(u"a"_s);
        PendingRequest *b = m_connection->request(u"b"_s);
        PendingRequest *c = m_connection->request(u"c"_s);
        // Reported asynchronously, so that a spy connected after request() still sees it.
        QSignalSpy failedC(c, &PendingRequest::failed);
        QVERIFY(!c->isFinished());
        QVERIFY(!m_connection->sendFrame({{u"type"_s, u"d"_s}}));
        QVERIFY(failedC.wait(kWaitMs));
        SB_COMPARE_CODE(c->error().code, ErrorCode::Unavailable);
        QCOMPARE(c->error().message, u"send queue full"_s);
        QVERIFY(waitFinished(a));
        QVERIFY(waitFinished(b));
        QVERIFY(a->isSuccess());
        QVERIFY(b->isSuccess());
    }

    void requestWhileDisconnectedFails()
    {
        PendingRequest *r = m_connection->ping();
        QSignalSpy failed(r, &PendingRequest::failed);
        QVERIFY(failed.wait(kWaitMs));
        QCOMPARE(r->error().message, u"not connected"_s);
        QVERIFY(!m_connection->sendRawText(u"{}"_s));
    }

    void connectionRefused()
    {
        // A port that was free a moment ago.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();

        QSignalSpy disconnected(m_connection.get(), &ClientConnection::disconnected);
        QSignalSpy errors(m_connection.get(), &ClientConnection::errorOccurred);
        m_connection->open(QUrl(u"ws://127.0.0.1:%1/ws"_s.arg(port)));
        PendingRequest *r = m_connection->ping();
        QVERIFY(disconnected.wait(kWaitMs));
        QVERIFY(!disconnected.wait(200)); // exactly once
        QCOMPARE(disconnected.size(), 1);
        QVERIFY(errors.size() >= 1);
        QCOMPARE(m_connection->state(), ClientConnection::State::Disconnected);
        QCOMPARE(m_connection->closeCode(), 1006);
        QVERIFY(!m_connection->errorString().isEmpty());
        QVERIFY(r->isFinished());
        QCOMPARE(r->error().message, u"connection closed"_s);
    }

    void closeWhileConnecting()
    {
        QSignalSpy disconnected(m_connection.get(), &ClientConnection::disconnected);
        m_connection->open(m_server->url());
        PendingRequest *r = m_connection->ping();
        m_connection->close();
        QCOMPARE(m_connection->state(), ClientConnection::State::Disconnected);
        QCOMPARE(disconnected.size(), 1);
        QCOMPARE(r->error().message, u"connection closed"_s);
    }

    void reopenAfterDisconnect()
    {
        QVERIFY(openPlain());
        QSignalSpy disconnected(m_connection.get(), &ClientConnection::disconnected);
        m_connection->close();
        QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, kWaitMs);
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->ping();
        QVERIFY(waitFinished(r));
        QVERIFY(r->isSuccess());
        QCOMPARE(m_connection->closeCode(), -1); // reset by open()
    }

    void authFrameIsSentFirstAndGatesTheQueue()
    {
        QSignalSpy authenticated(m_connection.get(), &ClientConnection::authenticated);
        m_connection->openWithToken(m_server->url(), u"good"_s, ClientConnection::TokenTransport::AuthFrame);
        PendingRequest *r = m_connection->request(u"after_auth"_s);
        QVERIFY(waitFinished(r));
        QVERIFY(r->isSuccess());
        QCOMPARE(authenticated.size(), 1);
        QCOMPARE(m_server->m_received.size(), 2);
        QCOMPARE(m_server->m_received.at(0).value(u"type"_s).toString(), u"auth"_s);
        QCOMPARE(m_server->m_received.at(0).value(u"token"_s).toString(), u"good"_s);
        QVERIFY(m_server->m_received.at(0).value(u"id"_s).isDouble());
        QCOMPARE(m_server->m_received.at(1).value(u"type"_s).toString(), u"after_auth"_s);

        QCOMPARE(m_connection->state(), ClientConnection::State::Authenticated);
        QCOMPARE(m_connection->userId(), 12);
        QCOMPARE(m_connection->user().username, u"ann"_s);
        QCOMPARE(m_connection->sessionId(), u"s-1"_s);
        QCOMPARE(m_connection->resumeToken(), u"r-1"_s);
        QCOMPARE(m_connection->heartbeatInterval(), 30);
        QCOMPARE(authenticated.first().first().toJsonObject(), FakeServer::sessionData());
    }

    void authFrameFailure()
    {
        QSignalSpy failed(m_connection.get(), &ClientConnection::authenticationFailed);
        QSignalSpy authenticated(m_connection.get(), &ClientConnection::authenticated);
        m_connection->openWithToken(m_server->url(), u"bad"_s);
        PendingRequest *queued = m_connection->request(u"queued"_s);
        QVERIFY(failed.wait(kWaitMs));
        SB_COMPARE_CODE(failed.first().first().value<ProtocolError>().code, ErrorCode::AuthFailed);
        QCOMPARE(authenticated.size(), 0);
        // The socket stays open and unauthenticated; the queue went to the server anyway.
        QCOMPARE(m_connection->state(), ClientConnection::State::Connected);
        QVERIFY(waitFinished(queued));
        QCOMPARE(m_server->m_received.last().value(u"type"_s).toString(), u"queued"_s);
    }

    void authenticateLaterOnPlainConnection()
    {
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->authenticate(u"good"_s);
        QSignalSpy authenticated(m_connection.get(), &ClientConnection::authenticated);
        QVERIFY(authenticated.wait(kWaitMs));
        QVERIFY(r->isSuccess());
        QCOMPARE(r->data(), FakeServer::sessionData());
        QCOMPARE(m_connection->state(), ClientConnection::State::Authenticated);
    }

    void resumeSessionUpdatesResumeToken()
    {
        m_server->setHandler([](QWebSocket *socket, const QJsonObject &frame) {
            QJsonObject data = FakeServer::sessionData();
            data.insert(u"resume_token"_s, u"r-2"_s);
            data.insert(u"restored_rooms"_s, QJsonArray {u"lobby"_s});
            data.insert(u"recovered"_s, true);
            FakeServer::send(
                socket, JsonCodec::successReply(frame.value(u"type"_s).toString(), frame.value(u"id"_s), data));
        });
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->resumeSession(u"r-1"_s);
        QVERIFY(waitFinished(r));
        QCOMPARE(m_server->m_received.first().value(u"type"_s).toString(), u"reconnect"_s);
        QCOMPARE(m_server->m_received.first().value(u"token"_s).toString(), u"r-1"_s);
        QCOMPARE(m_connection->state(), ClientConnection::State::Authenticated);
        QCOMPARE(m_connection->resumeToken(), u"r-2"_s);
        QCOMPARE(m_connection->sessionData().value(u"recovered"_s), QJsonValue(true));
    }

    void headerAndQueryTokens_data()
    {
        QTest::addColumn<ClientConnection::TokenTransport>("via");
        QTest::addRow("header") << ClientConnection::TokenTransport::Header;
        QTest::addRow("query") << ClientConnection::TokenTransport::Query;
    }

    void headerAndQueryTokens()
    {
        QFETCH(ClientConnection::TokenTransport, via);
        // Like the server: check the upgrade request, then push `session` or close with 4001.
        QByteArray authorization;
        QString queryToken;
        QString path;
        connect(m_server.get(), &FakeServer::socketConnected, this, [&](QWebSocket *socket) {
            authorization = socket->request().rawHeader("Authorization");
            queryToken = QUrlQuery(socket->requestUrl()).queryItemValue(u"token"_s);
            path = socket->requestUrl().path();
            QJsonObject session = FakeServer::sessionData();
            session.insert(u"type"_s, u"session"_s);
            FakeServer::send(socket, session);
        });
        QSignalSpy authenticated(m_connection.get(), &ClientConnection::authenticated);
        QSignalSpy events(m_connection.get(), &ClientConnection::eventReceived);
        m_connection->openWithToken(m_server->url(), u"tok.en-_1"_s, via);
        PendingRequest *r = m_connection->request(u"queued"_s);
        QVERIFY(authenticated.wait(kWaitMs));
        QCOMPARE(authenticated.first().first().toJsonObject(), FakeServer::sessionData());
        QCOMPARE(m_connection->state(), ClientConnection::State::Authenticated);
        QCOMPARE(m_connection->userId(), 12);
        QCOMPARE(events.first().first().toString(), u"session"_s);
        QCOMPARE(path, u"/ws"_s);
        if (via == ClientConnection::TokenTransport::Header) {
            QCOMPARE(authorization, QByteArray("Bearer tok.en-_1"));
            QVERIFY(queryToken.isEmpty());
        } else {
            QVERIFY(authorization.isEmpty());
            QCOMPARE(queryToken, u"tok.en-_1"_s);
        }
        // Queued until the session arrived, and no auth frame was sent.
        QVERIFY(waitFinished(r));
        QVERIFY(r->isSuccess());
        QCOMPARE(m_server->m_received.size(), 1);
        QCOMPARE(m_server->m_received.first().value(u"type"_s).toString(), u"queued"_s);
    }

    void eventsBecomeSignals()
    {
        QVERIFY(openPlain());
        QSignalSpy events(m_connection.get(), &ClientConnection::eventReceived);
        QSignalSpy messages(m_connection.get(), &ClientConnection::messageReceived);
        QSignalSpy synced(m_connection.get(), &ClientConnection::syncCompleted);
        QSignalSpy receipts(m_connection.get(), &ClientConnection::receiptReceived);
        QSignalSpy typing(m_connection.get(), &ClientConnection::typingReceived);
        QSignalSpy presence(m_connection.get(), &ClientConnection::presenceReceived);
        QSignalSpy rooms(m_connection.get(), &ClientConnection::roomMessageReceived);
        QSignalSpy frames(m_connection.get(), &ClientConnection::frameReceived);

        ChatMessage m;
        m.id = 981;
        m.conversationId = 44;
        m.seq = 17;
        m.senderId = 13;
        m.type = u"text"_s;
        m.content = u"hello"_s;
        m.createdAt = 1763900000456;
        QWebSocket *s = m_server->socket();
        FakeServer::send(
            s, {{u"type"_s, u"new_message"_s}, {u"message"_s, JsonCodec::encode(m)}, {u"offline"_s, true}});
        FakeServer::send(s, {{u"type"_s, u"new_message"_s}, {u"message"_s, JsonCodec::encode(m)}});
        FakeServer::send(s, {{u"type"_s, u"sync_complete"_s}, {u"count"_s, 1}, {u"has_more"_s, true}});
        FakeServer::send(s,
            {{u"type"_s, u"receipt"_s}, {u"conversation_id"_s, 44}, {u"user_id"_s, 13}, {u"kind"_s, u"read"_s},
                {u"seq"_s, 17}});
        FakeServer::send(s, {{u"type"_s, u"typing"_s}, {u"conversation_id"_s, 44}, {u"user_id"_s, 13}});
        FakeServer::send(s,
            {{u"type"_s, u"presence"_s}, {u"user_id"_s, 13}, {u"status"_s, u"away"_s},
                {u"last_seen_at"_s, 1763900000000.0}});
        FakeServer::send(s,
            {{u"type"_s, u"room_message"_s}, {u"room"_s, u"lobby"_s}, {u"from"_s, 13}, {u"data"_s, QJsonArray {1, 2}},
                {u"timestamp"_s, 1.0}, {u"recovered"_s, true}});
        FakeServer::send(s, {{u"type"_s, u"something_new"_s}, {u"x"_s, 1}});

        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 8, kWaitMs);
        QCOMPARE(frames.size(), 8);
        QCOMPARE(events.last().at(0).toString(), u"something_new"_s);
        QCOMPARE(events.last().at(1).toJsonObject().value(u"x"_s).toInt(), 1);

        QCOMPARE(messages.size(), 2);
        const auto first = messages.at(0).at(0).value<ChatMessage>();
        QCOMPARE(first.id, 981);
        QCOMPARE(first.content, u"hello"_s);
        QCOMPARE(first.senderId, 13);
        QCOMPARE(messages.at(0).at(1).toBool(), true);
        QCOMPARE(messages.at(1).at(1).toBool(), false);

        QCOMPARE(synced.size(), 1);
        QCOMPARE(synced.first().at(0).toInt(), 1);
        QCOMPARE(synced.first().at(1).toBool(), true);

        QCOMPARE(receipts.size(), 1);
        QCOMPARE(receipts.first().at(0).toLongLong(), 44);
        QCOMPARE(receipts.first().at(1).toLongLong(), 13);
        QCOMPARE(receipts.first().at(2).toString(), u"read"_s);
        QCOMPARE(receipts.first().at(3).toLongLong(), 17);

        QCOMPARE(typing.size(), 1);
        QCOMPARE(typing.first().at(0).toLongLong(), 44);
        QCOMPARE(typing.first().at(1).toLongLong(), 13);

        QCOMPARE(presence.size(), 1);
        QCOMPARE(presence.first().at(0).toLongLong(), 13);
        QCOMPARE(presence.first().at(1).toString(), u"away"_s);
        QCOMPARE(presence.first().at(2).toLongLong(), 1763900000000);

        QCOMPARE(rooms.size(), 1);
        QCOMPARE(rooms.first().at(0).toString(), u"lobby"_s);
        QCOMPARE(rooms.first().at(1).toLongLong(), 13);
        QCOMPARE(rooms.first().at(2).toJsonValue(), QJsonValue(QJsonArray {1, 2}));
        QCOMPARE(rooms.first().at(3).toBool(), true);
    }

    void unmatchedRepliesAreNotEvents()
    {
        QVERIFY(openPlain());
        QSignalSpy frames(m_connection.get(), &ClientConnection::frameReceived);
        QSignalSpy events(m_connection.get(), &ClientConnection::eventReceived);
        QVERIFY(m_connection->sendFrame({{u"type"_s, u"echo"_s}, {u"id"_s, u"mine"_s}}));
        QVERIFY(m_connection->sendFrame({{u"type"_s, u"ping"_s}, {u"id"_s, 777}}));
        QTRY_COMPARE_WITH_TIMEOUT(frames.size(), 2, kWaitMs);
        QCOMPARE(frames.at(0).at(0).toJsonObject().value(u"id"_s).toString(), u"mine"_s);
        QCOMPARE(frames.at(1).at(0).toJsonObject().value(u"type"_s).toString(), u"pong"_s);
        QCOMPARE(events.size(), 0);
    }

    void rawFramesReachTheServer()
    {
        QVERIFY(openPlain());
        QSignalSpy arrived(m_server.get(), &FakeServer::frameArrived);
        QVERIFY(m_connection->sendRawText(u"{\"type\":\"raw\",\"n\":1}"_s));
        QVERIFY(arrived.wait(kWaitMs));
        QCOMPARE(m_server->m_received.last().value(u"n"_s).toInt(), 1);
        QVERIFY(m_connection->sendRawBinary(QByteArray("\x00\x01", 2)));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->m_binary.size(), 1, kWaitMs);
        QCOMPARE(m_server->m_binary.first(), QByteArray("\x00\x01", 2));
    }

    void invalidFramesReportErrors()
    {
        QVERIFY(openPlain());
        QSignalSpy errors(m_connection.get(), &ClientConnection::errorOccurred);
        QSignalSpy frames(m_connection.get(), &ClientConnection::frameReceived);
        const QRegularExpression notObject(u"^frame is not a JSON object"_s);
        QTest::ignoreMessage(QtWarningMsg, notObject);
        QTest::ignoreMessage(QtWarningMsg, notObject);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"^unexpected binary frame"_s));
        m_server->socket()->sendTextMessage(u"not json"_s);
        m_server->socket()->sendTextMessage(u"[1,2]"_s);
        m_server->socket()->sendBinaryMessage("bin");
        QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 3, kWaitMs);
        QCOMPARE(frames.size(), 0);
        QCOMPARE(m_connection->state(), ClientConnection::State::Connected);
    }

    void largeIncomingMessage()
    {
        QVERIFY(openPlain());
        QSignalSpy events(m_connection.get(), &ClientConnection::eventReceived);
        const QString big(3 * 1024 * 1024, u'x'); // above Qt's frame defaults of old versions
        FakeServer::send(m_server->socket(), {{u"type"_s, u"big"_s}, {u"blob"_s, big}});
        QVERIFY(events.wait(kWaitMs));
        QCOMPARE(events.first().at(1).toJsonObject().value(u"blob"_s).toString().size(), big.size());
    }

    void convenienceRequestsHaveProtocolShape()
    {
        QVERIFY(openPlain());
        QList<PendingRequest *> requests {
            m_connection->sendText(44, u"hi"_s, u"c-1"_s),
            m_connection->sendTextTo(13, u"yo"_s),
            m_connection->history(44, 10, 0, 20),
            m_connection->markRead(44, 17),
            m_connection->markReceived(44, 16),
            m_connection->sendTyping(44),
            m_connection->conversations(),
            m_connection->joinRoom(u"lobby"_s),
            m_connection->broadcast(u"lobby"_s, QJsonObject {{u"k"_s, 1}}, true),
            m_connection->setStatus(u"away"_s),
            m_connection->sendAttachment(44, u"image"_s, 7, u"cap"_s),
        };
        for (PendingRequest *r : requests)
            QVERIFY(waitFinished(r));
        const QList<QJsonObject> &got = m_server->m_received;
        QCOMPARE(got.size(), requests.size());

        QCOMPARE(got[0].value(u"type"_s).toString(), u"message"_s);
        QCOMPARE(got[0].value(u"conversation_id"_s), QJsonValue(44));
        QCOMPARE(got[0].value(u"content"_s).toString(), u"hi"_s);
        QCOMPARE(got[0].value(u"message_type"_s).toString(), u"text"_s);
        QCOMPARE(got[0].value(u"client_msg_id"_s).toString(), u"c-1"_s);
        QCOMPARE(got[1].value(u"to"_s), QJsonValue(13));
        QVERIFY(!got[1].contains(u"client_msg_id"_s));
        QVERIFY(!got[1].contains(u"conversation_id"_s));
        QCOMPARE(got[2].value(u"type"_s).toString(), u"history"_s);
        QCOMPARE(got[2].value(u"before_seq"_s), QJsonValue(10));
        QVERIFY(!got[2].contains(u"after_seq"_s));
        QCOMPARE(got[2].value(u"limit"_s), QJsonValue(20));
        QCOMPARE(got[3].value(u"type"_s).toString(), u"read"_s);
        QCOMPARE(got[3].value(u"seq"_s), QJsonValue(17));
        QCOMPARE(got[4].value(u"type"_s).toString(), u"received"_s);
        QCOMPARE(got[4].value(u"seq"_s), QJsonValue(16));
        QCOMPARE(got[5].value(u"type"_s).toString(), u"typing"_s);
        QCOMPARE(got[6].value(u"type"_s).toString(), u"conversations"_s);
        QCOMPARE(got[7].value(u"room"_s).toString(), u"lobby"_s);
        QCOMPARE(got[8].value(u"data"_s).toObject().value(u"k"_s).toInt(), 1);
        QCOMPARE(got[8].value(u"echo"_s), QJsonValue(true));
        QCOMPARE(got[9].value(u"status"_s).toString(), u"away"_s);
        QCOMPARE(got[10].value(u"message_type"_s).toString(), u"image"_s);
        QCOMPARE(got[10].value(u"attachment"_s).toObject().value(u"file_id"_s), QJsonValue(7));
        QCOMPARE(got[10].value(u"content"_s).toString(), u"cap"_s);
    }

    void autoDeleteRequests()
    {
        m_connection->setAutoDeleteRequests(true);
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->ping();
        QVERIFY(r->autoDelete());
        QSignalSpy destroyed(r, &QObject::destroyed);
        QVERIFY(destroyed.wait(kWaitMs));
        QCOMPARE(m_connection->pendingRequestCount(), 0);
    }

    void deletingAPendingRequestForgetsIt()
    {
        QVERIFY(openPlain());
        PendingRequest *r = m_connection->request(u"silent"_s);
        QCOMPARE(m_connection->pendingRequestCount(), 1);
        delete r;
        QCOMPARE(m_connection->pendingRequestCount(), 0);
        // The connection is still fine.
        PendingRequest *p = m_connection->ping();
        QVERIFY(waitFinished(p));
        QVERIFY(p->isSuccess());
    }

    void destroyingTheConnectionWithPendingRequests()
    {
        QVERIFY(openPlain());
        m_connection->request(u"silent"_s);
        m_connection->request(u"silent"_s);
        m_connection.reset(); // must not crash or emit into a dead object
        QVERIFY(true);
    }
};

QTEST_GUILESS_MAIN(TestClientConnection)
#include "tst_clientconnection.moc"
