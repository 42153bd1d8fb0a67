#include "console/models/messagelistmodel.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

MessageListModel::MessageListModel(qint64 conversationId, qint64 currentUserId, QObject *parent)
    : QAbstractListModel(parent), m_conversationId(conversationId), m_currentUserId(currentUserId)
{ }

int MessageListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant MessageListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const Item &item = m_items.at(index.row());
    const ChatMessage &m = item.message;
    switch (role) {
    case Qt::DisplayRole:
        return m.content;
    case MessageIdRole:
        return m.id;
    case SeqRole:
        return m.seq;
    case SenderIdRole:
        return m.senderId;
    case SenderNameRole:
        return m_names ? m_names(m.senderId) : QString::number(m.senderId);
    case TypeRole:
        return m.type;
    case CreatedAtRole:
        return m.createdAt;
    case OutgoingRole:
        return item.state != DeliveryState::Incoming;
    case DeliveryStateRole:
        return int(item.state);
    case ClientMsgIdRole:
        return m.clientMsgId;
    case ErrorRole:
    case Qt::ToolTipRole:
        return item.error;
    case AttachmentNameRole:
        return m.attachment.value(u"name"_s).toString();
    default:
        return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(SeqRole, "seq");
    names.insert(SenderIdRole, "senderId");
    names.insert(CreatedAtRole, "createdAt");
    names.insert(DeliveryStateRole, "deliveryState");
    return names;
}

MessageListModel::DeliveryState MessageListModel::stateFor(const ChatMessage &message) const
{
    if (message.senderId != m_currentUserId || message.type == u"system"_s)
        return DeliveryState::Incoming;
    if (message.seq > 0 && message.seq <= m_peerRead)
        return DeliveryState::Read;
    if (message.seq > 0 && message.seq <= m_peerDelivered)
        return DeliveryState::Delivered;
    return DeliveryState::Sent;
}

int MessageListModel::insertionRow(qint64 seq) const
{
    // Stored messages are sorted by seq and come before the pending ones (seq 0).
    int row = int(m_items.size());
    while (row > 0) {
        const qint64 s = m_items.at(row - 1).message.seq;
        if (s != 0 && s < seq)
            break;
        --row;
    }
    return row;
}

void MessageListModel::insertItem(const Item &item)
{
    const int row = insertionRow(item.message.seq);
    beginInsertRows({}, row, row);
    m_items.insert(row, item);
    endInsertRows();
}

void MessageListModel::addHistory(const QList<ChatMessage> &page, std::optional<bool> hasMoreBefore)
{
    const qint64 oldestBefore = oldestSeq();
    QList<Item> older;
    QList<ChatMessage> rest;
    for (const ChatMessage &m : page) {
        if (m.conversationId != m_conversationId || rowOfMessageId(m.id) >= 0)
            continue;
        if (oldestBefore == 0 || m.seq < oldestBefore)
            older.append(Item {m, stateFor(m), {}});
        else
            rest.append(m);
    }
    m_loaded = true;
    if (hasMoreBefore)
        m_hasMoreBefore = *hasMoreBefore;
    if (!older.isEmpty()) {
        if (m_items.isEmpty() || oldestBefore == 0) {
            // Nothing stored yet (maybe pending rows): put the page in front of them.
            beginInsertRows({}, 0, int(older.size()) - 1);
            for (qsizetype i = 0; i < older.size(); ++i)
                m_items.insert(i, older.at(i));
            endInsertRows();
        } else {
            beginInsertRows({}, 0, int(older.size()) - 1);
            m_items = older + m_items;
            endInsertRows();
            Q_EMIT olderMessagesInserted(int(older.size()));
        }
    }
    for (const ChatMessage &m : std::as_const(rest))
        addMessage(m);
}

bool MessageListModel::addMessage(const ChatMessage &message)
{
    if (message.conversationId != m_conversationId || rowOfMessageId(message.id) >= 0)
        return false;
    // Our own message sent from this console: the pending row becomes it.
    if (!message.clientMsgId.isEmpty() && message.senderId == m_currentUserId) {
        const int pending = rowOfClientMsgId(message.clientMsgId);
        if (pending >= 0) {
            markSent(message.clientMsgId, message.id, message.seq, message.createdAt);
            return false;
        }
    }
    insertItem(Item {message, stateFor(message), {}});
    return true;
}

void MessageListModel::addPending(const OutgoingMessage &message)
{
    if (rowOfClientMsgId(message.clientMsgId) >= 0)
        return;
    Item item;
    item.message.conversationId = m_conversationId;
    item.message.senderId = m_currentUserId;
    item.message.type = u"text"_s;
    item.message.content = message.text;
    item.message.clientMsgId = message.clientMsgId;
    item.message.createdAt = message.createdAt;
    item.state = DeliveryState::Queued;
    beginInsertRows({}, int(m_items.size()), int(m_items.size()));
    m_items.append(item);
    endInsertRows();
}

void MessageListModel::markSent(const QString &clientMsgId, qint64 messageId, qint64 seq, qint64 createdAt)
{
    const int row = rowOfClientMsgId(clientMsgId);
    if (row < 0)
        return;
    if (rowOfMessageId(messageId) >= 0 && m_items.at(row).message.seq == 0) {
        // Already there (e.g. pushed back by a sync): drop the pending copy.
        beginRemoveRows({}, row, row);
        m_items.removeAt(row);
        endRemoveRows();
        return;
    }
    Item item = m_items.at(row);
    item.message.id = messageId;
    item.message.seq = seq;
    if (createdAt > 0)
        item.message.createdAt = createdAt;
    item.state = stateFor(item.message);
    item.error.clear();
    beginRemoveRows({}, row, row);
    m_items.removeAt(row);
    endRemoveRows();
    insertItem(item);
}

void MessageListModel::markFailed(const QString &clientMsgId, const QString &error)
{
    const int row = rowOfClientMsgId(clientMsgId);
    if (row < 0)
        return;
    m_items[row].state = DeliveryState::Failed;
    m_items[row].error = error;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i);
}

void MessageListModel::applyReceipt(qint64 userId, const QString &kind, qint64 seq)
{
    if (userId == m_currentUserId)
        return;
    if (kind == u"read"_s) {
        m_peerRead = qMax(m_peerRead, seq);
        m_peerDelivered = qMax(m_peerDelivered, seq);
    } else {
        m_peerDelivered = qMax(m_peerDelivered, seq);
    }
    for (qsizetype row = 0; row < m_items.size(); ++row) {
        Item &item = m_items[row];
        if (item.state != DeliveryState::Sent && item.state != DeliveryState::Delivered)
            continue;
        const DeliveryState next = stateFor(item.message);
        if (next != item.state) {
            item.state = next;
            const QModelIndex i = index(int(row));
            Q_EMIT dataChanged(i, i, {DeliveryStateRole});
        }
    }
}

qint64 MessageListModel::oldestSeq() const
{
    for (const Item &item : m_items) {
        if (item.message.seq > 0)
            return item.message.seq;
    }
    return 0;
}

qint64 MessageListModel::newestSeq() const
{
    for (qsizetype i = m_items.size() - 1; i >= 0; --i) {
        if (m_items.at(i).message.seq > 0)
            return m_items.at(i).message.seq;
    }
    return 0;
}

int MessageListModel::pendingCount() const
{
    int count = 0;
    for (const Item &item : m_items)
        count += item.message.seq == 0 ? 1 : 0;
    return count;
}

ChatMessage MessageListModel::lastIncoming() const
{
    for (qsizetype i = m_items.size() - 1; i >= 0; --i) {
        if (m_items.at(i).state == DeliveryState::Incoming && m_items.at(i).message.seq > 0)
            return m_items.at(i).message;
    }
    return {};
}

int MessageListModel::rowOfClientMsgId(const QString &clientMsgId) const
{
    if (clientMsgId.isEmpty())
        return -1;
    for (qsizetype i = m_items.size() - 1; i >= 0; --i) {
        if (m_items.at(i).message.clientMsgId == clientMsgId)
            return int(i);
    }
    return -1;
}

int MessageListModel::rowOfMessageId(qint64 messageId) const
{
    if (messageId <= 0)
        return -1;
    for (qsizetype i = m_items.size() - 1; i >= 0; --i) {
        if (m_items.at(i).message.id == messageId)
            return int(i);
    }
    return -1;
}

} // namespace Switchboard::Console
