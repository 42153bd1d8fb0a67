#include "server/services/authservice.h"

#include <QDateTime>
#include <QTimer>

#include "server/base/serverconfig.h"
#include "server/security/loginthrottle.h"
#include "server/security/passwordhasher.h"
#include "server/security/tokensigner.h"
#include "server/storage/messagestore.h"
#include "server/storage/userstore.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr int kMaxDisplayNameChars = 64;
constexpr int kMaxPasswordBytes = 1024;

ProtocolError busy()
{
    return ProtocolError::make(ErrorCode::Unavailable, u"Server busy, retry shortly"_s);
}

ProtocolError invalidCredentials()
{
    return ProtocolError::make(ErrorCode::AuthFailed, u"Invalid username or password"_s);
}
} // namespace

AuthService::AuthService(UserStore &users, MessageStore &messages, PasswordHasher &hasher, TokenSigner &tokens,
    LoginThrottle &throttle, const ServerConfig &config, QObject *parent)
    : QObject(parent),
      m_users(users),
      m_messages(messages),
      m_hasher(hasher),
      m_tokens(tokens),
      m_throttle(throttle),
      m_config(config)
{ }

Result<QString> AuthService::validDisplayName(const QJsonObject &fields, const QString &fallback)
{
    auto name = RequestFields(fields).optionalString(u"display_name"_s);
    if (!name)
        return name.error();
    const QString value = name.value().value_or(fallback).trimmed();
    if (value.isEmpty() || TextRules::hasControlCharacters(value) || TextRules::hasInvisibleFormatting(value)
        || TextRules::codePointCount(value) > kMaxDisplayNameChars)
        return ProtocolError::make(ErrorCode::ValidationFailed,
            u"display_name must be 1-64 characters without control, bidi or zero-width characters"_s);
    return value;
}

QJsonObject AuthService::tokenReply(const UserInfo &user, qint64 tokenVersion) const
{
    const TokenSigner::Issued issued = m_tokens.issue(user, tokenVersion);
    return QJsonObject {{u"token"_s, issued.token}, {u"expires_at"_s, double(issued.expiresAtMs)},
        {u"user"_s, JsonCodec::encode(user)}};
}

void AuthService::registerUser(const QJsonObject &fields, Reply done)
{
    const RequestFields f(fields);
    auto username = f.requiredString(u"username"_s);
    if (!username)
        return done(username.error());
    auto password = f.requiredString(u"password"_s);
    if (!password)
        return done(password.error());
    auto displayName = validDisplayName(fields, username.value());
    if (!displayName)
        return done(displayName.error());
    if (!m_config.allowRegistration)
        return done(ProtocolError::make(ErrorCode::Forbidden, u"Registration is turned off on this server"_s));
    if (!TextRules::isValidUsername(username.value()))
        return done(ProtocolError::make(
            ErrorCode::ValidationFailed, u"Username must be 3-32 characters of a-z, 0-9, '_', '.', '-'"_s));
    if (!TextRules::isValidPassword(password.value()) || password.value().size() > kMaxPasswordBytes)
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"Password must be at least 8 characters"_s));

    NewUser user {username.value(), displayName.value(), u"user"_s, {}};
    const bool admitted = m_hasher.hash(password.value(), [this, user, done](QString hash) mutable {
        if (hash.isEmpty())
            return done(busy());
        user.passwordHash = hash;
        m_users.createUser(user, [done](Result<UserInfo> r) {
            if (!r)
                return done(r.error());
            done(QJsonObject {{u"user"_s, JsonCodec::encode(r.value())}});
        });
    });
    if (!admitted)
        done(busy());
}

void AuthService::login(const QJsonObject &fields, const QString &address, Reply done)
{
    const RequestFields f(fields);
    auto username = f.requiredString(u"username"_s);
    if (!username)
        return done(username.error());
    auto password = f.requiredString(u"password"_s);
    if (!password)
        return done(password.error());
    const QString name = username.value();
    const QString secret = password.value();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (const qint64 wait = m_throttle.retryAfter(name, address, now); wait > 0) {
        ProtocolError e = ProtocolError::make(ErrorCode::RateLimited, u"Too many failed logins; retry later"_s);
        e.retryAfterMs = wait;
        return done(e);
    }
    if (secret.size() > kMaxPasswordBytes || name.size() > 64) {
        m_throttle.recordFailure(name, address, now);
        return done(invalidCredentials());
    }
    m_users.findCredentials(name, [this, name, secret, address, done](Result<std::optional<StoredUser>> r) {
        if (!r)
            return done(r.error());
        auto fail = [this, name, address, done] {
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            m_throttle.recordFailure(name, address, now);
            // Slowed down before refused: each recent failure adds 100 ms (at most 1 s) to the
            // answer. A timer, not a sleep: the event loop keeps serving everyone else.
            const int delayMs = std::min(m_throttle.recentFailures(name, now), 10) * 100;
            QTimer::singleShot(delayMs, this, [done] { done(invalidCredentials()); });
        };
        if (!r.value() || r.value()->passwordHash.isEmpty()) {
            // Spend the same effort as a real check so unknown names cannot be told apart by time.
            if (!m_hasher.hash(secret, [fail](QString) { fail(); }))
                done(busy());
            return;
        }
        const StoredUser stored = *r.value();
        const bool admitted = m_hasher.verify(secret, stored.passwordHash, [this, stored, fail, done](bool ok) {
            if (!ok)
                return fail();
            done(tokenReply(stored.info, stored.tokenVersion));
        });
        if (!admitted)
            done(busy());
    });
}

void AuthService::guest(const QJsonObject &fields, Reply done)
{
    auto displayName = validDisplayName(fields, u"Guest"_s);
    if (!displayName)
        return done(displayName.error());
    const QString username = u"guest-"_s + TokenSigner::randomToken(9).toLower().replace(u'_', u'0');
    NewUser user {username.left(32), displayName.value(), u"guest"_s, {}};
    m_users.createUser(user, [this, done](Result<UserInfo> r) {
        if (!r)
            return done(r.error());
        done(tokenReply(r.value(), 0)); // a new account: version 0
    });
}

Result<UserInfo> AuthService::matchToken(const Result<Account> &stored, const TokenSigner::Claims &claims)
{
    if (!stored) {
        if (stored.error().code == ErrorCode::NotFound)
            return ProtocolError::make(ErrorCode::AuthFailed, u"Invalid or expired token"_s);
        return stored.error();
    }
    if (stored->user.role != claims.role)
        return ProtocolError::make(ErrorCode::AuthFailed, u"Token no longer matches the account"_s);
    // A kick (or any revocation) bumped the version: every token issued before is void.
    if (stored->tokenVersion != claims.version)
        return ProtocolError::make(ErrorCode::AuthFailed, u"Token revoked"_s);
    return stored->user;
}

std::optional<TokenSigner::Claims> AuthService::verifiedClaims(const QString &token, ProtocolError *error) const
{
    auto claims = m_tokens.verify(token);
    if (!claims)
        *error = ProtocolError::make(ErrorCode::AuthFailed, u"Invalid or expired token"_s);
    return claims;
}

void AuthService::authenticate(const QString &token, std::function<void(Result<UserInfo>)> done)
{
    ProtocolError error;
    const auto claims = verifiedClaims(token, &error);
    if (!claims)
        return done(error);
    m_users.account(claims->userId, [claims = *claims, done](Result<Account> r) { done(matchToken(r, claims)); });
}

void AuthService::openSession(const QString &token, int pendingLimit, std::function<void(Result<SessionOpening>)> done)
{
    ProtocolError error;
    const auto claims = verifiedClaims(token, &error);
    if (!claims)
        return done(error);
    m_messages.openSession(claims->userId, pendingLimit, [claims = *claims, done](Result<SessionOpening> r) {
        const auto user
            = matchToken(r ? Result<Account>(Account {r->user, r->tokenVersion}) : Result<Account>(r.error()), claims);
        if (!user)
            return done(user.error());
        done(r.value());
    });
}

void AuthService::reopenSession(
    qint64 userId, qint64 tokenVersion, int pendingLimit, std::function<void(Result<SessionOpening>)> done)
{
    m_messages.openSession(userId, pendingLimit, [tokenVersion, done](Result<SessionOpening> r) {
        if (!r && r.error().code == ErrorCode::NotFound)
            return done(ProtocolError::make(ErrorCode::AuthFailed, u"The account no longer exists"_s));
        // Revoked (kicked) since the session was opened: its resume ends with its tokens.
        if (r && r->tokenVersion != tokenVersion)
            return done(ProtocolError::make(ErrorCode::AuthFailed, u"Session revoked"_s));
        done(r);
    });
}

void AuthService::revokeTokens(qint64 userId, std::function<void(Result<qint64>)> done)
{
    m_users.bumpTokenVersion(userId, std::move(done));
}

} // namespace Switchboard::Server
