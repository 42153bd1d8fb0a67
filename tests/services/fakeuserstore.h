#pragma once

#include "server/storage/userstore.h"
#include "tests/services/scriptedcall.h"

namespace Switchboard::Tests {

using namespace Switchboard::Server;

// Test double of UserStore: every operation is a ScriptedCall the test scripts and inspects.
class FakeUserStore final : public UserStore
{
public:
    ScriptedCall<UserInfo, NewUser> createUserCall;
    ScriptedCall<std::optional<StoredUser>, QString> findCredentialsCall;
    ScriptedCall<Account, qint64> accountCall;
    ScriptedCall<qint64, qint64> bumpTokenVersionCall;
    ScriptedCall<QList<UserInfo>, QString, int> searchUsersCall;
    ScriptedCall<Done, qint64, qint64> touchLastSeenCall;
    ScriptedCall<QHash<qint64, qint64>, QList<qint64>> lastSeenCall;

    void createUser(const NewUser &user, StorageCallback<UserInfo> done) override { createUserCall(done, user); }
    void findCredentials(const QString &username, StorageCallback<std::optional<StoredUser>> done) override
    {
        findCredentialsCall(done, username);
    }
    void account(qint64 userId, StorageCallback<Account> done) override { accountCall(done, userId); }
    void bumpTokenVersion(qint64 userId, StorageCallback<qint64> done) override { bumpTokenVersionCall(done, userId); }
    void searchUsers(const QString &query, int limit, StorageCallback<QList<UserInfo>> done) override
    {
        searchUsersCall(done, query, limit);
    }
    void touchLastSeen(qint64 userId, qint64 when, StorageCallback<Done> done) override
    {
        touchLastSeenCall(done, userId, when);
    }
    void lastSeen(const QList<qint64> &userIds, StorageCallback<QHash<qint64, qint64>> done) override
    {
        lastSeenCall(done, userIds);
    }
};

} // namespace Switchboard::Tests
