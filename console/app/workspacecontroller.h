#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include "shared/client/metatypes.h"
#include "shared/client/outgoingmessage.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/conversationinfo.h"
#include "shared/protocol/protocolerror.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard {
class ClientSession;
class RestClient;
} // namespace Switchboard

namespace Switchboard::Console {

class AgentListModel;
class ConversationListModel;
class MessageListModel;
class UserDirectory;

// The agent workspace's logic, without widgets: keeps the conversation list, the messages of the
// conversations that were opened, names and presence up to date from the session's events, and
// turns the operator's actions (send, claim, transfer, close, typing, reading) into requests.
// After every (re)connect it refreshes the support queue and the conversation list and fetches
// whatever the open conversations missed while offline.
class WorkspaceController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkspaceController)

public:
    static constexpr int HistoryPageSize = 50;
    static constexpr int TypingTimeoutMs = 5000;
    static constexpr int ObservePollMs = 2000;

    WorkspaceController(ClientSession *session, RestClient *rest, QObject *parent = nullptr);
    ~WorkspaceController() override;

    ClientSession *session() const { return m_session; }
    ConversationListModel *conversations() const { return m_conversations; }
    UserDirectory *directory() const { return m_directory; }
    AgentListModel *agents() const { return m_agents; }
    UserInfo currentUser() const { return m_me; }

    // The messages of a conversation; created and loaded (newest page) on first use.
    MessageListModel *messages(qint64 conversationId);
    void loadOlder(qint64 conversationId);
    bool isLoadingOlder(qint64 conversationId) const { return m_loadingOlder.contains(conversationId); }

    // The conversation on screen and whether the window has focus: together they decide what is
    // read and what counts as unread.
    void setActiveConversation(qint64 conversationId);
    qint64 activeConversation() const { return m_active; }
    void setWindowActive(bool active);

    // True when the operator may write: a direct chat, or a support chat they hold.
    bool canWrite(qint64 conversationId) const;
    bool canClaim(qint64 conversationId) const;
    bool isSupport(qint64 conversationId) const;

    // Queued in the session's outbox (sent after a reconnect if need be). Returns client_msg_id.
    QString sendText(qint64 conversationId, const QString &text);
    void sendTyping(qint64 conversationId);
    void claim(qint64 conversationId);
    void transfer(qint64 conversationId, qint64 agentId);
    void close(qint64 conversationId);
    // Reloads staff (for transfers) and their presence.
    void refreshAgents();
    // support_queue + conversations (+ names); also run after every (re)connect.
    void refresh();
    // The other user in a conversation is typing (within the last TypingTimeoutMs).
    bool isTyping(qint64 conversationId) const;

Q_SIGNALS:
    // A support chat nobody holds appeared while we were online.
    void newSupportChat(qint64 conversationId);
    // A support chat was given to the current operator (claim, transfer, auto-assign).
    void supportChatAssigned(qint64 conversationId);
    // A live message from someone else.
    void messageArrived(const Switchboard::ChatMessage &message);
    void typingChanged(qint64 conversationId, bool typing);
    // Status, agent or participants of a conversation changed.
    void conversationChanged(qint64 conversationId);
    // A support chat left the lists (closed, or held by someone else for an agent).
    void conversationRemoved(qint64 conversationId);
    // An action failed; text is translated.
    void actionFailed(const QString &text);
    void refreshed();

private:
    void onOnline();
    void onEvent(const QString &type, const QJsonObject &frame);
    void onMessage(const ChatMessage &message, bool offline);
    void onReceipt(qint64 conversationId, qint64 userId, const QString &kind, qint64 seq);
    void onTyping(qint64 conversationId, qint64 userId);
    void onPresence(qint64 userId, const QString &status, qint64 lastSeenAt);
    void onMessageQueued(const OutgoingMessage &message);
    void onMessageSent(const QString &clientMsgId, const QJsonObject &data);
    void onMessageFailed(const QString &clientMsgId, const ProtocolError &error);
    void applySupportUpdate(const ConversationInfo &conversation, bool live);
    void loadNewest(qint64 conversationId);
    void catchUp(qint64 conversationId);
    void acknowledge(qint64 conversationId, qint64 seq);
    void flushAcknowledgements();
    void markActiveRead();
    void queryPresence(const QList<qint64> &userIds);
    void fail(const ProtocolError &error);
    bool isParticipant(qint64 conversationId) const;
    void observeTick();

    ClientSession *m_session = nullptr;
    RestClient *m_rest = nullptr;
    ConversationListModel *m_conversations = nullptr;
    UserDirectory *m_directory = nullptr;
    AgentListModel *m_agents = nullptr;
    QHash<qint64, MessageListModel *> m_messages;
    QHash<QString, qint64> m_outgoing; // client_msg_id -> conversation
    QSet<qint64> m_loadingOlder;
    QSet<qint64> m_loadingNewest;
    QHash<qint64, qint64> m_pendingAcks; // conversation -> seq to acknowledge as received
    QHash<qint64, qint64> m_readSent; // conversation -> last seq marked read
    QHash<qint64, QTimer *> m_typingTimers;
    QTimer m_ackTimer;
    QTimer m_observeTimer;
    QTimer m_refreshTimer;
    UserInfo m_me;
    qint64 m_active = 0;
    bool m_windowActive = true;
};

} // namespace Switchboard::Console
