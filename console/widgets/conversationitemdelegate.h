#pragma once

#include <QStyledItemDelegate>

namespace Switchboard::Console {

// Paints a ConversationListModel row: presence dot, name, last message or "typing…", waiting time
// (red once a customer has waited longer than urgentAfterMs) and the unread badge.
class ConversationItemDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConversationItemDelegate)

public:
    static constexpr qint64 UrgentAfterMs = 2 * 60 * 1000;

    explicit ConversationItemDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // "45 s", "3 min", "1 h 5 min".
    static QString formatDuration(qint64 ms);
};

} // namespace Switchboard::Console
