#pragma once

#include <QJsonValue>
#include <QString>
#include <QtGlobal>

namespace Switchboard {

// `room_message` (PROTOCOL.md section 7): a broadcast in an ephemeral room; `recovered` when it
// is replayed after a resume.
struct RoomMessageEvent
{
    QString room;
    qint64 from = 0;
    QJsonValue data;
    qint64 timestamp = 0;
    bool recovered = false;
};

} // namespace Switchboard
