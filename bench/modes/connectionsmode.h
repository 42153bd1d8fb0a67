#pragma once

#include "bench/harness/benchmode.h"

namespace Switchboard::Bench {

// `connections`: opens N idle authenticated connections with bounded concurrency and reports the
// connect+authenticate rate and the server's resident memory per idle authenticated connection
// ((VmRSS after - VmRSS before) / N, after a warm-up round and a settle time). With --heartbeat S,
// the connections then send JSON pings every S seconds (evenly spread) and the server's CPU
// utilisation over a fixed window with no other traffic is the heartbeat cost.
class ConnectionsMode final : public BenchMode
{
public:
    QList<QCommandLineOption> options() const override;
    bool configure(const QCommandLineParser &parser, QString *error) override;
    void serverConfig(ServerConfigMap &config) const override;
    qint64 fileLimitNeeded() const override { return qint64(m_connections) + 4096; }
    int run(BenchContext &context) override;

private:
    int m_connections = 10000;
    int m_users = 0; // 0: automatic
    int m_concurrency = 200;
    int m_warmup = 200;
    double m_settle = 3;
    double m_hold = 0;
    QString m_auth = QStringLiteral("frame");
    // --heartbeat: every connection sends {"type":"ping"} every m_heartbeat seconds (spread
    // evenly) and the server's CPU is measured over m_heartbeatWindow seconds of nothing else.
    double m_heartbeat = 0;
    double m_heartbeatWindow = 60;
    double m_heartbeatWarmup = 5;
};

} // namespace Switchboard::Bench
