#include "server/sessions/lingeringclose.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTcpSocket>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace Switchboard::Server {

void LingeringClose::start(QTcpSocket *transport)
{
    if (!transport || s_active >= kMaxLingering)
        return;
    const qintptr socket = transport->socketDescriptor();
    if (socket < 0)
        return;
    const int descriptor = ::dup(int(socket));
    if (descriptor < 0)
        return;
    auto *linger = new LingeringClose(descriptor, QCoreApplication::instance());
    // Qt closes its descriptor when the close frame is written (at once, or after what was
    // still queued): disconnected. Or the socket object goes away first: destroyed.
    connect(transport, &QAbstractSocket::disconnected, linger, &LingeringClose::transportClosed);
    connect(transport, &QObject::destroyed, linger, &LingeringClose::transportClosed);
}

LingeringClose::LingeringClose(int descriptor, QObject *parent) : QObject(parent), m_descriptor(descriptor)
{
    ++s_active;
    m_deadline.setSingleShot(true);
    m_deadline.setInterval(kMaxLingerMs);
    connect(&m_deadline, &QTimer::timeout, this, &LingeringClose::finish);
    m_deadline.start(); // also bounds the wait for Qt to let go of the socket
}

LingeringClose::~LingeringClose()
{
    delete m_notifier; // unregistered before the descriptor is closed
    if (m_descriptor >= 0)
        ::close(m_descriptor);
    --s_active;
}

void LingeringClose::transportClosed()
{
    if (m_started || m_descriptor < 0)
        return;
    m_started = true;
    // Everything Qt wrote, the close frame last, is in the kernel's queue: FIN after it.
    ::shutdown(m_descriptor, SHUT_WR);
    m_notifier = new QSocketNotifier(m_descriptor, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &LingeringClose::drain);
    drain();
}

void LingeringClose::drain()
{
    if (m_descriptor < 0)
        return;
    char scratch[16384];
    for (int i = 0; i < 4; ++i) {
        const ssize_t n = ::recv(m_descriptor, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n > 0) {
            m_drained += n;
            if (m_drained > kMaxDrainBytes)
                return finish();
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return; // wait for more (or the deadline)
        return finish(); // the client closed (0) or the connection failed
    }
}

void LingeringClose::finish()
{
    if (m_descriptor < 0)
        return;
    delete m_notifier;
    m_notifier = nullptr;
    ::close(m_descriptor);
    m_descriptor = -1;
    m_deadline.stop();
    deleteLater();
}

} // namespace Switchboard::Server
