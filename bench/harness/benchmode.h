#pragma once

#include <QCommandLineOption>
#include <QList>
#include <QMap>
#include <QString>
#include <functional>
#include <memory>

#include "bench/harness/servercontrol.h"
#include "bench/harness/userfactory.h"

QT_BEGIN_NAMESPACE
class QCommandLineParser;
QT_END_NAMESPACE

namespace Switchboard::Bench {

class BenchContext;

// INI sections -> keys -> values for a server the bench starts.
using ServerConfigMap = QMap<QString, QMap<QString, QString>>;

// One load scenario. To add a mode: derive from BenchMode (modes/), then list it in allModes()
// (benchmode.cpp). The main thread calls options() and configure() while parsing the command
// line, serverConfig() before starting a server, then run(), which drives the load in a
// sequential style (see waitutil.h, workerpool.h) and fills the context's report.
class BenchMode
{
public:
    virtual ~BenchMode() = default;

    // Options of this mode only (the common ones are in BenchContext).
    virtual QList<QCommandLineOption> options() const = 0;
    virtual bool configure(const QCommandLineParser &parser, QString *error) = 0;
    // [limits] etc. for a server started by the bench (the user's --server-set wins).
    virtual void serverConfig(ServerConfigMap &config) const { Q_UNUSED(config) }
    // Accounts to create with --create-user in the started server's database before it starts.
    virtual QList<ServerControl::Options::Account> serverAccounts(const UserFactoryOptions &users) const
    {
        Q_UNUSED(users)
        return {};
    }
    // File descriptors this process needs (RLIMIT_NOFILE is raised to it).
    virtual qint64 fileLimitNeeded() const { return 4096; }
    // Runs the scenario; returns the process exit code (0 = measured; 1 = could not measure).
    virtual int run(BenchContext &context) = 0;
};

struct ModeInfo
{
    QString name;
    QString summary;
    std::function<std::unique_ptr<BenchMode>()> create;
};

const QList<ModeInfo> &allModes();

} // namespace Switchboard::Bench
