#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
// The `conversations` entry with this id, or an empty object.
QJsonObject findConversation(const QJsonObject &data, qint64 id)
{
    for (const QJsonValue &v : data.value(u"conversations"_s).toArray()) {
        if (qint64(v.toObject().value(u"id"_s).toDouble()) == id)
            return v.toObject();
    }
    return {};
}

QList<qint64> ids(const QJsonArray &array)
{
    QList<qint64> out;
    for (const QJsonValue &v : array)
        out.append(qint64(v.toDouble()));
    std::sort(out.begin(), out.end());
    return out;
}
} // namespace

// PROTOCOL.md section 5 on both backends: `conversations` (fields, last_message, unread counting
// only other users' messages), `received`/`read` watermarks (forward only, read implies
// received, clamped to last_seq, persisted), `receipt` events to the other participants only
// and never backwards, `typing` events to the others and never stored.
class TestReceipts : public QObject
{
    Q_OBJECT

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void conversationList()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(carol, server, "Carol");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(b, server, bob);
        IT_CONNECT(c, server, carol);

        // Private ann-bob: ann 3, bob 2. Group "Team": ann, bob, carol; carol 1.
        IT_OK(p1, a->sendTextTo(bob.id, u"a1"_s));
        const qint64 privateId = intOf(p1->data(), u"conversation_id"_s);
        IT_OK(p2, a->sendText(privateId, u"a2"_s));
        IT_OK(p3, b->sendText(privateId, u"b1"_s));
        IT_OK(p4, a->sendText(privateId, u"a3"_s));
        IT_OK(p5, b->sendText(privateId, u"b2"_s, u"last-one"_s));
        IT_OK(group,
            a->request(u"conversation_create"_s,
                {{u"title"_s, u"Team"_s}, {u"members"_s, QJsonArray {double(bob.id), double(carol.id)}}}));
        const qint64 groupId = intOf(group->data().value(u"conversation"_s).toObject(), u"id"_s);
        IT_OK(g1, c->sendText(groupId, u"hello team"_s));
        IT_OK(empty,
            c->request(
                u"conversation_create"_s, {{u"title"_s, u"Quiet"_s}, {u"members"_s, QJsonArray {double(ann.id)}}}));
        const qint64 emptyId = intOf(empty->data().value(u"conversation"_s).toObject(), u"id"_s);

        IT_OK(annList, a->conversations());
        const QJsonObject annPrivate = findConversation(annList->data(), privateId);
        QVERIFY2(!annPrivate.isEmpty(), qPrintable(compact(annList->data())));
        for (const char *key :
            {"id", "type", "title", "participants", "last_seq", "read_seq", "delivered_seq", "unread", "last_message"})
            QVERIFY2(annPrivate.contains(QLatin1StringView(key)), key);
        QCOMPARE(annPrivate.value(u"type"_s).toString(), u"private"_s);
        QCOMPARE(ids(annPrivate.value(u"participants"_s).toArray()),
            (QList<qint64> {std::min(ann.id, bob.id), std::max(ann.id, bob.id)}));
        QCOMPARE(intOf(annPrivate, u"last_seq"_s), 5);
        QCOMPARE(intOf(annPrivate, u"read_seq"_s), 0);
        QCOMPARE(intOf(annPrivate, u"delivered_seq"_s), 0);
        QCOMPARE(intOf(annPrivate, u"unread"_s), 2); // bob's two, not her own three
        const QJsonObject last = annPrivate.value(u"last_message"_s).toObject();
        QCOMPARE(intOf(last, u"id"_s), intOf(p5->data(), u"message_id"_s));
        QCOMPARE(intOf(last, u"seq"_s), 5);
        QCOMPARE(last.value(u"content"_s).toString(), u"b2"_s);
        QCOMPARE(last.value(u"client_msg_id"_s).toString(), u"last-one"_s);
        QCOMPARE(intOf(last, u"sender_id"_s), bob.id);

        const QJsonObject annGroup = findConversation(annList->data(), groupId);
        QCOMPARE(annGroup.value(u"type"_s).toString(), u"group"_s);
        QCOMPARE(annGroup.value(u"title"_s).toString(), u"Team"_s);
        QCOMPARE(ids(annGroup.value(u"participants"_s).toArray()).size(), 3);
        QCOMPARE(intOf(annGroup, u"last_seq"_s), 1);
        QCOMPARE(intOf(annGroup, u"unread"_s), 1);
        const QJsonObject annEmpty = findConversation(annList->data(), emptyId);
        QCOMPARE(intOf(annEmpty, u"last_seq"_s), 0);
        QCOMPARE(intOf(annEmpty, u"unread"_s), 0);
        QCOMPARE(annEmpty.value(u"last_message"_s), QJsonValue(QJsonValue::Null));

        IT_OK(bobList, b->conversations());
        QCOMPARE(intOf(findConversation(bobList->data(), privateId), u"unread"_s), 3);
        QCOMPARE(intOf(findConversation(bobList->data(), groupId), u"unread"_s), 1);
        QVERIFY(findConversation(bobList->data(), emptyId).isEmpty()); // not a member
        IT_OK(carolList, c->conversations());
        QVERIFY(findConversation(carolList->data(), privateId).isEmpty());
        QCOMPARE(intOf(findConversation(carolList->data(), groupId), u"unread"_s), 0); // her own
        QCOMPARE(carolList->data().value(u"conversations"_s).toArray().size(), 2);

        // Reading moves unread; new messages from others raise it again.
        IT_OK(read, a->markRead(privateId, 5));
        IT_OK(after, a->conversations());
        QCOMPARE(intOf(findConversation(after->data(), privateId), u"unread"_s), 0);
        QCOMPARE(intOf(findConversation(after->data(), privateId), u"read_seq"_s), 5);
        IT_OK(more, b->sendText(privateId, u"b3"_s));
        IT_OK(own, a->sendText(privateId, u"a4"_s));
        IT_OK(again, a->conversations());
        QCOMPARE(intOf(findConversation(again->data(), privateId), u"unread"_s), 1);
        QCOMPARE(intOf(findConversation(again->data(), privateId), u"last_seq"_s), 7);
    }

    void watermarksAndReceipts()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(eve, server, "Eve");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(b, server, bob);
        IT_CONNECT(e, server, eve);
        QList<PendingRequest *> sends;
        IT_OK(firstSend, a->sendTextTo(bob.id, u"m1"_s));
        const qint64 cid = intOf(firstSend->data(), u"conversation_id"_s);
        for (int i = 2; i <= 5; ++i)
            sends.append(a->sendText(cid, u"m%1"_s.arg(i)));
        QVERIFY(waitAll(sends));

        QSignalSpy annReceipts(a.get(), &ClientConnection::receiptReceived);
        QSignalSpy bobReceipts(b.get(), &ClientConnection::receiptReceived);
        QSignalSpy eveReceipts(e.get(), &ClientConnection::receiptReceived);
        FrameLog annFrames(a.get());
        auto state = [&](qint64 *delivered, qint64 *read, qint64 *unread) {
            PendingRequest *r = b->conversations();
            if (!waitForFinished(r) || !r->isSuccess())
                return false;
            const QJsonObject c = findConversation(r->data(), cid);
            *delivered = intOf(c, u"delivered_seq"_s);
            *read = intOf(c, u"read_seq"_s);
            *unread = intOf(c, u"unread"_s);
            return true;
        };
        qint64 delivered = -1, read = -1, unread = -1;

        // received 2: delivered moves, read does not; ann hears "delivered 2".
        IT_OK(r1, b->markReceived(cid, 2));
        QVERIFY(r1->data().isEmpty() || r1->data().value(u"delivered_seq"_s).toInteger() == 2);
        QTRY_COMPARE_WITH_TIMEOUT(annReceipts.size(), 1, kWaitMs);
        QCOMPARE(annReceipts.at(0).at(0).toLongLong(), cid);
        QCOMPARE(annReceipts.at(0).at(1).toLongLong(), bob.id);
        QCOMPARE(annReceipts.at(0).at(2).toString(), u"delivered"_s);
        QCOMPARE(annReceipts.at(0).at(3).toLongLong(), 2);
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(delivered, 2);
        QCOMPARE(read, 0);
        QCOMPARE(unread, 5);
        const QJsonObject receiptFrame = annFrames.ofType(u"receipt"_s).value(0);
        QVERIFY(!receiptFrame.contains(u"id"_s) && !receiptFrame.contains(u"success"_s));
        QCOMPARE(receiptFrame.value(u"kind"_s).toString(), u"delivered"_s);
        QCOMPARE(intOf(receiptFrame, u"user_id"_s), bob.id);
        QCOMPARE(intOf(receiptFrame, u"conversation_id"_s), cid);

        // read 3 implies received 3.
        IT_OK(r2, b->markRead(cid, 3));
        QTRY_VERIFY_WITH_TIMEOUT(!annFrames.ofType(u"receipt"_s).isEmpty()
                && annFrames.ofType(u"receipt"_s).last().value(u"kind"_s) == QJsonValue(u"read"_s),
            kWaitMs);
        QCOMPARE(intOf(annFrames.ofType(u"receipt"_s).last(), u"seq"_s), 3);
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(read, 3);
        QCOMPARE(delivered, 3);
        QCOMPARE(unread, 2);

        // Backwards: success, nothing changes, no receipt.
        const qsizetype receiptsBefore = annReceipts.size();
        IT_OK(r3, b->markRead(cid, 1));
        IT_OK(r4, b->markReceived(cid, 2));
        IT_OK(r5, b->markReceived(cid, 0));
        QVERIFY(!annReceipts.wait(kAbsenceMs));
        QCOMPARE(annReceipts.size(), receiptsBefore);
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(read, 3);
        QCOMPARE(delivered, 3);

        // Beyond last_seq: clamped to it (5), and the receipt says 5.
        IT_OK(r6, b->markRead(cid, 999999));
        QTRY_VERIFY_WITH_TIMEOUT(annFrames.ofType(u"receipt"_s).last().value(u"kind"_s) == QJsonValue(u"read"_s)
                && intOf(annFrames.ofType(u"receipt"_s).last(), u"seq"_s) != 3,
            kWaitMs);
        for (const QJsonObject &receipt : annFrames.ofType(u"receipt"_s))
            QVERIFY2(intOf(receipt, u"seq"_s) <= 5, qPrintable(compact(receipt)));
        QCOMPARE(intOf(annFrames.ofType(u"receipt"_s).last(), u"seq"_s), 5);
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(read, 5);
        QCOMPARE(delivered, 5);
        QCOMPARE(unread, 0);

        // The clamp did not swallow the future: a new message is unread.
        IT_OK(sixth, a->sendText(cid, u"m6"_s));
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(unread, 1);
        IT_OK(r7, b->markReceived(cid, 100));
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(delivered, 6);
        QCOMPARE(read, 5);

        // Receipts go to the other participants only: never to outsiders, never to the
        // reader's own connection; and receipts never went backwards.
        QCOMPARE(eveReceipts.size(), 0);
        QCOMPARE(bobReceipts.size(), 0);
        qint64 lastDelivered = 0, lastRead = 0;
        for (const QJsonObject &receipt : annFrames.ofType(u"receipt"_s)) {
            qint64 &previous = receipt.value(u"kind"_s).toString() == u"read"_s ? lastRead : lastDelivered;
            QVERIFY2(intOf(receipt, u"seq"_s) > previous, qPrintable(compact(receipt)));
            previous = intOf(receipt, u"seq"_s);
        }
        QCOMPARE(lastRead, 5);
        QCOMPARE(lastDelivered, 6);

        // Watermarks are stored: they survive a restart.
        a.reset();
        b.reset();
        e.reset();
        QVERIFY2(server.restart(), qPrintable(server.errorString()));
        IT_CONNECT(b2, server, bob);
        b = std::move(b2);
        QVERIFY(state(&delivered, &read, &unread));
        QCOMPARE(delivered, 6);
        QCOMPARE(read, 5);
        QCOMPARE(unread, 1);
    }

    void typingReachesTheOthersAndIsNotStored()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(carol, server, "Carol");
        IT_GUEST(eve, server, "Eve");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(b1, server, bob);
        IT_CONNECT(b2, server, bob);
        IT_CONNECT(c, server, carol);
        IT_CONNECT(e, server, eve);
        IT_OK(group,
            a->request(u"conversation_create"_s,
                {{u"title"_s, u"typing"_s}, {u"members"_s, QJsonArray {double(bob.id), double(carol.id)}}}));
        const qint64 gid = intOf(group->data().value(u"conversation"_s).toObject(), u"id"_s);
        QSignalSpy aTyping(a.get(), &ClientConnection::typingReceived);
        QSignalSpy b1Typing(b1.get(), &ClientConnection::typingReceived);
        QSignalSpy b2Typing(b2.get(), &ClientConnection::typingReceived);
        QSignalSpy cTyping(c.get(), &ClientConnection::typingReceived);
        QSignalSpy eTyping(e.get(), &ClientConnection::typingReceived);

        IT_OK(typing, a->sendTyping(gid));
        QVERIFY(typing->data().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(b1Typing.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b2Typing.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(cTyping.size(), 1, kWaitMs);
        QCOMPARE(b1Typing.first().at(0).toLongLong(), gid);
        QCOMPARE(b1Typing.first().at(1).toLongLong(), ann.id);
        QVERIFY(!eTyping.wait(kAbsenceMs));
        QCOMPARE(eTyping.size(), 0);
        QCOMPARE(aTyping.size(), 0);

        // Never stored.
        IT_OK(history, b1->history(gid));
        QCOMPARE(history->data().value(u"messages"_s).toArray().size(), 0);
        IT_OK(list, c->conversations());
        QCOMPARE(intOf(findConversation(list->data(), gid), u"last_seq"_s), 0);
        IT_OK(sent, b1->sendText(gid, u"after typing"_s));
        QCOMPARE(intOf(sent->data(), u"seq"_s), 1);
        IT_FAILS(e->sendTyping(gid), Forbidden);
    }
};

QTEST_GUILESS_MAIN(TestReceipts)
#include "tst_receipts.moc"
