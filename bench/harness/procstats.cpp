#include "bench/harness/procstats.h"

#include <QDir>
#include <QFile>
#include <QThread>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {
QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

// Fields 14 and 15 (utime, stime) of a stat line; the command name (field 2) may contain spaces
// and parentheses, so parsing starts after the last ')'.
std::optional<CpuTimes> parseStat(const QByteArray &stat)
{
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return std::nullopt;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14 -> index 11, stime index 12.
    if (fields.size() < 13)
        return std::nullopt;
    static const double ticks = double(sysconf(_SC_CLK_TCK));
    CpuTimes t;
    t.user = fields[11].toDouble() / ticks;
    t.system = fields[12].toDouble() / ticks;
    return t;
}
} // namespace

std::optional<CpuTimes> processCpu(qint64 pid)
{
    return parseStat(readAll(u"/proc/%1/stat"_s.arg(pid)));
}

QList<ThreadCpu> threadCpu(qint64 pid)
{
    QList<ThreadCpu> out;
    const QDir dir(u"/proc/%1/task"_s.arg(pid));
    for (const QString &entry : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        auto cpu = parseStat(readAll(dir.filePath(entry + u"/stat"_s)));
        if (!cpu)
            continue;
        ThreadCpu t;
        t.tid = entry.toLongLong();
        t.name = QString::fromUtf8(readAll(dir.filePath(entry + u"/comm"_s)).trimmed());
        t.cpu = *cpu;
        out.append(t);
    }
    return out;
}

double runQueueWait(qint64 pid)
{
    double total = 0;
    const QDir dir(u"/proc/%1/task"_s.arg(pid));
    for (const QString &entry : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QList<QByteArray> fields = readAll(dir.filePath(entry + u"/schedstat"_s)).trimmed().split(' ');
        if (fields.size() >= 2)
            total += fields[1].toDouble() / 1e9;
    }
    return total;
}

std::optional<qint64> residentBytes(qint64 pid)
{
    const QByteArray status = readAll(u"/proc/%1/status"_s.arg(pid));
    for (const QByteArray &line : status.split('\n')) {
        if (line.startsWith("VmRSS:")) {
            const QList<QByteArray> parts = line.simplified().split(' ');
            if (parts.size() >= 2)
                return parts[1].toLongLong() * 1024;
        }
    }
    return std::nullopt;
}

int openFileCount(qint64 pid)
{
    const QDir dir(u"/proc/%1/fd"_s.arg(pid));
    if (!dir.exists())
        return -1;
    return int(dir.entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System).size());
}

CpuTimes selfCpu()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    CpuTimes t;
    t.user = double(usage.ru_utime.tv_sec) + double(usage.ru_utime.tv_usec) / 1e6;
    t.system = double(usage.ru_stime.tv_sec) + double(usage.ru_stime.tv_usec) / 1e6;
    return t;
}

bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    struct stat st
    {
    };
    return ::stat(qPrintable(u"/proc/%1"_s.arg(pid)), &st) == 0;
}

qint64 raiseFileLimit(qint64 wanted)
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (rlim_t(wanted) > limit.rlim_cur) {
        rlimit next = limit;
        next.rlim_cur = rlim_t(wanted);
        if (next.rlim_max != RLIM_INFINITY && next.rlim_max < next.rlim_cur)
            next.rlim_max = next.rlim_cur; // needs CAP_SYS_RESOURCE (root)
        if (setrlimit(RLIMIT_NOFILE, &next) != 0) {
            // Not allowed to raise the hard limit: go as far as it allows.
            next = limit;
            next.rlim_cur = limit.rlim_max;
            setrlimit(RLIMIT_NOFILE, &next);
        }
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<qint64>::max() : qint64(limit.rlim_cur);
}

bool pinToCpus(const QList<int> &cpus, QString *error)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus)
        CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        *error = u"sched_setaffinity failed: %1"_s.arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    return true;
}

int cpuCount()
{
    return QThread::idealThreadCount();
}

QString cpuModel()
{
    const QByteArray info = readAll(u"/proc/cpuinfo"_s);
    for (const QByteArray &line : info.split('\n')) {
        if (line.startsWith("model name")) {
            const qsizetype colon = line.indexOf(':');
            return QString::fromUtf8(line.mid(colon + 1).trimmed());
        }
    }
    return u"unknown"_s;
}

} // namespace Switchboard::Bench
