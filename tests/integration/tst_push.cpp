#include <QDateTime>
#include <QMessageAuthenticationCode>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {

// A push gateway for the test: a QTcpServer speaking just enough HTTP/1.1 to take POSTs, record
// them and answer with planned statuses (first the ones in the plan, then the default).
class HookReceiver
{
    Q_DISABLE_COPY_MOVE(HookReceiver)

public:
    struct Hit
    {
        QByteArray method;
        QByteArray path;
        QHash<QByteArray, QByteArray> headers; // names lowercased
        QByteArray body;
        QJsonObject json;
        qint64 at = 0;
        int answered = 0;
    };

    HookReceiver()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { onData(socket); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    quint16 port() const { return m_server.serverPort(); }
    QString url(const QString &path) const { return u"http://127.0.0.1:%1%2"_s.arg(port()).arg(path); }
    void setPlan(const QList<int> &statuses) { m_plan = statuses; }
    void setDefaultStatus(int status) { m_default = status; }
    const QList<Hit> &hits() const { return m_hits; }
    bool waitForHits(qsizetype count, int timeoutMs = kWaitMs)
    {
        return QTest::qWaitFor([&] { return m_hits.size() >= count; }, timeoutMs);
    }
    // True when no further request arrives within timeoutMs.
    bool noMoreThan(qsizetype count, int timeoutMs)
    {
        return !QTest::qWaitFor([&] { return m_hits.size() > count; }, timeoutMs);
    }

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
            if (headerEnd < 0)
                return;
            const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
            Hit hit;
            const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
            hit.method = requestLine.value(0);
            hit.path = requestLine.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines.at(i).indexOf(':');
                if (colon > 0)
                    hit.headers.insert(
                        lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
            }
            const qsizetype length = hit.headers.value("content-length", "0").toLongLong();
            if (buffer.size() < headerEnd + 4 + length)
                return;
            hit.body = buffer.mid(headerEnd + 4, length);
            buffer.remove(0, headerEnd + 4 + length);
            hit.json = QJsonDocument::fromJson(hit.body).object();
            hit.at = QDateTime::currentMSecsSinceEpoch();
            hit.answered = m_plan.isEmpty() ? m_default : m_plan.takeFirst();
            m_hits.append(hit);
            const QByteArray answer = hit.answered == 200 ? QByteArray("{\"name\":\"ok\"}") : QByteArray("{}");
            socket->write("HTTP/1.1 " + QByteArray::number(hit.answered)
                + " X\r\nContent-Type: application/json\r\n"
                  "Content-Length: "
                + QByteArray::number(answer.size()) + "\r\nConnection: close\r\n\r\n" + answer);
            socket->disconnectFromHost();
            m_buffers.remove(socket);
            return;
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<int> m_plan;
    int m_default = 200;
    QList<Hit> m_hits;
};

const QByteArray kSecret = "webhook-s3cret";

QByteArray expectedSignature(const QByteArray &body)
{
    return "sha256=" + QMessageAuthenticationCode::hash(body, kSecret, QCryptographicHash::Sha256).toHex();
}

} // namespace

// Offline push (PROTOCOL.md section 11): push_register over WebSocket and HTTP; one signed
// webhook notification per message to an offline user and none for an online one; bounded
// previews; retries with backoff; a durable outbox that survives SIGKILL; the admin view of
// failures; and the FCM HTTP v1 request shape.
class TestPush : public QObject
{
    Q_OBJECT

private:
    static void configureWebhook(ServerProcess &server, const HookReceiver &receiver)
    {
        server.setConfigValue(u"push"_s, u"webhook_url"_s, receiver.url(u"/hook"_s));
        server.setConfigValue(u"push"_s, u"webhook_secret"_s, QString::fromLatin1(kSecret));
        server.setConfigValue(u"push"_s, u"retry_base_ms"_s, u"100"_s);
    }

    static bool goOffline(ClientConnection *connection, FrameLog &watcher, qint64 userId)
    {
        const qsizetype mark = watcher.size();
        connection->close();
        return watcher.waitFor(FrameLog::presenceOf(userId, u"offline"_s), kWaitMs, mark) >= 0;
    }

    static QString codePointsLeft(const QString &text, int count)
    {
        const QList<uint> ucs4 = text.toUcs4();
        return QString::fromUcs4(ucs4.constData(), std::min<qsizetype>(count, ucs4.size()));
    }

    static QList<QJsonObject> failures(const ServerProcess &server, const TestUser &admin, QString *error)
    {
        auto rest = restFor(server, &admin);
        RestReply *r = rest->get(u"/api/v1/admin/push/failures"_s);
        if (!waitForFinished(r, 30000) || r->status() != 200) {
            *error = describeReply(r);
            return {};
        }
        QList<QJsonObject> out;
        for (const QJsonValue &v : r->json().value(u"failures"_s).toArray())
            out.append(v.toObject());
        return out;
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void webhookOncePerMessageToOfflineUsers()
    {
        SB_TEST_DATABASE(db);
        HookReceiver receiver;
        IT_SERVER(server, db);
        configureWebhook(server, receiver);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(carol, server, "carol");

        // bob registers over WebSocket, then goes offline.
        IT_CONNECT(annC, server, ann);
        FrameLog annLog(annC.get());
        IT_OK(watch, annC->request(u"contact_add"_s, {{u"user_id"_s, double(bob.id)}}));
        {
            IT_CONNECT(bobC, server, bob);
            IT_OK(reg,
                bobC->request(u"push_register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u"bob-device-1"_s}}));
            QCOMPARE(reg->data().value(u"platform"_s).toString(), u"webhook"_s);
            IT_FAILS(
                bobC->request(u"push_register"_s, {{u"platform"_s, u"sms"_s}, {u"token"_s, u"x"_s}}), ValidationFailed);
            IT_FAILS(bobC->request(u"push_register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u""_s}}),
                ValidationFailed);
            IT_FAILS(bobC->request(u"push_register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, 42}}), BadRequest);
            IT_FAILS(bobC->request(u"push_register"_s, {{u"token"_s, u"x"_s}}), BadRequest);
            QVERIFY(goOffline(bobC.get(), annLog, bob.id));
        }

        // Two messages to offline bob: a long ASCII one and a long emoji one.
        QString longText;
        for (int n = 0; n < 20; ++n)
            longText += u"0123456789"_s;
        QString emojiText;
        for (int n = 0; n < 100; ++n)
            emojiText += u"😀"_s;
        IT_OK(m1, annC->sendTextTo(bob.id, longText));
        IT_OK(m2, annC->sendTextTo(bob.id, emojiText));
        const QHash<qint64, QString> sentTexts {
            {intOf(m1->data(), u"message_id"_s), longText}, {intOf(m2->data(), u"message_id"_s), emojiText}};

        QVERIFY2(receiver.waitForHits(2), qPrintable(u"%1 notifications"_s.arg(receiver.hits().size())));
        QVERIFY2(receiver.noMoreThan(2, 1500), "more than one notification per message");
        QSet<qint64> notified;
        for (const HookReceiver::Hit &hit : receiver.hits()) {
            QCOMPARE(hit.method, QByteArray("POST"));
            QCOMPARE(hit.path, QByteArray("/hook"));
            QVERIFY(hit.headers.value("content-type").startsWith("application/json"));
            QCOMPARE(hit.headers.value("x-switchboard-signature"), expectedSignature(hit.body));
            QCOMPARE(hit.json.value(u"token"_s).toString(), u"bob-device-1"_s);
            QCOMPARE(hit.json.value(u"platform"_s).toString(), u"webhook"_s);
            const QJsonObject n = hit.json.value(u"notification"_s).toObject();
            const qint64 messageId = intOf(n, u"message_id"_s);
            QVERIFY2(sentTexts.contains(messageId), qPrintable(compact(hit.json)));
            notified.insert(messageId);
            QCOMPARE(intOf(n, u"user_id"_s), bob.id);
            QCOMPARE(intOf(n, u"sender_id"_s), ann.id);
            QCOMPARE(intOf(n, u"conversation_id"_s), intOf(m1->data(), u"conversation_id"_s));
            QCOMPARE(n.value(u"sender_name"_s).toString(), ann.displayName);
            // At most 80 characters (code points) of the text, never the whole long message.
            const QString preview = n.value(u"preview"_s).toString();
            QCOMPARE(preview.toUcs4().size(), 80);
            QCOMPARE(preview, codePointsLeft(sentTexts.value(messageId), 80));
            QVERIFY(!hit.body.contains(longText.toUtf8()));
        }
        QCOMPARE(notified.size(), 2);

        // bob online: no notification.
        IT_CONNECT(bobBack, server, bob);
        IT_OK(m3, annC->sendTextTo(bob.id, u"you are online"_s));
        QVERIFY2(receiver.noMoreThan(2, 1500), "a notification for an online user");

        // carol registers over HTTP and was never online.
        auto carolRest = restFor(server, &carol);
        IT_HTTP_STATUS(reg,
            carolRest->post(
                u"/api/v1/push/register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u"carol-device"_s}}),
            200);
        IT_HTTP_STATUS(bad,
            carolRest->post(u"/api/v1/push/register"_s, {{u"platform"_s, u"pigeon"_s}, {u"token"_s, u"x"_s}}), 400);
        auto anonymous = restFor(server);
        IT_HTTP_STATUS(noAuth,
            anonymous->post(u"/api/v1/push/register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u"stolen"_s}}),
            401);
        IT_OK(m4, annC->sendTextTo(carol.id, u"hi carol"_s));
        QVERIFY(receiver.waitForHits(3));
        const HookReceiver::Hit carolHit = receiver.hits().at(2);
        QCOMPARE(carolHit.json.value(u"token"_s).toString(), u"carol-device"_s);
        QCOMPARE(carolHit.json.value(u"notification"_s).toObject().value(u"preview"_s).toString(), u"hi carol"_s);
        QCOMPARE(carolHit.headers.value("x-switchboard-signature"), expectedSignature(carolHit.body));
        QVERIFY(receiver.noMoreThan(3, 1000));
    }

    void previewCharsIsConfigurable()
    {
        SB_TEST_DATABASE(db);
        HookReceiver receiver;
        IT_SERVER(server, db);
        configureWebhook(server, receiver);
        server.setConfigValue(u"push"_s, u"preview_chars"_s, u"10"_s);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        auto bobRest = restFor(server, &bob);
        IT_HTTP_STATUS(reg,
            bobRest->post(u"/api/v1/push/register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u"bob-device"_s}}),
            200);
        IT_CONNECT(annC, server, ann);
        IT_OK(m1, annC->sendTextTo(bob.id, u"abcdefghijklmnopqrstuvwxyz"_s));
        QVERIFY(receiver.waitForHits(1));
        QCOMPARE(receiver.hits().first().json.value(u"notification"_s).toObject().value(u"preview"_s).toString(),
            u"abcdefghij"_s);
        QVERIFY(!receiver.hits().first().body.contains("klmnop"));
    }

    void retriesUntilDeliveredAndAdminSeesFailures()
    {
        SB_TEST_DATABASE(db);
        HookReceiver receiver;
        receiver.setPlan({500, 500});
        IT_SERVER(server, db);
        configureWebhook(server, receiver);
        server.setConfigValue(u"push"_s, u"max_attempts"_s, u"3"_s);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_STAFF(admin, server, "admin", "boss");
        auto bobRest = restFor(server, &bob);
        IT_HTTP_STATUS(reg,
            bobRest->post(u"/api/v1/push/register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u"bob-device"_s}}),
            200);
        IT_CONNECT(annC, server, ann);

        // 500, 500, then 200: exactly three attempts for the one notification.
        IT_OK(m1, annC->sendTextTo(bob.id, u"retry me"_s));
        QVERIFY2(receiver.waitForHits(3), qPrintable(u"%1 attempts"_s.arg(receiver.hits().size())));
        QVERIFY2(receiver.noMoreThan(3, 1500), "attempts after a successful delivery");
        const QList<HookReceiver::Hit> hits = receiver.hits();
        QCOMPARE(hits.at(0).answered, 500);
        QCOMPARE(hits.at(1).answered, 500);
        QCOMPARE(hits.at(2).answered, 200);
        for (const HookReceiver::Hit &hit : hits) {
            QCOMPARE(intOf(hit.json, u"id"_s), intOf(hits.first().json, u"id"_s));
            QCOMPARE(intOf(hit.json.value(u"notification"_s).toObject(), u"message_id"_s),
                intOf(m1->data(), u"message_id"_s));
            QCOMPARE(hit.headers.value("x-switchboard-signature"), expectedSignature(hit.body));
        }
        // Backoff: the retries are not immediate (retry_base_ms = 100, doubling).
        QVERIFY2(hits.at(1).at - hits.at(0).at >= 80, qPrintable(QString::number(hits.at(1).at - hits.at(0).at)));
        QVERIFY2(hits.at(2).at - hits.at(1).at >= 160, qPrintable(QString::number(hits.at(2).at - hits.at(1).at)));
        QString error;
        QList<QJsonObject> list = failures(server, admin, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(list.size(), 0); // delivered in the end: not a failure

        // A gateway that keeps failing: max_attempts, then given up and shown to admins.
        receiver.setDefaultStatus(500);
        IT_OK(m2, annC->sendTextTo(bob.id, u"doomed"_s));
        QVERIFY(receiver.waitForHits(6));
        QVERIFY2(receiver.noMoreThan(6, 1500), "more attempts than max_attempts");
        QVERIFY(QTest::qWaitFor(
            [&] {
                list = failures(server, admin, &error);
                return !list.isEmpty() && list.first().value(u"status"_s).toString() == u"failed"_s;
            },
            kWaitMs));
        QCOMPARE(list.size(), 1);
        const QJsonObject failure = list.first();
        QCOMPARE(intOf(failure, u"id"_s), intOf(receiver.hits().at(5).json, u"id"_s));
        QCOMPARE(intOf(failure, u"user_id"_s), bob.id);
        QCOMPARE(failure.value(u"platform"_s).toString(), u"webhook"_s);
        QCOMPARE(failure.value(u"attempts"_s).toInt(), 3);
        QVERIFY2(failure.value(u"last_error"_s).toString().contains(u"500"_s), qPrintable(compact(failure)));
        // Admins only.
        IT_HTTP_STATUS(asUser, bobRest->get(u"/api/v1/admin/push/failures"_s), 403);
        auto nobody = restFor(server);
        IT_HTTP_STATUS(anonymous, nobody->get(u"/api/v1/admin/push/failures"_s), 401);
    }

    void pendingNotificationsSurviveSigkill()
    {
        SB_TEST_DATABASE(db);
        HookReceiver receiver;
        receiver.setDefaultStatus(500); // the gateway is down at first
        IT_SERVER(server, db);
        configureWebhook(server, receiver);
        server.setConfigValue(u"push"_s, u"retry_base_ms"_s, u"3000"_s);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_STAFF(admin, server, "admin", "boss");
        auto bobRest = restFor(server, &bob);
        IT_HTTP_STATUS(reg,
            bobRest->post(u"/api/v1/push/register"_s, {{u"platform"_s, u"webhook"_s}, {u"token"_s, u"bob-device"_s}}),
            200);
        QSet<qint64> messageIds;
        {
            IT_CONNECT(annC, server, ann);
            IT_OK(m1, annC->sendTextTo(bob.id, u"first while the gateway is down"_s));
            IT_OK(m2, annC->sendTextTo(bob.id, u"second while the gateway is down"_s));
            messageIds = {intOf(m1->data(), u"message_id"_s), intOf(m2->data(), u"message_id"_s)};
        }
        // Both were tried once and failed; the failure is recorded (so nothing is in flight).
        QVERIFY(receiver.waitForHits(2));
        QString error;
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         const QList<QJsonObject> list = failures(server, admin, &error);
                         int recorded = 0;
                         for (const QJsonObject &f : list)
                             recorded += f.value(u"last_error"_s).toString().contains(u"500"_s) ? 1 : 0;
                         return recorded == 2;
                     },
                     kWaitMs),
            qPrintable(error));

        QVERIFY(server.kill());
        receiver.setDefaultStatus(200); // the gateway recovers
        const qsizetype before = receiver.hits().size();
        QVERIFY2(server.restart(), qPrintable(server.errorString()));

        QSet<qint64> delivered;
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         delivered.clear();
                         for (qsizetype i = before; i < receiver.hits().size(); ++i) {
                             const HookReceiver::Hit &hit = receiver.hits().at(i);
                             if (hit.answered == 200)
                                 delivered.insert(intOf(hit.json.value(u"notification"_s).toObject(), u"message_id"_s));
                         }
                         return delivered == messageIds;
                     },
                     30000),
            qPrintable(u"%1 of 2 delivered after the restart"_s.arg(delivered.size())));
        for (qsizetype i = before; i < receiver.hits().size(); ++i) {
            const HookReceiver::Hit &hit = receiver.hits().at(i);
            QCOMPARE(hit.headers.value("x-switchboard-signature"), expectedSignature(hit.body));
        }
    }

    void fcmRequestShape()
    {
        SB_TEST_DATABASE(db);
        HookReceiver receiver;
        IT_SERVER(server, db);
        server.setConfigValue(u"push"_s, u"fcm_url"_s, receiver.url(u"/v1/projects/demo/messages:send"_s));
        server.setConfigValue(u"push"_s, u"fcm_access_token"_s, u"test-access-token"_s);
        server.setConfigValue(u"push"_s, u"retry_base_ms"_s, u"100"_s);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        {
            IT_CONNECT(bobC, server, bob);
            IT_OK(reg, bobC->request(u"push_register"_s, {{u"platform"_s, u"fcm"_s}, {u"token"_s, u"fcm-token-1"_s}}));
        }
        IT_CONNECT(annC, server, ann);
        IT_OK(probe, annC->request(u"presence_query"_s, {{u"user_ids"_s, QJsonArray {double(bob.id)}}}));
        QCOMPARE(probe->data().value(u"presence"_s).toArray().first().toObject().value(u"status"_s).toString(),
            u"offline"_s);
        IT_OK(m1, annC->sendTextTo(bob.id, u"hello fcm"_s));
        QVERIFY(receiver.waitForHits(1));
        QVERIFY(receiver.noMoreThan(1, 1000));
        const HookReceiver::Hit hit = receiver.hits().first();
        QCOMPARE(hit.method, QByteArray("POST"));
        QCOMPARE(hit.path, QByteArray("/v1/projects/demo/messages:send"));
        QCOMPARE(hit.headers.value("authorization"), QByteArray("Bearer test-access-token"));
        QVERIFY(hit.headers.value("content-type").startsWith("application/json"));
        QCOMPARE(hit.json.keys(), QStringList {u"message"_s});
        const QJsonObject message = hit.json.value(u"message"_s).toObject();
        QCOMPARE(message.value(u"token"_s).toString(), u"fcm-token-1"_s);
        const QJsonObject notification = message.value(u"notification"_s).toObject();
        QCOMPARE(notification.value(u"title"_s).toString(), ann.displayName);
        QCOMPARE(notification.value(u"body"_s).toString(), u"hello fcm"_s);
        const QJsonObject data = message.value(u"data"_s).toObject();
        QVERIFY(!data.isEmpty());
        for (auto it = data.begin(); it != data.end(); ++it)
            QVERIFY2(it.value().isString(), qPrintable(u"data."_s + it.key() + u" is not a string"_s));
        QCOMPARE(data.value(u"message_id"_s).toString(), QString::number(intOf(m1->data(), u"message_id"_s)));
        QCOMPARE(data.value(u"conversation_id"_s).toString(), QString::number(intOf(m1->data(), u"conversation_id"_s)));
    }
};

QTEST_GUILESS_MAIN(TestPush)
#include "tst_push.moc"
