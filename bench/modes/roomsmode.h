#pragma once

#include "bench/harness/benchmode.h"

namespace Switchboard::Bench {

// `rooms`: M connections join one room; all of them broadcast in turn at a fixed rate chosen so
// that the deliveries (broadcasts x (M - 1)) reach the offered delivery rate. Reports deliveries/s,
// lost deliveries (the broadcast reply's `delivered` count against what arrived), send->arrival
// latency (the send time is the broadcast's data) and the server's CPU per 1000 deliveries.
class RoomsMode final : public BenchMode
{
public:
    QList<QCommandLineOption> options() const override;
    bool configure(const QCommandLineParser &parser, QString *error) override;
    void serverConfig(ServerConfigMap &config) const override;
    qint64 fileLimitNeeded() const override { return m_members + 1024; }
    int run(BenchContext &context) override;

private:
    int m_members = 100;
    int m_users = 0; // 0: members / 5
    double m_deliveryRate = 100000;
    double m_duration = 10;
    double m_warmup = 2;
    double m_drain = 10;
    int m_size = 64;
    int m_tickMs = 2;
};

} // namespace Switchboard::Bench
