#pragma once

#include <QString>
#include <QtGlobal>

namespace Switchboard {

// The server's counters as the admin `stats` event (every second after `stats_subscribe`) and
// GET /api/v1/admin/stats carry them (PROTOCOL.md section 11).
struct ServerStats
{
    qint64 connections = 0; // open WebSocket connections
    qint64 authenticated = 0; // of which authenticated
    qint64 usersOnline = 0;
    qint64 rooms = 0;
    qint64 messagesSent = 0; // new_message events written
    qint64 messagesReceived = 0; // messages accepted and stored
    double messagesPerSecond = 0;
    qint64 uptime = 0; // seconds
    qint64 memoryUsage = 0; // bytes, resident set
    QString storage; // "ok" or "down"
};

} // namespace Switchboard
