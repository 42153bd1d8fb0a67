#pragma once

#include <QHash>
#include <QList>
#include <QString>
#include <optional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;

// Table users: accounts, credentials, search, last seen, and the role cache (roles never change
// while the server runs).
class SqlUsers
{
public:
    explicit SqlUsers(SqlContext &sql);

    Result<UserInfo> createUser(const NewUser &user, qint64 now);
    Result<std::optional<StoredUser>> findCredentials(const QString &username);
    Result<UserInfo> user(qint64 userId);
    Result<Account> account(qint64 userId);
    Result<qint64> bumpTokenVersion(qint64 userId);
    Result<QList<UserInfo>> searchUsers(const QString &query, int limit);
    Result<Done> touchLastSeen(qint64 userId, qint64 when);
    Result<QHash<qint64, qint64>> lastSeen(const QList<qint64> &userIds);
    // A user's role (a fact for the rules); empty for an unknown user.
    Result<QString> roleOf(qint64 userId);

private:
    SqlContext &m_sql;
    QHash<qint64, QString> m_roles;
};

} // namespace Switchboard::Server
