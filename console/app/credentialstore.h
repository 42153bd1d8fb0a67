#pragma once

#include <QObject>
#include <QString>

namespace Switchboard::Console {

class CredentialJob;

// Where "remember me" keeps the password: an interface so that tests use a fake and the product
// uses the OS keychain (KeychainCredentialStore). Keys identify an account on a server
// (keyFor()). Implementations never fall back to a plaintext file: when no keychain is
// available they finish jobs with CredentialJob::Status::Unavailable and the console simply does
// not remember.
class CredentialStore : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialStore)

public:
    explicit CredentialStore(QObject *parent = nullptr) : QObject(parent) { }
    ~CredentialStore() override = default;

    // "<username>@<host:port>": one entry per account and server.
    static QString keyFor(const QString &serverUrl, const QString &username);

    virtual CredentialJob *readSecret(const QString &key) = 0;
    virtual CredentialJob *writeSecret(const QString &key, const QString &secret) = 0;
    virtual CredentialJob *removeSecret(const QString &key) = 0;
};

} // namespace Switchboard::Console
