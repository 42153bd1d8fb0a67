#pragma once

#include <QByteArray>
#include <QMap>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

namespace Switchboard::Test {

// The outcome of a short-lived run of the server binary (e.g. --create-user).
struct ProcessResult
{
    bool finished = false; // exited by itself within the deadline (not crashed, not killed)
    int exitCode = -1;
    QByteArray standardOutput;
    QByteArray standardError;

    bool ok() const { return finished && exitCode == 0; }
    // One line for failure messages: exit code plus stderr.
    QString describe() const;
};

// The real switchboard-server binary under QProcess, as users run it (PROTOCOL.md section 12):
// `--listen 127.0.0.1:0 --database URL --config <temp ini>`. start() waits, with a deadline, for
// the `listening on HOST:PORT` line and reads the port from it.
//
// The binary is the build's switchboard-server (compile definition SB_SERVER_BINARY), or the
// environment variable SB_SERVER_BINARY when set. Without setDatabaseUrl() the server gets a
// fresh SQLite file in this object's temporary directory. Everything the server prints is kept
// in log(); it is printed automatically when start() fails or the server exits on its own, and
// live as well when SB_TEST_SERVER_OUTPUT=1.
//
//     ServerProcess server;
//     server.setLimits({{u"messages_per_second"_s, u"1000"_s}});
//     QVERIFY2(server.start(), qPrintable(server.errorString()));
//     ... server.wsUrl() ... server.httpUrl() ...
//     QVERIFY(server.stop());           // SIGTERM
//     QCOMPARE(server.exitCode(), 0);
class ServerProcess final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerProcess)

public:
    static constexpr int DefaultTimeoutMs = 30000;

    explicit ServerProcess(QObject *parent = nullptr);
    // Stops a running server (SIGTERM, then SIGKILL after 5 s).
    ~ServerProcess() override;

    static QString binaryPath();

    // Database URL passed with --database; default sqlite:<temp dir>/switchboard.db.
    QString databaseUrl() const { return m_databaseUrl; }
    void setDatabaseUrl(const QString &url) { m_databaseUrl = url; }

    // Replaces the [limits] section of the INI file (applies from the next start()).
    void setLimits(const QMap<QString, QString> &limits);
    QMap<QString, QString> limits() const;
    // Any other INI key, e.g. setConfigValue(u"support"_s, u"auto_assign"_s, u"true"_s).
    void setConfigValue(const QString &section, const QString &key, const QString &value);
    // Appended to the command line of the server (not of runCommand()).
    void setExtraArguments(const QStringList &arguments) { m_extraArguments = arguments; }

    // Starts the server and waits until it prints `listening on`. False on failure or deadline
    // (the process is then killed; see errorString() and log()).
    bool start(int timeoutMs = DefaultTimeoutMs);
    // SIGTERM and wait for the exit; true when it exited (check exitCode()).
    bool stop(int timeoutMs = DefaultTimeoutMs);
    // SIGKILL (a crash, for durability tests) and wait for the exit.
    bool kill(int timeoutMs = DefaultTimeoutMs);
    // stop() if running, then start() on the same database and config. Tries the previous port
    // first so that clients can reconnect to the same URL; falls back to a free one.
    bool restart(int timeoutMs = DefaultTimeoutMs);

    bool isRunning() const;
    qint64 processId() const;
    int exitCode() const { return m_exitCode; }
    QProcess::ExitStatus exitStatus() const { return m_exitStatus; }

    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    // ws://127.0.0.1:PORT/ws
    QUrl wsUrl() const;
    // http://127.0.0.1:PORT
    QUrl httpUrl() const;
    QString configPath() const;
    // The temporary directory holding the INI file (and the default SQLite database).
    QString dataDirectory() const { return m_dir.path(); }

    // Everything the server wrote to stdout and stderr, across restarts.
    QString log() const { return QString::fromUtf8(m_log); }
    // Writes the last 64 KiB of log() to stderr (qInfo), e.g. from cleanup() after a failure.
    void printLog() const;
    QString errorString() const { return m_errorString; }

    // Runs the binary once with `--database URL --config INI` plus arguments, writes
    // standardInput to it, and waits for it to exit (killed after the deadline).
    ProcessResult runCommand(
        const QStringList &arguments, const QByteArray &standardInput = {}, int timeoutMs = DefaultTimeoutMs);
    // `--create-user NAME --role ROLE` with the password (plus a newline) on stdin.
    ProcessResult createUser(const QString &name, const QString &role, const QString &password);

Q_SIGNALS:
    // The server exited without stop()/kill() being called.
    void unexpectedExit(int exitCode, QProcess::ExitStatus status);

private:
    bool startOn(quint16 port, int timeoutMs);
    bool writeConfig();
    void readOutput(QProcess::ProcessChannel channel);
    bool waitForExit(int timeoutMs);

    QTemporaryDir m_dir;
    QProcess *m_process = nullptr;
    QString m_databaseUrl;
    QMap<QString, QMap<QString, QString>> m_config;
    QStringList m_extraArguments;
    QByteArray m_log;
    QByteArray m_stdoutLine; // partial stdout line while looking for `listening on`
    QString m_errorString;
    QString m_host;
    quint16 m_port = 0;
    int m_exitCode = -1;
    QProcess::ExitStatus m_exitStatus = QProcess::NormalExit;
    bool m_stopping = false;
    bool m_echo = false;
};

} // namespace Switchboard::Test
