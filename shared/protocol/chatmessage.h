#pragma once

#include <QJsonObject>
#include <QString>
#include <QtGlobal>

namespace Switchboard {

// One stored message (PROTOCOL.md section 4).
struct ChatMessage
{
    qint64 id = 0;
    qint64 conversationId = 0;
    qint64 seq = 0;
    qint64 senderId = 0;
    QString type; // text, image, file, system
    QString content;
    QJsonObject attachment; // empty = null on the wire
    QString clientMsgId; // empty = null on the wire
    qint64 createdAt = 0; // ms since the epoch
};

} // namespace Switchboard
