#pragma once

#include "bench/harness/benchmode.h"

namespace Switchboard::Bench {

// `group`: one group conversation of M members (one connection each, persisted messages); the
// members send in turn at a fixed message rate, every message is stored once and delivered to the
// other M - 1 members. Reports deliveries/s, lost deliveries, send->arrival latency, ack latency
// and the server's CPU per 1000 deliveries and per 1000 messages.
class GroupMode final : public BenchMode
{
public:
    QList<QCommandLineOption> options() const override;
    bool configure(const QCommandLineParser &parser, QString *error) override;
    void serverConfig(ServerConfigMap &config) const override;
    qint64 fileLimitNeeded() const override { return m_members + 1024; }
    int run(BenchContext &context) override;

private:
    int m_members = 500;
    double m_rate = 100;
    double m_duration = 10;
    double m_warmup = 2;
    double m_drain = 15;
    int m_size = 100;
    int m_tickMs = 2;
};

} // namespace Switchboard::Bench
