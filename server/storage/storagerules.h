#pragma once

#include <QList>
#include <QString>
#include <optional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/protocolerror.h"

namespace Switchboard::Server {

// The decisions storage needs in the middle of a transaction, made by the services: storage finds
// the facts (a conversation's type, whether someone takes part, a role, a file's type, who is
// registered for push) and asks these rules what they mean, so that the outcome is atomic with the
// write without the rule living in storage. Implemented by DomainRules (server/services).
// Called on the storage thread: implementations must be thread-safe and must not block.
class StorageRules
{
public:
    struct AgentLoad
    {
        qint64 agentId = 0;
        qint64 openChats = 0;
    };

    virtual ~StorageRules();

    // May a user with `role` who is not a participant read and write a conversation of this type?
    virtual bool outsiderMayAccess(const QString &conversationType, const QString &role) const = 0;
    // Why `file` may not go with a message of `messageType` (nullopt: it may).
    virtual std::optional<ProtocolError> attachmentRefusal(
        const QString &messageType, const FileRecord &file) const = 0;
    // May a user with `role` be assigned support conversations?
    virtual bool mayHandleSupport(const QString &role) const = 0;
    // The agent automatic assignment picks among `candidates` (in order of preference, with their
    // open chats), or 0 when nobody can take another chat.
    virtual qint64 chooseAgent(const QList<AgentLoad> &candidates, int capacity) const = 0;
    // Whether `recipient`, a participant, is told about `message` by push.
    virtual bool wantsPush(qint64 recipient, const ChatMessage &message) const = 0;
    // How many push registrations (devices) one user keeps; a new one beyond it replaces the
    // oldest.
    virtual int maxPushRegistrationsPerUser() const = 0;
    // The notification for one recipient (JSON text, stored in the outbox as it will be sent).
    virtual QString pushPayload(const ChatMessage &message, qint64 recipient, const QString &senderName) const = 0;
};

} // namespace Switchboard::Server
