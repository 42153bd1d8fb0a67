#include "server/base/servermetrics.h"

#include <QFile>
#include <unistd.h>

namespace Switchboard::Server {

void ServerMetrics::observeLatency(double ms)
{
    size_t i = 0;
    while (i < kLatencyBucketsMs.size() && ms > kLatencyBucketsMs[i])
        ++i;
    ++latencyCounts[i];
    latencySumMs += ms;
    ++latencyCount;
}

qint64 ServerMetrics::residentMemoryBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    if (fields.size() < 2)
        return 0;
    return fields.at(1).toLongLong() * sysconf(_SC_PAGESIZE);
}

} // namespace Switchboard::Server
