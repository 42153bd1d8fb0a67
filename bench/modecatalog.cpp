#include "bench/harness/benchmode.h"

#include "bench/modes/connectionsmode.h"
#include "bench/modes/groupmode.h"
#include "bench/modes/messagesmode.h"
#include "bench/modes/reconnectstormmode.h"
#include "bench/modes/roomsmode.h"
#include "bench/modes/supportmode.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

const QList<ModeInfo> &allModes()
{
    static const QList<ModeInfo> modes {
        {u"messages"_s, u"1:1 persisted messages between pairs of users at a fixed rate"_s,
            [] { return std::make_unique<MessagesMode>(); }},
        {u"connections"_s, u"many idle authenticated connections: memory each, connect+auth rate"_s,
            [] { return std::make_unique<ConnectionsMode>(); }},
        {u"rooms"_s, u"room broadcast fan-out at a fixed delivery rate"_s,
            [] { return std::make_unique<RoomsMode>(); }},
        {u"group"_s, u"persisted group conversation fan-out"_s, [] { return std::make_unique<GroupMode>(); }},
        {u"reconnect-storm"_s, u"drop many connections, resume them all at once, check the gap's messages"_s,
            [] { return std::make_unique<ReconnectStormMode>(); }},
        {u"support"_s, u"support chats: user<->agent message latency at a fixed rate each way"_s,
            [] { return std::make_unique<SupportMode>(); }},
    };
    return modes;
}

} // namespace Switchboard::Bench
