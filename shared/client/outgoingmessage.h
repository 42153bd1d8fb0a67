#pragma once

#include <QString>
#include <QtGlobal>

namespace Switchboard {

// A text message in ClientSession's outbox: typed by the user, not yet acknowledged by the
// server. clientMsgId is fixed when the message is created, so re-sending it after a reconnect
// cannot store it twice (the server deduplicates on sender + client_msg_id, PROTOCOL.md section 4).
struct OutgoingMessage
{
    QString clientMsgId;
    qint64 conversationId = 0; // either a conversation ...
    qint64 toUserId = 0; // ... or a user (private conversation found or created)
    QString text;
    qint64 createdAt = 0; // ms since the epoch, when it entered the outbox
    int attempts = 0; // sends so far (a re-send after a reconnect counts)
    bool inFlight = false;
};

} // namespace Switchboard
