#include "server/sessions/sessionregistry.h"

#include <QDateTime>

#include "server/sessions/logging.h"
#include "server/sessions/session.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
const QList<Session *> kNoSessions;
constexpr qint64 kCloseHandshakeMs = 5000;
constexpr int kLastSeenLimit = 200000;
} // namespace

SessionRegistry::SessionRegistry(const Timeouts &timeouts, QObject *parent) : QObject(parent), m_timeouts(timeouts)
{
    m_sweep.setInterval(timeouts.authTimeoutSec <= 2 || timeouts.heartbeatTimeoutSec <= 2 ? 250 : 1000);
    connect(&m_sweep, &QTimer::timeout, this, &SessionRegistry::sweep);
    m_sweep.start();
}

void SessionRegistry::add(Session *session)
{
    m_sessions.insert(session->connectionId(), session);
    connect(session, &Session::closed, this, &SessionRegistry::remove);
}

void SessionRegistry::markAuthenticated(Session *session)
{
    if (!m_sessions.contains(session->connectionId()))
        return;
    m_byUser[session->userId()].append(session);
    ++m_authenticated;
    Q_EMIT sessionAuthenticated(session);
}

const QList<Session *> &SessionRegistry::sessionsOf(qint64 userId) const
{
    auto it = m_byUser.constFind(userId);
    return it == m_byUser.constEnd() ? kNoSessions : *it;
}

QList<Session *> SessionRegistry::staffSessions() const
{
    QList<Session *> staff;
    for (auto it = m_byUser.cbegin(); it != m_byUser.cend(); ++it) {
        if (it->isEmpty())
            continue;
        if (it->first()->user().isStaff())
            staff.append(*it);
    }
    return staff;
}

void SessionRegistry::remove(Session *session)
{
    if (!m_sessions.remove(session->connectionId()))
        return;
    m_closingSince.remove(session->connectionId());
    // Listeners of sessionRemoved see the user's state as it was while the session lived (e.g. an
    // explicit "away" to keep for a resume); userOffline follows.
    Q_EMIT sessionRemoved(session);
    if (session->isAuthenticated()) {
        auto it = m_byUser.find(session->userId());
        if (it != m_byUser.end()) {
            if (it->removeOne(session))
                --m_authenticated;
            if (it->isEmpty()) {
                m_byUser.erase(it);
                const qint64 now = QDateTime::currentMSecsSinceEpoch();
                if (m_lastSeen.size() > kLastSeenLimit)
                    m_lastSeen.clear();
                m_lastSeen.insert(session->userId(), now);
                Q_EMIT userOffline(session->userId(), now);
            }
        }
    }
    session->deleteLater();
}

void SessionRegistry::closeAll(int code, const QString &reason)
{
    const QList<Session *> sessions = m_sessions.values();
    for (Session *s : sessions)
        s->close(code, reason);
}

void SessionRegistry::sweep()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 authDeadline = now - qint64(m_timeouts.authTimeoutSec) * 1000;
    const qint64 heartbeatDeadline = now - qint64(m_timeouts.heartbeatTimeoutSec) * 1000;
    QList<Session *> toClose, toAbort;
    for (Session *s : std::as_const(m_sessions)) {
        if (s->isClosing()) {
            // A peer that never answers our close frame is cut off after a grace period.
            auto it = m_closingSince.find(s->connectionId());
            if (it == m_closingSince.end())
                m_closingSince.insert(s->connectionId(), now);
            else if (*it < now - kCloseHandshakeMs)
                toAbort.append(s);
            continue;
        }
        if (!s->isAuthenticated() && s->connectedAt() < authDeadline)
            toClose.append(s);
        else if (s->lastActivityAt() < heartbeatDeadline)
            toClose.append(s);
    }
    for (Session *s : std::as_const(toClose)) {
        if (!s->isAuthenticated()) {
            qCInfo(lcSession) << "connection" << s->connectionId() << "did not authenticate in time";
            s->close(4001, u"Authentication timeout"_s);
        } else {
            qCInfo(lcSession) << "connection" << s->connectionId() << "heartbeat timeout";
            s->close(4008, u"Heartbeat timeout"_s);
        }
    }
    for (Session *s : std::as_const(toAbort))
        s->abort();
}

} // namespace Switchboard::Server
