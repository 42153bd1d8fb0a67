#include "server/services/supportservice.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTimer>

#include "server/base/serverconfig.h"
#include "server/services/chatservice.h"
#include "server/services/presenceservice.h"
#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "server/storage/messagestore.h"
#include "server/storage/supportstore.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
ProtocolError staffOnly()
{
    return ProtocolError::make(ErrorCode::Forbidden, u"Only agents and admins may do this"_s);
}
} // namespace

SupportService::SupportService(SupportStore &support, MessageStore &messages, SessionRegistry &registry,
    PresenceService &presence, const ChatService &chat, const ServerConfig &config, QObject *parent)
    : QObject(parent),
      m_support(support),
      m_messages(messages),
      m_registry(registry),
      m_presence(presence),
      m_chat(chat),
      m_config(config)
{
    connect(&registry, &SessionRegistry::userOffline, this, &SupportService::onUserOffline);
    connect(&registry, &SessionRegistry::sessionAuthenticated, this, [this](Session *s) {
        if (!s->user().isStaff())
            return;
        m_staffIds.insert(s->userId());
        // The agent is back within the grace period: their chats stay theirs.
        if (QTimer *t = m_graceTimers.take(s->userId()))
            t->deleteLater();
    });
}

void SupportService::announce(const ConversationInfo &conversation)
{
    const QByteArray frame
        = JsonCodec::serialize(JsonCodec::encode(SupportUpdateEvent {m_chat.withFileUrls(conversation)}));
    QList<Session *> targets = m_registry.staffSessions();
    // The user who asked for help hears about their own chat too (assigned, closed).
    for (Session *s : m_registry.sessionsOf(conversation.requesterId)) {
        if (!targets.contains(s))
            targets.append(s);
    }
    for (Session *s : std::as_const(targets))
        s->sendEvent(frame);
}

void SupportService::open(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto topic = RequestFields(fields).optionalString(u"topic"_s);
    if (!topic)
        return done(topic.error());
    const QString t = topic.value().value_or(QString()).trimmed();
    if (TextRules::hasControlCharacters(t) || TextRules::codePointCount(t) > 128)
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"topic must be at most 128 characters"_s));
    m_support.supportOpen(caller.id, t, [this, done = std::move(done)](Result<ConversationInfo> r) {
        if (!r)
            return done(r.error());
        const ConversationInfo &c = r.value();
        // A fresh chat has no messages and nobody assigned yet: tell the agents.
        if (c.supportStatus == u"open"_s && c.lastSeq == 0) {
            announce(c);
            if (m_config.supportAutoAssign)
                autoAssign(c.id);
        }
        done(QJsonObject {{u"conversation"_s, m_chat.encode(c)}});
    });
}

void SupportService::autoAssign(qint64 conversationId)
{
    // Online, available (not away) agents; the storage picks the one with the fewest open chats.
    QList<qint64> candidates;
    for (Session *s : m_registry.staffSessions()) {
        if (s->user().role == u"agent"_s && m_presence.statusOf(s->userId()) == u"online"_s
            && !candidates.contains(s->userId()))
            candidates.append(s->userId());
    }
    if (candidates.isEmpty())
        return;
    m_support.supportAutoAssign(
        conversationId, candidates, m_config.supportAgentCapacity, [this](Result<ConversationInfo> r) {
            if (r)
                announce(r.value());
        });
}

void SupportService::queue(const UserInfo &caller, Reply done)
{
    if (!caller.isStaff())
        return done(staffOnly());
    m_support.supportQueue(caller.id, [this, done = std::move(done)](Result<QList<ConversationInfo>> r) {
        if (!r)
            return done(r.error());
        QJsonArray list;
        for (const ConversationInfo &c : r.value())
            list.append(m_chat.encode(c));
        done(QJsonObject {{u"conversations"_s, list}});
    });
}

void SupportService::claim(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto id = RequestFields(fields).requiredId(u"conversation_id"_s);
    if (!id)
        return done(id.error());
    if (!caller.isStaff())
        return done(staffOnly());
    m_support.supportAssign(SupportAssignment {id.value(), caller.id, true, QDateTime::currentMSecsSinceEpoch()},
        [this, done = std::move(done)](Result<ConversationInfo> r) {
            if (!r)
                return done(r.error());
            announce(r.value());
            done(QJsonObject {{u"conversation"_s, m_chat.encode(r.value())}});
        });
}

void SupportService::transfer(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    const RequestFields f(fields);
    auto id = f.requiredId(u"conversation_id"_s);
    if (!id)
        return done(id.error());
    auto agent = f.requiredId(u"agent_id"_s);
    if (!agent)
        return done(agent.error());
    if (!caller.isStaff())
        return done(staffOnly());
    // Only the agent who holds the chat, or an admin, hands it on (storage checks the holder in
    // the same transaction as the transfer).
    const qint64 holder = caller.isAdmin() ? 0 : caller.id;
    m_support.supportAssign(
        SupportAssignment {id.value(), agent.value(), false, QDateTime::currentMSecsSinceEpoch(), holder},
        [this, done = std::move(done)](Result<ConversationInfo> r) {
            if (!r)
                return done(r.error());
            announce(r.value());
            done(QJsonObject {{u"conversation"_s, m_chat.encode(r.value())}});
        });
}

void SupportService::close(const UserInfo &caller, const QJsonObject &fields, Reply done)
{
    auto id = RequestFields(fields).requiredId(u"conversation_id"_s);
    if (!id)
        return done(id.error());
    if (caller.isStaff())
        return closeNow(id.value(), std::move(done));
    // The user who opened the chat may end it too.
    const qint64 callerId = caller.id;
    const qint64 cid = id.value();
    m_messages.conversation(callerId, cid, [this, callerId, cid, done = std::move(done)](Result<ConversationInfo> r) {
        if (!r)
            return done(r.error());
        if (r->type != u"support"_s || r->requesterId != callerId)
            return done(staffOnly());
        closeNow(cid, done);
    });
}

void SupportService::closeNow(qint64 conversationId, Reply done)
{
    m_support.supportClose(conversationId, [this, done = std::move(done)](Result<ConversationInfo> r) {
        if (!r)
            return done(r.error());
        announce(r.value());
        done(QJsonObject {{u"conversation"_s, m_chat.encode(r.value())}});
    });
}

void SupportService::onUserOffline(qint64 userId, qint64)
{
    if (!m_staffIds.contains(userId) || m_graceTimers.contains(userId))
        return;
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, userId, timer] {
        m_graceTimers.remove(userId);
        timer->deleteLater();
        if (!m_registry.isOnline(userId))
            requeue(userId);
    });
    m_graceTimers.insert(userId, timer);
    timer->start(m_config.supportRequeueGrace * 1000);
}

void SupportService::requeue(qint64 agentId)
{
    m_support.supportRequeue(agentId, [this](Result<QList<ConversationInfo>> r) {
        if (!r)
            return;
        for (const ConversationInfo &c : r.value()) {
            announce(c);
            if (m_config.supportAutoAssign)
                autoAssign(c.id);
        }
    });
}

} // namespace Switchboard::Server
