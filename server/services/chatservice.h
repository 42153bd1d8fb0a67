#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <functional>

#include "server/services/sendfields.h"
#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"
#include "shared/protocol/sendreceipt.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class BurstBudget;

class Session;
class FileUrlSigner;
class SessionRegistry;
class MessageStore;
struct ServerConfig;
struct ServerMetrics;

// Chat rules shared by the WebSocket and HTTP frontends: validation, persistence through MessageStore,
// fan-out to every online connection of every participant, receipts, typing, history. Requests
// come in as JSON objects (a WebSocket frame or an HTTP body) and answers leave as the `data`
// object of a reply, so both transports behave identically.
class ChatService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChatService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;
    // Sends answer with the receipt itself: the WebSocket reply is written from it directly
    // (JsonCodec::serializeSendReply), HTTP encodes it (JsonCodec::encode).
    using SendDone = std::function<void(Result<SendReceipt>)>;

    ChatService(MessageStore &messages, SessionRegistry &registry, ServerMetrics &metrics, const ServerConfig &config,
        const FileUrlSigner &signer, QObject *parent = nullptr);

    // `origin` is the sending connection (it gets the reply, not the event); null for HTTP.
    void send(const UserInfo &caller, Session *origin, const QJsonObject &fields, SendDone done);
    // The same with fields already type-checked (RequestRouter reads common frames straight into
    // SendFields, see MessageFrameParser).
    void send(const UserInfo &caller, Session *origin, const SendFields &fields, SendDone done);
    // Type checks of a `message` request's fields: bad_request for the first malformed one.
    static Result<SendFields> sendFields(const QJsonObject &fields);
    void history(const UserInfo &caller, const QJsonObject &fields, Reply done);
    void conversations(const UserInfo &caller, Reply done);
    void conversation(const UserInfo &caller, qint64 conversationId, Reply done);
    void markWatermark(const UserInfo &caller, const QJsonObject &fields, bool read, Reply done);
    void typing(const UserInfo &caller, const QJsonObject &fields, Reply done);

    // The frames that follow a successful auth: every pending message, then sync_complete.
    // The offline batch after authentication: as many of `pending` as fit `budget` (the rest
    // stays above the watermark, and `has_more` tells the client to page it), then sync_complete.
    QList<QByteArray> offlineFrames(const PendingMessages &pending, BurstBudget &budget) const;
    // The message as clients see it: a file attachment carries a fresh signed, expiring URL.
    ChatMessage withFileUrl(const ChatMessage &message) const;
    // The conversation as clients get it: its last message with a signed file URL.
    ConversationInfo withFileUrls(const ConversationInfo &conversation) const;
    QJsonObject encode(const ChatMessage &message) const;
    QJsonObject encode(const ConversationInfo &conversation) const;
    static constexpr int kOfflineBatch = 1000;

    // new_message to every online connection of `participants` except `origin`.
    void deliver(const ChatMessage &message, const QList<qint64> &participants, Session *origin);
    // A support chat nobody holds yet: every online agent and admin sees its messages live, so an
    // unanswered user is never waiting on a queue someone has to poll.
    void deliverToStaff(const ChatMessage &message, const QList<qint64> &participants, Session *origin);

Q_SIGNALS:
    // A committed message put offline-push notifications into the outbox.
    void pushQueued();

private:
    void sendToUsers(const QList<qint64> &users, qint64 exceptUser, const QByteArray &frame);

    MessageStore &m_messages;
    SessionRegistry &m_registry;
    ServerMetrics &m_metrics;
    const ServerConfig &m_config;
    const FileUrlSigner &m_signer;
};

} // namespace Switchboard::Server
