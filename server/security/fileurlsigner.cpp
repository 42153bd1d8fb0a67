#include "server/security/fileurlsigner.h"

#include "server/security/hmacsha256.h"
#include <QDateTime>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

FileUrlSigner::FileUrlSigner(QByteArray key, int ttlSeconds) : m_key(std::move(key)), m_ttl(ttlSeconds)
{
    m_key += "|file-urls"; // never the same MAC key as the tokens
}

QByteArray FileUrlSigner::signature(qint64 fileId, qint64 exp) const
{
    const QByteArray input = QByteArray::number(fileId) + ':' + QByteArray::number(exp);
    const QByteArray mac = HmacSha256::mac(m_key, input);
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
    return HmacSha256::equal(sig.toLatin1(), signature(fileId, exp));
}

} // namespace Switchboard::Server
