#pragma once

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include "server/storage/migrations.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/protocolerror.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server::SqlCommon {

using namespace Qt::StringLiterals;

// SQL fragments, limits and row readers that several table groups share (storage thread only).
inline constexpr qint64 kDedupWindowMs = 24LL * 3600 * 1000;
inline constexpr int kParticipantCacheLimit = 100000;

inline const QString kMessageColumns
    = u"m.id, m.conversation_id, m.seq, m.sender_id, m.type, m.content, m.attachment, m.client_msg_id, m.created_at"_s;

inline ProtocolError notFound(const QString &what)
{
    return ProtocolError::make(ErrorCode::NotFound, what);
}
inline ProtocolError forbidden()
{
    return ProtocolError::make(ErrorCode::Forbidden, u"Not a participant of this conversation"_s);
}

inline UserInfo readUser(const QSqlQuery &q)
{
    UserInfo u;
    u.id = q.value(0).toLongLong();
    u.username = q.value(1).toString();
    u.displayName = q.value(2).toString();
    u.role = q.value(3).toString();
    return u;
}

inline QString likePattern(const QString &query)
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
inline const QString &lastSeqSql(Migrations::Dialect dialect)
{
    // The column holds what was written at creation and what servers before this change wrote per
    // message: every seq up to it may have been handed out, so the last seq never reads lower (no
    // seq is ever reused).
    static const QString sqlite = u"max(c.last_seq, COALESCE((SELECT max(lm.seq) FROM messages lm"
                                  " WHERE lm.conversation_id = c.id), 0))"_s;
    static const QString postgres = u"c.last_seq"_s;
    return dialect == Migrations::Dialect::Sqlite ? sqlite : postgres;
}

inline const QString &lastActivitySql(Migrations::Dialect dialect)
{
    // The time of the newest message, which is what the UPDATE above writes (even when the clock
    // went back since the previous one); the column (the creation time) only when there is none.
    // Nothing else writes updated_at; whatever starts to must change this too.
    static const QString sqlite = u"COALESCE((SELECT lm.created_at FROM messages lm WHERE lm.conversation_id = c.id"
                                  " ORDER BY lm.seq DESC LIMIT 1), c.updated_at)"_s;
    static const QString postgres = u"c.updated_at"_s;
    return dialect == Migrations::Dialect::Sqlite ? sqlite : postgres;
}

inline ChatMessage readMessage(const QSqlQuery &q, int f)
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

} // namespace Switchboard::Server::SqlCommon
