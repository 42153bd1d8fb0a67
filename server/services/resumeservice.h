#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class Session;

// Resumable sessions (PROTOCOL.md section 6, "Reconnect"): what a connection had (session id,
// rooms and how far it had seen each, status) survives its disconnect for reconnection_ttl and can
// be taken over by a new connection presenting the single-use resume token. Used or wrong tokens
// count as failed attempts; after reconnection_max_attempts the session is gone.
class ResumeService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResumeService)

public:
    struct Record
    {
        QString sessionId;
        UserInfo user;
        QString status; // explicit status at disconnect ("online"/"away")
        QHash<QString, quint64> rooms; // room -> last broadcast seq seen
        QString token; // current resume token
        qint64 tokenVersion = 0; // the account's token version when the session opened
        QStringList usedTokens; // this session's spent tokens still in m_usedTokens
        int failures = 0;
        qint64 detachedAt = 0; // 0 while a connection holds it
        QPointer<Session> live;
    };

    ResumeService(int ttlSeconds, int maxAttempts, QObject *parent = nullptr);

    // A fresh resumable session for a newly authenticated connection; returns its resume token.
    QString create(Session *session, const QString &sessionId, qint64 tokenVersion = 0);
    // The connection closed: remember its rooms and status.
    void detach(Session *session, const QHash<QString, quint64> &rooms, const QString &status);
    // Takes over the session of `token`; on success the record carries a new token.
    Result<Record> resume(const QString &token, Session *session);
    int size() const { return int(m_records.size()); }
    // A kick ends resumption at once (the token version bump reaches storage a moment later).
    void forgetSession(const QString &sessionId);
    void forgetUser(qint64 userId);

private:
    void forget(const QString &sessionId);
    void sweep();

    qint64 m_ttlMs;
    int m_maxAttempts;
    QHash<QString, Record> m_records; // by session id
    QHash<QString, QString> m_currentTokens; // token -> session id
    QHash<QString, QPair<QString, qint64>> m_usedTokens; // token -> (session id, used at)
    QHash<qint64, QStringList> m_byUser; // user -> session ids, oldest first
    QTimer m_sweep;
    // Bounds: per user (a reconnecting client leaves a detached record behind each time) and in
    // all. Beyond them the oldest detached records go first.
    static constexpr int kMaxRecords = 200000;
    static constexpr int kMaxRecordsPerUser = 20;
    void makeRoom(qint64 userId);
};

} // namespace Switchboard::Server
