#pragma once

#include <QByteArray>
#include <QString>

namespace Switchboard::Server {

// Expiring download URLs for uploaded files: /api/v1/files/ID?exp=SECONDS&sig=HMAC(ID:exp), so
// that <img src> works without an Authorization header while the URL itself is the permission.
class FileUrlSigner
{
public:
    FileUrlSigner(QByteArray key, int ttlSeconds);

    QString url(qint64 fileId) const;
    // exp and sig as they came in the query string.
    bool verify(qint64 fileId, const QString &exp, const QString &sig) const;

private:
    QByteArray signature(qint64 fileId, qint64 exp) const;

    QByteArray m_key;
    int m_ttl;
};

} // namespace Switchboard::Server
