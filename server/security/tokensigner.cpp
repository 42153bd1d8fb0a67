#include "server/security/tokensigner.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <sodium.h>

#include "server/security/hmacsha256.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr auto kB64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray b64(const QByteArray &data)
{
    return data.toBase64(kB64);
}

bool unb64(const QByteArray &text, QByteArray *out)
{
    auto r = QByteArray::fromBase64Encoding(text, kB64 | QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        return false;
    *out = *r;
    return true;
}
} // namespace

TokenSigner::TokenSigner(QByteArray secret, qint64 ttlSeconds) : m_secret(std::move(secret)), m_ttl(ttlSeconds)
{ }

QByteArray TokenSigner::sign(const QByteArray &input) const
{
    return HmacSha256::mac(m_secret, input);
}

TokenSigner::Issued TokenSigner::issue(const UserInfo &user, qint64 tokenVersion) const
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const qint64 exp = now + m_ttl;
    static const QByteArray header = b64(R"({"alg":"HS256","typ":"JWT"})");
    QJsonObject claims {
        {u"sub"_s, QString::number(user.id)}, {u"role"_s, user.role}, {u"iat"_s, double(now)}, {u"exp"_s, double(exp)}};
    if (tokenVersion != 0)
        claims.insert(u"ver"_s, double(tokenVersion));
    const QByteArray input = header + '.' + b64(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    return Issued {QString::fromLatin1(input + '.' + b64(sign(input))), exp * 1000};
}

std::optional<TokenSigner::Claims> TokenSigner::verify(const QString &token) const
{
    if (token.size() > 4096)
        return std::nullopt;
    const QByteArray raw = token.toLatin1();
    const qsizetype dot1 = raw.indexOf('.');
    const qsizetype dot2 = dot1 < 0 ? -1 : raw.indexOf('.', dot1 + 1);
    if (dot1 <= 0 || dot2 <= dot1 + 1 || raw.indexOf('.', dot2 + 1) >= 0)
        return std::nullopt;
    const QByteArray input = raw.left(dot2);
    QByteArray headerJson, payloadJson, signature;
    if (!unb64(raw.left(dot1), &headerJson) || !unb64(raw.mid(dot1 + 1, dot2 - dot1 - 1), &payloadJson)
        || !unb64(raw.mid(dot2 + 1), &signature))
        return std::nullopt;
    const QJsonObject header = QJsonDocument::fromJson(headerJson).object();
    if (header.value(u"alg"_s).toString() != u"HS256"_s)
        return std::nullopt;
    if (!HmacSha256::equal(signature, sign(input)))
        return std::nullopt;
    const QJsonObject payload = QJsonDocument::fromJson(payloadJson).object();
    const QString sub = payload.value(u"sub"_s).toString();
    bool ok = false;
    const qint64 userId = sub.toLongLong(&ok);
    if (!ok || userId <= 0 || !payload.value(u"exp"_s).isDouble())
        return std::nullopt;
    const qint64 exp = qint64(payload.value(u"exp"_s).toDouble());
    if (exp <= QDateTime::currentSecsSinceEpoch())
        return std::nullopt;
    const QJsonValue ver = payload.value(u"ver"_s);
    if (!ver.isUndefined() && (!ver.isDouble() || ver.toDouble() < 0))
        return std::nullopt;
    return Claims {userId, payload.value(u"role"_s).toString(), exp, qint64(ver.toDouble())};
}

QString TokenSigner::randomToken(int bytes)
{
    QByteArray buf(bytes, Qt::Uninitialized);
    randombytes_buf(buf.data(), size_t(buf.size()));
    return QString::fromLatin1(b64(buf));
}

} // namespace Switchboard::Server
