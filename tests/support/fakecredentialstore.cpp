#include "tests/support/fakecredentialstore.h"

#include "console/app/credentialjob.h"

using namespace Qt::StringLiterals;
using Switchboard::Console::CredentialJob;

namespace Switchboard::Test {

FakeCredentialStore::FakeCredentialStore(QObject *parent) : CredentialStore(parent)
{ }

CredentialJob *FakeCredentialStore::refused()
{
    auto *job = new CredentialJob(this);
    if (m_mode == Mode::Unavailable)
        job->finish(CredentialJob::Status::Unavailable, {}, u"No keychain backend available (fake)"_s);
    else
        job->finish(CredentialJob::Status::Failed, {}, u"Access denied (fake)"_s);
    return job;
}

CredentialJob *FakeCredentialStore::readSecret(const QString &key)
{
    ++m_reads;
    if (m_mode != Mode::Available)
        return refused();
    auto *job = new CredentialJob(this);
    if (m_secrets.contains(key))
        job->finish(CredentialJob::Status::Ok, m_secrets.value(key));
    else
        job->finish(CredentialJob::Status::NotFound);
    return job;
}

CredentialJob *FakeCredentialStore::writeSecret(const QString &key, const QString &secret)
{
    ++m_writes;
    if (m_mode != Mode::Available)
        return refused();
    m_secrets.insert(key, secret);
    auto *job = new CredentialJob(this);
    job->finish(CredentialJob::Status::Ok);
    return job;
}

CredentialJob *FakeCredentialStore::removeSecret(const QString &key)
{
    if (m_mode != Mode::Available)
        return refused();
    auto *job = new CredentialJob(this);
    job->finish(m_secrets.remove(key) > 0 ? CredentialJob::Status::Ok : CredentialJob::Status::NotFound);
    return job;
}

} // namespace Switchboard::Test
