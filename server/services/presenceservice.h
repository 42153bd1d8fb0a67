#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <functional>

#include "shared/protocol/result.h"

namespace Switchboard::Server {

class Session;
class SessionRegistry;
class UserStore;
class ContactStore;

// Who is online (PROTOCOL.md section 6). A user is online while any authenticated connection is
// open and offline when the last one closes; `status` sets online/away explicitly. Changes go only
// to users who share a conversation with the user or have them as a contact, never to strangers.
class PresenceService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PresenceService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    PresenceService(UserStore &users, ContactStore &contacts, SessionRegistry &registry, QObject *parent = nullptr);

    // "online", "away" or "offline".
    QString statusOf(qint64 userId) const;
    // `status` request.
    void setStatus(qint64 userId, const QJsonObject &fields, Reply done);
    // Restores an explicit status after a reconnect.
    void restoreStatus(qint64 userId, const QString &status);
    void query(const QJsonObject &fields, Reply done);

private:
    void onAuthenticated(Session *session);
    void onUserOffline(qint64 userId, qint64 lastSeenAt);
    void announce(qint64 userId, const QString &status, qint64 lastSeenAt);

    UserStore &m_users;
    ContactStore &m_contacts;
    SessionRegistry &m_registry;
    QHash<qint64, QString> m_status; // online users only
};

} // namespace Switchboard::Server
