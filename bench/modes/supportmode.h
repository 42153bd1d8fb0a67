#pragma once

#include "bench/harness/benchmode.h"

namespace Switchboard::Bench {

// `support`: support chats under load. Agents are created with `switchboard-server --create-user
// NAME --role agent` before the server starts, users (guests with --guests) each `support_open`
// a chat, the agents `support_claim` them evenly, then users and agents exchange messages at a
// fixed total rate per direction: send -> arrival latency user->agent and agent->user, and the
// server's CPU per 1000 messages.
class SupportMode final : public BenchMode
{
public:
    QList<QCommandLineOption> options() const override;
    bool configure(const QCommandLineParser &parser, QString *error) override;
    void serverConfig(ServerConfigMap &config) const override;
    QList<ServerControl::Options::Account> serverAccounts(const UserFactoryOptions &users) const override;
    qint64 fileLimitNeeded() const override { return qint64(m_chats) + m_agents + 1024; }
    int run(BenchContext &context) override;

private:
    int m_chats = 200;
    int m_agents = 10;
    double m_rate = 200; // messages/s per direction
    double m_duration = 20;
    double m_warmup = 3;
    double m_drain = 10;
    int m_size = 100;
    int m_tickMs = 2;
};

} // namespace Switchboard::Bench
