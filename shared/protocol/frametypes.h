#pragma once

#include <QLatin1StringView>

namespace Switchboard {

// The `type` of every frame (PROTOCOL.md sections 2-11), in one place for the server, the client
// library, the console and the tests. Requests a client sends are answered with a reply of the
// same type; events come unasked.
namespace RequestType {
inline constexpr QLatin1StringView Ping {"ping"};
inline constexpr QLatin1StringView Auth {"auth"};
inline constexpr QLatin1StringView Reconnect {"reconnect"};
inline constexpr QLatin1StringView Message {"message"};
inline constexpr QLatin1StringView Received {"received"};
inline constexpr QLatin1StringView Read {"read"};
inline constexpr QLatin1StringView Typing {"typing"};
inline constexpr QLatin1StringView History {"history"};
inline constexpr QLatin1StringView Conversations {"conversations"};
inline constexpr QLatin1StringView PresenceQuery {"presence_query"};
inline constexpr QLatin1StringView Status {"status"};
inline constexpr QLatin1StringView Join {"join"};
inline constexpr QLatin1StringView Leave {"leave"};
inline constexpr QLatin1StringView Broadcast {"broadcast"};
inline constexpr QLatin1StringView ConversationCreate {"conversation_create"};
inline constexpr QLatin1StringView ConversationAdd {"conversation_add"};
inline constexpr QLatin1StringView ConversationRemove {"conversation_remove"};
inline constexpr QLatin1StringView ConversationLeave {"conversation_leave"};
inline constexpr QLatin1StringView SupportOpen {"support_open"};
inline constexpr QLatin1StringView SupportQueue {"support_queue"};
inline constexpr QLatin1StringView SupportClaim {"support_claim"};
inline constexpr QLatin1StringView SupportTransfer {"support_transfer"};
inline constexpr QLatin1StringView SupportClose {"support_close"};
inline constexpr QLatin1StringView StatsSubscribe {"stats_subscribe"};
inline constexpr QLatin1StringView StatsUnsubscribe {"stats_unsubscribe"};
inline constexpr QLatin1StringView AdminConnections {"admin_connections"};
inline constexpr QLatin1StringView AdminKick {"admin_kick"};
inline constexpr QLatin1StringView PushRegister {"push_register"};
inline constexpr QLatin1StringView Contacts {"contacts"};
inline constexpr QLatin1StringView ContactAdd {"contact_add"};
inline constexpr QLatin1StringView ContactRemove {"contact_remove"};
} // namespace RequestType

namespace EventType {
inline constexpr QLatin1StringView Session {"session"};
inline constexpr QLatin1StringView NewMessage {"new_message"};
inline constexpr QLatin1StringView SyncComplete {"sync_complete"};
inline constexpr QLatin1StringView Receipt {"receipt"};
inline constexpr QLatin1StringView Typing {"typing"};
inline constexpr QLatin1StringView Presence {"presence"};
inline constexpr QLatin1StringView RoomMessage {"room_message"};
inline constexpr QLatin1StringView SupportUpdate {"support_update"};
inline constexpr QLatin1StringView Stats {"stats"};
inline constexpr QLatin1StringView Pong {"pong"};
inline constexpr QLatin1StringView Error {"error"};
} // namespace EventType

} // namespace Switchboard
