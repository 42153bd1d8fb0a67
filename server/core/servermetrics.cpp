#include "server/core/servermetrics.h"

#include <QFile>
#include <unistd.h>

namespace Switchboard::Server {

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
