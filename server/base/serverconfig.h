#pragma once

#include <QHostAddress>
#include <QString>
#include <QStringList>

class QCommandLineParser;

namespace Switchboard::Server {

// Every setting of the server (PROTOCOL.md section 12). Defaults here, then the INI file given by
// --config, then the command line. The rest of the server only sees this struct.
struct ServerConfig
{
    // [server]
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 8080;
    QString database = QStringLiteral("sqlite:switchboard.db");
    QString tlsCert;
    QString tlsKey;
    QString jwtSecret; // empty: generated once and kept in the database
    qint64 tokenTtl = 604800; // seconds
    QString filesDir; // empty: beside the SQLite file, or ./switchboard-files
    int fileUrlTtl = 3600; // seconds a signed download URL stays valid

    // [limits] (seconds unless said)
    int heartbeatInterval = 30;
    int heartbeatTimeout = 60;
    int authTimeout = 10;
    int reconnectionTtl = 300;
    int reconnectionMaxAttempts = 5;
    qint64 maxFrameBytes = 65536;
    int maxTextChars = 5000;
    int maxConnectionsPerUser = 5;
    int maxRoomsPerConnection = 10;
    int maxConnectionsPerRoom = 100;
    int maxGroupMembers = 500;
    qint64 maxUploadBytes = 20971520;
    double messagesPerSecond = 10;
    double messagesBurst = 20;
    bool allowRegistration = true;
    // Bytes queued to one client before it is considered not to read and is disconnected.
    qint64 maxSendQueueBytes = 4 * 1024 * 1024;
    int maxPendingRequests = 256; // per connection, awaiting storage

    // [support]
    bool supportAutoAssign = false;
    int supportAgentCapacity = 5;
    int supportRequeueGrace = 60; // seconds an agent may be gone before their chats return to the queue

    // [push]
    QString pushWebhookUrl;
    QString pushWebhookSecret; // HMAC-SHA256 key for the X-Switchboard-Signature header
    QString pushFcmUrl; // FCM HTTP v1 messages:send endpoint (configurable for tests)
    QString pushFcmAccessToken; // OAuth2 bearer token for FCM
    int pushPreviewChars = 80; // message text in a notification (0: none)
    int pushMaxAttempts = 10;
    int pushRetryBaseMs = 1000; // first retry delay; doubles each attempt (capped at 1 h)

    // [storage]
    bool sqliteFullSync = true;
    int storageQueueLimit = 10000;
    int commitWindowMs = 5; // under load, a write waits this long for others to share its commit

    // Loads the INI file (if any) into this config. Returns problems found.
    QStringList loadIni(const QString &path);
    // Parses HOST:PORT into listenHost/listenPort.
    bool setListen(const QString &hostPort, QString *error);
    QStringList validate() const;
};

} // namespace Switchboard::Server
