#pragma once

#include <QList>
#include <QString>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;
class SqlConversations;
class SqlUsers;

// The support columns of table conversations: the queue and its atomic transitions.
class SqlSupport
{
public:
    SqlSupport(SqlContext &sql, SqlUsers &users, SqlConversations &conversations);

    Result<ConversationInfo> supportOpen(qint64 userId, const QString &topic, qint64 now);
    Result<QList<ConversationInfo>> supportQueue(qint64 agentId);
    Result<ConversationInfo> supportAssign(const SupportAssignment &assignment);
    Result<ConversationInfo> supportClose(qint64 conversationId);
    Result<ConversationInfo> supportAutoAssign(
        qint64 conversationId, const QList<qint64> &candidates, int capacity, qint64 now);
    Result<QList<ConversationInfo>> supportRequeue(qint64 agentId);

private:
    Result<ConversationInfo> supportView(qint64 viewerId, qint64 conversationId);

    SqlContext &m_sql;
    SqlUsers &m_users;
    SqlConversations &m_conversations;
};

} // namespace Switchboard::Server
