#pragma once

// The one helper header of the integration tests, which start the real switchboard-server and
// drive it through the client library or raw frames: frame logs, event-driven waiting, request
// macros (IT_*), users, connections, history paging. Header-only and without Q_OBJECT.
// Everything waits event-driven with deadlines (signals, QTest::qWaitFor); absence is checked
// with a short wait. The database backends come from TestDatabase::backends() in each test's
// _data() function (or initTestCase_data()).

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <functional>
#include <memory>

#include "shared/client/clientconnection.h"
#include "shared/client/pendingrequest.h"
#include "shared/client/restclient.h"
#include "shared/client/restreply.h"
#include "shared/protocol/errorcode.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"
#include "tests/support/testprinters.h"
#include "tests/support/testuser.h"
#include "tests/support/testwait.h"

namespace Switchboard::Test::It {

inline constexpr int kWaitMs = 10000;
// For asserting that something does NOT arrive.
inline constexpr int kAbsenceMs = 300;

// Spins the event loop until pred() holds, re-checking whenever `signal` of `sender` fires (and
// once at the start), at most timeoutMs. Event driven: no sleeps.
template<typename Sender, typename Signal, typename Predicate>
bool waitUntil(const Sender *sender, Signal signal, Predicate pred, int timeoutMs = kWaitMs)
{
    if (pred())
        return true;
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    const auto connection = QObject::connect(sender, signal, &loop, [&] {
        if (pred())
            loop.quit();
    });
    deadline.start(timeoutMs);
    loop.exec();
    QObject::disconnect(connection);
    return pred();
}

// Waits until every request has finished (reply, timeout or close).
inline bool waitAll(const QList<PendingRequest *> &requests, int timeoutMs = 60000)
{
    qsizetype open = 0;
    for (PendingRequest *r : requests)
        open += r->isFinished() ? 0 : 1;
    if (open == 0)
        return true;
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    QList<QMetaObject::Connection> connections;
    for (PendingRequest *r : requests) {
        if (r->isFinished())
            continue;
        connections.append(QObject::connect(r, &PendingRequest::finished, &loop, [&] {
            if (--open == 0)
                loop.quit();
        }));
    }
    deadline.start(timeoutMs);
    if (open > 0)
        loop.exec();
    for (const auto &c : connections)
        QObject::disconnect(c);
    for (PendingRequest *r : requests) {
        if (!r->isFinished())
            return false;
    }
    return true;
}

inline QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

inline qint64 intOf(const QJsonObject &o, const QString &key)
{
    return qint64(o.value(key).toDouble());
}

inline QString errorCodeOf(const QJsonObject &reply)
{
    return reply.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString();
}

inline QString describeRequest(const PendingRequest *r)
{
    if (!r)
        return QStringLiteral("null request");
    if (!r->isFinished())
        return QStringLiteral("%1: no reply in time").arg(r->type());
    if (r->isSuccess())
        return QStringLiteral("%1: success %2").arg(r->type(), compact(r->data()));
    return QStringLiteral("%1 failed: %2 %3").arg(r->type(), toString(r->error().code), r->error().message);
}

inline QString describeReply(const RestReply *r)
{
    return QStringLiteral("%1 %2 -> HTTP %3 %4")
        .arg(QString::fromLatin1(r->method()), r->path())
        .arg(r->status())
        .arg(QString::fromUtf8(r->body().left(300)));
}

// Every JSON frame one connection receives, in arrival order.
class FrameLog
{
    Q_DISABLE_COPY_MOVE(FrameLog)

public:
    using Match = std::function<bool(const QJsonObject &)>;

    explicit FrameLog(ClientConnection *connection) : m_connection(connection)
    {
        m_link = QObject::connect(connection, &ClientConnection::frameReceived, connection,
            [this](const QJsonObject &frame) { m_frames.append(frame); });
    }
    ~FrameLog() { QObject::disconnect(m_link); }

    const QList<QJsonObject> &frames() const { return m_frames; }
    qsizetype size() const { return m_frames.size(); }
    void clear() { m_frames.clear(); }

    qsizetype find(const Match &match, qsizetype from = 0) const
    {
        for (qsizetype i = from; i < m_frames.size(); ++i) {
            if (match(m_frames.at(i)))
                return i;
        }
        return -1;
    }
    QList<QJsonObject> all(const Match &match, qsizetype from = 0) const
    {
        QList<QJsonObject> out;
        for (qsizetype i = from; i < m_frames.size(); ++i) {
            if (match(m_frames.at(i)))
                out.append(m_frames.at(i));
        }
        return out;
    }
    // Events (no id, no success) of one type from index `from` on.
    QList<QJsonObject> events(const QString &type, qsizetype from = 0) const { return all(isEvent(type), from); }
    // Frames (events or replies) of one type.
    QList<QJsonObject> ofType(const QString &type) const
    {
        return all([&type](const QJsonObject &f) { return f.value(QStringLiteral("type")).toString() == type; });
    }
    // Waits for a matching frame at or after `from`; its index, or -1 after the deadline or once
    // the connection is closed (nothing can arrive then).
    qsizetype waitFor(const Match &match, int timeoutMs = kWaitMs, qsizetype from = 0)
    {
        qsizetype found = -1;
        (void)QTest::qWaitFor(
            [&] {
                found = find(match, from);
                return found >= 0 || m_connection->state() == ClientConnection::State::Disconnected;
            },
            timeoutMs);
        return found >= 0 ? found : find(match, from);
    }
    // Sends a raw frame and waits for the reply that echoes its `id` (the frame must carry one);
    // an empty object when none came in time.
    QJsonObject roundTrip(const QJsonObject &frame, int timeoutMs = kWaitMs)
    {
        const QJsonValue id = frame.value(QStringLiteral("id"));
        const qsizetype from = m_frames.size();
        if (!m_connection->sendFrame(frame))
            return {};
        const qsizetype i = waitFor(
            [&](const QJsonObject &f) {
                return f.contains(QStringLiteral("id")) && f.value(QStringLiteral("id")) == id
                    && f.value(QStringLiteral("type")) == frame.value(QStringLiteral("type"));
            },
            timeoutMs, from);
        return i >= 0 ? m_frames.at(i) : QJsonObject();
    }
    // Sends raw text (anything) and waits for the next `{"type":"error"}` frame.
    QJsonObject rawError(const QString &text, int timeoutMs = kWaitMs)
    {
        const qsizetype from = m_frames.size();
        if (!m_connection->sendRawText(text))
            return {};
        const qsizetype i = waitFor(
            [](const QJsonObject &f) { return f.value(QStringLiteral("type")).toString() == QStringLiteral("error"); },
            timeoutMs, from);
        return i >= 0 ? m_frames.at(i) : QJsonObject();
    }
    // Waits until `count` matching frames are there; true when they are.
    bool waitForCount(const Match &match, qsizetype count, int timeoutMs = kWaitMs, qsizetype from = 0)
    {
        return QTest::qWaitFor([&] { return all(match, from).size() >= count; }, timeoutMs);
    }
    // True when no matching frame arrives within timeoutMs (and none is there yet).
    bool staysAbsent(const Match &match, int timeoutMs = kAbsenceMs, qsizetype from = 0)
    {
        return waitFor(match, timeoutMs, from) < 0;
    }

    static Match isEvent(const QString &type)
    {
        return [type](const QJsonObject &f) {
            return f.value(QStringLiteral("type")).toString() == type && !f.contains(QStringLiteral("id"))
                && !f.contains(QStringLiteral("success"));
        };
    }
    static Match presenceOf(qint64 userId, const QString &status = QString())
    {
        return [userId, status](const QJsonObject &f) {
            return f.value(QStringLiteral("type")).toString() == QStringLiteral("presence")
                && intOf(f, QStringLiteral("user_id")) == userId
                && (status.isEmpty() || f.value(QStringLiteral("status")).toString() == status);
        };
    }

private:
    ClientConnection *m_connection;
    QMetaObject::Connection m_link;
    QList<QJsonObject> m_frames;
};

// Waits until the connection is closed; its close code, or -1 after the deadline.
inline int waitClosed(ClientConnection *connection, int timeoutMs = kWaitMs)
{
    if (connection->state() != ClientConnection::State::Disconnected) {
        (void)QTest::qWaitFor([&] { return connection->state() == ClientConnection::State::Disconnected; }, timeoutMs);
    }
    return connection->state() == ClientConnection::State::Disconnected ? connection->closeCode() : -1;
}

// Opens a connection without authenticating and waits for the upgrade; nullptr on failure.
inline std::unique_ptr<ClientConnection> openRaw(const QUrl &wsUrl, int timeoutMs = kWaitMs)
{
    auto connection = std::make_unique<ClientConnection>();
    connection->open(wsUrl);
    (void)QTest::qWaitFor([&] { return connection->state() == ClientConnection::State::Connected; }, timeoutMs);
    if (connection->state() != ClientConnection::State::Connected)
        return nullptr;
    return connection;
}

// Opens a connection with the user's token (any transport) and waits until the server either
// authenticated it or closed it. Unlike connectAs() it does not treat a close as an error, so
// tests can check close codes such as 4029.
inline std::unique_ptr<ClientConnection> openAs(const QUrl &wsUrl, const TestUser &user,
    ClientConnection::TokenTransport via = ClientConnection::TokenTransport::AuthFrame, int timeoutMs = kWaitMs)
{
    auto connection = std::make_unique<ClientConnection>();
    connection->openWithToken(wsUrl, user.token, via);
    (void)QTest::qWaitFor(
        [&] {
            return connection->state() == ClientConnection::State::Authenticated
                || connection->state() == ClientConnection::State::Disconnected;
        },
        timeoutMs);
    return connection;
}

// A RestClient for the server with the user's Bearer token (none when user is null).
inline std::unique_ptr<RestClient> restFor(const ServerProcess &server, const TestUser *user = nullptr)
{
    auto rest = std::make_unique<RestClient>(server.httpUrl());
    rest->setTimeout(30000);
    if (user)
        rest->setToken(user->token);
    return rest;
}

// Prints the server's log when the current test function failed (declare it after the server).
struct LogOnFailure
{
    const ServerProcess &server;
    ~LogOnFailure()
    {
        if (QTest::currentTestFailed())
            server.printLog();
    }
};

// Limits that keep the per-connection token bucket out of the way.
inline QMap<QString, QString> noRateLimit(QMap<QString, QString> extra = {})
{
    extra.insert(QStringLiteral("messages_per_second"), QStringLiteral("100000"));
    extra.insert(QStringLiteral("messages_burst"), QStringLiteral("100000"));
    return extra;
}

inline QSet<QString> stringSet(const QJsonArray &array)
{
    QSet<QString> out;
    for (const QJsonValue &v : array)
        out.insert(v.toString());
    return out;
}

inline QList<qint64> idList(const QJsonArray &array)
{
    QList<qint64> out;
    for (const QJsonValue &v : array)
        out.append(qint64(v.toDouble()));
    return out;
}

// Every message of a conversation, paged with after_seq (limit 100); false on any failure.
inline bool fetchAllHistory(
    ClientConnection *connection, qint64 conversationId, QList<QJsonObject> *out, QString *error)
{
    out->clear();
    qint64 after = 0;
    for (int page = 0; page < 10000; ++page) {
        const QJsonObject fields {{QStringLiteral("conversation_id"), double(conversationId)},
            {QStringLiteral("after_seq"), double(after)}, {QStringLiteral("limit"), 100}};
        PendingRequest *r = connection->request(QStringLiteral("history"), fields);
        if (!waitForFinished(r, 30000) || !r->isSuccess()) {
            *error = describeRequest(r);
            return false;
        }
        const QJsonArray messages = r->data().value(QStringLiteral("messages")).toArray();
        for (const QJsonValue &m : messages)
            out->append(m.toObject());
        const bool more = r->data().value(QStringLiteral("has_more")).toBool();
        r->deleteLater();
        if (messages.isEmpty() || !more)
            return true;
        after = intOf(messages.last().toObject(), QStringLiteral("seq"));
    }
    *error = QStringLiteral("history did not end");
    return false;
}

// Sends `count` text messages pipelined (no waiting in between); returns the requests.
inline QList<PendingRequest *> sendBurst(
    ClientConnection *connection, qint64 conversationId, int count, const QString &prefix)
{
    QList<PendingRequest *> requests;
    requests.reserve(count);
    for (int i = 0; i < count; ++i) {
        PendingRequest *r = connection->sendText(conversationId, QStringLiteral("%1 %2").arg(prefix).arg(i));
        r->setTimeout(60000);
        requests.append(r);
    }
    return requests;
}

} // namespace Switchboard::Test::It

// A ServerProcess on the test's database (db from SB_TEST_DATABASE), not started yet; its log is
// printed when the test fails.
#define IT_SERVER(server, db)                                                                                          \
    ::Switchboard::Test::ServerProcess server;                                                                         \
    server.setDatabaseUrl(db.url());                                                                                   \
    ::Switchboard::Test::It::LogOnFailure server##LogGuard_                                                            \
    {                                                                                                                  \
        server                                                                                                         \
    }

#define IT_START(server) QVERIFY2(server.start(), qPrintable(server.errorString()))

// IT_SERVER with limits (INI keys of [limits]), started.
#define IT_START_SERVER(server, db, limits)                                                                            \
    IT_SERVER(server, db);                                                                                             \
    server.setLimits(limits);                                                                                          \
    IT_START(server)

// Waits for a request and requires success; `var` is the PendingRequest.
#define IT_OK(var, expr)                                                                                               \
    PendingRequest *var = (expr);                                                                                      \
    QVERIFY2(                                                                                                          \
        ::Switchboard::Test::waitForFinished(var, 30000), qPrintable(::Switchboard::Test::It::describeRequest(var)));  \
    QVERIFY2(var->isSuccess(), qPrintable(::Switchboard::Test::It::describeRequest(var)))

// Waits for a request and requires the error `expected_` (an ErrorCode enumerator name).
#define IT_FAILS(expr, expected_)                                                                                      \
    do {                                                                                                               \
        PendingRequest *failing_ = (expr);                                                                             \
        QVERIFY2(::Switchboard::Test::waitForFinished(failing_, 30000),                                                \
            qPrintable(::Switchboard::Test::It::describeRequest(failing_)));                                           \
        QVERIFY2(!failing_->isSuccess(),                                                                               \
            qPrintable(QStringLiteral("expected %1, got %2")                                                           \
                           .arg(::Switchboard::toString(::Switchboard::ErrorCode::expected_),                          \
                               ::Switchboard::Test::It::describeRequest(failing_))));                                  \
        QVERIFY2(!failing_->reply().isEmpty(), qPrintable(::Switchboard::Test::It::describeRequest(failing_)));        \
        SB_COMPARE_CODE(failing_->error().code, ::Switchboard::ErrorCode::expected_);                                  \
    } while (false)

// Waits for an HTTP reply (any status); `var` is the RestReply.
#define IT_HTTP(var, expr)                                                                                             \
    RestReply *var = (expr);                                                                                           \
    QVERIFY2(::Switchboard::Test::waitForFinished(var, 30000), qPrintable(::Switchboard::Test::It::describeReply(var)))

// Waits for an HTTP reply and requires the status.
#define IT_HTTP_STATUS(var, expr, status_)                                                                             \
    IT_HTTP(var, expr);                                                                                                \
    QVERIFY2(var->status() == (status_), qPrintable(::Switchboard::Test::It::describeReply(var)))

#define IT_USER(var, server, prefix)                                                                                   \
    QString var##Error_;                                                                                               \
    const ::Switchboard::Test::TestUser var                                                                            \
        = ::Switchboard::Test::registerUser(server, QStringLiteral(prefix), &var##Error_);                             \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

#define IT_STAFF(var, server, role, prefix)                                                                            \
    QString var##Error_;                                                                                               \
    const ::Switchboard::Test::TestUser var                                                                            \
        = ::Switchboard::Test::createStaffUser(server, QStringLiteral(role), QStringLiteral(prefix), &var##Error_);    \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

#define IT_GUEST(var, server, name)                                                                                    \
    QString var##Error_;                                                                                               \
    const ::Switchboard::Test::TestUser var                                                                            \
        = ::Switchboard::Test::guestUser(server.httpUrl(), QStringLiteral(name), &var##Error_);                        \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

// Connects, authenticates with an auth frame and waits for sync_complete.
#define IT_CONNECT(var, server, user)                                                                                  \
    QString var##Error_;                                                                                               \
    std::unique_ptr<ClientConnection> var = ::Switchboard::Test::connectAs(server, user, &var##Error_);                \
    QVERIFY2(var, qPrintable(var##Error_))
