#include "shared/client/clientconnection.h"

#include <QJsonDocument>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>
#ifndef QT_NO_SSL
#include <QSslConfiguration>
#include <QSslError>
#endif

#include "shared/client/logging.h"
#include "shared/client/pendingrequest.h"
#include "shared/protocol/frametypes.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {
// RFC 6455 7.1.5: the code reported when the connection ended without a close frame.
constexpr int kAbnormalClosure = 1006;

qint64 toInt64(const QJsonValue &value)
{
    return qint64(value.toDouble());
}

ProtocolError clientError(const QString &message)
{
    return ProtocolError::make(ErrorCode::Unavailable, message);
}
} // namespace

ClientConnection::ClientConnection(QObject *parent)
    : QObject(parent), m_socket(new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this))
{
    // The server caps what it accepts (max_frame_bytes) but may send large history pages or
    // admin listings; the client only protects itself against absurd sizes.
    m_socket->setMaxAllowedIncomingMessageSize(MaxIncomingMessageBytes);
    m_socket->setMaxAllowedIncomingFrameSize(MaxIncomingMessageBytes);

    connect(m_socket, &QWebSocket::connected, this, &ClientConnection::onConnected);
    connect(m_socket, &QWebSocket::disconnected, this, &ClientConnection::onDisconnected);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &ClientConnection::onTextMessage);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &data) {
        qCWarning(lcClient) << "unexpected binary frame of" << data.size() << "bytes";
        Q_EMIT errorOccurred(u"unexpected binary frame"_s);
    });
    // Qt 6.4 has no QWebSocket::errorOccurred.
    connect(
        m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, &ClientConnection::onSocketError);
    // aboutToClose is emitted when a close frame is sent, either by close() or in answer to the
    // server's close frame; without it the socket's closeCode() is stale.
    connect(m_socket, &QWebSocket::aboutToClose, this, [this] { m_closeFrameSeen = true; });
#ifndef QT_NO_SSL
    connect(m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        if (m_ignoreSslErrors) {
            m_socket->ignoreSslErrors();
            return;
        }
        for (const QSslError &e : errors)
            qCWarning(lcClient) << "TLS error:" << e.errorString();
    });
#endif
}

ClientConnection::~ClientConnection()
{
    // No signals from a half-destroyed object: detach, then drop the TCP connection. Pending
    // requests are children and go with us.
    m_socket->disconnect(this);
    m_socket->abort();
}

#ifndef QT_NO_SSL
void ClientConnection::setSslConfiguration(const QSslConfiguration &configuration)
{
    m_socket->setSslConfiguration(configuration);
}
#endif

void ClientConnection::open(const QUrl &wsUrl)
{
    if (m_state != State::Disconnected) {
        qCWarning(lcClient) << "open() ignored: connection is" << m_state;
        return;
    }
    m_waitForAuth = false;
    m_pendingAuthToken.clear();
    m_pendingResumeToken.clear();
    m_fallbackToken.clear();
    startOpen(wsUrl, {});
}

void ClientConnection::openWithResume(const QUrl &wsUrl, const QString &resumeToken, const QString &fallbackToken)
{
    if (m_state != State::Disconnected) {
        qCWarning(lcClient) << "openWithResume() ignored: connection is" << m_state;
        return;
    }
    m_waitForAuth = true;
    m_pendingAuthToken.clear();
    m_pendingResumeToken = resumeToken;
    m_fallbackToken = fallbackToken;
    startOpen(wsUrl, {});
}

void ClientConnection::openWithToken(const QUrl &wsUrl, const QString &token, TokenTransport via)
{
    if (m_state != State::Disconnected) {
        qCWarning(lcClient) << "openWithToken() ignored: connection is" << m_state;
        return;
    }
    m_waitForAuth = true;
    m_pendingAuthToken.clear();
    m_pendingResumeToken.clear();
    m_fallbackToken.clear();
    switch (via) {
    case TokenTransport::AuthFrame:
        m_pendingAuthToken = token;
        startOpen(wsUrl, {});
        break;
    case TokenTransport::Header:
        startOpen(wsUrl, "Bearer " + token.toUtf8());
        break;
    case TokenTransport::Query: {
        QUrl url = wsUrl;
        QUrlQuery query(url);
        query.removeAllQueryItems(u"token"_s);
        // JWTs are base64url plus dots, but encode anyway: the token is opaque to clients.
        query.addQueryItem(u"token"_s, QString::fromLatin1(QUrl::toPercentEncoding(token)));
        url.setQuery(query);
        startOpen(url, {});
        break;
    }
    }
}

void ClientConnection::startOpen(const QUrl &wsUrl, const QByteArray &authorization)
{
    ++m_generation;
    m_url = wsUrl;
    m_ready = false;
    m_closeFrameSeen = false;
    m_closeCode = -1;
    m_closeReason.clear();
    m_errorString.clear();
    m_sessionData = {};
    m_user = {};
    m_sessionId.clear();
    m_heartbeatInterval = 0;
    m_resumed = false;

    QNetworkRequest request(wsUrl);
    if (!m_userAgent.isEmpty())
        request.setRawHeader("User-Agent", m_userAgent);
    if (!authorization.isEmpty())
        request.setRawHeader("Authorization", authorization);
    qCDebug(lcClient) << "opening" << wsUrl.toString(QUrl::RemoveQuery);
    setState(State::Connecting);
    m_socket->open(request);
}

void ClientConnection::close(int closeCode, const QString &reason)
{
    if (m_state == State::Disconnected)
        return;
    if (m_state == State::Connecting) {
        // No WebSocket yet to send a close frame on.
        abort();
        return;
    }
    m_socket->close(QWebSocketProtocol::CloseCode(closeCode), reason);
}

void ClientConnection::abort()
{
    if (m_state == State::Disconnected)
        return;
    m_socket->abort();
    // abort() of a socket that never connected emits no disconnected().
    if (m_state != State::Disconnected && m_socket->state() == QAbstractSocket::UnconnectedState)
        onDisconnected();
}

void ClientConnection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

// --- sending ---------------------------------------------------------------------------------

PendingRequest *ClientConnection::request(const QString &type, const QJsonObject &fields)
{
    return createRequest(type, fields, m_requestTimeoutMs, false);
}

PendingRequest *ClientConnection::request(const QString &type, const QJsonObject &fields, int timeoutMs)
{
    return createRequest(type, fields, timeoutMs, false);
}

PendingRequest *ClientConnection::createRequest(
    const QString &type, const QJsonObject &fields, int timeoutMs, bool bypassQueue)
{
    const qint64 id = m_nextId++;
    QJsonObject frame = fields;
    frame.insert(u"type"_s, type);
    frame.insert(u"id"_s, double(id));

    auto *request = new PendingRequest(frame, id, timeoutMs, this);
    request->setAutoDelete(m_autoDeleteRequests);
    m_pending.insert(id, request);
    // However the request ends (reply, timeout, deletion by its owner), forget it.
    connect(request, &PendingRequest::finished, this, [this, id, request] {
        if (m_pending.value(id) == request)
            m_pending.remove(id);
    });
    connect(request, &QObject::destroyed, this, [this, id, request] {
        if (m_pending.value(id) == request)
            m_pending.remove(id);
    });

    OutgoingFrame out;
    out.text = QString::fromUtf8(JsonCodec::serialize(frame));
    out.request = request;
    enqueue(std::move(out), bypassQueue);
    return request;
}

bool ClientConnection::sendFrame(const QJsonObject &frame)
{
    OutgoingFrame out;
    out.text = QString::fromUtf8(JsonCodec::serialize(frame));
    return enqueue(std::move(out), false);
}

bool ClientConnection::sendRawText(const QString &text)
{
    OutgoingFrame out;
    out.text = text;
    return enqueue(std::move(out), false);
}

bool ClientConnection::sendRawBinary(const QByteArray &data)
{
    OutgoingFrame out;
    out.binary = data;
    out.isBinary = true;
    return enqueue(std::move(out), false);
}

void ClientConnection::sendWebSocketPing(const QByteArray &payload)
{
    if (m_state == State::Connected || m_state == State::Authenticated)
        m_socket->ping(payload);
}

bool ClientConnection::enqueue(OutgoingFrame frame, bool bypassQueue)
{
    const bool open = m_state == State::Connected || m_state == State::Authenticated;
    if (open && (m_ready || bypassQueue)) {
        writeFrame(frame);
        return true;
    }
    if (m_state == State::Disconnected) {
        if (frame.request)
            failLater(frame.request, u"not connected"_s);
        return false;
    }
    if (qsizetype(m_queue.size()) >= m_maxQueuedFrames) {
        qCWarning(lcClient) << "send queue full," << m_queue.size() << "frames waiting";
        if (frame.request)
            failLater(frame.request, u"send queue full"_s);
        return false;
    }
    m_queue.push_back(std::move(frame));
    return true;
}

void ClientConnection::failLater(PendingRequest *request, const QString &message)
{
    // The caller has not connected to the request's signals yet when request() returns.
    QPointer<PendingRequest> guard(request);
    QMetaObject::invokeMethod(
        this,
        [guard, message] {
            if (guard)
                guard->finishWithError(clientError(message));
        },
        Qt::QueuedConnection);
}

void ClientConnection::writeFrame(const OutgoingFrame &frame)
{
    if (frame.isBinary)
        m_socket->sendBinaryMessage(frame.binary);
    else
        m_socket->sendTextMessage(frame.text);
}

void ClientConnection::flushQueue()
{
    while (!m_queue.empty() && m_ready && (m_state == State::Connected || m_state == State::Authenticated)) {
        OutgoingFrame frame = std::move(m_queue.front());
        m_queue.pop_front();
        // A request that timed out while queued is not sent any more: nobody waits for it.
        if (frame.request && frame.request->isFinished())
            continue;
        writeFrame(frame);
    }
}

// --- convenience requests --------------------------------------------------------------------

PendingRequest *ClientConnection::authenticate(const QString &token)
{
    return request(RequestType::Auth, {{u"token"_s, token}});
}

PendingRequest *ClientConnection::resumeSession(const QString &resumeToken)
{
    return request(RequestType::Reconnect, {{u"token"_s, resumeToken}});
}

PendingRequest *ClientConnection::ping()
{
    return request(RequestType::Ping);
}

PendingRequest *ClientConnection::sendText(qint64 conversationId, const QString &text, const QString &clientMsgId)
{
    QJsonObject fields {
        {u"conversation_id"_s, double(conversationId)}, {u"content"_s, text}, {u"message_type"_s, u"text"_s}};
    if (!clientMsgId.isEmpty())
        fields.insert(u"client_msg_id"_s, clientMsgId);
    return request(RequestType::Message, fields);
}

PendingRequest *ClientConnection::sendTextTo(qint64 userId, const QString &text, const QString &clientMsgId)
{
    QJsonObject fields {{u"to"_s, double(userId)}, {u"content"_s, text}, {u"message_type"_s, u"text"_s}};
    if (!clientMsgId.isEmpty())
        fields.insert(u"client_msg_id"_s, clientMsgId);
    return request(RequestType::Message, fields);
}

PendingRequest *ClientConnection::sendAttachment(qint64 conversationId, const QString &messageType, qint64 fileId,
    const QString &caption, const QString &clientMsgId)
{
    QJsonObject fields {{u"conversation_id"_s, double(conversationId)}, {u"message_type"_s, messageType},
        {u"attachment"_s, QJsonObject {{u"file_id"_s, double(fileId)}}}};
    if (!caption.isEmpty())
        fields.insert(u"content"_s, caption);
    if (!clientMsgId.isEmpty())
        fields.insert(u"client_msg_id"_s, clientMsgId);
    return request(RequestType::Message, fields);
}

PendingRequest *ClientConnection::history(qint64 conversationId, qint64 beforeSeq, qint64 afterSeq, int limit)
{
    QJsonObject fields {{u"conversation_id"_s, double(conversationId)}};
    if (beforeSeq > 0)
        fields.insert(u"before_seq"_s, double(beforeSeq));
    if (afterSeq > 0)
        fields.insert(u"after_seq"_s, double(afterSeq));
    if (limit > 0)
        fields.insert(u"limit"_s, limit);
    return request(RequestType::History, fields);
}

PendingRequest *ClientConnection::markRead(qint64 conversationId, qint64 seq)
{
    return request(RequestType::Read, {{u"conversation_id"_s, double(conversationId)}, {u"seq"_s, double(seq)}});
}

PendingRequest *ClientConnection::markReceived(qint64 conversationId, qint64 seq)
{
    return request(RequestType::Received, {{u"conversation_id"_s, double(conversationId)}, {u"seq"_s, double(seq)}});
}

PendingRequest *ClientConnection::sendTyping(qint64 conversationId)
{
    return request(RequestType::Typing, {{u"conversation_id"_s, double(conversationId)}});
}

PendingRequest *ClientConnection::conversations()
{
    return request(RequestType::Conversations);
}

PendingRequest *ClientConnection::setStatus(const QString &status)
{
    return request(RequestType::Status, {{u"status"_s, status}});
}

PendingRequest *ClientConnection::joinRoom(const QString &room)
{
    return request(RequestType::Join, {{u"room"_s, room}});
}

PendingRequest *ClientConnection::leaveRoom(const QString &room)
{
    return request(RequestType::Leave, {{u"room"_s, room}});
}

PendingRequest *ClientConnection::broadcast(const QString &room, const QJsonValue &data, bool echo)
{
    QJsonObject fields {{u"room"_s, room}, {u"data"_s, data}};
    if (echo)
        fields.insert(u"echo"_s, true);
    return request(RequestType::Broadcast, fields);
}

// --- socket events ---------------------------------------------------------------------------

void ClientConnection::onConnected()
{
    qCDebug(lcClient) << "connected to" << m_url.toString(QUrl::RemoveQuery);
    setState(State::Connected);
    Q_EMIT connected();
    if (m_state != State::Connected)
        return; // a slot closed us
    if (!m_pendingAuthToken.isEmpty()) {
        const QString token = std::exchange(m_pendingAuthToken, QString());
        // Ahead of anything queued: those requests need an authenticated connection.
        createRequest(RequestType::Auth, {{u"token"_s, token}}, m_requestTimeoutMs, true);
    } else if (!m_pendingResumeToken.isEmpty()) {
        const QString token = std::exchange(m_pendingResumeToken, QString());
        createRequest(RequestType::Reconnect, {{u"token"_s, token}}, m_requestTimeoutMs, true);
    }
    if (!m_waitForAuth) {
        m_ready = true;
        flushQueue();
    }
}

void ClientConnection::onSocketError(QAbstractSocket::SocketError error)
{
    m_errorString = m_socket->errorString();
    qCDebug(lcClient) << "socket error" << error << m_errorString;
    Q_EMIT errorOccurred(m_errorString);
    // A failed connect (refused, TLS, bad URL) ends without QWebSocket::disconnected(). Decide
    // after the socket has finished its own handling, and only for this connection attempt.
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(
        this,
        [this, generation] {
            if (generation == m_generation && m_state != State::Disconnected
                && m_socket->state() == QAbstractSocket::UnconnectedState)
                onDisconnected();
        },
        Qt::QueuedConnection);
}

void ClientConnection::onDisconnected()
{
    if (m_state == State::Disconnected)
        return;
    if (m_closeFrameSeen) {
        m_closeCode = int(m_socket->closeCode());
        m_closeReason = m_socket->closeReason();
    } else {
        m_closeCode = kAbnormalClosure;
        m_closeReason = m_errorString;
    }
    qCDebug(lcClient) << "disconnected" << m_closeCode << m_closeReason;
    m_ready = false;
    m_pendingAuthToken.clear();
    m_pendingResumeToken.clear();
    m_fallbackToken.clear();
    setState(State::Disconnected);

    // Fail everything that can no longer be answered: first what never left, then what did.
    std::deque<OutgoingFrame> queue;
    queue.swap(m_queue);
    for (const OutgoingFrame &frame : queue) {
        if (frame.request)
            frame.request->finishWithError(clientError(u"connection closed"_s));
    }
    const QList<PendingRequest *> pending = m_pending.values();
    m_pending.clear();
    QList<QPointer<PendingRequest>> guarded;
    for (PendingRequest *request : pending)
        guarded.append(request);
    for (const QPointer<PendingRequest> &request : guarded) {
        if (request)
            request->finishWithError(clientError(u"connection closed"_s));
    }
    Q_EMIT disconnected(m_closeCode, m_closeReason);
}

void ClientConnection::onTextMessage(const QString &text)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &parseError);
    if (!doc.isObject()) {
        qCWarning(lcClient) << "frame is not a JSON object:" << parseError.errorString();
        Q_EMIT errorOccurred(u"frame is not a JSON object"_s);
        return;
    }
    const QJsonObject frame = doc.object();
    Q_EMIT frameReceived(frame);

    const QJsonValue id = frame.value(u"id"_s);
    if (id.isDouble()) {
        if (PendingRequest *request = m_pending.value(toInt64(id))) {
            handleReply(request, frame);
            return;
        }
    }
    if (!id.isUndefined() || frame.contains(u"success"_s)) {
        // A reply to something sent with sendFrame()/sendRawText(): only frameReceived() sees it.
        qCDebug(lcClient) << "unmatched reply" << frame.value(u"type"_s).toString() << id;
        return;
    }
    handleEvent(frame.value(u"type"_s).toString(), frame);
}

void ClientConnection::handleReply(PendingRequest *request, const QJsonObject &frame)
{
    m_pending.remove(request->id());
    const bool isAuth = request->type() == u"auth" || request->type() == u"reconnect";
    const bool success = frame.value(u"success"_s).toBool();
    QPointer<PendingRequest> guard(request);
    if (isAuth && !success && request->type() == u"reconnect" && !m_fallbackToken.isEmpty() && m_waitForAuth && !m_ready
        && JsonCodec::decodeError(frame.value(u"error"_s).toObject()).code == ErrorCode::AuthFailed) {
        // The session is gone (expired, used token, server restarted): start a fresh one ahead of
        // anything queued. Only the outcome of that auth is reported.
        qCDebug(lcClient) << "resume refused, authenticating afresh";
        const QString token = std::exchange(m_fallbackToken, QString());
        createRequest(RequestType::Auth, {{u"token"_s, token}}, m_requestTimeoutMs, true);
        if (guard)
            guard->finishWithReply(frame);
        return;
    }
    if (isAuth && success) {
        m_fallbackToken.clear();
        m_resumed = request->type() == u"reconnect";
        applySession(frame.value(u"data"_s).toObject());
    } else if (isAuth) {
        m_fallbackToken.clear();
        const ProtocolError error = JsonCodec::decodeError(frame.value(u"error"_s).toObject());
        qCDebug(lcClient) << request->type() << "failed:" << error.message;
        Q_EMIT authenticationFailed(error);
    }
    if (guard)
        guard->finishWithReply(frame);
    if (isAuth && m_waitForAuth && !m_ready && (m_state == State::Connected || m_state == State::Authenticated)) {
        // Flush even after a failed auth: the server answers the queued requests itself
        // (not_authenticated), which is more honest than failing them here.
        m_ready = true;
        flushQueue();
    }
}

void ClientConnection::applySession(const QJsonObject &sessionData)
{
    m_sessionData = sessionData;
    if (auto user = JsonCodec::decodeUser(sessionData.value(u"user"_s).toObject()))
        m_user = user.value();
    m_sessionId = sessionData.value(u"session_id"_s).toString();
    m_resumeToken = sessionData.value(u"resume_token"_s).toString();
    m_heartbeatInterval = sessionData.value(u"heartbeat_interval"_s).toInt();
    setState(State::Authenticated);
    Q_EMIT authenticated(sessionData);
}

void ClientConnection::handleEvent(const QString &type, const QJsonObject &frame)
{
    if (type == EventType::Session) {
        // Header/query authentication: the session facts arrive as an event.
        QJsonObject data = frame;
        data.remove(u"type"_s);
        applySession(data);
        if (m_waitForAuth && !m_ready) {
            m_ready = true;
            flushQueue();
        }
    }

    Q_EMIT eventReceived(type, frame);

    // Every event is decoded by the protocol's codec; a malformed one is reported, not emitted
    // with made-up zeros.
    auto malformed = [this](const ProtocolError &e) {
        qCWarning(lcClient).noquote() << "malformed event:" << e.message;
        Q_EMIT errorOccurred(u"malformed event: "_s + e.message);
    };
    if (type == EventType::NewMessage) {
        auto message = JsonCodec::decodeMessage(frame.value(u"message"_s).toObject());
        if (!message)
            return malformed(message.error());
        Q_EMIT messageReceived(message.value(), frame.value(u"offline"_s).toBool());
    } else if (type == EventType::SyncComplete) {
        auto e = JsonCodec::decodeSyncComplete(frame);
        if (!e)
            return malformed(e.error());
        Q_EMIT syncCompleted(e->count, e->hasMore);
    } else if (type == EventType::Receipt) {
        auto e = JsonCodec::decodeReceipt(frame);
        if (!e)
            return malformed(e.error());
        Q_EMIT receiptReceived(e->conversationId, e->userId, e->kind, e->seq);
    } else if (type == EventType::Typing) {
        auto e = JsonCodec::decodeTyping(frame);
        if (!e)
            return malformed(e.error());
        Q_EMIT typingReceived(e->conversationId, e->userId);
    } else if (type == EventType::Presence) {
        auto e = JsonCodec::decodePresence(frame);
        if (!e)
            return malformed(e.error());
        Q_EMIT presenceReceived(e->userId, e->status, e->lastSeenAt);
    } else if (type == EventType::RoomMessage) {
        auto e = JsonCodec::decodeRoomMessage(frame);
        if (!e)
            return malformed(e.error());
        Q_EMIT roomMessageReceived(e->room, e->from, e->data, e->recovered);
    }
}
} // namespace Switchboard
