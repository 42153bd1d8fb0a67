#include "server/http/httpfrontend.h"

#include <QFile>
#include <QHttpServerRequest>
#include <QSslCertificate>
#include <QSslKey>
#include <QTcpServer>
#include <QWebSocket>

#include "server/http/httpresponse.h"
#include "server/http/logging.h"
#include "server/http/requestsizeguard.h"
#include "server/http/restapi.h"
#include "server/http/resterror.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr int kListenBacklog = 4096;
}

HttpFrontend::HttpFrontend(RestApi &api, WebSocketHandler onWebSocket, QObject *parent)
    : QAbstractHttpServer(parent), m_api(api), m_onWebSocket(std::move(onWebSocket))
{
    connect(this, &QAbstractHttpServer::newWebSocketConnection, this, [this] {
        while (hasPendingWebSocketConnections()) {
            auto socket = nextPendingWebSocketConnection();
            if (!socket)
                continue;
            QPointer<QTcpSocket> transport = m_upgrading.take(peerKey(socket->peerAddress(), socket->peerPort()));
            m_onWebSocket(std::move(socket), transport.data());
        }
    });
}

bool HttpFrontend::setupTls(const QString &certFile, const QString &keyFile, QString *error)
{
    QFile cert(certFile), key(keyFile);
    if (!cert.open(QIODevice::ReadOnly) || !key.open(QIODevice::ReadOnly)) {
        *error = u"cannot read TLS certificate or key (%1, %2)"_s.arg(certFile, keyFile);
        return false;
    }
    // The file may hold the whole chain (leaf first, then intermediates): serve all of it, or
    // clients that do not have the intermediates cannot verify the leaf.
    const QList<QSslCertificate> chain = QSslCertificate::fromDevice(&cert, QSsl::Pem);
    const QSslCertificate certificate = chain.isEmpty() ? QSslCertificate() : chain.first();
    QSslKey privateKey(&key, QSsl::Rsa, QSsl::Pem);
    if (privateKey.isNull()) {
        key.seek(0);
        privateKey = QSslKey(&key, QSsl::Ec, QSsl::Pem);
    }
    if (certificate.isNull() || privateKey.isNull()) {
        *error = u"invalid TLS certificate or key (PEM expected)"_s;
        return false;
    }
    m_tls = QSslConfiguration::defaultConfiguration();
    m_tls.setLocalCertificateChain(chain);
    m_tls.setPrivateKey(privateKey);
    m_tls.setProtocol(QSsl::SecureProtocols);
    m_tlsEnabled = true;
    return true;
}

quint16 HttpFrontend::start(const QHostAddress &address, quint16 port, qint64 maxRequestBytes, QString *error)
{
    QTcpServer *server = nullptr;
    if (m_tlsEnabled) {
        auto *ssl = new GuardedSslServer(maxRequestBytes, this);
        ssl->setSslConfiguration(m_tls);
        server = ssl;
    } else {
        server = new GuardedTcpServer(maxRequestBytes, this);
    }
    // Qt's default backlog is 50: a burst of connects (hundreds of clients at once, a reconnect
    // storm) overflows it and those clients wait for SYN retransmits (1 s, 3 s, ...). The kernel
    // caps this at net.core.somaxconn.
    server->setListenBacklogSize(kListenBacklog);
    if (!server->listen(address, port)) {
        *error = u"cannot listen on %1:%2: %3"_s.arg(address.toString()).arg(port).arg(server->errorString());
        delete server;
        return 0;
    }
    bind(server);
    return server->serverPort();
}

void HttpFrontend::stopListening()
{
    for (QTcpServer *server : servers())
        server->close();
}

bool HttpFrontend::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const QString path = request.url().path();
    if (request.value("upgrade").compare("websocket", Qt::CaseInsensitive) == 0) {
        if (path != u"/ws"_s)
            return false;
        // true: QAbstractHttpServer hands the socket to its WebSocket server
        if (m_upgrading.size() > 1024)
            dropStaleUpgrades();
        m_upgrading.insert(peerKey(socket->peerAddress(), socket->peerPort()), socket);
        return true;
    }
    HttpResponse response(socket);
    if (path == u"/ws"_s) {
        response.send(426, RestError::body(ProtocolError::make(ErrorCode::BadRequest, u"WebSocket upgrade required"_s)),
            "application/json", {{"Upgrade", "websocket"}});
        return true;
    }
    m_api.handle(request, socket);
    return true;
}

quint64 HttpFrontend::peerKey(const QHostAddress &address, quint16 port)
{
    return (quint64(qHash(address)) << 16) ^ port;
}

void HttpFrontend::dropStaleUpgrades()
{
    for (auto it = m_upgrading.begin(); it != m_upgrading.end();) {
        if (!*it || (*it)->state() != QAbstractSocket::ConnectedState) {
            if (*it)
                (*it)->deleteLater(); // a failed handshake: nobody else deletes it
            it = m_upgrading.erase(it);
        } else {
            ++it;
        }
    }
}

void HttpFrontend::missingHandler(const QHttpServerRequest &, QTcpSocket *socket)
{
    HttpResponse(socket).send(404, RestError::body(ProtocolError::make(ErrorCode::NotFound, u"Not found"_s)));
}

} // namespace Switchboard::Server
