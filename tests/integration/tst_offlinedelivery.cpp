#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
// One connect of `user`: the frames up to and including sync_complete.
struct Sync
{
    QList<QJsonObject> messages; // the new_message events (whole frames)
    QJsonObject syncComplete;
    QList<QJsonObject> frames; // everything, in order
};

bool isType(const QJsonObject &f, const QString &type)
{
    return f.value(u"type"_s).toString() == type;
}

// Sends `count` texts in chunks (keeping the number of requests in flight moderate).
bool sendMany(ClientConnection *connection, qint64 conversationId, int count, const QString &prefix,
    QList<QJsonObject> *acks, QString *error)
{
    constexpr int kChunk = 200;
    for (int start = 0; start < count; start += kChunk) {
        QList<PendingRequest *> chunk;
        for (int i = start; i < std::min(count, start + kChunk); ++i)
            chunk.append(connection->sendText(conversationId, u"%1 %2"_s.arg(prefix).arg(i)));
        if (!waitAll(chunk, 60000)) {
            *error = u"no replies in time"_s;
            return false;
        }
        for (PendingRequest *r : std::as_const(chunk)) {
            if (!r->isSuccess()) {
                *error = describeRequest(r);
                return false;
            }
            acks->append(r->data());
            r->deleteLater();
        }
    }
    return true;
}
} // namespace

// PROTOCOL.md section 5 "Offline delivery" with the sync rules of section 13, on both backends:
// `new_message` events with top-level `offline: true`, per conversation in seq order, then
// `sync_complete` {count, has_more}; at most 1000 per connect (the oldest first, the rest through
// history); the delivered watermark moves only on received/read, so unacknowledged messages come
// again on every connect; the user's own messages are not pushed back to them (server
// decision); after `reconnect` as after `auth`.
class TestOfflineDelivery : public QObject
{
    Q_OBJECT

private:
    // Connects as `user` with an auth frame and collects everything up to sync_complete.
    static bool connectAndSync(const ServerProcess &server, const TestUser &user, Sync *sync,
        std::unique_ptr<ClientConnection> *keep = nullptr)
    {
        auto connection = std::make_unique<ClientConnection>();
        FrameLog frames(connection.get());
        connection->openWithToken(server.wsUrl(), user.token);
        if (frames.waitFor([](const QJsonObject &f) { return isType(f, u"sync_complete"_s); }, 30000) < 0)
            return false;
        sync->frames = frames.frames();
        for (const QJsonObject &f : frames.frames()) {
            if (isType(f, u"new_message"_s))
                sync->messages.append(f);
            if (isType(f, u"sync_complete"_s))
                sync->syncComplete = f;
        }
        if (keep)
            *keep = std::move(connection);
        return true;
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void pushedUntilAcknowledged()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(carol, server, "Carol");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(c, server, carol);

        // Bob is offline: ann 3, carol 2, ann 1 more, interleaved across two conversations.
        QList<QJsonObject> acks;
        IT_OK(s1, a->sendTextTo(bob.id, u"a1"_s));
        const qint64 annBob = intOf(s1->data(), u"conversation_id"_s);
        IT_OK(s2, c->sendTextTo(bob.id, u"c1"_s));
        const qint64 carolBob = intOf(s2->data(), u"conversation_id"_s);
        IT_OK(s3, a->sendText(annBob, u"a2"_s));
        IT_OK(s4, c->sendText(carolBob, u"c2"_s));
        IT_OK(s5, a->sendText(annBob, u"a3"_s, u"with-id"_s));
        IT_OK(s6, a->sendText(annBob, u"a4"_s));
        for (PendingRequest *r : {s1, s2, s3, s4, s5, s6})
            acks.append(r->data());

        Sync first;
        QVERIFY(connectAndSync(server, bob, &first));
        QCOMPARE(first.messages.size(), 6);
        QCOMPARE(first.syncComplete.value(u"count"_s).toInt(), 6);
        QCOMPARE(first.syncComplete.value(u"has_more"_s), QJsonValue(false));
        QVERIFY(!first.syncComplete.contains(u"id"_s) && !first.syncComplete.contains(u"success"_s));
        QVERIFY(isType(first.frames.last(), u"sync_complete"_s)); // after every offline message
        QSet<qint64> ackedIds;
        for (const QJsonObject &ack : std::as_const(acks))
            ackedIds.insert(intOf(ack, u"message_id"_s));
        QHash<qint64, qint64> lastSeq;
        for (const QJsonObject &event : std::as_const(first.messages)) {
            QCOMPARE(event.value(u"offline"_s), QJsonValue(true)); // top level, beside message
            QVERIFY(!event.contains(u"id"_s) && !event.contains(u"success"_s));
            const QJsonObject m = event.value(u"message"_s).toObject();
            QVERIFY(!m.contains(u"offline"_s));
            QVERIFY(ackedIds.remove(intOf(m, u"id"_s)));
            const qint64 conversation = intOf(m, u"conversation_id"_s);
            QVERIFY2(intOf(m, u"seq"_s) > lastSeq.value(conversation), qPrintable(compact(m)));
            lastSeq[conversation] = intOf(m, u"seq"_s);
        }
        QVERIFY(ackedIds.isEmpty());
        QCOMPARE(lastSeq.value(annBob), 4);
        QCOMPARE(lastSeq.value(carolBob), 2);

        // Pushing moved no watermark: the next connect pushes all six again.
        Sync second;
        std::unique_ptr<ClientConnection> b;
        QVERIFY(connectAndSync(server, bob, &second, &b));
        QCOMPARE(second.messages.size(), 6);
        QCOMPARE(second.syncComplete.value(u"count"_s).toInt(), 6);
        IT_OK(list, b->conversations());
        for (const QJsonValue &v : list->data().value(u"conversations"_s).toArray())
            QCOMPARE(intOf(v.toObject(), u"delivered_seq"_s), 0);

        // received up to 2 in ann's conversation, read everything of carol's.
        IT_OK(received, b->markReceived(annBob, 2));
        IT_OK(read, b->markRead(carolBob, 2));
        Sync third;
        QVERIFY(connectAndSync(server, bob, &third));
        QCOMPARE(third.messages.size(), 2);
        QCOMPARE(third.syncComplete.value(u"count"_s).toInt(), 2);
        QCOMPARE(intOf(third.messages.at(0).value(u"message"_s).toObject(), u"seq"_s), 3);
        QCOMPARE(intOf(third.messages.at(1).value(u"message"_s).toObject(), u"seq"_s), 4);
        QCOMPARE(
            third.messages.at(0).value(u"message"_s).toObject().value(u"client_msg_id"_s).toString(), u"with-id"_s);

        // A live message while connected is unacknowledged too: it comes again, offline.
        QSignalSpy live(b.get(), &ClientConnection::messageReceived);
        IT_OK(s7, a->sendText(annBob, u"a5 live"_s));
        QTRY_COMPARE_WITH_TIMEOUT(live.size(), 1, kWaitMs);
        QCOMPARE(live.first().at(1).toBool(), false);
        Sync fourth;
        QVERIFY(connectAndSync(server, bob, &fourth));
        QCOMPARE(fourth.messages.size(), 3);
        QCOMPARE(fourth.messages.last().value(u"message"_s).toObject().value(u"content"_s).toString(), u"a5 live"_s);
        QCOMPARE(fourth.messages.last().value(u"offline"_s), QJsonValue(true));

        // All acknowledged: nothing pushed, sync_complete with count 0.
        IT_OK(readAll, b->markRead(annBob, 5));
        Sync fifth;
        QVERIFY(connectAndSync(server, bob, &fifth));
        QCOMPARE(fifth.messages.size(), 0);
        QCOMPARE(fifth.syncComplete.value(u"count"_s).toInt(), 0);
        QCOMPARE(fifth.syncComplete.value(u"has_more"_s), QJsonValue(false));

        // Ann never acknowledged anything, but her own messages are not pushed back to her;
        // bob's reply is.
        IT_OK(reply, b->sendText(annBob, u"b1"_s));
        Sync annSync;
        QVERIFY(connectAndSync(server, ann, &annSync));
        QCOMPARE(annSync.messages.size(), 1);
        QCOMPARE(intOf(annSync.messages.first().value(u"message"_s).toObject(), u"sender_id"_s), bob.id);
        Sync carolSync;
        QVERIFY(connectAndSync(server, carol, &carolSync));
        QCOMPARE(carolSync.messages.size(), 0);
    }

    void offlineDeliveryAfterReconnect()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(b, server, bob);
        const QString resumeToken = b->resumeToken();
        QVERIFY(!resumeToken.isEmpty());
        QSignalSpy closed(b.get(), &ClientConnection::disconnected);
        b->abort(); // network failure
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, kWaitMs);
        IT_OK(missed, a->sendTextTo(bob.id, u"while you were away"_s));

        ClientConnection again;
        FrameLog frames(&again);
        QSignalSpy connected(&again, &ClientConnection::connected);
        again.open(server.wsUrl());
        QVERIFY(connected.wait(kWaitMs));
        IT_OK(resumed, again.resumeSession(resumeToken));
        QVERIFY(frames.waitFor([](const QJsonObject &f) { return isType(f, u"sync_complete"_s); }) >= 0);
        const QList<QJsonObject> messages = frames.ofType(u"new_message"_s);
        QCOMPARE(messages.size(), 1);
        QCOMPARE(messages.first().value(u"offline"_s), QJsonValue(true));
        QCOMPARE(
            intOf(messages.first().value(u"message"_s).toObject(), u"id"_s), intOf(missed->data(), u"message_id"_s));
        QCOMPARE(frames.ofType(u"sync_complete"_s).first().value(u"count"_s).toInt(), 1);
        // Order: the reconnect reply, then the message, then sync_complete.
        QCOMPARE(frames.frames().first().value(u"type"_s).toString(), u"reconnect"_s);
    }

    void aFullMailboxNeverCutsAReadingClient()
    {
        // Issue 12, item 1: anyone who may write to a user could fill their mailbox so that the
        // offline burst at login overflowed the send queue, and every login was cut off. The
        // burst is bounded (a quarter of max_send_queue_bytes, at most 1 MiB); the rest is left
        // for the client to page with history, however large the mailbox.
        SB_TEST_DATABASE(db);
        auto limits = noRateLimit({{u"max_send_queue_bytes"_s, u"262144"_s}});
        IT_START_SERVER(server, db, limits);
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(a, server, ann);
        const QString big = QString(4990, u'\u4e2d'); // 3 bytes each in UTF-8: ~15 KB a message
        IT_OK(first, a->sendTextTo(bob.id, big));
        const qint64 cid = intOf(first->data(), u"conversation_id"_s);
        constexpr int kMessages = 60; // ~900 KB, three and a half times the send queue
        for (int start = 1; start < kMessages; start += 20) {
            QList<PendingRequest *> chunk;
            for (int i = start; i < std::min(kMessages, start + 20); ++i)
                chunk.append(a->sendText(cid, big));
            QVERIFY(waitAll(chunk, 60000));
            for (PendingRequest *r : std::as_const(chunk))
                QVERIFY2(r->isSuccess(), qPrintable(describeRequest(r)));
        }

        for (int login = 0; login < 2; ++login) { // and again: nothing was acknowledged
            Sync sync;
            std::unique_ptr<ClientConnection> b;
            QVERIFY(connectAndSync(server, bob, &sync, &b));
            const int count = sync.syncComplete.value(u"count"_s).toInt();
            QVERIFY2(count >= 1 && count < kMessages, qPrintable(QString::number(count)));
            QCOMPARE(sync.messages.size(), count);
            QCOMPARE(sync.syncComplete.value(u"has_more"_s), QJsonValue(true));
            // Still connected and usable: the client pages the rest, all of it, in order.
            IT_OK(ping, b->ping());
            QList<QJsonObject> all;
            QString error;
            QVERIFY2(fetchAllHistory(b.get(), cid, &all, &error), qPrintable(error));
            QCOMPARE(all.size(), kMessages);
            QCOMPARE(intOf(all.last(), u"seq"_s), kMessages);
            QCOMPARE(b->state(), ClientConnection::State::Authenticated);
        }
    }

    void atMostThousandPerConnect()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(carol, server, "Carol");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(c, server, carol);

        // The oldest pending messages are carol's three; then ann's 1005.
        QList<QJsonObject> carolAcks;
        QString error;
        IT_OK(c0, c->sendTextTo(bob.id, u"carol 0"_s));
        const qint64 carolBob = intOf(c0->data(), u"conversation_id"_s);
        carolAcks.append(c0->data());
        QVERIFY2(sendMany(c.get(), carolBob, 2, u"carol more"_s, &carolAcks, &error), qPrintable(error));
        IT_OK(a0, a->sendTextTo(bob.id, u"ann 0"_s));
        const qint64 annBob = intOf(a0->data(), u"conversation_id"_s);
        QList<QJsonObject> annAcks {a0->data()};
        QVERIFY2(sendMany(a.get(), annBob, 1004, u"ann"_s, &annAcks, &error), qPrintable(error));
        QCOMPARE(annAcks.size(), 1005);

        Sync first;
        std::unique_ptr<ClientConnection> b;
        QVERIFY(connectAndSync(server, bob, &first, &b));
        QCOMPARE(first.messages.size(), 1000);
        QCOMPARE(first.syncComplete.value(u"count"_s).toInt(), 1000);
        QCOMPARE(first.syncComplete.value(u"has_more"_s), QJsonValue(true));
        // Oldest first: carol's 3, then ann's seq 1..997, each conversation in order.
        QHash<qint64, qint64> lastSeq;
        int fromCarol = 0;
        for (const QJsonObject &event : std::as_const(first.messages)) {
            QCOMPARE(event.value(u"offline"_s), QJsonValue(true));
            const QJsonObject m = event.value(u"message"_s).toObject();
            const qint64 conversation = intOf(m, u"conversation_id"_s);
            QCOMPARE(intOf(m, u"seq"_s), lastSeq.value(conversation) + 1);
            lastSeq[conversation] = intOf(m, u"seq"_s);
            fromCarol += conversation == carolBob ? 1 : 0;
        }
        QCOMPARE(fromCarol, 3);
        QCOMPARE(lastSeq.value(annBob), 997);

        // The rest through history.
        IT_OK(rest, b->request(u"history"_s, {{u"conversation_id"_s, double(annBob)}, {u"after_seq"_s, 997}}));
        const QJsonArray remaining = rest->data().value(u"messages"_s).toArray();
        QCOMPARE(remaining.size(), 8);
        QCOMPARE(intOf(remaining.first().toObject(), u"seq"_s), 998);
        QCOMPARE(intOf(remaining.last().toObject(), u"seq"_s), 1005);
        QCOMPARE(intOf(remaining.last().toObject(), u"id"_s), intOf(annAcks.last(), u"message_id"_s));

        // Exactly 1000 pending: all of them, has_more false.
        IT_OK(r0, b->markReceived(annBob, 8));
        Sync exact;
        QVERIFY(connectAndSync(server, bob, &exact));
        QCOMPARE(exact.messages.size(), 1000);
        QCOMPARE(exact.syncComplete.value(u"count"_s).toInt(), 1000);
        QCOMPARE(exact.syncComplete.value(u"has_more"_s), QJsonValue(false));
        QCOMPARE(intOf(exact.messages.last().value(u"message"_s).toObject(), u"seq"_s), 1005);

        // Acknowledge what arrived: the next connect brings the remaining 8 and has_more false.
        IT_OK(r1, b->markReceived(carolBob, 3));
        IT_OK(r2, b->markReceived(annBob, 997));
        Sync second;
        QVERIFY(connectAndSync(server, bob, &second));
        QCOMPARE(second.messages.size(), 8);
        QCOMPARE(second.syncComplete.value(u"count"_s).toInt(), 8);
        QCOMPARE(second.syncComplete.value(u"has_more"_s), QJsonValue(false));
        QCOMPARE(intOf(second.messages.first().value(u"message"_s).toObject(), u"seq"_s), 998);
    }
};

QTEST_GUILESS_MAIN(TestOfflineDelivery)
#include "tst_offlinedelivery.moc"
