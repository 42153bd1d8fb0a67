#pragma once

#include <QHash>
#include <QList>
#include <QString>
#include <optional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Accounts (table users): created, found by name for a login, looked up and searched, and their
// last-seen time.
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class UserStore
{
public:
    virtual ~UserStore();

    virtual void createUser(const NewUser &user, StorageCallback<UserInfo> done) = 0;
    virtual void findCredentials(const QString &username, StorageCallback<std::optional<StoredUser>> done) = 0;
    // The user and their current token version (not_found for an unknown id).
    virtual void account(qint64 userId, StorageCallback<Account> done) = 0;
    // Revokes every token issued to the user so far; returns the new version.
    virtual void bumpTokenVersion(qint64 userId, StorageCallback<qint64> done) = 0;
    virtual void searchUsers(const QString &query, int limit, StorageCallback<QList<UserInfo>> done) = 0;
    virtual void touchLastSeen(qint64 userId, qint64 when, StorageCallback<Done> done) = 0;
    virtual void lastSeen(const QList<qint64> &userIds, StorageCallback<QHash<qint64, qint64>> done) = 0;
};

} // namespace Switchboard::Server
