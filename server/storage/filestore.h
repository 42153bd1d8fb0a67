#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <functional>

#include "shared/protocol/result.h"

namespace Switchboard::Server {

// Uploaded bytes in a local directory. Files are named by a random key the server chooses (never a
// client-supplied name), written atomically (temporary file + rename), and read and written on a
// small thread pool so the event loop never waits on the disk.
class FileStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FileStore)

public:
    explicit FileStore(const QString &directory, QObject *parent = nullptr);
    ~FileStore() override;

    bool prepare(QString *error);
    const QString &directory() const { return m_directory; }

    void save(const QByteArray &data, std::function<void(Result<QString> key)> done);
    void load(const QString &key, std::function<void(Result<QByteArray> data)> done);
    void remove(const QString &key);

    // The path of a key, or empty when the key is not one the store could have made.
    QString pathFor(const QString &key) const;

private:
    QString m_directory;
    QThreadPool m_pool;
};

} // namespace Switchboard::Server
