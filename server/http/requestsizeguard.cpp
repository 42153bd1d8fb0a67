#include "server/http/requestsizeguard.h"

#include <QTcpSocket>

#include "server/http/httpresponse.h"
#include "server/http/logging.h"
#include "server/http/resterror.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr char kReceived[] = "sb_request_bytes";
}

void RequestSizeGuard::install(QTcpSocket *socket, qint64 limit)
{
    socket->setProperty(kReceived, qint64(0));
    // Connected before QAbstractHttpServer's reader, so this sees each chunk as it arrives (the
    // reader has consumed everything before, so bytesAvailable() is just the new data).
    QObject::connect(socket, &QIODevice::readyRead, socket, [socket, limit] {
        const qint64 received = socket->property(kReceived).toLongLong() + socket->bytesAvailable();
        socket->setProperty(kReceived, received);
        if (received <= limit)
            return;
        qCInfo(lcHttp) << "request from" << socket->peerAddress().toString() << "exceeds" << limit << "bytes; refusing";
        socket->disconnect(); // nothing more for QtHttpServer to parse
        HttpResponse(socket).send(413,
            RestError::body(ProtocolError::make(ErrorCode::TooLarge, u"Request too large"_s)), "application/json",
            {{"Connection", "close"}});
        socket->disconnectFromHost();
        QObject::connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    });
}

void RequestSizeGuard::reset(QTcpSocket *socket)
{
    if (socket)
        socket->setProperty(kReceived, qint64(0));
}

QTcpSocket *GuardedTcpServer::nextPendingConnection()
{
    QTcpSocket *socket = QTcpServer::nextPendingConnection();
    if (socket)
        RequestSizeGuard::install(socket, m_limit);
    return socket;
}

QTcpSocket *GuardedSslServer::nextPendingConnection()
{
    QTcpSocket *socket = QSslServer::nextPendingConnection();
    if (socket)
        RequestSizeGuard::install(socket, m_limit);
    return socket;
}

} // namespace Switchboard::Server
