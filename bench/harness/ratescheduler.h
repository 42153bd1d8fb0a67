#pragma once

#include <QObject>
#include <QTimer>
#include <atomic>
#include <functional>

#include "bench/harness/latency.h"

namespace Switchboard::Bench {

// Timer-driven open-loop schedule for one worker: from startNs to endNs it calls send() so that
// the number of calls follows rate x elapsed time, checked every tickMs (no busy loop). When the
// worker falls behind by more than a quarter second of sends, the excess is skipped and counted
// rather than sent in a burst. send() returns false when it could not send (counted as skipped).
class RateScheduler
{
public:
    struct Plan
    {
        double rate = 0; // calls per second for this worker
        qint64 startNs = 0;
        qint64 measureStartNs = 0; // calls before it are warm-up
        qint64 endNs = 0;
        int tickMs = 2;
    };

    // send(measured) with measured = false during warm-up.
    void start(QObject *context, const Plan &plan, std::function<bool(bool measured)> send)
    {
        m_plan = plan;
        m_send = std::move(send);
        m_timer = new QTimer(context);
        m_timer->setTimerType(Qt::PreciseTimer);
        m_timer->setInterval(plan.tickMs);
        QObject::connect(m_timer, &QTimer::timeout, context, [this] { tick(); });
        running.store(true);
        m_timer->start();
    }

    const Plan &plan() const { return m_plan; }

    std::atomic<bool> running {false};
    quint64 skippedBehind = 0;
    quint64 skippedBusy = 0;
    quint64 calls = 0;
    quint64 measuredCalls = 0;

private:
    void tick()
    {
        const qint64 now = nowNs();
        if (now >= m_plan.endNs) {
            m_timer->stop();
            m_timer->deleteLater();
            m_timer = nullptr;
            running.store(false);
            return;
        }
        if (now < m_plan.startNs)
            return;
        const auto target = quint64(double(now - m_plan.startNs) * m_plan.rate / 1e9);
        quint64 due = target > m_scheduled ? target - m_scheduled : 0;
        const auto maxBurst = quint64(std::max(1.0, m_plan.rate / 4));
        if (due > maxBurst) {
            skippedBehind += due - maxBurst;
            m_scheduled += due - maxBurst;
            due = maxBurst;
        }
        const bool measured = now >= m_plan.measureStartNs;
        for (quint64 k = 0; k < due; ++k) {
            ++m_scheduled;
            if (!m_send(measured)) {
                ++skippedBusy;
                continue;
            }
            ++calls;
            if (measured)
                ++measuredCalls;
        }
    }

    Plan m_plan;
    std::function<bool(bool)> m_send;
    QTimer *m_timer = nullptr;
    quint64 m_scheduled = 0;
};

} // namespace Switchboard::Bench
