#pragma once

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;

// Table files: the records of uploads and who may reach them.
class SqlFiles
{
public:
    explicit SqlFiles(SqlContext &sql);

    Result<FileRecord> createFile(const FileRecord &file);
    Result<FileRecord> file(qint64 fileId);
    // The file if the user uploaded it or takes part in a conversation where it was sent.
    Result<FileRecord> fileForUser(qint64 userId, qint64 fileId);

private:
    SqlContext &m_sql;
};

} // namespace Switchboard::Server
