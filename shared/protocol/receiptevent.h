#pragma once

#include <QString>
#include <QtGlobal>

namespace Switchboard {

// `receipt` (PROTOCOL.md section 5): a participant's delivered or read watermark moved.
struct ReceiptEvent
{
    qint64 conversationId = 0;
    qint64 userId = 0;
    QString kind; // "delivered" or "read"
    qint64 seq = 0;
};

} // namespace Switchboard
