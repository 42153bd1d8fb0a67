#pragma once

#include <QByteArray>
#include <QPointer>
#include <QTcpSocket>

namespace Switchboard::Server {

// Writes one HTTP/1.1 response to a connection, possibly long after the request was parsed (after
// a storage commit). QHttpServerResponder cannot outlive its request, so answers that wait on
// storage go through this instead. If the client went away meanwhile, the answer is dropped.
class HttpResponse
{
public:
    explicit HttpResponse(QTcpSocket *socket) : m_socket(socket) {}

    void send(int status, const QByteArray &body, const QByteArray &contentType = "application/json",
              const QList<QPair<QByteArray, QByteArray>> &headers = {});
    bool isSent() const { return m_sent; }

    static QByteArray reasonPhrase(int status);

private:
    QPointer<QTcpSocket> m_socket;
    bool m_sent = false;
};

} // namespace Switchboard::Server
