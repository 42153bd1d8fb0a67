#pragma once

#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>
#include <memory>
#include <vector>

#include "server/sessions/session.h"

namespace Switchboard::Tests {

// Real Session objects for in-process service tests: each is the server side of a WebSocket
// between two QWebSockets of this process on 127.0.0.1, and the test reads what the service sent
// from the client side. No server binary, no database.
class LoopbackSessions
{
public:
    struct Pair
    {
        std::unique_ptr<QWebSocket> client;
        Server::Session *session = nullptr; // owned by the LoopbackSessions
        QList<QJsonObject> received; // frames the client got, in order
    };

    LoopbackSessions() : m_server(QStringLiteral("test"), QWebSocketServer::NonSecureMode)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
    }
    ~LoopbackSessions() { qDeleteAll(m_sessions); }

    // A connected pair; null when the loopback connection could not be made within 5 s.
    Pair *open(Server::Session::Limits limits = {})
    {
        auto pair = std::make_unique<Pair>();
        pair->client = std::make_unique<QWebSocket>();
        Pair *raw = pair.get();
        QObject::connect(raw->client.get(), &QWebSocket::textMessageReceived, raw->client.get(),
            [raw](const QString &text) { raw->received.append(QJsonDocument::fromJson(text.toUtf8()).object()); });
        raw->client->open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(m_server.serverPort())));
        if (!QTest::qWaitFor([&] { return m_server.hasPendingConnections(); }, 5000))
            return nullptr;
        std::unique_ptr<QWebSocket> serverSide(m_server.nextPendingConnection());
        serverSide->setParent(nullptr);
        raw->session = new Server::Session(std::move(serverSide), nullptr, ++m_nextId, limits);
        m_sessions.append(raw->session);
        if (!QTest::qWaitFor([&] { return raw->client->state() == QAbstractSocket::ConnectedState; }, 5000))
            return nullptr;
        m_pairs.push_back(std::move(pair));
        return raw;
    }

    // Waits until the client of `pair` holds at least `count` frames.
    static bool waitForFrames(const Pair *pair, qsizetype count, int timeoutMs = 5000)
    {
        return QTest::qWaitFor([&] { return pair->received.size() >= count; }, timeoutMs);
    }

private:
    QWebSocketServer m_server;
    QList<Server::Session *> m_sessions;
    std::vector<std::unique_ptr<Pair>> m_pairs;
    qint64 m_nextId = 0;
};

} // namespace Switchboard::Tests
