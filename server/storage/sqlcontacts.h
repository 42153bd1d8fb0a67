#pragma once

#include <QList>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;
class SqlUsers;

// Table contacts, and who may see a user's presence.
class SqlContacts
{
public:
    SqlContacts(SqlContext &sql, SqlUsers &users);

    Result<QList<ContactInfo>> contacts(qint64 ownerId);
    Result<ContactInfo> addContact(qint64 ownerId, qint64 contactId, qint64 now);
    Result<Done> removeContact(qint64 ownerId, qint64 contactId);
    Result<QList<qint64>> presenceWatchers(qint64 userId);

private:
    SqlContext &m_sql;
    SqlUsers &m_users;
};

} // namespace Switchboard::Server
