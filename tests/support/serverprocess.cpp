#include "tests/support/serverprocess.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QRegularExpression>
#include <QTimer>
#include <QtDebug>

using namespace Qt::StringLiterals;

namespace Switchboard::Test {

namespace {
constexpr qsizetype kPrintedLogBytes = 64 * 1024;
constexpr int kStopGraceMs = 5000;
} // namespace

QString ProcessResult::describe() const
{
    if (!finished)
        return u"did not exit normally within the deadline; stderr: "_s + QString::fromUtf8(standardError);
    return u"exit code %1; stderr: %2"_s.arg(exitCode).arg(QString::fromUtf8(standardError).trimmed());
}

ServerProcess::ServerProcess(QObject *parent) : QObject(parent)
{
    m_databaseUrl = u"sqlite:"_s + m_dir.filePath(u"switchboard.db"_s);
    m_echo = qEnvironmentVariableIntValue("SB_TEST_SERVER_OUTPUT") == 1;
}

ServerProcess::~ServerProcess()
{
    if (isRunning() && !stop(kStopGraceMs))
        kill(kStopGraceMs);
}

QString ServerProcess::binaryPath()
{
    const QString fromEnv = qEnvironmentVariable("SB_SERVER_BINARY");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QString::fromUtf8(SB_SERVER_BINARY);
}

void ServerProcess::setLimits(const QMap<QString, QString> &limits)
{
    m_config.insert(u"limits"_s, limits);
}

QMap<QString, QString> ServerProcess::limits() const
{
    return m_config.value(u"limits"_s);
}

void ServerProcess::setConfigValue(const QString &section, const QString &key, const QString &value)
{
    m_config[section].insert(key, value);
}

QString ServerProcess::configPath() const
{
    return m_dir.filePath(u"server.ini"_s);
}

QUrl ServerProcess::wsUrl() const
{
    QUrl url;
    url.setScheme(u"ws"_s);
    url.setHost(m_host.isEmpty() ? u"127.0.0.1"_s : m_host);
    url.setPort(m_port);
    url.setPath(u"/ws"_s);
    return url;
}

QUrl ServerProcess::httpUrl() const
{
    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(m_host.isEmpty() ? u"127.0.0.1"_s : m_host);
    url.setPort(m_port);
    return url;
}

bool ServerProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 ServerProcess::processId() const
{
    return m_process ? m_process->processId() : 0;
}

bool ServerProcess::writeConfig()
{
    // Written by hand: QSettings would quote and escape values in its own way, and the server
    // reads plain INI.
    QByteArray ini;
    for (auto section = m_config.cbegin(); section != m_config.cend(); ++section) {
        ini += '[' + section.key().toUtf8() + "]\n";
        for (auto it = section->cbegin(); it != section->cend(); ++it)
            ini += it.key().toUtf8() + '=' + it.value().toUtf8() + '\n';
        ini += '\n';
    }
    QFile file(configPath());
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        m_errorString = u"cannot write %1: %2"_s.arg(configPath(), file.errorString());
        return false;
    }
    file.write(ini);
    return true;
}

bool ServerProcess::start(int timeoutMs)
{
    return startOn(0, timeoutMs);
}

bool ServerProcess::startOn(quint16 port, int timeoutMs)
{
    if (isRunning()) {
        m_errorString = u"already running"_s;
        return false;
    }
    if (!m_dir.isValid()) {
        m_errorString = u"no temporary directory: "_s + m_dir.errorString();
        return false;
    }
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        m_errorString = u"no server binary: set SB_SERVER_BINARY"_s;
        return false;
    }
    if (!writeConfig())
        return false;

    delete m_process;
    m_process = new QProcess(this);
    m_process->setProgram(binary);
    QStringList arguments {
        u"--listen"_s, u"127.0.0.1:%1"_s.arg(port), u"--database"_s, m_databaseUrl, u"--config"_s, configPath()};
    arguments += m_extraArguments;
    m_process->setArguments(arguments);
    m_process->setStandardInputFile(QProcess::nullDevice());
    m_port = 0;
    m_host.clear();
    m_stdoutLine.clear();
    m_exitCode = -1;
    m_stopping = false;
    m_errorString.clear();
    m_log += "=== " + binary.toUtf8() + ' ' + arguments.join(u' ').toUtf8() + '\n';

    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] { readOutput(QProcess::StandardOutput); });
    connect(m_process, &QProcess::readyReadStandardError, this, [this] { readOutput(QProcess::StandardError); });
    QProcess *process = m_process;
    connect(m_process, &QProcess::finished, this, [this, process](int exitCode, QProcess::ExitStatus status) {
        if (process != m_process)
            return;
        readOutput(QProcess::StandardOutput);
        readOutput(QProcess::StandardError);
        m_exitCode = exitCode;
        m_exitStatus = status;
        m_log += "=== exited: code " + QByteArray::number(exitCode)
            + (status == QProcess::CrashExit ? " (crash/signal)\n" : "\n");
        if (!m_stopping && m_port != 0) {
            qWarning().noquote() << "switchboard-server exited unexpectedly, code" << exitCode;
            printLog();
            Q_EMIT unexpectedExit(exitCode, status);
        }
    });

    // Wait on the process's own signals under one deadline; the event loop keeps collecting
    // stderr meanwhile (a full pipe would block the server).
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(m_process, &QProcess::readyReadStandardOutput, &loop, [this, &loop] {
        if (m_port != 0)
            loop.quit();
    });
    connect(m_process, &QProcess::finished, &loop, &QEventLoop::quit);
    connect(m_process, &QProcess::errorOccurred, &loop, [&loop](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            loop.quit();
    });
    deadline.start(timeoutMs);
    m_process->start();
    if (m_port == 0 && m_process->state() != QProcess::NotRunning)
        loop.exec();

    if (m_port != 0)
        return true;
    if (m_process->error() == QProcess::FailedToStart)
        m_errorString = u"cannot start %1: %2"_s.arg(binary, m_process->errorString());
    else if (m_process->state() == QProcess::NotRunning)
        m_errorString = u"server exited with code %1 before listening"_s.arg(m_exitCode);
    else
        m_errorString = u"no 'listening on' line within %1 ms"_s.arg(timeoutMs);
    m_stopping = true;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(kStopGraceMs);
    }
    qWarning().noquote() << "switchboard-server did not start:" << m_errorString;
    printLog();
    return false;
}

void ServerProcess::readOutput(QProcess::ProcessChannel channel)
{
    if (!m_process)
        return;
    m_process->setReadChannel(channel);
    const QByteArray data = m_process->readAll();
    if (data.isEmpty())
        return;
    m_log += data;
    if (m_echo)
        qInfo().noquote() << "[server]" << QString::fromUtf8(data).trimmed();
    if (channel != QProcess::StandardOutput || m_port != 0)
        return;

    static const QRegularExpression listening(u"^listening on (\\S+):(\\d+)\\s*$"_s);
    m_stdoutLine += data;
    qsizetype newline;
    while ((newline = m_stdoutLine.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_stdoutLine.left(newline));
        m_stdoutLine.remove(0, newline + 1);
        const auto match = listening.match(line);
        if (match.hasMatch()) {
            m_host = match.captured(1);
            if (m_host.startsWith(u'[') && m_host.endsWith(u']'))
                m_host = m_host.mid(1, m_host.size() - 2);
            m_port = match.captured(2).toUShort();
            m_stdoutLine.clear();
            return;
        }
    }
}

bool ServerProcess::waitForExit(int timeoutMs)
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return true;
    // waitForFinished() also drains both pipes, so the finished handler sees all output.
    return m_process->waitForFinished(timeoutMs);
}

bool ServerProcess::stop(int timeoutMs)
{
    if (!isRunning())
        return true;
    m_stopping = true;
    m_process->terminate(); // SIGTERM
    if (waitForExit(timeoutMs))
        return true;
    m_errorString = u"server did not exit within %1 ms of SIGTERM"_s.arg(timeoutMs);
    qWarning().noquote() << m_errorString;
    printLog();
    return false;
}

bool ServerProcess::kill(int timeoutMs)
{
    if (!isRunning())
        return true;
    m_stopping = true;
    m_process->kill(); // SIGKILL
    return waitForExit(timeoutMs);
}

bool ServerProcess::restart(int timeoutMs)
{
    const quint16 previousPort = m_port;
    if (isRunning() && !stop(timeoutMs))
        return false;
    if (previousPort != 0 && startOn(previousPort, timeoutMs))
        return true;
    return startOn(0, timeoutMs);
}

void ServerProcess::printLog() const
{
    QByteArray tail = m_log.right(kPrintedLogBytes);
    if (tail.size() < m_log.size())
        tail.prepend("... (earlier output cut)\n");
    qInfo().noquote() << u"---- switchboard-server output ----\n"_s + QString::fromUtf8(tail)
            + u"\n---- end of server output ----"_s;
}

ProcessResult ServerProcess::runCommand(const QStringList &arguments, const QByteArray &standardInput, int timeoutMs)
{
    ProcessResult result;
    if (!writeConfig())
        return result;
    QProcess process;
    process.setProgram(binaryPath());
    process.setArguments(QStringList {u"--database"_s, m_databaseUrl, u"--config"_s, configPath()} + arguments);
    process.start();
    if (!process.waitForStarted(timeoutMs)) {
        result.standardError = process.errorString().toUtf8();
        return result;
    }
    process.write(standardInput);
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(kStopGraceMs);
    } else {
        result.finished = process.exitStatus() == QProcess::NormalExit;
        result.exitCode = process.exitCode();
    }
    result.standardOutput = process.readAllStandardOutput();
    result.standardError = process.readAllStandardError();
    m_log += "=== " + arguments.join(u' ').toUtf8() + " -> exit " + QByteArray::number(result.exitCode) + '\n'
        + result.standardOutput + result.standardError;
    return result;
}

ProcessResult ServerProcess::createUser(const QString &name, const QString &role, const QString &password)
{
    return runCommand({u"--create-user"_s, name, u"--role"_s, role}, password.toUtf8() + '\n');
}

} // namespace Switchboard::Test
