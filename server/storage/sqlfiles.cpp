#include "server/storage/sqlfiles.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlFiles::SqlFiles(SqlContext &sql) : m_sql(sql)
{ }

namespace {
FileRecord readFile(const QSqlQuery &q)
{
    FileRecord f;
    f.id = q.value(0).toLongLong();
    f.ownerId = q.value(1).toLongLong();
    f.name = q.value(2).toString();
    f.mime = q.value(3).toString();
    f.size = q.value(4).toLongLong();
    f.storageKey = q.value(5).toString();
    f.createdAt = q.value(6).toLongLong();
    return f;
}
} // namespace

Result<FileRecord> SqlFiles::createFile(const FileRecord &f)
{
    QSqlQuery *q
        = m_sql.run(u"INSERT INTO files (owner_id, name, mime, size, storage_key, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                    " RETURNING id"_s,
            {f.ownerId, f.name, f.mime, f.size, f.storageKey, f.createdAt});
    if (!q || !q->next())
        return m_sql.storageError();
    FileRecord out = f;
    out.id = q->value(0).toLongLong();
    return out;
}

Result<FileRecord> SqlFiles::file(qint64 fileId)
{
    QSqlQuery *q = m_sql.run(
        u"SELECT id, owner_id, name, mime, size, storage_key, created_at FROM files WHERE id = ?"_s, {fileId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return notFound(u"File not found"_s);
    return readFile(*q);
}

Result<FileRecord> SqlFiles::fileForUser(qint64 userId, qint64 fileId)
{
    auto f = file(fileId);
    if (!f)
        return f.error();
    if (f->ownerId == userId)
        return f;
    QSqlQuery *q = m_sql.run(u"SELECT 1 FROM messages m JOIN participants p ON p.conversation_id = m.conversation_id"
                             " WHERE m.file_id = ? AND p.user_id = ? LIMIT 1"_s,
        {fileId, userId});
    if (!q)
        return m_sql.storageError();
    if (!q->next())
        return ProtocolError::make(ErrorCode::Forbidden, u"You have no access to this file"_s);
    return f;
}

} // namespace Switchboard::Server
