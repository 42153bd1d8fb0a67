#pragma once

#include <QString>

#include "console/app/credentialstore.h"

namespace Switchboard::Console {

// CredentialStore over QtKeychain (Secret Service / KWallet on Linux, Keychain on macOS,
// Credential Manager on Windows). QtKeychain's insecure plaintext fallback stays off. Errors that
// mean "there is no keychain here" (no backend, not implemented, D-Bus unreachable) become
// CredentialJob::Status::Unavailable.
class KeychainCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeychainCredentialStore)

public:
    explicit KeychainCredentialStore(QObject *parent = nullptr);
    // The keychain service name entries are filed under; default "switchboard-console".
    explicit KeychainCredentialStore(const QString &service, QObject *parent = nullptr);

    CredentialJob *readSecret(const QString &key) override;
    CredentialJob *writeSecret(const QString &key, const QString &secret) override;
    CredentialJob *removeSecret(const QString &key) override;

private:
    QString m_service;
};

} // namespace Switchboard::Console
