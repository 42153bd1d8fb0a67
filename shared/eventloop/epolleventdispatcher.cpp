#include "shared/eventloop/epolleventdispatcher.h"

#include "shared/eventloop/logging.h"

#include <QCoreApplication>
#include <QScopeGuard>
#include <QSocketNotifier>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <sys/eventfd.h>
#include <unistd.h>

namespace Switchboard {

namespace {

// Enough for a busy pass; more ready descriptors are simply reported by the next epoll_wait().
constexpr int kMaxEventsPerWait = 512;
constexpr qint64 kNsPerMs = 1000 * 1000;

qint64 monotonicNowNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000 * kNsPerMs + ts.tv_nsec;
}

// Same mapping as poll()-based dispatching: hang-up and error wake every notifier of the socket,
// so that its owner notices (a read returns 0 or fails) instead of waiting forever.
constexpr std::uint32_t kReadActivation = EPOLLIN | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteActivation = EPOLLOUT | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kExceptionActivation = EPOLLPRI | EPOLLHUP | EPOLLERR;

} // namespace

std::uint32_t EpollEventDispatcher::SocketEntry::wantedEvents() const
{
    std::uint32_t events = 0;
    if (read)
        events |= EPOLLIN;
    if (write)
        events |= EPOLLOUT;
    if (exception)
        events |= EPOLLPRI;
    return events;
}

std::uint32_t EpollEventDispatcher::SocketEntry::kernelEvents() const
{
    const std::uint32_t events = wantedEvents();
    return probeWrite ? events & ~std::uint32_t(EPOLLOUT) : events;
}

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), m_readyEvents(kMaxEventsPerWait)
{
    m_epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0) {
        qCWarning(lcEventLoop, "epoll_create1 failed: %s", std::strerror(errno));
        return;
    }
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakeFd < 0) {
        qCWarning(lcEventLoop, "eventfd failed: %s", std::strerror(errno));
        return;
    }
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.fd = m_wakeFd;
    if (epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeFd, &event) != 0) {
        qCWarning(lcEventLoop, "cannot watch the wake-up descriptor: %s", std::strerror(errno));
        ::close(m_wakeFd);
        m_wakeFd = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    ++m_depth;
    const auto leave = qScopeGuard([this] { --m_depth; });
    m_interrupted.store(false, std::memory_order_relaxed);
    emit awake();

    // Cleared before sending: anything the loop's thread posts from here on sets it again, and
    // another thread's post writes the eventfd, so the wait below cannot sleep through either.
    m_postedByOwnThread = false;
    QCoreApplication::sendPostedEvents();

    if (m_interrupted.load(std::memory_order_relaxed))
        return false;

    const bool includeTimers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const bool includeSockets = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    bool mayBlock = flags.testFlag(QEventLoop::WaitForMoreEvents) && !m_postedByOwnThread;
    if (mayBlock) {
        emit aboutToBlock();
        mayBlock = !m_postedByOwnThread && !m_interrupted.load(std::memory_order_relaxed);
    }

    int activated = 0;
    if (includeSockets) {
        activated += probeWritableSockets();
        applySocketChanges();
        // Sockets an outer pass found ready and has not served yet (this is a nested loop) are
        // served here too, without waiting.
        const bool nothingPending = m_pendingSocketsDone >= m_pendingSockets.size();
        const int timeout = waitTimeoutMs(
            mayBlock && activated == 0 && nothingPending && !hasAlwaysReadyWork() && !m_postedByOwnThread,
            includeTimers);
        const int ready = epoll_wait(m_epollFd, m_readyEvents.data(), int(m_readyEvents.size()), timeout);
        if (ready < 0 && errno != EINTR)
            qCWarning(lcEventLoop, "epoll_wait failed: %s", std::strerror(errno));
        if (ready > 0)
            activated += collectReadySockets(ready);
        activated += dispatchPendingSockets();
        activated += activateAlwaysReady();
    } else {
        // Sockets excluded (rare: a caller that wants only timers and posted events): wait on the
        // wake-up descriptor alone, so ready sockets do not turn the wait into a busy loop.
        pollfd wake {m_wakeFd, POLLIN, 0};
        if (poll(&wake, 1, waitTimeoutMs(mayBlock, includeTimers)) > 0) {
            drainWakeUp();
            ++activated;
        }
    }

    if (includeTimers)
        activated += activateTimers();
    return activated > 0;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr fd = notifier->socket();
    if (fd < 0) {
        qCWarning(lcEventLoop, "cannot watch an invalid socket descriptor");
        return;
    }
    SocketEntry &entry = m_sockets[fd];
    QSocketNotifier **slot = nullptr;
    switch (notifier->type()) {
    case QSocketNotifier::Read:
        slot = &entry.read;
        break;
    case QSocketNotifier::Write:
        slot = &entry.write;
        break;
    case QSocketNotifier::Exception:
        slot = &entry.exception;
        break;
    }
    if (*slot && *slot != notifier) // as Qt's dispatcher: warn, and the newer one wins
        qCWarning(
            lcEventLoop, "several socket notifiers of the same type for descriptor %lld", static_cast<long long>(fd));
    *slot = notifier;
    if (notifier->type() == QSocketNotifier::Write && !(entry.registeredEvents & EPOLLOUT) && !entry.alwaysReady
        && !entry.probeWrite) {
        entry.probeWrite = true;
        m_writeProbes.push_back(fd);
    }
    markDirty(fd, entry);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr fd = notifier->socket();
    const auto it = m_sockets.find(fd);
    if (it == m_sockets.end())
        return;
    SocketEntry &entry = it->second;
    if (entry.read == notifier)
        entry.read = nullptr;
    else if (entry.write == notifier)
        entry.write = nullptr, entry.probeWrite = false;
    else if (entry.exception == notifier)
        entry.exception = nullptr;
    else
        return;

    if (entry.wantedEvents() != 0) {
        markDirty(fd, entry);
        return;
    }
    // The last notifier of this descriptor: forget it now rather than at the next wait, because
    // the owner usually closes the descriptor next, and a new socket may get the same number
    // before the next wait (the kernel drops a closed descriptor from the set by itself, and we
    // must not believe the new socket is already registered).
    if (entry.alwaysReady) {
        m_alwaysReadySockets.erase(
            std::remove(m_alwaysReadySockets.begin(), m_alwaysReadySockets.end(), fd), m_alwaysReadySockets.end());
    } else if (entry.registeredEvents != 0) {
        epoll_ctl(m_epollFd, EPOLL_CTL_DEL, int(fd), nullptr); // fails harmlessly if already closed
    }
    m_sockets.erase(it); // a pending entry in m_dirtySockets is skipped when it is not found
}

void EpollEventDispatcher::markDirty(qintptr fd, SocketEntry &entry)
{
    if (entry.dirty)
        return;
    entry.dirty = true;
    m_dirtySockets.push_back(fd);
}

void EpollEventDispatcher::applySocketChanges()
{
    for (const qintptr fd : m_dirtySockets) {
        const auto it = m_sockets.find(fd);
        if (it == m_sockets.end())
            continue;
        SocketEntry &entry = it->second;
        if (!entry.dirty)
            continue; // listed twice: erased and registered again since
        entry.dirty = false;
        const std::uint32_t wanted = entry.kernelEvents();
        if (entry.alwaysReady || wanted == entry.registeredEvents)
            continue;
        if (wanted == 0) {
            // Only a write probe left: out of the kernel's set until the probe asks for EPOLLOUT
            // (a descriptor in the set is reported on hang-up and error whatever it waits for).
            epoll_ctl(m_epollFd, EPOLL_CTL_DEL, int(fd), nullptr);
            entry.registeredEvents = 0;
            continue;
        }

        epoll_event event {};
        event.events = wanted;
        event.data.fd = int(fd);
        int op = entry.registeredEvents == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        int rc = epoll_ctl(m_epollFd, op, int(fd), &event);
        if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
            rc = epoll_ctl(m_epollFd, op = EPOLL_CTL_MOD, int(fd), &event);
        else if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) // closed and reused meanwhile
            rc = epoll_ctl(m_epollFd, op = EPOLL_CTL_ADD, int(fd), &event);
        if (rc == 0) {
            entry.registeredEvents = wanted;
        } else if (errno == EPERM) {
            // Regular files cannot be watched by epoll; poll() reports them always ready.
            entry.alwaysReady = true;
            entry.registeredEvents = 0;
            m_alwaysReadySockets.push_back(fd);
        } else {
            qCWarning(
                lcEventLoop, "cannot watch descriptor %lld: %s", static_cast<long long>(fd), std::strerror(errno));
            entry.registeredEvents = 0;
        }
    }
    m_dirtySockets.clear();
}

int EpollEventDispatcher::probeWritableSockets()
{
    const std::size_t first = m_writeProbesDone;
    const std::size_t end = m_writeProbes.size();
    if (first >= end) {
        if (m_depth == 1) {
            m_writeProbes.clear();
            m_writeProbesDone = 0;
        }
        return 0;
    }
    // One poll() for every socket whose write notifier was enabled since the last pass.
    std::vector<pollfd> probes;
    probes.reserve(end - first);
    for (std::size_t i = first; i < end; ++i)
        probes.push_back({int(m_writeProbes[i]), POLLOUT, 0});
    if (poll(probes.data(), nfds_t(probes.size()), 0) < 0) {
        for (pollfd &probe : probes)
            probe.revents = 0; // treat as not writable yet: epoll will tell
    }

    int activated = 0;
    // The shared cursor advances one probe at a time, so a nested loop started by a handler
    // carries on with the probes after the current one instead of leaving them unwatched.
    while (m_writeProbesDone >= first && m_writeProbesDone < end) {
        const pollfd &probe = probes[m_writeProbesDone++ - first];
        auto it = m_sockets.find(probe.fd);
        if (it == m_sockets.end() || !it->second.probeWrite)
            continue; // disabled meanwhile, or already served by a nested loop
        it->second.probeWrite = false;
        if (probe.revents & (POLLOUT | POLLERR | POLLHUP)) {
            sendActivation(it->second.write); // usually writes everything and disables the notifier
            ++activated;
            it = m_sockets.find(probe.fd);
            if (it == m_sockets.end())
                continue;
        }
        // Still wanted (a full send buffer, or not writable yet): now epoll has to watch it.
        if (it->second.write && !(it->second.registeredEvents & EPOLLOUT))
            markDirty(probe.fd, it->second);
    }
    if (m_depth == 1 && m_writeProbesDone >= m_writeProbes.size()) {
        m_writeProbes.clear();
        m_writeProbesDone = 0;
    }
    return activated;
}

int EpollEventDispatcher::waitTimeoutMs(bool mayBlock, bool includeTimers) const
{
    if (!mayBlock)
        return 0;
    if (!includeTimers)
        return -1;
    for (const TimerKey &key : m_timerQueue) {
        const auto it = m_timers.find(std::get<2>(key));
        if (it == m_timers.end() || it->second.firing)
            continue; // a timer whose handler is running (nested loop) must not spin this wait
        const qint64 delta = std::get<0>(key) - monotonicNowNs();
        if (delta <= 0)
            return 0;
        return int(std::min<qint64>((delta + kNsPerMs - 1) / kNsPerMs, INT_MAX));
    }
    return -1;
}

int EpollEventDispatcher::collectReadySockets(int readyCount)
{
    int activated = 0;
    for (int i = 0; i < readyCount; ++i) {
        const epoll_event &event = m_readyEvents[std::size_t(i)];
        if (event.data.fd == m_wakeFd) {
            drainWakeUp();
            ++activated;
            continue;
        }
        const auto it = m_sockets.find(event.data.fd);
        if (it == m_sockets.end())
            continue;
        // One queue entry per descriptor, whatever the number of passes that saw it ready.
        if (it->second.pendingEvents == 0)
            m_pendingSockets.push_back(event.data.fd);
        it->second.pendingEvents |= event.events;
    }
    return activated;
}

int EpollEventDispatcher::dispatchPendingSockets()
{
    int activated = 0;
    // Handlers may register and unregister notifiers (also of other ready descriptors) and run
    // nested loops, which continue with this same queue: each step re-reads the shared cursor and
    // looks the descriptor up again. A descriptor closed meanwhile lost its entry (and its pending
    // readiness), so a new socket that got the same number is not activated with stale news.
    const auto activate = [this, &activated](qintptr fd, QSocketNotifier *SocketEntry::*slot) {
        const auto it = m_sockets.find(fd);
        if (it != m_sockets.end() && it->second.*slot) {
            sendActivation(it->second.*slot);
            ++activated;
        }
    };
    while (m_pendingSocketsDone < m_pendingSockets.size()) {
        const qintptr fd = m_pendingSockets[m_pendingSocketsDone++];
        const auto it = m_sockets.find(fd);
        if (it == m_sockets.end())
            continue;
        const std::uint32_t events = std::exchange(it->second.pendingEvents, 0);
        if (events & kReadActivation)
            activate(fd, &SocketEntry::read);
        if (events & kWriteActivation)
            activate(fd, &SocketEntry::write);
        if (events & kExceptionActivation)
            activate(fd, &SocketEntry::exception);
    }
    if (m_depth == 1) {
        m_pendingSockets.clear();
        m_pendingSocketsDone = 0;
    }
    return activated;
}

bool EpollEventDispatcher::hasAlwaysReadyWork() const
{
    // poll() reports a regular file readable and writable, never an exception: only read and
    // write notifiers of such descriptors keep the loop from blocking.
    for (const qintptr fd : m_alwaysReadySockets) {
        const auto it = m_sockets.find(fd);
        if (it != m_sockets.end() && (it->second.read || it->second.write))
            return true;
    }
    return false;
}

int EpollEventDispatcher::activateAlwaysReady()
{
    if (m_alwaysReadySockets.empty())
        return 0;
    int activated = 0;
    const std::vector<qintptr> sockets = m_alwaysReadySockets; // handlers may change the list
    for (const qintptr fd : sockets) {
        for (QSocketNotifier *SocketEntry::*slot : {&SocketEntry::read, &SocketEntry::write}) {
            const auto it = m_sockets.find(fd);
            if (it != m_sockets.end() && it->second.alwaysReady && it->second.*slot) {
                sendActivation(it->second.*slot);
                ++activated;
            }
        }
    }
    return activated;
}

void EpollEventDispatcher::sendActivation(QSocketNotifier *notifier)
{
    QEvent event(QEvent::SockAct);
    QCoreApplication::sendEvent(notifier, &event);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    Q_ASSERT(timerId > 0 && interval >= 0 && object);
    unregisterTimer(timerId); // ids are unique while registered; be defensive about stale state
    Timer timer;
    timer.id = timerId;
    timer.intervalMs = interval;
    timer.type = timerType;
    timer.object = object;
    timer.serial = m_nextTimerSerial++;
    timer.deadlineNs = monotonicNowNs() + interval * kNsPerMs;
    m_timerQueue.insert(TimerKey {timer.deadlineNs, timer.serial, timer.id});
    m_timers.emplace(timerId, timer);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_timerQueue.erase(TimerKey {it->second.deadlineNs, it->second.serial, it->second.id});
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object == object) {
            m_timerQueue.erase(TimerKey {it->second.deadlineNs, it->second.serial, it->second.id});
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> timers;
    for (const auto &[id, timer] : m_timers) {
        if (timer.object == object)
            timers.append(TimerInfo(id, int(timer.intervalMs), timer.type));
    }
    return timers;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    const qint64 delta = it->second.deadlineNs - monotonicNowNs();
    return delta <= 0 ? 0 : int(std::min<qint64>((delta + kNsPerMs / 2) / kNsPerMs, INT_MAX));
}

void EpollEventDispatcher::scheduleTimer(Timer &timer, qint64 nowNs)
{
    // Keep the rhythm of a periodic timer, but never try to catch up on missed periods.
    timer.deadlineNs += timer.intervalMs * kNsPerMs;
    if (timer.deadlineNs < nowNs)
        timer.deadlineNs = nowNs + timer.intervalMs * kNsPerMs;
    m_timerQueue.insert(TimerKey {timer.deadlineNs, timer.serial, timer.id});
}

int EpollEventDispatcher::activateTimers()
{
    if (m_timerQueue.empty())
        return 0;
    const qint64 now = monotonicNowNs();
    // Only timers due now, each once: a zero-interval timer must not starve everything else.
    std::vector<std::pair<int, quint64>> due;
    for (const TimerKey &key : m_timerQueue) {
        if (std::get<0>(key) > now)
            break;
        due.emplace_back(std::get<2>(key), std::get<1>(key));
    }

    int activated = 0;
    for (const auto &[id, serial] : due) {
        auto it = m_timers.find(id);
        if (it == m_timers.end() || it->second.serial != serial || it->second.firing || it->second.deadlineNs > now)
            continue; // killed, restarted, running its handler in a nested loop, or fired by one
        Timer &timer = it->second;
        m_timerQueue.erase(TimerKey {timer.deadlineNs, timer.serial, timer.id});
        scheduleTimer(timer, now);
        timer.firing = true;
        QObject *object = timer.object;

        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++activated;

        it = m_timers.find(id); // the handler may have killed or restarted it
        if (it != m_timers.end() && it->second.serial == serial)
            it->second.firing = false;
    }
    return activated;
}

void EpollEventDispatcher::drainWakeUp()
{
    eventfd_t value = 0;
    while (eventfd_read(m_wakeFd, &value) != 0 && errno == EINTR) { }
    // After the read: a writer that still saw the flag set and skipped its write posted before
    // this pass ends, and the next pass sends posted events before it may block.
    m_eventFdArmed.store(false);
}

void EpollEventDispatcher::wakeUp()
{
    // The loop's own thread (posting while it dispatches) needs no syscall: processEvents() looks
    // at the flag before it blocks.
    if (QThread::currentThread() == thread()) {
        m_postedByOwnThread = true;
        return;
    }
    if (m_eventFdArmed.exchange(true))
        return; // written and not drained yet: the loop is (or will be) woken anyway
    while (eventfd_write(m_wakeFd, 1) != 0 && errno == EINTR) { }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true);
    wakeUp();
}

} // namespace Switchboard
