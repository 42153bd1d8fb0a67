#include "server/base/serverconfig.h"

#include <QFileInfo>
#include <QSettings>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
template<typename T> void readNumber(QSettings &s, const QString &key, T *target, QStringList *problems)
{
    if (!s.contains(key))
        return;
    bool ok = false;
    const double v = s.value(key).toString().trimmed().toDouble(&ok);
    if (!ok || v < 0) {
        problems->append(u"%1: '%2' is not a non-negative number"_s.arg(key, s.value(key).toString()));
        return;
    }
    *target = T(v);
}

bool parseBool(const QString &text, bool *value)
{
    const QString t = text.trimmed().toLower();
    if (t == u"true"_s || t == u"1"_s || t == u"yes"_s || t == u"on"_s) {
        *value = true;
        return true;
    }
    if (t == u"false"_s || t == u"0"_s || t == u"no"_s || t == u"off"_s) {
        *value = false;
        return true;
    }
    return false;
}
} // namespace

bool ServerConfig::setListen(const QString &hostPort, QString *error)
{
    const qsizetype colon = hostPort.lastIndexOf(u':');
    bool ok = false;
    const uint port = colon > 0 ? hostPort.mid(colon + 1).toUInt(&ok) : 0;
    if (colon <= 0 || !ok || port > 65535) {
        *error = u"--listen expects HOST:PORT, got '%1'"_s.arg(hostPort);
        return false;
    }
    QString host = hostPort.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    listenHost = host;
    listenPort = quint16(port);
    return true;
}

QStringList ServerConfig::loadIni(const QString &path)
{
    QStringList problems;
    if (!QFileInfo::exists(path)) {
        problems.append(u"config file '%1' does not exist"_s.arg(path));
        return problems;
    }
    QSettings s(path, QSettings::IniFormat);
    if (s.status() != QSettings::NoError) {
        problems.append(u"config file '%1' cannot be parsed"_s.arg(path));
        return problems;
    }
    s.beginGroup(u"server"_s);
    if (s.contains(u"listen"_s)) {
        QString error;
        if (!setListen(s.value(u"listen"_s).toString(), &error))
            problems.append(error);
    }
    database = s.value(u"database"_s, database).toString();
    tlsCert = s.value(u"tls_cert"_s, tlsCert).toString();
    tlsKey = s.value(u"tls_key"_s, tlsKey).toString();
    jwtSecret = s.value(u"jwt_secret"_s, jwtSecret).toString();
    readNumber(s, u"token_ttl"_s, &tokenTtl, &problems);
    filesDir = s.value(u"files_dir"_s, filesDir).toString();
    readNumber(s, u"file_url_ttl"_s, &fileUrlTtl, &problems);
    s.endGroup();

    s.beginGroup(u"limits"_s);
    readNumber(s, u"heartbeat_interval"_s, &heartbeatInterval, &problems);
    readNumber(s, u"heartbeat_timeout"_s, &heartbeatTimeout, &problems);
    readNumber(s, u"auth_timeout"_s, &authTimeout, &problems);
    readNumber(s, u"reconnection_ttl"_s, &reconnectionTtl, &problems);
    readNumber(s, u"reconnection_max_attempts"_s, &reconnectionMaxAttempts, &problems);
    readNumber(s, u"max_frame_bytes"_s, &maxFrameBytes, &problems);
    readNumber(s, u"max_text_chars"_s, &maxTextChars, &problems);
    readNumber(s, u"max_connections_per_user"_s, &maxConnectionsPerUser, &problems);
    readNumber(s, u"max_rooms_per_connection"_s, &maxRoomsPerConnection, &problems);
    readNumber(s, u"max_connections_per_room"_s, &maxConnectionsPerRoom, &problems);
    readNumber(s, u"max_group_members"_s, &maxGroupMembers, &problems);
    readNumber(s, u"max_upload_bytes"_s, &maxUploadBytes, &problems);
    readNumber(s, u"messages_per_second"_s, &messagesPerSecond, &problems);
    readNumber(s, u"messages_burst"_s, &messagesBurst, &problems);
    readNumber(s, u"max_send_queue_bytes"_s, &maxSendQueueBytes, &problems);
    readNumber(s, u"max_pending_requests"_s, &maxPendingRequests, &problems);
    if (s.contains(u"allow_registration"_s)
        && !parseBool(s.value(u"allow_registration"_s).toString(), &allowRegistration))
        problems.append(u"allow_registration: expected true or false"_s);
    s.endGroup();

    s.beginGroup(u"support"_s);
    if (s.contains(u"auto_assign"_s) && !parseBool(s.value(u"auto_assign"_s).toString(), &supportAutoAssign))
        problems.append(u"auto_assign: expected true or false"_s);
    readNumber(s, u"agent_capacity"_s, &supportAgentCapacity, &problems);
    readNumber(s, u"requeue_grace"_s, &supportRequeueGrace, &problems);
    s.endGroup();

    s.beginGroup(u"push"_s);
    pushWebhookUrl = s.value(u"webhook_url"_s, pushWebhookUrl).toString();
    pushWebhookSecret = s.value(u"webhook_secret"_s, pushWebhookSecret).toString();
    pushFcmUrl = s.value(u"fcm_url"_s, pushFcmUrl).toString();
    pushFcmAccessToken = s.value(u"fcm_access_token"_s, pushFcmAccessToken).toString();
    readNumber(s, u"preview_chars"_s, &pushPreviewChars, &problems);
    readNumber(s, u"max_attempts"_s, &pushMaxAttempts, &problems);
    readNumber(s, u"retry_base_ms"_s, &pushRetryBaseMs, &problems);
    s.endGroup();

    s.beginGroup(u"storage"_s);
    if (s.contains(u"sqlite_synchronous"_s)) {
        const QString mode = s.value(u"sqlite_synchronous"_s).toString().toLower();
        if (mode == u"full"_s)
            sqliteFullSync = true;
        else if (mode == u"normal"_s)
            sqliteFullSync = false;
        else
            problems.append(u"sqlite_synchronous: expected full or normal"_s);
    }
    readNumber(s, u"queue_limit"_s, &storageQueueLimit, &problems);
    readNumber(s, u"commit_window_ms"_s, &commitWindowMs, &problems);
    s.endGroup();
    return problems;
}

QStringList ServerConfig::validate() const
{
    QStringList problems;
    if (maxFrameBytes < 1024)
        problems.append(u"max_frame_bytes must be at least 1024"_s);
    if (maxTextChars < 1)
        problems.append(u"max_text_chars must be at least 1"_s);
    if (heartbeatTimeout < 1 || authTimeout < 1)
        problems.append(u"heartbeat_timeout and auth_timeout must be at least 1 second"_s);
    if (messagesPerSecond <= 0 || messagesBurst < 1)
        problems.append(u"messages_per_second must be > 0 and messages_burst >= 1"_s);
    if (maxConnectionsPerUser < 1)
        problems.append(u"max_connections_per_user must be at least 1"_s);
    if (tokenTtl < 60)
        problems.append(u"token_ttl must be at least 60 seconds"_s);
    if (tlsCert.isEmpty() != tlsKey.isEmpty())
        problems.append(u"--tls-cert and --tls-key go together"_s);
    if (maxPendingRequests < 1)
        problems.append(u"max_pending_requests must be at least 1"_s);
    if (storageQueueLimit < 16)
        problems.append(u"queue_limit must be at least 16"_s);
    // The secret signs every session token: a short one can be brute-forced offline from any
    // token. (The generated one is 32 random bytes.)
    if (!jwtSecret.isEmpty() && jwtSecret.toUtf8().size() < 32)
        problems.append(u"jwt_secret must be at least 32 bytes"_s);
    if (commitWindowMs < 0 || commitWindowMs > 100)
        problems.append(u"commit_window_ms must be between 0 and 100"_s);
    return problems;
}

} // namespace Switchboard::Server
