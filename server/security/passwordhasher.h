#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <functional>

namespace Switchboard::Server {

// Argon2id password hashing (libsodium crypto_pwhash_str, memory-hard) on a small thread pool so
// the event loop never waits for it. The backlog is bounded: when it is full, callers are told to
// retry later (`busy`) instead of queueing unbounded memory-hungry work.
class PasswordHasher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PasswordHasher)

public:
    explicit PasswordHasher(QObject *parent = nullptr);
    ~PasswordHasher() override;

    // done(hash) on the caller's thread; hash is empty on failure or when busy.
    bool hash(const QString &password, std::function<void(QString hash)> done);
    // done(matches); returns false (and never calls done) when busy.
    bool verify(const QString &password, const QString &hash, std::function<void(bool matches)> done);

    // Synchronous, for the command line (--create-user) only.
    static QString hashNow(const QString &password);
    static bool verifyNow(const QString &password, const QString &hash);

private:
    bool admit();

    QThreadPool m_pool;
    int m_inFlight = 0;
    static constexpr int kMaxInFlight = 64;
};

} // namespace Switchboard::Server
