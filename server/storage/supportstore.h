#pragma once

#include <QList>
#include <QString>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Support conversations (PROTOCOL.md section 10): the queue and its atomic transitions (one open
// chat per customer, a claim that conflicts with another agent's).
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class SupportStore
{
public:
    virtual ~SupportStore();

    virtual void supportOpen(qint64 userId, const QString &topic, StorageCallback<ConversationInfo> done) = 0;
    virtual void supportQueue(qint64 agentId, StorageCallback<QList<ConversationInfo>> done) = 0;
    virtual void supportAssign(const SupportAssignment &assignment, StorageCallback<ConversationInfo> done) = 0;
    virtual void supportClose(qint64 conversationId, StorageCallback<ConversationInfo> done) = 0;
    // Assigns to the candidate (in the given order of preference on ties) with the fewest open
    // chats below `capacity`; not_found when nobody can take it.
    virtual void supportAutoAssign(
        qint64 conversationId, const QList<qint64> &candidates, int capacity, StorageCallback<ConversationInfo> done)
        = 0;
    // Returns every open chat of the agent to the queue.
    virtual void supportRequeue(qint64 agentId, StorageCallback<QList<ConversationInfo>> done) = 0;
};

} // namespace Switchboard::Server
