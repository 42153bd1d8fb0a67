#include "bench/harness/servercontrol.h"

#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <csignal>

#include "bench/harness/waitutil.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

ServerControl::ServerControl(Options options, QObject *parent) : QObject(parent), m_options(std::move(options))
{ }

ServerControl::~ServerControl()
{
    stop();
}

QUrl ServerControl::wsUrl() const
{
    QUrl url = m_httpUrl;
    url.setScheme(u"ws"_s);
    url.setPath(u"/ws"_s);
    return url;
}

QString ServerControl::databaseDescription() const
{
    if (!owned())
        return u"(external server)"_s;
    if (!m_options.database.isEmpty()) {
        QUrl url(m_options.database);
        url.setPassword({});
        return url.toString();
    }
    return u"sqlite (temporary file)"_s;
}

bool ServerControl::isRunning() const
{
    if (owned())
        return m_process && m_process->state() == QProcess::Running;
    return processAlive(m_pid);
}

bool ServerControl::start(QString *error)
{
    if (!owned()) {
        m_pid = m_options.pid;
        m_httpUrl = m_options.url;
        if (!processAlive(m_pid)) {
            *error = u"no process with pid %1"_s.arg(m_pid);
            return false;
        }
        return true;
    }

    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + u"/switchboard-bench-XXXXXX"_s);
    if (!m_dir->isValid()) {
        *error = u"cannot create a temporary directory"_s;
        return false;
    }
    // INI written by hand (plain key=value; QSettings would quote values its own way).
    QByteArray ini = "; written by switchboard-bench\n";
    for (auto section = m_options.config.cbegin(); section != m_options.config.cend(); ++section) {
        ini += '[' + section.key().toUtf8() + "]\n";
        for (auto it = section->cbegin(); it != section->cend(); ++it)
            ini += it.key().toUtf8() + " = " + it.value().toUtf8() + '\n';
        ini += '\n';
    }
    m_configText = QString::fromUtf8(ini);
    const QString iniPath = m_dir->filePath(u"server.ini"_s);
    QFile iniFile(iniPath);
    if (!iniFile.open(QIODevice::WriteOnly) || iniFile.write(ini) != ini.size()) {
        *error = u"cannot write %1"_s.arg(iniPath);
        return false;
    }
    iniFile.close();

    const QString database
        = m_options.database.isEmpty() ? u"sqlite:"_s + m_dir->filePath(u"bench.db"_s) : m_options.database;
    m_logPath = m_options.logFile.isEmpty() ? m_dir->filePath(u"server.log"_s) : m_options.logFile;

    for (const Options::Account &account : std::as_const(m_options.accounts)) {
        QProcess create;
        create.setProgram(m_options.binary);
        create.setArguments({u"--database"_s, database, u"--config"_s, iniPath, u"--create-user"_s, account.username,
            u"--role"_s, account.role});
        create.setProcessChannelMode(QProcess::MergedChannels);
        create.start();
        if (!create.waitForStarted(10000)) {
            *error = u"cannot start %1 --create-user: %2"_s.arg(m_options.binary, create.errorString());
            return false;
        }
        create.write(account.password.toUtf8() + '\n');
        create.closeWriteChannel();
        if (!create.waitForFinished(120000) || create.exitStatus() != QProcess::NormalExit || create.exitCode() != 0) {
            *error = u"--create-user %1 --role %2 failed: %3"_s.arg(
                account.username, account.role, QString::fromUtf8(create.readAll()).trimmed());
            return false;
        }
    }

    // bash raises the descriptor limit for the server (ulimit -n), then execs taskset, which
    // execs the server: one PID from QProcess to the server.
    QStringList command;
    if (m_options.pinCpu >= 0) {
        const QString taskset = QStandardPaths::findExecutable(u"taskset"_s);
        if (taskset.isEmpty()) {
            *error = u"--pin-server needs taskset (Debian: util-linux)"_s;
            return false;
        }
        command << taskset << u"-c"_s << QString::number(m_options.pinCpu);
    }
    command << m_options.binary << u"--listen"_s << u"127.0.0.1:0"_s << u"--database"_s << database << u"--config"_s
            << iniPath;
    const QString script
        = u"ulimit -n %1 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec \"$@\""_s.arg(m_options.fileLimit);

    m_process = new QProcess(this);
    if (!m_options.environment.isEmpty()) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &entry : m_options.environment) {
            const qsizetype eq = entry.indexOf(u'=');
            env.insert(entry.left(eq), entry.mid(eq + 1));
        }
        m_process->setProcessEnvironment(env);
    }
    m_process->setProgram(u"/bin/bash"_s);
    m_process->setArguments(QStringList {u"-c"_s, script, u"switchboard-server"_s} + command);
    if (m_options.echoLog)
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    else
        m_process->setStandardErrorFile(m_logPath);
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] {
        m_stdout += m_process->readAllStandardOutput();
        // Bounded: only the start line matters.
        if (m_stdout.size() > 1 << 20)
            m_stdout = m_stdout.right(1 << 16);
    });
    m_process->start();
    if (!m_process->waitForStarted(10000)) {
        *error = u"cannot start %1: %2"_s.arg(m_options.binary, m_process->errorString());
        return false;
    }
    m_pid = m_process->processId();

    static const QRegularExpression listening(u"listening on ([^\\s:]+|\\[[^\\]]+\\]):(\\d+)"_s);
    QRegularExpressionMatch match;
    const bool up = waitUntil(
        [&] {
            match = listening.match(QString::fromUtf8(m_stdout));
            return match.hasMatch() || m_process->state() != QProcess::Running;
        },
        60000, 10);
    if (!up || !match.hasMatch()) {
        *error = u"the server did not print 'listening on HOST:PORT' within 60 s.\n%1"_s.arg(logTail());
        stop();
        return false;
    }
    m_httpUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(match.captured(2)));
    return true;
}

void ServerControl::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        ::kill(pid_t(m_pid), SIGTERM);
        if (!m_process->waitForFinished(15000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    delete m_process;
    m_process = nullptr;
}

QString ServerControl::logTail(int lines) const
{
    QFile file(m_logPath);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> all = file.readAll().split('\n');
    QStringList out;
    for (qsizetype i = std::max<qsizetype>(0, all.size() - lines); i < all.size(); ++i)
        out.append(QString::fromUtf8(all[i]));
    return out.join(u'\n');
}

} // namespace Switchboard::Bench
