#include "server/ws/requestrouter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>

#include "server/base/serverconfig.h"
#include "server/base/servermetrics.h"
#include "server/security/tokensigner.h"
#include "server/services/adminservice.h"
#include "server/services/authservice.h"
#include "server/services/burstbudget.h"
#include "server/services/chatservice.h"
#include "server/services/contactservice.h"
#include "server/services/groupservice.h"
#include "server/services/presenceservice.h"
#include "server/services/pushdispatcher.h"
#include "server/services/resumeservice.h"
#include "server/services/roomservice.h"
#include "server/services/supportservice.h"
#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "server/ws/messageframeparser.h"
#include "shared/protocol/frametypes.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
ProtocolError badRequest(const QString &message)
{
    return ProtocolError::make(ErrorCode::BadRequest, message);
}

bool isValidId(const QJsonValue &id)
{
    return id.isUndefined() || id.isString() || id.isDouble();
}
} // namespace

RequestRouter::RequestRouter(const ServerConfig &config, SessionRegistry &registry, const Services &services,
    ServerMetrics &metrics, QObject *parent)
    : QObject(parent),
      m_config(config),
      m_registry(registry),
      m_services(services),
      m_chat(services.chat),
      m_metrics(metrics)
{
    connect(&registry, &SessionRegistry::sessionRemoved, this, &RequestRouter::onSessionRemoved);
    registerHandlers();
    for (QLatin1StringView type :
        {RequestType::Message, RequestType::Broadcast, RequestType::Typing, RequestType::ConversationCreate,
            RequestType::ConversationAdd, RequestType::ConversationRemove, RequestType::ConversationLeave,
            RequestType::ContactAdd, RequestType::ContactRemove, RequestType::SupportOpen})
        m_rateLimited.insert(QString(type), true);
}

void RequestRouter::attach(Session *session)
{
    connect(session, &Session::textReceived, this, &RequestRouter::onText);
    // Queued: an answer filled from inside a handler must not recurse into the next request.
    connect(session, &Session::capacityAvailable, this, &RequestRouter::drain, Qt::QueuedConnection);
    connect(session, &Session::binaryReceived, this, &RequestRouter::onBinary);
    const QString token = session->upgradeToken();
    if (!token.isEmpty())
        authenticate(session, token, nullptr);
}

std::function<void(Result<QJsonObject>)> RequestRouter::replier(
    Session *session, quint64 ticket, const Request &request)
{
    QPointer<Session> guard(session);
    const qint64 started = QDateTime::currentMSecsSinceEpoch();
    return [this, guard, ticket, started, type = request.type, id = request.id](Result<QJsonObject> r) {
        m_metrics.observeLatency(double(QDateTime::currentMSecsSinceEpoch() - started));
        if (!guard)
            return;
        reply(guard.data(), ticket, Request {type, id, {}}, r);
    };
}

void RequestRouter::reply(Session *session, quint64 ticket, const Request &request, const Result<QJsonObject> &r)
{
    session->fillSlot(ticket,
        r ? JsonCodec::serializeSuccessReply(request.type, request.id, r.value())
          : JsonCodec::serializeErrorReply(request.type, request.id, r.error()));
}

void RequestRouter::replyError(Session *session, const Request &request, const ProtocolError &error)
{
    reply(session, session->openSlot(), request, error);
}

void RequestRouter::onBinary(Session *session)
{
    replyError(session, Request {QString(EventType::Error), QJsonValue(QJsonValue::Undefined), {}},
        badRequest(u"Binary frames are not supported; send JSON text frames"_s));
}

void RequestRouter::onText(Session *session, const QString &text)
{
    ++m_metrics.framesIn;
    // While authentication is in flight, or too many requests are unanswered (storage is slower
    // than this client), frames wait in order; they run as answers go out. Only a client that
    // keeps piling up past that bound is cut off.
    if (session->authState() == Session::AuthState::Authenticating || !session->hasCapacity()
        || session->hasDeferredFrames()) {
        if (!session->deferFrame(text))
            session->close(1008, u"Too many requests in flight"_s);
        return;
    }
    process(session, text);
}

void RequestRouter::drain(Session *session)
{
    QPointer<Session> guard(session);
    while (guard && !guard->isClosing() && guard->hasDeferredFrames() && guard->hasCapacity()
        && guard->authState() != Session::AuthState::Authenticating)
        process(session, session->takeDeferredFrame());
}

void RequestRouter::process(Session *session, const QString &text)
{
    // Most frames are sends: read those without a QJsonObject when they are plain (anything else,
    // including every frame that deserves an error reply, takes the general path below).
    if (session->isAuthenticated()) {
        if (auto frame = MessageFrameParser::parse(text)) {
            sendMessage(session, *frame);
            return;
        }
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        replyError(session, Request {QString(EventType::Error), QJsonValue(QJsonValue::Undefined), {}},
            badRequest(u"Frame must be a JSON object"_s));
        return;
    }
    Request request;
    request.fields = doc.object();
    request.id = request.fields.value(u"id"_s);
    const QJsonValue type = request.fields.value(u"type"_s);
    if (!type.isString() || type.toString().isEmpty()) {
        request.type = EventType::Error;
        if (!isValidId(request.id))
            request.id = QJsonValue(QJsonValue::Undefined);
        replyError(session, request, badRequest(u"Field 'type' must be a non-empty string"_s));
        return;
    }
    request.type = type.toString();
    if (!isValidId(request.id)) {
        request.id = QJsonValue(QJsonValue::Undefined);
        replyError(session, request, badRequest(u"Field 'id' must be an integer or a string"_s));
        return;
    }
    dispatch(session, request);
}

void RequestRouter::dispatch(Session *session, const Request &request)
{
    const bool preAuth = request.type == RequestType::Auth || request.type == RequestType::Reconnect
        || request.type == RequestType::Ping;
    if (!session->isAuthenticated() && !preAuth) {
        replyError(session, request,
            ProtocolError::make(ErrorCode::NotAuthenticated, u"Authenticate first (auth or reconnect)"_s));
        return;
    }
    const auto handler = m_handlers.constFind(request.type);
    if (handler == m_handlers.constEnd()) {
        replyError(session, request, ProtocolError::make(ErrorCode::UnknownType, u"Unknown message type"_s));
        return;
    }
    if (m_rateLimited.contains(request.type) && rateLimited(session, request.type, request.id))
        return;
    (*handler)(session, request, session->openSlot());
}

bool RequestRouter::rateLimited(Session *session, const QString &type, const QJsonValue &id)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 wait = session->takeToken(now);
    if (wait <= 0)
        return false;
    ProtocolError e = ProtocolError::make(ErrorCode::RateLimited, u"Rate limit exceeded"_s);
    e.retryAfterMs = wait;
    replyError(session, Request {type, id, {}}, e);
    if (session->noteRateLimited(now))
        session->close(1008, u"Repeated flooding after rate_limited"_s);
    return true;
}

void RequestRouter::sendMessage(Session *session, const MessageFrameParser::Frame &frame)
{
    // What dispatch() does for a `message` request of an authenticated session.
    static const QString type = RequestType::Message;
    if (rateLimited(session, type, frame.id))
        return;
    m_chat.send(session->user(), session, frame.fields, sendReplier(session, session->openSlot(), frame.id));
}

ChatService::SendDone RequestRouter::sendReplier(Session *session, quint64 ticket, const QJsonValue &id)
{
    // The busiest reply of all is written straight from the receipt (no QJsonObject).
    QPointer<Session> guard(session);
    const qint64 started = QDateTime::currentMSecsSinceEpoch();
    return [this, guard, ticket, started, id](Result<SendReceipt> receipt) {
        m_metrics.observeLatency(double(QDateTime::currentMSecsSinceEpoch() - started));
        if (!guard)
            return;
        static const QString type = RequestType::Message;
        guard->fillSlot(ticket,
            receipt ? JsonCodec::serializeSendReply(type, id, receipt.value())
                    : JsonCodec::serializeErrorReply(type, id, receipt.error()));
    };
}

void RequestRouter::authenticate(Session *session, const QString &token, const Request *request)
{
    const bool viaUpgrade = request == nullptr;
    const quint64 ticket = session->openSlot();
    const Request req = viaUpgrade ? Request {u"session"_s, QJsonValue(QJsonValue::Undefined), {}} : *request;
    auto fail = [this, session, ticket, req, viaUpgrade](const ProtocolError &e) {
        session->setAnonymous();
        if (viaUpgrade) {
            session->fillSlot(ticket, {});
            session->close(4001, u"Unauthorized"_s);
            return;
        }
        reply(session, ticket, req, e);
        finishAuthentication(session);
    };
    session->setAuthenticating();
    QPointer<Session> guard(session);
    m_services.auth.openSession(
        token, ChatService::kOfflineBatch, [this, guard, ticket, req, viaUpgrade, fail](Result<SessionOpening> r) {
            if (!guard)
                return;
            Session *s = guard.data();
            if (!r)
                return fail(r.error());
            const SessionOpening &opening = r.value();
            if (overConnectionLimit(s, opening.user.id, ticket))
                return;
            const QString sessionId = TokenSigner::randomToken(16);
            s->setAuthenticated(opening.user, sessionId);
            m_registry.markAuthenticated(s);
            const QJsonObject data
                = sessionData(opening.user, sessionId, m_services.resume.create(s, sessionId, opening.tokenVersion));
            QJsonObject frame;
            if (viaUpgrade) {
                frame = data;
                frame.insert(u"type"_s, EventType::Session);
            } else {
                frame = JsonCodec::successReply(req.type, req.id, data);
            }
            BurstBudget budget = BurstBudget::forSendQueue(m_config.maxSendQueueBytes);
            s->fillSlot(ticket, JsonCodec::serialize(frame), m_chat.offlineFrames(opening.pending, budget));
            finishAuthentication(s);
        });
}

QJsonObject RequestRouter::sessionData(const UserInfo &user, const QString &sessionId, const QString &resumeToken) const
{
    return QJsonObject {{u"user"_s, JsonCodec::encode(user)}, {u"session_id"_s, sessionId},
        {u"resume_token"_s, resumeToken}, {u"heartbeat_interval"_s, m_config.heartbeatInterval},
        {u"server_time"_s, double(QDateTime::currentMSecsSinceEpoch())}};
}

bool RequestRouter::overConnectionLimit(Session *session, qint64 userId, quint64 ticket)
{
    if (m_registry.sessionsOf(userId).size() < qsizetype(m_config.maxConnectionsPerUser))
        return false;
    // The newest connection goes; the ones already open stay usable (section 13).
    session->setAnonymous();
    session->fillSlot(ticket, {});
    session->close(4029, u"Too many connections for this user"_s);
    return true;
}

void RequestRouter::resume(Session *session, const Request &request, quint64 ticket)
{
    auto token = RequestFields(request.fields).requiredString(u"token"_s);
    if (!token)
        return reply(session, ticket, request, token.error());
    auto record = m_services.resume.resume(token.value(), session);
    if (!record)
        return reply(session, ticket, request, record.error());
    session->setAuthenticating();
    QPointer<Session> guard(session);
    const ResumeService::Record rec = record.value();
    m_services.auth.reopenSession(rec.user.id, rec.tokenVersion, ChatService::kOfflineBatch,
        [this, guard, ticket, request, rec](Result<SessionOpening> r) {
            if (!guard)
                return;
            Session *s = guard.data();
            if (!r) {
                s->setAnonymous();
                reply(s, ticket, request, r.error());
                finishAuthentication(s);
                return;
            }
            if (overConnectionLimit(s, rec.user.id, ticket))
                return;
            s->setAuthenticated(r->user, rec.sessionId);
            m_registry.markAuthenticated(s);
            m_services.presence.restoreStatus(rec.user.id, rec.status);
            // The room replay and the offline batch share one burst; what does not fit is
            // fetched by the client (recovered: false, has_more: true).
            BurstBudget budget = BurstBudget::forSendQueue(m_config.maxSendQueueBytes);
            QList<QByteArray> frames;
            QJsonArray restored;
            bool recovered = true;
            for (auto it = rec.rooms.cbegin(); it != rec.rooms.cend(); ++it) {
                if (m_services.rooms.rejoin(s, it.key(), it.value(), &frames, &recovered, budget))
                    restored.append(it.key());
                else
                    recovered = false;
            }
            QJsonObject data = sessionData(r->user, rec.sessionId, rec.token);
            data.insert(u"restored_rooms"_s, restored);
            data.insert(u"recovered"_s, recovered);
            frames.append(m_chat.offlineFrames(r->pending, budget));
            s->fillSlot(ticket, JsonCodec::serialize(JsonCodec::successReply(request.type, request.id, data)), frames);
            finishAuthentication(s);
        });
}

void RequestRouter::onSessionRemoved(Session *session)
{
    if (session->isAuthenticated()) {
        QHash<QString, quint64> seen;
        for (const QString &room : std::as_const(session->rooms()))
            seen.insert(room, m_services.rooms.lastSeq(room));
        m_services.resume.detach(session, seen, m_services.presence.statusOf(session->userId()));
    }
    m_services.rooms.detach(session);
}

void RequestRouter::finishAuthentication(Session *session)
{
    drain(session);
}

void RequestRouter::registerHandlers()
{
    m_handlers.insert(QString(RequestType::Ping), [](Session *s, const Request &r, quint64 ticket) {
        QJsonObject pong {{u"type"_s, EventType::Pong}, {u"timestamp"_s, double(QDateTime::currentMSecsSinceEpoch())}};
        if (!r.id.isUndefined())
            pong.insert(u"id"_s, r.id);
        s->fillSlot(ticket, JsonCodec::serialize(pong));
    });
    m_handlers.insert(QString(RequestType::Auth), [this](Session *s, const Request &r, quint64 ticket) {
        if (s->authState() != Session::AuthState::Anonymous)
            return reply(s, ticket, r, badRequest(u"Already authenticated"_s));
        auto token = RequestFields(r.fields).requiredString(u"token"_s);
        if (!token)
            return reply(s, ticket, r, token.error());
        // authenticate() takes its own slot; this one answers nothing, so fill it empty first to
        // keep the order (an empty frame is never written).
        s->fillSlot(ticket, {});
        authenticate(s, token.value(), &r);
    });
    m_handlers.insert(QString(RequestType::Reconnect), [this](Session *s, const Request &r, quint64 ticket) {
        if (s->isAuthenticated())
            return reply(s, ticket, r, badRequest(u"Already authenticated"_s));
        auto token = RequestFields(r.fields).requiredString(u"token"_s);
        if (!token)
            return reply(s, ticket, r, token.error());
        if (s->authState() != Session::AuthState::Anonymous)
            return reply(s, ticket, r, badRequest(u"Authentication already in progress"_s));
        resume(s, r, ticket);
    });
    m_handlers.insert(QString(RequestType::Message), [this](Session *s, const Request &r, quint64 ticket) {
        m_chat.send(s->user(), s, r.fields, sendReplier(s, ticket, r.id));
    });
    m_handlers.insert(QString(RequestType::Received), [this](Session *s, const Request &r, quint64 ticket) {
        m_chat.markWatermark(s->user(), r.fields, false, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Read), [this](Session *s, const Request &r, quint64 ticket) {
        m_chat.markWatermark(s->user(), r.fields, true, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Typing), [this](Session *s, const Request &r, quint64 ticket) {
        m_chat.typing(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::History), [this](Session *s, const Request &r, quint64 ticket) {
        m_chat.history(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Conversations), [this](Session *s, const Request &r, quint64 ticket) {
        m_chat.conversations(s->user(), replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::PresenceQuery), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.presence.query(r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Status), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.presence.setStatus(s->userId(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Join), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.rooms.join(s, r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Leave), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.rooms.leave(s, r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Broadcast), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.rooms.broadcast(s, r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::ConversationCreate), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.groups.create(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::ConversationAdd), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.groups.add(s->user(), s, r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::ConversationRemove), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.groups.remove(s->user(), s, r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::ConversationLeave), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.groups.leave(s->user(), s, r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::SupportOpen), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.support.open(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::SupportQueue), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.support.queue(s->user(), replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::SupportClaim), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.support.claim(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::SupportTransfer), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.support.transfer(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::SupportClose), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.support.close(s->user(), r.fields, replier(s, ticket, r));
    });
    auto adminOnly = [this](auto action) {
        return [this, action](Session *s, const Request &r, quint64 ticket) {
            if (auto refused = AdminService::refuseUnlessAdmin(s->user()))
                return reply(s, ticket, r, *refused);
            action(s, r, ticket);
        };
    };
    m_handlers.insert(
        QString(RequestType::StatsSubscribe), adminOnly([this](Session *s, const Request &r, quint64 ticket) {
            m_services.admin.subscribe(s, replier(s, ticket, r));
        }));
    m_handlers.insert(
        QString(RequestType::StatsUnsubscribe), adminOnly([this](Session *s, const Request &r, quint64 ticket) {
            m_services.admin.unsubscribe(s, replier(s, ticket, r));
        }));
    m_handlers.insert(
        QString(RequestType::AdminConnections), adminOnly([this](Session *s, const Request &r, quint64 ticket) {
            reply(s, ticket, r, m_services.admin.connections());
        }));
    m_handlers.insert(QString(RequestType::AdminKick), adminOnly([this](Session *s, const Request &r, quint64 ticket) {
        m_services.admin.kick(r.fields, replier(s, ticket, r));
    }));
    m_handlers.insert(QString(RequestType::PushRegister), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.push.registerDevice(s->userId(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::Contacts), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.contacts.list(s->user(), replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::ContactAdd), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.contacts.add(s->user(), r.fields, replier(s, ticket, r));
    });
    m_handlers.insert(QString(RequestType::ContactRemove), [this](Session *s, const Request &r, quint64 ticket) {
        m_services.contacts.remove(s->user(), r.fields, replier(s, ticket, r));
    });
}

} // namespace Switchboard::Server
