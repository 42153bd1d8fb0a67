#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <functional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard::Server {

class FileStore;
class FileUrlSigner;
class FileRecordStore;
struct ServerConfig;

// Uploads and downloads (PROTOCOL.md section 8): the size limit, the name and type the server
// believes, who may fetch a file (its uploader, a participant of a conversation it was sent in,
// or the holder of a signed link), and how it is served. The HTTP layer only moves bytes.
class FileService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;
    struct Download
    {
        FileRecord file;
        QByteArray data;
        bool inlineDisplay = false; // only plain images render inline; everything else downloads
    };
    using DownloadDone = std::function<void(Result<Download>)>;

    FileService(FileRecordStore &fileRecords, FileStore &blobs, const FileUrlSigner &signer, const ServerConfig &config,
        QObject *parent = nullptr);

    qint64 uploadLimit() const;
    // Stores `data` under a server-chosen key and records it; nothing half-written stays behind.
    void upload(const UserInfo &owner, const QByteArray &data, const QString &name, Reply done);
    // With a signed link: no account needed, but the signature and its expiry must hold.
    void downloadSigned(qint64 fileId, const QString &expires, const QString &signature, DownloadDone done);
    void downloadFor(const UserInfo &user, qint64 fileId, DownloadDone done);

private:
    void load(const FileRecord &file, DownloadDone done);

    FileRecordStore &m_fileRecords;
    FileStore &m_blobs;
    const FileUrlSigner &m_signer;
    const ServerConfig &m_config;
};

} // namespace Switchboard::Server
