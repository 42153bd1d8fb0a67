#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Administration (PROTOCOL.md sections 9, 11 and 13): stats_subscribe events, admin_connections,
// admin_kick (4003 with the reason verbatim) by user and by connection, the HTTP admin routes
// (admin 200, others 403, anonymous 401) and GET /metrics in Prometheus text format.
class TestAdmin : public QObject
{
    Q_OBJECT

private:
    static bool isStats(const QJsonObject &f)
    {
        return f.value(u"type"_s).toString() == u"stats"_s && !f.contains(u"id"_s);
    }

    static void checkStatsFields(const QJsonObject &stats)
    {
        for (const QString &key :
            {u"connections"_s, u"authenticated"_s, u"users_online"_s, u"rooms"_s, u"messages_sent"_s,
                u"messages_received"_s, u"messages_per_second"_s, u"uptime"_s, u"memory_usage"_s}) {
            QVERIFY2(stats.value(key).isDouble(), qPrintable(key + u" in "_s + compact(stats)));
            QVERIFY2(stats.value(key).toDouble() >= 0, qPrintable(key));
        }
        QCOMPARE(stats.value(u"storage"_s).toString(), u"ok"_s);
        QVERIFY(stats.value(u"memory_usage"_s).toDouble() > 1024 * 1024); // a resident set, in bytes
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void statsSubscribe()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_STAFF(admin, server, "admin", "boss");
        IT_STAFF(agent, server, "agent", "agent");
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(adminC, server, admin);
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(agentC, server, agent);
        IT_OK(joined, annC->joinRoom(u"lobby"_s));
        IT_OK(sent, annC->sendTextTo(bob.id, u"counted"_s));
        FrameLog log(adminC.get());

        IT_FAILS(agentC->request(u"stats_subscribe"_s), Forbidden);
        IT_FAILS(annC->request(u"stats_subscribe"_s), Forbidden);

        IT_OK(subscribed, adminC->request(u"stats_subscribe"_s));
        QCOMPARE(subscribed->data().value(u"interval_ms"_s).toInt(), 1000);
        // Three events, about a second apart.
        QList<qint64> arrivals;
        QElapsedTimer clock;
        clock.start();
        QVERIFY(log.waitForCount(isStats, 1, 5000));
        arrivals.append(clock.elapsed());
        QVERIFY(log.waitForCount(isStats, 2, 5000));
        arrivals.append(clock.elapsed());
        QVERIFY(log.waitForCount(isStats, 3, 5000));
        arrivals.append(clock.elapsed());
        for (int k = 1; k < 3; ++k) {
            const qint64 gap = arrivals.at(k) - arrivals.at(k - 1);
            QVERIFY2(gap >= 500 && gap <= 2500, qPrintable(u"%1 ms between stats events"_s.arg(gap)));
        }
        const QList<QJsonObject> events = log.all(isStats);
        const QJsonObject last = events.last();
        checkStatsFields(last);
        QVERIFY2(last.value(u"connections"_s).toInt() >= 4, qPrintable(compact(last)));
        QVERIFY(last.value(u"authenticated"_s).toInt() >= 4);
        QVERIFY(last.value(u"users_online"_s).toInt() >= 4);
        QVERIFY(last.value(u"rooms"_s).toInt() >= 1);
        QVERIFY(last.value(u"messages_received"_s).toInt() >= 1);
        QVERIFY(last.value(u"messages_sent"_s).toInt() >= 1);
        QVERIFY(events.last().value(u"uptime"_s).toDouble() >= events.first().value(u"uptime"_s).toDouble());

        // A new connection shows up in the next event.
        const int before = last.value(u"connections"_s).toInt();
        auto extra = openRaw(server.wsUrl());
        QVERIFY(extra);
        const qsizetype mark = log.size();
        QVERIFY(log.waitFor(
                    [&](const QJsonObject &f) { return isStats(f) && f.value(u"connections"_s).toInt() == before + 1; },
                    5000, mark)
            >= 0);

        IT_OK(unsubscribed, adminC->request(u"stats_unsubscribe"_s));
        const qsizetype afterUnsubscribe = log.size();
        QVERIFY2(log.staysAbsent(isStats, 2200, afterUnsubscribe), "stats after stats_unsubscribe");
    }

    void adminConnections()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_STAFF(admin, server, "admin", "boss");
        IT_STAFF(agent, server, "agent", "agent");
        IT_USER(ann, server, "ann");
        IT_CONNECT(adminC, server, admin);
        IT_CONNECT(agentC, server, agent);
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        ClientConnection annC;
        annC.setUserAgent("tst-admin/1.0 (integration)");
        QSignalSpy synced(&annC, &ClientConnection::syncCompleted);
        annC.openWithToken(server.wsUrl(), ann.token);
        QVERIFY(!synced.isEmpty() || synced.wait(kWaitMs));
        IT_OK(j1, annC.joinRoom(u"zeta"_s));
        IT_OK(j2, annC.joinRoom(u"alpha"_s));
        auto anonymous = openRaw(server.wsUrl());
        QVERIFY(anonymous);

        IT_FAILS(agentC->request(u"admin_connections"_s), Forbidden);
        IT_OK(list, adminC->request(u"admin_connections"_s));
        const QJsonArray connections = list->data().value(u"connections"_s).toArray();
        QCOMPARE(connections.size(), 4);
        QJsonObject annEntry;
        int unauthenticated = 0;
        QSet<qint64> ids;
        for (const QJsonValue &v : connections) {
            const QJsonObject e = v.toObject();
            QVERIFY2(e.value(u"connection_id"_s).isDouble(), qPrintable(compact(e)));
            ids.insert(intOf(e, u"connection_id"_s));
            QCOMPARE(e.value(u"remote_address"_s).toString(), u"127.0.0.1"_s);
            QVERIFY(e.value(u"connected_at"_s).isDouble());
            QVERIFY(intOf(e, u"last_activity_at"_s) >= intOf(e, u"connected_at"_s));
            QVERIFY(e.value(u"rooms"_s).isArray());
            if (e.value(u"user_id"_s).isNull())
                ++unauthenticated;
            else if (intOf(e, u"user_id"_s) == ann.id)
                annEntry = e;
        }
        QCOMPARE(ids.size(), 4);
        QCOMPARE(unauthenticated, 1);
        QVERIFY2(!annEntry.isEmpty(), qPrintable(compact(list->data())));
        QCOMPARE(annEntry.value(u"username"_s).toString(), ann.username);
        QCOMPARE(annEntry.value(u"user_agent"_s).toString(), u"tst-admin/1.0 (integration)"_s);
        QVERIFY(intOf(annEntry, u"connected_at"_s) >= before - 1000);
        QVERIFY(intOf(annEntry, u"connected_at"_s) <= QDateTime::currentMSecsSinceEpoch());
        QCOMPARE(stringSet(annEntry.value(u"rooms"_s).toArray()), (QSet<QString> {u"alpha"_s, u"zeta"_s}));
    }

    void adminKick()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_STAFF(admin, server, "admin", "boss");
        IT_STAFF(agent, server, "agent", "agent");
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(adminC, server, admin);
        IT_CONNECT(agentC, server, agent);
        IT_CONNECT(ann1, server, ann);
        IT_CONNECT(ann2, server, ann);
        IT_CONNECT(bob1, server, bob);
        IT_CONNECT(bob2, server, bob);

        IT_FAILS(agentC->request(u"admin_kick"_s, {{u"user_id"_s, double(ann.id)}}), Forbidden);
        QCOMPARE(ann1->state(), ClientConnection::State::Authenticated);

        // By user: every connection of that user, with the reason verbatim.
        const QString reason = u"Spamming the lobby — bye (ünïcode)"_s;
        IT_OK(kicked, adminC->request(u"admin_kick"_s, {{u"user_id"_s, double(ann.id)}, {u"reason"_s, reason}}));
        QCOMPARE(kicked->data().value(u"kicked"_s).toInt(), 2);
        for (ClientConnection *c : {ann1.get(), ann2.get()}) {
            QCOMPARE(waitClosed(c), 4003);
            QCOMPARE(c->closeReason(), reason);
        }
        // By connection: only that one.
        IT_OK(list, adminC->request(u"admin_connections"_s));
        QList<qint64> bobConnections;
        for (const QJsonValue &v : list->data().value(u"connections"_s).toArray()) {
            if (intOf(v.toObject(), u"user_id"_s) == bob.id)
                bobConnections.append(intOf(v.toObject(), u"connection_id"_s));
        }
        QCOMPARE(bobConnections.size(), 2);
        std::sort(bobConnections.begin(), bobConnections.end());
        IT_OK(one,
            adminC->request(u"admin_kick"_s,
                {{u"connection_id"_s, double(bobConnections.first())}, {u"reason"_s, u"just this one"_s}}));
        QCOMPARE(one->data().value(u"kicked"_s).toInt(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(bob1->state() == ClientConnection::State::Disconnected
                || bob2->state() == ClientConnection::State::Disconnected,
            kWaitMs);
        ClientConnection *gone = bob1->state() == ClientConnection::State::Disconnected ? bob1.get() : bob2.get();
        ClientConnection *kept = gone == bob1.get() ? bob2.get() : bob1.get();
        QCOMPARE(gone->closeCode(), 4003);
        QCOMPARE(gone->closeReason(), u"just this one"_s);
        QVERIFY(!QSignalSpy(kept, &ClientConnection::disconnected).wait(kAbsenceMs));
        IT_OK(pong, kept->ping());
        // A kick by connection ends that session (no resume) but not the user's tokens.
        IT_CONNECT(bobAgain, server, bob);
        IT_OK(pong3, bobAgain->ping());
        auto bobResume = std::make_unique<ClientConnection>();
        bobResume->open(server.wsUrl());
        IT_FAILS(bobResume->resumeSession(gone->resumeToken()), AuthFailed);

        // Over HTTP too.
        auto rest = restFor(server, &admin);
        IT_HTTP_STATUS(viaHttp,
            rest->post(u"/api/v1/admin/kick"_s, {{u"user_id"_s, double(bob.id)}, {u"reason"_s, u"http kick"_s}}), 200);
        QCOMPARE(viaHttp->json().value(u"kicked"_s).toInt(), 2);
        QCOMPARE(waitClosed(kept), 4003);
        QCOMPARE(kept->closeReason(), u"http kick"_s);

        // Nothing to kick, or not exactly one selector.
        IT_FAILS(adminC->request(u"admin_kick"_s, {{u"user_id"_s, double(ann.id)}}), NotFound);
        IT_FAILS(adminC->request(u"admin_kick"_s, {{u"connection_id"_s, 999999999.0}}), NotFound);
        IT_FAILS(adminC->request(u"admin_kick"_s, {{u"reason"_s, u"nobody"_s}}), BadRequest);
        IT_FAILS(adminC->request(u"admin_kick"_s, {{u"user_id"_s, u"1"_s}}), BadRequest);
        // Kicked is out (issue 12, item 6): the tokens issued before the kick are void, over
        // WebSocket and HTTP, and the kicked sessions cannot be resumed ...
        auto stale = openRaw(server.wsUrl());
        QVERIFY(stale);
        IT_FAILS(stale->request(u"auth"_s, {{u"token"_s, ann.token}}), AuthFailed);
        auto annRest = restFor(server, &ann);
        IT_HTTP_STATUS(me, annRest->me(), 401);
        QCOMPARE(me->json().value(u"error"_s).toObject().value(u"message"_s).toString(), u"Token revoked"_s);
        auto resumed = std::make_unique<ClientConnection>();
        resumed->open(server.wsUrl());
        IT_FAILS(resumed->resumeSession(ann1->resumeToken()), AuthFailed);
        // ... and the user may come back by logging in again.
        QString error;
        const TestUser annAgain = loginUser(server.httpUrl(), ann.username, ann.password, &error);
        QVERIFY2(annAgain.isValid(), qPrintable(error));
        IT_CONNECT(annBack, server, annAgain);
        IT_OK(pong2, annBack->ping());
    }

    void httpAdminRoutes()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_STAFF(admin, server, "admin", "boss");
        IT_STAFF(agent, server, "agent", "agent");
        IT_USER(ann, server, "ann");
        IT_CONNECT(annC, server, ann);

        auto asAdmin = restFor(server, &admin);
        IT_HTTP_STATUS(stats, asAdmin->get(u"/api/v1/admin/stats"_s), 200);
        checkStatsFields(stats->json());
        QVERIFY(stats->json().value(u"connections"_s).toInt() >= 1);
        IT_HTTP_STATUS(conns, asAdmin->get(u"/api/v1/admin/connections"_s), 200);
        QVERIFY(conns->json().value(u"connections"_s).isArray());
        QCOMPARE(conns->json().value(u"connections"_s).toArray().size(), 1);
        QCOMPARE(intOf(conns->json().value(u"connections"_s).toArray().first().toObject(), u"user_id"_s), ann.id);

        const QList<QPair<QByteArray, QString>> routes {{"GET", u"/api/v1/admin/stats"_s},
            {"GET", u"/api/v1/admin/connections"_s}, {"POST", u"/api/v1/admin/kick"_s},
            {"GET", u"/api/v1/admin/push/failures"_s}};
        const QByteArray kickBody = QJsonDocument(QJsonObject {{u"user_id"_s, double(ann.id)}}).toJson();
        for (const TestUser *who : {&agent, &ann}) {
            auto rest = restFor(server, who);
            for (const auto &[verb, path] : routes) {
                RestReply *r = rest->sendRequest(verb, path, verb == "POST" ? kickBody : QByteArray(),
                    verb == "POST" ? "application/json" : QByteArray());
                QVERIFY(waitForFinished(r, 30000));
                QVERIFY2(r->status() == 403, qPrintable(who->role + u": "_s + describeReply(r)));
                SB_COMPARE_CODE(r->error().code, ErrorCode::Forbidden);
            }
        }
        auto anonymous = restFor(server);
        for (const auto &[verb, path] : routes) {
            RestReply *r = anonymous->sendRequest(verb, path, verb == "POST" ? kickBody : QByteArray(),
                verb == "POST" ? "application/json" : QByteArray());
            QVERIFY(waitForFinished(r, 30000));
            QVERIFY2(r->status() == 401, qPrintable(describeReply(r)));
        }
        auto forged = std::make_unique<RestClient>(server.httpUrl());
        forged->setToken(admin.token + u"x"_s);
        IT_HTTP_STATUS(bad, forged->get(u"/api/v1/admin/stats"_s), 401);
        // None of the refused kicks did anything.
        QCOMPARE(annC->state(), ClientConnection::State::Authenticated);
        IT_OK(pong, annC->ping());
    }

    void metrics()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_OK(sent, annC->sendTextTo(bob.id, u"one"_s));
        IT_OK(sent2, annC->sendTextTo(bob.id, u"two"_s));
        IT_OK(joined, annC->joinRoom(u"lobby"_s));

        auto rest = restFor(server); // no token needed
        IT_HTTP_STATUS(reply, rest->get(u"/metrics"_s), 200);
        QVERIFY2(reply->contentType().startsWith("text/plain"), reply->contentType().constData());
        const QString text = QString::fromUtf8(reply->body());
        QVERIFY(text.endsWith(u'\n'));

        // Every line is a comment (# HELP / # TYPE) or a sample "name{labels} value".
        // (Plain string literals: moc of Qt 6.4 mis-parses raw strings containing quotes.)
        static const QRegularExpression sample(u"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-"
                                               u"zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})?"
                                               " ([-+]?([0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?|Inf|NaN))$"_s);
        static const QRegularExpression comment(u"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$"_s);
        QHash<QString, double> values;
        QHash<QString, QString> types;
        const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
        for (const QString &line : lines) {
            if (line.startsWith(u'#')) {
                QVERIFY2(comment.match(line).hasMatch(), qPrintable(line));
                if (line.startsWith(u"# TYPE "_s)) {
                    const QStringList parts = line.split(u' ');
                    types.insert(parts.at(2), parts.at(3));
                    QVERIFY2((QStringList {u"gauge"_s, u"counter"_s, u"histogram"_s, u"summary"_s, u"untyped"_s})
                                 .contains(parts.at(3)),
                        qPrintable(line));
                }
                continue;
            }
            const auto m = sample.match(line);
            QVERIFY2(m.hasMatch(), qPrintable(u"not a Prometheus sample: "_s + line));
            if (m.captured(2).isEmpty())
                values.insert(m.captured(1), m.captured(4).toDouble());
        }
        QCOMPARE(types.value(u"switchboard_connections"_s), u"gauge"_s);
        QCOMPARE(values.value(u"switchboard_connections"_s, -1), 2.0);
        QCOMPARE(values.value(u"switchboard_connections_authenticated"_s, -1), 2.0);
        QCOMPARE(values.value(u"switchboard_users_online"_s, -1), 2.0);
        QVERIFY(values.value(u"switchboard_rooms"_s, -1) >= 1);
        QCOMPARE(types.value(u"switchboard_messages_received_total"_s), u"counter"_s);
        QCOMPARE(values.value(u"switchboard_messages_received_total"_s, -1), 2.0);
        QVERIFY(values.value(u"switchboard_messages_sent_total"_s, -1) >= 2);
        QCOMPARE(values.value(u"switchboard_storage_up"_s, -1), 1.0);
        QVERIFY(values.value(u"switchboard_uptime_seconds"_s, -1) >= 0);
        QVERIFY(values.value(u"switchboard_resident_memory_bytes"_s, -1) > 0);
        QCOMPARE(types.value(u"switchboard_request_duration_seconds"_s), u"histogram"_s);
        QVERIFY(text.contains(u"switchboard_request_duration_seconds_bucket{le=\"+Inf\"}"_s));
        QVERIFY(values.value(u"switchboard_request_duration_seconds_count"_s, -1) >= 3);

        // The gauges follow the server: one connection fewer (once the server has seen the close,
        // which may be a moment after our side is down).
        bobC->close();
        QCOMPARE(waitClosed(bobC.get()), 1000);
        QByteArray latest;
        const bool dropped = QTest::qWaitFor(
            [&] {
                RestReply *after = rest->get(u"/metrics"_s);
                if (!waitForFinished(after, 30000) || after->status() != 200)
                    return false;
                latest = after->body();
                after->deleteLater();
                return QString::fromUtf8(latest).contains(u"\nswitchboard_connections 1\n"_s);
            },
            kWaitMs);
        QVERIFY2(dropped, latest.constData());
        QVERIFY(QString::fromUtf8(latest).contains(u"\nswitchboard_users_online 1\n"_s));
    }
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
