#pragma once

#include <QAbstractEventDispatcher>

#include <poll.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

class QSocketNotifier;

namespace Switchboard {

// An event dispatcher for Linux built on epoll, for threads that own many sockets.
//
// Qt 6.4's UNIX dispatcher builds a pollfd array of every socket notifier and hands it to poll()
// on every wake-up, so each event costs time proportional to the number of open connections: with
// 10,000 idle WebSocket connections, one ping every 30 s each kept a core more than half busy.
// Here the kernel keeps the interest set (epoll), a wake-up costs time proportional to the sockets
// that are actually ready, and notifier changes are batched and applied just before waiting (the
// write notifier that QAbstractSocket enables and disables around every write often flips twice
// between two waits and then costs nothing). A write notifier that was just enabled is first
// probed with one poll() over all such sockets: a socket with room in its send buffer is activated
// at once, and only a full one is handed to epoll, so the usual small write costs no epoll_ctl().
//
// Semantics follow QEventDispatcherUNIX: level-triggered notifiers (a read notifier also fires on
// hang-up and error, like POLLIN|POLLHUP|POLLERR), posted events sent at the start of every pass,
// precise timers rescheduled before their event is sent and never re-entered while their handler
// runs. Descriptors that epoll refuses (regular files) are treated as always ready, as poll() does.
//
// Install it before QCoreApplication exists (QCoreApplication::setEventDispatcher) or on a QThread
// before it starts. isValid() is false if the kernel refused epoll or eventfd; use Qt's own then.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT

public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool isValid() const { return m_epollFd >= 0 && m_wakeFd >= 0; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    // The notifiers of one descriptor, and what the kernel was last told to watch for it.
    struct SocketEntry
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        QSocketNotifier *exception = nullptr;
        std::uint32_t wantedEvents() const;
        std::uint32_t kernelEvents() const; // wantedEvents() without a write still being probed
        std::uint32_t registeredEvents = 0;
        std::uint32_t pendingEvents = 0; // reported ready, not yet dispatched (see m_pendingSockets)
        bool dirty = false;
        bool probeWrite = false; // write notifier just enabled: try poll() before telling epoll
        bool alwaysReady = false; // epoll refused the descriptor (regular file): poll() semantics
    };

    struct Timer
    {
        int id = 0;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        qint64 deadlineNs = 0;
        quint64 serial = 0; // distinguishes a re-registered id from the one that was due
        bool firing = false;
    };
    using TimerKey = std::tuple<qint64, quint64, int>; // deadline, serial, id

    void markDirty(qintptr fd, SocketEntry &entry);
    void applySocketChanges();
    int probeWritableSockets();
    int waitTimeoutMs(bool mayBlock, bool includeTimers) const;
    int collectReadySockets(int readyCount);
    int dispatchPendingSockets();
    bool hasAlwaysReadyWork() const;
    int activateAlwaysReady();
    int activateTimers();
    void scheduleTimer(Timer &timer, qint64 nowNs);
    void drainWakeUp();
    static void sendActivation(QSocketNotifier *notifier);

    int m_epollFd = -1;
    int m_wakeFd = -1;
    // Set by another thread when it writes the eventfd, cleared when the loop has drained it: a
    // wake-up from another thread is never lost, and a burst of posts costs one write().
    std::atomic<bool> m_eventFdArmed {false};
    // The loop's own thread posted something (no syscall needed): do not block this pass.
    bool m_postedByOwnThread = false;
    std::atomic<bool> m_interrupted {false};
    // processEvents() calls on the stack (handlers may run nested event loops). The work lists
    // below are shared by all levels, as in Qt's dispatcher, and only the outermost level
    // compacts them.
    int m_depth = 0;

    std::unordered_map<qintptr, SocketEntry> m_sockets;
    std::vector<qintptr> m_dirtySockets;
    std::vector<qintptr> m_alwaysReadySockets;
    std::vector<qintptr> m_writeProbes;
    std::size_t m_writeProbesDone = 0;
    std::vector<qintptr> m_pendingSockets;
    std::size_t m_pendingSocketsDone = 0;
    std::vector<epoll_event> m_readyEvents;

    std::unordered_map<int, Timer> m_timers;
    std::set<TimerKey> m_timerQueue;
    quint64 m_nextTimerSerial = 1;
};

} // namespace Switchboard
