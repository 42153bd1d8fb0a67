#pragma once

#include <QtGlobal>
#include <chrono>
#include <vector>

namespace Switchboard::Bench {

// Monotonic clock shared by every thread of the bench: send timestamps embedded in message
// contents are compared with arrival times measured in another worker thread.
inline qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Latency samples (nanoseconds). One recorder per worker thread; merged once the workers are
// quiet. Every sample is kept (runs are bounded), so percentiles are exact.
class LatencyRecorder
{
public:
    void add(qint64 ns) { m_samples.push_back(ns); }
    void merge(const LatencyRecorder &other);
    void reserve(size_t n) { m_samples.reserve(n); }
    size_t count() const { return m_samples.size(); }
    bool isEmpty() const { return m_samples.empty(); }
    void clear() { m_samples.clear(); }

    struct Summary
    {
        size_t count = 0;
        double p50Ms = 0;
        double p90Ms = 0;
        double p99Ms = 0;
        double p999Ms = 0;
        double maxMs = 0;
        double meanMs = 0;
    };
    // Sorts the samples (once) and reads the percentiles (nearest rank).
    Summary summary();

private:
    std::vector<qint64> m_samples;
};

} // namespace Switchboard::Bench
