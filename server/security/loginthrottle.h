#pragma once

#include <QHash>
#include <QString>
#include <deque>

namespace Switchboard::Server {

// Counts failed logins per username and per client address in a sliding window (PROTOCOL.md
// section 13: 10 per username or 30 per address within 15 minutes). While over the limit, every
// attempt (the correct password included) is refused with the time until the oldest failure leaves
// the window. Memory is bounded: at most `maxKeys` usernames and as many addresses are tracked;
// when full, expired windows go first, then those under their limit, and only then the ones
// throttled longest ago, so flooding the table with new names never lifts a throttle that is
// in force.
class LoginThrottle
{
public:
    LoginThrottle(int perUsername = 10, int perAddress = 30, qint64 windowMs = 15 * 60 * 1000, int maxKeys = 100000);

    // 0 when the attempt may proceed; otherwise milliseconds until it may.
    qint64 retryAfter(const QString &username, const QString &address, qint64 nowMs);
    void recordFailure(const QString &username, const QString &address, qint64 nowMs);
    // Failures for this username still inside the window (to slow answers down before refusing).
    int recentFailures(const QString &username, qint64 nowMs);

private:
    using Window = std::deque<qint64>;
    qint64 check(QHash<QString, Window> &map, const QString &key, int limit, qint64 nowMs);
    void add(QHash<QString, Window> &map, const QString &key, int limit, qint64 nowMs);
    void makeRoom(QHash<QString, Window> &map, int limit, qint64 nowMs);

    int m_perUsername;
    int m_perAddress;
    qint64 m_window;
    QHash<QString, Window> m_byUsername;
    QHash<QString, Window> m_byAddress;
    int m_maxKeys;
};

} // namespace Switchboard::Server
