#pragma once

#include <QObject>
#include <QString>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "server/storage/databaseurl.h"
#include "server/storage/storage.h"
#include "server/storage/storagerules.h"

class QThread;

namespace Switchboard::Server {

class SqlOperations;

struct SqlStorageOptions
{
    DatabaseUrl url;
    bool sqliteFullSync = true; // PRAGMA synchronous=FULL (survives power loss), else NORMAL
    int queueLimit = 10000; // pending jobs; beyond it callers get `unavailable`
    int maxBatch = 512; // jobs per transaction
    // How long a write that finds the storage thread idle waits for more jobs before it commits.
    std::chrono::microseconds commitWindow {0};
    // The services' decisions inside a transaction (required; read by the storage thread).
    std::shared_ptr<const StorageRules> rules;
};

// Storage over QSqlDatabase (SQLite or PostgreSQL) on a dedicated thread with its own connection.
// Whatever is queued when the thread wakes runs in one transaction (group commit); each write job
// runs inside a savepoint so that a failing job does not take the rest of the batch with it.
// Callbacks are posted back to the owner's thread after COMMIT. If the database becomes
// unreachable, queued and new jobs fail with `unavailable` while the thread reconnects with backoff.
class SqlStorage final : public QObject, public Storage
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SqlStorage)

public:
    explicit SqlStorage(SqlStorageOptions options, QObject *parent = nullptr);
    ~SqlStorage() override;

    bool start(QString *error) override;
    void stop() override;
    bool isAvailable() const override { return m_available.load(); }
    int schemaVersion() const override { return m_schemaVersion; }
    // Jobs waiting for the storage thread (for metrics).
    int queuedJobs() const;

    void createUser(const NewUser &user, Callback<UserInfo> done) override;
    void findCredentials(const QString &username, Callback<std::optional<StoredUser>> done) override;
    void account(qint64 userId, Callback<Account> done) override;
    void bumpTokenVersion(qint64 userId, Callback<qint64> done) override;
    void searchUsers(const QString &query, int limit, Callback<QList<UserInfo>> done) override;
    void touchLastSeen(qint64 userId, qint64 when, Callback<Done> done) override;
    void openSession(qint64 userId, int pendingLimit, Callback<SessionOpening> done) override;
    void appendMessage(const AppendRequest &request, Callback<AppendResult> done) override;
    void history(const HistoryQuery &query, Callback<HistoryPage> done) override;
    void conversations(qint64 userId, Callback<QList<ConversationInfo>> done) override;
    void conversation(qint64 userId, qint64 conversationId, Callback<ConversationInfo> done) override;
    void participants(qint64 userId, qint64 conversationId, Callback<QList<qint64>> done) override;
    void updateWatermark(const WatermarkUpdate &update, Callback<WatermarkResult> done) override;
    void loadOrStoreSetting(const QString &key, const QString &valueIfMissing, Callback<QString> done) override;
    void createGroup(const GroupCreate &request, Callback<ConversationInfo> done) override;
    void changeMembership(const MembershipChange &change, Callback<MembershipResult> done) override;
    void contacts(qint64 ownerId, Callback<QList<ContactInfo>> done) override;
    void addContact(qint64 ownerId, qint64 contactId, Callback<ContactInfo> done) override;
    void removeContact(qint64 ownerId, qint64 contactId, Callback<Done> done) override;
    void presenceWatchers(qint64 userId, Callback<QList<qint64>> done) override;
    void lastSeen(const QList<qint64> &userIds, Callback<QHash<qint64, qint64>> done) override;
    void supportOpen(qint64 userId, const QString &topic, Callback<ConversationInfo> done) override;
    void supportQueue(qint64 agentId, Callback<QList<ConversationInfo>> done) override;
    void supportAssign(const SupportAssignment &assignment, Callback<ConversationInfo> done) override;
    void supportClose(qint64 conversationId, Callback<ConversationInfo> done) override;
    void supportAutoAssign(
        qint64 conversationId, const QList<qint64> &candidates, int capacity, Callback<ConversationInfo> done) override;
    void supportRequeue(qint64 agentId, Callback<QList<ConversationInfo>> done) override;
    void createFile(const FileRecord &file, Callback<FileRecord> done) override;
    void fileForUser(qint64 userId, qint64 fileId, Callback<FileRecord> done) override;
    void file(qint64 fileId, Callback<FileRecord> done) override;
    void registerPush(qint64 userId, const QString &platform, const QString &token, Callback<Done> done) override;
    void claimPush(int limit, qint64 leaseMs, Callback<QList<PushJob>> done) override;
    void finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, Callback<Done> done) override;
    void pushFailures(int limit, Callback<QList<PushJob>> done) override;

Q_SIGNALS:
    void availabilityChanged(bool available);

private:
    struct Job
    {
        bool write = false;
        std::function<void(SqlOperations &)> run; // storage thread
        std::function<void(bool committed)> finish; // owner thread
    };

    template<typename T> void submit(bool write, std::function<Result<T>(SqlOperations &)> operation, Callback<T> done);
    void enqueue(Job job);
    void workerLoop();
    bool openConnection(QString *error);
    void closeConnection();
    void runBatch(std::deque<Job> &batch);
    enum class FastBatch { Committed, JobFailed, CouldNotBegin };
    FastBatch runBatchWithoutSavepoints(std::deque<Job> &batch);
    size_t fullBatch() const;
    // Answers every job of the batch with `unavailable` (nothing of it was stored).
    void failBatch(std::deque<Job> &batch);
    void checkReachable();
    void deliver(std::vector<std::function<void(bool)>> finishers, bool committed);
    void setAvailable(bool available);

    SqlStorageOptions m_options;
    QString m_connectionName;
    std::unique_ptr<SqlOperations> m_ops; // storage thread only
    QThread *m_thread = nullptr;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_collecting = false; // guarded by m_mutex: the worker waits out the commit window
    std::deque<Job> m_queue;
    bool m_stopping = false;
    std::atomic<bool> m_available {false};
    int m_schemaVersion = 0;
    // start() result handed from the storage thread
    std::mutex m_startMutex;
    std::condition_variable m_started;
    bool m_startDone = false;
    bool m_startOk = false;
    QString m_startError;
};

} // namespace Switchboard::Server
