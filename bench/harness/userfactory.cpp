#include "bench/harness/userfactory.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTimer>
#include <cstdio>
#include <functional>

#include "bench/harness/waitutil.h"
#include "shared/client/restclient.h"
#include "shared/client/restreply.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

QList<BenchUser> createUsers(const QUrl &httpUrl, int count, const UserFactoryOptions &options, QString *error)
{
    QList<BenchUser> users(count);
    if (count <= 0)
        return users;
    RestClient rest(httpUrl);
    rest.setAutoDeleteReplies(true);
    rest.setTimeout(60000);

    int next = 0;
    int done = 0;
    int retries = 0;
    QString failure;
    QElapsedTimer clock;
    clock.start();

    // Retries what the server refuses for load reasons (hashing pool full, throttling).
    auto retryable = [](const RestReply *reply) {
        return reply->status() == 0 || reply->error().code == ErrorCode::Unavailable
            || reply->error().code == ErrorCode::RateLimited;
    };
    auto retryDelay = [](const RestReply *reply) {
        const qint64 after = reply->error().retryAfterMs;
        return int(after > 0 ? std::min<qint64>(after, 5000) : 200);
    };

    std::function<void(int)> login;
    std::function<void(int)> startOne;
    std::function<void()> pump;

    auto finished = [&](int i, const QJsonObject &body) {
        const QJsonObject user = body.value(u"user"_s).toObject();
        users[i].id = qint64(user.value(u"id"_s).toDouble());
        users[i].username = user.value(u"username"_s).toString();
        users[i].token = body.value(u"token"_s).toString();
        ++done;
        pump();
    };
    auto fail = [&](int i, const RestReply *reply, const char *what) {
        if (failure.isEmpty())
            failure = u"%1 of user %2 failed: HTTP %3 %4"_s.arg(QString::fromLatin1(what))
                          .arg(i)
                          .arg(reply->status())
                          .arg(reply->error().message);
    };

    login = [&](int i) {
        RestReply *reply = rest.login(users[i].username, options.password);
        QObject::connect(reply, &RestReply::finished, &rest, [&, i, reply] {
            if (reply->isSuccess())
                return finished(i, reply->json());
            if (retryable(reply)) {
                ++retries;
                QTimer::singleShot(retryDelay(reply), &rest, [&, i] { login(i); });
                return;
            }
            fail(i, reply, "login");
        });
    };

    startOne = [&](int i) {
        if (options.guests) {
            RestReply *reply = rest.guest(u"bench %1"_s.arg(i));
            QObject::connect(reply, &RestReply::finished, &rest, [&, i, reply] {
                if (reply->isSuccess())
                    return finished(i, reply->json());
                if (retryable(reply)) {
                    ++retries;
                    QTimer::singleShot(retryDelay(reply), &rest, [&, i] { startOne(i); });
                    return;
                }
                fail(i, reply, "guest login");
            });
            return;
        }
        users[i].username = u"%1-%2"_s.arg(options.prefix).arg(i);
        RestReply *reply = rest.registerUser(users[i].username, options.password, users[i].username);
        QObject::connect(reply, &RestReply::finished, &rest, [&, i, reply] {
            // 409: the account exists from an earlier run with this prefix; its password is ours.
            if (reply->isSuccess() || reply->status() == 409)
                return login(i);
            if (retryable(reply)) {
                ++retries;
                QTimer::singleShot(retryDelay(reply), &rest, [&, i] { startOne(i); });
                return;
            }
            fail(i, reply, "registration");
        });
    };

    int inFlightLimit = std::max(1, options.concurrency);
    pump = [&] {
        while (next < count && next - done < inFlightLimit)
            startOne(next++);
    };
    pump();

    QElapsedTimer lastProgress;
    lastProgress.start();
    const bool ok = waitUntil(
        [&] {
            if (options.progress && lastProgress.elapsed() >= 2000) {
                lastProgress.restart();
                std::fprintf(stderr, "  users: %d/%d (%.1f s)\n", done, count, double(clock.elapsed()) / 1000.0);
            }
            return done == count || !failure.isEmpty();
        },
        options.timeoutMs, 20);
    if (!failure.isEmpty()) {
        *error = failure;
        return {};
    }
    if (!ok) {
        *error
            = u"creating %1 users timed out after %2 s (%3 done)"_s.arg(count).arg(options.timeoutMs / 1000).arg(done);
        return {};
    }
    if (options.progress)
        std::fprintf(
            stderr, "  users: %d created in %.1f s (%d retries)\n", count, double(clock.elapsed()) / 1000.0, retries);
    return users;
}

} // namespace Switchboard::Bench
