#include "server/storage/sqlusers.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlUsers::SqlUsers(SqlContext &sql) : m_sql(sql)
{ }

Result<UserInfo> SqlUsers::createUser(const NewUser &user, qint64 now)
{
    QSqlQuery *q = m_sql.run(u"SELECT id FROM users WHERE username = ?"_s, {user.username});
    if (!q)
        return m_sql.storageError();
    if (q->next())
        return ProtocolError::make(ErrorCode::Conflict, u"Username is already taken"_s);
    // SQL lower() is ASCII-only on SQLite: the search key is folded here, with Unicode rules.
    const QString searchKey = (user.username + u' ' + user.displayName).toCaseFolded();
    q = m_sql.run(u"INSERT INTO users (username, display_name, role, password_hash, created_at, search_key)"
                  " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"_s,
        {user.username, user.displayName, user.role,
            user.passwordHash.isEmpty() ? QVariant() : QVariant(user.passwordHash), now, searchKey});
    if (!q || !q->next())
        return m_sql.storageError();
    UserInfo info;
    info.id = q->value(0).toLongLong();
    info.username = user.username;
    info.displayName = user.displayName;
    info.role = user.role;
    return info;
}

Result<std::optional<StoredUser>> SqlUsers::findCredentials(const QString &username)
{
    QSqlQuery *q = m_sql.run(
        u"SELECT id, username, display_name, role, password_hash, token_version FROM users WHERE username = ?"_s,
        {username});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return std::optional<StoredUser>();
    StoredUser s;
    s.info = readUser(*q);
    s.passwordHash = q->value(4).toString();
    s.tokenVersion = q->value(5).toLongLong();
    return std::optional<StoredUser>(s);
}

Result<Account> SqlUsers::account(qint64 userId)
{
    QSqlQuery *q
        = m_sql.run(u"SELECT id, username, display_name, role, token_version FROM users WHERE id = ?"_s, {userId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"User not found"_s);
    return Account {readUser(*q), q->value(4).toLongLong()};
}

Result<qint64> SqlUsers::bumpTokenVersion(qint64 userId)
{
    QSqlQuery *q = m_sql.run(
        u"UPDATE users SET token_version = token_version + 1 WHERE id = ? RETURNING token_version"_s, {userId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"User not found"_s);
    return q->value(0).toLongLong();
}

Result<UserInfo> SqlUsers::user(qint64 userId)
{
    QSqlQuery *q = m_sql.run(u"SELECT id, username, display_name, role FROM users WHERE id = ?"_s, {userId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"User not found"_s);
    return readUser(*q);
}

Result<QList<UserInfo>> SqlUsers::searchUsers(const QString &query, int limit)
{
    // Literal, case-insensitive substring: LIKE wildcards in the query are escaped.
    const QString pattern = likePattern(query.toCaseFolded());
    QSqlQuery *q = m_sql.run(u"SELECT id, username, display_name, role FROM users"
                             " WHERE role <> 'guest' AND (search_key LIKE ? ESCAPE '\\'"
                             // rows written by other tools than this server have no key yet
                             " OR (search_key IS NULL AND (lower(username) LIKE ? ESCAPE '\\'"
                             " OR lower(display_name) LIKE ? ESCAPE '\\')))"
                             " ORDER BY username LIMIT ?"_s,
        {pattern, pattern, pattern, limit});
    if (!q)
        return m_sql.storageError();
    QList<UserInfo> users;
    while (q->next())
        users.append(readUser(*q));
    return users;
}

Result<Done> SqlUsers::touchLastSeen(qint64 userId, qint64 when)
{
    if (!m_sql.run(u"UPDATE users SET last_seen_at = ? WHERE id = ?"_s, {when, userId}))
        return m_sql.storageError();
    return Done {};
}

Result<QHash<qint64, qint64>> SqlUsers::lastSeen(const QList<qint64> &userIds)
{
    QHash<qint64, qint64> seen;
    for (qint64 id : userIds) {
        QSqlQuery *q = m_sql.run(u"SELECT last_seen_at FROM users WHERE id = ?"_s, {id});
        if (!q)
            return m_sql.storageError();
        if (q->next() && !q->value(0).isNull())
            seen.insert(id, q->value(0).toLongLong());
    }
    return seen;
}

Result<QString> SqlUsers::roleOf(qint64 userId)
{
    if (auto it = m_roles.constFind(userId); it != m_roles.constEnd())
        return *it;
    QSqlQuery *q = m_sql.run(u"SELECT role FROM users WHERE id = ?"_s, {userId});
    if (!q)
        return m_sql.storageError();
    const QString role = q->next() ? q->value(0).toString() : QString();
    if (m_roles.size() > 100000)
        m_roles.clear();
    m_roles.insert(userId, role);
    return role;
}

} // namespace Switchboard::Server
