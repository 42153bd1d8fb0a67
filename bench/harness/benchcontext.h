#pragma once

#include <QList>
#include <QString>
#include <QUrl>
#include <optional>

#include "bench/harness/procstats.h"
#include "bench/harness/report.h"
#include "bench/harness/servercontrol.h"
#include "bench/harness/userfactory.h"

namespace Switchboard::Bench {

// A point-in-time reading of the server's CPU time (split by thread: the event loop, the storage
// thread, the rest) and resident memory, and of the bench's own CPU time.
struct ServerSample
{
    qint64 ns = 0;
    double total = 0; // seconds, whole process
    double mainThread = 0; // the event loop
    double storage = 0; // the storage thread (group commit)
    double other = 0; // hashing pool and Qt helper threads
    qint64 rss = 0; // bytes
    double benchCpu = 0; // seconds, this process
    double serverWait = 0; // seconds the server's threads waited for a CPU
    double benchWait = 0; // the same for the bench
};

// What every mode gets: the server under test, the report, the common options and helpers.
class BenchContext
{
public:
    ServerControl *server = nullptr;
    Report report;
    QString modeName;
    int threads = 2; // client worker threads
    int setupConcurrency = 200; // connections opened at a time during set-up
    UserFactoryOptions userOptions;
    int benchCpuCount = 0; // CPUs the bench may run on

    QUrl httpUrl() const { return server->httpUrl(); }
    QUrl wsUrl() const { return server->wsUrl(); }
    bool ownsServer() const { return server->owned(); }

    // Progress on stderr (the report goes to stdout).
    void log(const QString &line) const;

    // Users PREFIX-N, or PREFIX-GROUP-N for a second set in the same run.
    QList<BenchUser> createUsers(int count, QString *error, const QString &group = {}) const;

    ServerSample sample() const;
    // Adds CPU rows for the interval: total seconds, ms per 1000 `unit`s (whole process, event
    // loop, storage thread), utilisation of one core, and the bench's own CPU use.
    // Returns the whole-process ms of CPU per 1000 units.
    double reportCpu(const ServerSample &from, const ServerSample &to, double units, const QString &unit);

    // Reads one value from the server's /metrics (Prometheus text), blocking up to 10 s.
    std::optional<double> metric(const QString &name) const;
};

// Splits n items over `parts` workers as evenly as possible: the count for worker i.
inline int shareOf(int n, int parts, int i)
{
    return n / parts + (i < n % parts ? 1 : 0);
}

} // namespace Switchboard::Bench
