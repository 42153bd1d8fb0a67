#include "server/services/fileservice.h"

#include <QDateTime>

#include "server/base/serverconfig.h"
#include "server/security/fileurlsigner.h"
#include "server/services/filepolicy.h"
#include "server/storage/filerecordstore.h"
#include "server/storage/filestore.h"
#include "shared/protocol/mediatypes.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

FileService::FileService(FileRecordStore &fileRecords, FileStore &blobs, const FileUrlSigner &signer,
    const ServerConfig &config, QObject *parent)
    : QObject(parent), m_fileRecords(fileRecords), m_blobs(blobs), m_signer(signer), m_config(config)
{ }

qint64 FileService::uploadLimit() const
{
    return m_config.maxUploadBytes;
}

void FileService::upload(const UserInfo &owner, const QByteArray &data, const QString &name, Reply done)
{
    if (data.size() > uploadLimit())
        return done(ProtocolError::make(ErrorCode::TooLarge, u"Upload larger than max_upload_bytes"_s));
    const QString display = FilePolicy::sanitizedFileName(name);
    const QString mime = FilePolicy::detectMime(display, data);
    const qint64 size = data.size();
    const qint64 ownerId = owner.id;
    m_blobs.save(data, [this, done, display, mime, size, ownerId](Result<QString> key) {
        if (!key)
            return done(key.error());
        const FileRecord record {0, ownerId, display, mime, size, key.value(), QDateTime::currentMSecsSinceEpoch()};
        m_fileRecords.createFile(record, [this, done, key = key.value()](Result<FileRecord> r) {
            if (!r) {
                m_blobs.remove(key); // nothing half-written stays behind
                return done(r.error());
            }
            done(QJsonObject {{u"file_id"_s, double(r->id)}, {u"name"_s, r->name}, {u"size"_s, double(r->size)},
                {u"mime"_s, r->mime}, {u"url"_s, m_signer.url(r->id)}});
        });
    });
}

void FileService::downloadSigned(qint64 fileId, const QString &expires, const QString &signature, DownloadDone done)
{
    if (!m_signer.verify(fileId, expires, signature))
        return done(ProtocolError::make(ErrorCode::Forbidden, u"Invalid or expired file link"_s));
    m_fileRecords.file(fileId, [this, done](Result<FileRecord> r) {
        if (!r)
            return done(r.error());
        load(r.value(), done);
    });
}

void FileService::downloadFor(const UserInfo &user, qint64 fileId, DownloadDone done)
{
    m_fileRecords.fileForUser(user.id, fileId, [this, done](Result<FileRecord> r) {
        if (!r)
            return done(r.error());
        load(r.value(), done);
    });
}

void FileService::load(const FileRecord &file, DownloadDone done)
{
    m_blobs.load(file.storageKey, [done, file](Result<QByteArray> data) {
        if (!data)
            return done(data.error());
        done(Download {file, data.value(), MediaTypes::isInlineImage(file.mime)});
    });
}

} // namespace Switchboard::Server
