#include "bench/modes/groupmode.h"

#include <QCommandLineParser>
#include <QJsonArray>

#include "bench/harness/benchcontext.h"
#include "bench/harness/clientworker.h"
#include "bench/harness/ratescheduler.h"
#include "bench/harness/waitutil.h"
#include "bench/harness/workerpool.h"
#include "shared/client/pendingrequest.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {
class GroupWorker final : public ClientWorker
{
public:
    explicit GroupWorker(int index) : ClientWorker(index)
    {
        onConnectionCreated = [this](ClientConnection *c, int) {
            QObject::connect(c, &ClientConnection::messageReceived, this,
                [this](const ChatMessage &m, bool offline) { onMessage(m, offline); });
        };
    }

    // Connection 0 of this worker creates the group of all members.
    void createGroup(const QJsonArray &members, std::function<void()> done)
    {
        PendingRequest *r = connections().front()->request(
            u"conversation_create"_s, {{u"title"_s, u"bench group"_s}, {u"members"_s, members}}, 60000);
        QObject::connect(r, &PendingRequest::finished, this, [this, r, done] {
            if (r->isSuccess())
                groupId.store(qint64(r->data().value(u"conversation"_s).toObject().value(u"id"_s).toDouble()));
            else
                noteError(u"conversation_create failed: "_s + r->error().message);
            done();
        });
    }

    void startSending(qint64 conversationId, const RateScheduler::Plan &plan, const QString &padding)
    {
        m_conversationId = conversationId;
        m_padding = padding;
        m_inFlight.assign(connections().size(), 0);
        m_scheduler.start(this, plan, [this](bool measured) {
            const size_t i = m_next++ % connections().size();
            if (m_inFlight[i] >= 1000)
                return false;
            send(i, measured);
            return true;
        });
    }

    bool isSending() const { return m_scheduler.running.load(); }
    quint64 skipped() const { return m_scheduler.skippedBehind + m_scheduler.skippedBusy; }
    quint64 measuredSends() const { return m_scheduler.measuredCalls; }

    std::atomic<qint64> groupId {0};
    std::atomic<quint64> sent {0};
    std::atomic<quint64> answered {0};
    std::atomic<quint64> acked {0};
    std::atomic<quint64> received {0};

    LatencyRecorder delivery;
    LatencyRecorder ack;
    std::vector<qint64> ackedIds;
    QHash<qint64, int> deliveries; // message id -> deliveries to this worker's connections
    quint64 receivedInWindow = 0;
    QHash<QString, quint64> refused;

private:
    void send(size_t i, bool measured)
    {
        const qint64 t = nowNs();
        const QString content = (measured ? u'M' : u'W') + QString::number(t) + u' ' + m_padding;
        PendingRequest *r = connections()[i]->sendText(m_conversationId, content);
        ++m_inFlight[i];
        sent.fetch_add(1, std::memory_order_relaxed);
        QObject::connect(r, &PendingRequest::finished, this, [this, r, i, t, measured] {
            --m_inFlight[i];
            if (r->isSuccess()) {
                if (measured)
                    ack.add(nowNs() - t);
                ackedIds.push_back(qint64(r->data().value(u"message_id"_s).toDouble()));
                acked.fetch_add(1, std::memory_order_relaxed);
            } else {
                refused[toString(r->error().code) + u": "_s + r->error().message] += 1;
            }
            answered.fetch_add(1, std::memory_order_relaxed);
        });
    }

    void onMessage(const ChatMessage &m, bool offline)
    {
        if (offline || m.conversationId != m_conversationId || m.content.size() < 3
            || (m.content[0] != u'M' && m.content[0] != u'W'))
            return;
        const qint64 now = nowNs();
        deliveries[m.id] += 1;
        received.fetch_add(1, std::memory_order_relaxed);
        const RateScheduler::Plan &p = m_scheduler.plan();
        if (now >= p.measureStartNs && now < p.endNs)
            ++receivedInWindow;
        if (m.content[0] != u'M')
            return;
        const qsizetype space = m.content.indexOf(u' ');
        bool ok = false;
        const qint64 sentNs = QStringView(m.content).mid(1, space - 1).toLongLong(&ok);
        if (ok)
            delivery.add(now - sentNs);
    }

    RateScheduler m_scheduler;
    qint64 m_conversationId = 0;
    std::vector<int> m_inFlight;
    size_t m_next = 0;
    QString m_padding;
};
} // namespace

QList<QCommandLineOption> GroupMode::options() const
{
    return {
        {u"members"_s,
            u"Members of the group, one user and connection each (max_group_members defaults to 500). "
            "Default 500."_s,
            u"N"_s, u"500"_s},
        {u"rate"_s, u"Messages/s into the group (each delivered to members - 1). Default 100."_s, u"MSG_PER_S"_s,
            u"100"_s},
        {u"duration"_s, u"Seconds of measured sending. Default 10."_s, u"S"_s, u"10"_s},
        {u"warmup"_s, u"Seconds of sending before the measurement. Default 2."_s, u"S"_s, u"2"_s},
        {u"drain"_s, u"Seconds to wait for stragglers. Default 15."_s, u"S"_s, u"15"_s},
        {u"size"_s, u"Characters per message (at least 24). Default 100."_s, u"CHARS"_s, u"100"_s},
        {u"tick-ms"_s, u"Schedule timer interval in ms. Default 2."_s, u"MS"_s, u"2"_s},
    };
}

bool GroupMode::configure(const QCommandLineParser &parser, QString *error)
{
    m_members = parser.value(u"members"_s).toInt();
    m_rate = parser.value(u"rate"_s).toDouble();
    m_duration = parser.value(u"duration"_s).toDouble();
    m_warmup = parser.value(u"warmup"_s).toDouble();
    m_drain = parser.value(u"drain"_s).toDouble();
    m_size = parser.value(u"size"_s).toInt();
    m_tickMs = parser.value(u"tick-ms"_s).toInt();
    if (m_members < 2 || m_members > 100000)
        *error = u"--members must be 2..100000"_s;
    else if (m_rate <= 0 || m_rate > 1e6)
        *error = u"--rate must be in (0, 1000000]"_s;
    else if (m_duration <= 0 || m_duration > 3600 || m_warmup < 0 || m_warmup > 600 || m_drain < 0 || m_drain > 600)
        *error = u"--duration must be in (0, 3600], --warmup and --drain in [0, 600]"_s;
    else if (m_size < 24 || m_size > 5000)
        *error = u"--size must be 24..5000"_s;
    else if (m_tickMs < 1 || m_tickMs > 100)
        *error = u"--tick-ms must be 1..100"_s;
    return error->isEmpty();
}

void GroupMode::serverConfig(ServerConfigMap &config) const
{
    if (m_members > 500)
        config[u"limits"_s][u"max_group_members"_s] = QString::number(m_members);
}

int GroupMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    report.param(u"members"_s, m_members);
    report.param(u"rate"_s, m_rate);
    report.param(u"duration"_s, m_duration);

    QString error;
    const QList<BenchUser> accounts = ctx.createUsers(m_members, &error);
    if (accounts.isEmpty())
        return ctx.log(error), 1;
    const int workers = std::min(ctx.threads, m_members);
    WorkerPool<GroupWorker> pool;
    pool.start(workers);
    std::vector<std::vector<ConnectionSpec>> specs(static_cast<size_t>(workers));
    for (int i = 0; i < m_members; ++i)
        specs[size_t(i % workers)].push_back(ConnectionSpec {i, accounts[i].id, accounts[i].token});
    ctx.log(u"opening %1 connections"_s.arg(m_members));
    const QUrl ws = ctx.wsUrl();
    pool.runAll(
        [&](GroupWorker &w, std::function<void()> done) {
            w.openAll(ws, specs[size_t(w.index())], std::max(1, ctx.setupConcurrency / workers),
                ClientConnection::TokenTransport::AuthFrame, done);
        },
        120000);
    int opened = 0;
    QString firstError;
    pool.callAll([&](GroupWorker &w) {
        opened += w.opened.load();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    if (opened != m_members)
        return ctx.log(u"only %1 of %2 connections authenticated: %3"_s.arg(opened).arg(m_members).arg(firstError)), 1;

    ctx.log(u"creating the group of %1 members"_s.arg(m_members));
    QJsonArray members;
    for (int i = 1; i < m_members; ++i)
        members.append(double(accounts[i].id));
    std::atomic<bool> created {false};
    pool.post(0, [&members, &created](GroupWorker &w) { w.createGroup(members, [&created] { created.store(true); }); });
    waitUntil([&] { return created.load(); }, 70000, 5);
    qint64 groupId = 0;
    pool.peek([&](const GroupWorker &w) { groupId = std::max(groupId, w.groupId.load()); });
    if (groupId == 0) {
        pool.callAll([&](GroupWorker &w) { firstError = w.firstError.isEmpty() ? firstError : w.firstError; });
        return ctx.log(u"the group was not created: "_s + firstError), 1;
    }
    spinFor(500);

    RateScheduler::Plan plan;
    plan.tickMs = m_tickMs;
    plan.startNs = nowNs() + 100'000'000;
    plan.measureStartNs = plan.startNs + qint64(m_warmup * 1e9);
    plan.endNs = plan.measureStartNs + qint64(m_duration * 1e9);
    const QString padding(m_size - 22, u'x');
    ctx.log(u"sending %1 messages/s (%2 deliveries/s) for %3 s warm-up + %4 s measured"_s.arg(m_rate)
                .arg(m_rate * (m_members - 1))
                .arg(m_warmup)
                .arg(m_duration));
    for (int i = 0; i < workers; ++i) {
        RateScheduler::Plan p = plan;
        p.rate = m_rate * double(specs[size_t(i)].size()) / double(m_members);
        pool.post(i, [p, padding, groupId](GroupWorker &w) { w.startSending(groupId, p, padding); });
    }
    struct Totals
    {
        quint64 sent = 0, answered = 0, acked = 0, received = 0;
        bool sending = false;
    };
    auto totals = [&] {
        Totals t;
        pool.peek([&](const GroupWorker &w) {
            t.sent += w.sent.load();
            t.answered += w.answered.load();
            t.acked += w.acked.load();
            t.received += w.received.load();
            t.sending = t.sending || w.isSending();
        });
        return t;
    };
    const quint64 fanout = quint64(m_members - 1);
    waitUntil([&] { return nowNs() >= plan.measureStartNs; }, int(m_warmup * 1000) + 10000, 1);
    const ServerSample before = ctx.sample();
    const Totals atStart = totals();
    qint64 lastLog = nowNs();
    waitUntil(
        [&] {
            if (nowNs() - lastLog > 2'000'000'000) {
                lastLog = nowNs();
                const Totals t = totals();
                ctx.log(u"  sent %1, acknowledged %2, deliveries %3 of %4"_s.arg(t.sent)
                            .arg(t.acked)
                            .arg(t.received)
                            .arg(t.acked * fanout));
            }
            return nowNs() >= plan.endNs;
        },
        int(m_duration * 1000) + 10000, 5);
    ctx.log(u"sending done; waiting up to %1 s for stragglers"_s.arg(m_drain));
    waitUntil(
        [&] {
            const Totals t = totals();
            return !t.sending && t.answered == t.sent && t.received >= t.acked * fanout;
        },
        int(m_drain * 1000), 10);
    const ServerSample after = ctx.sample();
    const Totals final = totals();

    LatencyRecorder delivery, ack;
    std::vector<qint64> acked;
    QHash<qint64, int> deliveries;
    quint64 receivedInWindow = 0, skipped = 0, measuredSends = 0, unexpectedCloses = 0;
    QHash<QString, quint64> refused;
    pool.callAll([&](GroupWorker &w) {
        delivery.merge(w.delivery);
        ack.merge(w.ack);
        acked.insert(acked.end(), w.ackedIds.begin(), w.ackedIds.end());
        for (auto it = w.deliveries.cbegin(); it != w.deliveries.cend(); ++it)
            deliveries[it.key()] += it.value();
        receivedInWindow += w.receivedInWindow;
        skipped += w.skipped();
        measuredSends += w.measuredSends();
        unexpectedCloses += quint64(w.unexpectedCloses.load());
        for (auto it = w.refused.cbegin(); it != w.refused.cend(); ++it)
            refused[it.key()] += it.value();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    // Lost: for every acknowledged message, the members that never got it.
    quint64 lost = 0;
    for (qint64 id : acked) {
        const int got = deliveries.value(id);
        if (quint64(got) < fanout)
            lost += fanout - quint64(got);
    }
    quint64 refusedTotal = 0;
    for (quint64 v : std::as_const(refused))
        refusedTotal += v;
    const double deliveryRate = double(receivedInWindow) / m_duration;
    const double serverDeliveries = double(final.received - atStart.received);

    report.section(u"load"_s);
    report.value(u"members"_s, u"group members (connections)"_s, m_members, {}, 0);
    report.value(u"offered_rate"_s, u"offered messages/s"_s, m_rate, u"msg/s"_s, 0);
    report.value(u"offered_delivery_rate"_s, u"offered deliveries/s"_s, m_rate * double(fanout), u"per s"_s, 0);
    report.value(u"sent_rate"_s, u"sent (measured phase)"_s, double(measuredSends) / m_duration, u"msg/s"_s, 1);
    report.value(u"refused"_s, u"refused"_s, double(refusedTotal), {}, 0);
    report.value(u"skipped"_s, u"not sent (client behind / in-flight cap)"_s, double(skipped), {}, 0);
    report.section(u"results"_s);
    report.value(u"delivery_rate"_s, u"deliveries/s (arrivals in the measured window)"_s, deliveryRate, u"per s"_s, 0);
    report.value(u"lost"_s, u"lost deliveries (acknowledged, never arrived)"_s, double(lost), {}, 0);
    const auto d = delivery.summary();
    const auto a = ack.summary();
    report.value(u"latency_p50_ms"_s, u"latency send->member p50"_s, d.p50Ms, u"ms"_s, 2);
    report.value(u"latency_p99_ms"_s, u"latency send->member p99"_s, d.p99Ms, u"ms"_s, 2);
    report.value(u"latency_max_ms"_s, u"latency send->member max"_s, d.maxMs, u"ms"_s, 2);
    report.value(u"ack_p50_ms"_s, u"ack latency p50"_s, a.p50Ms, u"ms"_s, 2);
    report.value(u"ack_p99_ms"_s, u"ack latency p99"_s, a.p99Ms, u"ms"_s, 2);
    report.section(u"cost (measured window and drain)"_s);
    const double perK = ctx.reportCpu(before, after, serverDeliveries, u"deliveries"_s);
    report.value(u"server_cpu_ms_per_1000_messages"_s, u"server CPU per 1000 messages (each to %1)"_s.arg(fanout),
        perK * double(fanout), u"ms"_s, 1);
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        report.note(u"refused %1 x %2"_s.arg(it.value()).arg(it.key()));
    if (unexpectedCloses)
        report.note(u"%1 connection(s) closed unexpectedly: %2"_s.arg(unexpectedCloses).arg(firstError));
    report.section(u"targets"_s);
    report.check(u"no loss"_s, lost == 0 && refusedTotal == 0 && final.answered == final.sent,
        u"%1 lost, %2 refused, %3 unanswered"_s.arg(lost).arg(refusedTotal).arg(final.sent - final.answered), u"0"_s);

    pool.runAll([](GroupWorker &w, std::function<void()> done) { w.closeAll(done, 5000); }, 10000);
    pool.stop();
    return 0;
}

} // namespace Switchboard::Bench
