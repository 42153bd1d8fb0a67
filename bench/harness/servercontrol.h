#pragma once

#include <QMap>
#include <QObject>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>
#include <memory>

#include "bench/harness/procstats.h"

QT_BEGIN_NAMESPACE
class QProcess;
QT_END_NAMESPACE

namespace Switchboard::Bench {

// The server under test: either started by the bench (--server-binary: temporary INI config and
// SQLite database, optionally pinned to one CPU with taskset, RLIMIT_NOFILE raised) or an
// already running one given by --server-pid and --url. Either way the bench reads its CPU time
// and resident memory from /proc.
class ServerControl final : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString binary; // start this switchboard-server
        qint64 pid = 0; // or attach to this process
        QUrl url; // with pid: http://127.0.0.1:PORT
        QString database; // --database pass-through; empty: a temporary SQLite file
        int pinCpu = -1; // taskset -c N for the started server
        qint64 fileLimit = 65536;
        QString logFile; // the started server's stderr; empty: inside the temporary directory
        bool echoLog = false;
        QStringList environment; // extra KEY=VALUE for the started server
        // INI sections -> keys -> values for the started server ([limits], [storage], ...).
        QMap<QString, QMap<QString, QString>> config;
        // Accounts created with `switchboard-server --create-user NAME --role ROLE` (password on
        // stdin) in the fresh database before the server starts (e.g. support agents).
        struct Account
        {
            QString username;
            QString password;
            QString role;
        };
        QList<Account> accounts;
    };

    explicit ServerControl(Options options, QObject *parent = nullptr);
    ~ServerControl() override;

    bool start(QString *error);
    // SIGTERM and wait (then SIGKILL) when we started it; nothing when attached.
    void stop();

    bool owned() const { return !m_options.binary.isEmpty(); }
    qint64 pid() const { return m_pid; }
    QUrl httpUrl() const { return m_httpUrl; }
    QUrl wsUrl() const;
    QString databaseDescription() const;
    QString configText() const { return m_configText; }
    QString logPath() const { return m_logPath; }
    bool isRunning() const;

    std::optional<CpuTimes> cpu() const { return processCpu(m_pid); }
    std::optional<qint64> residentBytes() const { return Bench::residentBytes(m_pid); }
    QList<ThreadCpu> threads() const { return threadCpu(m_pid); }
    // The last lines of the started server's log (for error messages).
    QString logTail(int lines = 20) const;

private:
    Options m_options;
    std::unique_ptr<QTemporaryDir> m_dir;
    QProcess *m_process = nullptr;
    qint64 m_pid = 0;
    QUrl m_httpUrl;
    QString m_configText;
    QString m_logPath;
    QByteArray m_stdout;
};

} // namespace Switchboard::Bench
