#include "server/services/adminservice.h"

#include "server/services/authservice.h"
#include "server/services/resumeservice.h"

#include <QDateTime>
#include <QJsonArray>

#include "server/base/servermetrics.h"
#include "server/services/roomservice.h"
#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "server/storage/storagehealth.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

AdminService::AdminService(SessionRegistry &registry, StorageHealth &health, RoomService &rooms, ResumeService &resume,
    AuthService &auth, ServerMetrics &metrics, QObject *parent)
    : QObject(parent),
      m_registry(registry),
      m_health(health),
      m_rooms(rooms),
      m_resume(resume),
      m_auth(auth),
      m_metrics(metrics)
{
    // Always running: messages_per_second needs a steady one-second window. Costs one tick a second.
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &AdminService::tick);
    m_timer.start();
}

void AdminService::tick()
{
    m_rate = double(m_metrics.messagesReceived - m_lastReceived);
    m_lastReceived = m_metrics.messagesReceived;
    m_subscribers.removeAll(nullptr);
    if (m_subscribers.isEmpty())
        return;
    const QByteArray frame = JsonCodec::serialize(JsonCodec::encodeStatsEvent(stats()));
    const auto subscribers = m_subscribers;
    for (const QPointer<Session> &s : subscribers) {
        if (s)
            s->sendEvent(frame);
    }
}

std::optional<ProtocolError> AdminService::refuseUnlessAdmin(const UserInfo &caller)
{
    if (caller.isAdmin())
        return std::nullopt;
    return ProtocolError::make(ErrorCode::Forbidden, u"Administrators only"_s);
}

bool AdminService::storageAvailable() const
{
    return m_health.isAvailable();
}

ServerStats AdminService::stats() const
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    ServerStats s;
    s.connections = m_registry.connectionCount();
    s.authenticated = m_registry.authenticatedCount();
    s.usersOnline = m_registry.usersOnline();
    s.rooms = m_rooms.roomCount();
    s.messagesSent = m_metrics.messagesSent;
    s.messagesReceived = m_metrics.messagesReceived;
    s.messagesPerSecond = m_rate;
    s.uptime = (now - m_metrics.startedAtMs) / 1000;
    s.memoryUsage = qint64(ServerMetrics::residentMemoryBytes());
    s.storage = m_health.isAvailable() ? u"ok"_s : u"down"_s;
    return s;
}

void AdminService::subscribe(Session *session, Reply done)
{
    if (!m_subscribers.contains(session))
        m_subscribers.append(session);
    done(QJsonObject {{u"interval_ms"_s, 1000}});
}

void AdminService::unsubscribe(Session *session, Reply done)
{
    m_subscribers.removeAll(session);
    done(QJsonObject {});
}

QJsonObject AdminService::connections() const
{
    QJsonArray list;
    for (Session *s : m_registry.all()) {
        QJsonArray rooms;
        QStringList names = s->rooms().values();
        names.sort();
        for (const QString &r : std::as_const(names))
            rooms.append(r);
        list.append(QJsonObject {{u"connection_id"_s, double(s->connectionId())},
            {u"user_id"_s, s->isAuthenticated() ? QJsonValue(double(s->userId())) : QJsonValue()},
            {u"username"_s, s->isAuthenticated() ? QJsonValue(s->user().username) : QJsonValue()},
            {u"role"_s, s->isAuthenticated() ? QJsonValue(s->user().role) : QJsonValue()},
            {u"remote_address"_s, s->remoteAddress()}, {u"user_agent"_s, s->userAgent()},
            {u"connected_at"_s, double(s->connectedAt())}, {u"last_activity_at"_s, double(s->lastActivityAt())},
            {u"rooms"_s, rooms}});
    }
    return QJsonObject {{u"connections"_s, list}};
}

void AdminService::kick(const QJsonObject &fields, Reply done)
{
    const RequestFields f(fields);
    auto connectionId = f.optionalId(u"connection_id"_s);
    if (!connectionId)
        return done(connectionId.error());
    auto userId = f.optionalId(u"user_id"_s);
    if (!userId)
        return done(userId.error());
    auto reason = f.optionalString(u"reason"_s);
    if (!reason)
        return done(reason.error());
    if (connectionId.value().has_value() == userId.value().has_value())
        return done(
            ProtocolError::make(ErrorCode::BadRequest, u"Exactly one of 'connection_id' and 'user_id' is required"_s));
    // A close frame carries at most 123 bytes of reason.
    QString text = reason.value().value_or(u"Kicked by an administrator"_s);
    while (text.toUtf8().size() > 123)
        text.chop(1);
    QList<Session *> targets;
    for (Session *s : m_registry.all()) {
        if (s->isClosing())
            continue;
        if ((connectionId.value() && s->connectionId() == *connectionId.value())
            || (userId.value() && s->isAuthenticated() && s->userId() == *userId.value()))
            targets.append(s);
    }
    if (targets.isEmpty())
        return done(ProtocolError::make(ErrorCode::NotFound, u"No such connection"_s));
    // Kicked is out: the kicked sessions cannot be resumed, and kicking a user also voids every
    // token issued to them (a new login is needed). A kicked connection_id ends that session only.
    for (Session *s : std::as_const(targets)) {
        if (s->isAuthenticated())
            m_resume.forgetSession(s->sessionId());
    }
    if (userId.value()) {
        m_resume.forgetUser(*userId.value());
        m_auth.revokeTokens(*userId.value(), [](Result<qint64>) {});
    }
    for (Session *s : std::as_const(targets))
        s->close(4003, text);
    done(QJsonObject {{u"kicked"_s, int(targets.size())}});
}

QByteArray AdminService::prometheusText() const
{
    QByteArray out;
    auto metric = [&out](const char *name, const char *type, const char *help, double value) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' '
            + QByteArray::number(value, 'g', 15) + '\n';
    };
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    metric("switchboard_connections", "gauge", "Open WebSocket connections.", m_registry.connectionCount());
    metric("switchboard_connections_authenticated", "gauge", "Authenticated WebSocket connections.",
        m_registry.authenticatedCount());
    metric("switchboard_users_online", "gauge", "Users with at least one authenticated connection.",
        m_registry.usersOnline());
    metric("switchboard_rooms", "gauge", "Rooms with members or a recent buffer.", m_rooms.roomCount());
    metric("switchboard_messages_received_total", "counter", "Messages accepted from clients and stored.",
        double(m_metrics.messagesReceived));
    metric("switchboard_messages_sent_total", "counter", "new_message events written to connections.",
        double(m_metrics.messagesSent));
    metric(
        "switchboard_frames_received_total", "counter", "WebSocket text frames received.", double(m_metrics.framesIn));
    metric("switchboard_send_queue_drops_total", "counter", "Connections dropped because they did not read.",
        double(m_metrics.sendQueueDrops));
    metric("switchboard_storage_up", "gauge", "1 when the database is reachable.", m_health.isAvailable() ? 1 : 0);
    metric("switchboard_uptime_seconds", "gauge", "Seconds since start.", double(now - m_metrics.startedAtMs) / 1000.0);
    metric("switchboard_resident_memory_bytes", "gauge", "Resident set size.",
        double(ServerMetrics::residentMemoryBytes()));
    out += "# HELP switchboard_request_duration_seconds WebSocket request latency, arrival to reply.\n"
           "# TYPE switchboard_request_duration_seconds histogram\n";
    quint64 cumulative = 0;
    for (size_t i = 0; i < ServerMetrics::kLatencyBucketsMs.size(); ++i) {
        cumulative += m_metrics.latencyCounts[i];
        out += "switchboard_request_duration_seconds_bucket{le=\""
            + QByteArray::number(ServerMetrics::kLatencyBucketsMs[i] / 1000.0, 'g', 6) + "\"} "
            + QByteArray::number(cumulative) + '\n';
    }
    cumulative += m_metrics.latencyCounts.back();
    out += "switchboard_request_duration_seconds_bucket{le=\"+Inf\"} " + QByteArray::number(cumulative) + '\n';
    out += "switchboard_request_duration_seconds_sum " + QByteArray::number(m_metrics.latencySumMs / 1000.0, 'g', 12)
        + '\n';
    out += "switchboard_request_duration_seconds_count " + QByteArray::number(m_metrics.latencyCount) + '\n';
    return out;
}

} // namespace Switchboard::Server
