#pragma once

#include <QAbstractSocket>
#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <deque>

#include "shared/client/metatypes.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/protocolerror.h"
#include "shared/protocol/userinfo.h"

QT_BEGIN_NAMESPACE
class QWebSocket;
class QSslConfiguration;
QT_END_NAMESPACE

namespace Switchboard {

class PendingRequest;

// One WebSocket connection to a Switchboard server (PROTOCOL.md sections 2-7), in Qt style:
// a State with stateChanged(), requests as PendingRequest objects matched to their replies by
// `id`, and server events as signals.
//
// Typical use:
//     auto *connection = new ClientConnection(this);
//     connect(connection, &ClientConnection::messageReceived, this, &Chat::show);
//     connection->openWithToken(url, token, ClientConnection::TokenTransport::Header);
//     connection->sendTextTo(bobId, u"hi"_s);   // queued until authenticated, then sent
//
// Requests issued before the connection is ready are kept in a bounded queue and sent, in
// order, once it is: on Connected after open(), on Authenticated after openWithToken() (or on
// auth failure, so that the server answers them). Requests beyond maxQueuedFrames() and requests
// made while Disconnected fail at once. When the connection closes, every pending request fails
// with "connection closed".
//
// The connection does not reconnect by itself and does not drop repeated `new_message` events
// (the server delivers at least once); both are policies for a layer above. open() may be
// called again after disconnected(); resumeToken() is kept for a `reconnect` request.
class ClientConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientConnection)

public:
    enum class State {
        Disconnected, // no socket (initial, and after disconnected())
        Connecting, // TCP/TLS connect and WebSocket upgrade in progress
        Connected, // upgrade done, not (yet) authenticated
        Authenticated // auth/reconnect succeeded or the `session` event arrived
    };
    Q_ENUM(State)

    // How openWithToken() presents the token (PROTOCOL.md section 3).
    enum class TokenTransport {
        AuthFrame, // first request {"type":"auth","token":...} after the upgrade
        Header, // Authorization: Bearer <token> on the upgrade request
        Query // ?token=<token> on the upgrade URL
    };
    Q_ENUM(TokenTransport)

    static constexpr int DefaultRequestTimeoutMs = 10000;
    static constexpr qsizetype DefaultMaxQueuedFrames = 10000;
    static constexpr quint64 MaxIncomingMessageBytes = 64 * 1024 * 1024;

    explicit ClientConnection(QObject *parent = nullptr);
    // Aborts the socket without emitting signals; pending requests are deleted with it.
    ~ClientConnection() override;

    State state() const { return m_state; }
    bool isAuthenticated() const { return m_state == State::Authenticated; }
    QUrl url() const { return m_url; }

    // Session facts from the last successful auth/reconnect reply or `session` event.
    QJsonObject sessionData() const { return m_sessionData; }
    UserInfo user() const { return m_user; }
    qint64 userId() const { return m_user.id; }
    QString sessionId() const { return m_sessionId; }
    // Single-use; replaced after every successful auth/reconnect. Kept after disconnect.
    QString resumeToken() const { return m_resumeToken; }
    int heartbeatInterval() const { return m_heartbeatInterval; }

    // Close code and reason of the last disconnect: the server's close frame, ours when we
    // closed, 1006 when the TCP connection ended without a close frame; -1 before any.
    int closeCode() const { return m_closeCode; }
    QString closeReason() const { return m_closeReason; }
    // Last transport error text (connection refused, TLS failure, ...).
    QString errorString() const { return m_errorString; }

    // Default timeout for new requests in milliseconds (0 = none). Default 10 s.
    int requestTimeout() const { return m_requestTimeoutMs; }
    void setRequestTimeout(int msecs) { m_requestTimeoutMs = msecs; }
    qsizetype maxQueuedFrames() const { return m_maxQueuedFrames; }
    void setMaxQueuedFrames(qsizetype max) { m_maxQueuedFrames = max; }
    qsizetype queuedFrameCount() const { return qsizetype(m_queue.size()); }
    qsizetype pendingRequestCount() const { return m_pending.size(); }
    // Requests created from now on delete themselves after finished() (see PendingRequest).
    bool autoDeleteRequests() const { return m_autoDeleteRequests; }
    void setAutoDeleteRequests(bool autoDelete) { m_autoDeleteRequests = autoDelete; }

    // Sent as User-Agent on the upgrade request (shows up in admin_connections).
    QByteArray userAgent() const { return m_userAgent; }
    void setUserAgent(const QByteArray &userAgent) { m_userAgent = userAgent; }
#ifndef QT_NO_SSL
    // For wss:// with a private CA; applied on the next open.
    void setSslConfiguration(const QSslConfiguration &configuration);
    // Test convenience for self-signed certificates: ignore every TLS error. Never in products.
    void setIgnoreSslErrors(bool ignore)
    {
        m_ignoreSslErrors = ignore;
    }
#endif

    // Opens an unauthenticated connection to wsUrl (ws://host:port/ws). Ignored with a warning
    // unless Disconnected.
    void open(const QUrl &wsUrl);
    // Opens and authenticates with a login/guest token. With AuthFrame the auth request is sent
    // first after the upgrade; its failure is reported by authenticationFailed().
    void openWithToken(const QUrl &wsUrl, const QString &token, TokenTransport via = TokenTransport::AuthFrame);
    // Opens and resumes an earlier session (PROTOCOL.md section 6): a `reconnect` request with
    // resumeToken goes first. When the server refuses it (expired, used, unknown) and
    // fallbackToken is not empty, an `auth` request with fallbackToken follows before anything
    // queued is sent; authenticationFailed() is then emitted only if that fails too. Queued
    // requests wait as with openWithToken(). sessionData() carries `restored_rooms` and
    // `recovered` when the session was resumed; wasResumed() tells which way it went.
    void openWithResume(const QUrl &wsUrl, const QString &resumeToken, const QString &fallbackToken = {});
    // True when the current session came from a successful `reconnect` (not a fresh `auth`).
    bool wasResumed() const
    {
        return m_resumed;
    }
    // Closes with a close frame; disconnected() follows once the socket is down, which may be
    // before close() returns (as with QAbstractSocket).
    void close(int closeCode = 1000, const QString &reason = {});
    // Drops the TCP connection without a close frame (to simulate a network failure).
    void abort();

    // Sends {"type": type, "id": <next integer>, ...fields}. Never returns null.
    PendingRequest *request(const QString &type, const QJsonObject &fields = {});
    PendingRequest *request(const QString &type, const QJsonObject &fields, int timeoutMs);

    // Raw sending for tests and tools: nothing is matched to a reply (use frameReceived()).
    // Queued like requests while not ready; false when dropped (disconnected or queue full).
    bool sendFrame(const QJsonObject &frame);
    bool sendRawText(const QString &text);
    bool sendRawBinary(const QByteArray &data);
    // A WebSocket-level ping frame (not the JSON `ping` request).
    void sendWebSocketPing(const QByteArray &payload = {});

    // Convenience requests (PROTOCOL.md sections 3-7).
    PendingRequest *authenticate(const QString &token);
    PendingRequest *resumeSession(const QString &resumeToken);
    PendingRequest *ping();
    PendingRequest *sendText(qint64 conversationId, const QString &text, const QString &clientMsgId = {});
    PendingRequest *sendTextTo(qint64 userId, const QString &text, const QString &clientMsgId = {});
    // Sends an image/file message for an uploaded file (attachment {"file_id"}).
    PendingRequest *sendAttachment(qint64 conversationId, const QString &messageType, qint64 fileId,
        const QString &caption = {}, const QString &clientMsgId = {});
    // beforeSeq/afterSeq/limit <= 0 are left out of the request (server defaults).
    PendingRequest *history(qint64 conversationId, qint64 beforeSeq = 0, qint64 afterSeq = 0, int limit = 0);
    PendingRequest *markRead(qint64 conversationId, qint64 seq);
    PendingRequest *markReceived(qint64 conversationId, qint64 seq);
    PendingRequest *sendTyping(qint64 conversationId);
    PendingRequest *conversations();
    PendingRequest *setStatus(const QString &status);
    PendingRequest *joinRoom(const QString &room);
    PendingRequest *leaveRoom(const QString &room);
    PendingRequest *broadcast(const QString &room, const QJsonValue &data, bool echo = false);

Q_SIGNALS:
    void stateChanged(Switchboard::ClientConnection::State state);
    // The WebSocket upgrade completed.
    void connected();
    // Data of the auth/reconnect reply, or the `session` event without its `type`.
    void authenticated(const QJsonObject &sessionData);
    // The auth/reconnect request sent by openWithToken() failed; the socket stays open.
    void authenticationFailed(const Switchboard::ProtocolError &error);
    // Every JSON object frame received, before any other signal about it.
    void frameReceived(const QJsonObject &frame);
    // Frames that are neither a reply (no `success`, no `id`): server events.
    void eventReceived(const QString &type, const QJsonObject &frame);
    // `new_message`; offline is the event's top-level `offline` flag.
    void messageReceived(const Switchboard::ChatMessage &message, bool offline);
    void syncCompleted(int count, bool hasMore);
    // kind is "delivered" or "read".
    void receiptReceived(qint64 conversationId, qint64 userId, const QString &kind, qint64 seq);
    void typingReceived(qint64 conversationId, qint64 userId);
    void presenceReceived(qint64 userId, const QString &status, qint64 lastSeenAt);
    void roomMessageReceived(const QString &room, qint64 fromUserId, const QJsonValue &data, bool recovered);
    // The socket is down; pending and queued requests have failed just before.
    void disconnected(int closeCode, const QString &reason);
    // Transport errors, and frames that are not JSON objects.
    void errorOccurred(const QString &message);

private:
    struct OutgoingFrame
    {
        QString text; // text frames (JSON)
        QByteArray binary; // binary frames (tests only)
        bool isBinary = false;
        QPointer<PendingRequest> request; // failed when the frame cannot be sent
    };

    void startOpen(const QUrl &wsUrl, const QByteArray &authorization);
    void setState(State state);
    PendingRequest *createRequest(const QString &type, const QJsonObject &fields, int timeoutMs, bool bypassQueue);
    bool enqueue(OutgoingFrame frame, bool bypassQueue);
    void writeFrame(const OutgoingFrame &frame);
    void failLater(PendingRequest *request, const QString &message);
    void flushQueue();
    void onConnected();
    void onDisconnected();
    void onSocketError(QAbstractSocket::SocketError error);
    void onTextMessage(const QString &text);
    void handleReply(PendingRequest *request, const QJsonObject &frame);
    void handleEvent(const QString &type, const QJsonObject &frame);
    void applySession(const QJsonObject &sessionData);

    QWebSocket *m_socket = nullptr;
    State m_state = State::Disconnected;
    QUrl m_url;
    QByteArray m_userAgent = QByteArrayLiteral("switchboard-client");
#ifndef QT_NO_SSL
    bool m_ignoreSslErrors = false;
#endif

    // Token for the auth frame sent on connect (AuthFrame transport); cleared once sent.
    QString m_pendingAuthToken;
    // openWithResume(): the resume token sent on connect, and the login token to fall back to.
    QString m_pendingResumeToken;
    QString m_fallbackToken;
    bool m_resumed = false;
    // Queued frames wait for the connection to be ready: Connected for open(), Authenticated
    // (or a failed auth) for openWithToken().
    bool m_waitForAuth = false;
    bool m_ready = false;
    bool m_closeFrameSeen = false;
    // Bumped by every open(), so queued error handling of an older socket run is ignored.
    quint64 m_generation = 0;
    std::deque<OutgoingFrame> m_queue;
    QHash<qint64, PendingRequest *> m_pending;
    qint64 m_nextId = 1;

    QJsonObject m_sessionData;
    UserInfo m_user;
    QString m_sessionId;
    QString m_resumeToken;
    int m_heartbeatInterval = 0;

    int m_closeCode = -1;
    QString m_closeReason;
    QString m_errorString;

    int m_requestTimeoutMs = DefaultRequestTimeoutMs;
    qsizetype m_maxQueuedFrames = DefaultMaxQueuedFrames;
    bool m_autoDeleteRequests = false;
};

} // namespace Switchboard
