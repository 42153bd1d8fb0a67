#include "bench/modes/supportmode.h"

#include <QCommandLineParser>
#include <QHash>
#include <QSet>

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

// Content: direction ('U' user->agent, 'A' agent->user; lower case during warm-up), the send
// time in ns of the bench's monotonic clock, a space, padding.
bool parseContent(const QString &content, QChar *tag, qint64 *sentNs)
{
    if (content.size() < 3)
        return false;
    const QChar c = content[0];
    if (c != u'U' && c != u'A' && c != u'u' && c != u'a')
        return false;
    const qsizetype space = content.indexOf(u' ');
    if (space < 2)
        return false;
    bool ok = false;
    *sentNs = QStringView(content).mid(1, space - 1).toLongLong(&ok);
    *tag = c;
    return ok;
}

// One place a message is sent from: a local connection and a conversation.
struct Slot
{
    size_t connection = 0;
    qint64 conversation = 0;
};

class SupportWorker final : public ClientWorker
{
public:
    explicit SupportWorker(int index) : ClientWorker(index)
    {
        onConnectionCreated = [this](ClientConnection *c, int local) {
            QObject::connect(c, &ClientConnection::messageReceived, this,
                [this, local](const ChatMessage &m, bool offline) { onMessage(local, m, offline); });
        };
    }

    // Runs `request` on the given local connections; done() when all are answered. Each reply's
    // data goes to onReply(local, data) or the error is counted.
    void requestAll(const std::vector<std::pair<size_t, QJsonObject>> &items, const QString &type,
        std::function<void(size_t, const QJsonObject &)> onReply, std::function<void()> done)
    {
        auto remaining = std::make_shared<size_t>(items.size());
        if (items.empty())
            return done();
        for (const auto &[local, fields] : items) {
            PendingRequest *r = connections()[local]->request(type, fields);
            QObject::connect(r, &PendingRequest::finished, this, [this, r, local, remaining, onReply, done, type] {
                if (r->isSuccess())
                    onReply(local, r->data());
                else {
                    ++setupFailures;
                    noteError(type + u" failed: "_s + r->error().message);
                }
                if (--*remaining == 0)
                    done();
            });
        }
    }

    void startSending(const std::vector<Slot> &userSlots, const std::vector<Slot> &agentSlots,
        const RateScheduler::Plan &userPlan, const RateScheduler::Plan &agentPlan, const QString &padding)
    {
        m_userSlots = userSlots;
        m_agentSlots = agentSlots;
        m_padding = padding;
        m_plan = userPlan;
        m_inFlight.assign(connections().size(), 0);
        if (!m_userSlots.empty() && userPlan.rate > 0)
            m_userScheduler.start(this, userPlan, [this](bool measured) {
                return send(m_userSlots[m_nextUser++ % m_userSlots.size()], measured ? u'U' : u'u');
            });
        if (!m_agentSlots.empty() && agentPlan.rate > 0)
            m_agentScheduler.start(this, agentPlan, [this](bool measured) {
                return send(m_agentSlots[m_nextAgent++ % m_agentSlots.size()], measured ? u'A' : u'a');
            });
    }

    bool isSending() const { return m_userScheduler.running.load() || m_agentScheduler.running.load(); }
    quint64 skipped() const
    {
        return m_userScheduler.skippedBehind + m_userScheduler.skippedBusy + m_agentScheduler.skippedBehind
            + m_agentScheduler.skippedBusy;
    }

    // Polled by the main thread.
    std::atomic<quint64> sent {0};
    std::atomic<quint64> answered {0};
    std::atomic<quint64> delivered {0};

    // Read through callAll() once quiet.
    int setupFailures = 0;
    LatencyRecorder userToAgent;
    LatencyRecorder agentToUser;
    LatencyRecorder ack;
    quint64 sentMeasuredUser = 0;
    quint64 sentMeasuredAgent = 0;
    quint64 deliveredMeasuredUser = 0; // user->agent arrivals of measured messages
    quint64 deliveredMeasuredAgent = 0; // agent->user
    quint64 duplicates = 0;
    QHash<QString, quint64> refused;

private:
    bool send(const Slot &slot, QChar tag)
    {
        if (m_inFlight[slot.connection] >= 1000)
            return false;
        const qint64 t = nowNs();
        PendingRequest *r
            = connections()[slot.connection]->sendText(slot.conversation, tag + QString::number(t) + u' ' + m_padding);
        ++m_inFlight[slot.connection];
        sent.fetch_add(1, std::memory_order_relaxed);
        const bool measured = tag.isUpper();
        if (measured)
            ++(tag == u'U' ? sentMeasuredUser : sentMeasuredAgent);
        const size_t c = slot.connection;
        QObject::connect(r, &PendingRequest::finished, this, [this, r, c, t, measured] {
            --m_inFlight[c];
            if (r->isSuccess()) {
                if (measured)
                    ack.add(nowNs() - t);
            } else {
                refused[toString(r->error().code) + u": "_s + r->error().message] += 1;
            }
            answered.fetch_add(1, std::memory_order_relaxed);
        });
        return true;
    }

    void onMessage(int local, const ChatMessage &m, bool offline)
    {
        if (offline)
            return;
        QChar tag;
        qint64 sentNs = 0;
        if (!parseContent(m.content, &tag, &sentNs))
            return;
        // Only the other side's arrival counts (not the sender's own echo, if any).
        if (m.senderId == specs()[size_t(local)].userId)
            return;
        const qint64 now = nowNs();
        if (m_seen.contains(m.id)) {
            ++duplicates;
            return;
        }
        m_seen.insert(m.id);
        delivered.fetch_add(1, std::memory_order_relaxed);
        if (tag == u'U') {
            userToAgent.add(now - sentNs);
            ++deliveredMeasuredUser;
        } else if (tag == u'A') {
            agentToUser.add(now - sentNs);
            ++deliveredMeasuredAgent;
        }
    }

    std::vector<Slot> m_userSlots;
    std::vector<Slot> m_agentSlots;
    std::vector<int> m_inFlight;
    QString m_padding;
    RateScheduler::Plan m_plan;
    RateScheduler m_userScheduler;
    RateScheduler m_agentScheduler;
    size_t m_nextUser = 0;
    size_t m_nextAgent = 0;
    QSet<qint64> m_seen;
};

QString agentPrefix(const UserFactoryOptions &users)
{
    return users.prefix + u"-agent"_s;
}

} // namespace

QList<QCommandLineOption> SupportMode::options() const
{
    return {
        {u"chats"_s, u"Simultaneous support chats (one user each). Default 200."_s, u"N"_s, u"200"_s},
        {u"agents"_s, u"Agents (created with --create-user --role agent) claiming the chats evenly. Default 10."_s,
            u"N"_s, u"10"_s},
        {u"rate"_s,
            u"Messages/s in EACH direction (user->agent and agent->user), spread over the chats. Default 200."_s,
            u"MSG_PER_S"_s, u"200"_s},
        {u"duration"_s, u"Seconds of measured sending. Default 20."_s, u"S"_s, u"20"_s},
        {u"warmup"_s, u"Seconds of sending before the measurement. Default 3."_s, u"S"_s, u"3"_s},
        {u"drain"_s, u"Seconds to wait for replies and deliveries after sending. Default 10."_s, u"S"_s, u"10"_s},
        {u"size"_s, u"Characters per message content (at least 24). Default 100."_s, u"CHARS"_s, u"100"_s},
        {u"tick-ms"_s, u"Schedule timer interval in ms. Default 2."_s, u"MS"_s, u"2"_s},
    };
}

bool SupportMode::configure(const QCommandLineParser &parser, QString *error)
{
    m_chats = parser.value(u"chats"_s).toInt();
    m_agents = parser.value(u"agents"_s).toInt();
    m_rate = parser.value(u"rate"_s).toDouble();
    m_duration = parser.value(u"duration"_s).toDouble();
    m_warmup = parser.value(u"warmup"_s).toDouble();
    m_drain = parser.value(u"drain"_s).toDouble();
    m_size = parser.value(u"size"_s).toInt();
    m_tickMs = parser.value(u"tick-ms"_s).toInt();
    if (m_chats < 1 || m_chats > 100000)
        *error = u"--chats must be 1..100000"_s;
    else if (m_agents < 1 || m_agents > 1000 || m_agents > m_chats)
        *error = u"--agents must be 1..1000 and at most --chats"_s;
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

void SupportMode::serverConfig(ServerConfigMap &config) const
{
    // The agents claim the chats themselves.
    config[u"support"_s][u"auto_assign"_s] = u"false"_s;
}

QList<ServerControl::Options::Account> SupportMode::serverAccounts(const UserFactoryOptions &users) const
{
    // The names the user factory logs in as (PREFIX-agent-N; registering them answers 409).
    QList<ServerControl::Options::Account> accounts;
    for (int i = 0; i < m_agents; ++i)
        accounts.append({u"%1-%2"_s.arg(agentPrefix(users)).arg(i), users.password, u"agent"_s});
    return accounts;
}

int SupportMode::run(BenchContext &ctx)
{
    Report &report = ctx.report;
    report.param(u"chats"_s, m_chats);
    report.param(u"agents"_s, m_agents);
    report.param(u"rate_per_direction"_s, m_rate);
    report.param(u"duration"_s, m_duration);
    report.param(u"warmup"_s, m_warmup);
    report.param(u"size"_s, m_size);
    if (!ctx.ownsServer())
        return ctx.log(u"the support mode creates its agents with --create-user: give --server-binary"_s), 1;

    QString error;
    UserFactoryOptions agentOptions = ctx.userOptions;
    agentOptions.guests = false;
    agentOptions.prefix = agentPrefix(ctx.userOptions);
    ctx.log(u"logging in %1 agents (created with --create-user --role agent)"_s.arg(m_agents));
    const QList<BenchUser> agents = Bench::createUsers(ctx.httpUrl(), m_agents, agentOptions, &error);
    if (agents.isEmpty())
        return ctx.log(error), 1;
    const QList<BenchUser> users = ctx.createUsers(m_chats, &error);
    if (users.isEmpty())
        return ctx.log(error), 1;

    // Connection index: users 0..chats-1, agents chats..chats+agents-1; worker = index % workers.
    const int total = m_chats + m_agents;
    const int workers = std::min(ctx.threads, total);
    WorkerPool<SupportWorker> pool;
    pool.start(workers);
    std::vector<std::vector<ConnectionSpec>> specs(static_cast<size_t>(workers));
    auto workerOf = [workers](int index) { return index % workers; };
    auto localOf = [workers](int index) { return size_t(index / workers); };
    for (int i = 0; i < total; ++i) {
        const BenchUser &u = i < m_chats ? users[i] : agents[i - m_chats];
        specs[size_t(workerOf(i))].push_back(ConnectionSpec {i, u.id, u.token});
    }
    ctx.log(u"opening %1 connections (%2 users, %3 agents) on %4 worker thread(s)"_s.arg(total)
                .arg(m_chats)
                .arg(m_agents)
                .arg(workers));
    const QUrl ws = ctx.wsUrl();
    const int concurrency = std::max(1, ctx.setupConcurrency / workers);
    pool.runAll(
        [&](SupportWorker &w, std::function<void()> done) {
            w.openAll(ws, specs[size_t(w.index())], concurrency, ClientConnection::TokenTransport::AuthFrame, done);
        },
        120000);
    int opened = 0;
    QString firstError;
    pool.callAll([&](SupportWorker &w) {
        opened += w.opened.load();
        if (firstError.isEmpty())
            firstError = w.firstError;
    });
    if (opened != total)
        return ctx.log(u"only %1 of %2 connections authenticated: %3"_s.arg(opened).arg(total).arg(firstError)), 1;

    // Every user opens a support chat.
    ctx.log(u"%1 users: support_open"_s.arg(m_chats));
    std::vector<qint64> conversation(static_cast<size_t>(m_chats), 0);
    pool.runAll(
        [&](SupportWorker &w, std::function<void()> done) {
            std::vector<std::pair<size_t, QJsonObject>> items;
            for (int i = w.index(); i < m_chats; i += workers)
                items.emplace_back(localOf(i), QJsonObject {{u"topic"_s, u"bench chat %1"_s.arg(i)}});
            const int wi = w.index();
            w.requestAll(
                items, u"support_open"_s,
                [&conversation, wi, workers](size_t local, const QJsonObject &data) {
                    const int i = int(local) * workers + wi;
                    conversation[size_t(i)]
                        = qint64(data.value(u"conversation"_s).toObject().value(u"id"_s).toDouble());
                },
                done);
        },
        120000);
    for (int i = 0; i < m_chats; ++i) {
        if (conversation[size_t(i)] == 0) {
            pool.callAll([&](SupportWorker &w) {
                if (firstError.isEmpty())
                    firstError = w.firstError;
            });
            return ctx.log(u"support_open of user %1 failed: %2"_s.arg(i).arg(firstError)), 1;
        }
    }

    // Agent a claims the chats of users i with i % agents == a.
    ctx.log(u"%1 agents: support_claim %2 chats each"_s.arg(m_agents).arg(double(m_chats) / m_agents));
    int claimed = 0;
    std::atomic<int> claimedAtomic {0};
    pool.runAll(
        [&](SupportWorker &w, std::function<void()> done) {
            std::vector<std::pair<size_t, QJsonObject>> items;
            for (int i = 0; i < m_chats; ++i) {
                const int agentIndex = m_chats + i % m_agents;
                if (workerOf(agentIndex) == w.index())
                    items.emplace_back(
                        localOf(agentIndex), QJsonObject {{u"conversation_id"_s, double(conversation[size_t(i)])}});
            }
            w.requestAll(
                items, u"support_claim"_s, [&claimedAtomic](size_t, const QJsonObject &) { ++claimedAtomic; }, done);
        },
        120000);
    claimed = claimedAtomic.load();
    if (claimed != m_chats) {
        pool.callAll([&](SupportWorker &w) {
            if (firstError.isEmpty())
                firstError = w.firstError;
        });
        return ctx.log(u"only %1 of %2 chats claimed: %3"_s.arg(claimed).arg(m_chats).arg(firstError)), 1;
    }
    spinFor(500); // support_update events settle

    // Send slots per worker: one per user (its chat), one per claimed chat for its agent.
    std::vector<std::vector<Slot>> userSlots(static_cast<size_t>(workers)), agentSlots(static_cast<size_t>(workers));
    for (int i = 0; i < m_chats; ++i) {
        userSlots[size_t(workerOf(i))].push_back(Slot {localOf(i), conversation[size_t(i)]});
        const int agentIndex = m_chats + i % m_agents;
        agentSlots[size_t(workerOf(agentIndex))].push_back(Slot {localOf(agentIndex), conversation[size_t(i)]});
    }
    RateScheduler::Plan plan;
    plan.tickMs = m_tickMs;
    plan.startNs = nowNs() + 100'000'000;
    plan.measureStartNs = plan.startNs + qint64(m_warmup * 1e9);
    plan.endNs = plan.measureStartNs + qint64(m_duration * 1e9);
    const QString padding(m_size - 22, u'x');
    ctx.log(
        u"sending %1 messages/s each way for %2 s warm-up + %3 s measured"_s.arg(m_rate).arg(m_warmup).arg(m_duration));
    for (int i = 0; i < workers; ++i) {
        RateScheduler::Plan up = plan, down = plan;
        up.rate = m_rate * double(userSlots[size_t(i)].size()) / m_chats;
        down.rate = m_rate * double(agentSlots[size_t(i)].size()) / m_chats;
        pool.post(i, [up, down, padding, us = userSlots[size_t(i)], as = agentSlots[size_t(i)]](SupportWorker &w) {
            w.startSending(us, as, up, down, padding);
        });
    }
    auto sums = [&](quint64 *sent, quint64 *answered, quint64 *delivered, bool *sending) {
        *sent = *answered = *delivered = 0;
        *sending = false;
        pool.peek([&](const SupportWorker &w) {
            *sent += w.sent.load();
            *answered += w.answered.load();
            *delivered += w.delivered.load();
            *sending = *sending || w.isSending();
        });
    };
    waitUntil([&] { return nowNs() >= plan.measureStartNs; }, int(m_warmup * 1000) + 10000, 1);
    quint64 s0, a0, d0;
    bool sending;
    sums(&s0, &a0, &d0, &sending);
    const ServerSample before = ctx.sample();
    qint64 lastLog = nowNs();
    waitUntil(
        [&] {
            if (nowNs() - lastLog > 5'000'000'000) {
                lastLog = nowNs();
                quint64 s, a, d;
                bool busy;
                sums(&s, &a, &d, &busy);
                ctx.log(u"  sent %1, answered %2, delivered %3"_s.arg(s).arg(a).arg(d));
            }
            return nowNs() >= plan.endNs;
        },
        int(m_duration * 1000) + 10000, 5);
    const ServerSample after = ctx.sample();
    quint64 s1, a1, d1;
    sums(&s1, &a1, &d1, &sending);
    ctx.log(u"sending done; waiting up to %1 s for replies and deliveries"_s.arg(m_drain));
    waitUntil(
        [&] {
            quint64 s, a, d;
            bool busy;
            sums(&s, &a, &d, &busy);
            return !busy && a == s && d >= a;
        },
        int(m_drain * 1000), 20);

    LatencyRecorder up, down, ack;
    quint64 sentUp = 0, sentDown = 0, gotUp = 0, gotDown = 0, duplicates = 0, skipped = 0;
    int unexpected = 0;
    QHash<QString, quint64> refused;
    pool.callAll([&](SupportWorker &w) {
        up.merge(w.userToAgent);
        down.merge(w.agentToUser);
        ack.merge(w.ack);
        sentUp += w.sentMeasuredUser;
        sentDown += w.sentMeasuredAgent;
        gotUp += w.deliveredMeasuredUser;
        gotDown += w.deliveredMeasuredAgent;
        duplicates += w.duplicates;
        skipped += w.skipped();
        unexpected += w.unexpectedCloses.load();
        for (auto it = w.refused.cbegin(); it != w.refused.cend(); ++it)
            refused[it.key()] += it.value();
    });
    const auto lu = up.summary();
    const auto ld = down.summary();
    const auto la = ack.summary();
    const double wall = double(after.ns - before.ns) / 1e9;
    const double messagesInWindow = double(s1 - s0);

    report.section(u"load"_s);
    report.value(u"chats"_s, u"support chats (users)"_s, m_chats, {}, 0);
    report.value(u"agents"_s, u"agents"_s, m_agents, {}, 0);
    report.value(u"rate_per_direction"_s, u"offered rate per direction"_s, m_rate, u"msg/s"_s, 0);
    report.value(u"sent_rate"_s, u"sent rate, both directions, measured window"_s,
        wall > 0 ? messagesInWindow / wall : 0, u"msg/s"_s, 1);
    report.section(u"results"_s);
    report.value(u"sent_user_to_agent"_s, u"measured messages sent user->agent"_s, double(sentUp), {}, 0);
    report.value(u"delivered_user_to_agent"_s, u"  of which arrived at the agent"_s, double(gotUp), {}, 0);
    report.value(u"sent_agent_to_user"_s, u"measured messages sent agent->user"_s, double(sentDown), {}, 0);
    report.value(u"delivered_agent_to_user"_s, u"  of which arrived at the user"_s, double(gotDown), {}, 0);
    report.value(u"user_to_agent_p50_ms"_s, u"user->agent latency p50"_s, lu.p50Ms, u"ms"_s, 2);
    report.value(u"user_to_agent_p99_ms"_s, u"user->agent latency p99"_s, lu.p99Ms, u"ms"_s, 2);
    report.value(u"user_to_agent_max_ms"_s, u"user->agent latency max"_s, lu.maxMs, u"ms"_s, 2);
    report.value(u"agent_to_user_p50_ms"_s, u"agent->user latency p50"_s, ld.p50Ms, u"ms"_s, 2);
    report.value(u"agent_to_user_p99_ms"_s, u"agent->user latency p99"_s, ld.p99Ms, u"ms"_s, 2);
    report.value(u"agent_to_user_max_ms"_s, u"agent->user latency max"_s, ld.maxMs, u"ms"_s, 2);
    report.value(u"ack_p50_ms"_s, u"send acknowledgement p50 (both)"_s, la.p50Ms, u"ms"_s, 2);
    report.value(u"ack_p99_ms"_s, u"send acknowledgement p99 (both)"_s, la.p99Ms, u"ms"_s, 2);
    report.value(u"duplicates"_s, u"duplicate deliveries"_s, double(duplicates), {}, 0);
    report.value(u"skipped"_s, u"sends skipped (bench behind or 1000 in flight)"_s, double(skipped), {}, 0);
    report.value(u"unexpected_closes"_s, u"connections closed by the server"_s, unexpected, {}, 0);
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        report.note(u"refused %1 x: %2"_s.arg(it.value()).arg(it.key()));
    report.section(u"cost (measured window)"_s);
    ctx.reportCpu(before, after, messagesInWindow, u"messages"_s);

    report.section(u"targets"_s);
    const bool complete = gotUp == sentUp && gotDown == sentDown && sentUp > 0 && sentDown > 0;
    report.check(u"%1 support chats: user->agent p99 < 50 ms"_s.arg(m_chats), complete && lu.p99Ms < 50,
        u"p50 %1 ms, p99 %2 ms, %3 of %4 arrived"_s.arg(lu.p50Ms, 0, 'f', 2)
            .arg(lu.p99Ms, 0, 'f', 2)
            .arg(gotUp)
            .arg(sentUp),
        u"p99 < 50 ms"_s);
    report.check(u"%1 support chats: agent->user p99 < 50 ms"_s.arg(m_chats), complete && ld.p99Ms < 50,
        u"p50 %1 ms, p99 %2 ms, %3 of %4 arrived"_s.arg(ld.p50Ms, 0, 'f', 2)
            .arg(ld.p99Ms, 0, 'f', 2)
            .arg(gotDown)
            .arg(sentDown),
        u"p99 < 50 ms"_s);

    ctx.log(u"closing connections"_s);
    pool.runAll([](SupportWorker &w, std::function<void()> done) { w.closeAll(done, 15000); }, 20000);
    pool.stop();
    return 0;
}

} // namespace Switchboard::Bench
