#include "server/http/staticassets.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QFile>
#include <QHttpServerRequest>

#include "server/http/httpresponse.h"
#include "server/http/logging.h"
#include "server/http/resterror.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
const QString kIndexFile = u":/web/index.html"_s;
const QString kAppRoot = u":/web/app/"_s;

QByteArray etagOf(const QByteArray &body)
{
    return '"' + QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex().left(20) + '"';
}

// If-None-Match: a list of entity tags (weak ones compare equal too), or "*".
bool matches(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    for (QByteArray tag : ifNoneMatch.split(',')) {
        tag = tag.trimmed();
        if (tag.startsWith("W/"))
            tag = tag.mid(2);
        if (tag == "*" || tag == etag)
            return true;
    }
    return false;
}

// A Host header fit to be repeated in a header value: host name or [IPv6], optional port.
bool isPlainHost(const QByteArray &host)
{
    if (host.isEmpty() || host.size() > 255)
        return false;
    for (char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
            || c == '-' || c == ':' || c == '[' || c == ']';
        if (!ok)
            return false;
    }
    return true;
}
} // namespace

StaticAssets::StaticAssets()
{
    QCryptographicHash all(QCryptographicHash::Sha256);
    QDirIterator it(kAppRoot, QDir::Files, QDirIterator::Subdirectories);
    QStringList names;
    while (it.hasNext())
        names.append(it.next().mid(kAppRoot.size()));
    names.sort(); // a stable version hash, whatever order the resource tree lists them in
    for (const QString &name : names) {
        QFile file(kAppRoot + name);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        Asset asset {file.readAll(), contentTypeFor(name), {}};
        asset.etag = etagOf(asset.body);
        all.addData(name.toUtf8() + '\0' + asset.etag);
        m_assets.insert(name, asset);
    }
    m_version = all.result().toHex().left(12);

    QFile index(kIndexFile);
    if (index.open(QIODevice::ReadOnly)) {
        m_index.body = index.readAll().replace("%APP%", "/app/" + m_version);
        m_index.contentType = contentTypeFor(kIndexFile);
        m_index.etag = etagOf(m_index.body);
    } else {
        qCWarning(lcHttp) << "web client not bundled:" << kIndexFile << "missing";
    }
}

bool StaticAssets::handles(const QString &path)
{
    return path == u"/"_s || path == u"/index.html"_s || path.startsWith(u"/app/"_s);
}

QByteArray StaticAssets::contentTypeFor(const QString &name)
{
    const QString suffix = name.section(u'.', -1).toLower();
    if (suffix == u"html"_s)
        return "text/html; charset=utf-8";
    if (suffix == u"js"_s || suffix == u"mjs"_s)
        return "text/javascript; charset=utf-8";
    if (suffix == u"css"_s)
        return "text/css; charset=utf-8";
    if (suffix == u"svg"_s)
        return "image/svg+xml";
    if (suffix == u"png"_s)
        return "image/png";
    if (suffix == u"ico"_s)
        return "image/x-icon";
    if (suffix == u"json"_s)
        return "application/json";
    if (suffix == u"webmanifest"_s)
        return "application/manifest+json";
    if (suffix == u"woff2"_s)
        return "font/woff2";
    if (suffix == u"txt"_s)
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

QByteArray StaticAssets::securityPolicy(const QByteArray &host)
{
    QByteArray connect = "connect-src 'self'";
    if (isPlainHost(host))
        connect += " ws://" + host + " wss://" + host;
    return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " + connect
        + "; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

void StaticAssets::serve(const QHttpServerRequest &request, QTcpSocket *socket) const
{
    HttpResponse response(socket);
    const auto method = request.method();
    const bool head = method == QHttpServerRequest::Method::Head;
    if (method != QHttpServerRequest::Method::Get && !head) {
        response.send(405, RestError::body(ProtocolError::make(ErrorCode::BadRequest, u"Method not allowed"_s)),
            "application/json", {{"Allow", "GET, HEAD"}});
        return;
    }

    const QString path = request.url().path();
    const Asset *asset = nullptr;
    bool immutable = false;
    if (path == u"/"_s || path == u"/index.html"_s) {
        if (!m_index.body.isEmpty())
            asset = &m_index;
    } else {
        // /app/<version>/<name>: only the current version exists; a stale one is gone.
        const QString rest = path.mid(5);
        const qsizetype slash = rest.indexOf(u'/');
        if (slash > 0 && rest.left(slash).toLatin1() == m_version) {
            const auto it = m_assets.constFind(rest.mid(slash + 1));
            if (it != m_assets.constEnd()) {
                asset = &it.value();
                immutable = true;
            }
        }
    }
    if (!asset) {
        response.send(404, RestError::body(ProtocolError::make(ErrorCode::NotFound, u"Not found"_s)));
        return;
    }

    const QList<QPair<QByteArray, QByteArray>> headers {
        {"Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache"},
        {"ETag", asset->etag},
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Security-Policy", securityPolicy(request.value("host"))},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
    };
    const bool notModified = matches(request.value("if-none-match"), asset->etag);
    // HEAD and 304 announce the full length but carry no body.
    response.setOmitBody(head || notModified);
    response.send(notModified ? 304 : 200, asset->body, asset->contentType, headers);
}

} // namespace Switchboard::Server
