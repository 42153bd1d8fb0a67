#pragma once

#include <QObject>

class QSocketNotifier;

namespace Switchboard::Server {

// Turns SIGTERM/SIGINT into a Qt signal on the event loop (self-pipe: the handler only writes a
// byte, which is async-signal-safe).
class SignalWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace Switchboard::Server
