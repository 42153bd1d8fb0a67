#include "bench/harness/benchcontext.h"

#include <QCoreApplication>
#include <QTime>
#include <cstdio>

#include "bench/harness/latency.h"
#include "bench/harness/waitutil.h"
#include "shared/client/restclient.h"
#include "shared/client/restreply.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

void BenchContext::log(const QString &line) const
{
    std::fprintf(stderr, "[%s] %s\n", qPrintable(QTime::currentTime().toString(u"HH:mm:ss.zzz"_s)), qPrintable(line));
    std::fflush(stderr);
}

QList<BenchUser> BenchContext::createUsers(int count, QString *error, const QString &group) const
{
    log(u"creating %1 users (%2)"_s.arg(count).arg(userOptions.guests ? u"guests"_s : u"register + login"_s));
    UserFactoryOptions options = userOptions;
    if (!group.isEmpty())
        options.prefix += u'-' + group;
    return Bench::createUsers(httpUrl(), count, options, error);
}

ServerSample BenchContext::sample() const
{
    ServerSample s;
    s.ns = nowNs();
    const qint64 pid = server->pid();
    if (auto cpu = processCpu(pid))
        s.total = cpu->total();
    for (const ThreadCpu &t : threadCpu(pid)) {
        if (t.tid == pid)
            s.mainThread += t.cpu.total();
        else if (t.name == u"storage"_s)
            s.storage += t.cpu.total();
        else
            s.other += t.cpu.total();
    }
    s.rss = server->residentBytes().value_or(0);
    s.benchCpu = selfCpu().total();
    s.serverWait = runQueueWait(pid);
    s.benchWait = runQueueWait(QCoreApplication::applicationPid());
    return s;
}

double BenchContext::reportCpu(const ServerSample &from, const ServerSample &to, double units, const QString &unit)
{
    const double wall = double(to.ns - from.ns) / 1e9;
    const double total = to.total - from.total;
    const double perK = units > 0 ? total / units * 1e6 : 0; // ms per 1000 units
    report.value(u"server_cpu_seconds"_s, u"server CPU (interval %1 s)"_s.arg(wall, 0, 'f', 1), total, u"s"_s, 2);
    report.value(u"server_cpu_utilisation"_s, u"server CPU utilisation"_s, wall > 0 ? total / wall * 100 : 0,
        u"% of one core"_s, 0);
    report.value(u"server_cpu_ms_per_1000"_s, u"server CPU per 1000 %1"_s.arg(unit), perK, u"ms"_s, 1);
    if (units > 0) {
        report.value(u"server_cpu_ms_per_1000_event_loop"_s, u"  of which event loop"_s,
            (to.mainThread - from.mainThread) / units * 1e6, u"ms"_s, 1);
        report.value(u"server_cpu_ms_per_1000_storage"_s, u"  of which storage thread"_s,
            (to.storage - from.storage) / units * 1e6, u"ms"_s, 1);
        report.value(u"server_cpu_ms_per_1000_other"_s, u"  of which other threads"_s,
            (to.other - from.other) / units * 1e6, u"ms"_s, 1);
    }
    const double bench = to.benchCpu - from.benchCpu;
    report.value(u"bench_cpu_utilisation"_s, u"bench client CPU utilisation"_s, wall > 0 ? bench / wall * 100 : 0,
        u"% of one core (%1 CPU(s) available to it)"_s.arg(benchCpuCount), 0);
    // Time runnable but not running: other processes on the same CPUs (a shared machine).
    report.value(u"server_cpu_wait"_s, u"server waited for a CPU (run queue)"_s,
        wall > 0 ? (to.serverWait - from.serverWait) / wall * 100 : 0, u"% of the interval"_s, 0);
    report.value(u"bench_cpu_wait"_s, u"bench waited for a CPU (run queue)"_s,
        wall > 0 ? (to.benchWait - from.benchWait) / wall * 100 : 0, u"% of the interval"_s, 0);
    return perK;
}

std::optional<double> BenchContext::metric(const QString &name) const
{
    RestClient rest(httpUrl());
    rest.setTimeout(10000);
    RestReply *reply = rest.get(u"/metrics"_s);
    waitUntil([reply] { return reply->isFinished(); }, 11000, 5);
    if (!reply->isSuccess())
        return std::nullopt;
    const QByteArray prefix = name.toUtf8() + ' ';
    for (const QByteArray &line : reply->body().split('\n')) {
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed().toDouble();
    }
    return std::nullopt;
}

} // namespace Switchboard::Bench
