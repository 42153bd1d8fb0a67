#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <functional>

#include "shared/protocol/result.h"
#include "shared/protocol/serverstats.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class AuthService;
class ResumeService;
class RoomService;
class Session;
class SessionRegistry;
class StorageHealth;
struct ServerMetrics;

// Administration (PROTOCOL.md section 11): live stats once a second to subscribers, the
// connection list, kicking, and the Prometheus text for /metrics. Admins only.
class AdminService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    AdminService(SessionRegistry &registry, StorageHealth &health, RoomService &rooms, ResumeService &resume,
        AuthService &auth, ServerMetrics &metrics, QObject *parent = nullptr);

    // The one admin check of every administrative request (WebSocket and HTTP): forbidden
    // unless the caller is an admin.
    static std::optional<ProtocolError> refuseUnlessAdmin(const UserInfo &caller);
    // /healthz: whether the database answers.
    bool storageAvailable() const;

    void subscribe(Session *session, Reply done);
    void unsubscribe(Session *session, Reply done);
    ServerStats stats() const;
    QJsonObject connections() const;
    void kick(const QJsonObject &fields, Reply done);
    QByteArray prometheusText() const;

private:
    void tick();

    SessionRegistry &m_registry;
    StorageHealth &m_health;
    RoomService &m_rooms;
    ResumeService &m_resume;
    AuthService &m_auth;
    ServerMetrics &m_metrics;
    QList<QPointer<Session>> m_subscribers;
    QTimer m_timer;
    quint64 m_lastReceived = 0;
    double m_rate = 0;
};

} // namespace Switchboard::Server
