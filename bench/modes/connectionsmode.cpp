#include "bench/modes/connectionsmode.h"

#include <QCommandLineParser>

#include "bench/benchcontext.h"
#include "bench/clientworker.h"
#include "bench/waitutil.h"
#include "bench/workerpool.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {
class ConnectionsWorker final : public ClientWorker
{
public:
    explicit ConnectionsWorker(int index) : ClientWorker(index) {}
};

// Users needed so that no user exceeds its connection limit.
int usersFor(int connections, int perUser)
{
    return (connections + perUser - 1) / perUser;
}

constexpr int kPerUserWhenOwned = 1000; // max_connections_per_user written for a started server
constexpr int kPerUserDefault = 5;      // the server's default
} // namespace

QList<QCommandLineOption> ConnectionsMode::options() const
{
    return {
        {u"connections"_s, u"Idle authenticated connections to open. Default 10000."_s, u"N"_s, u"10000"_s},
        {u"users"_s, u"Users to spread them over. Default: 20 when the bench starts the server (it sets "
                     "max_connections_per_user high), else connections/5."_s, u"N"_s, u"0"_s},
        {u"concurrency"_s, u"Connections being opened at a time (connect + auth). Default 200."_s, u"N"_s, u"200"_s},
        {u"auth"_s, u"How to authenticate: frame (auth request, default), header (Bearer) or query (?token=)."_s,
         u"HOW"_s, u"frame"_s},
        {u"warmup-connections"_s, u"Connections opened and closed before the memory baseline. Default 200."_s, u"N"_s,
         u"200"_s},
        {u"settle"_s, u"Seconds to wait before reading memory. Default 3."_s, u"S"_s, u"3"_s},
        {u"hold"_s, u"Seconds to keep the connections open after measuring. Default 0."_s, u"S"_s, u"0"_s},
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
    if (m_connections < 1 || m_connections > 500000)
        *error = u"--connections must be 1..500000"_s;
    else if (m_users < 0 || m_concurrency < 1 || m_warmup < 0)
        *error = u"--users, --concurrency and --warmup-connections must be positive"_s;
    else if (m_auth != u"frame"_s && m_auth != u"header"_s && m_auth != u"query"_s)
        *error = u"--auth must be frame, header or query"_s;
    else if (m_settle < 0 || m_settle > 600 || m_hold < 0 || m_hold > 3600)
        *error = u"--settle must be 0..600 and --hold 0..3600"_s;
    return error->isEmpty();
}

void ConnectionsMode::serverConfig(ServerConfigMap &config) const
{
    config[u"limits"_s][u"max_connections_per_user"_s] = QString::number(kPerUserWhenOwned);
}

int ConnectionsMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    const int perUser = ctx.ownsServer() ? kPerUserWhenOwned : kPerUserDefault;
    const int users = m_users > 0 ? m_users : (ctx.ownsServer() ? 20 : usersFor(m_connections, perUser));
    if (usersFor(m_connections, perUser) > users)
        return ctx.log(u"%1 users cannot hold %2 connections (%3 per user)"_s.arg(users).arg(m_connections).arg(perUser)), 1;
    report.param(u"connections"_s, m_connections);
    report.param(u"users"_s, users);
    report.param(u"concurrency"_s, m_concurrency);
    report.param(u"auth"_s, m_auth);

    QString error;
    const QList<BenchUser> accounts = ctx.createUsers(users, &error);
    if (accounts.isEmpty())
        return ctx.log(error), 1;
    const auto via = m_auth == u"header"_s ? ClientConnection::TokenTransport::Header
                     : m_auth == u"query"_s ? ClientConnection::TokenTransport::Query
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
            specs.push_back(ConnectionSpec{i, accounts[i % users].id, accounts[i % users].token});
        warm.runAll([&](ConnectionsWorker &w, std::function<void()> done) {
            w.openAll(ws, specs, m_concurrency, via, done);
        }, 120000);
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
        specs[size_t(i % workers)].push_back(ConnectionSpec{i, accounts[i % users].id, accounts[i % users].token});
    ctx.log(u"opening %1 connections, %2 at a time, on %3 worker thread(s)"_s.arg(m_connections).arg(m_concurrency).arg(workers));
    const qint64 startNs = nowNs();
    pool.runAll([&](ConnectionsWorker &w, std::function<void()> done) {
        w.openAll(ws, specs[size_t(w.index())], shareOf(m_concurrency, workers, w.index()), via, done);
    }, 600000);
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
    ctx.log(u"%1 authenticated, %2 failed in %3 s; settling %4 s"_s.arg(ok).arg(failed).arg(seconds, 0, 'f', 2).arg(m_settle));
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
