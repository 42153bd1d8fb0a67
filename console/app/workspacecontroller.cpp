#include "console/app/workspacecontroller.h"

#include <QJsonArray>
#include <QUrlQuery>

#include "console/app/errortext.h"
#include "console/app/logging.h"
#include "console/app/userdirectory.h"
#include "console/models/agentlistmodel.h"
#include "console/models/conversationlistmodel.h"
#include "console/models/messagelistmodel.h"
#include "shared/client/clientconnection.h"
#include "shared/client/clientsession.h"
#include "shared/client/pendingrequest.h"
#include "shared/client/restclient.h"
#include "shared/protocol/frametypes.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
using Section = ConversationListModel::Section;

QList<ChatMessage> decodeMessages(const QJsonArray &array)
{
    QList<ChatMessage> messages;
    for (const QJsonValue &v : array) {
        if (auto m = JsonCodec::decodeMessage(v.toObject()))
            messages.append(m.value());
    }
    return messages;
}

bool isStaff(const UserInfo &user)
{
    return user.role == u"agent"_s || user.role == u"admin"_s;
}
} // namespace

WorkspaceController::WorkspaceController(ClientSession *session, RestClient *rest, QObject *parent)
    : QObject(parent),
      m_session(session),
      m_rest(rest),
      m_conversations(new ConversationListModel(this)),
      m_directory(new UserDirectory(this)),
      m_agents(new AgentListModel(this))
{
    m_conversations->setNameProvider([this](qint64 id) { return m_directory->displayName(id); });
    m_conversations->setPresenceProvider([this](qint64 id) { return m_directory->status(id); });
    connect(m_directory, &UserDirectory::namesChanged, m_conversations, &ConversationListModel::refreshDecorations);

    m_ackTimer.setSingleShot(true);
    m_ackTimer.setInterval(200);
    connect(&m_ackTimer, &QTimer::timeout, this, &WorkspaceController::flushAcknowledgements);
    m_observeTimer.setInterval(ObservePollMs);
    connect(&m_observeTimer, &QTimer::timeout, this, &WorkspaceController::observeTick);
    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(300);
    connect(&m_refreshTimer, &QTimer::timeout, this, &WorkspaceController::refresh);

    ClientConnection *connection = m_session->connection();
    connect(m_session, &ClientSession::online, this, &WorkspaceController::onOnline);
    connect(connection, &ClientConnection::eventReceived, this, &WorkspaceController::onEvent);
    connect(connection, &ClientConnection::messageReceived, this, &WorkspaceController::onMessage);
    connect(connection, &ClientConnection::receiptReceived, this, &WorkspaceController::onReceipt);
    connect(connection, &ClientConnection::typingReceived, this, &WorkspaceController::onTyping);
    connect(connection, &ClientConnection::presenceReceived, this, &WorkspaceController::onPresence);
    connect(m_session, &ClientSession::messageQueued, this, &WorkspaceController::onMessageQueued);
    connect(m_session, &ClientSession::messageSent, this, &WorkspaceController::onMessageSent);
    connect(m_session, &ClientSession::messageFailed, this, &WorkspaceController::onMessageFailed);

    if (m_session->isOnline())
        onOnline();
}

WorkspaceController::~WorkspaceController() = default;

// --- state ---------------------------------------------------------------------------------

void WorkspaceController::onOnline()
{
    const UserInfo me = m_session->connection()->user();
    if (me.id != m_me.id) {
        // Another account (after a new login): nothing of the previous one applies.
        qDeleteAll(m_messages);
        m_messages.clear();
        m_conversations->clear();
    }
    m_me = me;
    m_directory->addUser(me);
    m_conversations->setCurrentUserId(me.id);
    refresh();
    // Whatever the open conversations missed while we were away.
    for (auto it = m_messages.cbegin(); it != m_messages.cend(); ++it)
        catchUp(it.key());
}

void WorkspaceController::refresh()
{
    if (!m_session->isOnline())
        return;
    ClientConnection *connection = m_session->connection();
    if (isStaff(m_me)) {
        PendingRequest *queue = connection->request(RequestType::SupportQueue);
        connect(queue, &PendingRequest::finished, queue, &QObject::deleteLater);
        connect(queue, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
            QList<ConversationInfo> list;
            QList<qint64> customers;
            const QJsonArray array = data.value(u"conversations"_s).toArray();
            for (const QJsonValue &v : array) {
                if (auto c = JsonCodec::decodeConversation(v.toObject())) {
                    m_directory->markCustomer(c->requesterId);
                    customers.append(c->requesterId);
                    list.append(c.value());
                }
            }
            m_conversations->resetSupportQueue(list);
            queryPresence(customers);
            Q_EMIT refreshed();
        });
    }
    PendingRequest *conversations = connection->conversations();
    connect(conversations, &PendingRequest::finished, conversations, &QObject::deleteLater);
    connect(conversations, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        QList<qint64> people;
        const QJsonArray array = data.value(u"conversations"_s).toArray();
        for (const QJsonValue &v : array) {
            auto c = JsonCodec::decodeConversation(v.toObject());
            if (!c)
                continue;
            if (c->type == u"support"_s) {
                m_directory->markCustomer(c->requesterId);
                // Only chats we hold; the queue covers the rest.
                if (c->agentId != m_me.id || c->supportStatus == u"closed"_s)
                    continue;
            }
            m_conversations->upsert(c.value());
            for (qint64 id : std::as_const(c->participants)) {
                if (id != m_me.id && !people.contains(id))
                    people.append(id);
            }
        }
        queryPresence(people);
        Q_EMIT refreshed();
    });
    PendingRequest *contacts = connection->request(RequestType::Contacts);
    connect(contacts, &PendingRequest::finished, contacts, &QObject::deleteLater);
    connect(contacts, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        const QJsonArray array = data.value(u"contacts"_s).toArray();
        for (const QJsonValue &v : array) {
            const QJsonObject o = v.toObject();
            const qint64 id = qint64(o.value(u"user_id"_s).toDouble());
            m_directory->setDisplayName(id, o.value(u"display_name"_s).toString());
            m_directory->setPresence(id, o.value(u"status"_s).toString(), 0);
        }
    });
    refreshAgents();
}

void WorkspaceController::refreshAgents()
{
    if (!m_rest || m_rest->token().isEmpty())
        return;
    // The contract's only user listing: a search; the empty query lists the first users by name.
    RestReply *reply = m_rest->get(u"/api/v1/users"_s, QUrlQuery {{u"query"_s, QString()}});
    connect(reply, &RestReply::finished, reply, &QObject::deleteLater);
    connect(reply, &RestReply::succeeded, this, [this](const QJsonObject &body) {
        QList<UserInfo> users;
        QList<qint64> staff;
        const QJsonArray array = body.value(u"users"_s).toArray();
        for (const QJsonValue &v : array) {
            if (auto u = JsonCodec::decodeUser(v.toObject())) {
                users.append(u.value());
                m_directory->addUser(u.value());
                if (isStaff(u.value()) && u->id != m_me.id)
                    staff.append(u->id);
            }
        }
        m_agents->setAgents(users, m_me.id);
        queryPresence(staff);
    });
}

void WorkspaceController::queryPresence(const QList<qint64> &userIds)
{
    if (userIds.isEmpty() || !m_session->isOnline())
        return;
    QJsonArray ids;
    for (qint64 id : userIds)
        ids.append(double(id));
    PendingRequest *query = m_session->connection()->request(RequestType::PresenceQuery, {{u"user_ids"_s, ids}});
    connect(query, &PendingRequest::finished, query, &QObject::deleteLater);
    connect(query, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        const QJsonArray array = data.value(u"presence"_s).toArray();
        for (const QJsonValue &v : array) {
            const QJsonObject o = v.toObject();
            onPresence(qint64(o.value(u"user_id"_s).toDouble()), o.value(u"status"_s).toString(),
                qint64(o.value(u"last_seen_at"_s).toDouble()));
        }
    });
}

bool WorkspaceController::isParticipant(qint64 conversationId) const
{
    const Section s = m_conversations->section(conversationId);
    if (!m_conversations->contains(conversationId))
        return m_conversations->conversation(conversationId).participants.contains(m_me.id);
    return s == Section::Mine || s == Section::Direct
        || m_conversations->conversation(conversationId).participants.contains(m_me.id);
}

bool WorkspaceController::isSupport(qint64 conversationId) const
{
    return m_conversations->conversation(conversationId).type == u"support"_s;
}

bool WorkspaceController::canWrite(qint64 conversationId) const
{
    if (!m_conversations->contains(conversationId))
        return false;
    const Section s = m_conversations->section(conversationId);
    return s == Section::Mine || s == Section::Direct;
}

bool WorkspaceController::canClaim(qint64 conversationId) const
{
    return m_conversations->contains(conversationId) && m_conversations->section(conversationId) == Section::Unassigned;
}

bool WorkspaceController::isTyping(qint64 conversationId) const
{
    const QTimer *timer = m_typingTimers.value(conversationId);
    return timer && timer->isActive();
}

// --- events --------------------------------------------------------------------------------

void WorkspaceController::onEvent(const QString &type, const QJsonObject &frame)
{
    if (type != EventType::SupportUpdate)
        return;
    auto update = JsonCodec::decodeSupportUpdate(frame);
    if (!update) {
        qCWarning(lcConsole) << "malformed support_update";
        return;
    }
    applySupportUpdate(update->conversation, true);
}

void WorkspaceController::applySupportUpdate(const ConversationInfo &conversation, bool live)
{
    const qint64 id = conversation.id;
    const bool known = m_conversations->contains(id);
    const Section before = m_conversations->section(id);
    m_directory->markCustomer(conversation.requesterId);
    ConversationInfo merged = conversation;
    if (known) {
        // support_update is the viewer-independent shape: keep our own counters.
        const ConversationInfo old = m_conversations->conversation(id);
        merged.unread = old.unread;
        merged.readSeq = old.readSeq;
        merged.deliveredSeq = old.deliveredSeq;
    }
    m_conversations->upsert(merged);
    const bool present = m_conversations->contains(id);
    const Section after = m_conversations->section(id);
    if (!present) {
        if (known)
            Q_EMIT conversationRemoved(id);
        Q_EMIT conversationChanged(id);
        return;
    }
    if (live && after == Section::Unassigned && (!known || before != Section::Unassigned)) {
        queryPresence({conversation.requesterId});
        Q_EMIT newSupportChat(id);
    }
    if (after == Section::Mine && (!known || before != Section::Mine)) {
        // We are a participant now: live messages come to us; fetch what came before.
        if (m_messages.contains(id))
            catchUp(id);
        Q_EMIT supportChatAssigned(id);
    }
    Q_EMIT conversationChanged(id);
}

void WorkspaceController::onMessage(const ChatMessage &message, bool offline)
{
    const qint64 cid = message.conversationId;
    bool fresh = true;
    if (MessageListModel *model = m_messages.value(cid))
        fresh = model->addMessage(message);
    if (!m_conversations->contains(cid)) {
        // A conversation we do not list yet (a new direct chat, a support chat given to us).
        m_refreshTimer.start();
    } else if (fresh) {
        const bool onScreen = m_active == cid && m_windowActive;
        m_conversations->applyMessage(message, !onScreen);
    }
    acknowledge(cid, message.seq);
    if (message.senderId != m_me.id) {
        if (QTimer *timer = m_typingTimers.value(cid); timer && timer->isActive()) {
            timer->stop();
            m_conversations->setTyping(cid, false);
            Q_EMIT typingChanged(cid, false);
        }
    }
    if (m_active == cid)
        markActiveRead();
    if (fresh && !offline && message.senderId != m_me.id && message.type != u"system"_s)
        Q_EMIT messageArrived(message);
}

void WorkspaceController::onReceipt(qint64 conversationId, qint64 userId, const QString &kind, qint64 seq)
{
    if (MessageListModel *model = m_messages.value(conversationId))
        model->applyReceipt(userId, kind, seq);
}

void WorkspaceController::onTyping(qint64 conversationId, qint64 userId)
{
    if (userId == m_me.id)
        return;
    QTimer *timer = m_typingTimers.value(conversationId);
    if (!timer) {
        timer = new QTimer(this);
        timer->setSingleShot(true);
        timer->setInterval(TypingTimeoutMs);
        connect(timer, &QTimer::timeout, this, [this, conversationId] {
            m_conversations->setTyping(conversationId, false);
            Q_EMIT typingChanged(conversationId, false);
        });
        m_typingTimers.insert(conversationId, timer);
    }
    const bool wasTyping = timer->isActive();
    timer->start();
    if (!wasTyping) {
        m_conversations->setTyping(conversationId, true);
        Q_EMIT typingChanged(conversationId, true);
    }
}

void WorkspaceController::onPresence(qint64 userId, const QString &status, qint64 lastSeenAt)
{
    m_directory->setPresence(userId, status, lastSeenAt);
    m_agents->setPresence(userId, status);
    m_conversations->refreshDecorations();
}

// --- outgoing messages ---------------------------------------------------------------------

QString WorkspaceController::sendText(qint64 conversationId, const QString &text)
{
    if (text.trimmed().isEmpty() || conversationId <= 0)
        return {};
    return m_session->sendText(conversationId, text);
}

void WorkspaceController::onMessageQueued(const OutgoingMessage &message)
{
    if (message.conversationId <= 0)
        return;
    m_outgoing.insert(message.clientMsgId, message.conversationId);
    messages(message.conversationId)->addPending(message);
}

void WorkspaceController::onMessageSent(const QString &clientMsgId, const QJsonObject &data)
{
    const qint64 cid = m_outgoing.take(clientMsgId);
    if (cid <= 0)
        return;
    const qint64 messageId = qint64(data.value(u"message_id"_s).toDouble());
    const qint64 seq = qint64(data.value(u"seq"_s).toDouble());
    const qint64 timestamp = qint64(data.value(u"timestamp"_s).toDouble());
    MessageListModel *model = m_messages.value(cid);
    if (!model)
        return;
    const int row = model->rowOfClientMsgId(clientMsgId);
    ChatMessage sent;
    if (row >= 0) {
        const QModelIndex index = model->index(row);
        sent.content = index.data(Qt::DisplayRole).toString();
    }
    model->markSent(clientMsgId, messageId, seq, timestamp);
    sent.id = messageId;
    sent.conversationId = cid;
    sent.seq = seq;
    sent.senderId = m_me.id;
    sent.type = u"text"_s;
    sent.clientMsgId = clientMsgId;
    sent.createdAt = timestamp;
    m_conversations->applyMessage(sent, false);
}

void WorkspaceController::onMessageFailed(const QString &clientMsgId, const ProtocolError &error)
{
    const qint64 cid = m_outgoing.take(clientMsgId);
    if (MessageListModel *model = m_messages.value(cid))
        model->markFailed(clientMsgId, ErrorText::describe(error));
    fail(error);
}

void WorkspaceController::sendTyping(qint64 conversationId)
{
    if (!m_session->isOnline() || !canWrite(conversationId))
        return;
    PendingRequest *typing = m_session->connection()->sendTyping(conversationId);
    connect(typing, &PendingRequest::finished, typing, &QObject::deleteLater);
}

// --- history -------------------------------------------------------------------------------

MessageListModel *WorkspaceController::messages(qint64 conversationId)
{
    if (MessageListModel *model = m_messages.value(conversationId))
        return model;
    auto *model = new MessageListModel(conversationId, m_me.id, this);
    model->setNameProvider([this](qint64 id) { return m_directory->displayName(id); });
    m_messages.insert(conversationId, model);
    loadNewest(conversationId);
    return model;
}

void WorkspaceController::loadNewest(qint64 conversationId)
{
    if (!m_session->isOnline() || m_loadingNewest.contains(conversationId))
        return;
    m_loadingNewest.insert(conversationId);
    PendingRequest *history = m_session->connection()->history(conversationId, 0, 0, HistoryPageSize);
    connect(history, &PendingRequest::finished, history, &QObject::deleteLater);
    connect(
        history, &PendingRequest::finished, this, [this, conversationId] { m_loadingNewest.remove(conversationId); });
    connect(history, &PendingRequest::succeeded, this, [this, conversationId](const QJsonObject &data) {
        MessageListModel *model = m_messages.value(conversationId);
        if (!model)
            return;
        const QList<ChatMessage> page = decodeMessages(data.value(u"messages"_s).toArray());
        model->addHistory(page, data.value(u"has_more"_s).toBool());
        if (!page.isEmpty()) {
            acknowledge(conversationId, page.last().seq);
            m_conversations->applyMessage(page.last(), false);
        }
        if (m_active == conversationId)
            markActiveRead();
    });
    connect(history, &PendingRequest::failed, this, &WorkspaceController::fail);
}

void WorkspaceController::catchUp(qint64 conversationId)
{
    MessageListModel *model = m_messages.value(conversationId);
    if (!model || !m_session->isOnline())
        return;
    if (!model->isLoaded() || model->newestSeq() == 0) {
        loadNewest(conversationId);
        return;
    }
    if (m_loadingNewest.contains(conversationId))
        return;
    m_loadingNewest.insert(conversationId);
    PendingRequest *history = m_session->connection()->history(conversationId, 0, model->newestSeq(), 100);
    connect(history, &PendingRequest::finished, history, &QObject::deleteLater);
    connect(
        history, &PendingRequest::finished, this, [this, conversationId] { m_loadingNewest.remove(conversationId); });
    connect(history, &PendingRequest::succeeded, this, [this, conversationId](const QJsonObject &data) {
        MessageListModel *model = m_messages.value(conversationId);
        if (!model)
            return;
        const QList<ChatMessage> page = decodeMessages(data.value(u"messages"_s).toArray());
        for (const ChatMessage &m : page)
            onMessage(m, true);
        if (data.value(u"has_more"_s).toBool())
            QMetaObject::invokeMethod(
                this, [this, conversationId] { catchUp(conversationId); }, Qt::QueuedConnection);
    });
}

void WorkspaceController::loadOlder(qint64 conversationId)
{
    MessageListModel *model = m_messages.value(conversationId);
    if (!model || !model->hasMoreBefore() || m_loadingOlder.contains(conversationId) || !m_session->isOnline())
        return;
    m_loadingOlder.insert(conversationId);
    PendingRequest *history = m_session->connection()->history(conversationId, model->oldestSeq(), 0, HistoryPageSize);
    connect(history, &PendingRequest::finished, history, &QObject::deleteLater);
    connect(
        history, &PendingRequest::finished, this, [this, conversationId] { m_loadingOlder.remove(conversationId); });
    connect(history, &PendingRequest::succeeded, this, [this, conversationId](const QJsonObject &data) {
        if (MessageListModel *model = m_messages.value(conversationId))
            model->addHistory(decodeMessages(data.value(u"messages"_s).toArray()), data.value(u"has_more"_s).toBool());
    });
    connect(history, &PendingRequest::failed, this, &WorkspaceController::fail);
}

void WorkspaceController::observeTick()
{
    // Agents receive no live messages of support chats they do not hold: poll the one on screen.
    if (m_active > 0 && isSupport(m_active) && !isParticipant(m_active))
        catchUp(m_active);
}

// --- reading -------------------------------------------------------------------------------

void WorkspaceController::setActiveConversation(qint64 conversationId)
{
    m_active = conversationId;
    if (conversationId > 0) {
        messages(conversationId);
        markActiveRead();
        m_observeTimer.start();
    } else {
        m_observeTimer.stop();
    }
}

void WorkspaceController::setWindowActive(bool active)
{
    m_windowActive = active;
    if (active)
        markActiveRead();
}

void WorkspaceController::acknowledge(qint64 conversationId, qint64 seq)
{
    if (seq <= 0 || !isParticipant(conversationId))
        return;
    if (m_pendingAcks.value(conversationId) < seq) {
        m_pendingAcks.insert(conversationId, seq);
        if (!m_ackTimer.isActive())
            m_ackTimer.start();
    }
}

void WorkspaceController::flushAcknowledgements()
{
    if (!m_session->isOnline())
        return; // redone after the reconnect (offline delivery pushes them again)
    for (auto it = m_pendingAcks.cbegin(); it != m_pendingAcks.cend(); ++it) {
        PendingRequest *ack = m_session->connection()->markReceived(it.key(), it.value());
        connect(ack, &PendingRequest::finished, ack, &QObject::deleteLater);
    }
    m_pendingAcks.clear();
}

void WorkspaceController::markActiveRead()
{
    if (!m_windowActive || m_active <= 0)
        return;
    m_conversations->setUnread(m_active, 0);
    if (!isParticipant(m_active) || !m_session->isOnline())
        return;
    MessageListModel *model = m_messages.value(m_active);
    const qint64 newest = model ? model->newestSeq() : 0;
    if (newest <= m_readSent.value(m_active))
        return;
    m_readSent.insert(m_active, newest);
    PendingRequest *read = m_session->connection()->markRead(m_active, newest);
    connect(read, &PendingRequest::finished, read, &QObject::deleteLater);
}

// --- support actions -----------------------------------------------------------------------

void WorkspaceController::claim(qint64 conversationId)
{
    PendingRequest *claim
        = m_session->connection()->request(RequestType::SupportClaim, {{u"conversation_id"_s, double(conversationId)}});
    connect(claim, &PendingRequest::finished, claim, &QObject::deleteLater);
    connect(claim, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        if (auto c = JsonCodec::decodeConversation(data.value(u"conversation"_s).toObject()))
            applySupportUpdate(c.value(), false);
    });
    connect(claim, &PendingRequest::failed, this, [this, conversationId](const ProtocolError &error) {
        fail(error);
        if (error.code == ErrorCode::Conflict || error.code == ErrorCode::NotFound)
            refresh();
        Q_EMIT conversationChanged(conversationId);
    });
}

void WorkspaceController::transfer(qint64 conversationId, qint64 agentId)
{
    PendingRequest *transfer = m_session->connection()->request(
        u"support_transfer"_s, {{u"conversation_id"_s, double(conversationId)}, {u"agent_id"_s, double(agentId)}});
    connect(transfer, &PendingRequest::finished, transfer, &QObject::deleteLater);
    connect(transfer, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        if (auto c = JsonCodec::decodeConversation(data.value(u"conversation"_s).toObject()))
            applySupportUpdate(c.value(), false);
    });
    connect(transfer, &PendingRequest::failed, this, &WorkspaceController::fail);
}

void WorkspaceController::close(qint64 conversationId)
{
    PendingRequest *close
        = m_session->connection()->request(RequestType::SupportClose, {{u"conversation_id"_s, double(conversationId)}});
    connect(close, &PendingRequest::finished, close, &QObject::deleteLater);
    connect(close, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        if (auto c = JsonCodec::decodeConversation(data.value(u"conversation"_s).toObject()))
            applySupportUpdate(c.value(), false);
    });
    connect(close, &PendingRequest::failed, this, &WorkspaceController::fail);
}

void WorkspaceController::fail(const ProtocolError &error)
{
    qCInfo(lcConsole) << "request failed:" << toString(error.code) << error.message;
    Q_EMIT actionFailed(ErrorText::describe(error));
}

} // namespace Switchboard::Console
