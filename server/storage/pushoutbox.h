#pragma once

#include <QList>
#include <QString>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Offline push (PROTOCOL.md section 11): device registrations and the durable outbox that
// appendMessage fills in the same transaction as the message.
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class PushOutbox
{
public:
    virtual ~PushOutbox();

    virtual void registerPush(qint64 userId, const QString &platform, const QString &token, StorageCallback<Done> done)
        = 0;
    // Claims up to `limit` due notifications, leasing them for `leaseMs` (a crash mid-send makes
    // them due again after the lease).
    virtual void claimPush(int limit, qint64 leaseMs, StorageCallback<QList<PushJob>> done) = 0;
    // Records the outcome of one attempt: delivered, or retry at `retryAt` (0: give up).
    virtual void finishPush(
        qint64 jobId, bool delivered, qint64 retryAt, const QString &error, StorageCallback<Done> done)
        = 0;
    virtual void pushFailures(int limit, StorageCallback<QList<PushJob>> done) = 0;
};

} // namespace Switchboard::Server
