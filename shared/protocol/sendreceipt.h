#pragma once

#include <QtGlobal>

namespace Switchboard {

// The reply data of a `message` send (PROTOCOL.md section 4): where the message was stored, or
// where it had been stored already when the send was a duplicate.
struct SendReceipt
{
    qint64 messageId = 0;
    qint64 conversationId = 0;
    qint64 seq = 0;
    qint64 timestamp = 0; // created_at of the stored message, ms since the epoch
    bool duplicate = false;
};

} // namespace Switchboard
