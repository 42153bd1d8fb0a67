// switchboard-bench: load tool for switchboard-server (docs/performance.md).
//
//   switchboard-bench MODE [options]      MODE: messages, connections, rooms, group, reconnect-storm, support
//   switchboard-bench MODE --help         the options of one mode

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>

#include "bench/harness/benchcontext.h"
#include "bench/harness/benchmode.h"
#include "bench/harness/procstats.h"
#include "bench/harness/servercontrol.h"

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

QString loadAverage()
{
    QFile file(u"/proc/loadavg"_s);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLatin1(file.readAll().split(' ').value(0));
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Medians of every numeric result over the runs, and how often each target check passed.
QJsonObject medianSummary(const QString &mode, const QList<QJsonObject> &runs)
{
    QJsonObject medians;
    QJsonObject values;
    const QJsonObject first = runs.first().value(u"results"_s).toObject();
    for (auto it = first.begin(); it != first.end(); ++it) {
        if (!it->isDouble())
            continue;
        QList<double> list;
        QJsonArray all;
        for (const QJsonObject &run : runs) {
            const QJsonValue v = run.value(u"results"_s).toObject().value(it.key());
            if (v.isDouble()) {
                list.append(v.toDouble());
                all.append(v);
            }
        }
        if (list.size() == runs.size()) {
            medians.insert(it.key(), median(list));
            values.insert(it.key(), all);
        }
    }
    QJsonObject checks;
    for (const QJsonObject &run : runs) {
        for (const QJsonValue &c : run.value(u"checks"_s).toArray()) {
            const QJsonObject check = c.toObject();
            QJsonObject entry = checks.value(check.value(u"check"_s).toString()).toObject();
            entry.insert(u"passed"_s, entry.value(u"passed"_s).toInt() + (check.value(u"pass"_s).toBool() ? 1 : 0));
            QJsonArray measured = entry.value(u"measured"_s).toArray();
            measured.append(check.value(u"measured"_s));
            entry.insert(u"measured"_s, measured);
            entry.insert(u"target"_s, check.value(u"target"_s));
            checks.insert(check.value(u"check"_s).toString(), entry);
        }
    }
    return QJsonObject {{u"mode"_s, mode}, {u"runs"_s, runs.size()}, {u"params"_s, runs.first().value(u"params"_s)},
        {u"medians"_s, medians}, {u"values"_s, values}, {u"checks"_s, checks}};
}

QString summaryText(const QJsonObject &summary)
{
    const int runs = summary.value(u"runs"_s).toInt();
    QString out = u"== medians of %1 runs (%2)\n"_s.arg(runs).arg(summary.value(u"mode"_s).toString());
    const QJsonObject medians = summary.value(u"medians"_s).toObject();
    const QJsonObject values = summary.value(u"values"_s).toObject();
    qsizetype width = 0;
    for (auto it = medians.begin(); it != medians.end(); ++it)
        width = std::max(width, it.key().size());
    for (auto it = medians.begin(); it != medians.end(); ++it) {
        QStringList all;
        for (const QJsonValue &v : values.value(it.key()).toArray())
            all.append(QString::number(v.toDouble(), 'g', 6));
        out += u"  %1  %2   (%3)\n"_s.arg(it.key().leftJustified(width),
            QString::number(it->toDouble(), 'g', 6).rightJustified(10), all.join(u", "_s));
    }
    const QJsonObject checks = summary.value(u"checks"_s).toObject();
    for (auto it = checks.begin(); it != checks.end(); ++it) {
        const QJsonObject c = it->toObject();
        QStringList measured;
        for (const QJsonValue &v : c.value(u"measured"_s).toArray())
            measured.append(v.toString());
        out += u"  target %1: passed %2 of %3 (%4; target %5)\n"_s.arg(it.key())
                   .arg(c.value(u"passed"_s).toInt())
                   .arg(runs)
                   .arg(measured.join(u" | "_s), c.value(u"target"_s).toString());
    }
    return out;
}

} // namespace

int main(int argc, char *argv[])
{
    // Thousands of client sockets: Qt's GLib dispatcher costs time proportional to the number of
    // sockets for every write and connect (the same reason the server does not use it).
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
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
    parser.addPositionalArgument(u"mode"_s, u"messages, connections, rooms, group, reconnect-storm or support"_s);

    const QCommandLineOption serverBinary(u"server-binary"_s,
        u"Start this switchboard-server for the run (temporary INI and SQLite database). Default: "
        "../server/switchboard-server next to the bench, unless --server-pid is given."_s,
        u"PATH"_s);
    const QCommandLineOption serverPid(
        u"server-pid"_s, u"Measure an already running server with this PID (give its --url)."_s, u"PID"_s);
    const QCommandLineOption url(
        u"url"_s, u"With --server-pid: the server's HTTP URL (loopback only)."_s, u"URL"_s, u"http://127.0.0.1:8080"_s);
    const QCommandLineOption pinServer(u"pin-server"_s,
        u"Pin the started server to this CPU (taskset -c) and the bench to the other CPUs."_s, u"CPU"_s);
    const QCommandLineOption pinBench(u"pin-bench"_s, u"Pin the bench to these CPUs (comma-separated)."_s, u"CPUS"_s);
    const QCommandLineOption database(u"database"_s,
        u"--database for the started server (e.g. postgresql://...). Default: a temporary SQLite file."_s, u"URL"_s);
    const QCommandLineOption sqliteSync(u"sqlite-sync"_s,
        u"[storage] sqlite_synchronous of the started server: "
        "full (default) or normal."_s,
        u"MODE"_s);
    const QCommandLineOption serverSet(u"server-set"_s,
        u"Extra INI value for the started server, SECTION.KEY=VALUE (repeatable), e.g. limits.max_frame_bytes=131072."_s,
        u"SETTING"_s);
    const QCommandLineOption serverEnv(u"server-env"_s,
        u"Environment variable for the started server, KEY=VALUE (repeatable), e.g. QT_NO_GLIB=1."_s, u"SETTING"_s);
    const QCommandLineOption serverLog(
        u"server-log"_s, u"Write the started server's stderr to this file."_s, u"FILE"_s);
    const QCommandLineOption threads(
        u"threads"_s, u"Client worker threads, each with its own event loop (default 2)."_s, u"N"_s, u"2"_s);
    const QCommandLineOption guests(
        u"guests"_s, u"Use guest accounts (no Argon2id) instead of register + login: much faster set-up."_s);
    const QCommandLineOption userPrefix(u"user-prefix"_s, u"Usernames are PREFIX-N (default: random)."_s, u"PREFIX"_s);
    const QCommandLineOption json(u"json"_s, u"Append the results as one JSON line to FILE."_s, u"FILE"_s);
    const QCommandLineOption repeatOption(u"repeat"_s,
        u"Run the mode N times, each with a fresh server, and print the medians (default 1)."_s, u"N"_s, u"1"_s);
    const QCommandLineOption label(u"label"_s, u"Free text stored with the JSON results."_s, u"TEXT"_s);
    const QCommandLineOption niceness(u"nice"_s,
        u"Scheduling priority (nice) of the bench and the server it starts, e.g. -10 on a shared machine (root)."_s,
        u"N"_s);
    parser.addOptions({niceness, serverBinary, serverPid, url, pinServer, pinBench, database, sqliteSync, serverSet,
        serverEnv, serverLog, threads, guests, userPrefix, json, repeatOption, label});
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
        for (const QString &entry : parser.values(serverEnv)) {
            if (entry.indexOf(u'=') <= 0)
                return fail(u"--server-env wants KEY=VALUE, not '%1'"_s.arg(entry));
            server.environment.append(entry);
        }
        server.fileLimit = std::max<qint64>(65536, mode->fileLimitNeeded() + 1024);
        // Generous defaults: the per-connection rate limit must not shape the offered load.
        ServerConfigMap &config = server.config;
        config[u"limits"_s][u"messages_per_second"_s] = u"100000"_s;
        config[u"limits"_s][u"messages_burst"_s] = u"100000"_s;
        config[u"limits"_s][u"heartbeat_timeout"_s] = u"600"_s;
        config[u"limits"_s][u"auth_timeout"_s] = u"60"_s;
        config[u"limits"_s][u"max_pending_requests"_s] = u"10000"_s;
        mode->serverConfig(config);
        server.accounts = mode->serverAccounts(context.userOptions);
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

    const int repeat = parser.value(repeatOption).toInt(&ok);
    if (!ok || repeat < 1 || repeat > 100)
        return fail(u"--repeat must be 1..100"_s);
    if (repeat > 1 && server.pid)
        return fail(u"--repeat needs a server started by the bench (each run gets a fresh one)"_s);

    QList<QJsonObject> runs;
    int code = 0;
    for (int r = 0; r < repeat; ++r) {
        if (r > 0) {
            // A fresh mode object (and server, below) for every run.
            mode = info->create();
            mode->configure(parser, &error);
            context.log(u"run %1 of %2"_s.arg(r + 1).arg(repeat));
        }
        BenchContext run = context;
        ServerControl control(server);
        run.server = &control;
        run.log(server.pid ? u"attaching to server pid %1 at %2"_s.arg(server.pid).arg(server.url.toString())
                           : u"starting %1%2"_s.arg(
                               server.binary, server.pinCpu >= 0 ? u" on CPU %1"_s.arg(server.pinCpu) : QString()));
        if (!control.start(&error))
            return fail(error);
        run.log(u"server pid %1 at %2 (log: %3)"_s.arg(control.pid())
                    .arg(control.httpUrl().toString(), control.logPath().isEmpty() ? u"-"_s : control.logPath()));

        Report &report = run.report;
        report.param(u"arguments"_s, args.mid(1).join(u' '));
        if (parser.isSet(label))
            report.param(u"label"_s, parser.value(label));
        report.param(u"run"_s, r + 1);
        report.param(u"cpu_model"_s, cpuModel());
        report.param(u"cpus"_s, cpus);
        report.param(u"server_pinned_cpu"_s, server.pinCpu);
        report.param(u"bench_cpus"_s, run.benchCpuCount);
        report.param(u"threads"_s, run.threads);
        report.param(u"nice"_s, getpriority(PRIO_PROCESS, 0));
        report.param(u"database"_s, control.databaseDescription());
        report.param(u"server_env"_s, server.environment.join(u' '));
        report.param(u"load_average"_s, loadAverage());
        report.section(u"switchboard-bench %1%2"_s.arg(
            info->name, repeat > 1 ? u" (run %1 of %2)"_s.arg(r + 1).arg(repeat) : QString()));
        report.text(u"machine"_s, u"machine"_s, u"%1 CPU(s), %2"_s.arg(cpus).arg(cpuModel()));
        report.text(u"placement"_s, u"placement"_s,
            u"server %1, bench %2, %3 worker thread(s), nice %4"_s
                .arg(server.pinCpu >= 0 ? u"on CPU %1"_s.arg(server.pinCpu) : u"unpinned"_s,
                    benchCpus.isEmpty() ? u"unpinned"_s : u"on CPU(s) %1"_s.arg([&] {
                        QStringList l;
                        for (int c : benchCpus)
                            l.append(QString::number(c));
                        return l.join(u',');
                    }()))
                .arg(run.threads)
                .arg(getpriority(PRIO_PROCESS, 0)));
        report.text(u"database"_s, u"database"_s, control.databaseDescription());
        if (!server.environment.isEmpty())
            report.text(u"server_env"_s, u"server environment"_s, server.environment.join(u' '));
        report.text(u"load_average"_s, u"load average at start (1 min)"_s, loadAverage());

        code = std::max(code, mode->run(run));
        std::fprintf(stdout, "%s\n", qPrintable(report.toText()));
        std::fflush(stdout);
        if (parser.isSet(json) && !report.appendJson(parser.value(json), &error))
            std::fprintf(stderr, "switchboard-bench: %s\n", qPrintable(error));
        if (control.owned() && !control.isRunning())
            run.log(u"the server is no longer running; its log:\n"_s + control.logTail());
        control.stop();
        runs.append(report.toJson());
        mode.reset();
    }
    if (repeat > 1) {
        const QJsonObject summary = medianSummary(info->name, runs);
        std::fprintf(stdout, "%s\n", qPrintable(summaryText(summary)));
        if (parser.isSet(json)) {
            QFile out(parser.value(json));
            if (out.open(QIODevice::WriteOnly | QIODevice::Append))
                out.write(QJsonDocument(summary).toJson(QJsonDocument::Compact) + '\n');
        }
    }
    return code;
}
