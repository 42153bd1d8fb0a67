#include "tests/support/testuser.h"

#include <QAtomicInteger>
#include <QEventLoop>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTimer>

#include "shared/client/restclient.h"
#include "shared/protocol/jsoncodec.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testwait.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Test {

namespace {
constexpr int kHttpTimeoutMs = 15000; // Argon2id hashing may take a while under parallel ctest

void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

QString describe(const RestReply *reply)
{
    if (!reply->isFinished())
        return u"%1 %2: no answer in time"_s.arg(QString::fromLatin1(reply->method()), reply->path());
    return u"%1 %2: HTTP %3 %4: %5"_s.arg(QString::fromLatin1(reply->method()), reply->path())
        .arg(reply->status())
        .arg(toString(reply->error().code), reply->error().message);
}

// Waits for the reply; returns its JSON body on success, else sets *error.
bool finishOk(RestReply *reply, QString *error)
{
    if (waitForFinished(reply, kHttpTimeoutMs) && reply->isSuccess())
        return true;
    setError(error, describe(reply));
    return false;
}

bool fillFromLogin(TestUser *user, const QJsonObject &body, QString *error)
{
    const auto decoded = JsonCodec::decodeUser(body.value(u"user"_s).toObject());
    if (!decoded || !body.value(u"token"_s).isString()) {
        setError(error, u"login reply without user or token"_s);
        return false;
    }
    user->id = decoded->id;
    user->username = decoded->username;
    user->displayName = decoded->displayName;
    user->role = decoded->role;
    user->token = body.value(u"token"_s).toString();
    user->tokenExpiresAt = qint64(body.value(u"expires_at"_s).toDouble());
    return true;
}
} // namespace

QString uniqueUsername(const QString &prefix)
{
    static QAtomicInteger<quint32> counter;
    QString clean;
    for (QChar c : prefix.toLower()) {
        const char16_t u = c.unicode();
        if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '_' || u == '.' || u == '-')
            clean.append(c);
    }
    if (clean.isEmpty())
        clean = u"user"_s;
    clean.truncate(16);
    // Counter for uniqueness within the process, random part against reuse across runs of a
    // shared PostgreSQL server.
    return u"%1_%2_%3"_s.arg(clean)
        .arg(counter.fetchAndAddRelaxed(1) + 1)
        .arg(QRandomGenerator::global()->bounded(1u << 20), 5, 16, QChar(u'0'));
}

TestUser registerUser(const QUrl &httpUrl, const QString &prefix, QString *error)
{
    TestUser user;
    user.username = uniqueUsername(prefix);
    user.password = u"pw-%1"_s.arg(qulonglong(QRandomGenerator::global()->generate64()), 16, 16, QChar(u'0'));
    user.displayName = prefix.isEmpty() ? user.username : prefix;

    RestClient rest(httpUrl);
    rest.setTimeout(kHttpTimeoutMs);
    if (!finishOk(rest.registerUser(user.username, user.password, user.displayName), error))
        return {};
    RestReply *login = rest.login(user.username, user.password);
    if (!finishOk(login, error))
        return {};
    const QString password = user.password;
    if (!fillFromLogin(&user, login->json(), error))
        return {};
    user.password = password;
    return user;
}

TestUser registerUser(const ServerProcess &server, const QString &prefix, QString *error)
{
    return registerUser(server.httpUrl(), prefix, error);
}

TestUser loginUser(const QUrl &httpUrl, const QString &username, const QString &password, QString *error)
{
    RestClient rest(httpUrl);
    rest.setTimeout(kHttpTimeoutMs);
    RestReply *login = rest.login(username, password);
    if (!finishOk(login, error))
        return {};
    TestUser user;
    if (!fillFromLogin(&user, login->json(), error))
        return {};
    user.password = password;
    return user;
}

TestUser guestUser(const QUrl &httpUrl, const QString &displayName, QString *error)
{
    RestClient rest(httpUrl);
    rest.setTimeout(kHttpTimeoutMs);
    RestReply *reply = rest.guest(displayName);
    if (!finishOk(reply, error))
        return {};
    TestUser user;
    if (!fillFromLogin(&user, reply->json(), error))
        return {};
    return user;
}

TestUser createStaffUser(ServerProcess &server, const QString &role, const QString &prefix, QString *error)
{
    const QString username = uniqueUsername(prefix.isEmpty() ? role : prefix);
    const QString password = u"pw-%1"_s.arg(qulonglong(QRandomGenerator::global()->generate64()), 16, 16, QChar(u'0'));
    const ProcessResult created = server.createUser(username, role, password);
    if (!created.ok()) {
        setError(error, u"--create-user %1 --role %2: %3"_s.arg(username, role, created.describe()));
        return {};
    }
    return loginUser(server.httpUrl(), username, password, error);
}

std::unique_ptr<ClientConnection> connectAs(
    const QUrl &wsUrl, const TestUser &user, QString *error, ClientConnection::TokenTransport via, int timeoutMs)
{
    auto connection = std::make_unique<ClientConnection>();
    QSignalSpy synced(connection.get(), &ClientConnection::syncCompleted);
    QSignalSpy authFailed(connection.get(), &ClientConnection::authenticationFailed);
    QSignalSpy disconnected(connection.get(), &ClientConnection::disconnected);

    // Whichever comes first ends the wait: sync_complete, a failed auth, a close, the deadline.
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    QObject::connect(connection.get(), &ClientConnection::syncCompleted, &loop, &QEventLoop::quit);
    QObject::connect(connection.get(), &ClientConnection::authenticationFailed, &loop, &QEventLoop::quit);
    QObject::connect(connection.get(), &ClientConnection::disconnected, &loop, &QEventLoop::quit);
    deadline.start(timeoutMs);
    connection->openWithToken(wsUrl, user.token, via);
    if (synced.isEmpty() && authFailed.isEmpty() && disconnected.isEmpty())
        loop.exec();

    if (!synced.isEmpty())
        return connection;
    if (!authFailed.isEmpty()) {
        const auto failure = authFailed.first().first().value<ProtocolError>();
        setError(error, u"auth as %1 failed: %2 %3"_s.arg(user.username, toString(failure.code), failure.message));
    } else if (!disconnected.isEmpty()) {
        setError(error,
            u"connection of %1 closed: %2 %3 (%4)"_s.arg(user.username)
                .arg(disconnected.first().at(0).toInt())
                .arg(disconnected.first().at(1).toString(), connection->errorString()));
    } else {
        setError(error,
            u"%1: no sync_complete within %2 ms (state %3)"_s.arg(user.username)
                .arg(timeoutMs)
                .arg(int(connection->state())));
    }
    return nullptr;
}

std::unique_ptr<ClientConnection> connectAs(const ServerProcess &server, const TestUser &user, QString *error,
    ClientConnection::TokenTransport via, int timeoutMs)
{
    return connectAs(server.wsUrl(), user, error, via, timeoutMs);
}

} // namespace Switchboard::Test
