#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <functional>
#include <optional>

#include "shared/protocol/chatmessage.h"
#include "shared/protocol/conversationinfo.h"
#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

// The callback of every storage operation: runs on the caller's thread after the commit.
template<typename T> using StorageCallback = std::function<void(Result<T>)>;

struct StoredUser
{
    UserInfo info;
    QString passwordHash; // empty for guests
    qint64 tokenVersion = 0; // tokens carry it; bumping it revokes every token issued before
};

// An account as authentication sees it: the user and the token version tokens must carry.
struct Account
{
    UserInfo user;
    qint64 tokenVersion = 0;
};

struct NewUser
{
    QString username;
    QString displayName;
    QString role;
    QString passwordHash;
};

// A send, already validated by the chat service. Exactly one of toUserId / conversationId is set.
struct AppendRequest
{
    qint64 senderId = 0;
    std::optional<qint64> toUserId;
    std::optional<qint64> conversationId;
    QString type;
    QString content;
    QJsonObject attachment;
    QString clientMsgId; // empty: no dedup
    qint64 fileId = 0; // image/file messages: the upload to attach (0 = none)
    qint64 now = 0; // ms since the epoch
};

struct AppendResult
{
    ChatMessage message;
    bool duplicate = false;
    QList<qint64> participants;
    QString conversationType; // private, group, support
    int pushQueued = 0; // notifications put into the outbox in the same transaction
};

struct HistoryQuery
{
    qint64 userId = 0;
    qint64 conversationId = 0;
    std::optional<qint64> beforeSeq;
    std::optional<qint64> afterSeq;
    int limit = 50;
};

struct HistoryPage
{
    QList<ChatMessage> messages;
    bool hasMore = false;
};

struct WatermarkUpdate
{
    qint64 userId = 0;
    qint64 conversationId = 0;
    qint64 seq = 0;
    bool read = false; // read implies received
};

struct WatermarkResult
{
    qint64 deliveredSeq = 0;
    qint64 readSeq = 0;
    bool deliveredChanged = false;
    bool readChanged = false;
    QList<qint64> participants;
};

struct PendingMessages
{
    QList<ChatMessage> messages;
    bool hasMore = false;
};

// What a freshly authenticated connection needs: the user and what it missed.
struct SessionOpening
{
    UserInfo user;
    qint64 tokenVersion = 0;
    PendingMessages pending;
};

struct GroupCreate
{
    qint64 ownerId = 0;
    QString title;
    QList<qint64> members; // without the owner, deduplicated
    qint64 now = 0;
};

// conversation_add / conversation_remove / conversation_leave.
struct MembershipChange
{
    enum class Kind { Add, Remove, Leave };
    Kind kind = Kind::Add;
    qint64 actorId = 0;
    bool actorIsAdmin = false;
    qint64 conversationId = 0;
    qint64 userId = 0; // the member added or removed (the actor for Leave)
    int maxMembers = 500;
    qint64 now = 0;
};

struct MembershipResult
{
    std::optional<ChatMessage> systemMessage; // none when nothing changed
    QList<qint64> notify; // who gets the system message live
};

// support_claim (claim=true: conflict if another agent holds it) and support_transfer.
struct SupportAssignment
{
    qint64 conversationId = 0;
    qint64 agentId = 0;
    bool claim = true;
    qint64 now = 0;
    // A transfer only: the agent who must hold the chat right now (0: anybody, for admins).
    qint64 requiredHolder = 0;
};

struct FileRecord
{
    qint64 id = 0;
    qint64 ownerId = 0;
    QString name;
    QString mime;
    qint64 size = 0;
    QString storageKey; // file name inside the server's file directory
    qint64 createdAt = 0;
};

// One notification in the durable outbox.
struct PushJob
{
    qint64 id = 0;
    qint64 userId = 0;
    QString platform; // "webhook" or "fcm"
    QString token;
    QByteArray payload; // JSON object
    int attempts = 0;
    QString lastError;
    QString status; // pending, sent, failed
    qint64 updatedAt = 0;
};

struct ContactInfo
{
    qint64 userId = 0;
    QString displayName;
};

} // namespace Switchboard::Server
