#pragma once

namespace Switchboard {

// `sync_complete` (PROTOCOL.md section 4): the offline messages of a login or resume are all
// sent (`count` of them; `has_more` when the client should page the rest with `history`).
struct SyncCompleteEvent
{
    int count = 0;
    bool hasMore = false;
};

} // namespace Switchboard
