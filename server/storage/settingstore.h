#pragma once

#include <QString>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Server-wide settings kept in the database (table settings), such as the generated JWT secret.
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class SettingStore
{
public:
    virtual ~SettingStore();

    // Returns the stored value of `key`, storing `valueIfMissing` first when there is none.
    virtual void loadOrStoreSetting(const QString &key, const QString &valueIfMissing, StorageCallback<QString> done)
        = 0;
};

} // namespace Switchboard::Server
