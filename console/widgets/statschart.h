#pragma once

#include <QPointer>
#include <QWidget>

#include "console/models/statshistorymodel.h"

namespace Switchboard::Console {

// A line chart of the last five minutes of `stats` samples: messages per second as a filled
// area (left axis) and open connections as a line (right axis). Painted by hand; Qt Charts is
// not a dependency.
class StatsChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatsChart)

public:
    static constexpr qint64 WindowMs = 5 * 60 * 1000;

    explicit StatsChart(QWidget *parent = nullptr);

    void setModel(StatsHistoryModel *model);
    StatsHistoryModel *model() const { return m_model; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QPointer<StatsHistoryModel> m_model;
};

} // namespace Switchboard::Console
