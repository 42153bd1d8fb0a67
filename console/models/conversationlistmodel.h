#pragma once

#include <QAbstractListModel>
#include <QList>
#include <functional>

#include "shared/client/metatypes.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/conversationinfo.h"

namespace Switchboard::Console {

// Every conversation the console shows in its lists: open support chats (unassigned, mine,
// held by other agents) and direct chats (private and group). One flat list; the workspace
// filters it by SectionRole and sorts it with QSortFilterProxyModels. No networking: the
// WorkspaceController feeds it.
class ConversationListModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConversationListModel)

public:
    enum class Section { Unassigned, Mine, OtherAgents, Direct };
    Q_ENUM(Section)

    enum Roles {
        ConversationIdRole = Qt::UserRole + 1,
        KindRole, // "support", "private", "group"
        SectionRole, // int(Section)
        SupportStatusRole, // "open", "assigned"
        AgentIdRole,
        CounterpartIdRole, // the customer of a support chat, the other user of a private chat
        TopicRole, // support topic / group title (may be empty)
        UnreadRole,
        LastMessageRole, // text of the last message (one line)
        LastActivityRole, // ms since the epoch: last message, else creation
        CreatedAtRole,
        WaitingSinceRole, // ms since the epoch the customer has been waiting for an answer; 0 = not waiting
        PresenceRole, // presence of the counterpart: "online", "away", "offline", ""
        TypingRole, // bool: the counterpart is typing
    };
    Q_ENUM(Roles)

    using NameProvider = std::function<QString(qint64 userId)>;
    using PresenceProvider = std::function<QString(qint64 userId)>;

    explicit ConversationListModel(QObject *parent = nullptr);

    void setCurrentUserId(qint64 userId);
    qint64 currentUserId() const { return m_currentUserId; }
    void setNameProvider(NameProvider provider) { m_names = std::move(provider); }
    void setPresenceProvider(PresenceProvider provider) { m_presence = std::move(provider); }
    // Names or presence changed: repaint.
    void refreshDecorations();

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Adds or updates one conversation. Closed support chats are removed.
    void upsert(const ConversationInfo &conversation);
    // Replaces every support conversation with the open ones of a fresh support_queue.
    void resetSupportQueue(const QList<ConversationInfo> &queue);
    void remove(qint64 conversationId);
    void clear();

    bool contains(qint64 conversationId) const { return indexOf(conversationId) >= 0; }
    int indexOf(qint64 conversationId) const;
    QModelIndex modelIndex(qint64 conversationId) const;
    ConversationInfo conversation(qint64 conversationId) const;
    Section section(qint64 conversationId) const;
    QString title(qint64 conversationId) const;
    qint64 counterpartId(qint64 conversationId) const;

    // A new message: last message, unread (when countUnread) and who is waiting for whom.
    void applyMessage(const ChatMessage &message, bool countUnread);
    void setUnread(qint64 conversationId, qint64 unread);
    void setTyping(qint64 conversationId, bool typing);

    int unassignedCount() const;
    int unreadTotal() const;
    // Creation time of the oldest unassigned chat, 0 when there is none.
    qint64 oldestUnassignedAt() const;

Q_SIGNALS:
    void unassignedCountChanged(int count);
    void unreadTotalChanged(int total);

private:
    struct Item
    {
        ConversationInfo info;
        qint64 waitingSince = 0;
        bool typing = false;
    };

    Section sectionOf(const Item &item) const;
    QString titleOf(const Item &item) const;
    qint64 counterpartOf(const Item &item) const;
    void emitCounters();
    void rowChanged(int row);

    QList<Item> m_items;
    qint64 m_currentUserId = 0;
    NameProvider m_names;
    PresenceProvider m_presence;
    int m_lastUnassigned = -1;
    int m_lastUnread = -1;
};

} // namespace Switchboard::Console
