#pragma once

#include <QList>
#include <QString>
#include <functional>
#include <optional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// The storage facade the services talk to. Every operation is asynchronous: it is queued to the
// storage thread and its callback runs later on the thread that called start() (the event loop),
// after the transaction that carried it has committed. Errors come back as ProtocolError with the
// wire code (not_found, forbidden, conflict, unavailable) so services can pass them on unchanged.
class Storage
{
public:
    template<typename T>
    using Callback = std::function<void(Result<T>)>;

    virtual ~Storage();

    // Opens the database and runs migrations; blocks (startup only).
    virtual bool start(QString *error) = 0;
    // Finishes everything queued, then closes. Blocks (shutdown only).
    virtual void stop() = 0;
    // False while the database is unreachable (sends then get `unavailable`).
    virtual bool isAvailable() const = 0;
    virtual int schemaVersion() const = 0;

    virtual void createUser(const NewUser &user, Callback<UserInfo> done) = 0;
    virtual void findCredentials(const QString &username, Callback<std::optional<StoredUser>> done) = 0;
    virtual void user(qint64 userId, Callback<UserInfo> done) = 0;
    virtual void searchUsers(const QString &query, int limit, Callback<QList<UserInfo>> done) = 0;
    virtual void touchLastSeen(qint64 userId, qint64 when, Callback<Done> done) = 0;

    virtual void openSession(qint64 userId, int pendingLimit, Callback<SessionOpening> done) = 0;
    virtual void appendMessage(const AppendRequest &request, Callback<AppendResult> done) = 0;
    virtual void history(const HistoryQuery &query, Callback<HistoryPage> done) = 0;
    virtual void conversations(qint64 userId, Callback<QList<ConversationInfo>> done) = 0;
    virtual void conversation(qint64 userId, qint64 conversationId, Callback<ConversationInfo> done) = 0;
    // Participants of a conversation the user belongs to (not_found / forbidden otherwise).
    virtual void participants(qint64 userId, qint64 conversationId, Callback<QList<qint64>> done) = 0;
    virtual void updateWatermark(const WatermarkUpdate &update, Callback<WatermarkResult> done) = 0;

    virtual void createGroup(const GroupCreate &request, Callback<ConversationInfo> done) = 0;
    virtual void changeMembership(const MembershipChange &change, Callback<MembershipResult> done) = 0;
    virtual void contacts(qint64 ownerId, Callback<QList<ContactInfo>> done) = 0;
    virtual void addContact(qint64 ownerId, qint64 contactId, Callback<ContactInfo> done) = 0;
    virtual void removeContact(qint64 ownerId, qint64 contactId, Callback<Done> done) = 0;
    // Users who may see this user's presence: conversation peers and those who have them as contact.
    virtual void presenceWatchers(qint64 userId, Callback<QList<qint64>> done) = 0;
    virtual void lastSeen(const QList<qint64> &userIds, Callback<QHash<qint64, qint64>> done) = 0;

    // Support conversations (PROTOCOL.md section 10).
    virtual void supportOpen(qint64 userId, const QString &topic, Callback<ConversationInfo> done) = 0;
    virtual void supportQueue(qint64 agentId, Callback<QList<ConversationInfo>> done) = 0;
    virtual void supportAssign(const SupportAssignment &assignment, Callback<ConversationInfo> done) = 0;
    virtual void supportClose(qint64 conversationId, Callback<ConversationInfo> done) = 0;
    // Assigns to the candidate (in the given order of preference on ties) with the fewest open
    // chats below `capacity`; not_found when nobody can take it.
    virtual void supportAutoAssign(qint64 conversationId, const QList<qint64> &candidates, int capacity,
                                   Callback<ConversationInfo> done) = 0;
    // Returns every open chat of the agent to the queue.
    virtual void supportRequeue(qint64 agentId, Callback<QList<ConversationInfo>> done) = 0;

    // Uploaded files (PROTOCOL.md section 8).
    virtual void createFile(const FileRecord &file, Callback<FileRecord> done) = 0;
    // The file if the user uploaded it or takes part in a conversation where it was sent
    // (not_found / forbidden otherwise).
    virtual void fileForUser(qint64 userId, qint64 fileId, Callback<FileRecord> done) = 0;
    virtual void file(qint64 fileId, Callback<FileRecord> done) = 0;

    // Offline push (PROTOCOL.md section 11).
    virtual void registerPush(qint64 userId, const QString &platform, const QString &token, Callback<Done> done) = 0;
    // Claims up to `limit` due notifications, leasing them for `leaseMs` (a crash mid-send makes
    // them due again after the lease).
    virtual void claimPush(int limit, qint64 leaseMs, Callback<QList<PushJob>> done) = 0;
    // Records the outcome of one attempt: delivered, or retry at `retryAt` (0: give up).
    virtual void finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, Callback<Done> done) = 0;
    virtual void pushFailures(int limit, Callback<QList<PushJob>> done) = 0;

    // Returns the stored value of `key`, storing `valueIfMissing` first when there is none.
    virtual void loadOrStoreSetting(const QString &key, const QString &valueIfMissing,
                                    Callback<QString> done) = 0;
};

} // namespace Switchboard::Server
