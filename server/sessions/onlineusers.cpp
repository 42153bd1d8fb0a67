#include "server/sessions/onlineusers.h"

namespace Switchboard::Server {

void OnlineUsers::setOnline(qint64 userId, bool online)
{
    QWriteLocker lock(&m_lock);
    if (online)
        m_online.insert(userId, true);
    else
        m_online.remove(userId);
}

bool OnlineUsers::isOnline(qint64 userId) const
{
    QReadLocker lock(&m_lock);
    return m_online.contains(userId);
}

} // namespace Switchboard::Server
