#pragma once

#include <QAbstractTableModel>
#include <QList>

#include "shared/protocol/adminconnection.h"

namespace Switchboard::Console {

// The admin's live connections table (`admin_connections`): one row per WebSocket connection.
// setConnections() updates rows in place, so selections survive the periodic refresh.
class ConnectionListModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionListModel)

public:
    enum Column { UserColumn, AddressColumn, ClientColumn, ConnectedColumn, ActivityColumn, RoomsColumn, ColumnCount };
    Q_ENUM(Column)
    enum Roles { ConnectionIdRole = Qt::UserRole + 1, UserIdRole, SortRole };

    explicit ConnectionListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setConnections(const QList<AdminConnection> &connections);
    AdminConnection connection(int row) const;
    QList<AdminConnection> connections() const { return m_rows; }

private:
    int rowOf(qint64 connectionId) const;

    QList<AdminConnection> m_rows;
};

} // namespace Switchboard::Console
