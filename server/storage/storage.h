#pragma once

#include <QString>

#include "server/storage/contactstore.h"
#include "server/storage/filerecordstore.h"
#include "server/storage/messagestore.h"
#include "server/storage/pushoutbox.h"
#include "server/storage/settingstore.h"
#include "server/storage/storagehealth.h"
#include "server/storage/supportstore.h"
#include "server/storage/userstore.h"

namespace Switchboard::Server {

// The whole persistence of one server: every domain store (each service receives only the ones it
// uses, see ServerApplication) plus the life cycle, which only the composition root calls.
class Storage : public UserStore,
                public MessageStore,
                public ContactStore,
                public SupportStore,
                public FileRecordStore,
                public PushOutbox,
                public SettingStore,
                public StorageHealth
{
public:
    // Kept for the storage's own code and tests: the callback of every operation.
    template<typename T> using Callback = StorageCallback<T>;

    ~Storage() override;

    // Opens the database and runs migrations; blocks (startup only).
    virtual bool start(QString *error) = 0;
    // Finishes everything queued, then closes. Blocks (shutdown only).
    virtual void stop() = 0;
    virtual int schemaVersion() const = 0;
};

} // namespace Switchboard::Server
