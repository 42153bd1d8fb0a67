#pragma once

#include <QList>
#include <QString>

#include "server/storage/storagetypes.h"
#include "shared/protocol/chatmessage.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;
class SqlUsers;

// Tables push_registrations and push_outbox: devices and the durable notification outbox.
class SqlPushOutbox
{
public:
    SqlPushOutbox(SqlContext &sql, SqlUsers &users);

    // Outbox rows for every participant the rules want notified who has a push registration;
    // runs inside the transaction of the message.
    Result<int> queuePush(const ChatMessage &message, const QList<qint64> &participants);
    Result<Done> registerPush(qint64 userId, const QString &platform, const QString &token, qint64 now);
    Result<QList<PushJob>> claimPush(int limit, qint64 leaseMs, qint64 now);
    Result<Done> finishPush(qint64 jobId, bool delivered, qint64 retryAt, const QString &error, qint64 now);
    Result<QList<PushJob>> pushFailures(int limit);

private:
    SqlContext &m_sql;
    SqlUsers &m_users;
};

} // namespace Switchboard::Server
