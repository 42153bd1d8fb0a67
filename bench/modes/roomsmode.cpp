#include "bench/modes/roomsmode.h"

#include <QCommandLineParser>

#include "bench/harness/benchcontext.h"
#include "bench/harness/clientworker.h"
#include "bench/harness/ratescheduler.h"
#include "bench/harness/waitutil.h"
#include "bench/harness/workerpool.h"
#include "shared/client/pendingrequest.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {
const QString kRoom = u"bench-room"_s;

// Broadcast data: "<phase><send time ns> <padding>" as a JSON string.
class RoomsWorker final : public ClientWorker
{
public:
    explicit RoomsWorker(int index) : ClientWorker(index)
    {
        onConnectionCreated = [this](ClientConnection *c, int) {
            QObject::connect(c, &ClientConnection::roomMessageReceived, this,
                [this](const QString &, qint64, const QJsonValue &data, bool) { onBroadcast(data); });
        };
    }

    void joinAll(std::function<void()> done)
    {
        auto remaining = std::make_shared<int>(int(connections().size()));
        if (*remaining == 0)
            return done();
        for (ClientConnection *c : connections()) {
            PendingRequest *r = c->joinRoom(kRoom);
            QObject::connect(r, &PendingRequest::finished, this, [this, r, remaining, done] {
                if (r->isSuccess())
                    joined.fetch_add(1);
                else
                    noteError(u"join failed: "_s + r->error().message);
                if (--*remaining == 0)
                    done();
            });
        }
    }

    void startSending(const RateScheduler::Plan &plan, const QString &padding, int maxInFlight)
    {
        m_padding = padding;
        m_inFlight.assign(connections().size(), 0);
        m_scheduler.start(this, plan, [this, maxInFlight](bool measured) {
            const size_t i = m_next++ % connections().size();
            if (m_inFlight[i] >= maxInFlight)
                return false;
            send(i, measured);
            return true;
        });
    }

    bool isSending() const { return m_scheduler.running.load(); }
    quint64 skipped() const { return m_scheduler.skippedBehind + m_scheduler.skippedBusy; }
    quint64 measuredSends() const { return m_scheduler.measuredCalls; }

    std::atomic<int> joined {0};
    std::atomic<quint64> sent {0};
    std::atomic<quint64> answered {0};
    std::atomic<quint64> expected {0}; // sum of `delivered` in the replies
    std::atomic<quint64> received {0};

    LatencyRecorder delivery;
    LatencyRecorder ack;
    quint64 receivedInWindow = 0;
    QHash<QString, quint64> refused;

private:
    void send(size_t i, bool measured)
    {
        const qint64 t = nowNs();
        const QString data = (measured ? u'M' : u'W') + QString::number(t) + u' ' + m_padding;
        PendingRequest *r = connections()[i]->broadcast(kRoom, data);
        ++m_inFlight[i];
        sent.fetch_add(1, std::memory_order_relaxed);
        QObject::connect(r, &PendingRequest::finished, this, [this, r, i, t, measured] {
            --m_inFlight[i];
            if (r->isSuccess()) {
                if (measured)
                    ack.add(nowNs() - t);
                expected.fetch_add(quint64(r->data().value(u"delivered"_s).toDouble()), std::memory_order_relaxed);
            } else {
                refused[toString(r->error().code) + u": "_s + r->error().message] += 1;
            }
            answered.fetch_add(1, std::memory_order_relaxed);
        });
    }

    void onBroadcast(const QJsonValue &data)
    {
        const qint64 now = nowNs();
        const QString text = data.toString();
        received.fetch_add(1, std::memory_order_relaxed);
        const RateScheduler::Plan &p = m_scheduler.plan();
        if (now >= p.measureStartNs && now < p.endNs)
            ++receivedInWindow;
        if (text.size() < 3 || text[0] != u'M')
            return;
        const qsizetype space = text.indexOf(u' ');
        bool ok = false;
        const qint64 sentNs = QStringView(text).mid(1, space - 1).toLongLong(&ok);
        if (ok)
            delivery.add(now - sentNs);
    }

    RateScheduler m_scheduler;
    std::vector<int> m_inFlight;
    size_t m_next = 0;
    QString m_padding;
};
} // namespace

QList<QCommandLineOption> RoomsMode::options() const
{
    return {
        {u"members"_s, u"Connections in the room (max_connections_per_room defaults to 100). Default 100."_s, u"N"_s,
            u"100"_s},
        {u"users"_s, u"Users the connections belong to. Default members/5 (max_connections_per_user 5)."_s, u"N"_s,
            u"0"_s},
        {u"delivery-rate"_s, u"Offered deliveries/s; broadcasts/s = delivery-rate / (members - 1). Default 100000."_s,
            u"PER_S"_s, u"100000"_s},
        {u"duration"_s, u"Seconds of measured sending. Default 10."_s, u"S"_s, u"10"_s},
        {u"warmup"_s, u"Seconds of sending before the measurement. Default 2."_s, u"S"_s, u"2"_s},
        {u"drain"_s, u"Seconds to wait for stragglers. Default 10."_s, u"S"_s, u"10"_s},
        {u"size"_s, u"Characters of broadcast data (at least 24). Default 64."_s, u"CHARS"_s, u"64"_s},
        {u"tick-ms"_s, u"Schedule timer interval in ms. Default 2."_s, u"MS"_s, u"2"_s},
    };
}

bool RoomsMode::configure(const QCommandLineParser &parser, QString *error)
{
    m_members = parser.value(u"members"_s).toInt();
    m_users = parser.value(u"users"_s).toInt();
    m_deliveryRate = parser.value(u"delivery-rate"_s).toDouble();
    m_duration = parser.value(u"duration"_s).toDouble();
    m_warmup = parser.value(u"warmup"_s).toDouble();
    m_drain = parser.value(u"drain"_s).toDouble();
    m_size = parser.value(u"size"_s).toInt();
    m_tickMs = parser.value(u"tick-ms"_s).toInt();
    if (m_members < 2 || m_members > 100000)
        *error = u"--members must be 2..100000"_s;
    else if (m_users < 0 || m_users > m_members)
        *error = u"--users must be 1..members"_s;
    else if (m_deliveryRate <= 0 || m_deliveryRate > 1e7)
        *error = u"--delivery-rate must be in (0, 10000000]"_s;
    else if (m_duration <= 0 || m_duration > 3600 || m_warmup < 0 || m_warmup > 600 || m_drain < 0 || m_drain > 600)
        *error = u"--duration must be in (0, 3600], --warmup and --drain in [0, 600]"_s;
    else if (m_size < 24 || m_size > 60000)
        *error = u"--size must be 24..60000"_s;
    else if (m_tickMs < 1 || m_tickMs > 100)
        *error = u"--tick-ms must be 1..100"_s;
    return error->isEmpty();
}

void RoomsMode::serverConfig(ServerConfigMap &config) const
{
    if (m_members > 100)
        config[u"limits"_s][u"max_connections_per_room"_s] = QString::number(m_members);
    const int users = m_users > 0 ? m_users : (m_members + 4) / 5;
    const int perUser = (m_members + users - 1) / users;
    if (perUser > 5)
        config[u"limits"_s][u"max_connections_per_user"_s] = QString::number(perUser);
}

int RoomsMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    const int users = m_users > 0 ? m_users : (m_members + 4) / 5;
    const double broadcastRate = m_deliveryRate / double(m_members - 1);
    report.param(u"members"_s, m_members);
    report.param(u"users"_s, users);
    report.param(u"delivery_rate"_s, m_deliveryRate);
    report.param(u"duration"_s, m_duration);

    QString error;
    const QList<BenchUser> accounts = ctx.createUsers(users, &error);
    if (accounts.isEmpty())
        return ctx.log(error), 1;
    const int workers = std::min(ctx.threads, m_members);
    WorkerPool<RoomsWorker> pool;
    pool.start(workers);
    std::vector<std::vector<ConnectionSpec>> specs(static_cast<size_t>(workers));
    for (int i = 0; i < m_members; ++i)
        specs[size_t(i % workers)].push_back(ConnectionSpec {i, accounts[i % users].id, accounts[i % users].token});
    ctx.log(u"opening %1 connections and joining the room"_s.arg(m_members));
    const QUrl ws = ctx.wsUrl();
    pool.runAll(
        [&](RoomsWorker &w, std::function<void()> done) {
            w.openAll(ws, specs[size_t(w.index())], 50, ClientConnection::TokenTransport::AuthFrame, done);
        },
        120000);
    pool.runAll([](RoomsWorker &w, std::function<void()> done) { w.joinAll(done); }, 60000);
    int joined = 0;
    QString firstError;
    pool.callAll([&](RoomsWorker &w) {
        joined += w.joined.load();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    if (joined != m_members)
        return ctx.log(u"only %1 of %2 connections joined: %3"_s.arg(joined).arg(m_members).arg(firstError)), 1;

    RateScheduler::Plan plan;
    plan.tickMs = m_tickMs;
    plan.startNs = nowNs() + 100'000'000;
    plan.measureStartNs = plan.startNs + qint64(m_warmup * 1e9);
    plan.endNs = plan.measureStartNs + qint64(m_duration * 1e9);
    const QString padding(m_size - 22, u'x');
    ctx.log(u"broadcasting %1/s (%2 deliveries/s) for %3 s warm-up + %4 s measured"_s.arg(broadcastRate, 0, 'f', 1)
                .arg(m_deliveryRate)
                .arg(m_warmup)
                .arg(m_duration));
    for (int i = 0; i < workers; ++i) {
        RateScheduler::Plan p = plan;
        p.rate = broadcastRate * double(specs[size_t(i)].size()) / double(m_members);
        pool.post(i, [p, padding](RoomsWorker &w) { w.startSending(p, padding, 1000); });
    }
    struct Totals
    {
        quint64 sent = 0, answered = 0, expected = 0, received = 0;
        bool sending = false;
    };
    auto totals = [&] {
        Totals t;
        pool.peek([&](const RoomsWorker &w) {
            t.sent += w.sent.load();
            t.answered += w.answered.load();
            t.expected += w.expected.load();
            t.received += w.received.load();
            t.sending = t.sending || w.isSending();
        });
        return t;
    };
    waitUntil([&] { return nowNs() >= plan.measureStartNs; }, int(m_warmup * 1000) + 10000, 1);
    const ServerSample before = ctx.sample();
    const Totals atStart = totals();
    qint64 lastLog = nowNs();
    waitUntil(
        [&] {
            if (nowNs() - lastLog > 2'000'000'000) {
                lastLog = nowNs();
                const Totals t = totals();
                ctx.log(u"  broadcasts %1, answered %2, deliveries %3 of %4"_s.arg(t.sent)
                            .arg(t.answered)
                            .arg(t.received)
                            .arg(t.expected));
            }
            return nowNs() >= plan.endNs;
        },
        int(m_duration * 1000) + 10000, 5);
    const ServerSample atEnd = ctx.sample();
    const Totals atEndTotals = totals();
    ctx.log(u"sending done; waiting up to %1 s for stragglers"_s.arg(m_drain));
    waitUntil(
        [&] {
            const Totals t = totals();
            return !t.sending && t.answered == t.sent && t.received >= t.expected;
        },
        int(m_drain * 1000), 10);
    const Totals final = totals();

    LatencyRecorder delivery, ack;
    quint64 receivedInWindow = 0, skipped = 0, measuredSends = 0, unexpectedCloses = 0;
    QHash<QString, quint64> refused;
    pool.callAll([&](RoomsWorker &w) {
        delivery.merge(w.delivery);
        ack.merge(w.ack);
        receivedInWindow += w.receivedInWindow;
        skipped += w.skipped();
        measuredSends += w.measuredSends();
        unexpectedCloses += quint64(w.unexpectedCloses.load());
        for (auto it = w.refused.cbegin(); it != w.refused.cend(); ++it)
            refused[it.key()] += it.value();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    const double deliveryRate = double(receivedInWindow) / m_duration;
    const qint64 lost = qint64(final.expected) - qint64(final.received);
    quint64 refusedTotal = 0;
    for (quint64 v : std::as_const(refused))
        refusedTotal += v;

    report.section(u"load"_s);
    report.value(u"members"_s, u"room members (connections)"_s, m_members, {}, 0);
    report.value(u"offered_delivery_rate"_s, u"offered deliveries/s"_s, m_deliveryRate, u"per s"_s, 0);
    report.value(
        u"broadcast_rate"_s, u"broadcasts sent (measured phase)"_s, double(measuredSends) / m_duration, u"per s"_s, 1);
    report.value(u"refused"_s, u"broadcasts refused"_s, double(refusedTotal), {}, 0);
    report.value(u"skipped"_s, u"broadcasts not sent (client behind / in-flight cap)"_s, double(skipped), {}, 0);
    report.section(u"results"_s);
    report.value(u"delivery_rate"_s, u"deliveries/s (arrivals in the measured window)"_s, deliveryRate, u"per s"_s, 0);
    report.value(u"lost"_s, u"lost deliveries (reply's delivered count - arrived)"_s, double(lost), {}, 0);
    const auto d = delivery.summary();
    const auto a = ack.summary();
    report.value(u"latency_p50_ms"_s, u"latency send->member p50"_s, d.p50Ms, u"ms"_s, 2);
    report.value(u"latency_p99_ms"_s, u"latency send->member p99"_s, d.p99Ms, u"ms"_s, 2);
    report.value(u"latency_max_ms"_s, u"latency send->member max"_s, d.maxMs, u"ms"_s, 2);
    report.value(u"ack_p50_ms"_s, u"broadcast reply p50"_s, a.p50Ms, u"ms"_s, 2);
    report.value(u"ack_p99_ms"_s, u"broadcast reply p99"_s, a.p99Ms, u"ms"_s, 2);
    report.section(u"cost (measured window)"_s);
    const double perK = ctx.reportCpu(before, atEnd, double(atEndTotals.received - atStart.received), u"deliveries"_s);
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        report.note(u"refused %1 x %2"_s.arg(it.value()).arg(it.key()));
    if (unexpectedCloses)
        report.note(u"%1 connection(s) closed unexpectedly: %2"_s.arg(unexpectedCloses).arg(firstError));

    report.section(u"targets"_s);
    if (m_deliveryRate >= 100000) {
        report.check(u">= 100,000 deliveries/s"_s, deliveryRate >= 100000 * 0.99, QString::number(deliveryRate, 'f', 0),
            u">= 100000/s (1% tolerance for the schedule)"_s);
        report.check(u"p99 < 50 ms"_s, d.p99Ms < 50, QString::number(d.p99Ms, 'f', 2) + u" ms"_s, u"< 50 ms"_s);
        report.check(u"<= 5 ms server CPU / 1000 deliveries"_s, perK <= 5, QString::number(perK, 'f', 2) + u" ms"_s,
            u"<= 5 ms"_s);
    }
    report.check(
        u"no loss"_s, lost == 0 && refusedTotal == 0, u"%1 lost, %2 refused"_s.arg(lost).arg(refusedTotal), u"0"_s);

    pool.runAll([](RoomsWorker &w, std::function<void()> done) { w.closeAll(done, 5000); }, 10000);
    pool.stop();
    return 0;
}

} // namespace Switchboard::Bench
