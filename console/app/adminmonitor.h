#pragma once

#include <QObject>
#include <QTimer>

#include "shared/protocol/protocolerror.h"
#include "shared/protocol/serverstats.h"

namespace Switchboard {
class ClientSession;
} // namespace Switchboard

namespace Switchboard::Console {

class ConnectionListModel;
class StatsHistoryModel;

// The admin dashboard's data: subscribes to `stats` (again after every reconnect) and feeds the
// history model, polls `admin_connections` for the connections table, and kicks connections.
class AdminMonitor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminMonitor)

public:
    static constexpr int DefaultConnectionsPollMs = 2000;

    explicit AdminMonitor(ClientSession *session, QObject *parent = nullptr);
    ~AdminMonitor() override;

    StatsHistoryModel *history() const { return m_history; }
    ConnectionListModel *connections() const { return m_connections; }
    ServerStats latest() const { return m_latest; }
    bool hasStats() const { return m_hasStats; }

    // Subscribes now (if online) and after every reconnect; polls the connections.
    void start();
    void stop();
    bool isRunning() const { return m_running; }
    void setConnectionsPollInterval(int msecs) { m_poll.setInterval(msecs); }

    void refreshConnections();
    void kickConnection(qint64 connectionId, const QString &reason);
    void kickUser(qint64 userId, const QString &reason);

Q_SIGNALS:
    void statsUpdated(const Switchboard::ServerStats &stats);
    void connectionsUpdated();
    void kicked(int count);
    // Translated.
    void errorOccurred(const QString &text);

private:
    void subscribe();
    void onEvent(const QString &type, const QJsonObject &frame);
    void kick(const QJsonObject &fields);

    ClientSession *m_session = nullptr;
    StatsHistoryModel *m_history = nullptr;
    ConnectionListModel *m_connections = nullptr;
    QTimer m_poll;
    ServerStats m_latest;
    bool m_hasStats = false;
    bool m_running = false;
    bool m_connectionsInFlight = false;
};

} // namespace Switchboard::Console
