#include "console/app/userdirectory.h"

namespace Switchboard::Console {

UserDirectory::UserDirectory(QObject *parent) : QObject(parent)
{ }

void UserDirectory::addUser(const UserInfo &user)
{
    if (user.id <= 0)
        return;
    const UserInfo old = m_users.value(user.id);
    if (old.username == user.username && old.displayName == user.displayName && old.role == user.role)
        return;
    m_users.insert(user.id, user);
    Q_EMIT namesChanged();
}

void UserDirectory::setDisplayName(qint64 userId, const QString &displayName)
{
    if (userId <= 0 || displayName.isEmpty())
        return;
    UserInfo user = m_users.value(userId);
    if (user.displayName == displayName)
        return;
    user.id = userId;
    user.displayName = displayName;
    m_users.insert(userId, user);
    Q_EMIT namesChanged();
}

void UserDirectory::markCustomer(qint64 userId)
{
    m_customers.insert(userId);
}

QString UserDirectory::displayName(qint64 userId) const
{
    const UserInfo user = m_users.value(userId);
    if (!user.displayName.isEmpty())
        return user.displayName;
    if (!user.username.isEmpty())
        return user.username;
    if (m_customers.contains(userId))
        return tr("Customer #%1").arg(userId);
    return tr("User #%1").arg(userId);
}

void UserDirectory::setPresence(qint64 userId, const QString &status, qint64 lastSeenAt)
{
    Presence &p = m_presence[userId];
    const bool changed = p.status != status;
    p.status = status;
    if (lastSeenAt > 0)
        p.lastSeenAt = lastSeenAt;
    if (changed)
        Q_EMIT presenceChanged(userId, status);
}

void UserDirectory::clear()
{
    m_users.clear();
    m_presence.clear();
    m_customers.clear();
    Q_EMIT namesChanged();
}

} // namespace Switchboard::Console
