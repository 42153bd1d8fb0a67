#pragma once

#include <QAbstractListModel>
#include <QList>
#include <functional>

#include "shared/client/metatypes.h"
#include "shared/client/outgoingmessage.h"
#include "shared/protocol/chatmessage.h"

namespace Switchboard::Console {

// The messages of one conversation, oldest first: stored messages in seq order (history pages
// prepended, live ones inserted by seq, repeats dropped by id), then the current user's messages
// that the server has not acknowledged yet. Outgoing messages carry a delivery state for the
// ticks: queued (clock), sent (one tick), delivered (two), read (two, highlighted), failed.
// No networking: the WorkspaceController feeds it.
class MessageListModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MessageListModel)

public:
    enum class DeliveryState { Incoming, Queued, Sent, Delivered, Read, Failed };
    Q_ENUM(DeliveryState)

    enum Roles {
        MessageIdRole = Qt::UserRole + 1,
        SeqRole,
        SenderIdRole,
        SenderNameRole,
        TypeRole, // text, image, file, system
        CreatedAtRole,
        OutgoingRole,
        DeliveryStateRole, // int(DeliveryState)
        ClientMsgIdRole,
        ErrorRole,
        AttachmentNameRole,
    };
    Q_ENUM(Roles)

    using NameProvider = std::function<QString(qint64 userId)>;

    MessageListModel(qint64 conversationId, qint64 currentUserId, QObject *parent = nullptr);

    qint64 conversationId() const { return m_conversationId; }
    qint64 currentUserId() const { return m_currentUserId; }
    void setNameProvider(NameProvider provider) { m_names = std::move(provider); }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // A history page (ascending); older pages go to the top. hasMoreBefore comes from the newest-
    // first pages (the initial one and every "older" page).
    void addHistory(const QList<ChatMessage> &page, std::optional<bool> hasMoreBefore = std::nullopt);
    // A live or offline message. Returns false when it was already there.
    bool addMessage(const ChatMessage &message);
    // The current user typed a message; it stays at the bottom as Queued until acknowledged.
    void addPending(const OutgoingMessage &message);
    // The server stored it: the pending row becomes a normal message at its seq.
    void markSent(const QString &clientMsgId, qint64 messageId, qint64 seq, qint64 createdAt);
    void markFailed(const QString &clientMsgId, const QString &error);
    // A receipt of another participant; ticks of outgoing messages up to seq move forward.
    void applyReceipt(qint64 userId, const QString &kind, qint64 seq);

    bool isLoaded() const { return m_loaded; }
    bool hasMoreBefore() const { return m_hasMoreBefore; }
    // Smallest and largest stored seq; 0 when there is none.
    qint64 oldestSeq() const;
    qint64 newestSeq() const;
    qint64 peerDeliveredSeq() const { return m_peerDelivered; }
    qint64 peerReadSeq() const { return m_peerRead; }
    int pendingCount() const;
    // The newest stored message from someone else; nullptr-like (id 0) when none.
    ChatMessage lastIncoming() const;
    int rowOfClientMsgId(const QString &clientMsgId) const;
    int rowOfMessageId(qint64 messageId) const;

Q_SIGNALS:
    // Rows were prepended (older history): views keep their scroll position with it.
    void olderMessagesInserted(int count);

private:
    struct Item
    {
        ChatMessage message;
        DeliveryState state = DeliveryState::Incoming;
        QString error;
    };

    DeliveryState stateFor(const ChatMessage &message) const;
    int insertionRow(qint64 seq) const;
    void insertItem(const Item &item);

    qint64 m_conversationId = 0;
    qint64 m_currentUserId = 0;
    NameProvider m_names;
    QList<Item> m_items;
    bool m_loaded = false;
    bool m_hasMoreBefore = false;
    qint64 m_peerDelivered = 0;
    qint64 m_peerRead = 0;
};

} // namespace Switchboard::Console
