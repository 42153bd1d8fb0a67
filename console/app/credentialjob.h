#pragma once

#include <QObject>
#include <QString>

namespace Switchboard::Console {

// One asynchronous CredentialStore operation (read, write or remove), in the style of QtKeychain's
// jobs: finished() is emitted exactly once, later than the call that created the job, and the
// job deletes itself afterwards.
class CredentialJob final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialJob)

public:
    enum class Status {
        Pending,
        Ok,
        NotFound, // read/remove: nothing stored under the key
        Unavailable, // no keychain on this system (no D-Bus, no Secret Service, ...)
        Failed // the keychain answered with an error (access denied, ...)
    };
    Q_ENUM(Status)

    explicit CredentialJob(QObject *parent = nullptr);

    Status status() const { return m_status; }
    bool isFinished() const { return m_status != Status::Pending; }
    bool isSuccess() const { return m_status == Status::Ok; }
    // The secret of a successful read.
    QString secret() const { return m_secret; }
    QString errorString() const { return m_errorString; }

    // For CredentialStore implementations: records the outcome and emits finished() from the
    // event loop.
    void finish(Status status, const QString &secret = {}, const QString &errorString = {});

Q_SIGNALS:
    void finished(Switchboard::Console::CredentialJob *job);

private:
    Status m_status = Status::Pending;
    QString m_secret;
    QString m_errorString;
};

} // namespace Switchboard::Console
