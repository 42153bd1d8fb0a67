#pragma once

#include <QtGlobal>

namespace Switchboard::Server {

// Counters read by /healthz, stats and the bench tool. Event-loop thread only.
struct ServerMetrics
{
    qint64 startedAtMs = 0;
    quint64 messagesReceived = 0; // messages accepted from clients (stored)
    quint64 messagesSent = 0;     // new_message events written to connections
    quint64 framesIn = 0;
    quint64 sendQueueDrops = 0;

    static qint64 residentMemoryBytes();
};

} // namespace Switchboard::Server
