#pragma once

#include <QJsonObject>
#include <QObject>
#include <functional>

#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class PresenceService;
class ContactStore;
class UserStore;

// One-directional contact lists (PROTOCOL.md section 7). Having someone as a contact also lets
// you see their presence.
class ContactService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ContactService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    ContactService(ContactStore &contacts, UserStore &users, PresenceService &presence, QObject *parent = nullptr);

    void list(const UserInfo &caller, Reply done);
    void add(const UserInfo &caller, const QJsonObject &fields, Reply done);
    void remove(const UserInfo &caller, const QJsonObject &fields, Reply done);
    // The user directory (GET /api/v1/users?query=): at most 20 matches; a query that is too
    // long or holds control characters matches nobody.
    void searchUsers(const UserInfo &caller, const QString &query, Reply done);

private:
    ContactStore &m_contacts;
    UserStore &m_users;
    PresenceService &m_presence;
};

} // namespace Switchboard::Server
