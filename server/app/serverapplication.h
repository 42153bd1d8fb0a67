#pragma once

#include <QObject>
#include <QString>
#include <memory>

#include "server/base/serverconfig.h"
#include "server/base/servermetrics.h"

namespace Switchboard::Server {

class AdminService;
class OnlineUsers;
class PushDispatcher;
class FileStore;
class FileUrlSigner;
class AuthService;
class FileService;
class SupportService;
class ChatService;
class ContactService;
class GroupService;
class PresenceService;
class ResumeService;
class RoomService;
class HttpFrontend;
class LoginThrottle;
class PasswordHasher;
class RequestRouter;
class RestApi;
class SessionRegistry;
class SqlStorage;
class TokenSigner;

// Composition root: builds storage, services and the frontend from a ServerConfig, and runs the
// orderly shutdown (stop accepting, close connections with 1001, finish in-flight writes).
class ServerApplication final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerApplication)

public:
    explicit ServerApplication(ServerConfig config, QObject *parent = nullptr);
    ~ServerApplication() override;

    // Opens storage, listens, prints "listening on HOST:PORT". False with *error on failure.
    bool start(QString *error);
    quint16 port() const { return m_port; }
    // Graceful stop; emits stopped() when done.
    void shutdown();

    // --create-user: returns a process exit code.
    static int createUser(const ServerConfig &config, const QString &username, const QString &role,
        const QString &password, QString *error);

Q_SIGNALS:
    void stopped();

private:
    bool openStorage(QString *error);

    ServerConfig m_config;
    ServerMetrics m_metrics;
    std::unique_ptr<OnlineUsers> m_online; // before m_storage: the storage thread reads it
    std::unique_ptr<SqlStorage> m_storage;
    std::unique_ptr<TokenSigner> m_tokens;
    std::unique_ptr<FileUrlSigner> m_signer;
    std::unique_ptr<FileStore> m_files;
    std::unique_ptr<PasswordHasher> m_hasher;
    std::unique_ptr<LoginThrottle> m_throttle;
    std::unique_ptr<SessionRegistry> m_registry;
    std::unique_ptr<ChatService> m_chat;
    std::unique_ptr<AuthService> m_auth;
    std::unique_ptr<FileService> m_fileService;
    std::unique_ptr<PresenceService> m_presence;
    std::unique_ptr<RoomService> m_rooms;
    std::unique_ptr<ResumeService> m_resume;
    std::unique_ptr<GroupService> m_groups;
    std::unique_ptr<ContactService> m_contacts;
    std::unique_ptr<SupportService> m_support;
    std::unique_ptr<AdminService> m_admin;
    std::unique_ptr<PushDispatcher> m_push;
    std::unique_ptr<RequestRouter> m_router;
    std::unique_ptr<RestApi> m_rest;
    std::unique_ptr<HttpFrontend> m_http;
    quint16 m_port = 0;
    qint64 m_nextConnectionId = 1;
    bool m_shuttingDown = false;
};

} // namespace Switchboard::Server
