#include "server/storage/sqlconversations.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"
#include "server/storage/sqlfiles.h"
#include "server/storage/sqlitestatement.h"
#include "server/storage/sqlpushoutbox.h"
#include "server/storage/sqlusers.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlConversations::SqlConversations(SqlContext &sql, SqlUsers &users, SqlFiles &files, SqlPushOutbox &push)
    : m_sql(sql), m_users(users), m_files(files), m_push(push)
{ }

SqlConversations::~SqlConversations() = default;

void SqlConversations::clearCaches()
{
    m_participants.clear();
    m_privateConversations.clear();
    m_conversationTypes.clear();
    m_lastSeq.clear();
    m_nativeInsertMessage.reset();
}

Result<std::optional<SqlConversations::DedupHolder>> SqlConversations::dedupHolder(
    qint64 senderId, const QString &clientMsgId)
{
    // `dedup_open IS NOT NULL` lets both databases answer from the partial unique index.
    QSqlQuery *q = m_sql.run(u"SELECT id, created_at FROM messages"
                             " WHERE sender_id = ? AND client_msg_id = ? AND dedup_open IS NOT NULL"_s,
        {senderId, clientMsgId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return std::optional<DedupHolder>();
    return std::optional<DedupHolder>(DedupHolder {q->value(0).toLongLong(), q->value(1).toLongLong()});
}

Result<Done> SqlConversations::closeDedup(qint64 messageId)
{
    if (!m_sql.run(u"UPDATE messages SET dedup_open = NULL WHERE id = ?"_s, {messageId}))
        return m_sql.storageError();
    return Done {};
}

Result<AppendResult> SqlConversations::duplicateOf(qint64 messageId, qint64 conversationId, AppendResult result)
{
    QSqlQuery *q = m_sql.run(u"SELECT "_s + kMessageColumns + u" FROM messages m WHERE m.id = ?"_s, {messageId});
    if (!q || !q->next())
        return m_sql.storageError();
    result.message = readMessage(*q, 0);
    result.duplicate = true;
    if (result.message.conversationId != conversationId) {
        auto original = participants(result.message.conversationId);
        if (!original)
            return original.error();
        result.participants = original.value();
    }
    return result;
}

Result<SessionOpening> SqlConversations::openSession(qint64 userId, int pendingLimit)
{
    auto account = m_users.account(userId);
    if (!account)
        return account.error();
    SessionOpening opening;
    opening.user = account->user;
    opening.tokenVersion = account->tokenVersion;
    // Everything above the delivered watermark that others sent, oldest first. Message ids grow in
    // commit order, so ordering by id keeps each conversation in seq order.
    QSqlQuery *q = m_sql.run(u"SELECT "_s + kMessageColumns
            + u" FROM participants p JOIN messages m ON m.conversation_id = p.conversation_id"
              " AND m.seq > p.delivered_seq"
              " WHERE p.user_id = ? AND m.sender_id <> ? ORDER BY m.id LIMIT ?"_s,
        {userId, userId, pendingLimit + 1});
    if (!q)
        return m_sql.storageError();
    while (q->next())
        opening.pending.messages.append(readMessage(*q, 0));
    if (opening.pending.messages.size() > pendingLimit) {
        opening.pending.messages.removeLast();
        opening.pending.hasMore = true;
    }
    return opening;
}

Result<SqlConversations::Membership> SqlConversations::membership(qint64 userId, qint64 conversationId)
{
    Membership m;
    QSqlQuery *q = m_sql.run(u"SELECT c.type, "_s + lastSeqSql(m_sql.dialect())
            + u", p.delivered_seq, p.read_seq, p.user_id FROM conversations c"
              " LEFT JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?"
              " WHERE c.id = ?"_s,
        {userId, conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return m;
    m.conversationExists = true;
    m.type = q->value(0).toString();
    m.lastSeq = q->value(1).toLongLong();
    m.participant = !q->value(4).isNull();
    m.hasRow = m.participant;
    m.deliveredSeq = q->value(2).toLongLong();
    m.readSeq = q->value(3).toLongLong();
    if (!m.participant) {
        auto role = m_users.roleOf(userId);
        if (!role)
            return role.error();
        m.participant = m_sql.rules().outsiderMayAccess(m.type, role.value());
    }
    return m;
}

Result<QString> SqlConversations::conversationType(qint64 conversationId)
{
    if (auto it = m_conversationTypes.constFind(conversationId); it != m_conversationTypes.constEnd())
        return *it;
    QSqlQuery *q = m_sql.run(u"SELECT type FROM conversations WHERE id = ?"_s, {conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Conversation not found"_s);
    const QString type = q->value(0).toString();
    if (m_conversationTypes.size() > kParticipantCacheLimit)
        m_conversationTypes.clear();
    m_conversationTypes.insert(conversationId, type);
    return type;
}

Result<QList<qint64>> SqlConversations::participants(qint64 conversationId)
{
    auto it = m_participants.constFind(conversationId);
    if (it != m_participants.constEnd())
        return *it;
    QSqlQuery *q
        = m_sql.run(u"SELECT user_id FROM participants WHERE conversation_id = ? ORDER BY user_id"_s, {conversationId});
    if (!q)
        return m_sql.storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    if (m_participants.size() >= kParticipantCacheLimit)
        m_participants.clear();
    m_participants.insert(conversationId, ids);
    return ids;
}

Result<qint64> SqlConversations::privateConversation(qint64 a, qint64 b, qint64 now)
{
    const QString key = u"%1:%2"_s.arg(std::min(a, b)).arg(std::max(a, b));
    if (auto it = m_privateConversations.constFind(key); it != m_privateConversations.constEnd())
        return *it;
    QSqlQuery *q = m_sql.run(u"SELECT id FROM conversations WHERE private_key = ?"_s, {key});
    if (!q)
        return m_sql.storageError();
    qint64 id = 0;
    if (q->next()) {
        id = q->value(0).toLongLong();
    } else {
        auto peer = m_users.user(b);
        if (!peer)
            return peer.error();
        q = m_sql.run(u"INSERT INTO conversations (type, private_key, last_seq, created_at, updated_at)"
                      " VALUES ('private', ?, 0, ?, ?) RETURNING id"_s,
            {key, now, now});
        if (!q || !q->next())
            return m_sql.storageError();
        id = q->value(0).toLongLong();
        for (qint64 member : {std::min(a, b), std::max(a, b)}) {
            if (!m_sql.run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                    {id, member, now}))
                return m_sql.storageError();
            if (a == b)
                break; // a note-to-self conversation has one participant
        }
        // Not cached until the transaction commits would be stricter; the worker clears all caches
        // whenever a batch rolls back, which has the same effect.
    }
    m_privateConversations.insert(key, id);
    return id;
}

Result<AppendResult> SqlConversations::appendMessage(const AppendRequest &r)
{
    qint64 conversationId = 0;
    QString kind = u"private"_s;
    if (r.toUserId) {
        // A file the sender may not send is refused before a first message would create the pair
        // (a refused request leaves nothing behind; the checks below run again, they are cheap).
        if (r.fileId > 0) {
            auto f = m_files.fileForUser(r.senderId, r.fileId);
            if (!f)
                return f.error();
            if (auto refused = m_sql.rules().attachmentRefusal(r.type, f.value()))
                return *refused;
        }
        // privateConversation() checks that the peer exists when it creates the pair.
        auto id = privateConversation(r.senderId, *r.toUserId, r.now);
        if (!id)
            return id.error();
        conversationId = id.value();
    } else {
        // The hot path of every send: answered from the worker's caches after the first message.
        conversationId = *r.conversationId;
        auto type = conversationType(conversationId);
        if (!type)
            return type.error();
        kind = type.value();
        auto members = participants(conversationId);
        if (!members)
            return members.error();
        if (!members->contains(r.senderId)) {
            auto role = m_users.roleOf(r.senderId);
            if (!role)
                return role.error();
            if (!m_sql.rules().outsiderMayAccess(kind, role.value()))
                return forbidden();
        }
    }

    AppendResult result;
    result.conversationType = kind;
    auto members = participants(conversationId);
    if (!members)
        return members.error();
    result.participants = members.value();

    // Dedup: one message per (sender, client_msg_id) within the window, held by the unique index
    // messages_dedup. SQLite, whose only writer is this thread, inserts first and looks only when
    // the index refused the row: almost every send is new, and that saves a lookup per message.
    // PostgreSQL looks first, because other server nodes may write to the same database; should
    // two of them race past the lookup with the same key, the index fails the second one's insert,
    // so its job (only) fails with `unavailable`, and the client's retry gets the duplicate reply.
    const bool dedup = !r.clientMsgId.isEmpty();
    const bool insertFirst = m_sql.dialect() == Migrations::Dialect::Sqlite;
    const auto windowOpen = [&r](const DedupHolder &holder) { return holder.createdAt > r.now - kDedupWindowMs; };
    std::optional<qint64> expiredHolder;
    if (dedup && !insertFirst) {
        auto holder = dedupHolder(r.senderId, r.clientMsgId);
        if (!holder)
            return holder.error();
        if (holder->has_value()) {
            if (windowOpen(*holder.value()))
                return duplicateOf(holder.value()->id, conversationId, result);
            expiredHolder = holder.value()->id; // released right before the insert: a refusal writes nothing
        }
    }

    QJsonObject attachment = r.attachment;
    if (r.fileId > 0) {
        // Only the uploader, or someone who already received the file, may send it on.
        auto f = m_files.fileForUser(r.senderId, r.fileId);
        std::optional<ProtocolError> refused;
        if (!f)
            refused = f.error();
        else
            refused = m_sql.rules().attachmentRefusal(r.type, f.value());
        if (refused) {
            // A duplicate is answered before the file is checked (as PostgreSQL did above), so a
            // retry gets its original back even if it would be refused now.
            if (dedup && insertFirst && !m_sql.failed()) {
                auto holder = dedupHolder(r.senderId, r.clientMsgId);
                if (!holder)
                    return holder.error();
                if (holder->has_value() && windowOpen(*holder.value()))
                    return duplicateOf(holder.value()->id, conversationId, result);
            }
            return *refused;
        }
        attachment = QJsonObject {
            {u"file_id"_s, double(f->id)}, {u"name"_s, f->name}, {u"size"_s, double(f->size)}, {u"mime"_s, f->mime}};
    }
    if (expiredHolder) {
        auto closed = closeDedup(*expiredHolder);
        if (!closed)
            return closed.error();
    }
    auto message
        = insertMessage(conversationId, r.senderId, r.type, r.content, attachment, r.clientMsgId, r.now, r.fileId);
    if (!message)
        return message.error();
    if (!message->has_value()) {
        // SQLite: another message holds the client_msg_id; nothing was written.
        auto holder = dedupHolder(r.senderId, r.clientMsgId);
        if (!holder)
            return holder.error();
        if (!holder->has_value()) {
            qCWarning(lcStorage) << "insert refused by the dedup index, but no message holds the key";
            return m_sql.storageError();
        }
        if (windowOpen(*holder.value()))
            return duplicateOf(holder.value()->id, conversationId, result);
        // Its 24 h are over: the same client_msg_id makes a new message, which takes the key over.
        auto closed = closeDedup(holder.value()->id);
        if (!closed)
            return closed.error();
        message
            = insertMessage(conversationId, r.senderId, r.type, r.content, attachment, r.clientMsgId, r.now, r.fileId);
        if (!message)
            return message.error();
        if (!message->has_value())
            return m_sql.storageError();
    }
    result.message = *message.value();
    auto queued = m_push.queuePush(result.message, result.participants);
    if (!queued)
        return queued.error();
    result.pushQueued = queued.value();
    return result;
}

Result<HistoryPage> SqlConversations::history(const HistoryQuery &h)
{
    auto m = membership(h.userId, h.conversationId);
    if (!m)
        return m.error();
    if (!m->conversationExists)
        return notFound(u"Conversation not found"_s);
    if (!m->participant)
        return forbidden();

    const QString base = u"SELECT "_s + kMessageColumns + u" FROM messages m WHERE m.conversation_id = ?"_s;
    QSqlQuery *q = nullptr;
    bool descending = false;
    if (h.afterSeq && h.beforeSeq) {
        q = m_sql.run(base + u" AND m.seq > ? AND m.seq < ? ORDER BY m.seq ASC LIMIT ?"_s,
            {h.conversationId, *h.afterSeq, *h.beforeSeq, h.limit + 1});
    } else if (h.afterSeq) {
        q = m_sql.run(
            base + u" AND m.seq > ? ORDER BY m.seq ASC LIMIT ?"_s, {h.conversationId, *h.afterSeq, h.limit + 1});
    } else if (h.beforeSeq) {
        descending = true;
        q = m_sql.run(
            base + u" AND m.seq < ? ORDER BY m.seq DESC LIMIT ?"_s, {h.conversationId, *h.beforeSeq, h.limit + 1});
    } else {
        descending = true;
        q = m_sql.run(base + u" ORDER BY m.seq DESC LIMIT ?"_s, {h.conversationId, h.limit + 1});
    }
    if (!q)
        return m_sql.storageError();
    HistoryPage page;
    while (q->next())
        page.messages.append(readMessage(*q, 0));
    if (page.messages.size() > h.limit) {
        page.messages.removeLast();
        page.hasMore = true;
    }
    if (descending)
        std::reverse(page.messages.begin(), page.messages.end());
    return page;
}

Result<ChatMessage> SqlConversations::messageBySeq(qint64 conversationId, qint64 seq)
{
    QSqlQuery *q
        = m_sql.run(u"SELECT "_s + kMessageColumns + u" FROM messages m WHERE m.conversation_id = ? AND m.seq = ?"_s,
            {conversationId, seq});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Message not found"_s);
    return readMessage(*q, 0);
}

Result<ConversationInfo> SqlConversations::describe(qint64 userId, qint64 conversationId, const QString &type,
    const QString &title, qint64 lastSeq, qint64 readSeq, qint64 deliveredSeq)
{
    ConversationInfo c;
    c.id = conversationId;
    c.type = type;
    c.title = title;
    c.lastSeq = lastSeq;
    c.readSeq = readSeq;
    c.deliveredSeq = deliveredSeq;
    auto members = participants(conversationId);
    if (!members)
        return members.error();
    c.participants = members.value();
    if (type == u"support"_s) {
        QSqlQuery *s
            = m_sql.run(u"SELECT support_status, agent_id, requester_id, created_at FROM conversations WHERE id = ?"_s,
                {conversationId});
        if (!s || !s->next())
            return m_sql.storageError();
        c.supportStatus = s->value(0).toString();
        c.agentId = s->value(1).isNull() ? 0 : s->value(1).toLongLong();
        c.requesterId = s->value(2).toLongLong();
        c.createdAt = s->value(3).toLongLong();
    }
    QSqlQuery *q
        = m_sql.run(u"SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id <> ?"_s,
            {conversationId, readSeq, userId});
    if (!q || !q->next())
        return m_sql.storageError();
    c.unread = q->value(0).toLongLong();
    if (lastSeq > 0) {
        auto last = messageBySeq(conversationId, lastSeq);
        if (!last)
            return last.error();
        c.lastMessage = last.value();
    }
    return c;
}

Result<QList<ConversationInfo>> SqlConversations::conversations(qint64 userId)
{
    QSqlQuery *q = m_sql.run(u"SELECT c.id, c.type, c.title, "_s + lastSeqSql(m_sql.dialect())
            + u", p.read_seq, p.delivered_seq"
              " FROM participants p JOIN conversations c ON c.id = p.conversation_id"
              " WHERE p.user_id = ? ORDER BY "_s
            + lastActivitySql(m_sql.dialect()) + u" DESC, c.id DESC"_s,
        {userId});
    if (!q)
        return m_sql.storageError();
    struct Row
    {
        qint64 id;
        QString type, title;
        qint64 lastSeq, readSeq, deliveredSeq;
    };
    QList<Row> rows;
    while (q->next()) {
        rows.append(Row {q->value(0).toLongLong(), q->value(1).toString(),
            q->value(2).isNull() ? QString() : q->value(2).toString(), q->value(3).toLongLong(),
            q->value(4).toLongLong(), q->value(5).toLongLong()});
    }
    QList<ConversationInfo> list;
    list.reserve(rows.size());
    for (const Row &row : rows) {
        auto c = describe(userId, row.id, row.type, row.title, row.lastSeq, row.readSeq, row.deliveredSeq);
        if (!c)
            return c.error();
        list.append(c.value());
    }
    return list;
}

Result<ConversationInfo> SqlConversations::conversation(qint64 userId, qint64 conversationId)
{
    QSqlQuery *q = m_sql.run(u"SELECT c.type, c.title, "_s + lastSeqSql(m_sql.dialect())
            + u", p.read_seq, p.delivered_seq, p.user_id FROM conversations c"
              " LEFT JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?"
              " WHERE c.id = ?"_s,
        {userId, conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Conversation not found"_s);
    const QString type = q->value(0).toString();
    if (q->value(5).isNull()) {
        auto role = m_users.roleOf(userId);
        if (!role)
            return role.error();
        if (!m_sql.rules().outsiderMayAccess(type, role.value()))
            return forbidden();
        q = m_sql.run(u"SELECT c.type, c.title, "_s + lastSeqSql(m_sql.dialect())
                + u", 0, 0 FROM conversations c WHERE c.id = ?"_s,
            {conversationId});
        if (!q || !q->next())
            return m_sql.storageError();
    }
    const QString title = q->value(1).isNull() ? QString() : q->value(1).toString();
    const qint64 lastSeq = q->value(2).toLongLong();
    const qint64 readSeq = q->value(3).toLongLong();
    const qint64 deliveredSeq = q->value(4).toLongLong();
    return describe(userId, conversationId, type, title, lastSeq, readSeq, deliveredSeq);
}

Result<QList<qint64>> SqlConversations::participantsFor(qint64 userId, qint64 conversationId)
{
    auto members = participants(conversationId);
    if (!members)
        return members.error();
    if (members->contains(userId))
        return members;
    auto m = membership(userId, conversationId);
    if (!m)
        return m.error();
    if (!m->conversationExists)
        return notFound(u"Conversation not found"_s);
    if (m->participant)
        return members; // staff in a support conversation
    return forbidden();
}

Result<WatermarkResult> SqlConversations::updateWatermark(const WatermarkUpdate &u)
{
    auto m = membership(u.userId, u.conversationId);
    if (!m)
        return m.error();
    if (!m->conversationExists)
        return notFound(u"Conversation not found"_s);
    if (!m->participant)
        return forbidden();
    // Clamp to last_seq so a read "ahead" cannot swallow future messages; never move backwards.
    const qint64 target = std::min(u.seq, m->lastSeq);
    WatermarkResult w;
    w.readSeq = u.read ? std::max(m->readSeq, target) : m->readSeq;
    w.deliveredSeq = std::max({m->deliveredSeq, target, w.readSeq});
    // Staff reading a support chat they are not part of have no participants row to keep a
    // watermark in: nothing is stored and nothing announced, so their receipts can never go
    // backwards (section 13) from one request to the next.
    w.readChanged = m->hasRow && w.readSeq != m->readSeq;
    w.deliveredChanged = m->hasRow && w.deliveredSeq != m->deliveredSeq;
    if (w.readChanged || w.deliveredChanged) {
        if (!m_sql.run(
                u"UPDATE participants SET delivered_seq = ?, read_seq = ? WHERE conversation_id = ? AND user_id = ?"_s,
                {w.deliveredSeq, w.readSeq, u.conversationId, u.userId}))
            return m_sql.storageError();
    }
    auto members = participants(u.conversationId);
    if (!members)
        return members.error();
    w.participants = members.value();
    return w;
}

Result<std::optional<ChatMessage>> SqlConversations::insertMessage(qint64 conversationId, qint64 senderId,
    const QString &type, const QString &content, const QJsonObject &attachment, const QString &clientMsgId, qint64 now,
    qint64 fileId)
{
    // seq is assigned inside the transaction; on PostgreSQL the row lock on the conversation
    // serialises writers.
    const bool sqlite = m_sql.dialect() == Migrations::Dialect::Sqlite;
    const QVariant dedupOpen = clientMsgId.isEmpty() ? QVariant() : QVariant(1);
    qint64 seq = 0;
    QSqlQuery *q = nullptr;
    if (sqlite) {
        // SQLite has one writer, this thread, so the last seq of a conversation can be cached
        // (clearCaches() drops it on any rollback), and the conversations row is not written per
        // message at all: a miss derives the last seq from the messages (lastSeqSql()).
        // RETURNING would cost SQLite a temporary table per statement. The cache moves only once
        // the row is in (below).
        auto last = m_lastSeq.constFind(conversationId);
        if (last == m_lastSeq.constEnd()) {
            q = m_sql.run(u"SELECT "_s + lastSeqSql(m_sql.dialect()) + u" FROM conversations c WHERE c.id = ?"_s,
                {conversationId});
            if (!q || !q->next())
                return m_sql.storageError();
            if (m_lastSeq.size() >= kParticipantCacheLimit)
                m_lastSeq.clear(); // bounded; a miss only derives it again (uncommitted inserts included)
            last = m_lastSeq.insert(conversationId, q->value(0).toLongLong());
        }
        seq = *last + 1;
    } else {
        q = m_sql.run(
            u"UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq"_s,
            {now, conversationId});
        if (!q || !q->next())
            return m_sql.storageError();
        seq = q->value(0).toLongLong();
    }
    QByteArray contentBytes = content.toUtf8();
    if (contentBytes.isNull())
        contentBytes = QByteArray("", 0); // an empty caption is "", not SQL NULL
    const QVariant attachmentText = attachment.isEmpty()
        ? QVariant()
        : QVariant(QString::fromUtf8(QJsonDocument(attachment).toJson(QJsonDocument::Compact)));
    // SQLite: when another message holds (sender_id, client_msg_id) in messages_dedup, nothing is
    // inserted (the conflict target names that partial index).
    static constexpr char kInsertSqlite[]
        = "INSERT INTO messages (conversation_id, seq, sender_id, type, content, attachment, client_msg_id, created_at,"
          " file_id, dedup_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (sender_id, client_msg_id) WHERE dedup_open IS NOT NULL DO NOTHING";
    static constexpr char kInsertPostgres[]
        = "INSERT INTO messages (conversation_id, seq, sender_id, type, content, attachment, client_msg_id, created_at,"
          " file_id, dedup_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
    qint64 id = 0;
    bool inserted = false;
    if (m_sql.sqlite()) {
        SqliteStatement *st = m_sql.native(m_nativeInsertMessage, kInsertSqlite);
        if (!st)
            return m_sql.storageError();
        const bool bound = st->bind(1, conversationId) && st->bind(2, seq) && st->bind(3, senderId) && st->bind(4, type)
            && st->bindBlob(5, contentBytes)
            && (attachmentText.isNull() ? st->bindNull(6) : st->bind(6, attachmentText.toString()))
            && st->bind(7, clientMsgId.isEmpty() ? QString() : clientMsgId) && st->bind(8, now)
            && (fileId > 0 ? st->bind(9, fileId) : st->bindNull(9))
            && (dedupOpen.isNull() ? st->bindNull(10) : st->bind(10, qint64(1)));
        if (!bound || !st->step()) {
            m_sql.nativeFailed(*st, "insert message");
            return m_sql.storageError();
        }
        inserted = st->changes() > 0;
        id = inserted ? st->lastInsertRowId() : 0;
        st->reset();
    } else {
        static const QString insertSqlite = QString::fromLatin1(kInsertSqlite);
        static const QString insertPostgres = QString::fromLatin1(kInsertPostgres);
        q = m_sql.run(sqlite ? insertSqlite : insertPostgres,
            {conversationId, seq, senderId, type, contentBytes, attachmentText,
                clientMsgId.isEmpty() ? QVariant() : QVariant(clientMsgId), now,
                fileId > 0 ? QVariant(fileId) : QVariant(), dedupOpen});
        if (!q || (!sqlite && !q->next()))
            return m_sql.storageError();
        inserted = !sqlite || q->numRowsAffected() > 0;
        if (inserted)
            id = sqlite ? q->lastInsertId().toLongLong() : q->value(0).toLongLong();
    }
    if (!inserted)
        return std::optional<ChatMessage>(); // SQLite only; the seq cache is untouched
    if (id <= 0)
        return m_sql.storageError();
    if (sqlite)
        m_lastSeq.insert(conversationId, seq); // the new row itself is the last seq and activity now
    ChatMessage m;
    m.id = id;
    m.conversationId = conversationId;
    m.seq = seq;
    m.senderId = senderId;
    m.type = type;
    m.content = content;
    m.attachment = attachment;
    m.clientMsgId = clientMsgId;
    m.createdAt = now;
    return std::optional<ChatMessage>(m);
}

Result<ConversationInfo> SqlConversations::createGroup(const GroupCreate &g)
{
    for (qint64 member : g.members) {
        auto u = m_users.user(member);
        if (!u)
            return u.error();
    }
    QSqlQuery *q = m_sql.run(u"INSERT INTO conversations (type, title, owner_id, last_seq, created_at, updated_at)"
                             " VALUES ('group', ?, ?, 0, ?, ?) RETURNING id"_s,
        {g.title, g.ownerId, g.now, g.now});
    if (!q || !q->next())
        return m_sql.storageError();
    const qint64 id = q->value(0).toLongLong();
    QList<qint64> everyone {g.ownerId};
    everyone.append(g.members);
    for (qint64 member : std::as_const(everyone)) {
        if (!m_sql.run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                {id, member, g.now}))
            return m_sql.storageError();
    }
    m_participants.remove(id);
    return describe(g.ownerId, id, u"group"_s, g.title, 0, 0, 0);
}

Result<MembershipResult> SqlConversations::changeMembership(const MembershipChange &c)
{
    using Kind = MembershipChange::Kind;
    QSqlQuery *q = m_sql.run(u"SELECT type, owner_id FROM conversations WHERE id = ?"_s, {c.conversationId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"Conversation not found"_s);
    const QString type = q->value(0).toString();
    const qint64 ownerId = q->value(1).isNull() ? 0 : q->value(1).toLongLong();
    auto members = participants(c.conversationId);
    if (!members)
        return members.error();
    QList<qint64> current = members.value();
    const bool actorIsMember = current.contains(c.actorId);
    if (!actorIsMember && !(c.actorIsAdmin && c.kind != Kind::Leave))
        return forbidden();
    if (type != u"group"_s)
        return ProtocolError::make(ErrorCode::ValidationFailed, u"Only group conversations have members to change"_s);
    if (c.kind != Kind::Leave && c.actorId != ownerId && !c.actorIsAdmin)
        return ProtocolError::make(ErrorCode::Forbidden, u"Only the owner or an admin may change members"_s);

    MembershipResult result;
    QString event;
    if (c.kind == Kind::Add) {
        auto u = m_users.user(c.userId);
        if (!u)
            return u.error();
        if (current.contains(c.userId)) {
            result.notify = current; // already a member: nothing changes
            return result;
        }
        if (current.size() >= c.maxMembers)
            return ProtocolError::make(ErrorCode::LimitExceeded, u"The group has reached max_group_members"_s);
        if (!m_sql.run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                {c.conversationId, c.userId, c.now}))
            return m_sql.storageError();
        current.append(c.userId);
        result.notify = current;
        event = u"member_added"_s;
    } else {
        if (!current.contains(c.userId))
            return notFound(u"User is not a member of this conversation"_s);
        if (!m_sql.run(
                u"DELETE FROM participants WHERE conversation_id = ? AND user_id = ?"_s, {c.conversationId, c.userId}))
            return m_sql.storageError();
        // The removed member hears about it too, so their client can update.
        result.notify = current;
        current.removeOne(c.userId);
        event = c.kind == Kind::Leave ? u"member_left"_s : u"member_removed"_s;
        if (c.userId == ownerId && !current.isEmpty()) {
            // The owner left: the longest-standing member takes over.
            QSqlQuery *next = m_sql.run(
                u"SELECT user_id FROM participants WHERE conversation_id = ? ORDER BY joined_at, user_id LIMIT 1"_s,
                {c.conversationId});
            if (!next)
                return m_sql.storageError();
            if (next->next()) {
                const qint64 newOwner = next->value(0).toLongLong();
                if (!m_sql.run(u"UPDATE conversations SET owner_id = ? WHERE id = ?"_s, {newOwner, c.conversationId}))
                    return m_sql.storageError();
            }
        }
    }
    m_participants.insert(c.conversationId, current);
    const QJsonObject content {
        {u"event"_s, event}, {u"user_id"_s, double(c.userId)}, {u"actor_id"_s, double(c.actorId)}};
    auto message = insertMessage(c.conversationId, c.actorId, u"system"_s,
        QString::fromUtf8(QJsonDocument(content).toJson(QJsonDocument::Compact)), {}, {}, c.now);
    if (!message)
        return message.error();
    if (!message->has_value())
        return m_sql.storageError(); // cannot happen: without a client_msg_id there is no dedup
    result.systemMessage = *message.value();
    return result;
}

Result<Done> SqlConversations::setParticipant(qint64 conversationId, qint64 userId, bool present, qint64 now)
{
    auto members = participants(conversationId);
    if (!members)
        return members.error();
    QList<qint64> list = members.value();
    if (present == list.contains(userId))
        return Done {};
    if (present) {
        if (!m_sql.run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                {conversationId, userId, now}))
            return m_sql.storageError();
        list.append(userId);
    } else {
        if (!m_sql.run(
                u"DELETE FROM participants WHERE conversation_id = ? AND user_id = ?"_s, {conversationId, userId}))
            return m_sql.storageError();
        list.removeOne(userId);
    }
    m_participants.insert(conversationId, list);
    return Done {};
}

} // namespace Switchboard::Server
