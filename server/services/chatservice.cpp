#include "server/services/chatservice.h"

#include "server/services/burstbudget.h"

#include <QDateTime>
#include <QJsonArray>
#include <QPointer>

#include "server/base/serverconfig.h"
#include "server/base/servermetrics.h"
#include "server/security/fileurlsigner.h"
#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "server/storage/messagestore.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr int kMaxClientMsgIdChars = 128;
constexpr int kHistoryDefault = 50;
constexpr int kHistoryMax = 100;

ProtocolError validation(const QString &message)
{
    return ProtocolError::make(ErrorCode::ValidationFailed, message);
}

ProtocolError badRequest(const QString &message)
{
    return ProtocolError::make(ErrorCode::BadRequest, message);
}

} // namespace

ChatService::ChatService(MessageStore &messages, SessionRegistry &registry, ServerMetrics &metrics,
    const ServerConfig &config, const FileUrlSigner &signer, QObject *parent)
    : QObject(parent),
      m_messages(messages),
      m_registry(registry),
      m_metrics(metrics),
      m_config(config),
      m_signer(signer)
{ }

ChatMessage ChatService::withFileUrl(const ChatMessage &message) const
{
    if (message.attachment.isEmpty() || !message.attachment.value(u"file_id"_s).isDouble())
        return message;
    ChatMessage m = message;
    m.attachment.insert(u"url"_s, m_signer.url(qint64(m.attachment.value(u"file_id"_s).toDouble())));
    return m;
}

QJsonObject ChatService::encode(const ChatMessage &message) const
{
    return JsonCodec::encode(withFileUrl(message));
}

QJsonObject ChatService::encode(const ConversationInfo &conversation) const
{
    return JsonCodec::encode(withFileUrls(conversation));
}

ConversationInfo ChatService::withFileUrls(const ConversationInfo &conversation) const
{
    ConversationInfo c = conversation;
    if (c.lastMessage && !c.lastMessage->attachment.isEmpty())
        c.lastMessage = withFileUrl(*c.lastMessage);
    return c;
}

Result<SendFields> ChatService::sendFields(const QJsonObject &fields)
{
    const RequestFields f(fields);
    // Types first (section 13): every malformed field is bad_request before any lookup.
    SendFields out;
    auto to = f.optionalId(u"to"_s);
    if (!to)
        return to.error();
    out.to = to.value();
    auto conversationId = f.optionalId(u"conversation_id"_s);
    if (!conversationId)
        return conversationId.error();
    out.conversationId = conversationId.value();
    auto content = f.optionalString(u"content"_s);
    if (!content)
        return content.error();
    out.content = std::move(content).value();
    auto messageType = f.optionalString(u"message_type"_s);
    if (!messageType)
        return messageType.error();
    out.messageType = std::move(messageType).value();
    auto clientMsgId = f.optionalString(u"client_msg_id"_s);
    if (!clientMsgId)
        return clientMsgId.error();
    out.clientMsgId = std::move(clientMsgId).value();
    out.attachment = fields.value(u"attachment"_s);
    if (!out.attachment.isUndefined() && !out.attachment.isNull() && !out.attachment.isObject())
        return badRequest(u"Field 'attachment' must be an object"_s);
    return out;
}

void ChatService::send(const UserInfo &caller, Session *origin, const QJsonObject &fields, SendDone done)
{
    auto checked = sendFields(fields);
    if (!checked)
        return done(checked.error());
    send(caller, origin, checked.value(), std::move(done));
}

void ChatService::send(const UserInfo &caller, Session *origin, const SendFields &fields, SendDone done)
{
    const auto &to = fields.to;
    const auto &conversationId = fields.conversationId;
    const auto &content = fields.content;
    const auto &attachment = fields.attachment;
    if (to.has_value() == conversationId.has_value())
        return done(badRequest(u"Exactly one of 'to' and 'conversation_id' is required"_s));

    const QString type = fields.messageType.value_or(u"text"_s);
    if (type == u"system"_s)
        return done(validation(u"Clients may not send system messages"_s));
    if (type != u"text"_s && type != u"image"_s && type != u"file"_s)
        return done(validation(u"Invalid message_type"_s));
    const QString text = content.value_or(QString());
    if (type == u"text"_s) {
        if (!content.has_value())
            return done(badRequest(u"Field 'content' is required"_s));
        if (text.isEmpty())
            return done(validation(u"Message content cannot be empty"_s));
    }
    if (TextRules::codePointCount(text) > m_config.maxTextChars)
        return done(validation(u"Text message too long"_s));
    // An empty client_msg_id is no id at all: no dedup, null on the wire everywhere.
    QString cmid = fields.clientMsgId.value_or(QString());
    if (cmid.isEmpty())
        cmid = QString();
    if (cmid.size() > kMaxClientMsgIdChars || TextRules::hasControlCharacters(cmid))
        return done(validation(u"client_msg_id must be at most 128 printable characters"_s));
    qint64 fileId = 0;
    if (type != u"text"_s) {
        if (!attachment.isObject())
            return done(validation(u"An image or file message needs an attachment"_s));
        auto id = RequestFields(attachment.toObject()).requiredId(u"file_id"_s);
        if (!id)
            return done(id.error().message.contains(u"required"_s)
                    ? validation(u"An image or file message needs an attachment"_s)
                    : id.error());
        fileId = id.value();
    }

    AppendRequest request;
    request.senderId = caller.id;
    request.toUserId = to;
    request.conversationId = conversationId;
    request.type = type;
    request.content = text;
    request.clientMsgId = cmid;
    request.fileId = fileId;
    request.now = QDateTime::currentMSecsSinceEpoch();
    QPointer<Session> originGuard(origin);
    m_messages.appendMessage(request, [this, originGuard, done = std::move(done)](Result<AppendResult> r) {
        if (!r)
            return done(r.error());
        const AppendResult &a = r.value();
        if (!a.duplicate) {
            ++m_metrics.messagesReceived;
            deliver(a.message, a.participants, originGuard.data());
            if (a.conversationType == u"support"_s && a.participants.size() <= 1)
                deliverToStaff(a.message, a.participants, originGuard.data());
            if (a.pushQueued > 0)
                Q_EMIT pushQueued();
        }
        done(SendReceipt {a.message.id, a.message.conversationId, a.message.seq, a.message.createdAt, a.duplicate});
    });
}

void ChatService::deliver(const ChatMessage &message, const QList<qint64> &participants, Session *origin)
{
    const QString frame = QString::fromUtf8(JsonCodec::serializeNewMessage(withFileUrl(message)));
    for (qint64 userId : participants) {
        // Copy: a session that cannot keep up is aborted inside sendEvent.
        const QList<Session *> sessions = m_registry.sessionsOf(userId);
        for (Session *s : sessions) {
            if (s == origin)
                continue;
            s->sendEventText(frame);
            ++m_metrics.messagesSent;
        }
    }
}

void ChatService::deliverToStaff(const ChatMessage &message, const QList<qint64> &participants, Session *origin)
{
    const QByteArray frame = JsonCodec::serializeNewMessage(withFileUrl(message));
    const QList<Session *> staff = m_registry.staffSessions();
    for (Session *s : staff) {
        if (s == origin || participants.contains(s->userId()))
            continue;
        s->sendEvent(frame);
        ++m_metrics.messagesSent;
    }
}

void ChatService::sendToUsers(const QList<qint64> &users, qint64 exceptUser, const QByteArray &frame)
{
    for (qint64 userId : users) {
        if (userId == exceptUser)
            continue;
        const QList<Session *> sessions = m_registry.sessionsOf(userId);
        for (Session *s : sessions)
            s->sendEvent(frame);
    }
}

void ChatService::history(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    const RequestFields f(fields);
    auto conversationId = f.requiredId(u"conversation_id"_s);
    if (!conversationId)
        return done(conversationId.error());
    auto before = f.optionalCount(u"before_seq"_s);
    if (!before)
        return done(before.error());
    auto after = f.optionalCount(u"after_seq"_s);
    if (!after)
        return done(after.error());
    auto limit = f.optionalCount(u"limit"_s);
    if (!limit)
        return done(limit.error());
    HistoryQuery q;
    q.userId = caller.id;
    q.conversationId = conversationId.value();
    q.beforeSeq = before.value();
    q.afterSeq = after.value();
    q.limit = int(std::clamp<qint64>(limit.value().value_or(kHistoryDefault), 1, kHistoryMax));
    if (limit.value().has_value() && *limit.value() == 0)
        return done(validation(u"limit must be at least 1"_s));
    // A page is one reply frame: it is bounded in bytes as well as in count, so that a page of
    // long messages never overflows a reading client's send queue. Ascending pages (after_seq)
    // keep their oldest messages, the others their newest, as the cursor expects.
    const bool ascending = q.afterSeq.has_value();
    m_messages.history(q, [this, ascending, done = std::move(done)](Result<HistoryPage> r) {
        if (!r)
            return done(r.error());
        BurstBudget budget = BurstBudget::forSendQueue(m_config.maxSendQueueBytes);
        QList<QJsonObject> kept;
        const qsizetype n = r->messages.size();
        for (qsizetype i = 0; i < n; ++i) {
            const ChatMessage &m = r->messages.at(ascending ? i : n - 1 - i);
            // Content dominates the size; the envelope of a message is a few hundred bytes.
            if (!budget.take(m.content.toUtf8().size() + 400))
                break;
            kept.append(encode(m));
        }
        if (!ascending)
            std::reverse(kept.begin(), kept.end());
        QJsonArray messages;
        for (QJsonObject &m : kept)
            messages.append(std::move(m));
        const bool hasMore = r->hasMore || kept.size() < n;
        done(QJsonObject {{u"messages"_s, messages}, {u"has_more"_s, hasMore}});
    });
}

void ChatService::conversations(const UserInfo &caller, Reply done)
{
    m_messages.conversations(caller.id, [this, done = std::move(done)](Result<QList<ConversationInfo>> r) {
        if (!r)
            return done(r.error());
        QJsonArray list;
        for (const ConversationInfo &c : r.value())
            list.append(encode(c));
        done(QJsonObject {{u"conversations"_s, list}});
    });
}

void ChatService::conversation(const UserInfo &caller, qint64 conversationId, Reply done)
{
    m_messages.conversation(caller.id, conversationId, [this, done = std::move(done)](Result<ConversationInfo> r) {
        if (!r)
            return done(r.error());
        done(QJsonObject {{u"conversation"_s, encode(r.value())}});
    });
}

void ChatService::markWatermark(const UserInfo &caller, const QJsonObject &fields, bool read, Reply done)
{
    const RequestFields f(fields);
    auto conversationId = f.requiredId(u"conversation_id"_s);
    if (!conversationId)
        return done(conversationId.error());
    auto seq = f.requiredCount(u"seq"_s);
    if (!seq)
        return done(seq.error());
    WatermarkUpdate u {caller.id, conversationId.value(), seq.value(), read};
    const qint64 userId = caller.id;
    m_messages.updateWatermark(u, [this, userId, u, done = std::move(done)](Result<WatermarkResult> r) {
        if (!r)
            return done(r.error());
        const WatermarkResult &w = r.value();
        auto receipt = [&](const QString &kind, qint64 value) {
            sendToUsers(w.participants, userId,
                JsonCodec::serialize(JsonCodec::encode(ReceiptEvent {u.conversationId, userId, kind, value})));
        };
        if (w.deliveredChanged)
            receipt(u"delivered"_s, w.deliveredSeq);
        if (w.readChanged)
            receipt(u"read"_s, w.readSeq);
        done(QJsonObject {{u"conversation_id"_s, double(u.conversationId)},
            {u"delivered_seq"_s, double(w.deliveredSeq)}, {u"read_seq"_s, double(w.readSeq)}});
    });
}

void ChatService::typing(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto conversationId = RequestFields(fields).requiredId(u"conversation_id"_s);
    if (!conversationId)
        return done(conversationId.error());
    const qint64 userId = caller.id;
    const qint64 cid = conversationId.value();
    m_messages.participants(userId, cid, [this, userId, cid, done = std::move(done)](Result<QList<qint64>> r) {
        if (!r)
            return done(r.error());
        sendToUsers(r.value(), userId, JsonCodec::serialize(JsonCodec::encode(TypingEvent {cid, userId})));
        done(QJsonObject {});
    });
}

QList<QByteArray> ChatService::offlineFrames(const PendingMessages &pending, BurstBudget &budget) const
{
    QList<QByteArray> frames;
    frames.reserve(pending.messages.size() + 1);
    for (const ChatMessage &m : pending.messages) {
        QByteArray frame = JsonCodec::serialize(JsonCodec::encodeNewMessage(withFileUrl(m), true));
        if (!budget.take(frame.size()))
            break; // the rest stays above the watermark: the client pages it with `history`
        frames.append(std::move(frame));
    }
    const int sent = int(frames.size());
    const bool hasMore = pending.hasMore || sent < pending.messages.size();
    frames.append(JsonCodec::serialize(JsonCodec::encode(SyncCompleteEvent {sent, hasMore})));
    return frames;
}

} // namespace Switchboard::Server
