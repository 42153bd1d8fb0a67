#pragma once

#include "bench/harness/benchmode.h"

namespace Switchboard::Bench {

// `reconnect-storm`: N authenticated connections are dropped at once (TCP closed without a close
// frame, as in a network failure); while they are gone a separate sender writes messages to their
// users; then all N reconnect at once with `reconnect` and their resume tokens. Reports the time
// until every session is restored, the time until every connection also holds every message sent
// in the gap (offline delivery), and any loss.
class ReconnectStormMode final : public BenchMode
{
public:
    QList<QCommandLineOption> options() const override;
    bool configure(const QCommandLineParser &parser, QString *error) override;
    void serverConfig(ServerConfigMap &config) const override;
    qint64 fileLimitNeeded() const override { return qint64(m_connections) * 2 + 4096; }
    int run(BenchContext &context) override;

private:
    int m_connections = 5000;
    int m_users = 0;
    int m_gapMessages = 1;
    int m_concurrency = 0;
    double m_timeout = 60;
};

} // namespace Switchboard::Bench
