#pragma once

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

// The records of uploaded files (table files, PROTOCOL.md section 8); the bytes are FileStore's.
// Every operation is asynchronous: it is queued to the storage thread and its callback runs later
// on the thread that called start() (the event loop), after the transaction that carried it has
// committed. Errors come back as ProtocolError with the wire code (not_found, forbidden, conflict,
// unavailable) so services can pass them on unchanged.
class FileRecordStore
{
public:
    virtual ~FileRecordStore();

    virtual void createFile(const FileRecord &file, StorageCallback<FileRecord> done) = 0;
    // The file if the user uploaded it or takes part in a conversation where it was sent
    // (not_found / forbidden otherwise).
    virtual void fileForUser(qint64 userId, qint64 fileId, StorageCallback<FileRecord> done) = 0;
    virtual void file(qint64 fileId, StorageCallback<FileRecord> done) = 0;
};

} // namespace Switchboard::Server
