#include "server/services/domainrules.h"

#include <QJsonDocument>
#include <QJsonObject>

#include "server/sessions/onlineusers.h"
#include "shared/protocol/frametypes.h"
#include "shared/protocol/mediatypes.h"
#include "shared/protocol/userinfo.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

DomainRules::DomainRules(const OnlineUsers *online, int previewChars) : m_online(online), m_previewChars(previewChars)
{ }

bool DomainRules::outsiderMayAccess(const QString &conversationType, const QString &role) const
{
    return conversationType == u"support"_s && UserInfo::isStaffRole(role);
}

std::optional<ProtocolError> DomainRules::attachmentRefusal(const QString &messageType, const FileRecord &file) const
{
    if (messageType == u"image"_s && !MediaTypes::isInlineImage(file.mime))
        return ProtocolError::make(ErrorCode::ValidationFailed, u"An image message needs an image file"_s);
    return std::nullopt;
}

bool DomainRules::mayHandleSupport(const QString &role) const
{
    return UserInfo::isStaffRole(role);
}

qint64 DomainRules::chooseAgent(const QList<AgentLoad> &candidates, int capacity) const
{
    qint64 best = 0;
    qint64 bestLoad = std::numeric_limits<qint64>::max();
    for (const AgentLoad &c : candidates) {
        if (c.openChats < capacity && c.openChats < bestLoad) {
            best = c.agentId;
            bestLoad = c.openChats;
        }
    }
    return best;
}

bool DomainRules::wantsPush(qint64 recipient, const ChatMessage &message) const
{
    return recipient != message.senderId && !(m_online && m_online->isOnline(recipient));
}

QString DomainRules::preview(const ChatMessage &message, int previewChars)
{
    if (previewChars <= 0)
        return {};
    if (message.type != u"text"_s)
        return message.type == u"image"_s ? u"[image]"_s : u"[file]"_s;
    // Characters are code points: a surrogate pair is never cut in half.
    qsizetype cut = 0;
    int chars = 0;
    while (cut < message.content.size() && chars < previewChars) {
        cut += message.content.at(cut).isHighSurrogate() && cut + 1 < message.content.size() ? 2 : 1;
        ++chars;
    }
    return message.content.left(cut);
}

QString DomainRules::pushPayload(const ChatMessage &message, qint64 recipient, const QString &senderName) const
{
    const QJsonObject payload {{u"type"_s, EventType::NewMessage}, {u"user_id"_s, double(recipient)},
        {u"conversation_id"_s, double(message.conversationId)}, {u"message_id"_s, double(message.id)},
        {u"seq"_s, double(message.seq)}, {u"sender_id"_s, double(message.senderId)}, {u"sender_name"_s, senderName},
        {u"preview"_s, preview(message, m_previewChars)}, {u"created_at"_s, double(message.createdAt)}};
    return QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact));
}

} // namespace Switchboard::Server
