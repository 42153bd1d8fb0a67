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
    explicit HttpResponse(QTcpSocket *socket) : m_socket(socket) { }

    void send(int status, const QByteArray &body, const QByteArray &contentType = "application/json",
        const QList<QPair<QByteArray, QByteArray>> &headers = {});
    bool isSent() const { return m_sent; }
    // HEAD and 304: the headers (Content-Length of the full body) without the body.
    void setOmitBody(bool omit) { m_omitBody = omit; }

    static QByteArray reasonPhrase(int status);

private:
    QPointer<QTcpSocket> m_socket;
    bool m_sent = false;
    bool m_omitBody = false;
};

} // namespace Switchboard::Server
