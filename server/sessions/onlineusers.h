#pragma once

#include <QHash>
#include <QReadWriteLock>

namespace Switchboard::Server {

// Which users have an authenticated connection, readable from any thread. The storage thread asks
// it while committing a message to decide who gets an offline push; the event loop keeps it current.
class OnlineUsers
{
public:
    void setOnline(qint64 userId, bool online);
    bool isOnline(qint64 userId) const;

private:
    mutable QReadWriteLock m_lock;
    QHash<qint64, bool> m_online;
};

} // namespace Switchboard::Server
