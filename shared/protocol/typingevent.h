#pragma once

#include <QtGlobal>

namespace Switchboard {

// `typing` (PROTOCOL.md section 5): a participant is typing.
struct TypingEvent
{
    qint64 conversationId = 0;
    qint64 userId = 0;
};

} // namespace Switchboard
