#pragma once

#include <QList>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Conversations, their participants and messages (tables conversations, participants, messages):
// sending with seq and dedup, history, watermarks, groups and their membership.
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class MessageStore
{
public:
    virtual ~MessageStore();

    // The user and the first page (at most `pendingLimit`) of what they have not received yet.
    virtual void openSession(qint64 userId, int pendingLimit, StorageCallback<SessionOpening> done) = 0;
    virtual void appendMessage(const AppendRequest &request, StorageCallback<AppendResult> done) = 0;
    virtual void history(const HistoryQuery &query, StorageCallback<HistoryPage> done) = 0;
    virtual void conversations(qint64 userId, StorageCallback<QList<ConversationInfo>> done) = 0;
    virtual void conversation(qint64 userId, qint64 conversationId, StorageCallback<ConversationInfo> done) = 0;
    // Participants of a conversation the user belongs to (not_found / forbidden otherwise).
    virtual void participants(qint64 userId, qint64 conversationId, StorageCallback<QList<qint64>> done) = 0;
    virtual void updateWatermark(const WatermarkUpdate &update, StorageCallback<WatermarkResult> done) = 0;
    virtual void createGroup(const GroupCreate &request, StorageCallback<ConversationInfo> done) = 0;
    virtual void changeMembership(const MembershipChange &change, StorageCallback<MembershipResult> done) = 0;
};

} // namespace Switchboard::Server
