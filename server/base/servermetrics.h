#pragma once

#include <QtGlobal>
#include <array>

namespace Switchboard::Server {

// Counters read by /healthz, stats and the bench tool. Event-loop thread only.
struct ServerMetrics
{
    // Request latency (arrival to reply) histogram, in milliseconds, for /metrics.
    static constexpr std::array<double, 11> kLatencyBucketsMs {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500};
    std::array<quint64, 12> latencyCounts {}; // last one: +Inf
    double latencySumMs = 0;
    quint64 latencyCount = 0;
    void observeLatency(double ms);

    qint64 startedAtMs = 0;
    quint64 messagesReceived = 0; // messages accepted from clients (stored)
    quint64 messagesSent = 0; // new_message events written to connections
    quint64 framesIn = 0;
    quint64 sendQueueDrops = 0;

    static qint64 residentMemoryBytes();
};

} // namespace Switchboard::Server
