#include "console/widgets/admindashboard.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "console/app/adminmonitor.h"
#include "console/models/connectionlistmodel.h"
#include "console/models/statshistorymodel.h"
#include "console/widgets/statschart.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
// One counter: a caption above a big number and an optional detail line.
QFrame *makeTile(const QString &caption, const QString &name, QLabel **value, QLabel **detail, QWidget *parent)
{
    auto *frame = new QFrame(parent);
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setObjectName(name + u"Tile"_s);
    auto *layout = new QVBoxLayout(frame);
    layout->setSpacing(2);
    auto *title = new QLabel(caption, frame);
    QPalette muted = title->palette();
    QColor mutedColor = muted.color(QPalette::WindowText);
    mutedColor.setAlphaF(0.7);
    muted.setColor(QPalette::WindowText, mutedColor);
    title->setPalette(muted);
    *value = new QLabel(u"–"_s, frame);
    (*value)->setObjectName(name + u"Value"_s);
    QFont big = (*value)->font();
    big.setPointSizeF(big.pointSizeF() * 1.8);
    big.setBold(true);
    (*value)->setFont(big);
    layout->addWidget(title);
    layout->addWidget(*value);
    if (detail) {
        *detail = new QLabel(frame);
        (*detail)->setPalette(muted);
        layout->addWidget(*detail);
    }
    layout->addStretch();
    return frame;
}
} // namespace

AdminDashboard::AdminDashboard(AdminMonitor *monitor, QWidget *parent) : QWidget(parent), m_monitor(monitor)
{
    auto *layout = new QVBoxLayout(this);

    auto *tiles = new QGridLayout;
    tiles->addWidget(makeTile(tr("Connections"), u"connections"_s, &m_connections, &m_connectionsDetail, this), 0, 0);
    tiles->addWidget(makeTile(tr("Users online"), u"users"_s, &m_users, nullptr, this), 0, 1);
    tiles->addWidget(makeTile(tr("Messages/s"), u"rate"_s, &m_rate, &m_rateDetail, this), 0, 2);
    tiles->addWidget(makeTile(tr("Uptime"), u"uptime"_s, &m_uptime, nullptr, this), 0, 3);
    tiles->addWidget(makeTile(tr("Memory"), u"memory"_s, &m_memory, nullptr, this), 0, 4);
    tiles->addWidget(makeTile(tr("Storage"), u"storage"_s, &m_storage, nullptr, this), 0, 5);
    layout->addLayout(tiles);

    auto *activity = new QGroupBox(tr("Activity, last 5 minutes"), this);
    auto *activityLayout = new QVBoxLayout(activity);
    m_chart = new StatsChart(activity);
    m_chart->setModel(m_monitor->history());
    activityLayout->addWidget(m_chart);
    layout->addWidget(activity, 2);

    auto *connections = new QGroupBox(tr("Live connections"), this);
    auto *connectionsLayout = new QVBoxLayout(connections);
    m_sorted = new QSortFilterProxyModel(this);
    m_sorted->setSourceModel(m_monitor->connections());
    m_sorted->setSortRole(ConnectionListModel::SortRole);
    m_table = new QTableView(connections);
    m_table->setObjectName(u"connectionsTable"_s);
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ConnectionListModel::ConnectedColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connectionsLayout->addWidget(m_table);
    auto *buttons = new QHBoxLayout;
    m_status = new QLabel(connections);
    m_kickConnection = new QPushButton(tr("Kick connection…"), connections);
    m_kickConnection->setObjectName(u"kickConnectionButton"_s);
    m_kickUser = new QPushButton(tr("Kick user (all connections)…"), connections);
    m_kickUser->setObjectName(u"kickUserButton"_s);
    buttons->addWidget(m_status, 1);
    buttons->addWidget(m_kickConnection);
    buttons->addWidget(m_kickUser);
    connectionsLayout->addLayout(buttons);
    layout->addWidget(connections, 3);

    connect(m_kickConnection, &QPushButton::clicked, this, [this] { kickSelected(false); });
    connect(m_kickUser, &QPushButton::clicked, this, [this] { kickSelected(true); });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AdminDashboard::updateButtons);
    connect(m_monitor, &AdminMonitor::statsUpdated, this, &AdminDashboard::showStats);
    connect(m_monitor, &AdminMonitor::connectionsUpdated, this, &AdminDashboard::updateButtons);
    connect(m_monitor, &AdminMonitor::kicked, this,
        [this](int count) { m_status->setText(tr("%n connection(s) closed.", nullptr, count)); });
    connect(m_monitor, &AdminMonitor::errorOccurred, m_status, &QLabel::setText);
    if (m_monitor->hasStats())
        showStats(m_monitor->latest());
    updateButtons();
}

QString AdminDashboard::tileText(const QString &tile) const
{
    const QLabel *label = findChild<QLabel *>(tile + u"Value"_s);
    return label ? label->text() : QString();
}

QString AdminDashboard::formatUptime(qint64 seconds)
{
    const qint64 days = seconds / 86400;
    const qint64 hours = (seconds % 86400) / 3600;
    const qint64 minutes = (seconds % 3600) / 60;
    if (days > 0)
        return tr("%1 d %2 h").arg(days).arg(hours);
    if (hours > 0)
        return tr("%1 h %2 min").arg(hours).arg(minutes);
    if (minutes > 0)
        return tr("%1 min %2 s").arg(minutes).arg(seconds % 60);
    return tr("%1 s").arg(seconds);
}

void AdminDashboard::showStats(const ServerStats &stats)
{
    const QLocale locale;
    m_connections->setText(locale.toString(stats.connections));
    m_connectionsDetail->setText(tr("%1 authenticated").arg(locale.toString(stats.authenticated)));
    m_users->setText(locale.toString(stats.usersOnline));
    m_rate->setText(locale.toString(stats.messagesPerSecond, 'f', stats.messagesPerSecond < 10 ? 1 : 0));
    m_rateDetail->setText(tr("%1 received, %2 delivered")
                              .arg(locale.toString(stats.messagesReceived), locale.toString(stats.messagesSent)));
    m_uptime->setText(formatUptime(stats.uptime));
    m_memory->setText(locale.formattedDataSize(stats.memoryUsage));
    const bool ok = stats.storage == u"ok"_s;
    m_storage->setText(ok ? tr("OK") : tr("DOWN"));
    QPalette palette = m_storage->palette();
    palette.setColor(QPalette::WindowText, ok ? QColor(0x1a, 0x7f, 0x37) : QColor(0xd9, 0x30, 0x25));
    m_storage->setPalette(palette);
}

void AdminDashboard::updateButtons()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    const bool selected = !rows.isEmpty();
    m_kickConnection->setEnabled(selected);
    m_kickUser->setEnabled(selected && rows.first().data(ConnectionListModel::UserIdRole).toLongLong() > 0);
}

void AdminDashboard::kickSelected(bool wholeUser)
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const qint64 connectionId = rows.first().data(ConnectionListModel::ConnectionIdRole).toLongLong();
    const qint64 userId = rows.first().data(ConnectionListModel::UserIdRole).toLongLong();
    const QString who = rows.first().siblingAtColumn(ConnectionListModel::UserColumn).data().toString();
    bool ok = false;
    const QString reason = QInputDialog::getText(this, tr("Kick"),
        wholeUser ? tr("Close every connection of %1. Reason (shown to the client):").arg(who)
                  : tr("Close this connection of %1. Reason (shown to the client):").arg(who),
        QLineEdit::Normal, tr("Kicked by an administrator"), &ok);
    if (!ok)
        return;
    if (wholeUser)
        m_monitor->kickUser(userId, reason);
    else
        m_monitor->kickConnection(connectionId, reason);
}

void AdminDashboard::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_monitor->refreshConnections();
}

} // namespace Switchboard::Console
