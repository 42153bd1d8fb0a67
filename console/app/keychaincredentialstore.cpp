#include "console/app/keychaincredentialstore.h"

#include <qt6keychain/keychain.h>

#include "console/app/credentialjob.h"
#include "console/app/logging.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
CredentialJob::Status statusOf(QKeychain::Error error)
{
    switch (error) {
    case QKeychain::NoError:
        return CredentialJob::Status::Ok;
    case QKeychain::EntryNotFound:
        return CredentialJob::Status::NotFound;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
    case QKeychain::OtherError: // e.g. no D-Bus session bus, no Secret Service on it
        return CredentialJob::Status::Unavailable;
    case QKeychain::CouldNotDeleteEntry:
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        return CredentialJob::Status::Failed;
    }
    return CredentialJob::Status::Failed;
}

// Wires a QtKeychain job to a CredentialJob and starts it.
CredentialJob *run(QKeychain::Job *keychainJob, QObject *parent, bool isRead)
{
    auto *job = new CredentialJob(parent);
    keychainJob->setAutoDelete(true);
    keychainJob->setInsecureFallback(false);
    QObject::connect(keychainJob, &QKeychain::Job::finished, job, [job, isRead](QKeychain::Job *done) {
        const CredentialJob::Status status = statusOf(done->error());
        if (status == CredentialJob::Status::Unavailable || status == CredentialJob::Status::Failed)
            qCInfo(lcConsoleKeychain) << "keychain:" << done->errorString();
        QString secret;
        if (isRead && status == CredentialJob::Status::Ok)
            secret = static_cast<QKeychain::ReadPasswordJob *>(done)->textData();
        job->finish(status, secret, done->errorString());
    });
    keychainJob->start();
    return job;
}
} // namespace

KeychainCredentialStore::KeychainCredentialStore(QObject *parent)
    : KeychainCredentialStore(u"switchboard-console"_s, parent)
{ }

KeychainCredentialStore::KeychainCredentialStore(const QString &service, QObject *parent)
    : CredentialStore(parent), m_service(service)
{ }

CredentialJob *KeychainCredentialStore::readSecret(const QString &key)
{
    auto *job = new QKeychain::ReadPasswordJob(m_service);
    job->setKey(key);
    return run(job, this, true);
}

CredentialJob *KeychainCredentialStore::writeSecret(const QString &key, const QString &secret)
{
    auto *job = new QKeychain::WritePasswordJob(m_service);
    job->setKey(key);
    job->setTextData(secret);
    return run(job, this, false);
}

CredentialJob *KeychainCredentialStore::removeSecret(const QString &key)
{
    auto *job = new QKeychain::DeletePasswordJob(m_service);
    job->setKey(key);
    return run(job, this, false);
}

} // namespace Switchboard::Console
