#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <deque>
#include <memory>

#include "shared/protocol/userinfo.h"

class QTcpSocket;
class QWebSocket;

namespace Switchboard::Server {

// One WebSocket connection: its identity once authenticated, its ordered reply slots, and the
// limits that protect the server from it (send queue, pending requests). Owns no business rules.
//
// Replies leave in request order: every request takes a slot when it arrives (openSlot) and the
// handler fills it when its answer is ready (fillSlot), possibly much later (after a commit). A slot
// is written only when every slot before it was written. Events (sendEvent) do not wait for slots.
class Session final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)

public:
    enum class AuthState { Anonymous, Authenticating, Authenticated };
    using Ticket = quint64;

    struct Limits
    {
        qint64 maxFrameBytes = 65536;
        qint64 maxSendQueueBytes = 4 * 1024 * 1024;
        int maxPendingRequests = 1000;
        double tokensPerSecond = 10;
        double burst = 20;
    };

    Session(std::unique_ptr<QWebSocket> socket, QTcpSocket *transport, qint64 connectionId, const Limits &limits,
        QObject *parent = nullptr);
    ~Session() override;

    qint64 connectionId() const { return m_connectionId; }
    AuthState authState() const { return m_authState; }
    bool isAuthenticated() const { return m_authState == AuthState::Authenticated; }
    const UserInfo &user() const { return m_user; }
    qint64 userId() const { return m_user.id; }
    const QString &sessionId() const { return m_sessionId; }
    const QString &remoteAddress() const { return m_remoteAddress; }
    const QString &userAgent() const { return m_userAgent; }
    qint64 connectedAt() const { return m_connectedAt; }
    qint64 lastActivityAt() const { return m_lastActivityAt; }
    bool isClosing() const { return m_closing; }
    // The upgrade request's token (Authorization: Bearer or ?token=), empty if none.
    QString upgradeToken() const;

    void setAuthenticating();
    void setAnonymous();
    void setAuthenticated(const UserInfo &user, const QString &sessionId);

    Ticket openSlot();
    // Requests taken but not answered yet; at maxPendingRequests new frames wait (deferFrame).
    int unansweredRequests() const { return m_unfilled; }
    bool hasCapacity() const { return m_unfilled < m_limits.maxPendingRequests; }
    // Fills the slot with its reply frame and optional frames that must follow it (e.g. offline
    // messages after the auth reply).
    void fillSlot(Ticket ticket, const QByteArray &reply, const QList<QByteArray> &followUps = {});

    void sendEvent(const QByteArray &frame);
    // The same frame already as text: fan-out converts it once for all its receivers (QWebSocket
    // takes text frames as QString).
    void sendEventText(const QString &frame);

    // Frames that arrive while authentication is in flight, or while maxPendingRequests requests
    // are unanswered, wait here (bounded: 4096 frames, 1 MiB) and are taken in order later.
    bool deferFrame(const QString &text);
    bool hasDeferredFrames() const { return !m_deferred.empty(); }
    QString takeDeferredFrame();

    // Token bucket (PROTOCOL.md section 13). Returns 0 if a token was taken, else ms until one.
    qint64 takeToken(qint64 nowMs);
    // Counts a rate_limited reply; true when the connection keeps flooding (more than 40 within
    // 5 s) and must be closed with 1008.
    bool noteRateLimited(qint64 nowMs);

    void close(int code, const QString &reason);
    void abort();

    // Ephemeral rooms this connection joined (membership is per connection).
    QSet<QString> &rooms() { return m_rooms; }
    const QSet<QString> &rooms() const { return m_rooms; }

Q_SIGNALS:
    void textReceived(Switchboard::Server::Session *session, const QString &text);
    void binaryReceived(Switchboard::Server::Session *session);
    void closed(Switchboard::Server::Session *session);
    // The client stopped reading and was cut off (counted in /metrics).
    void sendQueueOverflowed();
    // A request was answered while frames wait in the deferred queue.
    void capacityAvailable(Switchboard::Server::Session *session);

private:
    struct Slot
    {
        Ticket ticket = 0;
        bool filled = false;
        QList<QByteArray> frames;
    };
    void writeText(const QString &frame);
    void write(const QByteArray &frame);
    void flushSlots();

    std::unique_ptr<QWebSocket> m_socket;
    QPointer<QTcpSocket> m_transport;
    qint64 m_connectionId;
    Limits m_limits;
    AuthState m_authState = AuthState::Anonymous;
    UserInfo m_user;
    QString m_sessionId;
    QString m_remoteAddress;
    QString m_userAgent;
    qint64 m_connectedAt = 0;
    qint64 m_lastActivityAt = 0;
    bool m_closing = false;
    bool m_closedEmitted = false;
    Ticket m_nextTicket = 1;
    std::deque<Slot> m_slots;
    std::deque<QString> m_deferred;
    qint64 m_deferredBytes = 0;
    int m_unfilled = 0;
    QSet<QString> m_rooms;
    std::deque<qint64> m_rateLimitedAt;
    double m_tokens = 0;
    qint64 m_tokensAt = 0;
};

} // namespace Switchboard::Server
