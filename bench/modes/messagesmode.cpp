#include "bench/modes/messagesmode.h"

#include <QCommandLineParser>
#include <QSet>
#include <QTimer>

#include "bench/harness/benchcontext.h"
#include "bench/harness/clientworker.h"
#include "bench/harness/latency.h"
#include "bench/harness/ratescheduler.h"
#include "bench/harness/waitutil.h"
#include "bench/harness/workerpool.h"
#include "shared/client/pendingrequest.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

namespace {

// Content of a bench message: phase ('W' warm-up, 'M' measured), the send time in ns of the
// bench's monotonic clock, a space, padding. Anything else (the set-up "hello") is not counted.
QString messageContent(QChar phase, qint64 sentNs, const QString &padding)
{
    return phase + QString::number(sentNs) + u' ' + padding;
}

bool parseContent(const QString &content, QChar *phase, qint64 *sentNs)
{
    if (content.size() < 3 || (content[0] != u'M' && content[0] != u'W'))
        return false;
    const qsizetype space = content.indexOf(u' ');
    if (space < 2)
        return false;
    bool ok = false;
    *sentNs = QStringView(content).mid(1, space - 1).toLongLong(&ok);
    *phase = content[0];
    return ok;
}

struct Plan
{
    RateScheduler::Plan schedule;
    int maxInFlight = 1000;
    QString padding;
};

class MessagesWorker final : public ClientWorker
{
public:
    MessagesWorker(int index) : ClientWorker(index)
    {
        onConnectionCreated = [this](ClientConnection *c, int local) {
            QObject::connect(c, &ClientConnection::messageReceived, this,
                [this](const ChatMessage &m, bool offline) { onMessage(m, offline); });
            Q_UNUSED(local)
        };
    }

    // peers[i]: the user id the i-th connection writes to.
    void setPeers(const std::vector<qint64> &peers) { m_peerIds = peers; }

    // Every connection sends one `to` message to its peer, which finds or creates the pair's
    // private conversation, and keeps its id.
    void createConversations(std::function<void()> done)
    {
        auto remaining = std::make_shared<int>(int(connections().size()));
        if (*remaining == 0)
            return done();
        m_conversation.assign(connections().size(), 0);
        for (size_t i = 0; i < connections().size(); ++i) {
            PendingRequest *r = connections()[i]->sendTextTo(m_peerIds[i], u"hello"_s);
            QObject::connect(r, &PendingRequest::finished, this, [this, r, i, remaining, done] {
                if (r->isSuccess())
                    m_conversation[i] = qint64(r->data().value(u"conversation_id"_s).toDouble());
                else
                    noteError(u"set-up message failed: "_s + r->error().message);
                if (--*remaining == 0)
                    done();
            });
        }
    }

    void startSending(const Plan &plan)
    {
        m_plan = plan;
        m_inFlight.assign(connections().size(), 0);
        m_counter.assign(connections().size(), 0);
        const RateScheduler::Plan &p = plan.schedule;
        ack.reserve(size_t(p.rate * double(p.endNs - p.startNs) / 1e9) + 16);
        m_scheduler.start(this, p, [this](bool measured) {
            // Round robin over this worker's connections.
            const size_t n = connections().size();
            const size_t i = m_next++ % n;
            if (m_inFlight[i] >= m_plan.maxInFlight || m_conversation[i] == 0)
                return false;
            send(i, measured ? u'M' : u'W');
            return true;
        });
    }

    bool isSending() const { return m_scheduler.running.load(); }
    quint64 skipped() const { return m_scheduler.skippedBehind + m_scheduler.skippedBusy; }

    // Polled by the main thread.
    std::atomic<quint64> sent {0};
    std::atomic<quint64> answered {0}; // acknowledged or refused
    std::atomic<quint64> ackedCount {0};
    std::atomic<quint64> deliveredCount {0};

    // Read through callAll() once quiet.
    LatencyRecorder delivery;
    LatencyRecorder ack;
    std::vector<qint64> ackedIds;
    QSet<qint64> deliveredIds;
    quint64 sentMeasured = 0;
    quint64 deliveredMeasured = 0;
    quint64 deliveredInWindow = 0; // arrivals (any phase) within the measured window
    quint64 duplicates = 0;
    quint64 offlineEvents = 0;
    qint64 lastMeasuredDeliveryNs = 0;
    QHash<QString, quint64> refused; // error code -> count

private:
    void send(size_t i, QChar phase)
    {
        ClientConnection *c = connections()[i];
        const qint64 t = nowNs();
        const QString clientMsgId = QString::number(specs()[i].index) + u'-' + QString::number(++m_counter[i]);
        PendingRequest *r = c->sendText(m_conversation[i], messageContent(phase, t, m_plan.padding), clientMsgId);
        ++m_inFlight[i];
        sent.fetch_add(1, std::memory_order_relaxed);
        const bool measured = phase == u'M';
        if (measured)
            ++sentMeasured;
        QObject::connect(r, &PendingRequest::finished, this, [this, r, i, t, measured] {
            --m_inFlight[i];
            if (r->isSuccess()) {
                if (measured)
                    ack.add(nowNs() - t);
                ackedIds.push_back(qint64(r->data().value(u"message_id"_s).toDouble()));
                ackedCount.fetch_add(1, std::memory_order_relaxed);
            } else {
                refused[toString(r->error().code) + u": "_s + r->error().message] += 1;
            }
            answered.fetch_add(1, std::memory_order_relaxed);
        });
    }

    void onMessage(const ChatMessage &m, bool offline)
    {
        if (offline) {
            ++offlineEvents;
            return;
        }
        QChar phase;
        qint64 sentNs = 0;
        if (!parseContent(m.content, &phase, &sentNs))
            return;
        const qint64 now = nowNs();
        if (deliveredIds.contains(m.id)) {
            ++duplicates;
            return;
        }
        deliveredIds.insert(m.id);
        if (now >= m_plan.schedule.measureStartNs && now < m_plan.schedule.endNs)
            ++deliveredInWindow;
        if (phase == u'M') {
            delivery.add(now - sentNs);
            ++deliveredMeasured;
            lastMeasuredDeliveryNs = std::max(lastMeasuredDeliveryNs, now);
        }
        deliveredCount.fetch_add(1, std::memory_order_relaxed);
    }

    std::vector<qint64> m_peerIds;
    std::vector<qint64> m_conversation;
    std::vector<int> m_inFlight;
    std::vector<quint64> m_counter;
    Plan m_plan;
    RateScheduler m_scheduler;
    size_t m_next = 0;
};

constexpr int kIdlePerUser = 500;

class IdleWorker final : public ClientWorker
{
public:
    explicit IdleWorker(int index) : ClientWorker(index) { }
};

} // namespace

QList<QCommandLineOption> MessagesMode::options() const
{
    return {
        {u"users"_s, u"Users (one connection each, in pairs; even). Default 200."_s, u"N"_s, u"200"_s},
        {u"rate"_s, u"Offered total rate, messages/s, spread over all connections. Default 10000."_s, u"MSG_PER_S"_s,
            u"10000"_s},
        {u"duration"_s, u"Seconds of measured sending. Default 10."_s, u"S"_s, u"10"_s},
        {u"warmup"_s, u"Seconds of sending at the rate before the measurement. Default 2."_s, u"S"_s, u"2"_s},
        {u"drain"_s, u"Seconds to wait for replies and deliveries after sending. Default 15."_s, u"S"_s, u"15"_s},
        {u"size"_s, u"Characters per message content (at least 24). Default 100."_s, u"CHARS"_s, u"100"_s},
        {u"max-in-flight"_s, u"Unanswered messages per connection before it skips its turn. Default 1000."_s, u"N"_s,
            u"1000"_s},
        {u"tick-ms"_s, u"Schedule timer interval in ms. Default 2."_s, u"MS"_s, u"2"_s},
        {u"idle-connections"_s,
            u"Extra idle authenticated connections (of the same users) held open during the run. "
            "Default 0."_s,
            u"N"_s, u"0"_s},
    };
}

void MessagesMode::serverConfig(ServerConfigMap &config) const
{
    // Idle connections belong to their own users (kIdlePerUser each), so that they receive none
    // of the load's messages.
    if (m_idle > 0)
        config[u"limits"_s][u"max_connections_per_user"_s] = QString::number(std::min(m_idle, kIdlePerUser));
}

bool MessagesMode::configure(const QCommandLineParser &parser, QString *error)
{
    m_users = parser.value(u"users"_s).toInt();
    m_rate = parser.value(u"rate"_s).toDouble();
    m_duration = parser.value(u"duration"_s).toDouble();
    m_warmup = parser.value(u"warmup"_s).toDouble();
    m_drain = parser.value(u"drain"_s).toDouble();
    m_size = parser.value(u"size"_s).toInt();
    m_maxInFlight = parser.value(u"max-in-flight"_s).toInt();
    m_tickMs = parser.value(u"tick-ms"_s).toInt();
    m_idle = parser.value(u"idle-connections"_s).toInt();
    if (m_idle < 0 || m_idle > 500000)
        *error = u"--idle-connections must be 0..500000"_s;
    else if (m_users < 2 || m_users % 2 != 0 || m_users > 100000)
        *error = u"--users must be an even number from 2 to 100000"_s;
    else if (m_rate <= 0 || m_rate > 1e6)
        *error = u"--rate must be in (0, 1000000]"_s;
    else if (m_duration <= 0 || m_duration > 3600 || m_warmup < 0 || m_warmup > 600 || m_drain < 0 || m_drain > 600)
        *error = u"--duration must be in (0, 3600], --warmup and --drain in [0, 600]"_s;
    else if (m_size < 24 || m_size > 5000)
        *error = u"--size must be 24..5000"_s;
    else if (m_maxInFlight < 1 || m_tickMs < 1 || m_tickMs > 100)
        *error = u"--max-in-flight must be >= 1 and --tick-ms 1..100"_s;
    return error->isEmpty();
}

int MessagesMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    report.param(u"users"_s, m_users);
    report.param(u"rate"_s, m_rate);
    report.param(u"duration"_s, m_duration);
    report.param(u"warmup"_s, m_warmup);
    report.param(u"size"_s, m_size);
    report.param(u"idle_connections"_s, m_idle);

    QString error;
    const QList<BenchUser> users = ctx.createUsers(m_users, &error);
    if (users.isEmpty())
        return ctx.log(error), 1;

    const int workers = std::min(ctx.threads, m_users);
    WorkerPool<MessagesWorker> pool;
    pool.start(workers);
    // Connection i belongs to worker i % workers; its peer is i ^ 1.
    std::vector<std::vector<ConnectionSpec>> specs(static_cast<size_t>(workers));
    std::vector<std::vector<qint64>> peers(static_cast<size_t>(workers));
    for (int i = 0; i < m_users; ++i) {
        specs[size_t(i % workers)].push_back(ConnectionSpec {i, users[i].id, users[i].token});
        peers[size_t(i % workers)].push_back(users[i ^ 1].id);
    }
    ctx.log(u"opening %1 connections on %2 worker thread(s)"_s.arg(m_users).arg(workers));
    const QUrl ws = ctx.wsUrl();
    const int concurrency = std::max(1, ctx.setupConcurrency / workers);
    pool.runAll(
        [&](MessagesWorker &w, std::function<void()> done) {
            w.setPeers(peers[size_t(w.index())]);
            w.openAll(ws, specs[size_t(w.index())], concurrency, ClientConnection::TokenTransport::AuthFrame, done);
        },
        120000);
    int opened = 0;
    QString firstError;
    pool.callAll([&](MessagesWorker &w) {
        opened += w.opened.load();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    if (opened != m_users)
        return ctx.log(u"only %1 of %2 connections authenticated: %3"_s.arg(opened).arg(m_users).arg(firstError)), 1;

    // Idle connections: authenticated, silent, but part of every poll() of the server's event loop.
    WorkerPool<IdleWorker> idle;
    if (m_idle > 0) {
        const int perUser = ctx.ownsServer() ? kIdlePerUser : 5;
        const int idleUserCount = (m_idle + perUser - 1) / perUser;
        const QList<BenchUser> idleUsers = ctx.createUsers(idleUserCount, &error, u"idle"_s);
        if (idleUsers.isEmpty())
            return ctx.log(error), 1;
        ctx.log(u"opening %1 idle connections of %2 other users"_s.arg(m_idle).arg(idleUserCount));
        idle.start(1);
        std::vector<ConnectionSpec> idleSpecs;
        for (int i = 0; i < m_idle; ++i)
            idleSpecs.push_back(ConnectionSpec {m_users + i, idleUsers[i / perUser].id, idleUsers[i / perUser].token});
        idle.runAll(
            [&](IdleWorker &w, std::function<void()> done) {
                w.openAll(ws, idleSpecs, 100, ClientConnection::TokenTransport::AuthFrame, done);
            },
            600000);
        int idleOpened = 0;
        idle.peek([&](const IdleWorker &w) { idleOpened = w.opened.load(); });
        if (idleOpened != m_idle)
            return ctx.log(u"only %1 of %2 idle connections authenticated"_s.arg(idleOpened).arg(m_idle)), 1;
    }

    ctx.log(u"creating %1 private conversations"_s.arg(m_users / 2));
    if (!pool.runAll([](MessagesWorker &w, std::function<void()> done) { w.createConversations(done); }, 60000))
        return ctx.log(u"set-up messages were not answered within 60 s"_s), 1;
    spinFor(500); // let the set-up deliveries arrive

    // The schedule: every worker sends its share (by connection count) of the total rate.
    Plan plan;
    plan.maxInFlight = m_maxInFlight;
    plan.padding = QString(m_size - 22, u'x');
    RateScheduler::Plan &schedule = plan.schedule;
    schedule.tickMs = m_tickMs;
    schedule.startNs = nowNs() + 100'000'000; // 100 ms from now, the same for every worker
    schedule.measureStartNs = schedule.startNs + qint64(m_warmup * 1e9);
    schedule.endNs = schedule.measureStartNs + qint64(m_duration * 1e9);
    ctx.log(u"sending %1 messages/s for %2 s warm-up + %3 s measured"_s.arg(m_rate).arg(m_warmup).arg(m_duration));
    for (int i = 0; i < workers; ++i) {
        Plan p = plan;
        p.schedule.rate = m_rate * double(specs[size_t(i)].size()) / double(m_users);
        pool.post(i, [p](MessagesWorker &w) { w.startSending(p); });
    }

    auto sums = [&](quint64 *sent, quint64 *answered, quint64 *acked, quint64 *delivered, bool *sending) {
        *sent = *answered = *acked = *delivered = 0;
        *sending = false;
        pool.peek([&](const MessagesWorker &w) {
            *sent += w.sent.load();
            *answered += w.answered.load();
            *acked += w.ackedCount.load();
            *delivered += w.deliveredCount.load();
            *sending = *sending || w.isSending();
        });
    };
    waitUntil([&] { return nowNs() >= schedule.measureStartNs; }, int(m_warmup * 1000) + 10000, 1);
    const ServerSample before = ctx.sample();
    qint64 lastLog = nowNs();
    waitUntil(
        [&] {
            if (nowNs() - lastLog > 2'000'000'000) {
                lastLog = nowNs();
                quint64 s, a, k, d;
                bool sending;
                sums(&s, &a, &k, &d, &sending);
                ctx.log(u"  sent %1, answered %2 (%3 acknowledged), delivered %4"_s.arg(s).arg(a).arg(k).arg(d));
            }
            return nowNs() >= schedule.endNs;
        },
        int(m_duration * 1000) + 10000, 5);
    ctx.log(u"sending done; waiting up to %1 s for replies and deliveries"_s.arg(m_drain));
    // Drained: everything sent was answered and everything answered was delivered (or timeout).
    waitUntil(
        [&] {
            quint64 s, a, k, d;
            bool sending;
            sums(&s, &a, &k, &d, &sending);
            return !sending && a == s && d >= k;
        },
        int(m_drain * 1000), 10);
    const ServerSample after = ctx.sample();

    // Merge the workers' results.
    LatencyRecorder delivery, ack;
    std::vector<qint64> acked;
    QSet<qint64> delivered;
    quint64 sentTotal = 0, sentMeasured = 0, deliveredMeasured = 0, deliveredInWindow = 0, duplicates = 0, skipped = 0,
            unexpectedCloses = 0, answered = 0;
    qint64 lastDelivery = 0;
    QHash<QString, quint64> refused;
    pool.callAll([&](MessagesWorker &w) {
        delivery.merge(w.delivery);
        ack.merge(w.ack);
        acked.insert(acked.end(), w.ackedIds.begin(), w.ackedIds.end());
        delivered.unite(w.deliveredIds);
        sentTotal += w.sent.load();
        answered += w.answered.load();
        sentMeasured += w.sentMeasured;
        deliveredMeasured += w.deliveredMeasured;
        deliveredInWindow += w.deliveredInWindow;
        duplicates += w.duplicates;
        skipped += w.skipped();
        unexpectedCloses += quint64(w.unexpectedCloses.load());
        lastDelivery = std::max(lastDelivery, w.lastMeasuredDeliveryNs);
        for (auto it = w.refused.cbegin(); it != w.refused.cend(); ++it)
            refused[it.key()] += it.value();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    quint64 lost = 0;
    for (qint64 id : acked) {
        if (!delivered.contains(id))
            ++lost;
    }
    quint64 refusedTotal = 0;
    for (quint64 v : std::as_const(refused))
        refusedTotal += v;

    const double measuredSeconds = m_duration;
    // Throughput: deliveries that arrived within the measured window, per second of it. A server
    // that keeps up delivers the offered rate; a backlog arriving later does not count.
    const double deliveredRate = double(deliveredInWindow) / measuredSeconds;
    const double lastDeliveryAfterEnd = lastDelivery > schedule.endNs ? double(lastDelivery - schedule.endNs) / 1e6 : 0;
    report.section(u"load"_s);
    report.value(u"users"_s, u"connections (users, in pairs)"_s, m_users, {}, 0);
    report.value(u"idle_connections"_s, u"idle connections held open"_s, m_idle, {}, 0);
    report.value(u"offered_rate"_s, u"offered rate"_s, m_rate, u"msg/s"_s, 0);
    report.value(
        u"sent_rate"_s, u"sent rate (measured phase)"_s, double(sentMeasured) / measuredSeconds, u"msg/s"_s, 0);
    report.value(u"sent_total"_s, u"sent (warm-up + measured)"_s, double(sentTotal), {}, 0);
    report.value(u"acknowledged"_s, u"acknowledged"_s, double(acked.size()), {}, 0);
    report.value(u"refused"_s, u"refused by the server"_s, double(refusedTotal), {}, 0);
    report.value(u"unanswered"_s, u"unanswered at the end"_s, double(sentTotal - answered), {}, 0);
    report.value(u"skipped"_s, u"not sent (client behind / in-flight cap)"_s, double(skipped), {}, 0);
    report.section(u"results"_s);
    report.value(
        u"delivered_rate"_s, u"delivered rate (arrivals in the measured window)"_s, deliveredRate, u"msg/s"_s, 0);
    report.value(u"delivered_measured"_s, u"measured-phase messages delivered"_s, double(deliveredMeasured), {}, 0);
    report.value(
        u"last_delivery_after_end_ms"_s, u"last delivery after the end of sending"_s, lastDeliveryAfterEnd, u"ms"_s, 0);
    report.value(u"lost"_s, u"lost (acknowledged, never delivered)"_s, double(lost), {}, 0);
    report.value(u"duplicates"_s, u"duplicate deliveries"_s, double(duplicates), {}, 0);
    const auto d = delivery.summary();
    const auto a = ack.summary();
    report.value(u"latency_p50_ms"_s, u"latency send->peer p50"_s, d.p50Ms, u"ms"_s, 2);
    report.value(u"latency_p99_ms"_s, u"latency send->peer p99"_s, d.p99Ms, u"ms"_s, 2);
    report.value(u"latency_max_ms"_s, u"latency send->peer max"_s, d.maxMs, u"ms"_s, 2);
    report.value(u"ack_p50_ms"_s, u"ack latency p50"_s, a.p50Ms, u"ms"_s, 2);
    report.value(u"ack_p99_ms"_s, u"ack latency p99"_s, a.p99Ms, u"ms"_s, 2);
    report.section(u"cost"_s);
    const double perK = ctx.reportCpu(before, after, double(deliveredMeasured), u"messages"_s);
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        report.note(u"refused %1 x %2"_s.arg(it.value()).arg(it.key()));
    if (unexpectedCloses)
        report.note(u"%1 connection(s) closed unexpectedly: %2"_s.arg(unexpectedCloses).arg(firstError));

    report.section(u"targets"_s);
    if (m_rate >= 10000) {
        // 1% tolerance: arrivals in the window of a schedule offering exactly 10,000/s.
        report.check(u">= 10,000 msg/s delivered"_s, deliveredRate >= 10000 * 0.99,
            QString::number(deliveredRate, 'f', 0), u">= 10000 msg/s (1% tolerance for the schedule)"_s);
        report.check(u"p99 < 50 ms"_s, d.p99Ms < 50, QString::number(d.p99Ms, 'f', 2) + u" ms"_s, u"< 50 ms"_s);
    }
    report.check(u"no loss"_s, lost == 0 && sentTotal == answered && refusedTotal == 0,
        u"%1 lost, %2 refused, %3 unanswered"_s.arg(lost).arg(refusedTotal).arg(sentTotal - answered), u"0"_s);
    if (m_rate >= 4500 && m_rate <= 5500)
        report.check(u"<= 40 ms server CPU / 1000 msg at 5,000 msg/s"_s, perK <= 40,
            QString::number(perK, 'f', 1) + u" ms"_s, u"<= 40 ms"_s);

    ctx.log(u"closing connections"_s);
    pool.runAll([](MessagesWorker &w, std::function<void()> done) { w.closeAll(done, 5000); }, 10000);
    pool.stop();
    if (m_idle > 0) {
        idle.runAll([](IdleWorker &w, std::function<void()> done) { w.closeAll(done, 10000); }, 15000);
        idle.stop();
    }
    return 0;
}

} // namespace Switchboard::Bench
