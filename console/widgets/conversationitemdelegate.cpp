#include "console/widgets/conversationitemdelegate.h"

#include <QApplication>
#include <QDateTime>
#include <QLocale>
#include <QPainter>

#include "console/models/conversationlistmodel.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
QColor presenceColor(const QString &status)
{
    if (status == u"online"_s)
        return {0x2d, 0xa4, 0x4e};
    if (status == u"away"_s)
        return {0xe3, 0xa0, 0x08};
    return {0xa0, 0xa6, 0xad};
}
} // namespace

ConversationItemDelegate::ConversationItemDelegate(QObject *parent) : QStyledItemDelegate(parent)
{ }

QString ConversationItemDelegate::formatDuration(qint64 ms)
{
    const qint64 seconds = qMax<qint64>(0, ms / 1000);
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    const qint64 minutes = seconds / 60;
    if (minutes < 60)
        return tr("%1 min").arg(minutes);
    return tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

QSize ConversationItemDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return {200, fm.height() * 2 + 18};
}

void ConversationItemDelegate::paint(
    QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QRect r = option.rect.adjusted(10, 6, -10, -6);
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette::ColorGroup group = option.state & QStyle::State_Active ? QPalette::Active : QPalette::Inactive;
    const QColor text = option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text);
    QColor muted = text;
    muted.setAlphaF(0.65);
    const QFontMetrics fm(option.font);
    const int line = fm.height();

    // Presence dot.
    const QString presence = index.data(ConversationListModel::PresenceRole).toString();
    painter->setPen(Qt::NoPen);
    painter->setBrush(presenceColor(presence));
    painter->drawEllipse(QPointF(r.left() + 5, r.top() + line / 2.0), 4.5, 4.5);

    // Right column: waiting time or last activity, and the unread badge.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 waiting = index.data(ConversationListModel::WaitingSinceRole).toLongLong();
    const int section = index.data(ConversationListModel::SectionRole).toInt();
    QString right;
    QColor rightColor = muted;
    if (waiting > 0 && section != int(ConversationListModel::Section::Direct)) {
        right = tr("waiting %1").arg(formatDuration(now - waiting));
        if (now - waiting > UrgentAfterMs && !selected)
            rightColor = QColor(0xd9, 0x30, 0x25);
    } else {
        const qint64 last = index.data(ConversationListModel::LastActivityRole).toLongLong();
        if (last > 0) {
            const QDateTime when = QDateTime::fromMSecsSinceEpoch(last);
            right = when.date() == QDate::currentDate() ? QLocale().toString(when.time(), QLocale::ShortFormat)
                                                        : QLocale().toString(when.date(), QLocale::ShortFormat);
        }
    }
    QFont small = option.font;
    small.setPointSizeF(option.font.pointSizeF() * 0.9);
    const QFontMetrics smallFm(small);
    const int rightWidth = smallFm.horizontalAdvance(right);
    painter->setFont(small);
    painter->setPen(rightColor);
    painter->drawText(
        QRect(r.right() - rightWidth, r.top(), rightWidth, line), Qt::AlignRight | Qt::AlignVCenter, right);

    const qint64 unread = index.data(ConversationListModel::UnreadRole).toLongLong();
    int badgeWidth = 0;
    if (unread > 0) {
        QFont bold = small;
        bold.setBold(true);
        const QString count = unread > 99 ? u"99+"_s : QString::number(unread);
        badgeWidth = qMax(line, QFontMetrics(bold).horizontalAdvance(count) + 10);
        const QRect badge(r.right() - badgeWidth, r.top() + line + 4, badgeWidth, line);
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(0xd9, 0x30, 0x25));
        painter->drawRoundedRect(badge, line / 2.0, line / 2.0);
        painter->setPen(Qt::white);
        painter->setFont(bold);
        painter->drawText(badge, Qt::AlignCenter, count);
    }

    // Name (bold when unread) and the second line.
    QFont nameFont = option.font;
    nameFont.setBold(unread > 0 || section == int(ConversationListModel::Section::Unassigned));
    painter->setFont(nameFont);
    painter->setPen(text);
    const int textLeft = r.left() + 16;
    QString name = index.data(Qt::DisplayRole).toString();
    const QString topic = index.data(ConversationListModel::TopicRole).toString();
    if (!topic.isEmpty())
        name += u" · "_s + topic;
    painter->drawText(QRect(textLeft, r.top(), r.right() - textLeft - rightWidth - 8, line),
        Qt::AlignLeft | Qt::AlignVCenter,
        QFontMetrics(nameFont).elidedText(name, Qt::ElideRight, r.right() - textLeft - rightWidth - 8));

    QString second = index.data(ConversationListModel::LastMessageRole).toString();
    QFont secondFont = option.font;
    QColor secondColor = muted;
    if (index.data(ConversationListModel::TypingRole).toBool()) {
        second = tr("typing…");
        secondFont.setItalic(true);
        secondColor = selected ? text : QColor(0x1f, 0x6f, 0xeb);
    } else if (second.isEmpty() && section == int(ConversationListModel::Section::Unassigned)) {
        second = tr("New chat, no messages yet");
        secondFont.setItalic(true);
    }
    painter->setFont(secondFont);
    painter->setPen(secondColor);
    const int secondWidth = r.right() - textLeft - badgeWidth - 8;
    painter->drawText(QRect(textLeft, r.top() + line + 4, secondWidth, line), Qt::AlignLeft | Qt::AlignVCenter,
        QFontMetrics(secondFont).elidedText(second, Qt::ElideRight, secondWidth));
    painter->restore();
}

} // namespace Switchboard::Console
