#pragma once

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include "shared/protocol/userinfo.h"

namespace Switchboard::Console {

// What the console knows about other users: names (from logins, contacts and user searches) and
// presence (presence events and presence_query). The wire contract has no lookup of a user by id,
// so users nobody told us about get a numbered placeholder name.
class UserDirectory final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UserDirectory)

public:
    struct Presence
    {
        QString status; // online, away, offline
        qint64 lastSeenAt = 0;
    };

    explicit UserDirectory(QObject *parent = nullptr);

    void addUser(const UserInfo &user);
    void setDisplayName(qint64 userId, const QString &displayName);
    // A user who opened a support chat: shown as "Customer #id" until a name is known.
    void markCustomer(qint64 userId);
    bool contains(qint64 userId) const { return m_users.contains(userId); }
    UserInfo user(qint64 userId) const { return m_users.value(userId); }
    QString displayName(qint64 userId) const;

    void setPresence(qint64 userId, const QString &status, qint64 lastSeenAt);
    Presence presence(qint64 userId) const { return m_presence.value(userId); }
    QString status(qint64 userId) const { return m_presence.value(userId).status; }

    void clear();

Q_SIGNALS:
    void namesChanged();
    void presenceChanged(qint64 userId, const QString &status);

private:
    QHash<qint64, UserInfo> m_users;
    QHash<qint64, Presence> m_presence;
    QSet<qint64> m_customers;
};

} // namespace Switchboard::Console
