#pragma once

#include <QHash>
#include <QString>

#include "console/app/credentialstore.h"

namespace Switchboard::Test {

// An in-memory CredentialStore for console tests: no keychain, D-Bus or display needed. In
// Unavailable mode it behaves like a system without a keychain (every job finishes with
// CredentialJob::Status::Unavailable), in Failing mode like a keychain that refuses access.
class FakeCredentialStore final : public Console::CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FakeCredentialStore)

public:
    enum class Mode { Available, Unavailable, Failing };

    explicit FakeCredentialStore(QObject *parent = nullptr);

    Mode mode() const { return m_mode; }
    void setMode(Mode mode) { m_mode = mode; }

    Console::CredentialJob *readSecret(const QString &key) override;
    Console::CredentialJob *writeSecret(const QString &key, const QString &secret) override;
    Console::CredentialJob *removeSecret(const QString &key) override;

    QHash<QString, QString> secrets() const { return m_secrets; }
    void setSecret(const QString &key, const QString &secret) { m_secrets.insert(key, secret); }
    int writeCount() const { return m_writes; }
    int readCount() const { return m_reads; }

private:
    Console::CredentialJob *refused();

    Mode m_mode = Mode::Available;
    QHash<QString, QString> m_secrets;
    int m_writes = 0;
    int m_reads = 0;
};

} // namespace Switchboard::Test
