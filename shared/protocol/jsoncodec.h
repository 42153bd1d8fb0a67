#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include "shared/protocol/adminconnection.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/conversationinfo.h"
#include "shared/protocol/jsonwriter.h"
#include "shared/protocol/presenceevent.h"
#include "shared/protocol/protocolerror.h"
#include "shared/protocol/receiptevent.h"
#include "shared/protocol/result.h"
#include "shared/protocol/roommessageevent.h"
#include "shared/protocol/sendreceipt.h"
#include "shared/protocol/serverstats.h"
#include "shared/protocol/supportupdateevent.h"
#include "shared/protocol/synccompleteevent.h"
#include "shared/protocol/typingevent.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard {

// The one place where protocol value types become JSON and back. Servers, clients and tests
// all go through it, so the wire shape is defined once.
namespace JsonCodec {

QJsonObject encode(const UserInfo &user);
QJsonObject encode(const ChatMessage &message);
QJsonObject encode(const ConversationInfo &conversation);
QJsonObject encode(const ProtocolError &error);
// The `stats` fields (without `type`) and one `admin_connections` row (section 11).
QJsonObject encode(const ServerStats &stats);
QJsonObject encode(const AdminConnection &connection);
// The data of a `message` reply: message_id, conversation_id, seq, timestamp, duplicate.
QJsonObject encode(const SendReceipt &receipt);

Result<UserInfo> decodeUser(const QJsonObject &object);
Result<ChatMessage> decodeMessage(const QJsonObject &object);
Result<ConversationInfo> decodeConversation(const QJsonObject &object);
ProtocolError decodeError(const QJsonObject &object);
// Accepts the `stats` event itself (its `type` is ignored).
Result<ServerStats> decodeStats(const QJsonObject &object);
Result<AdminConnection> decodeAdminConnection(const QJsonObject &object);

// Event frames (type included, EventType): encoded by the server, decoded by the client library,
// both through these functions. Decoding is strict: a frame without its required fields is
// malformed (bad_request), never a value with zeros.
QJsonObject encode(const ReceiptEvent &event);
QJsonObject encode(const TypingEvent &event);
QJsonObject encode(const PresenceEvent &event);
QJsonObject encode(const SyncCompleteEvent &event);
QJsonObject encode(const RoomMessageEvent &event);
QJsonObject encode(const SupportUpdateEvent &event);
// {"type": "stats", ...encode(stats)}
QJsonObject encodeStatsEvent(const ServerStats &stats);
// {"type": "new_message", "message": {...}, "offline": true} for the offline burst; live
// messages go through serializeNewMessage (no `offline`).
QJsonObject encodeNewMessage(const ChatMessage &message, bool offline);

Result<ReceiptEvent> decodeReceipt(const QJsonObject &frame);
Result<TypingEvent> decodeTyping(const QJsonObject &frame);
Result<PresenceEvent> decodePresence(const QJsonObject &frame);
Result<SyncCompleteEvent> decodeSyncComplete(const QJsonObject &frame);
Result<RoomMessageEvent> decodeRoomMessage(const QJsonObject &frame);
Result<SupportUpdateEvent> decodeSupportUpdate(const QJsonObject &frame);

// Envelope frames (section 2). `id` is echoed exactly as the client sent it; an undefined
// QJsonValue means "no id".
QJsonObject successReply(const QString &type, const QJsonValue &id, const QJsonObject &data);
QJsonObject errorReply(const QString &type, const QJsonValue &id, const ProtocolError &error);

// Compact UTF-8 serialisation of one frame.
QByteArray serialize(const QJsonObject &frame);

// The same frames written directly (JsonWriter), for the hot paths: they parse to exactly what
// serialize(successReply(...)), serialize(errorReply(...)) and encode(message) produce.
QByteArray serializeSuccessReply(const QString &type, const QJsonValue &id, const QJsonObject &data);
QByteArray serializeErrorReply(const QString &type, const QJsonValue &id, const ProtocolError &error);
// serializeSuccessReply(type, id, encode(receipt)) without the QJsonObject: the reply to every send.
QByteArray serializeSendReply(const QString &type, const QJsonValue &id, const SendReceipt &receipt);
void writeMessage(JsonWriter &writer, const ChatMessage &message);
// {"type": "new_message", "message": {...}}
QByteArray serializeNewMessage(const ChatMessage &message);

} // namespace JsonCodec
} // namespace Switchboard
