#pragma once

#include "shared/protocol/conversationinfo.h"

namespace Switchboard {

// `support_update` (PROTOCOL.md section 10): a support conversation was opened, assigned,
// transferred or closed; sent to staff and to the customer.
struct SupportUpdateEvent
{
    ConversationInfo conversation;
};

} // namespace Switchboard
