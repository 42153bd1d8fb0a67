#pragma once

#include "server/storage/filerecordstore.h"
#include "tests/services/scriptedcall.h"

namespace Switchboard::Tests {

using namespace Switchboard::Server;

// Test double of FileRecordStore: every operation is a ScriptedCall the test scripts and inspects.
class FakeFileRecordStore final : public FileRecordStore
{
public:
    ScriptedCall<FileRecord, FileRecord> createFileCall;
    ScriptedCall<FileRecord, qint64, qint64> fileForUserCall;
    ScriptedCall<FileRecord, qint64> fileCall;

    void createFile(const FileRecord &file, StorageCallback<FileRecord> done) override { createFileCall(done, file); }
    void fileForUser(qint64 userId, qint64 fileId, StorageCallback<FileRecord> done) override
    {
        fileForUserCall(done, userId, fileId);
    }
    void file(qint64 fileId, StorageCallback<FileRecord> done) override { fileCall(done, fileId); }
};

} // namespace Switchboard::Tests
