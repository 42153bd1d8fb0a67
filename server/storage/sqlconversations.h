#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <memory>
#include <optional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;
class SqlFiles;
class SqlPushOutbox;
class SqliteStatement;
class SqlUsers;

// Tables conversations, participants and messages: sending (seq, dedup, the outbox rows of the
// same transaction), history, summaries, watermarks, groups and membership. Membership, types and
// (SQLite) the last seq of each conversation are cached here, beside their tables: they only
// change through this thread, and the worker clears them whenever a batch rolls back.
class SqlConversations
{
public:
    SqlConversations(SqlContext &sql, SqlUsers &users, SqlFiles &files, SqlPushOutbox &push);
    ~SqlConversations();

    Result<SessionOpening> openSession(qint64 userId, int pendingLimit);
    Result<AppendResult> appendMessage(const AppendRequest &request);
    Result<HistoryPage> history(const HistoryQuery &query);
    Result<QList<ConversationInfo>> conversations(qint64 userId);
    Result<ConversationInfo> conversation(qint64 userId, qint64 conversationId);
    Result<QList<qint64>> participantsFor(qint64 userId, qint64 conversationId);
    Result<WatermarkResult> updateWatermark(const WatermarkUpdate &update);
    Result<ConversationInfo> createGroup(const GroupCreate &request);
    Result<MembershipResult> changeMembership(const MembershipChange &change);

    // For the support table group, which shares these tables.
    Result<QList<qint64>> participants(qint64 conversationId);
    Result<ConversationInfo> describe(qint64 userId, qint64 conversationId, const QString &type, const QString &title,
        qint64 lastSeq, qint64 readSeq, qint64 deliveredSeq);
    Result<Done> setParticipant(qint64 conversationId, qint64 userId, bool present, qint64 now);

    // Forgets the cached membership, types and seqs (after a reconnect or a rolled-back batch).
    void clearCaches();

private:
    struct Membership
    {
        bool conversationExists = false;
        bool participant = false; // or an outsider the rules let in
        bool hasRow = false; // a participants row (watermarks) exists
        QString type;
        qint64 lastSeq = 0;
        qint64 deliveredSeq = 0;
        qint64 readSeq = 0;
    };
    // The message that currently holds (sender, client_msg_id) for dedup (dedup_open set; the
    // unique index allows one), whether or not its 24 h are over.
    struct DedupHolder
    {
        qint64 id = 0;
        qint64 createdAt = 0;
    };

    Result<std::optional<DedupHolder>> dedupHolder(qint64 senderId, const QString &clientMsgId);
    // The holder's client_msg_id no longer deduplicates (its window is over).
    Result<Done> closeDedup(qint64 messageId);
    // `result` answering with the stored message `messageId` as the duplicate of a send to
    // `conversationId`.
    Result<AppendResult> duplicateOf(qint64 messageId, qint64 conversationId, AppendResult result);
    Result<Membership> membership(qint64 userId, qint64 conversationId);
    // The type of a conversation (types never change, so it is cached); not_found if none.
    Result<QString> conversationType(qint64 conversationId);
    Result<ChatMessage> messageBySeq(qint64 conversationId, qint64 seq);
    Result<qint64> privateConversation(qint64 a, qint64 b, qint64 now);
    // Appends one message at the next seq of the conversation. A message with a client_msg_id
    // takes part in dedup; on SQLite, when another message holds its (sender, client_msg_id),
    // nothing is written and the result is empty. PostgreSQL looks first (appendMessage) and fails
    // the statement in that case.
    Result<std::optional<ChatMessage>> insertMessage(qint64 conversationId, qint64 senderId, const QString &type,
        const QString &content, const QJsonObject &attachment, const QString &clientMsgId, qint64 now,
        qint64 fileId = 0);

    SqlContext &m_sql;
    SqlUsers &m_users;
    SqlFiles &m_files;
    SqlPushOutbox &m_push;
    QHash<qint64, QList<qint64>> m_participants;
    QHash<QString, qint64> m_privateConversations;
    QHash<qint64, QString> m_conversationTypes;
    QHash<qint64, qint64> m_lastSeq; // SQLite only: conversation -> last assigned seq
    std::unique_ptr<SqliteStatement> m_nativeInsertMessage;
};

} // namespace Switchboard::Server
