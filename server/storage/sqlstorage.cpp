#include "server/storage/sqlstorage.h"

#include <algorithm>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QThread>
#include <QUrl>
#include <QUuid>
#include <chrono>

#include "server/storage/logging.h"
#include "server/storage/migrations.h"
#include "server/storage/sqloperations.h"
#include "server/storage/walwritebuffer.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
ProtocolError unavailable()
{
    return ProtocolError::make(ErrorCode::Unavailable, u"Storage is temporarily unavailable; nothing was stored"_s);
}
} // namespace

SqlStorage::SqlStorage(SqlStorageOptions options, QObject *parent)
    : QObject(parent),
      m_options(std::move(options)),
      m_connectionName(u"switchboard-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
{ }

SqlStorage::~SqlStorage()
{
    stop();
}

bool SqlStorage::start(QString *error)
{
    if (!m_options.rules) {
        *error = u"no storage rules given (SqlStorageOptions::rules)"_s;
        return false;
    }
    const QString driver = m_options.url.backend == DatabaseUrl::Backend::Sqlite ? u"QSQLITE"_s : u"QPSQL"_s;
    if (!QSqlDatabase::isDriverAvailable(driver)) {
        *error = u"the Qt SQL driver %1 is not installed (Debian: %2); available drivers: %3"_s.arg(driver,
            driver == u"QSQLITE"_s ? u"libqt6sql6-sqlite"_s : u"libqt6sql6-psql"_s,
            QSqlDatabase::drivers().join(u", "_s));
        return false;
    }
    m_thread = QThread::create([this] { workerLoop(); });
    m_thread->setObjectName(u"storage"_s);
    m_thread->start();
    std::unique_lock lock(m_startMutex);
    m_started.wait(lock, [this] { return m_startDone; });
    if (!m_startOk) {
        *error = m_startError;
        lock.unlock();
        stop();
        return false;
    }
    return true;
}

void SqlStorage::stop()
{
    if (!m_thread)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    // Completions posted by the final batches are still queued on this thread's event loop; they
    // run when the caller spins it (the server does before exiting).
}

int SqlStorage::queuedJobs() const
{
    std::lock_guard lock(m_mutex);
    return int(m_queue.size());
}

bool SqlStorage::openConnection(QString *error)
{
    const bool sqlite = m_options.url.backend == DatabaseUrl::Backend::Sqlite;
    QSqlDatabase db = QSqlDatabase::addDatabase(sqlite ? u"QSQLITE"_s : u"QPSQL"_s, m_connectionName);
    bool walBuffer = false;
    if (sqlite) {
        const QFileInfo file(m_options.url.path);
        QDir().mkpath(file.absolutePath());
        // Commits gather their WAL frames into one write (WalWriteBuffer); only with FULL, where
        // every commit syncs the WAL before publishing it. SB_SQLITE_WAL_BUFFER=0 turns it off.
        QString why;
        walBuffer = m_options.sqliteFullSync && qEnvironmentVariable("SB_SQLITE_WAL_BUFFER") != u"0"_s
            && WalWriteBuffer::install(&why);
        if (!why.isEmpty())
            qCWarning(lcStorage).noquote() << "WAL write buffer not available:" << why;
        if (walBuffer) {
            db.setDatabaseName(QUrl::fromLocalFile(file.absoluteFilePath()).toString(QUrl::FullyEncoded) + u"?vfs="_s
                + QString::fromLatin1(WalWriteBuffer::vfsName()));
            db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000;QSQLITE_OPEN_URI"_s);
        } else {
            db.setDatabaseName(m_options.url.path);
            db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000"_s);
        }
    } else {
        db.setHostName(m_options.url.host);
        db.setPort(m_options.url.port);
        db.setUserName(m_options.url.user);
        db.setPassword(m_options.url.password);
        db.setDatabaseName(m_options.url.database);
        db.setConnectOptions(u"connect_timeout=5"_s);
    }
    if (walBuffer && !db.open()) {
        // The Qt driver may carry its own copy of SQLite, which does not know our VFS.
        qCInfo(lcStorage).noquote() << "opening without the WAL write buffer:" << db.lastError().text();
        walBuffer = false;
        db.setDatabaseName(m_options.url.path);
        db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000"_s);
    }
    if (!db.isOpen() && !db.open()) {
        *error = u"cannot open %1: %2"_s.arg(m_options.url.redacted(), db.lastError().text());
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
        return false;
    }
    if (sqlite) {
        // The database holds the JWT secret and every message: the server's user only. New files
        // get that from the server's umask; this tightens a database created before.
        for (const QString &suffix : {QString(), u"-wal"_s, u"-shm"_s}) {
            QFile file(m_options.url.path + suffix);
            if (file.exists()
                && (file.permissions() & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther)))
                file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        }
    }
    const auto dialect = sqlite ? Migrations::Dialect::Sqlite : Migrations::Dialect::PostgreSql;
    m_ops = std::make_unique<SqlOperations>(db, dialect, *m_options.rules);
    if (sqlite) {
        // WAL lets readers run beside the writer; FULL fsyncs every commit (group commit makes it
        // cheap), NORMAL only at checkpoints (still safe against a killed process).
        // UTF-16 text: Qt hands SQLite UTF-16, and reading UTF-8 back as UTF-16 would turn the
        // noncharacters U+FFFE/U+FFFF into U+FFFD. Only takes effect on a new database.
        const QStringList pragmas {u"PRAGMA encoding='UTF-16le'"_s, u"PRAGMA journal_mode=WAL"_s,
            m_options.sqliteFullSync ? u"PRAGMA synchronous=FULL"_s : u"PRAGMA synchronous=NORMAL"_s,
            u"PRAGMA foreign_keys=ON"_s, u"PRAGMA temp_store=MEMORY"_s, u"PRAGMA cache_size=-16000"_s,
            // Checkpoint every ~40 MB of WAL rather than 4 MB: pages that
            // change again and again (indexes, conversations) are copied
            // into the database file once per checkpoint, not once per 4 MB.
            u"PRAGMA wal_autocheckpoint=10000"_s};
        for (const QString &p : pragmas) {
            if (!m_ops->execRaw(p)) {
                *error = u"cannot configure SQLite (%1)"_s.arg(p);
                closeConnection();
                return false;
            }
        }
    }
    if (walBuffer)
        qCInfo(lcStorage).nospace() << "SQLite WAL frames are written once per commit (" << WalWriteBuffer::vfsName()
                                    << " VFS)";
    int version = 0;
    if (!Migrations::migrate(m_ops->database(), dialect, &version, error)) {
        closeConnection();
        return false;
    }
    m_schemaVersion = version;
    return true;
}

void SqlStorage::closeConnection()
{
    if (m_ops) {
        // Finalizes every prepared statement first: Qt 6.4's SQLite driver closes with
        // sqlite3_close(), which refuses while statements of the connection are alive.
        m_ops->clearCaches();
        m_ops->database().close();
        m_ops.reset();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

void SqlStorage::setAvailable(bool available)
{
    if (m_available.exchange(available) != available) {
        QMetaObject::invokeMethod(
            this, [this, available] { Q_EMIT availabilityChanged(available); }, Qt::QueuedConnection);
    }
}

void SqlStorage::workerLoop()
{
    {
        QString error;
        const bool ok = openConnection(&error);
        setAvailable(ok);
        std::lock_guard lock(m_startMutex);
        m_startDone = true;
        m_startOk = ok;
        m_startError = error;
        m_started.notify_all();
        if (!ok)
            return;
    }
    auto backoff = std::chrono::milliseconds(100);
    auto nextReconnect = std::chrono::steady_clock::now();
    // Batches that begin closer together than this mean sustained load (see the commit window).
    constexpr auto kBusyGap = std::chrono::milliseconds(20);
    auto lastBatchStart = std::chrono::steady_clock::time_point {};
    size_t lastBatchSize = 0;
    for (;;) {
        std::deque<Job> batch;
        {
            std::unique_lock lock(m_mutex);
            if (m_available.load()) {
                // Idle for a while: check the database is still there, so /healthz tells the
                // truth before the next request fails.
                if (!m_wake.wait_for(
                        lock, std::chrono::seconds(2), [this] { return m_stopping || !m_queue.empty(); })) {
                    lock.unlock();
                    if (!m_ops || !m_ops->execRaw(u"SELECT 1"_s)) {
                        qCWarning(lcStorage) << "database unreachable; failing requests until it is back";
                        setAvailable(false);
                        nextReconnect = std::chrono::steady_clock::now();
                    }
                    continue;
                }
            } else {
                m_wake.wait_until(lock, nextReconnect, [this] { return m_stopping || !m_queue.empty(); });
            }
            if (m_queue.empty() && m_stopping)
                break;
            // Commit window: a write that finds the thread idle waits a moment for company, so
            // that one commit (one fsync, one write of each touched page) serves many jobs.
            // Only under sustained load (the previous batch held several jobs and began moments
            // ago): a quiet server, or a trickle of one message at a time, commits at once.
            const auto now = std::chrono::steady_clock::now();
            const bool busy = now - lastBatchStart < kBusyGap && lastBatchSize > 1;
            lastBatchStart = now;
            if (busy && m_options.commitWindow.count() > 0 && m_available.load() && !m_stopping
                && m_queue.size() < fullBatch()
                && std::any_of(m_queue.begin(), m_queue.end(), [](const Job &job) { return job.write; })) {
                m_collecting = true;
                m_wake.wait_for(
                    lock, m_options.commitWindow, [this] { return m_stopping || m_queue.size() >= fullBatch(); });
                m_collecting = false;
            }
            const size_t n = std::min<size_t>(m_queue.size(), size_t(m_options.maxBatch));
            lastBatchSize = n;
            for (size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
        }
        if (!m_available.load() && std::chrono::steady_clock::now() >= nextReconnect) {
            QString error;
            closeConnection();
            if (openConnection(&error)) {
                qCInfo(lcStorage) << "database reachable again";
                backoff = std::chrono::milliseconds(100);
                setAvailable(true);
            } else {
                qCWarning(lcStorage).noquote() << "database still unreachable:" << error;
                nextReconnect = std::chrono::steady_clock::now() + backoff;
                backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
            }
        }
        if (batch.empty())
            continue;
        if (!m_available.load() || !m_ops) {
            failBatch(batch);
            continue;
        }
        runBatch(batch);
        if (!m_available.load()) {
            nextReconnect = std::chrono::steady_clock::now() + backoff;
        }
    }
    closeConnection();
}

size_t SqlStorage::fullBatch() const
{
    // Stop collecting at a full batch, and long before the queue limit would refuse requests.
    return std::max<size_t>(1, std::min<size_t>(size_t(m_options.maxBatch), size_t(m_options.queueLimit) / 4));
}

SqlStorage::FastBatch SqlStorage::runBatchWithoutSavepoints(std::deque<Job> &batch)
{
    SqlOperations &ops = *m_ops;
    if (!ops.execControl(u"BEGIN IMMEDIATE"_s)) {
        // No write lock (another process holds it past the busy timeout) or no database: running
        // the batch again would only wait once more.
        ops.execRaw(u"ROLLBACK"_s);
        return FastBatch::CouldNotBegin;
    }
    for (Job &job : batch) {
        ops.resetFailure();
        job.run(ops);
        ops.finishStatements();
        if (ops.failed()) {
            // Some job left half its writes behind: undo the batch, then the caller runs it again
            // with a savepoint around each job. Jobs only compute results, so running again is safe.
            ops.execRaw(u"ROLLBACK"_s);
            ops.clearCaches();
            return FastBatch::JobFailed;
        }
    }
    if (!ops.execControl(u"COMMIT"_s)) {
        ops.execRaw(u"ROLLBACK"_s);
        ops.clearCaches();
        return FastBatch::JobFailed;
    }
    std::vector<std::function<void(bool)>> finishers;
    finishers.reserve(batch.size());
    for (Job &job : batch)
        finishers.push_back(std::move(job.finish));
    deliver(std::move(finishers), true);
    return FastBatch::Committed;
}

void SqlStorage::runBatch(std::deque<Job> &batch)
{
    SqlOperations &ops = *m_ops;
    const bool sqlite = ops.dialect() == Migrations::Dialect::Sqlite;
    bool anyWrite = false;
    for (const Job &job : batch)
        anyWrite = anyWrite || job.write;
    // SQLite: two statements per job are saved by trying the batch without savepoints first; jobs
    // that fail are rare (a failing statement, not a refused request), and then the batch is
    // simply run again the careful way below. (PostgreSQL aborts a transaction on any error, so
    // there the savepoints stay.)
    if (sqlite && anyWrite) {
        switch (runBatchWithoutSavepoints(batch)) {
        case FastBatch::Committed:
            return;
        case FastBatch::CouldNotBegin:
            failBatch(batch);
            checkReachable();
            return;
        case FastBatch::JobFailed:
            break; // the careful way below
        }
    }
    std::vector<std::function<void(bool)>> finishers;
    finishers.reserve(batch.size());
    bool ok = ops.execControl(sqlite && anyWrite ? u"BEGIN IMMEDIATE"_s : u"BEGIN"_s);
    if (ok) {
        for (Job &job : batch) {
            ops.resetFailure();
            // PostgreSQL aborts the whole transaction on any failed statement, so there every job
            // gets a savepoint; SQLite only needs them around writes.
            const bool savepoint = job.write || !sqlite;
            if (savepoint && !ops.execControl(u"SAVEPOINT job"_s)) {
                ok = false;
                break;
            }
            job.run(ops);
            ops.finishStatements();
            if (savepoint) {
                if (ops.failed()) {
                    // Undo this job only; its callback reports the failure it recorded.
                    if (!ops.execControl(u"ROLLBACK TO SAVEPOINT job"_s)) {
                        ok = false;
                        break;
                    }
                    ops.clearCaches();
                }
                if (!ops.execControl(u"RELEASE SAVEPOINT job"_s)) {
                    ok = false;
                    break;
                }
            }
            finishers.push_back(std::move(job.finish));
        }
    }
    if (ok)
        ok = ops.execControl(u"COMMIT"_s);
    if (!ok) {
        ops.execRaw(u"ROLLBACK"_s);
        ops.clearCaches();
        // Every job of the batch reports `unavailable`: nothing of it was stored. The jobs that
        // ran already handed their callbacks over (in batch order); add those of the others.
        for (size_t i = finishers.size(); i < batch.size(); ++i)
            finishers.push_back(std::move(batch[i].finish));
        checkReachable();
    }
    deliver(std::move(finishers), ok);
}

void SqlStorage::failBatch(std::deque<Job> &batch)
{
    std::vector<std::function<void(bool)>> finishers;
    finishers.reserve(batch.size());
    for (Job &job : batch)
        finishers.push_back(std::move(job.finish));
    deliver(std::move(finishers), false);
}

void SqlStorage::checkReachable()
{
    // After a failed batch: is the database gone, or was it one bad batch?
    if (!m_ops->execRaw(u"SELECT 1"_s)) {
        qCWarning(lcStorage) << "database unreachable; failing requests until it is back";
        setAvailable(false);
    }
}

void SqlStorage::deliver(std::vector<std::function<void(bool)>> finishers, bool committed)
{
    QMetaObject::invokeMethod(
        this,
        [finishers = std::move(finishers), committed] {
            for (const auto &finish : finishers)
                finish(committed);
        },
        Qt::QueuedConnection);
}

void SqlStorage::enqueue(Job job)
{
    {
        std::unique_lock lock(m_mutex);
        if (!m_stopping && m_queue.size() < size_t(m_options.queueLimit)) {
            m_queue.push_back(std::move(job));
            // While the worker collects a batch, only a full batch is worth waking it for.
            const bool wake = !m_collecting || m_queue.size() >= fullBatch();
            lock.unlock();
            if (wake)
                m_wake.notify_one();
            return;
        }
    }
    // Queue full (or shutting down): refuse now rather than grow without bound. Posted, not called,
    // so callers always see their callback asynchronously.
    auto finish = std::move(job.finish);
    QMetaObject::invokeMethod(
        this, [finish] { finish(false); }, Qt::QueuedConnection);
}

template<typename T>
void SqlStorage::submit(bool write, std::function<Result<T>(SqlOperations &)> operation, Callback<T> done)
{
    auto slot = std::make_shared<std::optional<Result<T>>>();
    Job job;
    job.write = write;
    job.run = [slot, operation = std::move(operation)](SqlOperations &ops) { slot->emplace(operation(ops)); };
    job.finish = [slot, done = std::move(done)](bool committed) {
        if (!committed || !slot->has_value()) {
            done(unavailable());
            return;
        }
        done(std::move(**slot));
    };
    enqueue(std::move(job));
}

void SqlStorage::createUser(const NewUser &user, Callback<UserInfo> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<UserInfo>(
        true, [user, now](SqlOperations &ops) { return ops.users().createUser(user, now); }, std::move(done));
}

void SqlStorage::findCredentials(const QString &username, Callback<std::optional<StoredUser>> done)
{
    submit<std::optional<StoredUser>>(
        false, [username](SqlOperations &ops) { return ops.users().findCredentials(username); }, std::move(done));
}

void SqlStorage::account(qint64 userId, Callback<Account> done)
{
    submit<Account>(
        false, [userId](SqlOperations &ops) { return ops.users().account(userId); }, std::move(done));
}

void SqlStorage::bumpTokenVersion(qint64 userId, Callback<qint64> done)
{
    submit<qint64>(
        true, [userId](SqlOperations &ops) { return ops.users().bumpTokenVersion(userId); }, std::move(done));
}

void SqlStorage::searchUsers(const QString &query, int limit, Callback<QList<UserInfo>> done)
{
    submit<QList<UserInfo>>(
        false, [query, limit](SqlOperations &ops) { return ops.users().searchUsers(query, limit); }, std::move(done));
}

void SqlStorage::touchLastSeen(qint64 userId, qint64 when, Callback<Done> done)
{
    submit<Done>(
        true, [userId, when](SqlOperations &ops) { return ops.users().touchLastSeen(userId, when); }, std::move(done));
}

void SqlStorage::openSession(qint64 userId, int pendingLimit, Callback<SessionOpening> done)
{
    submit<SessionOpening>(
        false,
        [userId, pendingLimit](SqlOperations &ops) { return ops.conversations().openSession(userId, pendingLimit); },
        std::move(done));
}

void SqlStorage::appendMessage(const AppendRequest &request, Callback<AppendResult> done)
{
    submit<AppendResult>(
        true, [request](SqlOperations &ops) { return ops.conversations().appendMessage(request); }, std::move(done));
}

void SqlStorage::history(const HistoryQuery &query, Callback<HistoryPage> done)
{
    submit<HistoryPage>(
        false, [query](SqlOperations &ops) { return ops.conversations().history(query); }, std::move(done));
}

void SqlStorage::conversations(qint64 userId, Callback<QList<ConversationInfo>> done)
{
    submit<QList<ConversationInfo>>(
        false, [userId](SqlOperations &ops) { return ops.conversations().conversations(userId); }, std::move(done));
}

void SqlStorage::conversation(qint64 userId, qint64 conversationId, Callback<ConversationInfo> done)
{
    submit<ConversationInfo>(
        false,
        [userId, conversationId](
            SqlOperations &ops) { return ops.conversations().conversation(userId, conversationId); },
        std::move(done));
}

void SqlStorage::participants(qint64 userId, qint64 conversationId, Callback<QList<qint64>> done)
{
    submit<QList<qint64>>(
        false,
        [userId, conversationId](
            SqlOperations &ops) { return ops.conversations().participantsFor(userId, conversationId); },
        std::move(done));
}

void SqlStorage::updateWatermark(const WatermarkUpdate &update, Callback<WatermarkResult> done)
{
    submit<WatermarkResult>(
        true, [update](SqlOperations &ops) { return ops.conversations().updateWatermark(update); }, std::move(done));
}

void SqlStorage::loadOrStoreSetting(const QString &key, const QString &valueIfMissing, Callback<QString> done)
{
    submit<QString>(
        true,
        [key, valueIfMissing](SqlOperations &ops) { return ops.settings().loadOrStoreSetting(key, valueIfMissing); },
        std::move(done));
}

void SqlStorage::createGroup(const GroupCreate &request, Callback<ConversationInfo> done)
{
    submit<ConversationInfo>(
        true, [request](SqlOperations &ops) { return ops.conversations().createGroup(request); }, std::move(done));
}

void SqlStorage::changeMembership(const MembershipChange &change, Callback<MembershipResult> done)
{
    submit<MembershipResult>(
        true, [change](SqlOperations &ops) { return ops.conversations().changeMembership(change); }, std::move(done));
}

void SqlStorage::contacts(qint64 ownerId, Callback<QList<ContactInfo>> done)
{
    submit<QList<ContactInfo>>(
        false, [ownerId](SqlOperations &ops) { return ops.contacts().contacts(ownerId); }, std::move(done));
}

void SqlStorage::addContact(qint64 ownerId, qint64 contactId, Callback<ContactInfo> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<ContactInfo>(
        true,
        [ownerId, contactId, now](SqlOperations &ops) { return ops.contacts().addContact(ownerId, contactId, now); },
        std::move(done));
}

void SqlStorage::removeContact(qint64 ownerId, qint64 contactId, Callback<Done> done)
{
    submit<Done>(
        true, [ownerId, contactId](SqlOperations &ops) { return ops.contacts().removeContact(ownerId, contactId); },
        std::move(done));
}

void SqlStorage::presenceWatchers(qint64 userId, Callback<QList<qint64>> done)
{
    submit<QList<qint64>>(
        false, [userId](SqlOperations &ops) { return ops.contacts().presenceWatchers(userId); }, std::move(done));
}

void SqlStorage::lastSeen(const QList<qint64> &userIds, Callback<QHash<qint64, qint64>> done)
{
    submit<QHash<qint64, qint64>>(
        false, [userIds](SqlOperations &ops) { return ops.users().lastSeen(userIds); }, std::move(done));
}

void SqlStorage::supportOpen(qint64 userId, const QString &topic, Callback<ConversationInfo> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<ConversationInfo>(
        true, [userId, topic, now](SqlOperations &ops) { return ops.support().supportOpen(userId, topic, now); },
        std::move(done));
}

void SqlStorage::supportQueue(qint64 agentId, Callback<QList<ConversationInfo>> done)
{
    submit<QList<ConversationInfo>>(
        false, [agentId](SqlOperations &ops) { return ops.support().supportQueue(agentId); }, std::move(done));
}

void SqlStorage::supportAssign(const SupportAssignment &assignment, Callback<ConversationInfo> done)
{
    submit<ConversationInfo>(
        true, [assignment](SqlOperations &ops) { return ops.support().supportAssign(assignment); }, std::move(done));
}

void SqlStorage::supportClose(qint64 conversationId, Callback<ConversationInfo> done)
{
    submit<ConversationInfo>(
        true, [conversationId](SqlOperations &ops) { return ops.support().supportClose(conversationId); },
        std::move(done));
}

void SqlStorage::supportAutoAssign(
    qint64 conversationId, const QList<qint64> &candidates, int capacity, Callback<ConversationInfo> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<ConversationInfo>(
        true,
        [conversationId, candidates, capacity, now](
            SqlOperations &ops) { return ops.support().supportAutoAssign(conversationId, candidates, capacity, now); },
        std::move(done));
}

void SqlStorage::supportRequeue(qint64 agentId, Callback<QList<ConversationInfo>> done)
{
    submit<QList<ConversationInfo>>(
        true, [agentId](SqlOperations &ops) { return ops.support().supportRequeue(agentId); }, std::move(done));
}

void SqlStorage::createFile(const FileRecord &file, Callback<FileRecord> done)
{
    submit<FileRecord>(
        true, [file](SqlOperations &ops) { return ops.files().createFile(file); }, std::move(done));
}

void SqlStorage::fileForUser(qint64 userId, qint64 fileId, Callback<FileRecord> done)
{
    submit<FileRecord>(
        false, [userId, fileId](SqlOperations &ops) { return ops.files().fileForUser(userId, fileId); },
        std::move(done));
}

void SqlStorage::file(qint64 fileId, Callback<FileRecord> done)
{
    submit<FileRecord>(
        false, [fileId](SqlOperations &ops) { return ops.files().file(fileId); }, std::move(done));
}

void SqlStorage::registerPush(qint64 userId, const QString &platform, const QString &token, Callback<Done> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<Done>(
        true,
        [userId, platform, token, now](
            SqlOperations &ops) { return ops.push().registerPush(userId, platform, token, now); },
        std::move(done));
}

void SqlStorage::claimPush(int limit, qint64 leaseMs, Callback<QList<PushJob>> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<QList<PushJob>>(
        true, [limit, leaseMs, now](SqlOperations &ops) { return ops.push().claimPush(limit, leaseMs, now); },
        std::move(done));
}

void SqlStorage::finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, Callback<Done> done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    submit<Done>(
        true,
        [jobId, delivered, retryAt, error, now](
            SqlOperations &ops) { return ops.push().finishPush(jobId, delivered, retryAt, error, now); },
        std::move(done));
}

void SqlStorage::pushFailures(int limit, Callback<QList<PushJob>> done)
{
    submit<QList<PushJob>>(
        false, [limit](SqlOperations &ops) { return ops.push().pushFailures(limit); }, std::move(done));
}

} // namespace Switchboard::Server
