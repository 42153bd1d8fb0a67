#pragma once

#include <QAbstractHttpServer>
#include <QHostAddress>
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
    using WebSocketHandler = std::function<void(std::unique_ptr<QWebSocket>)>;

    HttpFrontend(RestApi &api, WebSocketHandler onWebSocket, QObject *parent = nullptr);

    // Loads the certificate and key; every connection is TLS from then on.
    bool setupTls(const QString &certFile, const QString &keyFile, QString *error);
    // Returns the bound port, 0 on failure.
    quint16 start(const QHostAddress &address, quint16 port, QString *error);
    void stopListening();

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    RestApi &m_api;
    WebSocketHandler m_onWebSocket;
};

} // namespace Switchboard::Server
