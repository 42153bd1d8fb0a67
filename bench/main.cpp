// switchboard-bench: load tool for switchboard-server (docs/performance.md).
//
//   switchboard-bench MODE [options]      MODE: messages, connections, rooms, group, reconnect-storm
//   switchboard-bench MODE --help         the options of one mode

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRandomGenerator>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>

#include "bench/benchcontext.h"
#include "bench/benchmode.h"
#include "bench/procstats.h"
#include "bench/servercontrol.h"

using namespace Qt::StringLiterals;
using namespace Switchboard::Bench;

namespace {

int fail(const QString &message)
{
    std::fprintf(stderr, "switchboard-bench: %s\n", qPrintable(message));
    return 1;
}

QString modeList()
{
    QString out = u"Modes:\n"_s;
    for (const ModeInfo &m : allModes())
        out += u"  %1  %2\n"_s.arg(m.name.leftJustified(16), m.summary);
    return out;
}

bool isLoopback(const QUrl &url)
{
    const QString host = url.host();
    if (host == u"localhost"_s)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

QString defaultServerBinary()
{
    // build-dir/bench/switchboard-bench -> build-dir/server/switchboard-server
    const QString candidate = QDir(QCoreApplication::applicationDirPath()).filePath(u"../server/switchboard-server"_s);
    return QFileInfo::exists(candidate) ? QFileInfo(candidate).canonicalFilePath() : QString();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"switchboard-bench"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);

    // The mode is the first argument naming one; its options are added before parsing.
    const QStringList args = app.arguments();
    const ModeInfo *info = nullptr;
    for (qsizetype i = 1; i < args.size() && !info; ++i) {
        for (const ModeInfo &m : allModes()) {
            if (args[i] == m.name)
                info = &m;
        }
    }
    std::unique_ptr<BenchMode> mode = info ? info->create() : nullptr;

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Load tool for switchboard-server (loopback only).\n\n"_s + modeList()
                                     + u"\nRun 'switchboard-bench MODE --help' for the options of a mode."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(u"mode"_s, u"messages, connections, rooms, group or reconnect-storm"_s);

    const QCommandLineOption serverBinary(u"server-binary"_s,
        u"Start this switchboard-server for the run (temporary INI and SQLite database). Default: "
        "../server/switchboard-server next to the bench, unless --server-pid is given."_s, u"PATH"_s);
    const QCommandLineOption serverPid(u"server-pid"_s,
        u"Measure an already running server with this PID (give its --url)."_s, u"PID"_s);
    const QCommandLineOption url(u"url"_s, u"With --server-pid: the server's HTTP URL (loopback only)."_s, u"URL"_s,
                                 u"http://127.0.0.1:8080"_s);
    const QCommandLineOption pinServer(u"pin-server"_s,
        u"Pin the started server to this CPU (taskset -c) and the bench to the other CPUs."_s, u"CPU"_s);
    const QCommandLineOption pinBench(u"pin-bench"_s, u"Pin the bench to these CPUs (comma-separated)."_s, u"CPUS"_s);
    const QCommandLineOption database(u"database"_s,
        u"--database for the started server (e.g. postgresql://...). Default: a temporary SQLite file."_s, u"URL"_s);
    const QCommandLineOption sqliteSync(u"sqlite-sync"_s, u"[storage] sqlite_synchronous of the started server: "
                                        "full (default) or normal."_s, u"MODE"_s);
    const QCommandLineOption serverSet(u"server-set"_s,
        u"Extra INI value for the started server, SECTION.KEY=VALUE (repeatable), e.g. limits.max_frame_bytes=131072."_s,
        u"SETTING"_s);
    const QCommandLineOption serverLog(u"server-log"_s, u"Write the started server's stderr to this file."_s, u"FILE"_s);
    const QCommandLineOption threads(u"threads"_s, u"Client worker threads, each with its own event loop (default 2)."_s,
                                     u"N"_s, u"2"_s);
    const QCommandLineOption guests(u"guests"_s,
        u"Use guest accounts (no Argon2id) instead of register + login: much faster set-up."_s);
    const QCommandLineOption userPrefix(u"user-prefix"_s, u"Usernames are PREFIX-N (default: random)."_s, u"PREFIX"_s);
    const QCommandLineOption json(u"json"_s, u"Append the results as one JSON line to FILE."_s, u"FILE"_s);
    const QCommandLineOption label(u"label"_s, u"Free text stored with the JSON results."_s, u"TEXT"_s);
    const QCommandLineOption niceness(u"nice"_s,
        u"Scheduling priority (nice) of the bench and the server it starts, e.g. -10 on a shared machine (root)."_s,
        u"N"_s);
    parser.addOptions({niceness, serverBinary, serverPid, url, pinServer, pinBench, database, sqliteSync, serverSet, serverLog,
                       threads, guests, userPrefix, json, label});
    if (mode) {
        for (const QCommandLineOption &o : mode->options())
            parser.addOption(o);
    }
    parser.process(app);

    if (!mode)
        return fail(u"name a mode.\n"_s + modeList());
    QString error;
    if (!mode->configure(parser, &error))
        return fail(error);

    BenchContext context;
    context.modeName = info->name;
    context.report.setMode(info->name);
    bool ok = false;
    context.threads = parser.value(threads).toInt(&ok);
    if (!ok || context.threads < 1 || context.threads > 64)
        return fail(u"--threads must be 1..64"_s);
    context.userOptions.guests = parser.isSet(guests);
    context.userOptions.prefix = parser.isSet(userPrefix)
        ? parser.value(userPrefix)
        : u"b%1"_s.arg(QRandomGenerator::global()->bounded(1u << 24), 6, 16, QLatin1Char('0'));

    ServerControl::Options server;
    if (parser.isSet(serverPid)) {
        if (parser.isSet(serverBinary))
            return fail(u"--server-pid and --server-binary exclude each other"_s);
        server.pid = parser.value(serverPid).toLongLong(&ok);
        if (!ok || server.pid <= 0)
            return fail(u"--server-pid must be a process id"_s);
        server.url = QUrl(parser.value(url));
        if (!server.url.isValid() || server.url.scheme() != u"http"_s || server.url.port() <= 0)
            return fail(u"--url must be http://127.0.0.1:PORT"_s);
        if (!isLoopback(server.url))
            return fail(u"the bench only talks to loopback addresses (127.0.0.1)"_s);
    } else {
        server.binary = parser.isSet(serverBinary) ? parser.value(serverBinary) : defaultServerBinary();
        if (server.binary.isEmpty() || !QFileInfo(server.binary).isExecutable())
            return fail(u"no server: give --server-binary PATH or --server-pid PID"_s);
        server.binary = QFileInfo(server.binary).absoluteFilePath();
        server.database = parser.value(database);
        server.logFile = parser.value(serverLog);
        server.fileLimit = std::max<qint64>(65536, mode->fileLimitNeeded() + 1024);
        // Generous defaults: the per-connection rate limit must not shape the offered load.
        ServerConfigMap &config = server.config;
        config[u"limits"_s][u"messages_per_second"_s] = u"100000"_s;
        config[u"limits"_s][u"messages_burst"_s] = u"100000"_s;
        config[u"limits"_s][u"heartbeat_timeout"_s] = u"600"_s;
        config[u"limits"_s][u"auth_timeout"_s] = u"60"_s;
        config[u"limits"_s][u"max_pending_requests"_s] = u"10000"_s;
        mode->serverConfig(config);
        if (parser.isSet(sqliteSync))
            config[u"storage"_s][u"sqlite_synchronous"_s] = parser.value(sqliteSync);
        for (const QString &setting : parser.values(serverSet)) {
            const qsizetype dot = setting.indexOf(u'.');
            const qsizetype eq = setting.indexOf(u'=');
            if (dot <= 0 || eq <= dot + 1)
                return fail(u"--server-set wants SECTION.KEY=VALUE, not '%1'"_s.arg(setting));
            config[setting.left(dot)][setting.mid(dot + 1, eq - dot - 1)] = setting.mid(eq + 1);
        }
    }

    // CPU placement: the server on one core, the load on the others.
    const int cpus = cpuCount();
    QList<int> benchCpus;
    if (parser.isSet(pinServer)) {
        if (!server.pid) {
            server.pinCpu = parser.value(pinServer).toInt(&ok);
            if (!ok || server.pinCpu < 0 || server.pinCpu >= cpus)
                return fail(u"--pin-server must be a CPU number below %1"_s.arg(cpus));
        }
        const int serverCpu = parser.value(pinServer).toInt();
        for (int c = 0; c < cpus; ++c) {
            if (c != serverCpu)
                benchCpus.append(c);
        }
    }
    if (parser.isSet(pinBench)) {
        benchCpus.clear();
        for (const QString &c : parser.value(pinBench).split(u',', Qt::SkipEmptyParts))
            benchCpus.append(c.trimmed().toInt());
    }
    if (!benchCpus.isEmpty() && !pinToCpus(benchCpus, &error))
        return fail(error);
    context.benchCpuCount = benchCpus.isEmpty() ? cpus : int(benchCpus.size());

    if (parser.isSet(niceness)) {
        // Before any thread exists: threads and the started server inherit it.
        const int n = parser.value(niceness).toInt(&ok);
        if (!ok || n < -20 || n > 19)
            return fail(u"--nice must be -20..19"_s);
        errno = 0;
        if (setpriority(PRIO_PROCESS, 0, n) != 0)
            return fail(u"setpriority(%1) failed: %2"_s.arg(n).arg(QString::fromLocal8Bit(strerror(errno))));
        // With autogroup scheduling (sched_autogroup_enabled) CPU time is shared between sessions
        // first and nice only counts inside one: set the nice of our session's group too (the
        // server started by us is in it; nobody else is).
        QFile autogroup(u"/proc/self/autogroup"_s);
        if (autogroup.exists() && autogroup.open(QIODevice::WriteOnly))
            autogroup.write(QByteArray::number(n));
    }

    const qint64 wantedFiles = mode->fileLimitNeeded();
    const qint64 fileLimit = raiseFileLimit(wantedFiles);
    if (fileLimit < wantedFiles)
        return fail(u"this run needs %1 file descriptors, RLIMIT_NOFILE is %2"_s.arg(wantedFiles).arg(fileLimit));

    ServerControl control(server);
    context.server = &control;
    context.log(server.pid ? u"attaching to server pid %1 at %2"_s.arg(server.pid).arg(server.url.toString())
                           : u"starting %1%2"_s.arg(server.binary,
                                                    server.pinCpu >= 0 ? u" on CPU %1"_s.arg(server.pinCpu) : QString()));
    if (!control.start(&error))
        return fail(error);
    context.log(u"server pid %1 at %2 (log: %3)"_s.arg(control.pid()).arg(control.httpUrl().toString(),
                                                                           control.logPath().isEmpty() ? u"-"_s : control.logPath()));

    Report &report = context.report;
    report.param(u"arguments"_s, args.mid(1).join(u' '));
    if (parser.isSet(label))
        report.param(u"label"_s, parser.value(label));
    report.param(u"cpu_model"_s, cpuModel());
    report.param(u"cpus"_s, cpus);
    report.param(u"server_pinned_cpu"_s, server.pinCpu);
    report.param(u"bench_cpus"_s, context.benchCpuCount);
    report.param(u"threads"_s, context.threads);
    report.param(u"nice"_s, getpriority(PRIO_PROCESS, 0));
    report.param(u"database"_s, control.databaseDescription());
    report.section(u"switchboard-bench %1"_s.arg(info->name));
    report.text(u"machine"_s, u"machine"_s, u"%1 CPU(s), %2"_s.arg(cpus).arg(cpuModel()));
    report.text(u"placement"_s, u"placement"_s,
                u"server %1, bench %2, %3 worker thread(s), nice %4"_s.arg(
                    server.pinCpu >= 0 ? u"on CPU %1"_s.arg(server.pinCpu) : u"unpinned"_s,
                    benchCpus.isEmpty() ? u"unpinned"_s
                                        : u"on CPU(s) %1"_s.arg([&] {
                                              QStringList l;
                                              for (int c : benchCpus)
                                                  l.append(QString::number(c));
                                              return l.join(u',');
                                          }()))
                    .arg(context.threads)
                    .arg(getpriority(PRIO_PROCESS, 0)));
    report.text(u"database"_s, u"database"_s, control.databaseDescription());

    const int code = mode->run(context);
    std::fprintf(stdout, "%s\n", qPrintable(report.toText()));
    std::fflush(stdout);
    if (parser.isSet(json) && !report.appendJson(parser.value(json), &error))
        std::fprintf(stderr, "switchboard-bench: %s\n", qPrintable(error));
    if (control.owned() && !control.isRunning())
        context.log(u"the server is no longer running; its log:\n"_s + control.logTail());
    control.stop();
    return code;
}
