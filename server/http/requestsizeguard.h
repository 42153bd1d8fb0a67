#pragma once

#include <QSslServer>
#include <QTcpServer>

class QTcpSocket;

namespace Switchboard::Server {

// QtHttpServer 6.4 buffers a whole request body in memory before the server sees the request, with
// no limit. These listening servers hand out sockets with a guard that counts the bytes received
// since the last response and answers 413 (then closes) as soon as a request grows past the
// limit, so an oversized upload costs at most `limit` bytes of memory instead of its full size.
// The guard sits before QtHttpServer's own reader and is removed with it on a WebSocket upgrade.
namespace RequestSizeGuard {
void install(QTcpSocket *socket, qint64 limit);
// Called when a response was written: the next request starts counting from zero.
void reset(QTcpSocket *socket);
} // namespace RequestSizeGuard

class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
public:
    GuardedTcpServer(qint64 limit, QObject *parent = nullptr) : QTcpServer(parent), m_limit(limit) { }
    QTcpSocket *nextPendingConnection() override;

private:
    qint64 m_limit;
};

class GuardedSslServer final : public QSslServer
{
    Q_OBJECT
public:
    GuardedSslServer(qint64 limit, QObject *parent = nullptr) : QSslServer(parent), m_limit(limit) { }
    QTcpSocket *nextPendingConnection() override;

private:
    qint64 m_limit;
};

} // namespace Switchboard::Server
