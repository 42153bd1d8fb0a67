#include "server/security/loginthrottle.h"

namespace Switchboard::Server {

LoginThrottle::LoginThrottle(int perUsername, int perAddress, qint64 windowMs)
    : m_perUsername(perUsername), m_perAddress(perAddress), m_window(windowMs)
{ }

qint64 LoginThrottle::check(QHash<QString, Window> &map, const QString &key, int limit, qint64 now)
{
    auto it = map.find(key);
    if (it == map.end())
        return 0;
    Window &w = *it;
    while (!w.empty() && w.front() <= now - m_window)
        w.pop_front();
    if (w.empty()) {
        map.erase(it);
        return 0;
    }
    if (int(w.size()) < limit)
        return 0;
    // The window holds `limit` failures; the attempt may proceed once the oldest one expires.
    return std::max<qint64>(1, w[w.size() - size_t(limit)] + m_window - now);
}

void LoginThrottle::add(QHash<QString, Window> &map, const QString &key, int limit, qint64 now)
{
    if (map.size() >= kMaxKeys && !map.contains(key)) {
        // Drop expired windows first; if that is not enough, forget everything rather than grow.
        for (auto it = map.begin(); it != map.end();) {
            if (it->empty() || it->back() <= now - m_window)
                it = map.erase(it);
            else
                ++it;
        }
        if (map.size() >= kMaxKeys)
            map.clear();
    }
    Window &w = map[key];
    w.push_back(now);
    while (int(w.size()) > limit)
        w.pop_front();
}

qint64 LoginThrottle::retryAfter(const QString &username, const QString &address, qint64 now)
{
    return std::max(check(m_byUsername, username, m_perUsername, now), check(m_byAddress, address, m_perAddress, now));
}

int LoginThrottle::recentFailures(const QString &username, qint64 now)
{
    auto it = m_byUsername.find(username);
    if (it == m_byUsername.end())
        return 0;
    while (!it->empty() && it->front() <= now - m_window)
        it->pop_front();
    return int(it->size());
}

void LoginThrottle::recordFailure(const QString &username, const QString &address, qint64 now)
{
    add(m_byUsername, username, m_perUsername, now);
    add(m_byAddress, address, m_perAddress, now);
}

} // namespace Switchboard::Server
