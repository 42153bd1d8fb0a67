#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace Switchboard::Server {

class Session;

// Every open connection, and the authenticated ones by user (multi-device fan-out). One sweep
// timer per server (not one per connection) enforces auth_timeout and heartbeat_timeout, so idle
// connections cost nothing between sweeps.
class SessionRegistry final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionRegistry)

public:
    struct Timeouts
    {
        int authTimeoutSec = 10;
        int heartbeatTimeoutSec = 60;
    };

    explicit SessionRegistry(const Timeouts &timeouts, QObject *parent = nullptr);

    void add(Session *session);
    void markAuthenticated(Session *session);
    // Authenticated sessions of one user (oldest first).
    const QList<Session *> &sessionsOf(qint64 userId) const;
    bool isOnline(qint64 userId) const { return m_byUser.contains(userId); }
    QList<Session *> all() const { return m_sessions.values(); }
    int connectionCount() const { return int(m_sessions.size()); }
    int authenticatedCount() const { return m_authenticated; }
    int usersOnline() const { return int(m_byUser.size()); }
    // Authenticated connections of agents and admins (support_update goes to them).
    QList<Session *> staffSessions() const;
    qint64 lastSeen(qint64 userId) const { return m_lastSeen.value(userId, 0); }

    // Closes every connection with `code` (shutdown: 1001).
    void closeAll(int code, const QString &reason);

Q_SIGNALS:
    void sessionAuthenticated(Switchboard::Server::Session *session);
    void sessionRemoved(Switchboard::Server::Session *session);
    void userOffline(qint64 userId, qint64 lastSeenAt);

private:
    void remove(Session *session);
    void sweep();

    Timeouts m_timeouts;
    QHash<qint64, Session *> m_sessions;
    QHash<qint64, QList<Session *>> m_byUser;
    QHash<qint64, qint64> m_lastSeen;
    QHash<qint64, qint64> m_closingSince;
    int m_authenticated = 0;
    QTimer m_sweep;
};

} // namespace Switchboard::Server
