#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

class QHttpServerRequest;
class QTcpSocket;

namespace Switchboard::Server {

// The bundled web client (resources/web, embedded with qt_add_resources under :/web): `GET /` is
// index.html, `GET /app/<version>/<file>` the other assets. Everything is read from the resource
// file system once, at construction. <version> is a hash over all assets, so asset URLs change
// whenever any asset does and can be cached forever ("immutable"); index.html itself is
// revalidated on every load (ETag + If-None-Match → 304). It names its assets with the
// placeholder `%APP%`, replaced here by `/app/<version>`; ES module imports are relative, so they
// inherit the versioned prefix.
//
// Responses carry nosniff, a Content-Security-Policy that allows only this origin (plus WebSocket
// connections to this host, and blob:/data: images for upload previews), no referrer (signed file
// URLs must not leak) and no framing. Only GET and HEAD; anything unknown is the usual JSON 404.
class StaticAssets
{
public:
    StaticAssets();

    // True for the paths this class answers (`/`, `/index.html`, `/app/...`).
    static bool handles(const QString &path);
    void serve(const QHttpServerRequest &request, QTcpSocket *socket) const;

    QByteArray version() const { return m_version; }

private:
    struct Asset
    {
        QByteArray body;
        QByteArray contentType;
        QByteArray etag;
    };
    static QByteArray contentTypeFor(const QString &name);
    static QByteArray securityPolicy(const QByteArray &host);

    QHash<QString, Asset> m_assets; // "index.html", "app.js", "img/x.svg" (relative to :/web/app)
    Asset m_index;
    QByteArray m_version;
};

} // namespace Switchboard::Server
