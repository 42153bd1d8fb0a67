#pragma once

#include <QString>
#include <QStringList>
#include <QtGlobal>

namespace Switchboard {

// One row of `admin_connections` / GET /api/v1/admin/connections (PROTOCOL.md section 11).
struct AdminConnection
{
    qint64 connectionId = 0;
    qint64 userId = 0; // 0 = not authenticated yet (null on the wire)
    QString username; // empty when not authenticated
    QString role;
    QString remoteAddress;
    QString userAgent;
    qint64 connectedAt = 0; // ms since the epoch
    qint64 lastActivityAt = 0; // ms since the epoch
    QStringList rooms;
};

} // namespace Switchboard
