#pragma once

#include "bench/harness/benchmode.h"

namespace Switchboard::Bench {

// `messages`: N users (one connection each) in pairs, each pair with its private conversation;
// every connection sends text messages to its peer, together at a fixed offered rate for a
// bounded time (timer-driven schedule, round robin over the connections), then the bench waits
// (bounded) for replies and deliveries. Reports delivered messages/s, lost messages (acknowledged
// but never delivered), send->arrival latency at the peer (the send time is embedded in the
// content), ack latency and the server's CPU per 1000 messages.
class MessagesMode final : public BenchMode
{
public:
    QList<QCommandLineOption> options() const override;
    bool configure(const QCommandLineParser &parser, QString *error) override;
    void serverConfig(ServerConfigMap &config) const override;
    qint64 fileLimitNeeded() const override { return qint64(m_users) + m_idle + 1024; }
    int run(BenchContext &context) override;

private:
    int m_users = 200;
    double m_rate = 10000;
    double m_duration = 10;
    double m_warmup = 2;
    double m_drain = 15;
    int m_size = 100;
    int m_maxInFlight = 1000;
    int m_tickMs = 2;
    int m_idle = 0; // extra idle authenticated connections held open during the run
};

} // namespace Switchboard::Bench
