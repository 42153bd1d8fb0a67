#include "server/storage/sqlcontacts.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"
#include "server/storage/sqlusers.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlContacts::SqlContacts(SqlContext &sql, SqlUsers &users) : m_sql(sql), m_users(users)
{ }

Result<QList<ContactInfo>> SqlContacts::contacts(qint64 ownerId)
{
    QSqlQuery *q = m_sql.run(u"SELECT u.id, u.display_name FROM contacts c JOIN users u ON u.id = c.contact_id"
                             " WHERE c.owner_id = ? ORDER BY u.display_name, u.id"_s,
        {ownerId});
    if (!q)
        return m_sql.storageError();
    QList<ContactInfo> list;
    while (q->next())
        list.append(ContactInfo {q->value(0).toLongLong(), q->value(1).toString()});
    return list;
}

Result<ContactInfo> SqlContacts::addContact(qint64 ownerId, qint64 contactId, qint64 now)
{
    auto u = m_users.user(contactId);
    if (!u)
        return u.error();
    QSqlQuery *q = m_sql.run(u"SELECT 1 FROM contacts WHERE owner_id = ? AND contact_id = ?"_s, {ownerId, contactId});
    if (!q)
        return m_sql.storageError();
    if (!q->next()) {
        if (!m_sql.run(u"INSERT INTO contacts (owner_id, contact_id, created_at) VALUES (?, ?, ?)"_s,
                {ownerId, contactId, now}))
            return m_sql.storageError();
    }
    return ContactInfo {contactId, u->displayName};
}

Result<Done> SqlContacts::removeContact(qint64 ownerId, qint64 contactId)
{
    QSqlQuery *q = m_sql.run(u"SELECT 1 FROM contacts WHERE owner_id = ? AND contact_id = ?"_s, {ownerId, contactId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Not in your contacts"_s);
    if (!m_sql.run(u"DELETE FROM contacts WHERE owner_id = ? AND contact_id = ?"_s, {ownerId, contactId}))
        return m_sql.storageError();
    return Done {};
}

Result<QList<qint64>> SqlContacts::presenceWatchers(qint64 userId)
{
    QSqlQuery *q = m_sql.run(
        u"SELECT p2.user_id FROM participants p1 JOIN participants p2 ON p2.conversation_id = p1.conversation_id"
        " WHERE p1.user_id = ? AND p2.user_id <> ?"
        " UNION SELECT owner_id FROM contacts WHERE contact_id = ?"_s,
        {userId, userId, userId});
    if (!q)
        return m_sql.storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    return ids;
}

} // namespace Switchboard::Server
