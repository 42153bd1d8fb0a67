#pragma once

#include <QList>
#include <QString>
#include <QtGlobal>
#include <optional>

namespace Switchboard::Bench {

// Readers for /proc (Linux): the server's CPU time and resident memory, per process and per
// thread, and the bench's own CPU time.
struct CpuTimes
{
    double user = 0; // seconds
    double system = 0;
    double total() const { return user + system; }
};

struct ThreadCpu
{
    qint64 tid = 0;
    QString name; // /proc/PID/task/TID/comm
    CpuTimes cpu;
};

// utime + stime of the whole process (all threads), from /proc/PID/stat.
std::optional<CpuTimes> processCpu(qint64 pid);
// Per thread, from /proc/PID/task/*/stat.
QList<ThreadCpu> threadCpu(qint64 pid);
// Seconds the process's threads spent runnable but waiting for a CPU (sum over threads of the
// second field of /proc/PID/task/*/schedstat): CPU contention from other processes.
double runQueueWait(qint64 pid);
// VmRSS from /proc/PID/status, in bytes.
std::optional<qint64> residentBytes(qint64 pid);
// Open file descriptors of a process (entries of /proc/PID/fd); -1 if unreadable.
int openFileCount(qint64 pid);
// This process (all threads), from getrusage.
CpuTimes selfCpu();
bool processAlive(qint64 pid);

// Raises RLIMIT_NOFILE of this process to at least `wanted` (also the hard limit, which root
// may do); returns the soft limit in effect afterwards.
qint64 raiseFileLimit(qint64 wanted);
// Pins the calling thread (and the threads it creates afterwards) to the given CPUs.
bool pinToCpus(const QList<int> &cpus, QString *error);
int cpuCount();
QString cpuModel();

} // namespace Switchboard::Bench
