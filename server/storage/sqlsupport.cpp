#include "server/storage/sqlsupport.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"
#include "server/storage/sqlconversations.h"
#include "server/storage/sqlusers.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlSupport::SqlSupport(SqlContext &sql, SqlUsers &users, SqlConversations &conversations)
    : m_sql(sql), m_users(users), m_conversations(conversations)
{ }

Result<ConversationInfo> SqlSupport::supportView(qint64 viewerId, qint64 conversationId)
{
    QSqlQuery *q = m_sql.run(u"SELECT c.title, "_s + lastSeqSql(m_sql.dialect())
            + u", p.read_seq, p.delivered_seq FROM conversations c"
              " LEFT JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?"
              " WHERE c.id = ? AND c.type = 'support'"_s,
        {viewerId, conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Support conversation not found"_s);
    const QString title = q->value(0).isNull() ? QString() : q->value(0).toString();
    const qint64 lastSeq = q->value(1).toLongLong();
    const qint64 readSeq = q->value(2).toLongLong();
    const qint64 deliveredSeq = q->value(3).toLongLong();
    return m_conversations.describe(viewerId, conversationId, u"support"_s, title, lastSeq, readSeq, deliveredSeq);
}

Result<ConversationInfo> SqlSupport::supportOpen(qint64 userId, const QString &topic, qint64 now)
{
    QSqlQuery *q = m_sql.run(u"SELECT id FROM conversations WHERE type = 'support' AND requester_id = ?"
                             " AND support_status <> 'closed' ORDER BY id LIMIT 1"_s,
        {userId});
    if (!q)
        return m_sql.storageError();
    if (q->next())
        return supportView(userId, q->value(0).toLongLong());
    q = m_sql.run(
        u"INSERT INTO conversations (type, title, last_seq, created_at, updated_at, support_status, requester_id)"
        " VALUES ('support', ?, 0, ?, ?, 'open', ?) RETURNING id"_s,
        {topic.isEmpty() ? QVariant() : QVariant(topic), now, now, userId});
    if (!q || !q->next())
        return m_sql.storageError();
    const qint64 id = q->value(0).toLongLong();
    auto added = m_conversations.setParticipant(id, userId, true, now);
    if (!added)
        return added.error();
    return supportView(userId, id);
}

Result<QList<ConversationInfo>> SqlSupport::supportQueue(qint64 agentId)
{
    // Unassigned first, then assigned; each oldest first.
    QSqlQuery *q = m_sql.run(u"SELECT id FROM conversations WHERE type = 'support' AND support_status <> 'closed'"
                             " ORDER BY CASE WHEN agent_id IS NULL THEN 0 ELSE 1 END, created_at, id LIMIT 1000"_s,
        {});
    if (!q)
        return m_sql.storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    QList<ConversationInfo> list;
    for (qint64 id : std::as_const(ids)) {
        auto c = supportView(agentId, id);
        if (!c)
            return c.error();
        list.append(c.value());
    }
    return list;
}

Result<ConversationInfo> SqlSupport::supportAssign(const SupportAssignment &a)
{
    QSqlQuery *q = m_sql.run(
        u"SELECT support_status, agent_id, requester_id FROM conversations WHERE id = ? AND type = 'support'"_s,
        {a.conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Support conversation not found"_s);
    const QString status = q->value(0).toString();
    const qint64 current = q->value(1).isNull() ? 0 : q->value(1).toLongLong();
    const qint64 requester = q->value(2).toLongLong();
    if (status == u"closed"_s)
        return ProtocolError::make(ErrorCode::Conflict, u"The support conversation is closed"_s);
    if (a.claim && current != 0 && current != a.agentId)
        return ProtocolError::make(ErrorCode::Conflict, u"Another agent already holds this conversation"_s);
    auto role = m_users.roleOf(a.agentId);
    if (!role)
        return role.error();
    if (!m_sql.rules().mayHandleSupport(role.value()))
        return ProtocolError::make(ErrorCode::ValidationFailed, u"Support conversations go to agents or admins only"_s);
    if (a.requiredHolder != 0 && current != a.requiredHolder)
        return ProtocolError::make(
            ErrorCode::Forbidden, u"Only the agent holding this chat or an admin may transfer it"_s);
    if (current != a.agentId) {
        if (current != 0 && current != requester) {
            auto removed = m_conversations.setParticipant(a.conversationId, current, false, a.now);
            if (!removed)
                return removed.error();
        }
        auto added = m_conversations.setParticipant(a.conversationId, a.agentId, true, a.now);
        if (!added)
            return added.error();
        if (!m_sql.run(u"UPDATE conversations SET agent_id = ?, support_status = 'assigned' WHERE id = ?"_s,
                {a.agentId, a.conversationId}))
            return m_sql.storageError();
    }
    return supportView(a.agentId, a.conversationId);
}

Result<ConversationInfo> SqlSupport::supportClose(qint64 conversationId)
{
    QSqlQuery *q = m_sql.run(
        u"SELECT agent_id, requester_id FROM conversations WHERE id = ? AND type = 'support'"_s, {conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Support conversation not found"_s);
    const qint64 viewer = q->value(0).isNull() ? q->value(1).toLongLong() : q->value(0).toLongLong();
    if (!m_sql.run(u"UPDATE conversations SET support_status = 'closed' WHERE id = ?"_s, {conversationId}))
        return m_sql.storageError();
    return supportView(viewer, conversationId);
}

Result<ConversationInfo> SqlSupport::supportAutoAssign(
    qint64 conversationId, const QList<qint64> &candidates, int capacity, qint64 now)
{
    QList<StorageRules::AgentLoad> loads;
    for (qint64 agent : candidates) {
        QSqlQuery *q = m_sql.run(u"SELECT COUNT(*) FROM conversations WHERE type = 'support' AND agent_id = ?"
                                 " AND support_status = 'assigned'"_s,
            {agent});
        if (!q || !q->next())
            return m_sql.storageError();
        loads.append({agent, q->value(0).toLongLong()});
    }
    const qint64 best = m_sql.rules().chooseAgent(loads, capacity);
    if (best == 0)
        return notFound(u"No agent available"_s);
    return supportAssign(SupportAssignment {conversationId, best, true, now});
}

Result<QList<ConversationInfo>> SqlSupport::supportRequeue(qint64 agentId)
{
    QSqlQuery *q = m_sql.run(
        u"SELECT id FROM conversations WHERE type = 'support' AND agent_id = ? AND support_status = 'assigned'"_s,
        {agentId});
    if (!q)
        return m_sql.storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    QList<ConversationInfo> changed;
    for (qint64 id : std::as_const(ids)) {
        auto removed = m_conversations.setParticipant(id, agentId, false, 0);
        if (!removed)
            return removed.error();
        if (!m_sql.run(u"UPDATE conversations SET agent_id = NULL, support_status = 'open' WHERE id = ?"_s, {id}))
            return m_sql.storageError();
        q = m_sql.run(u"SELECT requester_id FROM conversations WHERE id = ?"_s, {id});
        if (!q || !q->next())
            return m_sql.storageError();
        auto view = supportView(q->value(0).toLongLong(), id);
        if (!view)
            return view.error();
        changed.append(view.value());
    }
    return changed;
}

} // namespace Switchboard::Server
