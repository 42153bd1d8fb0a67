#pragma once

#include <QJsonValue>
#include <QString>
#include <optional>

namespace Switchboard::Server {

// The fields of a `message` request (PROTOCOL.md section 4) once their JSON types are checked:
// absent and null are both "not given". What they mean (exactly one of to/conversation_id, lengths,
// message types) is ChatService::send's business.
struct SendFields
{
    std::optional<qint64> to;
    std::optional<qint64> conversationId;
    std::optional<QString> content;
    std::optional<QString> messageType;
    std::optional<QString> clientMsgId;
    QJsonValue attachment = QJsonValue(QJsonValue::Undefined);
};

} // namespace Switchboard::Server
