#include "bench/modes/connectionsmode.h"

#include <QCommandLineParser>
#include <cmath>

#include "bench/harness/benchcontext.h"
#include "bench/harness/clientworker.h"
#include "bench/harness/ratescheduler.h"
#include "bench/harness/waitutil.h"
#include "bench/harness/workerpool.h"
#include "shared/client/pendingrequest.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {
class ConnectionsWorker final : public ClientWorker
{
public:
    explicit ConnectionsWorker(int index) : ClientWorker(index) { }

    // Round robin over this worker's connections at plan.rate pings/s: with rate = n / interval
    // every connection pings once per interval, the pings evenly spread over it.
    void startPings(const RateScheduler::Plan &plan)
    {
        m_scheduler.start(this, plan, [this](bool measured) {
            Q_UNUSED(measured)
            const auto &cs = connections();
            if (cs.empty())
                return false;
            ClientConnection *c = cs[m_next++ % cs.size()];
            if (c->state() != ClientConnection::State::Authenticated)
                return false;
            PendingRequest *r = c->ping();
            pingsSent.fetch_add(1, std::memory_order_relaxed);
            QObject::connect(r, &PendingRequest::finished, this, [this, r] {
                if (r->isSuccess())
                    pongs.fetch_add(1, std::memory_order_relaxed);
                else
                    pingsFailed.fetch_add(1, std::memory_order_relaxed);
            });
            return true;
        });
    }
    bool isPinging() const { return m_scheduler.running.load(); }
    quint64 skipped() const { return m_scheduler.skippedBehind + m_scheduler.skippedBusy; }

    std::atomic<quint64> pingsSent {0};
    std::atomic<quint64> pongs {0};
    std::atomic<quint64> pingsFailed {0};

private:
    RateScheduler m_scheduler;
    size_t m_next = 0;
};

// Users needed so that no user exceeds its connection limit.
int usersFor(int connections, int perUser)
{
    return (connections + perUser - 1) / perUser;
}

constexpr int kPerUserWhenOwned = 1000; // max_connections_per_user written for a started server
constexpr int kPerUserDefault = 5; // the server's default
} // namespace

QList<QCommandLineOption> ConnectionsMode::options() const
{
    return {
        {u"connections"_s, u"Idle authenticated connections to open. Default 10000."_s, u"N"_s, u"10000"_s},
        {u"users"_s,
            u"Users to spread them over. Default: 20 when the bench starts the server (it sets "
            "max_connections_per_user high), else connections/5."_s,
            u"N"_s, u"0"_s},
        {u"concurrency"_s, u"Connections being opened at a time (connect + auth). Default 200."_s, u"N"_s, u"200"_s},
        {u"auth"_s, u"How to authenticate: frame (auth request, default), header (Bearer) or query (?token=)."_s,
            u"HOW"_s, u"frame"_s},
        {u"warmup-connections"_s, u"Connections opened and closed before the memory baseline. Default 200."_s, u"N"_s,
            u"200"_s},
        {u"settle"_s, u"Seconds to wait before reading memory. Default 3."_s, u"S"_s, u"3"_s},
        {u"hold"_s, u"Seconds to keep the connections open after measuring. Default 0."_s, u"S"_s, u"0"_s},
        {u"heartbeat"_s,
            u"After opening, every connection sends {\"type\":\"ping\"} every S seconds (evenly "
            "spread) and the server's CPU is measured with no other traffic. Default 0 (off)."_s,
            u"S"_s, u"0"_s},
        {u"heartbeat-window"_s, u"With --heartbeat: seconds of CPU measurement. Default 60."_s, u"S"_s, u"60"_s},
        {u"heartbeat-warmup"_s, u"With --heartbeat: seconds of pinging before the window. Default 5."_s, u"S"_s,
            u"5"_s},
    };
}

bool ConnectionsMode::configure(const QCommandLineParser &parser, QString *error)
{
    m_connections = parser.value(u"connections"_s).toInt();
    m_users = parser.value(u"users"_s).toInt();
    m_concurrency = parser.value(u"concurrency"_s).toInt();
    m_warmup = parser.value(u"warmup-connections"_s).toInt();
    m_settle = parser.value(u"settle"_s).toDouble();
    m_hold = parser.value(u"hold"_s).toDouble();
    m_auth = parser.value(u"auth"_s);
    m_heartbeat = parser.value(u"heartbeat"_s).toDouble();
    m_heartbeatWindow = parser.value(u"heartbeat-window"_s).toDouble();
    m_heartbeatWarmup = parser.value(u"heartbeat-warmup"_s).toDouble();
    if (m_connections < 1 || m_connections > 500000)
        *error = u"--connections must be 1..500000"_s;
    else if (m_users < 0 || m_concurrency < 1 || m_warmup < 0)
        *error = u"--users, --concurrency and --warmup-connections must be positive"_s;
    else if (m_auth != u"frame"_s && m_auth != u"header"_s && m_auth != u"query"_s)
        *error = u"--auth must be frame, header or query"_s;
    else if (m_settle < 0 || m_settle > 600 || m_hold < 0 || m_hold > 3600)
        *error = u"--settle must be 0..600 and --hold 0..3600"_s;
    else if (m_heartbeat < 0 || m_heartbeat > 3600 || m_heartbeatWindow <= 0 || m_heartbeatWindow > 3600
        || m_heartbeatWarmup < 0 || m_heartbeatWarmup > 600)
        *error = u"--heartbeat must be 0..3600, --heartbeat-window (0, 3600], --heartbeat-warmup 0..600"_s;
    return error->isEmpty();
}

void ConnectionsMode::serverConfig(ServerConfigMap &config) const
{
    config[u"limits"_s][u"max_connections_per_user"_s] = QString::number(kPerUserWhenOwned);
    if (m_heartbeat > 0) {
        // The interval the server advertises, and a timeout the pings keep every connection within
        // (3 intervals: the first ping of a connection comes up to settle + one interval after it
        // was opened). The sweep timer checks it once a second whatever its value.
        const int interval = std::max(1, int(std::ceil(m_heartbeat)));
        config[u"limits"_s][u"heartbeat_interval"_s] = QString::number(interval);
        config[u"limits"_s][u"heartbeat_timeout"_s] = QString::number(3 * interval + int(m_settle) + 10);
    }
}

int ConnectionsMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    const int perUser = ctx.ownsServer() ? kPerUserWhenOwned : kPerUserDefault;
    const int users = m_users > 0 ? m_users : (ctx.ownsServer() ? 20 : usersFor(m_connections, perUser));
    if (usersFor(m_connections, perUser) > users)
        return ctx.log(
                   u"%1 users cannot hold %2 connections (%3 per user)"_s.arg(users).arg(m_connections).arg(perUser)),
               1;
    report.param(u"connections"_s, m_connections);
    report.param(u"users"_s, users);
    report.param(u"concurrency"_s, m_concurrency);
    report.param(u"auth"_s, m_auth);

    QString error;
    const QList<BenchUser> accounts = ctx.createUsers(users, &error);
    if (accounts.isEmpty())
        return ctx.log(error), 1;
    const auto via = m_auth == u"header"_s ? ClientConnection::TokenTransport::Header
        : m_auth == u"query"_s             ? ClientConnection::TokenTransport::Query
                                           : ClientConnection::TokenTransport::AuthFrame;
    const int workers = std::min(ctx.threads, m_connections);
    const QUrl ws = ctx.wsUrl();

    // Warm-up: one round of connections opened and closed, so that one-time allocations of the
    // server (buffers, caches, thread stacks) are in the baseline and not counted per connection.
    if (m_warmup > 0) {
        ctx.log(u"warm-up: %1 connections opened and closed"_s.arg(m_warmup));
        WorkerPool<ConnectionsWorker> warm;
        warm.start(1);
        std::vector<ConnectionSpec> specs;
        for (int i = 0; i < m_warmup; ++i)
            specs.push_back(ConnectionSpec {i, accounts[i % users].id, accounts[i % users].token});
        warm.runAll(
            [&](ConnectionsWorker &w, std::function<void()> done) { w.openAll(ws, specs, m_concurrency, via, done); },
            120000);
        warm.runAll([](ConnectionsWorker &w, std::function<void()> done) { w.closeAll(done); }, 15000);
        warm.stop();
        // The server notices the closes and deletes the sessions later.
        waitUntil([&] { return ctx.metric(u"switchboard_connections"_s).value_or(1) == 0; }, 15000, 100);
    }
    spinFor(int(m_settle * 1000));
    const ServerSample before = ctx.sample();
    const int fdsBefore = openFileCount(ctx.server->pid());

    WorkerPool<ConnectionsWorker> pool;
    pool.start(workers);
    std::vector<std::vector<ConnectionSpec>> specs(static_cast<size_t>(workers));
    for (int i = 0; i < m_connections; ++i)
        specs[size_t(i % workers)].push_back(ConnectionSpec {i, accounts[i % users].id, accounts[i % users].token});
    ctx.log(u"opening %1 connections, %2 at a time, on %3 worker thread(s)"_s.arg(m_connections)
                .arg(m_concurrency)
                .arg(workers));
    const qint64 startNs = nowNs();
    pool.runAll(
        [&](ConnectionsWorker &w, std::function<void()> done) {
            w.openAll(ws, specs[size_t(w.index())], shareOf(m_concurrency, workers, w.index()), via, done);
        },
        600000);
    const ServerSample opened = ctx.sample();

    int ok = 0, failed = 0;
    qint64 lastOpened = startNs;
    LatencyRecorder latency;
    QString firstError;
    pool.callAll([&](ConnectionsWorker &w) {
        ok += w.opened.load();
        failed += w.openFailed.load();
        lastOpened = std::max(lastOpened, w.lastOpenedNs.load());
        latency.merge(w.openLatency);
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    const double seconds = double(lastOpened - startNs) / 1e9;
    ctx.log(u"%1 authenticated, %2 failed in %3 s; settling %4 s"_s.arg(ok)
                .arg(failed)
                .arg(seconds, 0, 'f', 2)
                .arg(m_settle));
    spinFor(int(m_settle * 1000));
    const ServerSample after = ctx.sample();
    const int fdsAfter = openFileCount(ctx.server->pid());
    const auto authenticatedOnServer = ctx.metric(u"switchboard_connections_authenticated"_s);

    const double perConnection = ok > 0 ? double(after.rss - before.rss) / ok : 0;
    const double rate = seconds > 0 ? ok / seconds : 0;
    const auto l = latency.summary();
    report.section(u"load"_s);
    report.value(u"connections"_s, u"connections requested"_s, m_connections, {}, 0);
    report.value(u"users"_s, u"users"_s, users, {}, 0);
    report.value(u"concurrency"_s, u"opened at a time"_s, m_concurrency, {}, 0);
    report.text(u"auth"_s, u"authentication"_s, m_auth);
    report.section(u"results"_s);
    report.value(u"authenticated"_s, u"authenticated"_s, ok, {}, 0);
    report.value(u"failed"_s, u"failed"_s, failed, {}, 0);
    if (authenticatedOnServer)
        report.value(u"server_authenticated"_s, u"authenticated (server /metrics)"_s, *authenticatedOnServer, {}, 0);
    report.value(u"connect_auth_rate"_s, u"connect+auth rate"_s, rate, u"per s"_s, 0);
    report.value(u"connect_auth_seconds"_s, u"time to open all"_s, seconds, u"s"_s, 2);
    report.value(u"connect_auth_p50_ms"_s, u"connect+auth latency p50"_s, l.p50Ms, u"ms"_s, 2);
    report.value(u"connect_auth_p99_ms"_s, u"connect+auth latency p99"_s, l.p99Ms, u"ms"_s, 2);
    report.value(u"rss_before_mib"_s, u"server RSS before"_s, double(before.rss) / 1048576.0, u"MiB"_s, 1);
    report.value(u"rss_after_mib"_s, u"server RSS after"_s, double(after.rss) / 1048576.0, u"MiB"_s, 1);
    report.value(u"rss_per_connection_kib"_s, u"server RSS per idle authenticated connection"_s, perConnection / 1024.0,
        u"KiB"_s, 2);
    if (fdsBefore >= 0 && fdsAfter >= 0)
        report.value(u"server_fds"_s, u"server file descriptors added"_s, fdsAfter - fdsBefore, {}, 0);
    report.section(u"cost (opening)"_s);
    ctx.reportCpu(before, opened, ok, u"connections"_s);
    if (!firstError.isEmpty())
        report.note(u"first error: "_s + firstError);

    report.section(u"targets"_s);
    if (m_connections >= 10000)
        report.check(u"10,000 idle connections < 24 KiB each"_s, ok == m_connections && perConnection < 24 * 1024,
            u"%1 KiB, %2 of %3 open"_s.arg(perConnection / 1024.0, 0, 'f', 2).arg(ok).arg(m_connections),
            u"< 24 KiB"_s);
    report.check(u">= 3,000 connections+auths per second"_s, rate >= 3000, QString::number(rate, 'f', 0) + u"/s"_s,
        u">= 3000/s"_s);

    if (m_heartbeat > 0 && ok > 0) {
        // Heartbeats: a rate schedule per worker, n/interval pings per second over its connections.
        RateScheduler::Plan plan;
        plan.tickMs = 20;
        plan.startNs = nowNs() + 100'000'000;
        plan.measureStartNs = plan.startNs + qint64(m_heartbeatWarmup * 1e9);
        plan.endNs = plan.measureStartNs + qint64(m_heartbeatWindow * 1e9) + 500'000'000;
        ctx.log(u"heartbeats: a ping per connection every %1 s (%2 pings/s in all); %3 s warm-up, %4 s measured"_s
                    .arg(m_heartbeat)
                    .arg(ok / m_heartbeat, 0, 'f', 1)
                    .arg(m_heartbeatWarmup)
                    .arg(m_heartbeatWindow));
        for (int i = 0; i < workers; ++i) {
            RateScheduler::Plan p = plan;
            p.rate = double(specs[size_t(i)].size()) / m_heartbeat;
            pool.post(i, [p](ConnectionsWorker &w) { w.startPings(p); });
        }
        auto pingSums = [&](quint64 *sent, quint64 *pongs, quint64 *failed) {
            *sent = *pongs = *failed = 0;
            pool.peek([&](const ConnectionsWorker &w) {
                *sent += w.pingsSent.load();
                *pongs += w.pongs.load();
                *failed += w.pingsFailed.load();
            });
        };
        waitUntil([&] { return nowNs() >= plan.measureStartNs; }, int(m_heartbeatWarmup * 1000) + 10000, 5);
        quint64 sent0, pongs0, failed0;
        pingSums(&sent0, &pongs0, &failed0);
        const ServerSample hbBefore = ctx.sample();
        const qint64 windowEnd = plan.measureStartNs + qint64(m_heartbeatWindow * 1e9);
        qint64 lastLog = nowNs();
        waitUntil(
            [&] {
                if (nowNs() - lastLog > 10'000'000'000) {
                    lastLog = nowNs();
                    quint64 s, p, f;
                    pingSums(&s, &p, &f);
                    ctx.log(u"  pings sent %1, pongs %2, failed %3"_s.arg(s).arg(p).arg(f));
                }
                return nowNs() >= windowEnd;
            },
            int(m_heartbeatWindow * 1000) + 10000, 5);
        const ServerSample hbAfter = ctx.sample();
        quint64 sent1, pongs1, failed1;
        pingSums(&sent1, &pongs1, &failed1);
        waitUntil(
            [&] {
                bool pinging = false;
                pool.peek([&](const ConnectionsWorker &w) { pinging = pinging || w.isPinging(); });
                return !pinging;
            },
            5000, 10);
        quint64 skipped = 0;
        int unexpected = 0;
        pool.callAll([&](ConnectionsWorker &w) {
            skipped += w.skipped();
            unexpected += w.unexpectedCloses.load();
        });
        const auto stillAuthenticated = ctx.metric(u"switchboard_connections_authenticated"_s);
        const double wall = double(hbAfter.ns - hbBefore.ns) / 1e9;
        const double utilisation = wall > 0 ? (hbAfter.total - hbBefore.total) / wall * 100 : 0;
        const double pings = double(sent1 - sent0);
        report.section(u"heartbeats (idle connections pinging, no other traffic)"_s);
        report.value(u"heartbeat_interval_s"_s, u"ping interval per connection"_s, m_heartbeat, u"s"_s, 1);
        report.value(u"heartbeat_pings"_s, u"pings sent in the window"_s, pings, {}, 0);
        report.value(u"heartbeat_pings_per_s"_s, u"ping rate"_s, wall > 0 ? pings / wall : 0, u"per s"_s, 1);
        report.value(u"heartbeat_pongs"_s, u"pongs received in the window"_s, double(pongs1 - pongs0), {}, 0);
        report.value(u"heartbeat_failed"_s, u"pings failed (whole run)"_s, double(failed1), {}, 0);
        report.value(
            u"heartbeat_skipped"_s, u"pings skipped (bench behind or not authenticated)"_s, double(skipped), {}, 0);
        report.value(u"heartbeat_unexpected_closes"_s, u"connections closed by the server"_s, unexpected, {}, 0);
        if (stillAuthenticated)
            report.value(u"heartbeat_server_authenticated"_s, u"authenticated after the window (server /metrics)"_s,
                *stillAuthenticated, {}, 0);
        report.value(u"heartbeat_server_cpu_pct"_s, u"server CPU in the window"_s, utilisation, u"% of one core"_s, 3);
        report.value(u"heartbeat_server_cpu_wait_pct"_s, u"server waited for a CPU in the window"_s,
            wall > 0 ? (hbAfter.serverWait - hbBefore.serverWait) / wall * 100 : 0, u"% of the window"_s, 2);
        ctx.reportCpu(hbBefore, hbAfter, pings, u"pings"_s);
        report.section(u"targets (heartbeats)"_s);
        report.check(u"%1 idle connections with heartbeats < 2 % of a core"_s.arg(ok),
            ok >= 10000 && utilisation < 2 && unexpected == 0,
            u"%1 % of one core over %2 s, %3 connections, a ping every %4 s"_s.arg(utilisation, 0, 'f', 2)
                .arg(wall, 0, 'f', 1)
                .arg(ok)
                .arg(m_heartbeat),
            u"< 2 %, 10,000 connections"_s);
    }

    if (m_hold > 0) {
        ctx.log(u"holding the connections for %1 s"_s.arg(m_hold));
        spinFor(int(m_hold * 1000));
    }
    ctx.log(u"closing connections"_s);
    pool.runAll([](ConnectionsWorker &w, std::function<void()> done) { w.closeAll(done, 15000); }, 20000);
    pool.stop();
    return 0;
}

} // namespace Switchboard::Bench
