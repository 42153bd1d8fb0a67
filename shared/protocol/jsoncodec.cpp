#include "shared/protocol/jsoncodec.h"

#include "shared/protocol/frametypes.h"

#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace Switchboard::JsonCodec {

namespace {
QJsonValue nullableString(const QString &s)
{
    return s.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

ProtocolError malformed(const QString &what)
{
    return ProtocolError::make(ErrorCode::BadRequest, u"Malformed "_s + what);
}
} // namespace

QJsonObject encode(const UserInfo &user)
{
    return QJsonObject {
        {u"id"_s, double(user.id)},
        {u"username"_s, user.username},
        {u"display_name"_s, user.displayName},
        {u"role"_s, user.role},
    };
}

QJsonObject encode(const ChatMessage &m)
{
    return QJsonObject {
        {u"id"_s, double(m.id)},
        {u"conversation_id"_s, double(m.conversationId)},
        {u"seq"_s, double(m.seq)},
        {u"sender_id"_s, double(m.senderId)},
        {u"type"_s, m.type},
        {u"content"_s, m.content},
        {u"attachment"_s, m.attachment.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m.attachment)},
        {u"client_msg_id"_s, nullableString(m.clientMsgId)},
        {u"created_at"_s, double(m.createdAt)},
    };
}

QJsonObject encode(const ConversationInfo &c)
{
    QJsonArray participants;
    for (qint64 id : c.participants)
        participants.append(double(id));
    QJsonObject o {
        {u"id"_s, double(c.id)},
        {u"type"_s, c.type},
        {u"title"_s, nullableString(c.title)},
        {u"participants"_s, participants},
        {u"last_seq"_s, double(c.lastSeq)},
        {u"read_seq"_s, double(c.readSeq)},
        {u"delivered_seq"_s, double(c.deliveredSeq)},
        {u"unread"_s, double(c.unread)},
        {u"last_message"_s, c.lastMessage ? QJsonValue(encode(*c.lastMessage)) : QJsonValue(QJsonValue::Null)},
    };
    if (c.type == u"support"_s) {
        o.insert(u"status"_s, c.supportStatus);
        o.insert(u"agent_id"_s, c.agentId > 0 ? QJsonValue(double(c.agentId)) : QJsonValue(QJsonValue::Null));
        o.insert(u"user_id"_s, double(c.requesterId));
        o.insert(u"created_at"_s, double(c.createdAt));
    }
    return o;
}

QJsonObject encode(const ProtocolError &error)
{
    QJsonObject o {{u"code"_s, toString(error.code)}, {u"message"_s, error.message}};
    if (error.retryAfterMs >= 0)
        o.insert(u"retry_after_ms"_s, double(error.retryAfterMs));
    return o;
}

Result<UserInfo> decodeUser(const QJsonObject &o)
{
    if (!o.value(u"id"_s).isDouble() || !o.value(u"username"_s).isString())
        return malformed(u"user"_s);
    UserInfo u;
    u.id = qint64(o.value(u"id"_s).toDouble());
    u.username = o.value(u"username"_s).toString();
    u.displayName = o.value(u"display_name"_s).toString();
    u.role = o.value(u"role"_s).toString();
    return u;
}

Result<ChatMessage> decodeMessage(const QJsonObject &o)
{
    if (!o.value(u"id"_s).isDouble() || !o.value(u"conversation_id"_s).isDouble() || !o.value(u"seq"_s).isDouble())
        return malformed(u"message"_s);
    ChatMessage m;
    m.id = qint64(o.value(u"id"_s).toDouble());
    m.conversationId = qint64(o.value(u"conversation_id"_s).toDouble());
    m.seq = qint64(o.value(u"seq"_s).toDouble());
    m.senderId = qint64(o.value(u"sender_id"_s).toDouble());
    m.type = o.value(u"type"_s).toString();
    m.content = o.value(u"content"_s).toString();
    m.attachment = o.value(u"attachment"_s).toObject();
    m.clientMsgId = o.value(u"client_msg_id"_s).toString(QString());
    m.createdAt = qint64(o.value(u"created_at"_s).toDouble());
    return m;
}

Result<ConversationInfo> decodeConversation(const QJsonObject &o)
{
    if (!o.value(u"id"_s).isDouble())
        return malformed(u"conversation"_s);
    ConversationInfo c;
    c.id = qint64(o.value(u"id"_s).toDouble());
    c.type = o.value(u"type"_s).toString();
    c.title = o.value(u"title"_s).toString(QString());
    const QJsonArray participants = o.value(u"participants"_s).toArray();
    for (const QJsonValue &p : participants)
        c.participants.append(qint64(p.toDouble()));
    c.lastSeq = qint64(o.value(u"last_seq"_s).toDouble());
    c.readSeq = qint64(o.value(u"read_seq"_s).toDouble());
    c.deliveredSeq = qint64(o.value(u"delivered_seq"_s).toDouble());
    c.unread = qint64(o.value(u"unread"_s).toDouble());
    c.supportStatus = o.value(u"status"_s).toString();
    c.agentId = qint64(o.value(u"agent_id"_s).toDouble());
    c.requesterId = qint64(o.value(u"user_id"_s).toDouble());
    c.createdAt = qint64(o.value(u"created_at"_s).toDouble());
    if (o.value(u"last_message"_s).isObject()) {
        auto m = decodeMessage(o.value(u"last_message"_s).toObject());
        if (m)
            c.lastMessage = m.value();
    }
    return c;
}

ProtocolError decodeError(const QJsonObject &o)
{
    ProtocolError e;
    if (!errorCodeFromString(o.value(u"code"_s).toString(), &e.code))
        e.code = ErrorCode::Internal;
    e.message = o.value(u"message"_s).toString();
    if (o.value(u"retry_after_ms"_s).isDouble())
        e.retryAfterMs = qint64(o.value(u"retry_after_ms"_s).toDouble());
    return e;
}

QJsonObject encode(const ServerStats &s)
{
    return QJsonObject {{u"connections"_s, double(s.connections)}, {u"authenticated"_s, double(s.authenticated)},
        {u"users_online"_s, double(s.usersOnline)}, {u"rooms"_s, double(s.rooms)},
        {u"messages_sent"_s, double(s.messagesSent)}, {u"messages_received"_s, double(s.messagesReceived)},
        {u"messages_per_second"_s, s.messagesPerSecond}, {u"uptime"_s, double(s.uptime)},
        {u"memory_usage"_s, double(s.memoryUsage)}, {u"storage"_s, s.storage}};
}

QJsonObject encode(const AdminConnection &c)
{
    const bool authenticated = c.userId > 0;
    return QJsonObject {{u"connection_id"_s, double(c.connectionId)},
        {u"user_id"_s, authenticated ? QJsonValue(double(c.userId)) : QJsonValue()},
        {u"username"_s, authenticated ? QJsonValue(c.username) : QJsonValue()},
        {u"role"_s, authenticated ? QJsonValue(c.role) : QJsonValue()}, {u"remote_address"_s, c.remoteAddress},
        {u"user_agent"_s, c.userAgent}, {u"connected_at"_s, double(c.connectedAt)},
        {u"last_activity_at"_s, double(c.lastActivityAt)}, {u"rooms"_s, QJsonArray::fromStringList(c.rooms)}};
}

Result<ServerStats> decodeStats(const QJsonObject &o)
{
    if (!o.value(u"connections"_s).isDouble() || !o.value(u"uptime"_s).isDouble())
        return malformed(u"stats"_s);
    ServerStats s;
    s.connections = qint64(o.value(u"connections"_s).toDouble());
    s.authenticated = qint64(o.value(u"authenticated"_s).toDouble());
    s.usersOnline = qint64(o.value(u"users_online"_s).toDouble());
    s.rooms = qint64(o.value(u"rooms"_s).toDouble());
    s.messagesSent = qint64(o.value(u"messages_sent"_s).toDouble());
    s.messagesReceived = qint64(o.value(u"messages_received"_s).toDouble());
    s.messagesPerSecond = o.value(u"messages_per_second"_s).toDouble();
    s.uptime = qint64(o.value(u"uptime"_s).toDouble());
    s.memoryUsage = qint64(o.value(u"memory_usage"_s).toDouble());
    s.storage = o.value(u"storage"_s).toString();
    return s;
}

Result<AdminConnection> decodeAdminConnection(const QJsonObject &o)
{
    if (!o.value(u"connection_id"_s).isDouble())
        return malformed(u"connection"_s);
    AdminConnection c;
    c.connectionId = qint64(o.value(u"connection_id"_s).toDouble());
    c.userId = qint64(o.value(u"user_id"_s).toDouble());
    c.username = o.value(u"username"_s).toString();
    c.role = o.value(u"role"_s).toString();
    c.remoteAddress = o.value(u"remote_address"_s).toString();
    c.userAgent = o.value(u"user_agent"_s).toString();
    c.connectedAt = qint64(o.value(u"connected_at"_s).toDouble());
    c.lastActivityAt = qint64(o.value(u"last_activity_at"_s).toDouble());
    const QJsonArray rooms = o.value(u"rooms"_s).toArray();
    for (const QJsonValue &r : rooms)
        c.rooms.append(r.toString());
    return c;
}

QJsonObject encode(const SendReceipt &receipt)
{
    return QJsonObject {{u"message_id"_s, double(receipt.messageId)},
        {u"conversation_id"_s, double(receipt.conversationId)}, {u"seq"_s, double(receipt.seq)},
        {u"timestamp"_s, double(receipt.timestamp)}, {u"duplicate"_s, receipt.duplicate}};
}

QJsonObject successReply(const QString &type, const QJsonValue &id, const QJsonObject &data)
{
    QJsonObject o {{u"type"_s, type}, {u"success"_s, true}, {u"data"_s, data}};
    if (!id.isUndefined())
        o.insert(u"id"_s, id);
    return o;
}

QJsonObject errorReply(const QString &type, const QJsonValue &id, const ProtocolError &error)
{
    QJsonObject o {{u"type"_s, type}, {u"success"_s, false}, {u"error"_s, encode(error)}};
    if (!id.isUndefined())
        o.insert(u"id"_s, id);
    return o;
}

QByteArray serialize(const QJsonObject &frame)
{
    return QJsonDocument(frame).toJson(QJsonDocument::Compact);
}

QByteArray serializeSuccessReply(const QString &type, const QJsonValue &id, const QJsonObject &data)
{
    JsonWriter w;
    w.beginObject().key("type").value(type).key("success").value(true).key("data").value(QJsonValue(data));
    if (!id.isUndefined())
        w.key("id").value(id);
    w.endObject();
    return w.take();
}

QByteArray serializeErrorReply(const QString &type, const QJsonValue &id, const ProtocolError &error)
{
    JsonWriter w;
    w.beginObject().key("type").value(type).key("success").value(false).key("error").value(QJsonValue(encode(error)));
    if (!id.isUndefined())
        w.key("id").value(id);
    w.endObject();
    return w.take();
}

QByteArray serializeSendReply(const QString &type, const QJsonValue &id, const SendReceipt &receipt)
{
    JsonWriter w;
    w.beginObject()
        .key("type")
        .value(type)
        .key("success")
        .value(true)
        .key("data")
        .beginObject()
        .key("message_id")
        .value(receipt.messageId)
        .key("conversation_id")
        .value(receipt.conversationId)
        .key("seq")
        .value(receipt.seq)
        .key("timestamp")
        .value(receipt.timestamp)
        .key("duplicate")
        .value(receipt.duplicate)
        .endObject();
    if (!id.isUndefined())
        w.key("id").value(id);
    w.endObject();
    return w.take();
}

void writeMessage(JsonWriter &w, const ChatMessage &m)
{
    w.beginObject()
        .key("id")
        .value(m.id)
        .key("conversation_id")
        .value(m.conversationId)
        .key("seq")
        .value(m.seq)
        .key("sender_id")
        .value(m.senderId)
        .key("type")
        .value(m.type)
        .key("content")
        .value(m.content)
        .key("attachment");
    if (m.attachment.isEmpty())
        w.nullValue();
    else
        w.value(QJsonValue(m.attachment));
    w.key("client_msg_id").stringOrNull(m.clientMsgId).key("created_at").value(m.createdAt).endObject();
}

QByteArray serializeNewMessage(const ChatMessage &message)
{
    // Room for the worst case (six bytes per UTF-16 unit, see JsonWriter::writeString): no growing.
    JsonWriter w(320 + (message.content.size() + message.clientMsgId.size()) * 6);
    w.beginObject().key("type").value(u"new_message").key("message");
    writeMessage(w, message);
    w.endObject();
    return w.take();
}

// --- event frames

namespace {
bool isId(const QJsonValue &v)
{
    return v.isDouble() && v.toDouble() >= 0 && v.toDouble() <= 9007199254740991.0
        && v.toDouble() == double(qint64(v.toDouble()));
}
qint64 idOf(const QJsonObject &o, QLatin1StringView key)
{
    return qint64(o.value(key).toDouble());
}
} // namespace

QJsonObject encode(const ReceiptEvent &e)
{
    return QJsonObject {{u"type"_s, EventType::Receipt}, {u"conversation_id"_s, double(e.conversationId)},
        {u"user_id"_s, double(e.userId)}, {u"kind"_s, e.kind}, {u"seq"_s, double(e.seq)}};
}

QJsonObject encode(const TypingEvent &e)
{
    return QJsonObject {{u"type"_s, EventType::Typing}, {u"conversation_id"_s, double(e.conversationId)},
        {u"user_id"_s, double(e.userId)}};
}

QJsonObject encode(const PresenceEvent &e)
{
    return QJsonObject {{u"type"_s, EventType::Presence}, {u"user_id"_s, double(e.userId)}, {u"status"_s, e.status},
        {u"last_seen_at"_s, double(e.lastSeenAt)}};
}

QJsonObject encode(const SyncCompleteEvent &e)
{
    return QJsonObject {{u"type"_s, EventType::SyncComplete}, {u"count"_s, e.count}, {u"has_more"_s, e.hasMore}};
}

QJsonObject encode(const RoomMessageEvent &e)
{
    QJsonObject o {{u"type"_s, EventType::RoomMessage}, {u"room"_s, e.room}, {u"from"_s, double(e.from)},
        {u"data"_s, e.data}, {u"timestamp"_s, double(e.timestamp)}};
    if (e.recovered)
        o.insert(u"recovered"_s, true);
    return o;
}

QJsonObject encode(const SupportUpdateEvent &e)
{
    return QJsonObject {{u"type"_s, EventType::SupportUpdate}, {u"conversation"_s, encode(e.conversation)}};
}

QJsonObject encodeStatsEvent(const ServerStats &stats)
{
    QJsonObject o = encode(stats);
    o.insert(u"type"_s, EventType::Stats);
    return o;
}

QJsonObject encodeNewMessage(const ChatMessage &message, bool offline)
{
    QJsonObject o {{u"type"_s, EventType::NewMessage}, {u"message"_s, encode(message)}};
    if (offline)
        o.insert(u"offline"_s, true);
    return o;
}

Result<ReceiptEvent> decodeReceipt(const QJsonObject &o)
{
    const QString kind = o.value(u"kind"_s).toString();
    if (!isId(o.value(u"conversation_id"_s)) || !isId(o.value(u"user_id"_s)) || !isId(o.value(u"seq"_s))
        || (kind != u"delivered"_s && kind != u"read"_s))
        return malformed(u"receipt"_s);
    return ReceiptEvent {idOf(o, "conversation_id"_L1), idOf(o, "user_id"_L1), kind, idOf(o, "seq"_L1)};
}

Result<TypingEvent> decodeTyping(const QJsonObject &o)
{
    if (!isId(o.value(u"conversation_id"_s)) || !isId(o.value(u"user_id"_s)))
        return malformed(u"typing"_s);
    return TypingEvent {idOf(o, "conversation_id"_L1), idOf(o, "user_id"_L1)};
}

Result<PresenceEvent> decodePresence(const QJsonObject &o)
{
    if (!isId(o.value(u"user_id"_s)) || !o.value(u"status"_s).isString())
        return malformed(u"presence"_s);
    const QJsonValue seen = o.value(u"last_seen_at"_s);
    if (!seen.isUndefined() && !seen.isNull() && !isId(seen))
        return malformed(u"presence"_s);
    return PresenceEvent {idOf(o, "user_id"_L1), o.value(u"status"_s).toString(), idOf(o, "last_seen_at"_L1)};
}

Result<SyncCompleteEvent> decodeSyncComplete(const QJsonObject &o)
{
    if (!isId(o.value(u"count"_s)))
        return malformed(u"sync_complete"_s);
    return SyncCompleteEvent {o.value(u"count"_s).toInt(), o.value(u"has_more"_s).toBool()};
}

Result<RoomMessageEvent> decodeRoomMessage(const QJsonObject &o)
{
    if (!o.value(u"room"_s).isString() || !isId(o.value(u"from"_s)))
        return malformed(u"room_message"_s);
    return RoomMessageEvent {o.value(u"room"_s).toString(), idOf(o, "from"_L1), o.value(u"data"_s),
        idOf(o, "timestamp"_L1), o.value(u"recovered"_s).toBool()};
}

Result<SupportUpdateEvent> decodeSupportUpdate(const QJsonObject &o)
{
    auto conversation = decodeConversation(o.value(u"conversation"_s).toObject());
    if (!conversation)
        return conversation.error();
    return SupportUpdateEvent {conversation.value()};
}

} // namespace Switchboard::JsonCodec
