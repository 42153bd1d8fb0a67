#pragma once

#include <QJsonObject>
#include <QObject>
#include <functional>

#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class ChatService;
class Session;
class MessageStore;
struct ServerConfig;

// Group conversations (PROTOCOL.md section 7): create, add, remove, leave. Membership changes put
// a `system` message into the conversation's seq and deliver it like any message.
class GroupService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GroupService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    GroupService(MessageStore &messages, ChatService &chat, const ServerConfig &config, QObject *parent = nullptr);

    void create(const UserInfo &caller, const QJsonObject &fields, Reply done);
    void add(const UserInfo &caller, Session *origin, const QJsonObject &fields, Reply done);
    void remove(const UserInfo &caller, Session *origin, const QJsonObject &fields, Reply done);
    void leave(const UserInfo &caller, Session *origin, const QJsonObject &fields, Reply done);

private:
    void change(const UserInfo &caller, Session *origin, const QJsonObject &fields, int kind, Reply done);

    MessageStore &m_messages;
    ChatService &m_chat;
    const ServerConfig &m_config;
};

} // namespace Switchboard::Server
