#include "server/security/loginthrottle.h"

#include <algorithm>
#include <vector>

namespace Switchboard::Server {

LoginThrottle::LoginThrottle(int perUsername, int perAddress, qint64 windowMs, int maxKeys)
    : m_perUsername(perUsername), m_perAddress(perAddress), m_window(windowMs), m_maxKeys(std::max(1, maxKeys))
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
    if (map.size() >= m_maxKeys && !map.contains(key))
        makeRoom(map, limit, now);
    Window &w = map[key];
    w.push_back(now);
    while (int(w.size()) > limit)
        w.pop_front();
}

void LoginThrottle::makeRoom(QHash<QString, Window> &map, int limit, qint64 now)
{
    // Each pass frees a tenth of the table, so the O(n) scans stay rare (amortised O(1)).
    const qsizetype target = map.size() - std::max<qsizetype>(1, m_maxKeys / 10);
    // 1. Windows that expired.
    for (auto it = map.begin(); it != map.end() && map.size() > target;) {
        if (it->empty() || it->back() <= now - m_window)
            it = map.erase(it);
        else
            ++it;
    }
    // 2. Windows under their limit: they throttle nobody yet.
    for (auto it = map.begin(); it != map.end() && map.size() > target;) {
        if (int(it->size()) < limit)
            it = map.erase(it);
        else
            ++it;
    }
    if (map.size() <= target)
        return;
    // 3. Only throttled keys are left: the ones whose last failure is oldest go first.
    std::vector<std::pair<qint64, QString>> byAge;
    byAge.reserve(size_t(map.size()));
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        byAge.emplace_back(it->back(), it.key());
    const size_t drop = size_t(map.size() - target);
    std::nth_element(byAge.begin(), byAge.begin() + qsizetype(drop - 1), byAge.end());
    for (size_t i = 0; i < drop; ++i)
        map.remove(byAge[i].second);
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
