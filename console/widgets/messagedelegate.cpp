#include "console/widgets/messagedelegate.h"

#include <QAbstractItemView>
#include <QDateTime>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include "console/models/messagelistmodel.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
constexpr int kMargin = 6;
constexpr int kPadding = 8;
constexpr int kTickWidth = 18;
using State = MessageListModel::DeliveryState;

QFont smallFont(const QFont &base)
{
    QFont f = base;
    f.setPointSizeF(base.pointSizeF() * 0.85);
    return f;
}

QString metaText(const QModelIndex &index)
{
    const qint64 created = index.data(MessageListModel::CreatedAtRole).toLongLong();
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(created);
    const QLocale locale;
    if (when.date() == QDate::currentDate())
        return locale.toString(when.time(), QLocale::ShortFormat);
    return locale.toString(when, QLocale::ShortFormat);
}

QString bodyText(const QModelIndex &index)
{
    const QString type = index.data(MessageListModel::TypeRole).toString();
    QString text = index.data(Qt::DisplayRole).toString();
    if (type == u"image"_s || type == u"file"_s) {
        const QString name = index.data(MessageListModel::AttachmentNameRole).toString();
        const QString label = type == u"image"_s ? MessageDelegate::tr("[Image: %1]").arg(name)
                                                 : MessageDelegate::tr("[File: %1]").arg(name);
        text = text.isEmpty() ? label : label + u'\n' + text;
    }
    return text;
}

void drawTicks(QPainter *p, const QRect &r, State state)
{
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    const QColor grey(0x70, 0x78, 0x80);
    const QColor blue(0x1f, 0x6f, 0xeb);
    const qreal cy = r.center().y() + 0.5;
    const qreal h = qMin(r.height(), 10);
    auto tick = [&](qreal x, const QColor &color) {
        p->setPen(QPen(color, 1.6, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        QPainterPath path;
        path.moveTo(x, cy);
        path.lineTo(x + h * 0.3, cy + h * 0.35);
        path.lineTo(x + h * 0.8, cy - h * 0.4);
        p->drawPath(path);
    };
    switch (state) {
    case State::Queued: {
        p->setPen(QPen(grey, 1.3));
        const QPointF c(r.left() + h * 0.6, cy);
        p->drawEllipse(c, h * 0.45, h * 0.45);
        p->drawLine(c, c + QPointF(0, -h * 0.3));
        p->drawLine(c, c + QPointF(h * 0.25, 0));
        break;
    }
    case State::Sent:
        tick(r.left() + 2, grey);
        break;
    case State::Delivered:
        tick(r.left(), grey);
        tick(r.left() + h * 0.45, grey);
        break;
    case State::Read:
        tick(r.left(), blue);
        tick(r.left() + h * 0.45, blue);
        break;
    case State::Failed: {
        const QColor red(0xd9, 0x30, 0x25);
        p->setPen(Qt::NoPen);
        p->setBrush(red);
        p->drawEllipse(QPointF(r.left() + h * 0.6, cy), h * 0.55, h * 0.55);
        p->setPen(QPen(Qt::white, 1.6, Qt::SolidLine, Qt::RoundCap));
        p->drawLine(QPointF(r.left() + h * 0.6, cy - h * 0.3), QPointF(r.left() + h * 0.6, cy + h * 0.05));
        p->drawPoint(QPointF(r.left() + h * 0.6, cy + h * 0.3));
        break;
    }
    case State::Incoming:
        break;
    }
    p->restore();
}
} // namespace

MessageDelegate::MessageDelegate(QAbstractItemView *view) : QStyledItemDelegate(view), m_view(view)
{ }

int MessageDelegate::availableWidth(const QStyleOptionViewItem &option) const
{
    if (m_view)
        return m_view->viewport()->width();
    return option.rect.width() > 0 ? option.rect.width() : 400;
}

MessageDelegate::Layout MessageDelegate::layoutFor(
    const QStyleOptionViewItem &option, const QModelIndex &index, int width) const
{
    Layout l;
    const bool system = index.data(MessageListModel::TypeRole).toString() == u"system"_s;
    const bool outgoing = index.data(MessageListModel::OutgoingRole).toBool();
    const QFontMetrics fm(option.font);
    const QFontMetrics small(smallFont(option.font));
    const int maxText = qMax(80, int(width * (system ? 0.9 : 0.7)) - 2 * kPadding);
    const QString text = bodyText(index);
    const QRect textRect = fm.boundingRect(QRect(0, 0, maxText, 100000), Qt::TextWordWrap, text);
    int contentWidth = textRect.width();
    int y = kMargin + kPadding;
    if (!outgoing && !system) {
        const QString name = index.data(MessageListModel::SenderNameRole).toString();
        QFont bold = smallFont(option.font);
        bold.setBold(true);
        const int nameWidth = qMin(maxText, QFontMetrics(bold).horizontalAdvance(name) + 2);
        l.name = QRect(0, y, nameWidth, small.height());
        contentWidth = qMax(contentWidth, nameWidth);
        y += small.height() + 2;
    }
    l.text = QRect(0, y, textRect.width(), textRect.height());
    y += textRect.height();
    if (!system) {
        const int metaWidth = small.horizontalAdvance(metaText(index)) + (outgoing ? kTickWidth + 4 : 0);
        contentWidth = qMax(contentWidth, metaWidth);
        y += 2;
        l.meta = QRect(0, y, metaWidth, small.height());
        y += small.height();
    }
    const int bubbleWidth = contentWidth + 2 * kPadding;
    const int bubbleHeight = y + kPadding - kMargin;
    int left = kMargin + 4;
    if (system)
        left = (width - bubbleWidth) / 2;
    else if (outgoing)
        left = width - bubbleWidth - kMargin - 4;
    l.bubble = QRect(left, kMargin, bubbleWidth, bubbleHeight);
    const int inner = left + kPadding;
    l.name.moveLeft(inner);
    l.name.setWidth(qMax(l.name.width(), contentWidth));
    l.text.moveLeft(system ? left + (bubbleWidth - l.text.width()) / 2 : inner);
    l.text.setWidth(system ? l.text.width() : contentWidth);
    l.meta.moveLeft(left + bubbleWidth - kPadding - l.meta.width());
    return l;
}

QSize MessageDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const int width = availableWidth(option);
    const Layout l = layoutFor(option, index, width);
    return {width, l.bubble.bottom() + kMargin};
}

void MessageDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const int width = option.rect.width();
    Layout l = layoutFor(option, index, width);
    const QPoint offset = option.rect.topLeft();
    l.bubble.translate(offset);
    l.name.translate(offset);
    l.text.translate(offset);
    l.meta.translate(offset);

    const bool system = index.data(MessageListModel::TypeRole).toString() == u"system"_s;
    const bool outgoing = index.data(MessageListModel::OutgoingRole).toBool();
    const auto state = State(index.data(MessageListModel::DeliveryStateRole).toInt());

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QColor bubble = system ? QColor(0, 0, 0, 0) : outgoing ? QColor(0xd7, 0xea, 0xff) : QColor(0xee, 0xf0, 0xf3);
    if (state == State::Failed)
        bubble = QColor(0xfd, 0xe2, 0xe0);
    painter->setPen(Qt::NoPen);
    painter->setBrush(bubble);
    painter->drawRoundedRect(l.bubble, 10, 10);

    const QColor textColor(0x1b, 0x1f, 0x24);
    const QFont small = smallFont(option.font);
    if (!l.name.isEmpty() && !outgoing && !system) {
        painter->setFont(small);
        QFont bold = small;
        bold.setBold(true);
        painter->setFont(bold);
        painter->setPen(QColor(0x1f, 0x6f, 0xeb));
        painter->drawText(l.name, Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetrics(bold).elidedText(
                index.data(MessageListModel::SenderNameRole).toString(), Qt::ElideRight, l.name.width()));
    }
    QFont body = option.font;
    body.setItalic(system);
    painter->setFont(body);
    painter->setPen(system ? QColor(0x70, 0x78, 0x80) : textColor);
    painter->drawText(l.text, Qt::TextWordWrap | (system ? Qt::AlignHCenter : Qt::AlignLeft), bodyText(index));
    if (!system) {
        painter->setFont(small);
        painter->setPen(QColor(0x70, 0x78, 0x80));
        QRect timeRect = l.meta;
        if (outgoing)
            timeRect.setRight(timeRect.right() - kTickWidth - 4);
        painter->drawText(timeRect, Qt::AlignRight | Qt::AlignVCenter, metaText(index));
        if (outgoing)
            drawTicks(painter, QRect(l.meta.right() - kTickWidth, l.meta.top(), kTickWidth, l.meta.height()), state);
    }
    painter->restore();
}

} // namespace Switchboard::Console
