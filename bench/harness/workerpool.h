#pragma once

#include <QMetaObject>
#include <QThread>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "bench/harness/waitutil.h"

namespace Switchboard::Bench {

// Worker threads for the client side of a load: each worker is a QObject of type W living in its
// own QThread with its own event loop, and owns its connections (created from work posted to it,
// so they live in that thread). One event loop cannot send 10,000 messages/s over hundreds of
// QWebSockets and parse every delivery as well; several can.
//
// The main thread only posts work and waits (bounded) until every worker reported done; it reads
// a worker's fields only through callAll(), i.e. inside the worker's thread.
template<class W> class WorkerPool
{
public:
    WorkerPool() = default;
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;
    ~WorkerPool() { stop(); }

    // Creates `count` workers (new W(index, args...)) and starts their threads.
    template<class... Args> void start(int count, Args &&...args)
    {
        for (int i = 0; i < count; ++i) {
            auto *worker = new W(i, args...);
            auto *thread = new QThread;
            thread->setObjectName(QStringLiteral("bench-worker-%1").arg(i));
            worker->moveToThread(thread);
            thread->start();
            m_workers.push_back(worker);
            m_threads.push_back(thread);
        }
    }

    int size() const { return int(m_workers.size()); }

    // Runs fn(worker) in the worker's thread, later.
    void post(int index, std::function<void(W &)> fn)
    {
        W *worker = m_workers[size_t(index)];
        QMetaObject::invokeMethod(
            worker, [worker, fn = std::move(fn)] { fn(*worker); }, Qt::QueuedConnection);
    }

    // Calls fn(worker) for every worker from the calling thread: only for reading the workers'
    // atomic counters.
    template<class F> void peek(F fn) const
    {
        for (W *worker : m_workers)
            fn(static_cast<const W &>(*worker));
    }

    // Runs fn(worker, done) in every worker thread and waits until each called done() (which may
    // happen much later, from a signal), at most timeoutMs. False on timeout.
    bool runAll(const std::function<void(W &, std::function<void()>)> &fn, int timeoutMs)
    {
        auto remaining = std::make_shared<std::atomic<int>>(size());
        for (int i = 0; i < size(); ++i) {
            post(i, [fn, remaining](W &worker) {
                auto called = std::make_shared<std::atomic<bool>>(false);
                fn(worker, [remaining, called] {
                    if (!called->exchange(true))
                        remaining->fetch_sub(1);
                });
            });
        }
        return waitUntil([remaining] { return remaining->load() == 0; }, timeoutMs, 2);
    }

    // Runs fn(worker) in each worker's thread, one worker after the other (so fn may accumulate
    // into the caller's variables without locks), waiting for each. False on timeout.
    bool callAll(const std::function<void(W &)> &fn, int timeoutMs = 60000)
    {
        for (int i = 0; i < size(); ++i) {
            auto finished = std::make_shared<std::atomic<bool>>(false);
            post(i, [fn, finished](W &worker) {
                fn(worker);
                finished->store(true);
            });
            if (!waitUntil([finished] { return finished->load(); }, timeoutMs, 1))
                return false;
        }
        return true;
    }

    // Deletes every worker in its own thread (closing its connections), then ends the threads.
    void stop()
    {
        for (size_t i = 0; i < m_workers.size(); ++i) {
            W *worker = m_workers[i];
            QMetaObject::invokeMethod(
                worker,
                [worker] {
                    delete worker;
                    QThread::currentThread()->quit();
                },
                Qt::QueuedConnection);
        }
        for (QThread *thread : m_threads) {
            if (!thread->wait(30000)) {
                thread->terminate();
                thread->wait();
            }
            delete thread;
        }
        m_workers.clear();
        m_threads.clear();
    }

private:
    std::vector<W *> m_workers;
    std::vector<QThread *> m_threads;
};

} // namespace Switchboard::Bench
