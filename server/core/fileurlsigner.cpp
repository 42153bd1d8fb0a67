#include "server/core/fileurlsigner.h"

#include <QDateTime>
#include <sodium.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

FileUrlSigner::FileUrlSigner(QByteArray key, int ttlSeconds) : m_key(std::move(key)), m_ttl(ttlSeconds)
{
    m_key += "|file-urls"; // never the same MAC key as the tokens
}

QByteArray FileUrlSigner::signature(qint64 fileId, qint64 exp) const
{
    const QByteArray input = QByteArray::number(fileId) + ':' + QByteArray::number(exp);
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char *>(m_key.constData()), size_t(m_key.size()));
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char *>(input.constData()), quint64(input.size()));
    QByteArray mac(crypto_auth_hmacsha256_BYTES, Qt::Uninitialized);
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char *>(mac.data()));
    return mac.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QString FileUrlSigner::url(qint64 fileId) const
{
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + m_ttl;
    return u"/api/v1/files/%1?exp=%2&sig=%3"_s.arg(fileId).arg(exp).arg(QString::fromLatin1(signature(fileId, exp)));
}

bool FileUrlSigner::verify(qint64 fileId, const QString &expText, const QString &sig) const
{
    bool ok = false;
    const qint64 exp = expText.toLongLong(&ok);
    if (!ok || exp < QDateTime::currentSecsSinceEpoch())
        return false;
    const QByteArray expected = signature(fileId, exp);
    const QByteArray given = sig.toLatin1();
    return given.size() == expected.size()
        && sodium_memcmp(given.constData(), expected.constData(), size_t(expected.size())) == 0;
}

} // namespace Switchboard::Server
