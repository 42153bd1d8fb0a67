#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Session resume (PROTOCOL.md sections 6 and 13): `reconnect` with the single-use resume_token
// restores session_id, joined rooms and status, replays missed room broadcasts in order (and says
// honestly when it could not), then delivers offline messages; used, expired and exhausted tokens
// are refused.
class TestReconnect : public QObject
{
    Q_OBJECT

private:
    // A connection that presented a resume token, with everything it received from the start.
    struct Resumed
    {
        std::unique_ptr<ClientConnection> connection;
        std::unique_ptr<FrameLog> log;
        PendingRequest *request = nullptr;

        bool ok() const { return request && request->isSuccess(); }
        QJsonObject data() const { return request ? request->data() : QJsonObject(); }
    };

    static Resumed resume(const ServerProcess &server, const QString &token)
    {
        Resumed r;
        r.connection = std::make_unique<ClientConnection>();
        r.log = std::make_unique<FrameLog>(r.connection.get());
        r.connection->open(server.wsUrl());
        r.request = r.connection->resumeSession(token);
        waitForFinished(r.request, 30000);
        return r;
    }

    // Drops the connection without a close frame (a network failure) and waits until the server
    // noticed: the watcher sees the user go offline.
    static bool drop(ClientConnection *connection, FrameLog &watcher, qint64 userId)
    {
        const qsizetype mark = watcher.size();
        connection->abort();
        return watcher.waitFor(FrameLog::presenceOf(userId, u"offline"_s), kWaitMs, mark) >= 0;
    }

    static bool waitAllFinished(const QList<PendingRequest *> &requests, int timeoutMs = 60000)
    {
        return QTest::qWaitFor(
            [&] {
                for (PendingRequest *r : requests) {
                    if (!r->isFinished())
                        return false;
                }
                return true;
            },
            timeoutMs);
    }

    static bool isRoomMessage(const QJsonObject &f) { return f.value(u"type"_s).toString() == u"room_message"_s; }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void resumeRestoresSessionAndRooms()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(contact, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        IT_OK(j1, annC->joinRoom(u"r1"_s));
        IT_OK(j2, annC->joinRoom(u"r2"_s));
        IT_OK(j3, bobC->joinRoom(u"r1"_s));
        const QString sessionId = annC->sessionId();
        const QString token = annC->resumeToken();
        QVERIFY(!sessionId.isEmpty());
        QVERIFY(!token.isEmpty());

        QVERIFY2(drop(annC.get(), bobLog, ann.id), "the server did not notice the drop");
        Resumed r = resume(server, token);
        QVERIFY2(r.ok(), qPrintable(describeRequest(r.request)));
        const QJsonObject data = r.data();
        QCOMPARE(data.value(u"session_id"_s).toString(), sessionId);
        QCOMPARE(intOf(data.value(u"user"_s).toObject(), u"id"_s), ann.id);
        const QString newToken = data.value(u"resume_token"_s).toString();
        QVERIFY(!newToken.isEmpty());
        QVERIFY(newToken != token);
        QVERIFY(data.value(u"heartbeat_interval"_s).isDouble());
        QVERIFY(data.value(u"server_time"_s).isDouble());
        QCOMPARE(stringSet(data.value(u"restored_rooms"_s).toArray()), (QSet<QString> {u"r1"_s, u"r2"_s}));
        QCOMPARE(data.value(u"recovered"_s).toBool(), true);
        QVERIFY(r.log->waitFor(FrameLog::isEvent(u"sync_complete"_s)) >= 0);
        QCOMPARE(r.connection->state(), ClientConnection::State::Authenticated);

        // The rooms really are joined on the new connection.
        const qsizetype mark = r.log->size();
        IT_OK(b1, bobC->broadcast(u"r1"_s, QJsonObject {{u"after"_s, true}}));
        const qsizetype i = r.log->waitFor(isRoomMessage, kWaitMs, mark);
        QVERIFY2(i >= 0, "no live broadcast on the resumed connection");
        const QJsonObject live = r.log->frames().at(i);
        QCOMPARE(live.value(u"room"_s).toString(), u"r1"_s);
        QCOMPARE(intOf(live, u"from"_s), bob.id);
        QVERIFY(!live.contains(u"recovered"_s));
        IT_OK(b2, r.connection->broadcast(u"r2"_s, 1));
        // ... and it is online again.
        QVERIFY(bobLog.waitFor(FrameLog::presenceOf(ann.id, u"online"_s), kWaitMs,
                    bobLog.find(FrameLog::presenceOf(ann.id, u"offline"_s)))
            >= 0);
    }

    void resumeRestoresStatus()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(carol, server, "carol");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(c1, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        IT_OK(c2, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(carol.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(carolC, server, carol);
        IT_OK(away, annC->setStatus(u"away"_s));
        QVERIFY(bobLog.waitFor(FrameLog::presenceOf(ann.id, u"away"_s)) >= 0);

        QVERIFY(drop(annC.get(), bobLog, ann.id));
        QVERIFY(drop(carolC.get(), bobLog, carol.id));
        Resumed annR = resume(server, annC->resumeToken());
        QVERIFY2(annR.ok(), qPrintable(describeRequest(annR.request)));
        Resumed carolR = resume(server, carolC->resumeToken());
        QVERIFY2(carolR.ok(), qPrintable(describeRequest(carolR.request)));

        // "The session is restored: ... its status" (section 6), and a user with an open,
        // authenticated connection is not offline.
        IT_OK(query,
            bobC->request(u"presence_query"_s, {{u"user_ids"_s, QJsonArray {double(carol.id), double(ann.id)}}}));
        const QJsonArray list = query->data().value(u"presence"_s).toArray();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list.at(0).toObject().value(u"status"_s).toString(), u"online"_s);
        QCOMPARE(list.at(1).toObject().value(u"status"_s).toString(), u"away"_s);
    }

    void missedBroadcastsReplayedThenOfflineMessages()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(contact, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        IT_OK(j1, annC->joinRoom(u"lobby"_s));
        IT_OK(j2, bobC->joinRoom(u"lobby"_s));
        IT_OK(before, bobC->broadcast(u"lobby"_s, u"seen live"_s));
        QVERIFY(drop(annC.get(), bobLog, ann.id));

        // The gap: five broadcasts and two chat messages.
        for (int n = 0; n < 5; ++n) {
            IT_OK(b, bobC->broadcast(u"lobby"_s, QJsonObject {{u"n"_s, n}}));
            b->deleteLater();
        }
        IT_OK(m1, bobC->sendTextTo(ann.id, u"while away 1"_s));
        IT_OK(m2, bobC->sendTextTo(ann.id, u"while away 2"_s));

        Resumed r = resume(server, annC->resumeToken());
        QVERIFY2(r.ok(), qPrintable(describeRequest(r.request)));
        QCOMPARE(r.data().value(u"recovered"_s).toBool(), true);
        QCOMPARE(stringSet(r.data().value(u"restored_rooms"_s).toArray()), QSet<QString> {u"lobby"_s});
        const qsizetype syncAt = r.log->waitFor(FrameLog::isEvent(u"sync_complete"_s));
        QVERIFY(syncAt >= 0);
        const QList<QJsonObject> &frames = r.log->frames();
        const qsizetype replyAt
            = r.log->find([](const QJsonObject &f) { return f.value(u"type"_s).toString() == u"reconnect"_s; });
        QCOMPARE(replyAt, 0); // the reply comes first

        // Then the missed broadcasts, in order, each marked recovered; then the offline
        // messages; then sync_complete.
        QList<qint64> order;
        QList<int> ns;
        QStringList texts;
        for (qsizetype i = replyAt + 1; i < syncAt; ++i) {
            const QJsonObject f = frames.at(i);
            const QString type = f.value(u"type"_s).toString();
            if (type == u"room_message"_s) {
                QVERIFY2(texts.isEmpty(), "a replayed broadcast after the offline messages");
                QCOMPARE(f.value(u"recovered"_s).toBool(), true);
                QCOMPARE(f.value(u"room"_s).toString(), u"lobby"_s);
                QCOMPARE(intOf(f, u"from"_s), bob.id);
                ns.append(f.value(u"data"_s).toObject().value(u"n"_s).toInt());
            } else if (type == u"new_message"_s) {
                QCOMPARE(f.value(u"offline"_s).toBool(), true);
                texts.append(f.value(u"message"_s).toObject().value(u"content"_s).toString());
            } else {
                QFAIL(qPrintable(u"unexpected frame "_s + compact(f)));
            }
        }
        QCOMPARE(ns, (QList<int> {0, 1, 2, 3, 4}));
        QCOMPARE(texts, (QStringList {u"while away 1"_s, u"while away 2"_s}));
        QCOMPARE(frames.at(syncAt).value(u"count"_s).toInt(), 2);
        QCOMPARE(frames.at(syncAt).value(u"has_more"_s).toBool(), false);
    }

    void usedTokenIsRefused()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(contact, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        const QString t0 = annC->resumeToken();
        QVERIFY(drop(annC.get(), bobLog, ann.id));
        Resumed first = resume(server, t0);
        QVERIFY2(first.ok(), qPrintable(describeRequest(first.request)));
        const QString t1 = first.data().value(u"resume_token"_s).toString();

        // t0 again: used.
        Resumed again = resume(server, t0);
        QVERIFY(again.request->isFinished());
        QVERIFY(!again.ok());
        SB_COMPARE_CODE(again.request->error().code, ErrorCode::AuthFailed);
        // The connection stays open and unauthenticated; auth with the JWT still works on it.
        QCOMPARE(again.connection->state(), ClientConnection::State::Connected);
        IT_FAILS(again.connection->request(u"history"_s, {{u"conversation_id"_s, 1}}), NotAuthenticated);
        IT_OK(auth, again.connection->authenticate(ann.token));
        QVERIFY(auth->data().value(u"session_id"_s).toString() != first.data().value(u"session_id"_s).toString());

        // An unknown token is refused as well.
        Resumed unknown = resume(server, u"no-such-resume-token"_s);
        QVERIFY(!unknown.ok());
        SB_COMPARE_CODE(unknown.request->error().code, ErrorCode::AuthFailed);

        // The session's current token is not affected by one failed attempt.
        first.connection->abort();
        Resumed second = resume(server, t1);
        QVERIFY2(second.ok(), qPrintable(describeRequest(second.request)));
        QCOMPARE(second.data().value(u"session_id"_s).toString(), first.data().value(u"session_id"_s).toString());
    }

    void expiredTokenIsRefused()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"reconnection_ttl"_s, u"2"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(carol, server, "carol");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(c1, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        IT_OK(c2, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(carol.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(carolC, server, carol);
        QVERIFY(drop(annC.get(), bobLog, ann.id));
        QVERIFY(drop(carolC.get(), bobLog, carol.id));

        // Within the TTL it works (carol) ...
        Resumed inTime = resume(server, carolC->resumeToken());
        QVERIFY2(inTime.ok(), qPrintable(describeRequest(inTime.request)));

        // ... after it (ann), not. The TTL is a duration: let it pass.
        QTest::qWait(2600);
        Resumed late = resume(server, annC->resumeToken());
        QVERIFY(late.request->isFinished());
        QVERIFY2(!late.ok(), "a resume token worked after reconnection_ttl");
        SB_COMPARE_CODE(late.request->error().code, ErrorCode::AuthFailed);
    }

    void failedAttemptsKillTheSession()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"reconnection_max_attempts"_s, u"3"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(carol, server, "carol");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(c1, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        IT_OK(c2, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(carol.id)}}));
        FrameLog bobLog(bobC.get());

        // For both users: a first resume uses t0 and yields t1; then the resumed connection drops.
        QString used[2], current[2];
        const TestUser *users[2] = {&ann, &carol};
        for (int k = 0; k < 2; ++k) {
            IT_CONNECT(c, server, *users[k]);
            used[k] = c->resumeToken();
            QVERIFY(drop(c.get(), bobLog, users[k]->id));
            Resumed r = resume(server, used[k]);
            QVERIFY2(r.ok(), qPrintable(describeRequest(r.request)));
            current[k] = r.data().value(u"resume_token"_s).toString();
            QVERIFY(drop(r.connection.get(), bobLog, users[k]->id));
        }

        auto probe = openRaw(server.wsUrl());
        QVERIFY(probe);
        // carol: max_attempts - 1 failures leave the session alone.
        for (int n = 0; n < 2; ++n)
            IT_FAILS(probe->resumeSession(used[1]), AuthFailed);
        // ann: the third failure discards the session ...
        for (int n = 0; n < 3; ++n)
            IT_FAILS(probe->resumeSession(used[0]), AuthFailed);
        QCOMPARE(probe->state(), ClientConnection::State::Connected);
        // ... so even its current token fails now.
        Resumed annLate = resume(server, current[0]);
        QVERIFY(annLate.request->isFinished());
        QVERIFY2(!annLate.ok(), "the session survived reconnection_max_attempts failures");
        SB_COMPARE_CODE(annLate.request->error().code, ErrorCode::AuthFailed);

        Resumed carolLate = resume(server, current[1]);
        QVERIFY2(carolLate.ok(), qPrintable(describeRequest(carolLate.request)));
    }

    void reconnectOnAuthenticatedConnectionIsBadRequest()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(contact, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        const QString token = annC->resumeToken();
        const QString sessionId = annC->sessionId();
        IT_FAILS(annC->resumeSession(token), BadRequest);
        IT_FAILS(annC->request(u"reconnect"_s, {{u"token"_s, u"whatever"_s}}), BadRequest);
        // Still the same authenticated session, and the token was not consumed.
        QCOMPARE(annC->state(), ClientConnection::State::Authenticated);
        IT_OK(pong, annC->ping());
        QVERIFY(drop(annC.get(), bobLog, ann.id));
        Resumed r = resume(server, token);
        QVERIFY2(r.ok(), qPrintable(describeRequest(r.request)));
        QCOMPARE(r.data().value(u"session_id"_s).toString(), sessionId);
    }

    void aLargeReplayNeverCutsTheResumingClient()
    {
        // Issue 12, item 1: a resume replayed every buffered broadcast at once; 256 broadcasts of
        // 4 KB overflowed a small send queue and cut the resuming client, every time it tried.
        // The replay is bounded (a quarter of max_send_queue_bytes); past it the server says
        // recovered: false, and the connection stays.
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(noRateLimit({{u"max_send_queue_bytes"_s, u"262144"_s}}));
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(contact, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        IT_OK(j1, annC->joinRoom(u"lobby"_s));
        IT_OK(j2, bobC->joinRoom(u"lobby"_s));
        bobC->setAutoDeleteRequests(false);
        QVERIFY(drop(annC.get(), bobLog, ann.id));
        const QString filler(4000, u'x');
        QList<PendingRequest *> sent;
        for (int n = 0; n < 256; ++n) // ~1 MB of replay, four times the send queue
            sent.append(bobC->broadcast(u"lobby"_s, QJsonObject {{u"n"_s, n}, {u"pad"_s, filler}}));
        QVERIFY(waitAllFinished(sent));
        for (PendingRequest *p : std::as_const(sent))
            QVERIFY2(p->isSuccess(), qPrintable(describeRequest(p)));

        Resumed r = resume(server, annC->resumeToken());
        QVERIFY2(r.ok(), qPrintable(describeRequest(r.request)));
        QCOMPARE(r.data().value(u"recovered"_s).toBool(), false);
        QVERIFY(r.log->waitFor(FrameLog::isEvent(u"sync_complete"_s)) >= 0);
        const QList<QJsonObject> replayed = r.log->all(isRoomMessage);
        QVERIFY2(!replayed.isEmpty() && replayed.size() < 256, qPrintable(QString::number(replayed.size())));
        // The oldest of the kept ones (the room keeps at most 1 MiB), consecutive, in order.
        const int first = replayed.first().value(u"data"_s).toObject().value(u"n"_s).toInt();
        for (int i = 0; i < replayed.size(); ++i)
            QCOMPARE(replayed.at(i).value(u"data"_s).toObject().value(u"n"_s).toInt(), first + i);
        IT_OK(ping, r.connection->ping());
        QCOMPARE(r.connection->state(), ClientConnection::State::Authenticated);
        // Live broadcasts keep arriving on the resumed connection.
        const qsizetype mark = r.log->size();
        IT_OK(more, bobC->broadcast(u"lobby"_s, QJsonObject {{u"n"_s, 999}}));
        QVERIFY(r.log->waitFor(isRoomMessage, kWaitMs, mark) >= 0);
    }

    void bufferOverflowReportedHonestly()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(noRateLimit());
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(bobC, server, bob);
        IT_OK(contact, bobC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        FrameLog bobLog(bobC.get());
        IT_CONNECT(annC, server, ann);
        IT_OK(j1, annC->joinRoom(u"lobby"_s));
        IT_OK(j2, bobC->joinRoom(u"lobby"_s));
        bobC->setAutoDeleteRequests(false);

        // Exactly the buffer (256 broadcasts) missed: everything can be replayed.
        QVERIFY(drop(annC.get(), bobLog, ann.id));
        QList<PendingRequest *> sent;
        for (int n = 0; n < 256; ++n)
            sent.append(bobC->broadcast(u"lobby"_s, QJsonObject {{u"n"_s, n}}));
        QVERIFY(waitAllFinished(sent));
        for (PendingRequest *p : std::as_const(sent))
            QVERIFY2(p->isSuccess(), qPrintable(describeRequest(p)));
        Resumed r1 = resume(server, annC->resumeToken());
        QVERIFY2(r1.ok(), qPrintable(describeRequest(r1.request)));
        QCOMPARE(r1.data().value(u"recovered"_s).toBool(), true);
        QVERIFY(r1.log->waitFor(FrameLog::isEvent(u"sync_complete"_s)) >= 0);
        QList<QJsonObject> replayed = r1.log->all(isRoomMessage);
        QCOMPARE(replayed.size(), 256);
        for (int n = 0; n < 256; ++n) {
            QCOMPARE(replayed.at(n).value(u"data"_s).toObject().value(u"n"_s).toInt(), n);
            QCOMPARE(replayed.at(n).value(u"recovered"_s).toBool(), true);
        }

        // One more than the buffer: the oldest is lost, and the server says so.
        QVERIFY(drop(r1.connection.get(), bobLog, ann.id));
        sent.clear();
        for (int n = 0; n < 257; ++n)
            sent.append(bobC->broadcast(u"lobby"_s, QJsonObject {{u"n"_s, 1000 + n}}));
        QVERIFY(waitAllFinished(sent));
        for (PendingRequest *p : std::as_const(sent))
            QVERIFY2(p->isSuccess(), qPrintable(describeRequest(p)));
        Resumed r2 = resume(server, r1.data().value(u"resume_token"_s).toString());
        QVERIFY2(r2.ok(), qPrintable(describeRequest(r2.request)));
        QCOMPARE(r2.data().value(u"recovered"_s).toBool(), false);
        QVERIFY(r2.log->waitFor(FrameLog::isEvent(u"sync_complete"_s)) >= 0);
        replayed = r2.log->all(isRoomMessage);
        QCOMPARE(replayed.size(), 256);
        for (int n = 0; n < 256; ++n)
            QCOMPARE(replayed.at(n).value(u"data"_s).toObject().value(u"n"_s).toInt(), 1001 + n);
    }
};

QTEST_GUILESS_MAIN(TestReconnect)
#include "tst_reconnect.moc"
