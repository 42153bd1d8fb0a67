#include "console/models/connectionlistmodel.h"

#include <QDateTime>
#include <QLocale>

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

ConnectionListModel::ConnectionListModel(QObject *parent) : QAbstractTableModel(parent)
{ }

int ConnectionListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ConnectionListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConnectionListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const AdminConnection &c = m_rows.at(index.row());
    const QLocale locale;
    auto time
        = [&locale](qint64 ms) { return locale.toString(QDateTime::fromMSecsSinceEpoch(ms), QLocale::ShortFormat); };
    if (role == ConnectionIdRole)
        return c.connectionId;
    if (role == UserIdRole)
        return c.userId;
    if (role == Qt::DisplayRole || role == SortRole) {
        switch (index.column()) {
        case UserColumn:
            if (c.userId == 0)
                return tr("(not signed in)");
            return c.role.isEmpty() ? c.username : tr("%1 (%2)").arg(c.username, c.role);
        case AddressColumn:
            return c.remoteAddress;
        case ClientColumn:
            return c.userAgent;
        case ConnectedColumn:
            return role == SortRole ? QVariant(c.connectedAt) : QVariant(time(c.connectedAt));
        case ActivityColumn:
            return role == SortRole ? QVariant(c.lastActivityAt) : QVariant(time(c.lastActivityAt));
        case RoomsColumn:
            return c.rooms.join(u", "_s);
        }
    }
    if (role == Qt::ToolTipRole && index.column() == ClientColumn)
        return c.userAgent;
    return {};
}

QVariant ConnectionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case UserColumn:
        return tr("User");
    case AddressColumn:
        return tr("Address");
    case ClientColumn:
        return tr("Client");
    case ConnectedColumn:
        return tr("Connected since");
    case ActivityColumn:
        return tr("Last activity");
    case RoomsColumn:
        return tr("Rooms");
    }
    return {};
}

int ConnectionListModel::rowOf(qint64 connectionId) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).connectionId == connectionId)
            return int(i);
    }
    return -1;
}

void ConnectionListModel::setConnections(const QList<AdminConnection> &connections)
{
    // Remove the rows that are gone, update the rest in place, append the new ones.
    for (qsizetype i = m_rows.size() - 1; i >= 0; --i) {
        bool present = false;
        for (const AdminConnection &c : connections)
            present = present || c.connectionId == m_rows.at(i).connectionId;
        if (!present) {
            beginRemoveRows({}, int(i), int(i));
            m_rows.removeAt(i);
            endRemoveRows();
        }
    }
    for (const AdminConnection &c : connections) {
        const int row = rowOf(c.connectionId);
        if (row >= 0) {
            m_rows[row] = c;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        } else {
            beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
            m_rows.append(c);
            endInsertRows();
        }
    }
}

AdminConnection ConnectionListModel::connection(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row) : AdminConnection();
}

} // namespace Switchboard::Console
