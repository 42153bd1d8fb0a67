#pragma once

// Helpers shared by the feature integration tests (PROTOCOL.md sections 6-11: presence,
// heartbeat, reconnect, rooms, groups, contacts, rate limits, support, administration, files,
// push, TLS). Header-only and without Q_OBJECT. Everything waits event-driven with deadlines
// (QSignalSpy::wait, QTest::qWaitFor); absence is checked with a short wait.

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
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

inline QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

inline qint64 intOf(const QJsonObject &o, const QString &key)
{
    return qint64(o.value(key).toDouble());
}

inline QString describeRequest(const PendingRequest *r)
{
    if (!r)
        return QStringLiteral("null request");
    if (!r->isFinished())
        return QStringLiteral("%1: no reply in time").arg(r->type());
    if (r->isSuccess())
        return QStringLiteral("%1: success %2").arg(r->type(), compact(r->data()));
    return QStringLiteral("%1 failed: %2 %3")
        .arg(r->type(), toString(r->error().code), r->error().message);
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
    QList<QJsonObject> events(const QString &type, qsizetype from = 0) const
    {
        return all(isEvent(type), from);
    }
    // Waits for a matching frame at or after `from`; its index, or -1 after the deadline.
    qsizetype waitFor(const Match &match, int timeoutMs = kWaitMs, qsizetype from = 0)
    {
        qsizetype found = -1;
        (void)QTest::qWaitFor([&] {
            found = find(match, from);
            return found >= 0;
        }, timeoutMs);
        return found;
    }
    // Waits until `count` matching frames are there; true when they are.
    bool waitForCount(const Match &match, qsizetype count, int timeoutMs = kWaitMs,
                      qsizetype from = 0)
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
            return f.value(QStringLiteral("type")).toString() == type
                   && !f.contains(QStringLiteral("id")) && !f.contains(QStringLiteral("success"));
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
        (void)QTest::qWaitFor([&] { return connection->state() == ClientConnection::State::Disconnected; },
                        timeoutMs);
    }
    return connection->state() == ClientConnection::State::Disconnected ? connection->closeCode() : -1;
}

// Opens a connection without authenticating and waits for the upgrade; nullptr on failure.
inline std::unique_ptr<ClientConnection> openRaw(const QUrl &wsUrl, int timeoutMs = kWaitMs)
{
    auto connection = std::make_unique<ClientConnection>();
    connection->open(wsUrl);
    (void)QTest::qWaitFor([&] { return connection->state() == ClientConnection::State::Connected; },
                    timeoutMs);
    if (connection->state() != ClientConnection::State::Connected)
        return nullptr;
    return connection;
}

// Opens a connection with the user's token (any transport) and waits until the server either
// authenticated it or closed it. Unlike connectAs() it does not treat a close as an error, so
// tests can check close codes such as 4029.
inline std::unique_ptr<ClientConnection>
openAs(const QUrl &wsUrl, const TestUser &user,
       ClientConnection::TokenTransport via = ClientConnection::TokenTransport::AuthFrame,
       int timeoutMs = kWaitMs)
{
    auto connection = std::make_unique<ClientConnection>();
    connection->openWithToken(wsUrl, user.token, via);
    (void)QTest::qWaitFor([&] {
        return connection->state() == ClientConnection::State::Authenticated
               || connection->state() == ClientConnection::State::Disconnected;
    }, timeoutMs);
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

} // namespace Switchboard::Test::It

// A ServerProcess on the test's database (db from SB_TEST_DATABASE), not started yet; its log is
// printed when the test fails.
#define IT_SERVER(server, db)                                                                      \
    ::Switchboard::Test::ServerProcess server;                                                     \
    server.setDatabaseUrl(db.url());                                                               \
    ::Switchboard::Test::It::LogOnFailure server##LogGuard_{server}

#define IT_START(server) QVERIFY2(server.start(), qPrintable(server.errorString()))

// Waits for a request and requires success; `var` is the PendingRequest.
#define IT_OK(var, expr)                                                                           \
    PendingRequest *var = (expr);                                                                  \
    QVERIFY2(::Switchboard::Test::waitForFinished(var, 30000),                                     \
             qPrintable(::Switchboard::Test::It::describeRequest(var)));                           \
    QVERIFY2(var->isSuccess(), qPrintable(::Switchboard::Test::It::describeRequest(var)))

// Waits for a request and requires the error `expected_` (an ErrorCode enumerator name).
#define IT_FAILS(expr, expected_)                                                                  \
    do {                                                                                           \
        PendingRequest *failing_ = (expr);                                                         \
        QVERIFY2(::Switchboard::Test::waitForFinished(failing_, 30000),                            \
                 qPrintable(::Switchboard::Test::It::describeRequest(failing_)));                  \
        QVERIFY2(!failing_->isSuccess(),                                                           \
                 qPrintable(QStringLiteral("expected %1, got %2")                                  \
                                .arg(::Switchboard::toString(::Switchboard::ErrorCode::expected_), \
                                     ::Switchboard::Test::It::describeRequest(failing_))));        \
        QVERIFY2(!failing_->reply().isEmpty(),                                                     \
                 qPrintable(::Switchboard::Test::It::describeRequest(failing_)));                  \
        SB_COMPARE_CODE(failing_->error().code, ::Switchboard::ErrorCode::expected_);              \
    } while (false)

// Waits for an HTTP reply (any status); `var` is the RestReply.
#define IT_HTTP(var, expr)                                                                         \
    RestReply *var = (expr);                                                                       \
    QVERIFY2(::Switchboard::Test::waitForFinished(var, 30000),                                     \
             qPrintable(::Switchboard::Test::It::describeReply(var)))

// Waits for an HTTP reply and requires the status.
#define IT_HTTP_STATUS(var, expr, status_)                                                         \
    IT_HTTP(var, expr);                                                                            \
    QVERIFY2(var->status() == (status_), qPrintable(::Switchboard::Test::It::describeReply(var)))

#define IT_USER(var, server, prefix)                                                               \
    QString var##Error_;                                                                           \
    const ::Switchboard::Test::TestUser var =                                                      \
        ::Switchboard::Test::registerUser(server, QStringLiteral(prefix), &var##Error_);           \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

#define IT_STAFF(var, server, role, prefix)                                                        \
    QString var##Error_;                                                                           \
    const ::Switchboard::Test::TestUser var = ::Switchboard::Test::createStaffUser(                \
        server, QStringLiteral(role), QStringLiteral(prefix), &var##Error_);                       \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

// Connects, authenticates with an auth frame and waits for sync_complete.
#define IT_CONNECT(var, server, user)                                                              \
    QString var##Error_;                                                                           \
    std::unique_ptr<ClientConnection> var =                                                        \
        ::Switchboard::Test::connectAs(server, user, &var##Error_);                                \
    QVERIFY2(var, qPrintable(var##Error_))
