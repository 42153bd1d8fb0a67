#include "bench/modes/reconnectstormmode.h"

#include <QCommandLineParser>
#include <QSet>

#include "bench/harness/benchcontext.h"
#include "bench/harness/clientworker.h"
#include "bench/harness/waitutil.h"
#include "bench/harness/workerpool.h"
#include "shared/client/pendingrequest.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {
constexpr int kPerUserWhenOwned = 1000;

class StormWorker final : public ClientWorker
{
public:
    explicit StormWorker(int index) : ClientWorker(index)
    {
        onConnectionCreated = [this](ClientConnection *c, int local) {
            QObject::connect(c, &ClientConnection::messageReceived, this,
                [this, local](const ChatMessage &m, bool) { onMessage(size_t(local), m); });
        };
    }

    void drop() { abortAll(); }

    // expected: user id -> ids of the messages sent to that user during the gap.
    void reconnectAll(const QUrl &ws, const QHash<qint64, QSet<qint64>> &expected, qint64 startNs, int concurrency,
        std::function<void()> done)
    {
        m_expected = expected;
        m_ws = ws;
        m_startNs = startNs;
        m_received.assign(connections().size(), {});
        m_synced.assign(connections().size(), 0);
        m_restored.assign(connections().size(), 0);
        m_concurrency = concurrency <= 0 ? int(connections().size()) : concurrency;
        m_done = std::move(done);
        m_pending = int(connections().size());
        m_resumeWasMissing = 0;
        for (size_t i = 0; i < connections().size(); ++i) {
            if (m_expected.value(specs()[i].userId).isEmpty())
                markSynced(i);
        }
        next();
    }

    std::atomic<int> restored {0};
    std::atomic<int> failed {0};
    std::atomic<int> synced {0};
    qint64 lastRestoredNs = 0;
    qint64 lastSyncedNs = 0;
    LatencyRecorder restoreLatency;
    int notRecovered = 0;
    int m_resumeWasMissing = 0;

private:
    void next()
    {
        while (m_nextIndex < connections().size() && m_inProgress < m_concurrency) {
            const size_t i = m_nextIndex++;
            ClientConnection *c = connections()[i];
            ++m_inProgress;
            const QString token = c->resumeToken();
            if (token.isEmpty())
                ++m_resumeWasMissing;
            const qint64 started = nowNs();
            c->open(m_ws);
            PendingRequest *r = c->resumeSession(token);
            QObject::connect(r, &PendingRequest::finished, this, [this, r, i, started] {
                --m_inProgress;
                if (r->isSuccess()) {
                    const qint64 now = nowNs();
                    restoreLatency.add(now - started);
                    lastRestoredNs = std::max(lastRestoredNs, now);
                    m_restored[i] = 1;
                    if (!r->data().value(u"recovered"_s).toBool(true))
                        ++notRecovered;
                    restored.fetch_add(1);
                } else {
                    noteError(u"reconnect failed: %1 %2"_s.arg(toString(r->error().code), r->error().message));
                    failed.fetch_add(1);
                }
                if (--m_pending == 0 && m_done) {
                    auto cb = std::move(m_done);
                    m_done = nullptr;
                    cb();
                }
                next();
            });
        }
    }

    void onMessage(size_t i, const ChatMessage &m)
    {
        if (m_received.empty() || !m.content.startsWith(u'G'))
            return;
        m_received[i].insert(m.id);
        if (!m_synced[i] && m_received[i].contains(m_expected.value(specs()[i].userId)))
            markSynced(i);
    }

    void markSynced(size_t i)
    {
        m_synced[i] = 1;
        lastSyncedNs = std::max(lastSyncedNs, nowNs());
        synced.fetch_add(1);
    }

public:
    // Messages of the gap that never reached a connection, summed over connections.
    quint64 missing() const
    {
        quint64 n = 0;
        for (size_t i = 0; i < m_received.size(); ++i) {
            for (qint64 id : m_expected.value(specs()[i].userId)) {
                if (!m_received[i].contains(id))
                    ++n;
            }
        }
        return n;
    }

private:
    QHash<qint64, QSet<qint64>> m_expected;
    QUrl m_ws;
    qint64 m_startNs = 0;
    std::vector<QSet<qint64>> m_received;
    std::vector<char> m_synced;
    std::vector<char> m_restored;
    size_t m_nextIndex = 0;
    int m_inProgress = 0;
    int m_concurrency = 0;
    int m_pending = 0;
    std::function<void()> m_done;
};
} // namespace

QList<QCommandLineOption> ReconnectStormMode::options() const
{
    return {
        {u"connections"_s, u"Connections dropped and resumed. Default 5000."_s, u"N"_s, u"5000"_s},
        {u"users"_s,
            u"Users they belong to. Default 50 when the bench starts the server (it raises "
            "max_connections_per_user), else connections/5."_s,
            u"N"_s, u"0"_s},
        {u"gap-messages"_s, u"Messages sent to every user while its connections are gone. Default 1."_s, u"N"_s,
            u"1"_s},
        {u"concurrency"_s, u"Reconnects in progress at a time; 0 = all at once (default)."_s, u"N"_s, u"0"_s},
        {u"timeout"_s, u"Seconds to wait for the storm to settle. Default 60."_s, u"S"_s, u"60"_s},
    };
}

bool ReconnectStormMode::configure(const QCommandLineParser &parser, QString *error)
{
    m_connections = parser.value(u"connections"_s).toInt();
    m_users = parser.value(u"users"_s).toInt();
    m_gapMessages = parser.value(u"gap-messages"_s).toInt();
    m_concurrency = parser.value(u"concurrency"_s).toInt();
    m_timeout = parser.value(u"timeout"_s).toDouble();
    if (m_connections < 1 || m_connections > 200000)
        *error = u"--connections must be 1..200000"_s;
    else if (m_users < 0 || m_gapMessages < 0 || m_gapMessages > 1000 || m_concurrency < 0)
        *error = u"--users, --concurrency must be >= 0 and --gap-messages 0..1000"_s;
    else if (m_timeout <= 0 || m_timeout > 3600)
        *error = u"--timeout must be in (0, 3600]"_s;
    return error->isEmpty();
}

void ReconnectStormMode::serverConfig(ServerConfigMap &config) const
{
    config[u"limits"_s][u"max_connections_per_user"_s] = QString::number(kPerUserWhenOwned);
}

int ReconnectStormMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    const int perUser = ctx.ownsServer() ? kPerUserWhenOwned : 5;
    const int users = m_users > 0
        ? m_users
        : (ctx.ownsServer() ? std::min(50, m_connections) : (m_connections + perUser - 1) / perUser);
    if ((m_connections + users - 1) / users > perUser)
        return ctx.log(
                   u"%1 users cannot hold %2 connections (%3 per user)"_s.arg(users).arg(m_connections).arg(perUser)),
               1;
    report.param(u"connections"_s, m_connections);
    report.param(u"users"_s, users);
    report.param(u"gap_messages"_s, m_gapMessages);
    report.param(u"concurrency"_s, m_concurrency);

    QString error;
    // The last account is the sender of the gap's messages.
    const QList<BenchUser> accounts = ctx.createUsers(users + 1, &error);
    if (accounts.isEmpty())
        return ctx.log(error), 1;
    const BenchUser senderAccount = accounts.last();

    const int workers = std::min(ctx.threads, m_connections);
    WorkerPool<StormWorker> pool;
    pool.start(workers);
    std::vector<std::vector<ConnectionSpec>> specs(static_cast<size_t>(workers));
    for (int i = 0; i < m_connections; ++i)
        specs[size_t(i % workers)].push_back(ConnectionSpec {i, accounts[i % users].id, accounts[i % users].token});
    ctx.log(u"opening %1 connections for %2 users"_s.arg(m_connections).arg(users));
    const QUrl ws = ctx.wsUrl();
    pool.runAll(
        [&](StormWorker &w, std::function<void()> done) {
            w.openAll(ws, specs[size_t(w.index())], std::max(1, ctx.setupConcurrency / workers),
                ClientConnection::TokenTransport::AuthFrame, done);
        },
        600000);
    int opened = 0;
    QString firstError;
    pool.callAll([&](StormWorker &w) {
        opened += w.opened.load();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    if (opened != m_connections)
        return ctx.log(u"only %1 of %2 connections authenticated: %3"_s.arg(opened).arg(m_connections).arg(firstError)),
               1;

    // The sender lives in the main thread.
    ClientConnection sender;
    sender.setAutoDeleteRequests(true);
    sender.setRequestTimeout(60000);
    sender.openWithToken(ws, senderAccount.token);
    if (!waitUntil([&] { return sender.isAuthenticated(); }, 30000))
        return ctx.log(u"the sender did not authenticate"_s), 1;

    ctx.log(u"dropping %1 connections"_s.arg(m_connections));
    const qint64 dropNs = nowNs();
    pool.callAll([](StormWorker &w) { w.drop(); });
    // The server must have noticed every drop (sessions detached, resumable) before the gap.
    const bool noticed = waitUntil(
        [&] { return ctx.metric(u"switchboard_connections_authenticated"_s).value_or(1e9) <= 1; }, 60000, 100);
    const double noticeSeconds = double(nowNs() - dropNs) / 1e9;
    if (!noticed)
        return ctx.log(u"the server still counts authenticated connections 60 s after the drop"_s), 1;

    ctx.log(u"sending %1 message(s) to each of %2 users during the gap"_s.arg(m_gapMessages).arg(users));
    QHash<qint64, QSet<qint64>> expected;
    int answered = 0, refused = 0;
    const int gapTotal = m_gapMessages * users;
    for (int k = 0; k < m_gapMessages; ++k) {
        for (int u = 0; u < users; ++u) {
            const qint64 to = accounts[u].id;
            PendingRequest *r = sender.sendTextTo(to, u"G%1 gap message %2 for user %3"_s.arg(k).arg(k).arg(to));
            QObject::connect(r, &PendingRequest::finished, &sender, [&, r, to] {
                ++answered;
                if (r->isSuccess())
                    expected[to].insert(qint64(r->data().value(u"message_id"_s).toDouble()));
                else
                    ++refused;
            });
        }
    }
    if (!waitUntil([&] { return answered == gapTotal; }, 120000))
        return ctx.log(u"the gap messages were not answered"_s), 1;
    if (refused)
        return ctx.log(u"%1 gap messages were refused"_s.arg(refused)), 1;

    ctx.log(u"reconnecting %1 connections (%2)"_s.arg(m_connections)
                .arg(m_concurrency > 0 ? u"%1 at a time"_s.arg(m_concurrency) : u"all at once"_s));
    const ServerSample before = ctx.sample();
    const qint64 startNs = nowNs();
    for (int i = 0; i < workers; ++i) {
        const int concurrency = m_concurrency > 0 ? shareOf(m_concurrency, workers, i) : 0;
        pool.post(i, [ws, expected, startNs, concurrency](StormWorker &w) {
            w.reconnectAll(ws, expected, startNs, concurrency, [] {});
        });
    }
    qint64 lastLog = nowNs();
    auto counts = [&](int *restored, int *failed, int *synced) {
        *restored = *failed = *synced = 0;
        pool.peek([&](const StormWorker &w) {
            *restored += w.restored.load();
            *failed += w.failed.load();
            *synced += w.synced.load();
        });
    };
    const bool settled = waitUntil(
        [&] {
            int restored, failed, synced;
            counts(&restored, &failed, &synced);
            if (nowNs() - lastLog > 1'000'000'000) {
                lastLog = nowNs();
                ctx.log(u"  restored %1, failed %2, synced %3"_s.arg(restored).arg(failed).arg(synced));
            }
            return restored + failed == m_connections && synced >= restored;
        },
        int(m_timeout * 1000), 5);
    const ServerSample after = ctx.sample();

    int restored = 0, failed = 0, synced = 0, notRecovered = 0, missingTokens = 0;
    qint64 lastRestored = startNs, lastSynced = startNs;
    quint64 missing = 0;
    LatencyRecorder latency;
    pool.callAll([&](StormWorker &w) {
        restored += w.restored.load();
        failed += w.failed.load();
        synced += w.synced.load();
        lastRestored = std::max(lastRestored, w.lastRestoredNs);
        lastSynced = std::max(lastSynced, w.lastSyncedNs);
        latency.merge(w.restoreLatency);
        missing += w.missing();
        notRecovered += w.notRecovered;
        missingTokens += w.m_resumeWasMissing;
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    const double restoreSeconds = double(lastRestored - startNs) / 1e9;
    const double syncSeconds = double(std::max(lastSynced, lastRestored) - startNs) / 1e9;
    const auto l = latency.summary();

    report.section(u"load"_s);
    report.value(u"connections"_s, u"connections dropped"_s, m_connections, {}, 0);
    report.value(u"users"_s, u"users"_s, users, {}, 0);
    report.value(u"gap_messages"_s, u"messages sent during the gap"_s, gapTotal, {}, 0);
    report.value(u"drop_noticed_s"_s, u"server noticed every drop after"_s, noticeSeconds, u"s"_s, 2);
    report.section(u"results"_s);
    report.value(u"restored"_s, u"sessions restored"_s, restored, {}, 0);
    report.value(u"failed"_s, u"reconnects refused or failed"_s, failed, {}, 0);
    report.value(u"restore_seconds"_s, u"time until all restored"_s, restoreSeconds, u"s"_s, 2);
    report.value(u"synced_seconds"_s, u"time until all hold the gap's messages"_s, syncSeconds, u"s"_s, 2);
    report.value(u"restore_rate"_s, u"reconnects per second"_s, restoreSeconds > 0 ? restored / restoreSeconds : 0,
        u"per s"_s, 0);
    report.value(u"reconnect_p50_ms"_s, u"reconnect latency p50"_s, l.p50Ms, u"ms"_s, 1);
    report.value(u"reconnect_p99_ms"_s, u"reconnect latency p99"_s, l.p99Ms, u"ms"_s, 1);
    report.value(u"reconnect_max_ms"_s, u"reconnect latency max"_s, l.maxMs, u"ms"_s, 1);
    report.value(u"missing"_s, u"gap messages missing on a connection"_s, double(missing), {}, 0);
    if (notRecovered)
        report.value(u"not_recovered"_s, u"replies with recovered=false"_s, notRecovered, {}, 0);
    report.section(u"cost (storm)"_s);
    ctx.reportCpu(before, after, restored, u"reconnects"_s);
    if (!firstError.isEmpty())
        report.note(u"first error: "_s + firstError);
    if (!settled)
        report.note(u"the storm did not settle within %1 s"_s.arg(m_timeout));
    report.section(u"targets"_s);
    if (m_connections >= 5000)
        report.check(u"5,000 reconnects < 10 s"_s, restored == m_connections && syncSeconds < 10,
            u"%1 s, %2 of %3 restored"_s.arg(syncSeconds, 0, 'f', 2).arg(restored).arg(m_connections), u"< 10 s"_s);
    report.check(
        u"zero loss"_s, missing == 0 && failed == 0, u"%1 missing, %2 failed"_s.arg(missing).arg(failed), u"0"_s);

    sender.close();
    pool.runAll([](StormWorker &w, std::function<void()> done) { w.closeAll(done, 10000); }, 20000);
    pool.stop();
    return 0;
}

} // namespace Switchboard::Bench
