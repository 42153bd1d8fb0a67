#pragma once

#include "server/storage/storagerules.h"

namespace Switchboard::Server {

class OnlineUsers;

// The rules storage applies inside its transactions (StorageRules), decided here:
// - staff (agents and admins) may read and write support conversations they are not part of;
//   nobody else may touch a conversation they are not in;
// - an `image` message carries one of the inline image types (MediaTypes), anything else is a
//   `file`;
// - support chats go to staff only; automatic assignment picks the least busy candidate below
//   capacity, the earlier candidate on a tie;
// - a message is pushed to every participant but its sender who has no connection open, with the
//   sender's name and at most `previewChars` characters of text ("[image]" / "[file]" otherwise).
// Thread-safe: it only reads its configuration and OnlineUsers (which locks).
class DomainRules final : public StorageRules
{
public:
    // `online` may be null (no push suppression, e.g. for command-line tools that send nothing).
    DomainRules(const OnlineUsers *online, int previewChars);

    bool outsiderMayAccess(const QString &conversationType, const QString &role) const override;
    std::optional<ProtocolError> attachmentRefusal(const QString &messageType, const FileRecord &file) const override;
    bool mayHandleSupport(const QString &role) const override;
    qint64 chooseAgent(const QList<AgentLoad> &candidates, int capacity) const override;
    bool wantsPush(qint64 recipient, const ChatMessage &message) const override;
    int maxPushRegistrationsPerUser() const override { return kMaxPushRegistrationsPerUser; }
    static constexpr int kMaxPushRegistrationsPerUser = 10;
    QString pushPayload(const ChatMessage &message, qint64 recipient, const QString &senderName) const override;

    // The preview of a message in a notification (exposed for tests).
    static QString preview(const ChatMessage &message, int previewChars);

private:
    const OnlineUsers *m_online;
    int m_previewChars;
};

} // namespace Switchboard::Server
