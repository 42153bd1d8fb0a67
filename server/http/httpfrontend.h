#pragma once

#include <QAbstractHttpServer>
#include <QHash>
#include <QHostAddress>
#include <QPointer>
#include <QSslConfiguration>
#include <QTcpSocket>
#include <functional>
#include <memory>

class QWebSocket;

namespace Switchboard::Server {

class RestApi;

// The one TCP port: HTTP requests go to RestApi, WebSocket upgrades of /ws become QWebSockets that
// are handed to the connection callback. Everything that touches QtHttpServer (a Technical Preview
// whose API changed by 6.8) stays in server/http.
class HttpFrontend final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpFrontend)

public:
    // The QTcpSocket under the WebSocket is handed over too: QWebSocket neither owns nor deletes
    // it (it stays a child of the QTcpServer), and its readyRead is the only way to see incoming
    // WebSocket ping frames, which count as activity.
    using WebSocketHandler = std::function<void(std::unique_ptr<QWebSocket>, QTcpSocket *transport)>;

    HttpFrontend(RestApi &api, WebSocketHandler onWebSocket, QObject *parent = nullptr);

    // Loads the certificate and key; every connection is TLS from then on.
    bool setupTls(const QString &certFile, const QString &keyFile, QString *error);
    // Returns the bound port, 0 on failure. No request may be larger than maxRequestBytes.
    quint16 start(const QHostAddress &address, quint16 port, qint64 maxRequestBytes, QString *error);
    void stopListening();

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    static quint64 peerKey(const QHostAddress &address, quint16 port);
    void dropStaleUpgrades();

    RestApi &m_api;
    WebSocketHandler m_onWebSocket;
    QSslConfiguration m_tls;
    bool m_tlsEnabled = false;
    // Sockets between the upgrade request and the finished handshake, by peer address and port.
    QHash<quint64, QPointer<QTcpSocket>> m_upgrading;
};

} // namespace Switchboard::Server
