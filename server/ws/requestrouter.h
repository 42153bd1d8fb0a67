#pragma once

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QString>
#include <functional>

#include "server/services/chatservice.h"
#include "server/ws/messageframeparser.h"
#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class AdminService;
class AuthService;
class PushDispatcher;
class ChatService;
class SupportService;
class ContactService;
class GroupService;
class PresenceService;
class ResumeService;
class RoomService;
class Session;
class SessionRegistry;
struct ServerConfig;
struct ServerMetrics;

// The WebSocket side of the protocol: decodes every frame of a Session, enforces the envelope
// rules of PROTOCOL.md sections 2 and 13 (bad_request, unknown_type, not_authenticated, rate
// limits), and dispatches by `type` through one table of handlers. Replies go through the
// session's ordered slots.
class RequestRouter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestRouter)

public:
    struct Services
    {
        AuthService &auth;
        ChatService &chat;
        PresenceService &presence;
        RoomService &rooms;
        ResumeService &resume;
        GroupService &groups;
        ContactService &contacts;
        SupportService &support;
        AdminService &admin;
        PushDispatcher &push;
    };

    RequestRouter(const ServerConfig &config, SessionRegistry &registry, const Services &services,
        ServerMetrics &metrics, QObject *parent = nullptr);

    // Takes a new connection: wires its frames and, if the upgrade carried a token, authenticates.
    void attach(Session *session);

private:
    struct Request
    {
        QString type;
        QJsonValue id; // undefined when absent
        QJsonObject fields;
    };
    using Handler = std::function<void(Session *, const Request &, quint64 ticket)>;

    void onText(Session *session, const QString &text);
    void process(Session *session, const QString &text);
    void drain(Session *session);
    void onBinary(Session *session);
    void dispatch(Session *session, const Request &request);
    // Token bucket of the rate-limited types: false if a token was taken, else replies
    // rate_limited (and closes a connection that keeps flooding).
    bool rateLimited(Session *session, const QString &type, const QJsonValue &id);
    // A plain `message` frame read by MessageFrameParser: what dispatch() does for it.
    void sendMessage(Session *session, const MessageFrameParser::Frame &frame);
    ChatService::SendDone sendReplier(Session *session, quint64 ticket, const QJsonValue &id);
    void reply(Session *session, quint64 ticket, const Request &request, const Result<QJsonObject> &result);
    void replyError(Session *session, const Request &request, const ProtocolError &error);
    // Authentication by `auth` frame (ticket of that request) or by the upgrade token (ticket 0:
    // pushes a `session` event instead of a reply).
    void authenticate(Session *session, const QString &token, const Request *request);
    void finishAuthentication(Session *session);
    void resume(Session *session, const Request &request, quint64 ticket);
    void onSessionRemoved(Session *session);
    QJsonObject sessionData(const UserInfo &user, const QString &sessionId, const QString &resumeToken) const;
    // True (and the connection closed with 4029) when the user already has the maximum.
    bool overConnectionLimit(Session *session, qint64 userId, quint64 ticket);
    void registerHandlers();
    std::function<void(Result<QJsonObject>)> replier(Session *session, quint64 ticket, const Request &request);

    const ServerConfig &m_config;
    SessionRegistry &m_registry;
    Services m_services;
    ChatService &m_chat;
    ServerMetrics &m_metrics;
    QHash<QString, Handler> m_handlers;
    QHash<QString, bool> m_rateLimited; // request types that take a token from the bucket
};

} // namespace Switchboard::Server
