#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <functional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

class QTimer;

namespace Switchboard::Server {

class ChatService;
class PresenceService;
class SessionRegistry;
class SupportStore;
class MessageStore;
struct ServerConfig;

// Customer service (PROTOCOL.md section 10): users and guests open support chats, agents and
// admins work the queue (claim, transfer, close). Every change goes to every online agent and admin
// as `support_update`. Optional automatic assignment; chats of an agent who is gone for longer than
// the grace period return to the queue.
class SupportService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SupportService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    SupportService(SupportStore &support, MessageStore &messages, SessionRegistry &registry, PresenceService &presence,
        const ChatService &chat, const ServerConfig &config, QObject *parent = nullptr);

    void open(const UserInfo &caller, const QJsonObject &fields, Reply done);
    void queue(const UserInfo &caller, Reply done);
    void claim(const UserInfo &caller, const QJsonObject &fields, Reply done);
    void transfer(const UserInfo &caller, const QJsonObject &fields, Reply done);
    void close(const UserInfo &caller, const QJsonObject &fields, Reply done);

private:
    void announce(const ConversationInfo &conversation);
    void autoAssign(qint64 conversationId);
    void onUserOffline(qint64 userId, qint64 lastSeenAt);
    void requeue(qint64 agentId);
    void closeNow(qint64 conversationId, Reply done);

    SupportStore &m_support;
    MessageStore &m_messages;
    SessionRegistry &m_registry;
    PresenceService &m_presence;
    const ChatService &m_chat;
    const ServerConfig &m_config;
    QHash<qint64, QTimer *> m_graceTimers; // agent id -> pending requeue
    QSet<qint64> m_staffIds; // agents and admins seen online
};

} // namespace Switchboard::Server
