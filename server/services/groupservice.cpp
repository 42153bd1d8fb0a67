#include "server/services/groupservice.h"

#include <QDateTime>
#include <QJsonArray>
#include <QPointer>
#include <QSet>

#include "server/base/serverconfig.h"
#include "server/services/chatservice.h"
#include "server/sessions/session.h"
#include "server/storage/messagestore.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr int kMaxTitleChars = 128;
}

GroupService::GroupService(MessageStore &messages, ChatService &chat, const ServerConfig &config, QObject *parent)
    : QObject(parent), m_messages(messages), m_chat(chat), m_config(config)
{ }

void GroupService::create(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto title = RequestFields(fields).optionalString(u"title"_s);
    if (!title)
        return done(title.error());
    const QJsonValue membersValue = fields.value(u"members"_s);
    if (!membersValue.isUndefined() && !membersValue.isArray())
        return done(ProtocolError::make(ErrorCode::BadRequest, u"Field 'members' must be an array of user ids"_s));
    // De-duplicated through a set: a frame holds thousands of ids, and a list lookup per id made
    // this quadratic on the event loop (issue 12, item 7). Order of first appearance is kept.
    QList<qint64> members;
    QSet<qint64> seen;
    const QJsonArray array = membersValue.toArray();
    members.reserve(std::min<qsizetype>(array.size(), m_config.maxGroupMembers + 1));
    for (const QJsonValue &v : array) {
        if (!v.isDouble() || !RequestFields::isSafeInteger(v.toDouble()) || v.toDouble() < 1)
            return done(ProtocolError::make(ErrorCode::BadRequest, u"Field 'members' must be an array of user ids"_s));
        const qint64 id = qint64(v.toDouble());
        if (id != caller.id && !seen.contains(id)) {
            seen.insert(id);
            members.append(id);
        }
    }
    const QString t = title.value().value_or(QString()).trimmed();
    if (TextRules::hasControlCharacters(t) || TextRules::hasInvisibleFormatting(t)
        || TextRules::codePointCount(t) > kMaxTitleChars)
        return done(ProtocolError::make(ErrorCode::ValidationFailed,
            u"title must be at most 128 characters without control, bidi or zero-width characters"_s));
    // max_group_members counts every participant, the creator included.
    if (members.size() + 1 > m_config.maxGroupMembers)
        return done(ProtocolError::make(ErrorCode::LimitExceeded, u"More members than max_group_members"_s));
    GroupCreate request {caller.id, t, members, QDateTime::currentMSecsSinceEpoch()};
    m_messages.createGroup(request, [done = std::move(done)](Result<ConversationInfo> r) {
        if (!r)
            return done(r.error());
        done(QJsonObject {{u"conversation"_s, JsonCodec::encode(r.value())}});
    });
}

void GroupService::add(const UserInfo &caller, Session *origin, const QJsonObject &fields, Reply done)
{
    change(caller, origin, fields, int(MembershipChange::Kind::Add), std::move(done));
}

void GroupService::remove(const UserInfo &caller, Session *origin, const QJsonObject &fields, Reply done)
{
    change(caller, origin, fields, int(MembershipChange::Kind::Remove), std::move(done));
}

void GroupService::leave(const UserInfo &caller, Session *origin, const QJsonObject &fields, Reply done)
{
    change(caller, origin, fields, int(MembershipChange::Kind::Leave), std::move(done));
}

void GroupService::change(const UserInfo &caller, Session *origin, const QJsonObject &fields, int kind, Reply done)
{
    const RequestFields f(fields);
    auto conversationId = f.requiredId(u"conversation_id"_s);
    if (!conversationId)
        return done(conversationId.error());
    MembershipChange c;
    c.kind = MembershipChange::Kind(kind);
    if (c.kind != MembershipChange::Kind::Leave) {
        auto userId = f.requiredId(u"user_id"_s);
        if (!userId)
            return done(userId.error());
        c.userId = userId.value();
    } else {
        c.userId = caller.id;
    }
    c.actorId = caller.id;
    c.actorIsAdmin = caller.isAdmin();
    c.conversationId = conversationId.value();
    c.maxMembers = m_config.maxGroupMembers;
    c.now = QDateTime::currentMSecsSinceEpoch();
    QPointer<Session> guard(origin);
    m_messages.changeMembership(c, [this, guard, c, done = std::move(done)](Result<MembershipResult> r) {
        if (!r)
            return done(r.error());
        QJsonObject data {{u"conversation_id"_s, double(c.conversationId)}, {u"user_id"_s, double(c.userId)}};
        if (r->systemMessage) {
            m_chat.deliver(*r->systemMessage, r->notify, guard.data());
            data.insert(u"message"_s, JsonCodec::encode(*r->systemMessage));
        }
        done(data);
    });
}

} // namespace Switchboard::Server
