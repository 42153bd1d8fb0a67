#include "server/storage/filestore.h"

#include <QDir>
#include <QFile>
#include <QPointer>
#include <QSaveFile>

#include <sodium.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

FileStore::FileStore(const QString &directory, QObject *parent)
    : QObject(parent), m_directory(QDir(directory).absolutePath())
{
    m_pool.setMaxThreadCount(2);
}

FileStore::~FileStore()
{
    m_pool.waitForDone();
}

bool FileStore::prepare(QString *error)
{
    if (!QDir().mkpath(m_directory)) {
        *error = u"cannot create the file directory %1"_s.arg(m_directory);
        return false;
    }
    // Uploads are readable through the server's access checks only: the directory is the
    // server user's (0700), whatever it was created with.
    if (!QFile::setPermissions(m_directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner)) {
        *error = u"cannot restrict the file directory %1 to its owner"_s.arg(m_directory);
        return false;
    }
    return true;
}

QString FileStore::pathFor(const QString &key) const
{
    if (key.size() != 32)
        return {};
    for (QChar c : key) {
        const char16_t u = c.unicode();
        if (!((u >= '0' && u <= '9') || (u >= 'a' && u <= 'f')))
            return {};
    }
    return m_directory + u'/' + key;
}

void FileStore::save(const QByteArray &data, std::function<void(Result<QString>)> done)
{
    QByteArray random(16, Qt::Uninitialized);
    randombytes_buf(random.data(), size_t(random.size()));
    const QString key = QString::fromLatin1(random.toHex());
    const QString path = pathFor(key);
    QPointer<FileStore> self(this);
    m_pool.start([self, this, data, key, path, done = std::move(done)] {
        QSaveFile file(path);
        bool ok = file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
        ok = ok && file.commit();
        QMetaObject::invokeMethod(
            this,
            [self, ok, key, done] {
                if (!self)
                    return;
                if (!ok)
                    return done(ProtocolError::make(ErrorCode::Unavailable, u"Could not store the file"_s));
                done(key);
            },
            Qt::QueuedConnection);
    });
}

void FileStore::load(const QString &key, std::function<void(Result<QByteArray>)> done)
{
    const QString path = pathFor(key);
    if (path.isEmpty())
        return done(ProtocolError::make(ErrorCode::NotFound, u"File not found"_s));
    QPointer<FileStore> self(this);
    m_pool.start([self, this, path, done = std::move(done)] {
        QFile file(path);
        const bool ok = file.open(QIODevice::ReadOnly);
        const QByteArray data = ok ? file.readAll() : QByteArray();
        QMetaObject::invokeMethod(
            this,
            [self, ok, data, done] {
                if (!self)
                    return;
                if (!ok)
                    return done(ProtocolError::make(ErrorCode::NotFound, u"File not found"_s));
                done(data);
            },
            Qt::QueuedConnection);
    });
}

void FileStore::remove(const QString &key)
{
    const QString path = pathFor(key);
    if (!path.isEmpty())
        QFile::remove(path);
}

} // namespace Switchboard::Server
