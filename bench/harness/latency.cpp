#include "bench/harness/latency.h"

#include <algorithm>
#include <cmath>

namespace Switchboard::Bench {

void LatencyRecorder::merge(const LatencyRecorder &other)
{
    m_samples.insert(m_samples.end(), other.m_samples.begin(), other.m_samples.end());
}

LatencyRecorder::Summary LatencyRecorder::summary()
{
    Summary s;
    s.count = m_samples.size();
    if (m_samples.empty())
        return s;
    std::sort(m_samples.begin(), m_samples.end());
    auto rank = [this](double p) {
        const size_t n = m_samples.size();
        size_t index = size_t(std::ceil(p * double(n)));
        index = std::clamp<size_t>(index, 1, n) - 1;
        return double(m_samples[index]) / 1e6;
    };
    s.p50Ms = rank(0.50);
    s.p90Ms = rank(0.90);
    s.p99Ms = rank(0.99);
    s.p999Ms = rank(0.999);
    s.maxMs = double(m_samples.back()) / 1e6;
    long double sum = 0;
    for (qint64 v : m_samples)
        sum += v;
    s.meanMs = double(sum / m_samples.size()) / 1e6;
    return s;
}

} // namespace Switchboard::Bench
