#pragma once

#include <QList>
#include <QString>
#include <QUrl>

namespace Switchboard::Bench {

struct BenchUser
{
    qint64 id = 0;
    QString username;
    QString token;
};

// Creates the accounts a mode needs over HTTP: register + login (Argon2id on the server, tens of
// milliseconds each, two at a time), or anonymous guests (no hashing) with `guests`. Runs in the
// main thread and returns when every user has a token (bounded by timeoutMs).
struct UserFactoryOptions
{
    QString prefix; // usernames are PREFIX-N (lower case, 3-32 of [a-z0-9_.-])
    QString password = QStringLiteral("bench-password-1");
    int concurrency = 8; // HTTP requests in flight
    bool guests = false; // POST /auth/guest instead of register + login
    int timeoutMs = 600000;
    bool progress = true; // one line per second on stderr
};

QList<BenchUser> createUsers(const QUrl &httpUrl, int count, const UserFactoryOptions &options, QString *error);

} // namespace Switchboard::Bench
