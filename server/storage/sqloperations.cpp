#include "server/storage/sqloperations.h"

#include <QJsonDocument>
#include <QSqlError>
#include <QSqlRecord>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlitestatement.h"

#include <QSqlDriver>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr qint64 kDedupWindowMs = 24LL * 3600 * 1000;
constexpr int kParticipantCacheLimit = 100000;

const QString kMessageColumns =
    u"m.id, m.conversation_id, m.seq, m.sender_id, m.type, m.content, m.attachment, m.client_msg_id, m.created_at"_s;

ProtocolError notFound(const QString &what)
{
    return ProtocolError::make(ErrorCode::NotFound, what);
}
ProtocolError forbidden()
{
    return ProtocolError::make(ErrorCode::Forbidden, u"Not a participant of this conversation"_s);
}

UserInfo readUser(const QSqlQuery &q)
{
    UserInfo u;
    u.id = q.value(0).toLongLong();
    u.username = q.value(1).toString();
    u.displayName = q.value(2).toString();
    u.role = q.value(3).toString();
    return u;
}

QString likePattern(const QString &query)
{
    QString escaped;
    escaped.reserve(query.size() + 2);
    for (QChar c : query) {
        if (c == u'%' || c == u'_' || c == u'\\')
            escaped.append(u'\\');
        escaped.append(c);
    }
    return u'%' + escaped + u'%';
}

// A conversation's last seq and its last activity, as SQL over its conversations row `c`; the only
// place that spells them out, per dialect.
// PostgreSQL keeps both in the row: every message runs `UPDATE conversations SET last_seq =
// last_seq + 1, updated_at = … RETURNING last_seq`, whose row lock serialises the writers (several
// server nodes may share one database). SQLite has exactly one writer, the storage thread, which
// assigns seqs from its own cache (insertMessage), so it does not write the row for every message
// (that UPDATE was ~18 % of the storage thread): both values are derived from the messages, one
// seek each in the UNIQUE (conversation_id, seq) index, and the row's columns fill in what the
// messages cannot tell.
const QString &lastSeqSql(Migrations::Dialect dialect)
{
    // The column holds what was written at creation and what servers before this change wrote per
    // message: every seq up to it may have been handed out, so the last seq never reads lower (no
    // seq is ever reused).
    static const QString sqlite = u"max(c.last_seq, COALESCE((SELECT max(lm.seq) FROM messages lm"
                                  " WHERE lm.conversation_id = c.id), 0))"_s;
    static const QString postgres = u"c.last_seq"_s;
    return dialect == Migrations::Dialect::Sqlite ? sqlite : postgres;
}

const QString &lastActivitySql(Migrations::Dialect dialect)
{
    // The time of the newest message, which is what the UPDATE above writes (even when the clock
    // went back since the previous one); the column (the creation time) only when there is none.
    // Nothing else writes updated_at; whatever starts to must change this too.
    static const QString sqlite = u"COALESCE((SELECT lm.created_at FROM messages lm WHERE lm.conversation_id = c.id"
                                  " ORDER BY lm.seq DESC LIMIT 1), c.updated_at)"_s;
    static const QString postgres = u"c.updated_at"_s;
    return dialect == Migrations::Dialect::Sqlite ? sqlite : postgres;
}
} // namespace

SqlOperations::SqlOperations(QSqlDatabase db, Migrations::Dialect dialect, const StorageRules &rules)
    : m_db(std::move(db)), m_dialect(dialect), m_rules(rules)
{
    // Qt's SQLite driver on Debian uses the system libsqlite3, the library this target links, so
    // its connection handle can be used directly.
    if (m_dialect == Migrations::Dialect::Sqlite && qEnvironmentVariable("SB_SQLITE_NATIVE") != u"0"_s) {
        const QVariant handle = m_db.driver() ? m_db.driver()->handle() : QVariant();
        // A Qt built with its own copy of SQLite inside the plugin (qt.io builds) would hand us a
        // handle of another library: only use it if the plugin's SQLite is exactly ours.
        QSqlQuery source(m_db);
        const bool sameLibrary = source.exec(u"SELECT sqlite_source_id()"_s) && source.next()
            && source.value(0).toString() == QString::fromLatin1(SqliteStatement::linkedSourceId());
        if (handle.isValid() && qstrcmp(handle.typeName(), "sqlite3*") == 0 && sameLibrary)
            m_sqlite = *static_cast<sqlite3 *const *>(handle.constData());
        else
            qCInfo(lcStorage) << "the Qt SQLite driver does not use the linked SQLite; hot statements go through QSqlQuery";
    }
}

SqlOperations::~SqlOperations() = default;

SqliteStatement *SqlOperations::native(std::unique_ptr<SqliteStatement> &slot, const char *sql)
{
    if (!slot) {
        auto statement = std::make_unique<SqliteStatement>(m_sqlite, sql);
        if (!statement->isValid()) {
            qCWarning(lcStorage) << "prepare failed:" << QByteArray(sql).left(60) << statement->error();
            m_failed = true;
            return nullptr;
        }
        slot = std::move(statement);
    }
    return slot.get();
}

void SqlOperations::nativeFailed(SqliteStatement &statement, const char *what)
{
    qCWarning(lcStorage) << "statement failed:" << what << statement.error();
    statement.reset();
    m_failed = true;
}

Result<std::optional<SqlOperations::DedupHolder>> SqlOperations::dedupHolder(
    qint64 senderId, const QString &clientMsgId)
{
    // `dedup_open IS NOT NULL` lets both databases answer from the partial unique index.
    QSqlQuery *q = run(u"SELECT id, created_at FROM messages"
                       " WHERE sender_id = ? AND client_msg_id = ? AND dedup_open IS NOT NULL"_s,
        {senderId, clientMsgId});
    if (!q)
        return storageError();
    if (!q->next())
        return std::optional<DedupHolder>();
    return std::optional<DedupHolder>(DedupHolder {q->value(0).toLongLong(), q->value(1).toLongLong()});
}

Result<Done> SqlOperations::closeDedup(qint64 messageId)
{
    if (!run(u"UPDATE messages SET dedup_open = NULL WHERE id = ?"_s, {messageId}))
        return storageError();
    return Done {};
}

Result<AppendResult> SqlOperations::duplicateOf(qint64 messageId, qint64 conversationId, AppendResult result)
{
    QSqlQuery *q = run(u"SELECT "_s + kMessageColumns + u" FROM messages m WHERE m.id = ?"_s, {messageId});
    if (!q || !q->next())
        return storageError();
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

void SqlOperations::finishStatements()
{
    for (QSqlQuery *q : std::as_const(m_used))
        q->finish();
    m_used.clear();
}

void SqlOperations::clearCaches()
{
    m_used.clear();
    qDeleteAll(m_statements);
    m_statements.clear();
    m_participants.clear();
    m_privateConversations.clear();
    m_conversationTypes.clear();
    m_lastSeq.clear();
    m_nativeInsertMessage.reset();
}

bool SqlOperations::execControl(const QString &sql)
{
    if (m_dialect != Migrations::Dialect::Sqlite)
        return execRaw(sql);
    QSqlQuery *q = run(sql, {});
    if (!q)
        return false;
    q->finish();
    m_used.removeOne(q);
    return true;
}

bool SqlOperations::execRaw(const QString &sql)
{
    QSqlQuery q(m_db);
    if (!q.exec(sql)) {
        qCWarning(lcStorage) << "statement failed:" << sql << q.lastError().text();
        return false;
    }
    return true;
}

QSqlQuery *SqlOperations::run(const QString &sql, std::initializer_list<QVariant> values)
{
    QSqlQuery *q = m_statements.value(sql);
    if (!q) {
        q = new QSqlQuery(m_db);
        q->setForwardOnly(true);
        if (!q->prepare(sql)) {
            qCWarning(lcStorage) << "prepare failed:" << sql.left(60) << q->lastError().text();
            delete q;
            m_failed = true;
            return nullptr;
        }
        m_statements.insert(sql, q);
    }
    if (!m_used.contains(q))
        m_used.append(q);
    int i = 0;
    for (const QVariant &v : values)
        q->bindValue(i++, v);
    if (!q->exec()) {
        qCWarning(lcStorage) << "statement failed:" << sql.left(60) << q->lastError().text();
        m_failed = true;
        return nullptr;
    }
    return q;
}

ProtocolError SqlOperations::storageError()
{
    m_failed = true;
    return ProtocolError::make(ErrorCode::Unavailable, u"Storage is temporarily unavailable"_s);
}

ChatMessage SqlOperations::readMessage(const QSqlQuery &q, int f)
{
    ChatMessage m;
    m.id = q.value(f).toLongLong();
    m.conversationId = q.value(f + 1).toLongLong();
    m.seq = q.value(f + 2).toLongLong();
    m.senderId = q.value(f + 3).toLongLong();
    m.type = q.value(f + 4).toString();
    m.content = QString::fromUtf8(q.value(f + 5).toByteArray());
    const QVariant attachment = q.value(f + 6);
    if (!attachment.isNull())
        m.attachment = QJsonDocument::fromJson(attachment.toString().toUtf8()).object();
    const QVariant cmid = q.value(f + 7);
    if (!cmid.isNull())
        m.clientMsgId = cmid.toString();
    m.createdAt = q.value(f + 8).toLongLong();
    return m;
}

Result<UserInfo> SqlOperations::createUser(const NewUser &user, qint64 now)
{
    QSqlQuery *q = run(u"SELECT id FROM users WHERE username = ?"_s, {user.username});
    if (!q)
        return storageError();
    if (q->next())
        return ProtocolError::make(ErrorCode::Conflict, u"Username is already taken"_s);
    // SQL lower() is ASCII-only on SQLite: the search key is folded here, with Unicode rules.
    const QString searchKey = (user.username + u' ' + user.displayName).toCaseFolded();
    q = run(u"INSERT INTO users (username, display_name, role, password_hash, created_at, search_key)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"_s,
            {user.username, user.displayName, user.role,
             user.passwordHash.isEmpty() ? QVariant() : QVariant(user.passwordHash), now, searchKey});
    if (!q || !q->next())
        return storageError();
    UserInfo info;
    info.id = q->value(0).toLongLong();
    info.username = user.username;
    info.displayName = user.displayName;
    info.role = user.role;
    return info;
}

Result<std::optional<StoredUser>> SqlOperations::findCredentials(const QString &username)
{
    QSqlQuery *q = run(u"SELECT id, username, display_name, role, password_hash FROM users WHERE username = ?"_s,
                       {username});
    if (!q)
        return storageError();
    if (!q->next())
        return std::optional<StoredUser>();
    StoredUser s;
    s.info = readUser(*q);
    s.passwordHash = q->value(4).toString();
    return std::optional<StoredUser>(s);
}

Result<UserInfo> SqlOperations::user(qint64 userId)
{
    QSqlQuery *q = run(u"SELECT id, username, display_name, role FROM users WHERE id = ?"_s, {userId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"User not found"_s);
    return readUser(*q);
}

Result<QList<UserInfo>> SqlOperations::searchUsers(const QString &query, int limit)
{
    // Literal, case-insensitive substring: LIKE wildcards in the query are escaped.
    const QString pattern = likePattern(query.toCaseFolded());
    QSqlQuery *q = run(u"SELECT id, username, display_name, role FROM users"
                       " WHERE role <> 'guest' AND (search_key LIKE ? ESCAPE '\\'"
                       // rows written by other tools than this server have no key yet
                       " OR (search_key IS NULL AND (lower(username) LIKE ? ESCAPE '\\'"
                       " OR lower(display_name) LIKE ? ESCAPE '\\')))"
                       " ORDER BY username LIMIT ?"_s,
                       {pattern, pattern, pattern, limit});
    if (!q)
        return storageError();
    QList<UserInfo> users;
    while (q->next())
        users.append(readUser(*q));
    return users;
}

Result<Done> SqlOperations::touchLastSeen(qint64 userId, qint64 when)
{
    if (!run(u"UPDATE users SET last_seen_at = ? WHERE id = ?"_s, {when, userId}))
        return storageError();
    return Done{};
}

Result<SessionOpening> SqlOperations::openSession(qint64 userId, int pendingLimit)
{
    auto u = user(userId);
    if (!u)
        return u.error();
    SessionOpening opening;
    opening.user = u.value();
    // Everything above the delivered watermark that others sent, oldest first. Message ids grow in
    // commit order, so ordering by id keeps each conversation in seq order.
    QSqlQuery *q = run(u"SELECT "_s + kMessageColumns
                           + u" FROM participants p JOIN messages m ON m.conversation_id = p.conversation_id"
                             " AND m.seq > p.delivered_seq"
                             " WHERE p.user_id = ? AND m.sender_id <> ? ORDER BY m.id LIMIT ?"_s,
                       {userId, userId, pendingLimit + 1});
    if (!q)
        return storageError();
    while (q->next())
        opening.pending.messages.append(readMessage(*q, 0));
    if (opening.pending.messages.size() > pendingLimit) {
        opening.pending.messages.removeLast();
        opening.pending.hasMore = true;
    }
    return opening;
}

Result<SqlOperations::Membership> SqlOperations::membership(qint64 userId, qint64 conversationId)
{
    Membership m;
    QSqlQuery *q = run(u"SELECT c.type, "_s + lastSeqSql(m_dialect)
            + u", p.delivered_seq, p.read_seq, p.user_id FROM conversations c"
              " LEFT JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?"
              " WHERE c.id = ?"_s,
        {userId, conversationId});
    if (!q)
        return storageError();
    if (!q->next())
        return m;
    m.conversationExists = true;
    m.type = q->value(0).toString();
    m.lastSeq = q->value(1).toLongLong();
    m.participant = !q->value(4).isNull();
    m.deliveredSeq = q->value(2).toLongLong();
    m.readSeq = q->value(3).toLongLong();
    if (!m.participant) {
        auto role = roleOf(userId);
        if (!role)
            return role.error();
        m.participant = m_rules.outsiderMayAccess(m.type, role.value());
    }
    return m;
}

Result<QString> SqlOperations::conversationType(qint64 conversationId)
{
    if (auto it = m_conversationTypes.constFind(conversationId); it != m_conversationTypes.constEnd())
        return *it;
    QSqlQuery *q = run(u"SELECT type FROM conversations WHERE id = ?"_s, {conversationId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Conversation not found"_s);
    const QString type = q->value(0).toString();
    if (m_conversationTypes.size() > kParticipantCacheLimit)
        m_conversationTypes.clear();
    m_conversationTypes.insert(conversationId, type);
    return type;
}

Result<QList<qint64>> SqlOperations::participants(qint64 conversationId)
{
    auto it = m_participants.constFind(conversationId);
    if (it != m_participants.constEnd())
        return *it;
    QSqlQuery *q = run(u"SELECT user_id FROM participants WHERE conversation_id = ? ORDER BY user_id"_s,
                       {conversationId});
    if (!q)
        return storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    if (m_participants.size() >= kParticipantCacheLimit)
        m_participants.clear();
    m_participants.insert(conversationId, ids);
    return ids;
}

Result<qint64> SqlOperations::privateConversation(qint64 a, qint64 b, qint64 now)
{
    const QString key = u"%1:%2"_s.arg(std::min(a, b)).arg(std::max(a, b));
    if (auto it = m_privateConversations.constFind(key); it != m_privateConversations.constEnd())
        return *it;
    QSqlQuery *q = run(u"SELECT id FROM conversations WHERE private_key = ?"_s, {key});
    if (!q)
        return storageError();
    qint64 id = 0;
    if (q->next()) {
        id = q->value(0).toLongLong();
    } else {
        auto peer = user(b);
        if (!peer)
            return peer.error();
        q = run(u"INSERT INTO conversations (type, private_key, last_seq, created_at, updated_at)"
                " VALUES ('private', ?, 0, ?, ?) RETURNING id"_s,
                {key, now, now});
        if (!q || !q->next())
            return storageError();
        id = q->value(0).toLongLong();
        for (qint64 member : {std::min(a, b), std::max(a, b)}) {
            if (!run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                     {id, member, now}))
                return storageError();
            if (a == b)
                break; // a note-to-self conversation has one participant
        }
        // Not cached until the transaction commits would be stricter; the worker clears all caches
        // whenever a batch rolls back, which has the same effect.
    }
    m_privateConversations.insert(key, id);
    return id;
}

Result<AppendResult> SqlOperations::appendMessage(const AppendRequest &r)
{
    qint64 conversationId = 0;
    QString kind = u"private"_s;
    if (r.toUserId) {
        // A file the sender may not send is refused before a first message would create the pair
        // (a refused request leaves nothing behind; the checks below run again, they are cheap).
        if (r.fileId > 0) {
            auto f = fileForUser(r.senderId, r.fileId);
            if (!f)
                return f.error();
            if (auto refused = m_rules.attachmentRefusal(r.type, f.value()))
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
            auto role = roleOf(r.senderId);
            if (!role)
                return role.error();
            if (!m_rules.outsiderMayAccess(kind, role.value()))
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
    const bool insertFirst = m_dialect == Migrations::Dialect::Sqlite;
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
        auto f = fileForUser(r.senderId, r.fileId);
        std::optional<ProtocolError> refused;
        if (!f)
            refused = f.error();
        else
            refused = m_rules.attachmentRefusal(r.type, f.value());
        if (refused) {
            // A duplicate is answered before the file is checked (as PostgreSQL did above), so a
            // retry gets its original back even if it would be refused now.
            if (dedup && insertFirst && !m_failed) {
                auto holder = dedupHolder(r.senderId, r.clientMsgId);
                if (!holder)
                    return holder.error();
                if (holder->has_value() && windowOpen(*holder.value()))
                    return duplicateOf(holder.value()->id, conversationId, result);
            }
            return *refused;
        }
        attachment = QJsonObject{{u"file_id"_s, double(f->id)},
                                 {u"name"_s, f->name},
                                 {u"size"_s, double(f->size)},
                                 {u"mime"_s, f->mime}};
    }
    if (expiredHolder) {
        auto closed = closeDedup(*expiredHolder);
        if (!closed)
            return closed.error();
    }
    auto message = insertMessage(conversationId, r.senderId, r.type, r.content, attachment, r.clientMsgId, r.now,
                                 r.fileId);
    if (!message)
        return message.error();
    if (!message->has_value()) {
        // SQLite: another message holds the client_msg_id; nothing was written.
        auto holder = dedupHolder(r.senderId, r.clientMsgId);
        if (!holder)
            return holder.error();
        if (!holder->has_value()) {
            qCWarning(lcStorage) << "insert refused by the dedup index, but no message holds the key";
            return storageError();
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
            return storageError();
    }
    result.message = *message.value();
    auto queued = queuePush(result.message, result.participants);
    if (!queued)
        return queued.error();
    result.pushQueued = queued.value();
    return result;
}

Result<HistoryPage> SqlOperations::history(const HistoryQuery &h)
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
        q = run(base + u" AND m.seq > ? AND m.seq < ? ORDER BY m.seq ASC LIMIT ?"_s,
                {h.conversationId, *h.afterSeq, *h.beforeSeq, h.limit + 1});
    } else if (h.afterSeq) {
        q = run(base + u" AND m.seq > ? ORDER BY m.seq ASC LIMIT ?"_s,
                {h.conversationId, *h.afterSeq, h.limit + 1});
    } else if (h.beforeSeq) {
        descending = true;
        q = run(base + u" AND m.seq < ? ORDER BY m.seq DESC LIMIT ?"_s,
                {h.conversationId, *h.beforeSeq, h.limit + 1});
    } else {
        descending = true;
        q = run(base + u" ORDER BY m.seq DESC LIMIT ?"_s, {h.conversationId, h.limit + 1});
    }
    if (!q)
        return storageError();
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

Result<ChatMessage> SqlOperations::messageBySeq(qint64 conversationId, qint64 seq)
{
    QSqlQuery *q = run(u"SELECT "_s + kMessageColumns + u" FROM messages m WHERE m.conversation_id = ? AND m.seq = ?"_s,
                       {conversationId, seq});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Message not found"_s);
    return readMessage(*q, 0);
}

Result<ConversationInfo> SqlOperations::describe(qint64 userId, qint64 conversationId, const QString &type,
                                                 const QString &title, qint64 lastSeq, qint64 readSeq,
                                                 qint64 deliveredSeq)
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
        QSqlQuery *s = run(u"SELECT support_status, agent_id, requester_id, created_at FROM conversations WHERE id = ?"_s,
                           {conversationId});
        if (!s || !s->next())
            return storageError();
        c.supportStatus = s->value(0).toString();
        c.agentId = s->value(1).isNull() ? 0 : s->value(1).toLongLong();
        c.requesterId = s->value(2).toLongLong();
        c.createdAt = s->value(3).toLongLong();
    }
    QSqlQuery *q = run(u"SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id <> ?"_s,
                       {conversationId, readSeq, userId});
    if (!q || !q->next())
        return storageError();
    c.unread = q->value(0).toLongLong();
    if (lastSeq > 0) {
        auto last = messageBySeq(conversationId, lastSeq);
        if (!last)
            return last.error();
        c.lastMessage = last.value();
    }
    return c;
}

Result<QList<ConversationInfo>> SqlOperations::conversations(qint64 userId)
{
    QSqlQuery *q = run(u"SELECT c.id, c.type, c.title, "_s + lastSeqSql(m_dialect)
            + u", p.read_seq, p.delivered_seq"
              " FROM participants p JOIN conversations c ON c.id = p.conversation_id"
              " WHERE p.user_id = ? ORDER BY "_s
            + lastActivitySql(m_dialect) + u" DESC, c.id DESC"_s,
        {userId});
    if (!q)
        return storageError();
    struct Row
    {
        qint64 id;
        QString type, title;
        qint64 lastSeq, readSeq, deliveredSeq;
    };
    QList<Row> rows;
    while (q->next()) {
        rows.append(Row{q->value(0).toLongLong(), q->value(1).toString(),
                        q->value(2).isNull() ? QString() : q->value(2).toString(),
                        q->value(3).toLongLong(), q->value(4).toLongLong(), q->value(5).toLongLong()});
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

Result<ConversationInfo> SqlOperations::conversation(qint64 userId, qint64 conversationId)
{
    QSqlQuery *q = run(u"SELECT c.type, c.title, "_s + lastSeqSql(m_dialect)
            + u", p.read_seq, p.delivered_seq, p.user_id FROM conversations c"
              " LEFT JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?"
              " WHERE c.id = ?"_s,
        {userId, conversationId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Conversation not found"_s);
    const QString type = q->value(0).toString();
    if (q->value(5).isNull()) {
        auto role = roleOf(userId);
        if (!role)
            return role.error();
        if (!m_rules.outsiderMayAccess(type, role.value()))
            return forbidden();
        q = run(u"SELECT c.type, c.title, "_s + lastSeqSql(m_dialect) + u", 0, 0 FROM conversations c WHERE c.id = ?"_s,
            {conversationId});
        if (!q || !q->next())
            return storageError();
    }
    const QString title = q->value(1).isNull() ? QString() : q->value(1).toString();
    const qint64 lastSeq = q->value(2).toLongLong();
    const qint64 readSeq = q->value(3).toLongLong();
    const qint64 deliveredSeq = q->value(4).toLongLong();
    return describe(userId, conversationId, type, title, lastSeq, readSeq, deliveredSeq);
}

Result<QList<qint64>> SqlOperations::participantsFor(qint64 userId, qint64 conversationId)
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

Result<WatermarkResult> SqlOperations::updateWatermark(const WatermarkUpdate &u)
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
    w.readChanged = w.readSeq != m->readSeq;
    w.deliveredChanged = w.deliveredSeq != m->deliveredSeq;
    if (w.readChanged || w.deliveredChanged) {
        if (!run(u"UPDATE participants SET delivered_seq = ?, read_seq = ? WHERE conversation_id = ? AND user_id = ?"_s,
                 {w.deliveredSeq, w.readSeq, u.conversationId, u.userId}))
            return storageError();
    }
    auto members = participants(u.conversationId);
    if (!members)
        return members.error();
    w.participants = members.value();
    return w;
}

Result<QString> SqlOperations::loadOrStoreSetting(const QString &key, const QString &valueIfMissing)
{
    QSqlQuery *q = run(u"SELECT value FROM settings WHERE key = ?"_s, {key});
    if (!q)
        return storageError();
    if (q->next())
        return q->value(0).toString();
    if (!run(u"INSERT INTO settings (key, value) VALUES (?, ?)"_s, {key, valueIfMissing}))
        return storageError();
    return valueIfMissing;
}

Result<std::optional<ChatMessage>> SqlOperations::insertMessage(qint64 conversationId, qint64 senderId,
    const QString &type, const QString &content, const QJsonObject &attachment, const QString &clientMsgId, qint64 now,
    qint64 fileId)
{
    // seq is assigned inside the transaction; on PostgreSQL the row lock on the conversation
    // serialises writers.
    const bool sqlite = m_dialect == Migrations::Dialect::Sqlite;
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
            q = run(u"SELECT "_s + lastSeqSql(m_dialect) + u" FROM conversations c WHERE c.id = ?"_s, {conversationId});
            if (!q || !q->next())
                return storageError();
            if (m_lastSeq.size() >= kParticipantCacheLimit)
                m_lastSeq.clear(); // bounded; a miss only derives it again (uncommitted inserts included)
            last = m_lastSeq.insert(conversationId, q->value(0).toLongLong());
        }
        seq = *last + 1;
    } else {
        q = run(u"UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq"_s,
                {now, conversationId});
        if (!q || !q->next())
            return storageError();
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
    if (m_sqlite) {
        SqliteStatement *st = native(m_nativeInsertMessage, kInsertSqlite);
        if (!st)
            return storageError();
        const bool bound = st->bind(1, conversationId) && st->bind(2, seq) && st->bind(3, senderId) && st->bind(4, type)
            && st->bindBlob(5, contentBytes)
            && (attachmentText.isNull() ? st->bindNull(6) : st->bind(6, attachmentText.toString()))
            && st->bind(7, clientMsgId.isEmpty() ? QString() : clientMsgId) && st->bind(8, now)
            && (fileId > 0 ? st->bind(9, fileId) : st->bindNull(9))
            && (dedupOpen.isNull() ? st->bindNull(10) : st->bind(10, qint64(1)));
        if (!bound || !st->step()) {
            nativeFailed(*st, "insert message");
            return storageError();
        }
        inserted = st->changes() > 0;
        id = inserted ? st->lastInsertRowId() : 0;
        st->reset();
    } else {
        static const QString insertSqlite = QString::fromLatin1(kInsertSqlite);
        static const QString insertPostgres = QString::fromLatin1(kInsertPostgres);
        q = run(sqlite ? insertSqlite : insertPostgres,
            {conversationId, seq, senderId, type, contentBytes, attachmentText,
                clientMsgId.isEmpty() ? QVariant() : QVariant(clientMsgId), now,
                fileId > 0 ? QVariant(fileId) : QVariant(), dedupOpen});
        if (!q || (!sqlite && !q->next()))
            return storageError();
        inserted = !sqlite || q->numRowsAffected() > 0;
        if (inserted)
            id = sqlite ? q->lastInsertId().toLongLong() : q->value(0).toLongLong();
    }
    if (!inserted)
        return std::optional<ChatMessage>(); // SQLite only; the seq cache is untouched
    if (id <= 0)
        return storageError();
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

Result<ConversationInfo> SqlOperations::createGroup(const GroupCreate &g)
{
    for (qint64 member : g.members) {
        auto u = user(member);
        if (!u)
            return u.error();
    }
    QSqlQuery *q = run(u"INSERT INTO conversations (type, title, owner_id, last_seq, created_at, updated_at)"
                       " VALUES ('group', ?, ?, 0, ?, ?) RETURNING id"_s,
                       {g.title, g.ownerId, g.now, g.now});
    if (!q || !q->next())
        return storageError();
    const qint64 id = q->value(0).toLongLong();
    QList<qint64> everyone{g.ownerId};
    everyone.append(g.members);
    for (qint64 member : std::as_const(everyone)) {
        if (!run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s, {id, member, g.now}))
            return storageError();
    }
    m_participants.remove(id);
    return describe(g.ownerId, id, u"group"_s, g.title, 0, 0, 0);
}

Result<MembershipResult> SqlOperations::changeMembership(const MembershipChange &c)
{
    using Kind = MembershipChange::Kind;
    QSqlQuery *q = run(u"SELECT type, owner_id FROM conversations WHERE id = ?"_s, {c.conversationId});
    if (!q)
        return storageError();
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
        auto u = user(c.userId);
        if (!u)
            return u.error();
        if (current.contains(c.userId)) {
            result.notify = current; // already a member: nothing changes
            return result;
        }
        if (current.size() >= c.maxMembers)
            return ProtocolError::make(ErrorCode::LimitExceeded, u"The group has reached max_group_members"_s);
        if (!run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                 {c.conversationId, c.userId, c.now}))
            return storageError();
        current.append(c.userId);
        result.notify = current;
        event = u"member_added"_s;
    } else {
        if (!current.contains(c.userId))
            return notFound(u"User is not a member of this conversation"_s);
        if (!run(u"DELETE FROM participants WHERE conversation_id = ? AND user_id = ?"_s, {c.conversationId, c.userId}))
            return storageError();
        // The removed member hears about it too, so their client can update.
        result.notify = current;
        current.removeOne(c.userId);
        event = c.kind == Kind::Leave ? u"member_left"_s : u"member_removed"_s;
        if (c.userId == ownerId && !current.isEmpty()) {
            // The owner left: the longest-standing member takes over.
            QSqlQuery *next = run(u"SELECT user_id FROM participants WHERE conversation_id = ? ORDER BY joined_at, user_id LIMIT 1"_s,
                                  {c.conversationId});
            if (!next)
                return storageError();
            if (next->next()) {
                const qint64 newOwner = next->value(0).toLongLong();
                if (!run(u"UPDATE conversations SET owner_id = ? WHERE id = ?"_s, {newOwner, c.conversationId}))
                    return storageError();
            }
        }
    }
    m_participants.insert(c.conversationId, current);
    const QJsonObject content{{u"event"_s, event}, {u"user_id"_s, double(c.userId)}, {u"actor_id"_s, double(c.actorId)}};
    auto message = insertMessage(c.conversationId, c.actorId, u"system"_s,
                                 QString::fromUtf8(QJsonDocument(content).toJson(QJsonDocument::Compact)), {}, {}, c.now);
    if (!message)
        return message.error();
    if (!message->has_value())
        return storageError(); // cannot happen: without a client_msg_id there is no dedup
    result.systemMessage = *message.value();
    return result;
}

Result<QList<ContactInfo>> SqlOperations::contacts(qint64 ownerId)
{
    QSqlQuery *q = run(u"SELECT u.id, u.display_name FROM contacts c JOIN users u ON u.id = c.contact_id"
                       " WHERE c.owner_id = ? ORDER BY u.display_name, u.id"_s,
                       {ownerId});
    if (!q)
        return storageError();
    QList<ContactInfo> list;
    while (q->next())
        list.append(ContactInfo{q->value(0).toLongLong(), q->value(1).toString()});
    return list;
}

Result<ContactInfo> SqlOperations::addContact(qint64 ownerId, qint64 contactId, qint64 now)
{
    auto u = user(contactId);
    if (!u)
        return u.error();
    QSqlQuery *q = run(u"SELECT 1 FROM contacts WHERE owner_id = ? AND contact_id = ?"_s, {ownerId, contactId});
    if (!q)
        return storageError();
    if (!q->next()) {
        if (!run(u"INSERT INTO contacts (owner_id, contact_id, created_at) VALUES (?, ?, ?)"_s, {ownerId, contactId, now}))
            return storageError();
    }
    return ContactInfo{contactId, u->displayName};
}

Result<Done> SqlOperations::removeContact(qint64 ownerId, qint64 contactId)
{
    QSqlQuery *q = run(u"SELECT 1 FROM contacts WHERE owner_id = ? AND contact_id = ?"_s, {ownerId, contactId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Not in your contacts"_s);
    if (!run(u"DELETE FROM contacts WHERE owner_id = ? AND contact_id = ?"_s, {ownerId, contactId}))
        return storageError();
    return Done{};
}

Result<QList<qint64>> SqlOperations::presenceWatchers(qint64 userId)
{
    QSqlQuery *q = run(u"SELECT p2.user_id FROM participants p1 JOIN participants p2 ON p2.conversation_id = p1.conversation_id"
                       " WHERE p1.user_id = ? AND p2.user_id <> ?"
                       " UNION SELECT owner_id FROM contacts WHERE contact_id = ?"_s,
                       {userId, userId, userId});
    if (!q)
        return storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    return ids;
}

Result<QHash<qint64, qint64>> SqlOperations::lastSeen(const QList<qint64> &userIds)
{
    QHash<qint64, qint64> seen;
    for (qint64 id : userIds) {
        QSqlQuery *q = run(u"SELECT last_seen_at FROM users WHERE id = ?"_s, {id});
        if (!q)
            return storageError();
        if (q->next() && !q->value(0).isNull())
            seen.insert(id, q->value(0).toLongLong());
    }
    return seen;
}

Result<QString> SqlOperations::roleOf(qint64 userId)
{
    if (auto it = m_roles.constFind(userId); it != m_roles.constEnd())
        return *it;
    QSqlQuery *q = run(u"SELECT role FROM users WHERE id = ?"_s, {userId});
    if (!q)
        return storageError();
    const QString role = q->next() ? q->value(0).toString() : QString();
    if (m_roles.size() > 100000)
        m_roles.clear();
    m_roles.insert(userId, role);
    return role;
}

Result<ConversationInfo> SqlOperations::supportView(qint64 viewerId, qint64 conversationId)
{
    QSqlQuery *q = run(u"SELECT c.title, "_s + lastSeqSql(m_dialect)
            + u", p.read_seq, p.delivered_seq FROM conversations c"
              " LEFT JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?"
              " WHERE c.id = ? AND c.type = 'support'"_s,
        {viewerId, conversationId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Support conversation not found"_s);
    const QString title = q->value(0).isNull() ? QString() : q->value(0).toString();
    const qint64 lastSeq = q->value(1).toLongLong();
    const qint64 readSeq = q->value(2).toLongLong();
    const qint64 deliveredSeq = q->value(3).toLongLong();
    return describe(viewerId, conversationId, u"support"_s, title, lastSeq, readSeq, deliveredSeq);
}

Result<Done> SqlOperations::setParticipant(qint64 conversationId, qint64 userId, bool present, qint64 now)
{
    auto members = participants(conversationId);
    if (!members)
        return members.error();
    QList<qint64> list = members.value();
    if (present == list.contains(userId))
        return Done{};
    if (present) {
        if (!run(u"INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?, ?, ?)"_s,
                 {conversationId, userId, now}))
            return storageError();
        list.append(userId);
    } else {
        if (!run(u"DELETE FROM participants WHERE conversation_id = ? AND user_id = ?"_s, {conversationId, userId}))
            return storageError();
        list.removeOne(userId);
    }
    m_participants.insert(conversationId, list);
    return Done{};
}

Result<ConversationInfo> SqlOperations::supportOpen(qint64 userId, const QString &topic, qint64 now)
{
    QSqlQuery *q = run(u"SELECT id FROM conversations WHERE type = 'support' AND requester_id = ?"
                       " AND support_status <> 'closed' ORDER BY id LIMIT 1"_s,
                       {userId});
    if (!q)
        return storageError();
    if (q->next())
        return supportView(userId, q->value(0).toLongLong());
    q = run(u"INSERT INTO conversations (type, title, last_seq, created_at, updated_at, support_status, requester_id)"
            " VALUES ('support', ?, 0, ?, ?, 'open', ?) RETURNING id"_s,
            {topic.isEmpty() ? QVariant() : QVariant(topic), now, now, userId});
    if (!q || !q->next())
        return storageError();
    const qint64 id = q->value(0).toLongLong();
    auto added = setParticipant(id, userId, true, now);
    if (!added)
        return added.error();
    return supportView(userId, id);
}

Result<QList<ConversationInfo>> SqlOperations::supportQueue(qint64 agentId)
{
    // Unassigned first, then assigned; each oldest first.
    QSqlQuery *q = run(u"SELECT id FROM conversations WHERE type = 'support' AND support_status <> 'closed'"
                       " ORDER BY CASE WHEN agent_id IS NULL THEN 0 ELSE 1 END, created_at, id LIMIT 1000"_s,
                       {});
    if (!q)
        return storageError();
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

Result<ConversationInfo> SqlOperations::supportAssign(const SupportAssignment &a)
{
    QSqlQuery *q = run(u"SELECT support_status, agent_id, requester_id FROM conversations WHERE id = ? AND type = 'support'"_s,
                       {a.conversationId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Support conversation not found"_s);
    const QString status = q->value(0).toString();
    const qint64 current = q->value(1).isNull() ? 0 : q->value(1).toLongLong();
    const qint64 requester = q->value(2).toLongLong();
    if (status == u"closed"_s)
        return ProtocolError::make(ErrorCode::Conflict, u"The support conversation is closed"_s);
    if (a.claim && current != 0 && current != a.agentId)
        return ProtocolError::make(ErrorCode::Conflict, u"Another agent already holds this conversation"_s);
    auto role = roleOf(a.agentId);
    if (!role)
        return role.error();
    if (!m_rules.mayHandleSupport(role.value()))
        return ProtocolError::make(ErrorCode::ValidationFailed, u"Support conversations go to agents or admins only"_s);
    if (current != a.agentId) {
        if (current != 0 && current != requester) {
            auto removed = setParticipant(a.conversationId, current, false, a.now);
            if (!removed)
                return removed.error();
        }
        auto added = setParticipant(a.conversationId, a.agentId, true, a.now);
        if (!added)
            return added.error();
        if (!run(u"UPDATE conversations SET agent_id = ?, support_status = 'assigned' WHERE id = ?"_s,
                 {a.agentId, a.conversationId}))
            return storageError();
    }
    return supportView(a.agentId, a.conversationId);
}

Result<ConversationInfo> SqlOperations::supportClose(qint64 conversationId)
{
    QSqlQuery *q = run(u"SELECT agent_id, requester_id FROM conversations WHERE id = ? AND type = 'support'"_s, {conversationId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"Support conversation not found"_s);
    const qint64 viewer = q->value(0).isNull() ? q->value(1).toLongLong() : q->value(0).toLongLong();
    if (!run(u"UPDATE conversations SET support_status = 'closed' WHERE id = ?"_s, {conversationId}))
        return storageError();
    return supportView(viewer, conversationId);
}

Result<ConversationInfo> SqlOperations::supportAutoAssign(qint64 conversationId, const QList<qint64> &candidates,
                                                         int capacity, qint64 now)
{
    QList<StorageRules::AgentLoad> loads;
    for (qint64 agent : candidates) {
        QSqlQuery *q = run(u"SELECT COUNT(*) FROM conversations WHERE type = 'support' AND agent_id = ?"
                           " AND support_status = 'assigned'"_s,
                           {agent});
        if (!q || !q->next())
            return storageError();
        loads.append({agent, q->value(0).toLongLong()});
    }
    const qint64 best = m_rules.chooseAgent(loads, capacity);
    if (best == 0)
        return notFound(u"No agent available"_s);
    return supportAssign(SupportAssignment{conversationId, best, true, now});
}

Result<QList<ConversationInfo>> SqlOperations::supportRequeue(qint64 agentId)
{
    QSqlQuery *q = run(u"SELECT id FROM conversations WHERE type = 'support' AND agent_id = ? AND support_status = 'assigned'"_s,
                       {agentId});
    if (!q)
        return storageError();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    QList<ConversationInfo> changed;
    for (qint64 id : std::as_const(ids)) {
        auto removed = setParticipant(id, agentId, false, 0);
        if (!removed)
            return removed.error();
        if (!run(u"UPDATE conversations SET agent_id = NULL, support_status = 'open' WHERE id = ?"_s, {id}))
            return storageError();
        q = run(u"SELECT requester_id FROM conversations WHERE id = ?"_s, {id});
        if (!q || !q->next())
            return storageError();
        auto view = supportView(q->value(0).toLongLong(), id);
        if (!view)
            return view.error();
        changed.append(view.value());
    }
    return changed;
}

namespace {
FileRecord readFile(const QSqlQuery &q)
{
    FileRecord f;
    f.id = q.value(0).toLongLong();
    f.ownerId = q.value(1).toLongLong();
    f.name = q.value(2).toString();
    f.mime = q.value(3).toString();
    f.size = q.value(4).toLongLong();
    f.storageKey = q.value(5).toString();
    f.createdAt = q.value(6).toLongLong();
    return f;
}
} // namespace

Result<FileRecord> SqlOperations::createFile(const FileRecord &f)
{
    QSqlQuery *q = run(u"INSERT INTO files (owner_id, name, mime, size, storage_key, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                       " RETURNING id"_s,
                       {f.ownerId, f.name, f.mime, f.size, f.storageKey, f.createdAt});
    if (!q || !q->next())
        return storageError();
    FileRecord out = f;
    out.id = q->value(0).toLongLong();
    return out;
}

Result<FileRecord> SqlOperations::file(qint64 fileId)
{
    QSqlQuery *q = run(u"SELECT id, owner_id, name, mime, size, storage_key, created_at FROM files WHERE id = ?"_s, {fileId});
    if (!q)
        return storageError();
    if (!q->next())
        return notFound(u"File not found"_s);
    return readFile(*q);
}

Result<FileRecord> SqlOperations::fileForUser(qint64 userId, qint64 fileId)
{
    auto f = file(fileId);
    if (!f)
        return f.error();
    if (f->ownerId == userId)
        return f;
    QSqlQuery *q = run(u"SELECT 1 FROM messages m JOIN participants p ON p.conversation_id = m.conversation_id"
                       " WHERE m.file_id = ? AND p.user_id = ? LIMIT 1"_s,
                       {fileId, userId});
    if (!q)
        return storageError();
    if (!q->next())
        return ProtocolError::make(ErrorCode::Forbidden, u"You have no access to this file"_s);
    return f;
}

Result<int> SqlOperations::queuePush(const ChatMessage &message, const QList<qint64> &participants)
{
    int queued = 0;
    QString senderName;
    for (qint64 userId : participants) {
        if (!m_rules.wantsPush(userId, message))
            continue;
        QSqlQuery *q = run(u"SELECT platform, token FROM push_registrations WHERE user_id = ? ORDER BY id"_s, {userId});
        if (!q)
            return storageError();
        QList<QPair<QString, QString>> registrations;
        while (q->next())
            registrations.append({q->value(0).toString(), q->value(1).toString()});
        if (registrations.isEmpty())
            continue;
        if (senderName.isNull()) {
            auto sender = user(message.senderId);
            if (!sender)
                return sender.error();
            senderName = sender->displayName;
        }
        const QString text = m_rules.pushPayload(message, userId, senderName);
        for (const auto &[platform, token] : std::as_const(registrations)) {
            if (!run(u"INSERT INTO push_outbox (user_id, platform, token, message_id, payload, status, attempts,"
                     " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)"_s,
                     {userId, platform, token, message.id, text, message.createdAt, message.createdAt, message.createdAt}))
                return storageError();
            ++queued;
        }
    }
    return queued;
}

Result<Done> SqlOperations::registerPush(qint64 userId, const QString &platform, const QString &token, qint64 now)
{
    // A device token belongs to whoever registered it last (a shared device changes hands).
    if (!run(u"DELETE FROM push_registrations WHERE platform = ? AND token = ?"_s, {platform, token}))
        return storageError();
    if (!run(u"INSERT INTO push_registrations (user_id, platform, token, created_at) VALUES (?, ?, ?, ?)"_s,
             {userId, platform, token, now}))
        return storageError();
    return Done{};
}

namespace {
PushJob readPushJob(const QSqlQuery &q)
{
    PushJob j;
    j.id = q.value(0).toLongLong();
    j.userId = q.value(1).toLongLong();
    j.platform = q.value(2).toString();
    j.token = q.value(3).toString();
    j.payload = q.value(4).toString().toUtf8();
    j.attempts = q.value(5).toInt();
    j.lastError = q.value(6).isNull() ? QString() : q.value(6).toString();
    j.status = q.value(7).toString();
    j.updatedAt = q.value(8).toLongLong();
    return j;
}
const QString kPushColumns = u"id, user_id, platform, token, payload, attempts, last_error, status, updated_at"_s;
} // namespace

Result<QList<PushJob>> SqlOperations::claimPush(int limit, qint64 leaseMs, qint64 now)
{
    // Keep the outbox bounded: delivered notifications are kept a day for the admin view.
    if (!run(u"DELETE FROM push_outbox WHERE status = 'sent' AND updated_at < ?"_s, {now - 24LL * 3600 * 1000}))
        return storageError();
    QSqlQuery *q = run(u"SELECT "_s + kPushColumns
                           + u" FROM push_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"_s,
                       {now, limit});
    if (!q)
        return storageError();
    QList<PushJob> jobs;
    while (q->next())
        jobs.append(readPushJob(*q));
    for (const PushJob &j : std::as_const(jobs)) {
        if (!run(u"UPDATE push_outbox SET next_attempt_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?"_s,
                 {now + leaseMs, now, j.id}))
            return storageError();
    }
    for (PushJob &j : jobs)
        ++j.attempts;
    return jobs;
}

Result<Done> SqlOperations::finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, qint64 now)
{
    if (delivered) {
        if (!run(u"UPDATE push_outbox SET status = 'sent', last_error = NULL, updated_at = ? WHERE id = ?"_s, {now, jobId}))
            return storageError();
    } else if (retryAt > 0) {
        if (!run(u"UPDATE push_outbox SET next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?"_s,
                 {retryAt, error.left(500), now, jobId}))
            return storageError();
    } else {
        if (!run(u"UPDATE push_outbox SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?"_s,
                 {error.left(500), now, jobId}))
            return storageError();
    }
    return Done{};
}

Result<QList<PushJob>> SqlOperations::pushFailures(int limit)
{
    QSqlQuery *q = run(u"SELECT "_s + kPushColumns
                           + u" FROM push_outbox WHERE last_error IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT ?"_s,
                       {limit});
    if (!q)
        return storageError();
    QList<PushJob> jobs;
    while (q->next())
        jobs.append(readPushJob(*q));
    return jobs;
}

} // namespace Switchboard::Server
