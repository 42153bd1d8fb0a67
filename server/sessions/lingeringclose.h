#pragma once

#include <QObject>
#include <QTimer>

class QSocketNotifier;
class QTcpSocket;

namespace Switchboard::Server {

// A "lingering close" (as web servers do it) for connections the server closes itself.
//
// QWebSocket::close() writes the close frame and closes the descriptor at once. If the client
// is still writing (a connection closed for flooding, say), its bytes then arrive at a closed
// socket and the kernel answers with RST - and a client that hits the reset before reading our
// close frame sees 1006 instead of the code we sent. So before QWebSocket closes, the socket is
// duplicated: Qt's close then drops only its own descriptor, and this object sends FIN once Qt is
// done (shutdown(SHUT_WR)) and reads and discards whatever the client still sends until it closes
// too, for at most kMaxLingerMs and kMaxDrainBytes. At most kMaxLingering connections linger at a
// time; beyond that, connections are closed the plain way.
class LingeringClose final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LingeringClose)

public:
    static constexpr int kMaxLingerMs = 2000;
    static constexpr qint64 kMaxDrainBytes = 1024 * 1024;
    static constexpr int kMaxLingering = 1024;

    // Call right before closing the WebSocket that runs over `transport`.
    static void start(QTcpSocket *transport);
    static int lingering() { return s_active; }

private:
    LingeringClose(int descriptor, QObject *parent);
    ~LingeringClose() override;
    void transportClosed();
    void drain();
    void finish();

    int m_descriptor;
    bool m_started = false;
    qint64 m_drained = 0;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_deadline;
    static inline int s_active = 0;
};

} // namespace Switchboard::Server
