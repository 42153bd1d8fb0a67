#pragma once

#include <QWidget>

#include "shared/protocol/serverstats.h"

QT_BEGIN_NAMESPACE
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
QT_END_NAMESPACE

namespace Switchboard::Console {

class AdminMonitor;
class StatsChart;

// The admin page: live counters from `stats` (connections, users online, messages/s, uptime,
// memory, storage), the five-minute chart, and the connections table with kick.
class AdminDashboard final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminDashboard)

public:
    explicit AdminDashboard(AdminMonitor *monitor, QWidget *parent = nullptr);

    AdminMonitor *monitor() const { return m_monitor; }
    QTableView *connectionsView() const { return m_table; }
    // The text of a counter tile: "connections", "users", "rate", "uptime", "memory", "storage".
    QString tileText(const QString &tile) const;

    static QString formatUptime(qint64 seconds);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showStats(const ServerStats &stats);
    void kickSelected(bool wholeUser);
    void updateButtons();

    AdminMonitor *m_monitor = nullptr;
    StatsChart *m_chart = nullptr;
    QTableView *m_table = nullptr;
    QSortFilterProxyModel *m_sorted = nullptr;
    QLabel *m_connections = nullptr;
    QLabel *m_connectionsDetail = nullptr;
    QLabel *m_users = nullptr;
    QLabel *m_rate = nullptr;
    QLabel *m_rateDetail = nullptr;
    QLabel *m_uptime = nullptr;
    QLabel *m_memory = nullptr;
    QLabel *m_storage = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_kickConnection = nullptr;
    QPushButton *m_kickUser = nullptr;
};

} // namespace Switchboard::Console
