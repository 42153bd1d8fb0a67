#pragma once

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

#include "shared/client/metatypes.h"
#include "shared/client/outgoingmessage.h"
#include "shared/protocol/protocolerror.h"

namespace Switchboard {

class ClientConnection;

// A logged-in session that survives disconnects: one ClientConnection that is reopened by itself
// with exponential backoff, resumes the server session with `reconnect` (PROTOCOL.md section 6)
// and falls back to a fresh `auth` with the login token when the server no longer knows it.
//
// Text messages go through an outbox: sendText() returns the message's client_msg_id at once,
// also while offline, and the message is (re)sent with that id until the server acknowledges it
// (messageSent()) or refuses it for good (messageFailed()). Nothing typed while disconnected is
// lost as long as the object lives; the server's dedup makes re-sending safe.
//
// While Online, a JSON `ping` goes out every heartbeat_interval; an unanswered ping drops the
// connection (half-open TCP) and starts a reconnect.
//
// Events and other requests use connection() directly; its signals stay connected across
// reconnects because it is the same object.
//
//     auto *session = new ClientSession(this);
//     connect(session, &ClientSession::online, this, &Workspace::refresh);
//     session->start(QUrl(u"ws://127.0.0.1:8080/ws"_s), loginToken);
//     const QString id = session->sendText(conversationId, u"hello"_s);
class ClientSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientSession)

public:
    enum class State {
        Disconnected, // not started, stopped, or ended for good (kicked, token refused)
        Connecting, // socket and authentication in progress
        Online, // authenticated
        WaitingToReconnect // the connection dropped; the next attempt is scheduled
    };
    Q_ENUM(State)

    static constexpr int DefaultInitialDelayMs = 1000;
    static constexpr int DefaultMaximumDelayMs = 30000;

    explicit ClientSession(QObject *parent = nullptr);
    ~ClientSession() override;

    ClientConnection *connection() const { return m_connection; }
    State state() const { return m_state; }
    bool isOnline() const { return m_state == State::Online; }
    QUrl url() const { return m_url; }
    // The login token used for the first auth and whenever a resume is refused.
    QString token() const { return m_token; }
    // E.g. after logging in again following authenticationLost(); applies to the next attempt.
    void setToken(const QString &token) { m_token = token; }

    // Backoff: the first retry waits initialMs, each further one twice as long up to maximumMs,
    // each with +-20 % jitter. Reset once a connection is authenticated.
    void setReconnectDelays(int initialMs, int maximumMs);
    int initialReconnectDelay() const { return m_initialDelayMs; }
    int maximumReconnectDelay() const { return m_maximumDelayMs; }
    // Failed attempts since the last successful authentication.
    int reconnectAttempt() const { return m_attempt; }
    // Milliseconds until the next attempt while WaitingToReconnect, else -1.
    int msUntilReconnect() const;
    // 0 turns the ping off; otherwise overrides the server's heartbeat_interval (ms).
    void setHeartbeatIntervalOverride(int msecs) { m_heartbeatOverrideMs = msecs; }

    // Connects and authenticates with token; retries with backoff until stop().
    void start(const QUrl &wsUrl, const QString &token);
    // Closes the connection (1000) and stops reconnecting. The outbox is kept.
    void stop();
    // Skips the wait of WaitingToReconnect (e.g. a "Reconnect now" button).
    void reconnectNow();

    // Queues a text message and sends it as soon as the session is Online. Returns its
    // client_msg_id. Empty text is refused by the server (messageFailed()).
    QString sendText(qint64 conversationId, const QString &text);
    QString sendTextTo(qint64 userId, const QString &text);
    QList<OutgoingMessage> outbox() const { return m_outbox; }
    qsizetype outboxSize() const { return m_outbox.size(); }

Q_SIGNALS:
    void stateChanged(Switchboard::ClientSession::State state);
    // Authenticated; resumed is true when the earlier server session was restored (same
    // session_id, rooms) rather than a new one started. Refresh views here.
    void online(const QJsonObject &sessionData, bool resumed);
    // The connection dropped; a reconnect follows unless the close code ends the session.
    void connectionLost(int closeCode, const QString &reason);
    // The session ended for good: kicked by an admin (4003), or the server refused the token
    // (4001 or auth_failed). No reconnect is attempted; call start() (with a new token) to go on.
    void ended(int closeCode, const QString &reason);
    // The login token was refused (expired, account gone): log in again, setToken(), start().
    void authenticationLost(const Switchboard::ProtocolError &error);
    void messageQueued(const Switchboard::OutgoingMessage &message);
    // The server stored the message; data is the reply data (message_id, conversation_id, seq,
    // timestamp, duplicate).
    void messageSent(const QString &clientMsgId, const QJsonObject &data);
    // The server refused the message for good (validation_failed, forbidden, not_found, ...).
    void messageFailed(const QString &clientMsgId, const Switchboard::ProtocolError &error);
    void outboxSizeChanged(qsizetype size);

private:
    void setState(State state);
    void attemptConnect();
    void scheduleReconnect();
    void onAuthenticated(const QJsonObject &sessionData);
    void onAuthenticationFailed(const ProtocolError &error);
    void onDisconnected(int closeCode, const QString &reason);
    void sendHeartbeat();
    QString enqueue(OutgoingMessage message);
    void flushOutbox();
    void sendOne(OutgoingMessage &message);
    qsizetype indexOf(const QString &clientMsgId) const;

    ClientConnection *m_connection = nullptr;
    State m_state = State::Disconnected;
    QUrl m_url;
    QString m_token;
    bool m_started = false;
    bool m_authLost = false;
    bool m_restartNow = false; // start() on an open connection: reconnect without waiting
    int m_attempt = 0;
    int m_initialDelayMs = DefaultInitialDelayMs;
    int m_maximumDelayMs = DefaultMaximumDelayMs;
    int m_heartbeatOverrideMs = -1;
    QTimer m_reconnectTimer;
    QTimer m_heartbeatTimer;
    QTimer m_retryTimer; // outbox retry after rate_limited / unavailable / timeout
    QList<OutgoingMessage> m_outbox;
};

} // namespace Switchboard
