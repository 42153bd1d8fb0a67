#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <functional>

#include "server/http/staticassets.h"
#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

class QHttpServerRequest;
class QTcpSocket;

namespace Switchboard::Server {

class AdminService;
class PushDispatcher;
class AuthService;
class SupportService;
class ChatService;
class FileService;
class ContactService;
class GroupService;
class HttpResponse;

// The /api/v1 routes, /healthz and the bundled web client (PROTOCOL.md section 9). One router,
// JSON in and out; the same services as the WebSocket side, so both behave the same. Errors become
// HTTP status in one place (RestError). The web client's files are StaticAssets' business.
class RestApi final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestApi)

public:
    struct Services
    {
        AuthService &auth;
        ChatService &chat;
        GroupService &groups;
        ContactService &contacts;
        SupportService &support;
        AdminService &admin;
        FileService &files;
        PushDispatcher &push;
    };

    RestApi(const Services &services, QObject *parent = nullptr);

    void handle(const QHttpServerRequest &request, QTcpSocket *socket);

    static constexpr qint64 kMaxJsonBody = 1024 * 1024;

private:
    using Respond = std::function<void(Result<QJsonObject>)>;
    Respond responder(QTcpSocket *socket, int successStatus);
    void withUser(
        const QHttpServerRequest &request, const Respond &respond, std::function<void(const UserInfo &)> then);
    void upload(const QHttpServerRequest &request, QTcpSocket *socket);
    void download(const QHttpServerRequest &request, QTcpSocket *socket, qint64 fileId);

    AuthService &m_auth;
    ChatService &m_chat;
    GroupService &m_groups;
    ContactService &m_contacts;
    SupportService &m_support;
    AdminService &m_admin;
    FileService &m_files;
    PushDispatcher &m_push;
    StaticAssets m_assets;
};

} // namespace Switchboard::Server
