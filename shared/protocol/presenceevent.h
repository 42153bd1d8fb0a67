#pragma once

#include <QString>
#include <QtGlobal>

namespace Switchboard {

// `presence` (PROTOCOL.md section 6): a user's status changed.
struct PresenceEvent
{
    qint64 userId = 0;
    QString status; // "online", "away", "offline"
    qint64 lastSeenAt = 0; // ms since the epoch
};

} // namespace Switchboard
