#pragma once

// Helpers shared by the protocol-core integration tests (PROTOCOL.md sections 1-5, 12, 13):
// raw frame recording, event-driven waiting, request macros, history paging. Header-only and
// without Q_OBJECT so every test can include it without extra moc work.

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
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

namespace Switchboard::Test::Core {

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

// Every JSON frame one connection receives, in arrival order.
class FrameRecorder
{
    Q_DISABLE_COPY_MOVE(FrameRecorder)

public:
    explicit FrameRecorder(ClientConnection *connection) : m_connection(connection)
    {
        m_link = QObject::connect(connection, &ClientConnection::frameReceived, connection,
                                  [this](const QJsonObject &frame) { m_frames.append(frame); });
    }
    ~FrameRecorder() { QObject::disconnect(m_link); }

    const QList<QJsonObject> &frames() const { return m_frames; }
    qsizetype size() const { return m_frames.size(); }
    void clear() { m_frames.clear(); }

    // Index of the first frame at or after `from` for which match() holds; -1 if none.
    qsizetype find(const std::function<bool(const QJsonObject &)> &match, qsizetype from = 0) const
    {
        for (qsizetype i = from; i < m_frames.size(); ++i) {
            if (match(m_frames.at(i)))
                return i;
        }
        return -1;
    }
    // Waits (event driven) for such a frame; its index or -1 after the deadline or a disconnect.
    qsizetype waitFor(const std::function<bool(const QJsonObject &)> &match, int timeoutMs = kWaitMs,
                      qsizetype from = 0)
    {
        qsizetype found = -1;
        auto check = [&] {
            found = find(match, from);
            return found >= 0 || m_connection->state() == ClientConnection::State::Disconnected;
        };
        if (!check()) {
            QEventLoop loop;
            QTimer deadline;
            deadline.setSingleShot(true);
            QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
            // Connected after m_link, so the frame is already recorded when this runs.
            auto a = QObject::connect(m_connection, &ClientConnection::frameReceived, &loop, [&] {
                if (check())
                    loop.quit();
            });
            auto b = QObject::connect(m_connection, &ClientConnection::disconnected, &loop,
                                      [&] { loop.quit(); });
            deadline.start(timeoutMs);
            loop.exec();
            QObject::disconnect(a);
            QObject::disconnect(b);
            check();
        }
        return found;
    }
    // Frames of one type (events or replies).
    QList<QJsonObject> ofType(const QString &type) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &f : m_frames) {
            if (f.value(QStringLiteral("type")).toString() == type)
                out.append(f);
        }
        return out;
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
            [](const QJsonObject &f) {
                return f.value(QStringLiteral("type")).toString() == QStringLiteral("error");
            },
            timeoutMs, from);
        return i >= 0 ? m_frames.at(i) : QJsonObject();
    }

private:
    ClientConnection *m_connection;
    QMetaObject::Connection m_link;
    QList<QJsonObject> m_frames;
};

inline QString errorCodeOf(const QJsonObject &reply)
{
    return reply.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString();
}

inline QString describeRequest(const PendingRequest *r)
{
    if (!r)
        return QStringLiteral("null request");
    if (!r->isFinished())
        return QStringLiteral("%1: no reply").arg(r->type());
    if (r->isSuccess())
        return QStringLiteral("%1: success").arg(r->type());
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

inline QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

inline qint64 intOf(const QJsonObject &o, const QString &key)
{
    return qint64(o.value(key).toDouble());
}

// Waits for a request and requires success; `var` is the PendingRequest.
#define SB_OK(var, expr)                                                                           \
    PendingRequest *var = (expr);                                                                  \
    QVERIFY2(::Switchboard::Test::waitForFinished(var, 30000),                                     \
             qPrintable(::Switchboard::Test::Core::describeRequest(var)));                         \
    QVERIFY2(var->isSuccess(), qPrintable(::Switchboard::Test::Core::describeRequest(var)))

// Waits for a request and requires the error `expected_` (an ErrorCode enumerator name).
#define SB_FAILS(expr, expected_)                                                                       \
    do {                                                                                           \
        PendingRequest *failing_ = (expr);                                                         \
        QVERIFY2(::Switchboard::Test::waitForFinished(failing_, 30000),                            \
                 qPrintable(::Switchboard::Test::Core::describeRequest(failing_)));                \
        QVERIFY2(!failing_->isSuccess(),                                                           \
                 qPrintable(QStringLiteral("expected %1, got success: %2")                      \
                                .arg(::Switchboard::toString(::Switchboard::ErrorCode::expected_),      \
                                     ::Switchboard::Test::Core::compact(failing_->reply()))));     \
        QVERIFY2(!failing_->reply().isEmpty(),                                                     \
                 qPrintable(::Switchboard::Test::Core::describeRequest(failing_)));                \
        SB_COMPARE_CODE(failing_->error().code, ::Switchboard::ErrorCode::expected_);                   \
    } while (false)

#define SB_HTTP(var, expr)                                                                         \
    RestReply *var = (expr);                                                                       \
    QVERIFY2(::Switchboard::Test::waitForFinished(var, 30000),                                     \
             qPrintable(::Switchboard::Test::Core::describeReply(var)))

#define SB_START_SERVER(server, db, limits)                                                        \
    ::Switchboard::Test::ServerProcess server;                                                     \
    server.setDatabaseUrl(db.url());                                                               \
    server.setLimits(limits);                                                                      \
    QVERIFY2(server.start(), qPrintable(server.errorString()))

#define SB_USER(var, server, prefix)                                                               \
    QString var##Error_;                                                                           \
    const ::Switchboard::Test::TestUser var =                                                      \
        ::Switchboard::Test::registerUser(server, QStringLiteral(prefix), &var##Error_);           \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

#define SB_GUEST(var, server, name)                                                                \
    QString var##Error_;                                                                           \
    const ::Switchboard::Test::TestUser var =                                                      \
        ::Switchboard::Test::guestUser(server.httpUrl(), QStringLiteral(name), &var##Error_);      \
    QVERIFY2(var.isValid(), qPrintable(var##Error_))

#define SB_CONNECT(var, server, user)                                                              \
    QString var##Error_;                                                                           \
    std::unique_ptr<ClientConnection> var =                                                        \
        ::Switchboard::Test::connectAs(server, user, &var##Error_);                                \
    QVERIFY2(var, qPrintable(var##Error_))

// Limits that keep the per-connection token bucket out of the way of bulk sends.
inline QMap<QString, QString> bulkLimits(QMap<QString, QString> extra = {})
{
    extra.insert(QStringLiteral("messages_per_second"), QStringLiteral("100000"));
    extra.insert(QStringLiteral("messages_burst"), QStringLiteral("100000"));
    return extra;
}

// Every message of a conversation, paged with after_seq (limit 100); false on any failure.
inline bool fetchAllHistory(ClientConnection *connection, qint64 conversationId,
                            QList<QJsonObject> *out, QString *error)
{
    out->clear();
    qint64 after = 0;
    for (int page = 0; page < 10000; ++page) {
        const QJsonObject fields{{QStringLiteral("conversation_id"), double(conversationId)},
                                 {QStringLiteral("after_seq"), double(after)},
                                 {QStringLiteral("limit"), 100}};
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
inline QList<PendingRequest *> sendBurst(ClientConnection *connection, qint64 conversationId,
                                         int count, const QString &prefix)
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

} // namespace Switchboard::Test::Core
