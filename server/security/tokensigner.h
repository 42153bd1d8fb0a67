#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

// Issues and verifies JWTs (RFC 7519, HS256 via libsodium's HMAC-SHA-256): claims `sub` (user id
// as a string), `role`, `iat`, `exp` in seconds. Verification is constant-time on the signature and
// refuses any other algorithm, "none" included.
class TokenSigner
{
public:
    struct Issued
    {
        QString token;
        qint64 expiresAtMs = 0;
    };
    struct Claims
    {
        qint64 userId = 0;
        QString role;
        qint64 expiresAt = 0; // seconds
        qint64 version = 0; // the account's token version when issued (claim `ver`; absent = 0)
    };

    TokenSigner(QByteArray secret, qint64 ttlSeconds);

    Issued issue(const UserInfo &user, qint64 tokenVersion = 0) const;
    std::optional<Claims> verify(const QString &token) const;

    // 32 random bytes, base64url: for a new secret, session ids and resume tokens.
    static QString randomToken(int bytes = 32);

private:
    QByteArray sign(const QByteArray &signingInput) const;

    QByteArray m_secret;
    qint64 m_ttl;
};

} // namespace Switchboard::Server
