#pragma once

#include <QList>
#include <QString>
#include <QtGlobal>
#include <optional>

#include "shared/protocol/chatmessage.h"

namespace Switchboard {

// A conversation as one participant sees it (PROTOCOL.md section 5, "conversations").
struct ConversationInfo
{
    qint64 id = 0;
    QString type; // private, group, support
    QString title;
    QList<qint64> participants;
    qint64 lastSeq = 0;
    qint64 readSeq = 0;
    qint64 deliveredSeq = 0;
    qint64 unread = 0;
    std::optional<ChatMessage> lastMessage;
    // Support conversations only (type "support"): "open", "assigned" or "closed", the agent
    // holding it (0 = none), the user who opened it and when.
    QString supportStatus;
    qint64 agentId = 0;
    qint64 requesterId = 0;
    qint64 createdAt = 0;
};

} // namespace Switchboard
