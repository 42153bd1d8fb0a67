#pragma once

#include <QAbstractTableModel>
#include <QList>

#include "shared/protocol/serverstats.h"

namespace Switchboard::Console {

// The last capacity() `stats` samples (default 300: five minutes at one per second), oldest
// first, for the dashboard's chart. One row per sample; columns are the charted series.
class StatsHistoryModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatsHistoryModel)

public:
    enum Column { TimeColumn, ConnectionsColumn, UsersOnlineColumn, MessagesPerSecondColumn, ColumnCount };
    Q_ENUM(Column)
    static constexpr int DefaultCapacity = 300;

    explicit StatsHistoryModel(QObject *parent = nullptr);

    int capacity() const { return m_capacity; }
    void setCapacity(int capacity);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // timestamp in ms since the epoch (when the sample arrived).
    void addSample(qint64 timestamp, const ServerStats &stats);
    void clear();

    bool isEmpty() const { return m_samples.isEmpty(); }
    ServerStats latest() const { return m_samples.isEmpty() ? ServerStats() : m_samples.last().stats; }
    qint64 timestampAt(int row) const { return m_samples.at(row).timestamp; }
    ServerStats statsAt(int row) const { return m_samples.at(row).stats; }
    // The value of a charted column at row, as a number.
    double value(int row, Column column) const;

private:
    struct Sample
    {
        qint64 timestamp = 0;
        ServerStats stats;
    };
    void trim();

    QList<Sample> m_samples;
    int m_capacity = DefaultCapacity;
};

} // namespace Switchboard::Console
