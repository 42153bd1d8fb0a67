#include "server/security/passwordhasher.h"

#include <QPointer>
#include <sodium.h>

namespace Switchboard::Server {

PasswordHasher::PasswordHasher(QObject *parent) : QObject(parent)
{
    // Each hash takes crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB): two at a time bounds memory.
    m_pool.setMaxThreadCount(2);
}

PasswordHasher::~PasswordHasher()
{
    m_pool.waitForDone();
}

QString PasswordHasher::hashNow(const QString &password)
{
    const QByteArray utf8 = password.toUtf8();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, utf8.constData(), quint64(utf8.size()), crypto_pwhash_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_MEMLIMIT_INTERACTIVE)
        != 0)
        return {};
    return QString::fromLatin1(out);
}

bool PasswordHasher::verifyNow(const QString &password, const QString &hash)
{
    const QByteArray utf8 = password.toUtf8();
    const QByteArray h = hash.toLatin1();
    if (h.isEmpty() || h.size() >= crypto_pwhash_STRBYTES)
        return false;
    return crypto_pwhash_str_verify(h.constData(), utf8.constData(), quint64(utf8.size())) == 0;
}

bool PasswordHasher::admit()
{
    if (m_inFlight >= kMaxInFlight)
        return false;
    ++m_inFlight;
    return true;
}

bool PasswordHasher::hash(const QString &password, std::function<void(QString)> done)
{
    if (!admit())
        return false;
    QPointer<PasswordHasher> self(this);
    m_pool.start([self, password, done = std::move(done), this] {
        QString h = hashNow(password);
        QMetaObject::invokeMethod(
            this,
            [self, h, done, this] {
                if (!self)
                    return;
                --m_inFlight;
                done(h);
            },
            Qt::QueuedConnection);
    });
    return true;
}

bool PasswordHasher::verify(const QString &password, const QString &hash, std::function<void(bool)> done)
{
    if (!admit())
        return false;
    QPointer<PasswordHasher> self(this);
    m_pool.start([self, password, hash, done = std::move(done), this] {
        const bool ok = verifyNow(password, hash);
        QMetaObject::invokeMethod(
            this,
            [self, ok, done, this] {
                if (!self)
                    return;
                --m_inFlight;
                done(ok);
            },
            Qt::QueuedConnection);
    });
    return true;
}

} // namespace Switchboard::Server
