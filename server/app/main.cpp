#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QTextStream>
#include <cstdio>
#include <memory>
#include <sys/stat.h>

#include "server/app/serverapplication.h"
#include "server/app/signalwatcher.h"
#include "server/base/serverconfig.h"
#if SB_HAVE_EPOLL_DISPATCHER
#include "shared/eventloop/epolleventdispatcher.h"
#endif

using namespace Qt::StringLiterals;
using Switchboard::Server::ServerApplication;
using Switchboard::Server::ServerConfig;

namespace {
// The main thread owns every client socket. Qt 6.4's dispatchers cost time proportional to the
// number of open connections on every wake-up (GLib keeps notifiers in lists, the UNIX one polls
// them all), so the server uses its own epoll dispatcher (shared/eventloop). SB_EVENT_DISPATCHER=qt
// keeps Qt's (for comparisons); with it, QT_NO_GLIB=1 is set unless given, for the UNIX one.
void installEventDispatcher()
{
    if (qEnvironmentVariable("SB_EVENT_DISPATCHER") == u"qt"_s) {
        if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
            qputenv("QT_NO_GLIB", "1");
        return;
    }
#if SB_HAVE_EPOLL_DISPATCHER
    auto dispatcher = std::make_unique<Switchboard::EpollEventDispatcher>();
    if (!dispatcher->isValid()) {
        std::fprintf(stderr, "switchboard-server: epoll unavailable, using Qt's event dispatcher\n");
        qputenv("QT_NO_GLIB", "1");
        return;
    }
    QCoreApplication::setEventDispatcher(dispatcher.release()); // QCoreApplication takes ownership
#else
    // Not Linux: no epoll, Qt's own dispatcher (without GLib, the UNIX one where there is one).
    qputenv("QT_NO_GLIB", "1");
#endif
}

int fail(const QString &message, int code = 1)
{
    std::fprintf(stderr, "switchboard-server: %s\n", qPrintable(message));
    return code;
}
} // namespace

int main(int argc, char *argv[])
{
    // Everything the server creates (the database with the JWT secret, its WAL, uploaded files
    // and their directory) is for the server's user only: 0600 files, 0700 directories.
    ::umask(0077);
    installEventDispatcher();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"switchboard-server"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Switchboard chat and customer-service server"_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listen(
        u"listen"_s, u"HTTP + WebSocket address (default 127.0.0.1:8080; port 0 picks one)"_s, u"HOST:PORT"_s);
    const QCommandLineOption database(
        u"database"_s, u"sqlite:PATH or postgresql://user:pass@host:port/dbname"_s, u"URL"_s);
    const QCommandLineOption config(
        u"config"_s, u"INI file with [server], [limits] and [storage] sections"_s, u"FILE"_s);
    const QCommandLineOption createUser(
        u"create-user"_s, u"create an account (password on stdin) and exit"_s, u"NAME"_s);
    const QCommandLineOption role(u"role"_s, u"role for --create-user: user, agent or admin"_s, u"ROLE"_s, u"user"_s);
    const QCommandLineOption tlsCert(u"tls-cert"_s, u"PEM certificate: serve wss:// and https://"_s, u"FILE"_s);
    const QCommandLineOption tlsKey(u"tls-key"_s, u"PEM private key for --tls-cert"_s, u"FILE"_s);
    parser.addOptions({listen, database, config, createUser, role, tlsCert, tlsKey});
    parser.process(app);

    ServerConfig cfg;
    QStringList problems;
    if (parser.isSet(config))
        problems += cfg.loadIni(parser.value(config));
    if (parser.isSet(listen)) {
        QString error;
        if (!cfg.setListen(parser.value(listen), &error))
            problems.append(error);
    }
    if (parser.isSet(database))
        cfg.database = parser.value(database);
    if (parser.isSet(tlsCert))
        cfg.tlsCert = parser.value(tlsCert);
    if (parser.isSet(tlsKey))
        cfg.tlsKey = parser.value(tlsKey);
    problems += cfg.validate();
    if (!problems.isEmpty())
        return fail(problems.join(u"; "_s), 2);

    if (parser.isSet(createUser)) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return fail(u"cannot read the password from stdin"_s);
        QString password = QString::fromUtf8(in.readAll());
        if (password.endsWith(u'\n'))
            password.chop(1);
        if (password.endsWith(u'\r'))
            password.chop(1);
        QString error;
        const int code
            = ServerApplication::createUser(cfg, parser.value(createUser), parser.value(role), password, &error);
        if (code != 0)
            return fail(error, code);
        return 0;
    }

    ServerApplication server(cfg);
    Switchboard::Server::SignalWatcher signalWatcher;
    QString error;
    if (!server.start(&error))
        return fail(error);
    QObject::connect(&signalWatcher, &Switchboard::Server::SignalWatcher::terminationRequested, &server,
        &ServerApplication::shutdown);
    QObject::connect(&server, &ServerApplication::stopped, &app, [] { QCoreApplication::exit(0); });
    return app.exec();
}
