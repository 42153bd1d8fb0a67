#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <functional>

#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class LoginThrottle;
class PasswordHasher;
class Storage;
class TokenService;
struct ServerConfig;

// Accounts and tokens (PROTOCOL.md section 3): registration, login with throttling, guests, and
// turning a bearer token into a user. Password hashing runs on PasswordHasher's pool.
class AuthService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuthService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    AuthService(Storage &storage, PasswordHasher &hasher, TokenService &tokens, LoginThrottle &throttle,
                const ServerConfig &config, QObject *parent = nullptr);

    void registerUser(const QJsonObject &fields, Reply done);
    void login(const QJsonObject &fields, const QString &remoteAddress, Reply done);
    void guest(const QJsonObject &fields, Reply done);
    // Verifies the JWT and that its user still exists with that role.
    void authenticate(const QString &token, std::function<void(Result<UserInfo>)> done);

    static Result<QString> validDisplayName(const QJsonObject &fields, const QString &fallback);

private:
    QJsonObject tokenReply(const UserInfo &user) const;

    Storage &m_storage;
    PasswordHasher &m_hasher;
    TokenService &m_tokens;
    LoginThrottle &m_throttle;
    const ServerConfig &m_config;
};

} // namespace Switchboard::Server
