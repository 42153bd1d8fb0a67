#pragma once

#include <QList>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Contact lists (table contacts) and who may see a user's presence.
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class ContactStore
{
public:
    virtual ~ContactStore();

    virtual void contacts(qint64 ownerId, StorageCallback<QList<ContactInfo>> done) = 0;
    virtual void addContact(qint64 ownerId, qint64 contactId, StorageCallback<ContactInfo> done) = 0;
    virtual void removeContact(qint64 ownerId, qint64 contactId, StorageCallback<Done> done) = 0;
    // Users who may see this user's presence: conversation peers and those who have them as contact.
    virtual void presenceWatchers(qint64 userId, StorageCallback<QList<qint64>> done) = 0;
};

} // namespace Switchboard::Server
