#pragma once

#include "server/storage/contactstore.h"
#include "tests/services/scriptedcall.h"

namespace Switchboard::Tests {

using namespace Switchboard::Server;

// Test double of ContactStore: every operation is a ScriptedCall the test scripts and inspects.
class FakeContactStore final : public ContactStore
{
public:
    ScriptedCall<QList<ContactInfo>, qint64> contactsCall;
    ScriptedCall<ContactInfo, qint64, qint64> addContactCall;
    ScriptedCall<Done, qint64, qint64> removeContactCall;
    ScriptedCall<QList<qint64>, qint64> presenceWatchersCall;

    void contacts(qint64 ownerId, StorageCallback<QList<ContactInfo>> done) override { contactsCall(done, ownerId); }
    void addContact(qint64 ownerId, qint64 contactId, StorageCallback<ContactInfo> done) override
    {
        addContactCall(done, ownerId, contactId);
    }
    void removeContact(qint64 ownerId, qint64 contactId, StorageCallback<Done> done) override
    {
        removeContactCall(done, ownerId, contactId);
    }
    void presenceWatchers(qint64 userId, StorageCallback<QList<qint64>> done) override
    {
        presenceWatchersCall(done, userId);
    }
};

} // namespace Switchboard::Tests
