#include "console/widgets/statschart.h"

#include <QPainter>
#include <QPainterPath>
#include <QtMath>

#include "console/models/statshistorymodel.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
// A "nice" axis maximum at or above value: 1, 2, 5, 10, 20, 50, ...
double niceCeiling(double value)
{
    if (value <= 1)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= step * magnitude)
            return step * magnitude;
    }
    return 10 * magnitude;
}

QString axisNumber(double value)
{
    return value == std::floor(value) ? QString::number(qint64(value)) : QString::number(value, 'f', 1);
}
} // namespace

StatsChart::StatsChart(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setAccessibleName(tr("Messages per second, last 5 minutes"));
}

void StatsChart::setModel(StatsHistoryModel *model)
{
    if (m_model)
        m_model->disconnect(this);
    m_model = model;
    if (m_model) {
        auto repaint = [this] { update(); };
        connect(m_model, &QAbstractItemModel::rowsInserted, this, repaint);
        connect(m_model, &QAbstractItemModel::rowsRemoved, this, repaint);
        connect(m_model, &QAbstractItemModel::modelReset, this, repaint);
    }
    update();
}

QSize StatsChart::sizeHint() const
{
    return {640, 220};
}

QSize StatsChart::minimumSizeHint() const
{
    return {240, 120};
}

void StatsChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.base());

    const QColor rateColor(0x1f, 0x6f, 0xeb);
    const QColor connectionsColor(0xe3, 0x7b, 0x1c);
    const QFontMetrics fm(font());
    const int left = fm.horizontalAdvance(u"00000"_s) + 8;
    const int right = fm.horizontalAdvance(u"00000"_s) + 8;
    const int top = fm.height() + 10;
    const int bottom = fm.height() + 8;
    const QRectF plot(left, top, qMax(10, width() - left - right), qMax(10, height() - top - bottom));

    const int rows = m_model ? m_model->rowCount() : 0;
    const qint64 end = rows > 0 ? m_model->timestampAt(rows - 1) : 0;
    const qint64 start = end - WindowMs;
    double maxRate = 0;
    double maxConnections = 0;
    for (int r = 0; r < rows; ++r) {
        if (m_model->timestampAt(r) < start)
            continue;
        maxRate = qMax(maxRate, m_model->value(r, StatsHistoryModel::MessagesPerSecondColumn));
        maxConnections = qMax(maxConnections, m_model->value(r, StatsHistoryModel::ConnectionsColumn));
    }
    maxRate = niceCeiling(maxRate);
    maxConnections = niceCeiling(maxConnections);

    // Grid and axes.
    QColor grid = pal.text().color();
    grid.setAlphaF(0.12);
    QColor label = pal.text().color();
    label.setAlphaF(0.7);
    p.setFont(font());
    for (int i = 0; i <= 4; ++i) {
        const double y = plot.bottom() - plot.height() * i / 4.0;
        p.setPen(QPen(grid, 1));
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(rateColor);
        p.drawText(QRectF(0, y - fm.height() / 2.0, left - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
            axisNumber(maxRate * i / 4.0));
        p.setPen(connectionsColor);
        p.drawText(QRectF(plot.right() + 6, y - fm.height() / 2.0, right - 6, fm.height()),
            Qt::AlignLeft | Qt::AlignVCenter, axisNumber(maxConnections * i / 4.0));
    }
    p.setPen(label);
    for (int minute = 0; minute <= 5; ++minute) {
        const double x = plot.left() + plot.width() * (5 - minute) / 5.0;
        const QString text = minute == 0 ? tr("now") : tr("-%1 min").arg(minute);
        p.drawText(QRectF(x - 40, plot.bottom() + 4, 80, fm.height()), Qt::AlignHCenter | Qt::AlignTop, text);
    }

    // Legend.
    const QString rateText = tr("Messages/s");
    const QString connectionsText = tr("Connections");
    int x = int(plot.left());
    p.fillRect(QRectF(x, 4, 12, fm.height() - 4), rateColor);
    p.setPen(pal.text().color());
    p.drawText(QPointF(x + 16, 2 + fm.ascent()), rateText);
    x += 16 + fm.horizontalAdvance(rateText) + 18;
    p.setPen(QPen(connectionsColor, 2));
    p.drawLine(QPointF(x, 4 + fm.height() / 2.0 - 2), QPointF(x + 12, 4 + fm.height() / 2.0 - 2));
    p.setPen(pal.text().color());
    p.drawText(QPointF(x + 16, 2 + fm.ascent()), connectionsText);

    if (rows == 0) {
        p.setPen(label);
        p.drawText(plot, Qt::AlignCenter, tr("Waiting for statistics…"));
        return;
    }

    auto xFor = [&](qint64 t) { return plot.left() + plot.width() * double(t - start) / double(WindowMs); };
    QPainterPath rate;
    QPainterPath connections;
    bool first = true;
    double firstX = 0;
    double lastX = 0;
    for (int r = 0; r < rows; ++r) {
        const qint64 t = m_model->timestampAt(r);
        if (t < start)
            continue;
        const double px = xFor(t);
        const double ry
            = plot.bottom() - plot.height() * m_model->value(r, StatsHistoryModel::MessagesPerSecondColumn) / maxRate;
        const double cy
            = plot.bottom() - plot.height() * m_model->value(r, StatsHistoryModel::ConnectionsColumn) / maxConnections;
        if (first) {
            rate.moveTo(px, plot.bottom());
            rate.lineTo(px, ry);
            connections.moveTo(px, cy);
            firstX = px;
            first = false;
        } else {
            rate.lineTo(px, ry);
            connections.lineTo(px, cy);
        }
        lastX = px;
    }
    rate.lineTo(lastX, plot.bottom());
    rate.lineTo(firstX, plot.bottom());
    QColor fill = rateColor;
    fill.setAlphaF(0.25);
    p.setPen(QPen(rateColor, 1.5));
    p.setBrush(fill);
    p.drawPath(rate);
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(connectionsColor, 2));
    p.drawPath(connections);
}

} // namespace Switchboard::Console
