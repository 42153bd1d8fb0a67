#pragma once

#include <QStyledItemDelegate>

QT_BEGIN_NAMESPACE
class QAbstractItemView;
QT_END_NAMESPACE

namespace Switchboard::Console {

// Paints a MessageListModel row as a chat bubble: the operator's messages on the right with
// their delivery ticks (clock = queued, one tick = stored, two = delivered, blue = read, red
// mark = refused), other people's on the left with the sender's name, system messages centred.
class MessageDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MessageDelegate)

public:
    explicit MessageDelegate(QAbstractItemView *view);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    struct Layout
    {
        QRect bubble;
        QRect name;
        QRect text;
        QRect meta;
    };
    Layout layoutFor(const QStyleOptionViewItem &option, const QModelIndex &index, int width) const;
    int availableWidth(const QStyleOptionViewItem &option) const;

    QAbstractItemView *m_view = nullptr;
};

} // namespace Switchboard::Console
