#pragma once

#include <QHash>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>
#include <functional>
#include <initializer_list>
#include <memory>

#include "server/storage/migrations.h"
#include "server/storage/storagerules.h"
#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

struct sqlite3;

namespace Switchboard::Server {

class SqliteStatement;

// The SQL of every storage operation. Lives on the storage thread only, owns that thread's
// connection and a cache of prepared statements. Every statement is prepared with bound values.
// A failed statement marks the current job failed (the caller rolls back its savepoint) and comes
// back as `unavailable`.
class SqlOperations
{
public:
    SqlOperations(QSqlDatabase db, Migrations::Dialect dialect, const StorageRules &rules);
    ~SqlOperations();

    Migrations::Dialect dialect() const { return m_dialect; }
    QSqlDatabase &database() { return m_db; }

    // Per-job failure flag, reset by the worker before each job.
    void resetFailure() { m_failed = false; }
    // Releases the result sets of the statements the last job used (SQLite cannot release a
    // savepoint or commit while a statement still holds a cursor).
    void finishStatements();
    bool failed() const { return m_failed; }
    // Forget cached statements and derived data (after a reconnect or a rolled-back batch).
    void clearCaches();
    bool execRaw(const QString &sql);
    // Transaction control (BEGIN, SAVEPOINT, ...): a cached prepared statement on SQLite, where
    // re-parsing them for every job cost a quarter of the storage thread; plain exec on
    // PostgreSQL, which cannot PREPARE them.
    bool execControl(const QString &sql);

    Result<UserInfo> createUser(const NewUser &user, qint64 now);
    Result<std::optional<StoredUser>> findCredentials(const QString &username);
    Result<UserInfo> user(qint64 userId);
    Result<QList<UserInfo>> searchUsers(const QString &query, int limit);
    Result<Done> touchLastSeen(qint64 userId, qint64 when);
    Result<SessionOpening> openSession(qint64 userId, int pendingLimit);
    Result<AppendResult> appendMessage(const AppendRequest &request);
    Result<HistoryPage> history(const HistoryQuery &query);
    Result<QList<ConversationInfo>> conversations(qint64 userId);
    Result<ConversationInfo> conversation(qint64 userId, qint64 conversationId);
    Result<QList<qint64>> participantsFor(qint64 userId, qint64 conversationId);
    Result<WatermarkResult> updateWatermark(const WatermarkUpdate &update);
    Result<QString> loadOrStoreSetting(const QString &key, const QString &valueIfMissing);
    Result<ConversationInfo> createGroup(const GroupCreate &request);
    Result<MembershipResult> changeMembership(const MembershipChange &change);
    Result<QList<ContactInfo>> contacts(qint64 ownerId);
    Result<ContactInfo> addContact(qint64 ownerId, qint64 contactId, qint64 now);
    Result<Done> removeContact(qint64 ownerId, qint64 contactId);
    Result<QList<qint64>> presenceWatchers(qint64 userId);
    Result<QHash<qint64, qint64>> lastSeen(const QList<qint64> &userIds);
    Result<ConversationInfo> supportOpen(qint64 userId, const QString &topic, qint64 now);
    Result<QList<ConversationInfo>> supportQueue(qint64 agentId);
    Result<ConversationInfo> supportAssign(const SupportAssignment &assignment);
    Result<ConversationInfo> supportClose(qint64 conversationId);
    Result<ConversationInfo> supportAutoAssign(qint64 conversationId, const QList<qint64> &candidates, int capacity,
                                               qint64 now);
    Result<QList<ConversationInfo>> supportRequeue(qint64 agentId);
    Result<FileRecord> createFile(const FileRecord &file);
    Result<FileRecord> fileForUser(qint64 userId, qint64 fileId);
    Result<FileRecord> file(qint64 fileId);
    Result<Done> registerPush(qint64 userId, const QString &platform, const QString &token, qint64 now);
    Result<QList<PushJob>> claimPush(int limit, qint64 leaseMs, qint64 now);
    Result<Done> finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, qint64 now);
    Result<QList<PushJob>> pushFailures(int limit);

private:
    struct Membership
    {
        bool conversationExists = false;
        bool participant = false;
        QString type;
        qint64 lastSeq = 0;
        qint64 deliveredSeq = 0;
        qint64 readSeq = 0;
    };

    QSqlQuery *run(const QString &sql, std::initializer_list<QVariant> values);
    // SQLite's own handle for the statements every message runs (see SqliteStatement); null on
    // PostgreSQL, or when SB_SQLITE_NATIVE=0.
    SqliteStatement *native(std::unique_ptr<SqliteStatement> &slot, const char *sql);
    void nativeFailed(SqliteStatement &statement, const char *what);
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
    ProtocolError storageError();
    Result<Membership> membership(qint64 userId, qint64 conversationId);
    // The type of a conversation (types never change, so it is cached); not_found if none.
    Result<QString> conversationType(qint64 conversationId);
    Result<QList<qint64>> participants(qint64 conversationId);
    Result<ChatMessage> messageBySeq(qint64 conversationId, qint64 seq);
    Result<ConversationInfo> describe(qint64 userId, qint64 conversationId, const QString &type,
                                      const QString &title, qint64 lastSeq, qint64 readSeq,
                                      qint64 deliveredSeq);
    Result<qint64> privateConversation(qint64 a, qint64 b, qint64 now);
    // A user's role (a fact for the rules; roles never change while the server runs).
    Result<QString> roleOf(qint64 userId);
    Result<ConversationInfo> supportView(qint64 viewerId, qint64 conversationId);
    Result<Done> setParticipant(qint64 conversationId, qint64 userId, bool present, qint64 now);
    // Outbox rows for every participant the rules want notified who has a push registration.
    Result<int> queuePush(const ChatMessage &message, const QList<qint64> &participants);
    static ChatMessage readMessage(const QSqlQuery &q, int first);
    // Appends one message at the next seq of the conversation. A message with a client_msg_id
    // takes part in dedup; on SQLite, when another message holds its (sender, client_msg_id),
    // nothing is written and the result is empty. PostgreSQL looks first (appendMessage) and fails
    // the statement in that case.
    Result<std::optional<ChatMessage>> insertMessage(qint64 conversationId, qint64 senderId, const QString &type,
        const QString &content, const QJsonObject &attachment, const QString &clientMsgId, qint64 now,
        qint64 fileId = 0);

    QSqlDatabase m_db;
    Migrations::Dialect m_dialect;
    const StorageRules &m_rules;
    bool m_failed = false;
    QHash<QString, QSqlQuery *> m_statements;
    QList<QSqlQuery *> m_used;
    // Membership only changes through this thread, so caching it here stays exact.
    QHash<qint64, QList<qint64>> m_participants;
    QHash<QString, qint64> m_privateConversations;
    QHash<qint64, QString> m_roles; // roles never change while the server runs
    QHash<qint64, QString> m_conversationTypes;
    QHash<qint64, qint64> m_lastSeq; // SQLite only: conversation -> last assigned seq
    sqlite3 *m_sqlite = nullptr;
    std::unique_ptr<SqliteStatement> m_nativeInsertMessage;
};

} // namespace Switchboard::Server
