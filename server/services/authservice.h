#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <functional>

#include "server/security/tokensigner.h"
#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class LoginThrottle;
class PasswordHasher;
class UserStore;
class MessageStore;
struct ServerConfig;

// Accounts and tokens (PROTOCOL.md section 3): registration, login with throttling, guests, and
// turning a bearer token into a user. Password hashing runs on PasswordHasher's pool.
class AuthService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuthService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    AuthService(UserStore &users, MessageStore &messages, PasswordHasher &hasher, TokenSigner &tokens,
        LoginThrottle &throttle, const ServerConfig &config, QObject *parent = nullptr);

    void registerUser(const QJsonObject &fields, Reply done);
    void login(const QJsonObject &fields, const QString &remoteAddress, Reply done);
    void guest(const QJsonObject &fields, Reply done);
    // The one authentication path, for HTTP and WebSocket alike: verifies the JWT and that its
    // user still exists with that role (auth_failed otherwise).
    void authenticate(const QString &token, std::function<void(Result<UserInfo>)> done);
    // authenticate() for a new WebSocket session: the user and the first page of offline
    // messages (at most `pendingLimit`) in one storage request.
    void openSession(const QString &token, int pendingLimit, std::function<void(Result<SessionOpening>)> done);
    // A resumed session (the resume token was checked by ResumeService): the same, by user id.
    // Refused when the account's token version moved on since the session was opened.
    void reopenSession(
        qint64 userId, qint64 tokenVersion, int pendingLimit, std::function<void(Result<SessionOpening>)> done);
    // Voids every token issued to the user so far (kick); returns the new token version.
    void revokeTokens(qint64 userId, std::function<void(Result<qint64>)> done);

    static Result<QString> validDisplayName(const QJsonObject &fields, const QString &fallback);

private:
    QJsonObject tokenReply(const UserInfo &user, qint64 tokenVersion) const;
    std::optional<TokenSigner::Claims> verifiedClaims(const QString &token, ProtocolError *error) const;
    // The stored account against the token: auth_failed when gone, changed or revoked.
    static Result<UserInfo> matchToken(const Result<Account> &stored, const TokenSigner::Claims &claims);

    UserStore &m_users;
    MessageStore &m_messages;
    PasswordHasher &m_hasher;
    TokenSigner &m_tokens;
    LoginThrottle &m_throttle;
    const ServerConfig &m_config;
};

} // namespace Switchboard::Server
