#include "console/models/statshistorymodel.h"

#include <QDateTime>
#include <QLocale>

namespace Switchboard::Console {

StatsHistoryModel::StatsHistoryModel(QObject *parent) : QAbstractTableModel(parent)
{ }

void StatsHistoryModel::setCapacity(int capacity)
{
    m_capacity = qMax(2, capacity);
    trim();
}

int StatsHistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_samples.size());
}

int StatsHistoryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

double StatsHistoryModel::value(int row, Column column) const
{
    const ServerStats &s = m_samples.at(row).stats;
    switch (column) {
    case TimeColumn:
        return double(m_samples.at(row).timestamp);
    case ConnectionsColumn:
        return double(s.connections);
    case UsersOnlineColumn:
        return double(s.usersOnline);
    case MessagesPerSecondColumn:
        return s.messagesPerSecond;
    case ColumnCount:
        break;
    }
    return 0;
}

QVariant StatsHistoryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_samples.size())
        return {};
    if (role == Qt::DisplayRole && index.column() == TimeColumn)
        return QLocale().toString(QDateTime::fromMSecsSinceEpoch(m_samples.at(index.row()).timestamp).time());
    if (role == Qt::DisplayRole || role == Qt::EditRole)
        return value(index.row(), Column(index.column()));
    return {};
}

QVariant StatsHistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case ConnectionsColumn:
        return tr("Connections");
    case UsersOnlineColumn:
        return tr("Users online");
    case MessagesPerSecondColumn:
        return tr("Messages/s");
    }
    return {};
}

void StatsHistoryModel::addSample(qint64 timestamp, const ServerStats &stats)
{
    beginInsertRows({}, int(m_samples.size()), int(m_samples.size()));
    m_samples.append(Sample {timestamp, stats});
    endInsertRows();
    trim();
}

void StatsHistoryModel::clear()
{
    beginResetModel();
    m_samples.clear();
    endResetModel();
}

void StatsHistoryModel::trim()
{
    if (m_samples.size() <= m_capacity)
        return;
    const int excess = int(m_samples.size()) - m_capacity;
    beginRemoveRows({}, 0, excess - 1);
    m_samples.remove(0, excess);
    endRemoveRows();
}

} // namespace Switchboard::Console
