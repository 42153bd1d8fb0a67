#include "server/services/resumeservice.h"

#include <algorithm>
#include <vector>

#include <QDateTime>
#include <limits>

#include "server/security/tokensigner.h"
#include "server/sessions/session.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
ProtocolError refused()
{
    return ProtocolError::make(ErrorCode::AuthFailed, u"Unknown, used or expired resume token"_s);
}
} // namespace

ResumeService::ResumeService(int ttlSeconds, int maxAttempts, QObject *parent)
    : QObject(parent), m_ttlMs(qint64(ttlSeconds) * 1000), m_maxAttempts(maxAttempts)
{
    m_sweep.setInterval(std::clamp<int>(ttlSeconds * 1000 / 5, 250, 10000));
    connect(&m_sweep, &QTimer::timeout, this, &ResumeService::sweep);
    m_sweep.start();
}

QString ResumeService::create(Session *session, const QString &sessionId, qint64 tokenVersion)
{
    makeRoom(session->userId());
    Record r;
    r.sessionId = sessionId;
    r.user = session->user();
    r.status = u"online"_s;
    r.tokenVersion = tokenVersion;
    r.token = TokenSigner::randomToken(32);
    r.live = session;
    m_currentTokens.insert(r.token, sessionId);
    const QString token = r.token;
    m_byUser[r.user.id].append(sessionId);
    m_records.insert(sessionId, std::move(r));
    return token;
}

void ResumeService::makeRoom(qint64 userId)
{
    // The user's own oldest detached sessions first (their live ones are bounded by
    // max_connections_per_user).
    QStringList &mine = m_byUser[userId];
    for (qsizetype i = 0; i < mine.size() && mine.size() >= kMaxRecordsPerUser;) {
        auto it = m_records.constFind(mine.at(i));
        if (it == m_records.constEnd() || !it->live)
            forget(mine.at(i)); // removes it from `mine`
        else
            ++i;
    }
    if (mine.isEmpty())
        m_byUser.remove(userId);
    if (m_records.size() < kMaxRecords)
        return;
    sweep();
    if (m_records.size() < kMaxRecords)
        return;
    // Still full of unexpired sessions: a tenth of them, the longest detached first, at once, so
    // that this O(n) step stays rare.
    std::vector<std::pair<qint64, QString>> detached;
    for (auto it = m_records.cbegin(); it != m_records.cend(); ++it) {
        if (!it->live)
            detached.emplace_back(it->detachedAt, it.key());
    }
    const size_t drop = std::min(detached.size(), size_t(kMaxRecords / 10));
    if (drop == 0)
        return;
    std::nth_element(detached.begin(), detached.begin() + qsizetype(drop - 1), detached.end());
    for (size_t i = 0; i < drop; ++i)
        forget(detached[i].second);
}

void ResumeService::detach(Session *session, const QHash<QString, quint64> &rooms, const QString &status)
{
    auto it = m_records.find(session->sessionId());
    if (it == m_records.end() || it->live != session)
        return;
    it->rooms = rooms;
    it->status = status;
    it->detachedAt = QDateTime::currentMSecsSinceEpoch();
    it->live = nullptr;
}

Result<ResumeService::Record> ResumeService::resume(const QString &token, Session *session)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QString sessionId = m_currentTokens.value(token);
    if (sessionId.isEmpty()) {
        // A used token still names its session for a while: presenting it again is a failed
        // attempt against that session.
        auto used = m_usedTokens.constFind(token);
        if (used == m_usedTokens.constEnd())
            return refused();
        auto rec = m_records.find(used->first);
        if (rec != m_records.end() && ++rec->failures >= m_maxAttempts)
            forget(rec->sessionId);
        return refused();
    }
    auto it = m_records.find(sessionId);
    if (it == m_records.end()) {
        m_currentTokens.remove(token);
        return refused();
    }
    if (it->detachedAt != 0 && now - it->detachedAt > m_ttlMs) {
        forget(sessionId);
        return refused();
    }
    if (it->live && it->live != session) {
        // The old connection is still open (the client noticed the drop first): take it over.
        it->rooms.clear();
        for (const QString &room : std::as_const(it->live->rooms()))
            it->rooms.insert(room, std::numeric_limits<quint64>::max()); // it saw everything live
        it->live->close(4001, u"Session resumed on another connection"_s);
    }
    m_currentTokens.remove(token);
    m_usedTokens.insert(token, {sessionId, now});
    it->usedTokens.append(token);
    it->token = TokenSigner::randomToken(32);
    m_currentTokens.insert(it->token, sessionId);
    it->detachedAt = 0;
    it->live = session;
    return *it;
}

void ResumeService::forgetSession(const QString &sessionId)
{
    forget(sessionId);
}

void ResumeService::forgetUser(qint64 userId)
{
    const QStringList ids = m_byUser.value(userId);
    for (const QString &id : ids)
        forget(id);
}

void ResumeService::forget(const QString &sessionId)
{
    auto it = m_records.find(sessionId);
    if (it == m_records.end())
        return;
    m_currentTokens.remove(it->token);
    // Used tokens of this session fail as unknown from now on (its own list: no scan of all).
    for (const QString &used : std::as_const(it->usedTokens))
        m_usedTokens.remove(used);
    auto user = m_byUser.find(it->user.id);
    if (user != m_byUser.end()) {
        user->removeOne(sessionId);
        if (user->isEmpty())
            m_byUser.erase(user);
    }
    m_records.erase(it);
}

void ResumeService::sweep()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<QString> expired;
    for (auto it = m_records.begin(); it != m_records.end(); ++it) {
        if (it->detachedAt == 0 && !it->live)
            it->detachedAt = now; // its connection went away before a resume completed
        else if (it->detachedAt != 0 && now - it->detachedAt > m_ttlMs)
            expired.append(it.key());
    }
    for (const QString &id : std::as_const(expired))
        forget(id);
    for (auto u = m_usedTokens.begin(); u != m_usedTokens.end();) {
        if (now - u->second > m_ttlMs) {
            auto rec = m_records.find(u->first);
            if (rec != m_records.end())
                rec->usedTokens.removeOne(u.key());
            u = m_usedTokens.erase(u);
        } else {
            ++u;
        }
    }
}

} // namespace Switchboard::Server
