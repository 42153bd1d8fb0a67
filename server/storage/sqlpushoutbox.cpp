#include "server/storage/sqlpushoutbox.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"
#include "server/storage/sqlusers.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlPushOutbox::SqlPushOutbox(SqlContext &sql, SqlUsers &users) : m_sql(sql), m_users(users)
{ }

Result<int> SqlPushOutbox::queuePush(const ChatMessage &message, const QList<qint64> &participants)
{
    int queued = 0;
    QString senderName;
    for (qint64 userId : participants) {
        if (!m_sql.rules().wantsPush(userId, message))
            continue;
        QSqlQuery *q
            = m_sql.run(u"SELECT platform, token FROM push_registrations WHERE user_id = ? ORDER BY id"_s, {userId});
        if (!q)
            return m_sql.storageError();
        QList<QPair<QString, QString>> registrations;
        while (q->next())
            registrations.append({q->value(0).toString(), q->value(1).toString()});
        if (registrations.isEmpty())
            continue;
        if (senderName.isNull()) {
            auto sender = m_users.user(message.senderId);
            if (!sender)
                return sender.error();
            senderName = sender->displayName;
        }
        const QString text = m_sql.rules().pushPayload(message, userId, senderName);
        for (const auto &[platform, token] : std::as_const(registrations)) {
            if (!m_sql.run(u"INSERT INTO push_outbox (user_id, platform, token, message_id, payload, status, attempts,"
                           " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)"_s,
                    {userId, platform, token, message.id, text, message.createdAt, message.createdAt,
                        message.createdAt}))
                return m_sql.storageError();
            ++queued;
        }
    }
    return queued;
}

Result<Done> SqlPushOutbox::registerPush(qint64 userId, const QString &platform, const QString &token, qint64 now)
{
    // A device token belongs to whoever registered it last (a shared device changes hands).
    if (!m_sql.run(u"DELETE FROM push_registrations WHERE platform = ? AND token = ?"_s, {platform, token}))
        return m_sql.storageError();
    if (!m_sql.run(u"INSERT INTO push_registrations (user_id, platform, token, created_at) VALUES (?, ?, ?, ?)"_s,
            {userId, platform, token, now}))
        return m_sql.storageError();
    // Bounded per user: the oldest registrations beyond the rules' number go (every message to an
    // offline user costs one outbox row per registration).
    if (!m_sql.run(u"DELETE FROM push_registrations WHERE user_id = ? AND id NOT IN"
                   " (SELECT id FROM push_registrations WHERE user_id = ? ORDER BY id DESC LIMIT ?)"_s,
            {userId, userId, m_sql.rules().maxPushRegistrationsPerUser()}))
        return m_sql.storageError();
    return Done {};
}

namespace {
PushJob readPushJob(const QSqlQuery &q)
{
    PushJob j;
    j.id = q.value(0).toLongLong();
    j.userId = q.value(1).toLongLong();
    j.platform = q.value(2).toString();
    j.token = q.value(3).toString();
    j.payload = q.value(4).toString().toUtf8();
    j.attempts = q.value(5).toInt();
    j.lastError = q.value(6).isNull() ? QString() : q.value(6).toString();
    j.status = q.value(7).toString();
    j.updatedAt = q.value(8).toLongLong();
    return j;
}
const QString kPushColumns = u"id, user_id, platform, token, payload, attempts, last_error, status, updated_at"_s;
} // namespace

Result<QList<PushJob>> SqlPushOutbox::claimPush(int limit, qint64 leaseMs, qint64 now)
{
    // Keep the outbox bounded: delivered notifications are kept a day for the admin view.
    if (!m_sql.run(u"DELETE FROM push_outbox WHERE status = 'sent' AND updated_at < ?"_s, {now - 24LL * 3600 * 1000}))
        return m_sql.storageError();
    QSqlQuery *q = m_sql.run(u"SELECT "_s + kPushColumns
            + u" FROM push_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"_s,
        {now, limit});
    if (!q)
        return m_sql.storageError();
    QList<PushJob> jobs;
    while (q->next())
        jobs.append(readPushJob(*q));
    for (const PushJob &j : std::as_const(jobs)) {
        if (!m_sql.run(
                u"UPDATE push_outbox SET next_attempt_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?"_s,
                {now + leaseMs, now, j.id}))
            return m_sql.storageError();
    }
    for (PushJob &j : jobs)
        ++j.attempts;
    return jobs;
}

Result<Done> SqlPushOutbox::finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, qint64 now)
{
    if (delivered) {
        if (!m_sql.run(u"UPDATE push_outbox SET status = 'sent', last_error = NULL, updated_at = ? WHERE id = ?"_s,
                {now, jobId}))
            return m_sql.storageError();
    } else if (retryAt > 0) {
        if (!m_sql.run(u"UPDATE push_outbox SET next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?"_s,
                {retryAt, error.left(500), now, jobId}))
            return m_sql.storageError();
    } else {
        if (!m_sql.run(u"UPDATE push_outbox SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?"_s,
                {error.left(500), now, jobId}))
            return m_sql.storageError();
    }
    return Done {};
}

Result<QList<PushJob>> SqlPushOutbox::pushFailures(int limit)
{
    QSqlQuery *q = m_sql.run(u"SELECT "_s + kPushColumns
            + u" FROM push_outbox WHERE last_error IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT ?"_s,
        {limit});
    if (!q)
        return m_sql.storageError();
    QList<PushJob> jobs;
    while (q->next())
        jobs.append(readPushJob(*q));
    return jobs;
}

} // namespace Switchboard::Server
