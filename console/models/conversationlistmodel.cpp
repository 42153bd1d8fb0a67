#include "console/models/conversationlistmodel.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

ConversationListModel::ConversationListModel(QObject *parent) : QAbstractListModel(parent)
{ }

void ConversationListModel::setCurrentUserId(qint64 userId)
{
    if (m_currentUserId == userId)
        return;
    beginResetModel();
    m_currentUserId = userId;
    endResetModel();
    emitCounters();
}

void ConversationListModel::refreshDecorations()
{
    if (!m_items.isEmpty())
        Q_EMIT dataChanged(index(0), index(int(m_items.size()) - 1));
}

int ConversationListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

ConversationListModel::Section ConversationListModel::sectionOf(const Item &item) const
{
    if (item.info.type != u"support"_s)
        return Section::Direct;
    if (item.info.agentId == 0 || item.info.supportStatus == u"open"_s)
        return Section::Unassigned;
    return item.info.agentId == m_currentUserId ? Section::Mine : Section::OtherAgents;
}

qint64 ConversationListModel::counterpartOf(const Item &item) const
{
    if (item.info.type == u"support"_s)
        return item.info.requesterId;
    if (item.info.type == u"private"_s) {
        for (qint64 id : item.info.participants) {
            if (id != m_currentUserId)
                return id;
        }
    }
    return 0;
}

QString ConversationListModel::titleOf(const Item &item) const
{
    if (item.info.type == u"group"_s && !item.info.title.isEmpty())
        return item.info.title;
    const qint64 other = counterpartOf(item);
    if (other > 0 && m_names)
        return m_names(other);
    if (!item.info.title.isEmpty())
        return item.info.title;
    return tr("Conversation %1").arg(item.info.id);
}

QVariant ConversationListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const Item &item = m_items.at(index.row());
    const ConversationInfo &c = item.info;
    switch (role) {
    case Qt::DisplayRole:
        return titleOf(item);
    case Qt::ToolTipRole:
        return c.title.isEmpty() ? titleOf(item) : titleOf(item) + u" — "_s + c.title;
    case ConversationIdRole:
        return c.id;
    case KindRole:
        return c.type;
    case SectionRole:
        return int(sectionOf(item));
    case SupportStatusRole:
        return c.supportStatus;
    case AgentIdRole:
        return c.agentId;
    case CounterpartIdRole:
        return counterpartOf(item);
    case TopicRole:
        return c.type == u"support"_s ? c.title : QString();
    case UnreadRole:
        return c.unread;
    case LastMessageRole: {
        if (!c.lastMessage)
            return QString();
        QString text = c.lastMessage->content;
        if (c.lastMessage->type == u"image"_s || c.lastMessage->type == u"file"_s)
            text = c.lastMessage->attachment.value(u"name"_s).toString();
        return text.simplified();
    }
    case LastActivityRole:
        return c.lastMessage ? c.lastMessage->createdAt : c.createdAt;
    case CreatedAtRole:
        return c.createdAt;
    case WaitingSinceRole:
        return item.waitingSince;
    case PresenceRole: {
        const qint64 other = counterpartOf(item);
        return other > 0 && m_presence ? m_presence(other) : QString();
    }
    case TypingRole:
        return item.typing;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(ConversationIdRole, "conversationId");
    names.insert(KindRole, "kind");
    names.insert(SectionRole, "section");
    names.insert(UnreadRole, "unread");
    names.insert(LastMessageRole, "lastMessage");
    names.insert(WaitingSinceRole, "waitingSince");
    return names;
}

int ConversationListModel::indexOf(qint64 conversationId) const
{
    for (qsizetype i = 0; i < m_items.size(); ++i) {
        if (m_items.at(i).info.id == conversationId)
            return int(i);
    }
    return -1;
}

QModelIndex ConversationListModel::modelIndex(qint64 conversationId) const
{
    const int row = indexOf(conversationId);
    return row >= 0 ? index(row) : QModelIndex();
}

ConversationInfo ConversationListModel::conversation(qint64 conversationId) const
{
    const int row = indexOf(conversationId);
    return row >= 0 ? m_items.at(row).info : ConversationInfo();
}

ConversationListModel::Section ConversationListModel::section(qint64 conversationId) const
{
    const int row = indexOf(conversationId);
    return row >= 0 ? sectionOf(m_items.at(row)) : Section::Direct;
}

QString ConversationListModel::title(qint64 conversationId) const
{
    const int row = indexOf(conversationId);
    return row >= 0 ? titleOf(m_items.at(row)) : QString();
}

qint64 ConversationListModel::counterpartId(qint64 conversationId) const
{
    const int row = indexOf(conversationId);
    return row >= 0 ? counterpartOf(m_items.at(row)) : 0;
}

void ConversationListModel::upsert(const ConversationInfo &conversation)
{
    if (conversation.id <= 0)
        return;
    const int row = indexOf(conversation.id);
    if (conversation.type == u"support"_s && conversation.supportStatus == u"closed"_s) {
        if (row >= 0)
            remove(conversation.id);
        return;
    }
    if (row < 0) {
        Item item;
        item.info = conversation;
        // A customer with a fresh chat, or whose last word has not been answered, is waiting.
        if (conversation.type == u"support"_s) {
            if (!conversation.lastMessage)
                item.waitingSince = conversation.createdAt;
            else if (conversation.lastMessage->senderId == conversation.requesterId)
                item.waitingSince = conversation.lastMessage->createdAt;
        }
        beginInsertRows({}, int(m_items.size()), int(m_items.size()));
        m_items.append(item);
        endInsertRows();
    } else {
        Item &item = m_items[row];
        std::optional<ChatMessage> last = item.info.lastMessage;
        if (conversation.lastMessage && (!last || conversation.lastMessage->seq >= last->seq))
            last = conversation.lastMessage;
        item.info = conversation;
        item.info.lastMessage = last;
        if (last && last->senderId != conversation.requesterId)
            item.waitingSince = 0;
        rowChanged(row);
    }
    emitCounters();
}

void ConversationListModel::resetSupportQueue(const QList<ConversationInfo> &queue)
{
    QList<qint64> keep;
    for (const ConversationInfo &c : queue)
        keep.append(c.id);
    for (qsizetype i = m_items.size() - 1; i >= 0; --i) {
        const ConversationInfo &c = m_items.at(i).info;
        if (c.type == u"support"_s && !keep.contains(c.id)) {
            beginRemoveRows({}, int(i), int(i));
            m_items.removeAt(i);
            endRemoveRows();
        }
    }
    for (const ConversationInfo &c : queue)
        upsert(c);
    emitCounters();
}

void ConversationListModel::remove(qint64 conversationId)
{
    const int row = indexOf(conversationId);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_items.removeAt(row);
    endRemoveRows();
    emitCounters();
}

void ConversationListModel::clear()
{
    beginResetModel();
    m_items.clear();
    endResetModel();
    emitCounters();
}

void ConversationListModel::applyMessage(const ChatMessage &message, bool countUnread)
{
    const int row = indexOf(message.conversationId);
    if (row < 0)
        return;
    Item &item = m_items[row];
    if (item.info.lastMessage && item.info.lastMessage->seq > message.seq)
        return; // an older message (history, repeat): nothing to update
    if (item.info.lastMessage && item.info.lastMessage->id == message.id)
        return;
    item.info.lastMessage = message;
    item.info.lastSeq = qMax(item.info.lastSeq, message.seq);
    if (countUnread && message.senderId != m_currentUserId)
        ++item.info.unread;
    if (message.type != u"system"_s) {
        if (message.senderId == item.info.requesterId
            || (item.info.type != u"support"_s && message.senderId != m_currentUserId)) {
            if (item.waitingSince == 0)
                item.waitingSince = message.createdAt;
        } else {
            item.waitingSince = 0;
        }
    }
    item.typing = false;
    rowChanged(row);
    emitCounters();
}

void ConversationListModel::setUnread(qint64 conversationId, qint64 unread)
{
    const int row = indexOf(conversationId);
    if (row < 0 || m_items.at(row).info.unread == unread)
        return;
    m_items[row].info.unread = unread;
    rowChanged(row);
    emitCounters();
}

void ConversationListModel::setTyping(qint64 conversationId, bool typing)
{
    const int row = indexOf(conversationId);
    if (row < 0 || m_items.at(row).typing == typing)
        return;
    m_items[row].typing = typing;
    rowChanged(row);
}

int ConversationListModel::unassignedCount() const
{
    int count = 0;
    for (const Item &item : m_items)
        count += sectionOf(item) == Section::Unassigned ? 1 : 0;
    return count;
}

int ConversationListModel::unreadTotal() const
{
    qint64 total = 0;
    for (const Item &item : m_items) {
        const Section s = sectionOf(item);
        if (s == Section::Mine || s == Section::Direct)
            total += item.info.unread;
    }
    return int(total);
}

qint64 ConversationListModel::oldestUnassignedAt() const
{
    qint64 oldest = 0;
    for (const Item &item : m_items) {
        if (sectionOf(item) == Section::Unassigned && (oldest == 0 || item.info.createdAt < oldest))
            oldest = item.info.createdAt;
    }
    return oldest;
}

void ConversationListModel::rowChanged(int row)
{
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i);
}

void ConversationListModel::emitCounters()
{
    const int unassigned = unassignedCount();
    if (unassigned != m_lastUnassigned) {
        m_lastUnassigned = unassigned;
        Q_EMIT unassignedCountChanged(unassigned);
    }
    const int unread = unreadTotal();
    if (unread != m_lastUnread) {
        m_lastUnread = unread;
        Q_EMIT unreadTotalChanged(unread);
    }
}

} // namespace Switchboard::Console
