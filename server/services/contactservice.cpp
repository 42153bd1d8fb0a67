#include "server/services/contactservice.h"

#include <QJsonArray>

#include "server/services/presenceservice.h"
#include "server/storage/contactstore.h"
#include "server/storage/userstore.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

ContactService::ContactService(ContactStore &contacts, UserStore &users, PresenceService &presence, QObject *parent)
    : QObject(parent), m_contacts(contacts), m_users(users), m_presence(presence)
{ }

void ContactService::searchUsers(const UserInfo &, const QString &query, Reply done)
{
    if (query.size() > 64 || TextRules::hasControlCharacters(query))
        return done(QJsonObject {{u"users"_s, QJsonArray()}});
    m_users.searchUsers(query, 20, [done = std::move(done)](Result<QList<UserInfo>> r) {
        if (!r)
            return done(r.error());
        QJsonArray users;
        for (const UserInfo &u : r.value())
            users.append(JsonCodec::encode(u));
        done(QJsonObject {{u"users"_s, users}});
    });
}

void ContactService::list(const UserInfo &caller, Reply done)
{
    m_contacts.contacts(caller.id, [this, done = std::move(done)](Result<QList<ContactInfo>> r) {
        if (!r)
            return done(r.error());
        QJsonArray contacts;
        for (const ContactInfo &c : r.value()) {
            contacts.append(QJsonObject {{u"user_id"_s, double(c.userId)}, {u"display_name"_s, c.displayName},
                {u"status"_s, m_presence.statusOf(c.userId)}});
        }
        done(QJsonObject {{u"contacts"_s, contacts}});
    });
}

void ContactService::add(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto userId = RequestFields(fields).requiredId(u"user_id"_s);
    if (!userId)
        return done(userId.error());
    if (userId.value() == caller.id)
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"You cannot add yourself as a contact"_s));
    m_contacts.addContact(caller.id, userId.value(), [this, done = std::move(done)](Result<ContactInfo> r) {
        if (!r)
            return done(r.error());
        done(QJsonObject {{u"contact"_s,
            QJsonObject {{u"user_id"_s, double(r->userId)}, {u"display_name"_s, r->displayName},
                {u"status"_s, m_presence.statusOf(r->userId)}}}});
    });
}

void ContactService::remove(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto userId = RequestFields(fields).requiredId(u"user_id"_s);
    if (!userId)
        return done(userId.error());
    m_contacts.removeContact(caller.id, userId.value(), [done = std::move(done)](Result<Done> r) {
        if (!r)
            return done(r.error());
        done(QJsonObject {});
    });
}

} // namespace Switchboard::Server
