#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Rate limits (PROTOCOL.md sections 2 and 13): the per-connection token bucket
// (messages_per_second, messages_burst) covers the requests that store or fan out; refused
// requests store nothing and say when to retry; other requests are not limited; a flood ends
// with close 1008 while well-behaved clients on the same server keep working.
class TestRateLimit : public QObject
{
    Q_OBJECT

private:
    static constexpr int kBurst = 5;
    static QMap<QString, QString> smallBucket()
    {
        return {{u"messages_per_second"_s, u"2"_s}, {u"messages_burst"_s, QString::number(kBurst)}};
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

    static int historySize(ClientConnection *c, qint64 conversationId, QString *error)
    {
        PendingRequest *r = c->history(conversationId, 0, 0, 100);
        if (!waitForFinished(r, 30000) || !r->isSuccess()) {
            *error = describeRequest(r);
            return -1;
        }
        return int(r->data().value(u"messages"_s).toArray().size());
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void burstThenRateLimited()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(smallBucket());
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        QSignalSpy bobGot(bobC.get(), &ClientConnection::messageReceived);

        // burst + 1 sends in one go: the bucket holds exactly `burst`.
        QList<PendingRequest *> sends;
        for (int n = 0; n <= kBurst; ++n)
            sends.append(annC->sendTextTo(bob.id, u"m%1"_s.arg(n)));
        QVERIFY(waitAllFinished(sends));
        for (int n = 0; n < kBurst; ++n)
            QVERIFY2(sends.at(n)->isSuccess(), qPrintable(describeRequest(sends.at(n))));
        PendingRequest *refused = sends.at(kBurst);
        QVERIFY2(!refused->isSuccess(), "burst + 1 was accepted");
        SB_COMPARE_CODE(refused->error().code, ErrorCode::RateLimited);
        const qint64 retryAfter = refused->error().retryAfterMs;
        // 2 tokens per second: the next one is at most 500 ms away.
        QVERIFY2(retryAfter >= 1 && retryAfter <= 500, qPrintable(QString::number(retryAfter)));
        QVERIFY(refused->reply().value(u"error"_s).toObject().value(u"retry_after_ms"_s).isDouble());
        const qint64 cid = intOf(sends.first()->data(), u"conversation_id"_s);

        // The refused send was neither stored nor delivered.
        QTRY_COMPARE_WITH_TIMEOUT(bobGot.count(), kBurst, kWaitMs);
        QVERIFY2(!bobGot.wait(kAbsenceMs), "the refused message was delivered");
        QString error;
        QCOMPARE(historySize(bobC.get(), cid, &error), kBurst);

        // retry_after_ms is honest: after it, a send goes through (once).
        QTest::qWait(int(retryAfter) + 20);
        IT_OK(retried, annC->sendText(cid, u"retried"_s));
        QCOMPARE(intOf(retried->data(), u"seq"_s), kBurst + 1);
        IT_FAILS(annC->sendText(cid, u"too soon"_s), RateLimited);

        // The bucket is per connection: the same user's other connection has its own.
        IT_CONNECT(annPhone, server, ann);
        IT_OK(fromPhone, annPhone->sendText(cid, u"from the phone"_s));
    }

    void otherRequestsAreNotLimited()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(smallBucket());
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_OK(joined, annC->joinRoom(u"lobby"_s));

        // Empty the bucket.
        QList<PendingRequest *> sends;
        for (int n = 0; n < kBurst; ++n)
            sends.append(annC->sendTextTo(bob.id, u"m%1"_s.arg(n)));
        QVERIFY(waitAllFinished(sends));
        for (PendingRequest *s : std::as_const(sends))
            QVERIFY2(s->isSuccess(), qPrintable(describeRequest(s)));
        const qint64 cid = intOf(sends.first()->data(), u"conversation_id"_s);

        // Requests outside the bucket, several times the burst, all succeed meanwhile.
        QList<PendingRequest *> others;
        for (int round = 0; round < 3; ++round) {
            others << annC->ping() << annC->history(cid) << annC->markRead(cid, 1) << annC->markReceived(cid, 2)
                   << annC->joinRoom(u"room%1"_s.arg(round)) << annC->leaveRoom(u"room%1"_s.arg(round))
                   << annC->conversations() << annC->request(u"contacts"_s) << annC->setStatus(u"online"_s)
                   << annC->request(u"presence_query"_s, {{u"user_ids"_s, QJsonArray {double(bob.id)}}});
        }
        QVERIFY(waitAllFinished(others));
        for (PendingRequest *r : std::as_const(others))
            QVERIFY2(r->isSuccess(), qPrintable(describeRequest(r)));

        // The ones inside the bucket are refused now, each of them.
        IT_FAILS(annC->sendText(cid, u"x"_s), RateLimited);
        IT_FAILS(annC->broadcast(u"lobby"_s, 1), RateLimited);
        IT_FAILS(annC->sendTyping(cid), RateLimited);
        IT_FAILS(annC->request(u"contact_add"_s, {{u"user_id"_s, double(bob.id)}}), RateLimited);
        IT_FAILS(annC->request(u"conversation_create"_s, {{u"members"_s, QJsonArray {double(bob.id)}}}), RateLimited);
        IT_FAILS(annC->request(u"support_open"_s), RateLimited);
        // ... and left nothing behind.
        IT_OK(contacts, annC->request(u"contacts"_s));
        QCOMPARE(contacts->data().value(u"contacts"_s).toArray().size(), 0);
        IT_OK(convs, annC->conversations());
        QCOMPARE(convs->data().value(u"conversations"_s).toArray().size(), 1);
        // HTTP is not rate-limited by the WebSocket bucket either.
        auto rest = restFor(server, &ann);
        IT_HTTP_STATUS(viaHttp,
            rest->post(u"/api/v1/conversations/%1/messages"_s.arg(cid), {{u"content"_s, u"over http"_s}}), 200);
    }

    void floodIsClosedOthersKeepWorking()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(smallBucket());
        IT_START(server);
        IT_USER(flooder, server, "flooder");
        IT_USER(victim, server, "victim");
        IT_USER(carol, server, "carol");
        IT_USER(dave, server, "dave");
        IT_CONNECT(carolC, server, carol);
        IT_CONNECT(daveC, server, dave);
        IT_OK(warmup, carolC->sendTextTo(dave.id, u"hi"_s));
        const qint64 quietConversation = intOf(warmup->data(), u"conversation_id"_s);

        // Three flooding connections. Each first sees a rate_limited reply ...
        QElapsedTimer floodClock;
        floodClock.start();
        std::vector<std::unique_ptr<ClientConnection>> floods;
        qint64 floodConversation = 0;
        for (int k = 0; k < 3; ++k) {
            IT_CONNECT(f, server, flooder);
            f->setRequestTimeout(60000);
            QList<PendingRequest *> first;
            for (int n = 0; n <= kBurst; ++n)
                first.append(f->sendTextTo(victim.id, u"flood %1-%2"_s.arg(k).arg(n)));
            QVERIFY(waitAllFinished(first));
            SB_COMPARE_CODE(first.last()->error().code, ErrorCode::RateLimited);
            floodConversation = intOf(first.first()->data(), u"conversation_id"_s);
            floods.push_back(std::move(f));
        }
        // ... then keeps going regardless: a few hundred sends, pipelined.
        QList<QSignalSpy *> closedSpies;
        for (auto &f : floods) {
            closedSpies.append(new QSignalSpy(f.get(), &ClientConnection::disconnected));
            for (int n = 0; n < 300; ++n)
                f->sendText(floodConversation, u"flood"_s)->setAutoDelete(true);
        }

        // Meanwhile a well-behaved pair keeps chatting with prompt round trips.
        QSignalSpy daveGot(daveC.get(), &ClientConnection::messageReceived);
        qint64 worst = 0;
        for (int n = 0; n < 4; ++n) {
            QElapsedTimer clock;
            clock.start();
            PendingRequest *sent = carolC->sendText(quietConversation, u"calm %1"_s.arg(n));
            QVERIFY(waitForFinished(sent));
            QVERIFY2(sent->isSuccess(), qPrintable(describeRequest(sent)));
            QVERIFY(daveGot.count() > n || daveGot.wait(kWaitMs));
            worst = std::max(worst, clock.elapsed());
            IT_OK(pong, daveC->ping());
        }
        // A generous sanity bound, not a benchmark.
        QVERIFY2(worst < 500, qPrintable(u"round trip %1 ms during the flood"_s.arg(worst)));

        // The flooders are cut off with 1008.
        for (auto &f : floods)
            QCOMPARE(waitClosed(f.get(), 15000), 1008);
        qDeleteAll(closedSpies);
        const double floodSeconds = double(floodClock.elapsed()) / 1000.0;

        // Nothing refused was stored: at most the bucket's worth per connection plus what
        // refilled (2 per second per connection) while the test ran - not the 900 sent.
        QString error;
        const int stored = historySize(daveC.get(), quietConversation, &error);
        QCOMPARE(stored, 5); // "hi" + 4 calm messages
        IT_CONNECT(victimC, server, victim);
        const int flooded = historySize(victimC.get(), floodConversation, &error);
        QVERIFY2(flooded >= 3 * kBurst && flooded <= 3 * kBurst + int(6 * floodSeconds) + 3,
            qPrintable(u"%1 flood messages stored in %2 s"_s.arg(flooded).arg(floodSeconds)));
        // The flooder can come back (the limit is not a ban) and the server is fine.
        IT_CONNECT(again, server, flooder);
        IT_OK(pong, again->ping());
    }
    // A flooder that is still writing when the server closes it must get the 1008 close frame,
    // not a connection reset (which clients report as 1006): the server lingers on the closed
    // connection, draining it, instead of closing the descriptor under the client's writes.
    void closedWhileStillWriting()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(smallBucket());
        IT_START(server);
        IT_USER(flooder, server, "flooder");
        IT_USER(victim, server, "victim");
        for (int round = 0; round < 6; ++round) {
            IT_CONNECT(f, server, flooder);
            QSignalSpy closed(f.get(), &ClientConnection::disconnected);
            // Bursts every millisecond until the server closes: the close always lands while
            // more frames are on their way.
            QTimer writer;
            writer.setInterval(1);
            QObject::connect(&writer, &QTimer::timeout, f.get(), [&] {
                if (!closed.isEmpty())
                    return writer.stop();
                for (int n = 0; n < 20; ++n)
                    f->sendTextTo(victim.id, u"flood"_s)->setAutoDelete(true);
            });
            writer.start();
            QVERIFY(closed.wait(15000) || !closed.isEmpty());
            writer.stop();
            QCOMPARE(f->closeCode(), 1008);
        }
        IT_CONNECT(again, server, flooder);
        IT_OK(pong, again->ping());
    }
};

QTEST_GUILESS_MAIN(TestRateLimit)
#include "tst_ratelimit.moc"
