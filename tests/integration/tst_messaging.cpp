#include <QJsonArray>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"
#include "tests/support/sqlprobe.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
struct Received
{
    QList<qint64> seqs;
    QList<qint64> ids;
    int offline = 0;
};

// Records the new_message events of one connection for one conversation.
void record(ClientConnection *connection, qint64 conversationId, Received *into)
{
    QObject::connect(connection, &ClientConnection::messageReceived, connection,
        [conversationId, into](const ChatMessage &m, bool offline) {
            if (m.conversationId != conversationId)
                return;
            into->seqs.append(m.seq);
            into->ids.append(m.id);
            into->offline += offline ? 1 : 0;
        });
}
} // namespace

// PROTOCOL.md section 4 (and the message rules of section 13) on both backends: private
// conversations (one per pair), fan-out to every connection of every participant except the
// sending one and to nobody else, gapless per-conversation seq under 50 concurrent senders in
// one group, per-connection seq order, dedup by (sender, client_msg_id) including across a
// crash, text length in code points, message_type validation, the per-connection token bucket.
class TestMessaging : public QObject
{
    Q_OBJECT

private slots:
    void deliveryToEveryConnectionButTheSendingOne_data() { TestDatabase::backends(); }
    void deliveryToEveryConnectionButTheSendingOne()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(eve, server, "Eve");
        IT_CONNECT(a1, server, ann);
        IT_CONNECT(a2, server, ann);
        IT_CONNECT(b1, server, bob);
        IT_CONNECT(b2, server, bob);
        IT_CONNECT(e1, server, eve);
        QSignalSpy a1Got(a1.get(), &ClientConnection::messageReceived);
        QSignalSpy a2Got(a2.get(), &ClientConnection::messageReceived);
        QSignalSpy b1Got(b1.get(), &ClientConnection::messageReceived);
        QSignalSpy b2Got(b2.get(), &ClientConnection::messageReceived);
        QSignalSpy e1Got(e1.get(), &ClientConnection::messageReceived);

        IT_OK(sent, a1->sendTextTo(bob.id, u"to every device"_s, u"m-1"_s));
        const QJsonObject reply = sent->data();
        QTRY_COMPARE_WITH_TIMEOUT(b1Got.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b2Got.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(a2Got.size(), 1, kWaitMs);
        for (QSignalSpy *spy : {&b1Got, &b2Got, &a2Got}) {
            const auto m = spy->first().at(0).value<ChatMessage>();
            QCOMPARE(m.id, intOf(reply, u"message_id"_s));
            QCOMPARE(m.seq, intOf(reply, u"seq"_s));
            QCOMPARE(m.conversationId, intOf(reply, u"conversation_id"_s));
            QCOMPARE(m.createdAt, intOf(reply, u"timestamp"_s));
            QCOMPARE(m.senderId, ann.id);
            QCOMPARE(m.content, u"to every device"_s);
            QCOMPARE(m.clientMsgId, u"m-1"_s);
            QCOMPARE(m.type, u"text"_s);
            QCOMPARE(spy->first().at(1).toBool(), false); // live, not offline
        }
        // The sending connection gets only the reply; the outsider nothing.
        QVERIFY(!a1Got.wait(kAbsenceMs));
        QCOMPARE(a1Got.size(), 0);
        QCOMPARE(e1Got.size(), 0);

        // `to` finds the same private conversation again, from either side.
        const qint64 cid = intOf(reply, u"conversation_id"_s);
        IT_OK(again, a2->sendTextTo(bob.id, u"again"_s));
        QCOMPARE(intOf(again->data(), u"conversation_id"_s), cid);
        QCOMPARE(intOf(again->data(), u"seq"_s), 2);
        IT_OK(back, b2->sendTextTo(ann.id, u"back"_s));
        QCOMPARE(intOf(back->data(), u"conversation_id"_s), cid);
        QCOMPARE(intOf(back->data(), u"seq"_s), 3);
        // ... and conversation_id works the same way.
        IT_OK(byId, b1->sendText(cid, u"by id"_s));
        QCOMPARE(intOf(byId->data(), u"seq"_s), 4);
        // Eve talking to Bob gets a different conversation, which Ann does not see.
        IT_OK(other, e1->sendTextTo(bob.id, u"hi bob, eve here"_s));
        QVERIFY(intOf(other->data(), u"conversation_id"_s) != cid);
        QCOMPARE(intOf(other->data(), u"seq"_s), 1);

        // Two users writing to each other for the first time at the same moment still share
        // one private conversation.
        for (int round = 0; round < 3; ++round) {
            QString error;
            const TestUser x = guestUser(server.httpUrl(), u"X"_s, &error);
            const TestUser y = guestUser(server.httpUrl(), u"Y"_s, &error);
            QVERIFY2(x.isValid() && y.isValid(), qPrintable(error));
            auto xc = connectAs(server, x, &error);
            auto yc = connectAs(server, y, &error);
            QVERIFY2(xc && yc, qPrintable(error));
            PendingRequest *fromX = xc->sendTextTo(y.id, u"hi y"_s);
            PendingRequest *fromY = yc->sendTextTo(x.id, u"hi x"_s);
            QVERIFY(waitAll({fromX, fromY}));
            QVERIFY(fromX->isSuccess() && fromY->isSuccess());
            QCOMPARE(intOf(fromX->data(), u"conversation_id"_s), intOf(fromY->data(), u"conversation_id"_s));
            QCOMPARE(intOf(fromX->data(), u"seq"_s) + intOf(fromY->data(), u"seq"_s), 3);
        }

        // Totals: a1 got again(from a2), back, by id; a2 got first, back, by id; b1 got first,
        // again, back(from b2), eve's; b2 got first, again, by id(from b1), eve's.
        QTRY_COMPARE_WITH_TIMEOUT(a1Got.size(), 3, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(a2Got.size(), 3, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b1Got.size(), 4, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(b2Got.size(), 4, kWaitMs);
        QVERIFY(!e1Got.wait(kAbsenceMs));
        QCOMPARE(e1Got.size(), 0);
        QVERIFY(!a1Got.wait(kAbsenceMs));
        QCOMPARE(a1Got.size(), 3);
        QCOMPARE(a2Got.size(), 3);
        QCOMPARE(b1Got.size(), 4);
        QCOMPARE(b2Got.size(), 4);
        QCOMPARE(a1Got.at(0).at(0).value<ChatMessage>().content, u"again"_s);
        QCOMPARE(b1Got.at(2).at(0).value<ChatMessage>().content, u"back"_s);
        QCOMPARE(b2Got.at(2).at(0).value<ChatMessage>().content, u"by id"_s);
    }

    void gaplessSeqWithFiftyConcurrentSenders_data() { TestDatabase::backends(); }
    void gaplessSeqWithFiftyConcurrentSenders()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        constexpr int kUsers = 25;
        constexpr int kConnectionsPerUser = 2;
        constexpr int kMessagesPerConnection = 10;
        constexpr int kTotal = kUsers * kConnectionsPerUser * kMessagesPerConnection;
        IT_START_SERVER(server, db, noRateLimit({{u"max_group_members"_s, QString::number(kUsers)}}));

        QList<TestUser> users;
        for (int i = 0; i < kUsers; ++i) {
            QString error;
            users.append(guestUser(server.httpUrl(), u"member %1"_s.arg(i), &error));
            QVERIFY2(users.last().isValid(), qPrintable(error));
        }
        std::vector<std::unique_ptr<ClientConnection>> connections;
        for (int c = 0; c < kConnectionsPerUser; ++c) {
            for (const TestUser &user : std::as_const(users)) {
                QString error;
                connections.push_back(connectAs(server, user, &error));
                QVERIFY2(connections.back(), qPrintable(error));
            }
        }
        QJsonArray members;
        for (int i = 1; i < kUsers; ++i)
            members.append(double(users.at(i).id));
        // max_group_members counts the creator: one more member is refused.
        QString extraError;
        const TestUser extra = guestUser(server.httpUrl(), u"one too many"_s, &extraError);
        QVERIFY2(extra.isValid(), qPrintable(extraError));
        QJsonArray tooMany = members;
        tooMany.append(double(extra.id));
        IT_FAILS(connections.front()->request(
                     u"conversation_create"_s, {{u"title"_s, u"too big"_s}, {u"members"_s, tooMany}}),
            LimitExceeded);
        IT_OK(created,
            connections.front()->request(
                u"conversation_create"_s, {{u"title"_s, u"all hands"_s}, {u"members"_s, members}}));
        const qint64 cid = intOf(created->data().value(u"conversation"_s).toObject(), u"id"_s);
        QVERIFY(cid > 0);
        QCOMPARE(created->data().value(u"conversation"_s).toObject().value(u"participants"_s).toArray().size(), kUsers);

        std::vector<Received> received(connections.size());
        for (size_t i = 0; i < connections.size(); ++i)
            record(connections[i].get(), cid, &received[i]);

        // Everyone at once: all frames are written before any reply is read.
        std::vector<QList<PendingRequest *>> sends(connections.size());
        for (int round = 0; round < kMessagesPerConnection; ++round) {
            for (size_t i = 0; i < connections.size(); ++i) {
                PendingRequest *r = connections[i]->sendText(cid, u"c%1 m%2"_s.arg(i).arg(round));
                r->setTimeout(120000);
                sends[i].append(r);
            }
        }
        QList<PendingRequest *> all;
        for (const auto &list : sends)
            all += list;
        QVERIFY(waitAll(all, 120000));

        QHash<qint64, qint64> idBySeq;
        for (size_t i = 0; i < connections.size(); ++i) {
            qint64 previous = 0;
            for (PendingRequest *r : sends[i]) {
                QVERIFY2(r->isSuccess(), qPrintable(describeRequest(r)));
                const qint64 seq = intOf(r->data(), u"seq"_s);
                QVERIFY2(seq > previous, "one connection's own sends are stored in request order");
                previous = seq;
                QVERIFY2(!idBySeq.contains(seq), qPrintable(u"seq %1 acknowledged twice"_s.arg(seq)));
                idBySeq.insert(seq, intOf(r->data(), u"message_id"_s));
            }
        }
        QCOMPARE(idBySeq.size(), kTotal);
        for (qint64 seq = 1; seq <= kTotal; ++seq)
            QVERIFY2(idBySeq.contains(seq), qPrintable(u"gap at seq %1"_s.arg(seq)));

        // History: 1..N exactly once, with the acknowledged ids.
        QList<QJsonObject> history;
        QString error;
        QVERIFY2(fetchAllHistory(connections.back().get(), cid, &history, &error), qPrintable(error));
        QCOMPARE(history.size(), kTotal);
        for (int i = 0; i < history.size(); ++i) {
            QCOMPARE(intOf(history.at(i), u"seq"_s), qint64(i + 1));
            QCOMPARE(intOf(history.at(i), u"id"_s), idBySeq.value(i + 1));
        }

        // Every connection saw every other connection's messages (its own user's other
        // connection included), each exactly once and in increasing seq order.
        for (size_t i = 0; i < connections.size(); ++i) {
            const int expected = kTotal - kMessagesPerConnection;
            QTRY_COMPARE_WITH_TIMEOUT(received[i].seqs.size(), expected, 30000);
        }
        for (size_t i = 0; i < connections.size(); ++i) {
            const Received &r = received[i];
            QCOMPARE(r.offline, 0);
            QSet<qint64> seen;
            for (int k = 0; k < r.seqs.size(); ++k) {
                if (k > 0)
                    QVERIFY2(r.seqs.at(k) > r.seqs.at(k - 1),
                        qPrintable(u"connection %1: seq %2 after %3"_s.arg(i).arg(r.seqs.at(k)).arg(r.seqs.at(k - 1))));
                QCOMPARE(r.ids.at(k), idBySeq.value(r.seqs.at(k)));
                seen.insert(r.seqs.at(k));
            }
            for (PendingRequest *own : sends[i])
                QVERIFY2(!seen.contains(intOf(own->data(), u"seq"_s)), "own message echoed to the sending connection");
        }
    }

    void dedupByClientMessageId_data() { TestDatabase::backends(); }
    void dedupByClientMessageId()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(carol, server, "Carol");
        IT_CONNECT(annConnection, server, ann);
        IT_CONNECT(annOther, server, ann);
        IT_CONNECT(bobConnection, server, bob);
        QSignalSpy bobGot(bobConnection.get(), &ClientConnection::messageReceived);
        QSignalSpy annOtherGot(annOther.get(), &ClientConnection::messageReceived);

        IT_OK(original, annConnection->sendTextTo(bob.id, u"once"_s, u"dup-1"_s));
        QCOMPARE(original->data().value(u"duplicate"_s), QJsonValue(false));
        QTRY_COMPARE_WITH_TIMEOUT(bobGot.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(annOtherGot.size(), 1, kWaitMs);
        const QJsonObject originalData = original->data(); // requests die with their connection
        const qint64 cid = intOf(originalData, u"conversation_id"_s);

        // The same (sender, client_msg_id): the original's ids, duplicate:true, nothing new -
        // even with other content, from another connection, or with conversation_id.
        auto checkDuplicate = [&](PendingRequest *r) {
            QVERIFY(waitForFinished(r));
            QVERIFY2(r->isSuccess(), qPrintable(describeRequest(r)));
            QCOMPARE(r->data().value(u"duplicate"_s), QJsonValue(true));
            for (const char *key : {"message_id", "conversation_id", "seq", "timestamp"})
                QCOMPARE(r->data().value(QLatin1StringView(key)), originalData.value(QLatin1StringView(key)));
        };
#define CHECK_DUPLICATE(request)                                                                                       \
    do {                                                                                                               \
        checkDuplicate(request);                                                                                       \
        if (QTest::currentTestFailed())                                                                                \
            return;                                                                                                    \
    } while (false)
        CHECK_DUPLICATE(annConnection->sendTextTo(bob.id, u"once"_s, u"dup-1"_s));
        CHECK_DUPLICATE(annOther->sendTextTo(bob.id, u"different text"_s, u"dup-1"_s));
        CHECK_DUPLICATE(annConnection->sendText(cid, u"by id"_s, u"dup-1"_s));
        // Dedup is per sender, not per conversation: to Carol it is still the same message.
        CHECK_DUPLICATE(annConnection->sendTextTo(carol.id, u"once"_s, u"dup-1"_s));
        QVERIFY(!bobGot.wait(kAbsenceMs));
        QCOMPARE(bobGot.size(), 1);
        QCOMPARE(annOtherGot.size(), 1);

        // Another sender may use the same client_msg_id.
        IT_OK(bobs, bobConnection->sendTextTo(ann.id, u"mine"_s, u"dup-1"_s));
        QCOMPARE(bobs->data().value(u"duplicate"_s), QJsonValue(false));
        QCOMPARE(intOf(bobs->data(), u"seq"_s), 2);
        // Without client_msg_id there is no dedup.
        IT_OK(plain1, annConnection->sendText(cid, u"same"_s));
        IT_OK(plain2, annConnection->sendText(cid, u"same"_s));
        QCOMPARE(intOf(plain1->data(), u"seq"_s), 3);
        QCOMPARE(intOf(plain2->data(), u"seq"_s), 4);
        QCOMPARE(plain2->data().value(u"duplicate"_s), QJsonValue(false));

        // Two identical sends pipelined (likely in one storage batch): one stored.
        PendingRequest *p1 = annConnection->sendText(cid, u"race"_s, u"dup-2"_s);
        PendingRequest *p2 = annConnection->sendText(cid, u"race"_s, u"dup-2"_s);
        PendingRequest *p3 = annOther->sendText(cid, u"race"_s, u"dup-2"_s);
        QVERIFY(waitAll({p1, p2, p3}));
        QVERIFY(p1->isSuccess() && p2->isSuccess() && p3->isSuccess());
        // p1 precedes p2 on one connection; p3 on the other connection may win the race.
        QCOMPARE(p2->data().value(u"duplicate"_s), QJsonValue(true));
        int firsts = 0;
        for (PendingRequest *p : {p1, p2, p3}) {
            firsts += p->data().value(u"duplicate"_s).toBool() ? 0 : 1;
            QCOMPARE(p->data().value(u"message_id"_s), p1->data().value(u"message_id"_s));
            QCOMPARE(p->data().value(u"seq"_s), p1->data().value(u"seq"_s));
        }
        QCOMPARE(firsts, 1);
        const QJsonValue raceId = p1->data().value(u"message_id"_s);

        QList<QJsonObject> history;
        QString error;
        QVERIFY2(fetchAllHistory(bobConnection.get(), cid, &history, &error), qPrintable(error));
        QCOMPARE(history.size(), 5);

        // Dedup survives a crash and restart.
        annConnection.reset();
        annOther.reset();
        bobConnection.reset();
        QVERIFY(server.kill());
        QVERIFY2(server.restart(), qPrintable(server.errorString()));
        IT_CONNECT(afterRestart, server, ann);
        CHECK_DUPLICATE(afterRestart->sendTextTo(bob.id, u"once"_s, u"dup-1"_s));
#undef CHECK_DUPLICATE
        IT_OK(raceAgain, afterRestart->sendText(cid, u"race"_s, u"dup-2"_s));
        QCOMPARE(raceAgain->data().value(u"duplicate"_s), QJsonValue(true));
        QCOMPARE(raceAgain->data().value(u"message_id"_s), raceId);
        IT_OK(fresh, afterRestart->sendText(cid, u"new"_s, u"dup-3"_s));
        QCOMPARE(fresh->data().value(u"duplicate"_s), QJsonValue(false));
        QCOMPARE(intOf(fresh->data(), u"seq"_s), 6);
    }

    // After 24 h the same client_msg_id is a new message: stored, delivered, and later retries get
    // it instead of the old one. The server's clock cannot be moved, so the original is aged in
    // the database.
    void dedupEndsAfterTheWindow_data()
    {
        TestDatabase::backends();
    }
    void dedupEndsAfterTheWindow()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(annConnection, server, ann);
        IT_CONNECT(bobConnection, server, bob);
        QSignalSpy bobGot(bobConnection.get(), &ClientConnection::messageReceived);

        IT_OK(original, annConnection->sendTextTo(bob.id, u"yesterday"_s, u"day-1"_s));
        const QJsonObject originalData = original->data();
        const qint64 cid = intOf(originalData, u"conversation_id"_s);
        QTRY_COMPARE_WITH_TIMEOUT(bobGot.size(), 1, kWaitMs);
        QString error;
        auto ageOriginal = [&] {
            error.clear();
            sqlRows(db.url(), u"UPDATE messages SET created_at = created_at - ? WHERE id = ?"_s,
                {qint64(24 * 3600 * 1000 + 1000), intOf(originalData, u"message_id"_s)}, &error);
            return error.isEmpty(); // SQLite: busy while the server writes
        };
        QTRY_VERIFY2_WITH_TIMEOUT(ageOriginal(), qPrintable(error), kWaitMs);

        IT_OK(today, annConnection->sendText(cid, u"today"_s, u"day-1"_s));
        const QJsonObject todayData = today->data();
        QCOMPARE(todayData.value(u"duplicate"_s), QJsonValue(false));
        QCOMPARE(intOf(todayData, u"seq"_s), 2);
        QVERIFY(intOf(todayData, u"message_id"_s) != intOf(originalData, u"message_id"_s));
        QTRY_COMPARE_WITH_TIMEOUT(bobGot.size(), 2, kWaitMs);
        const auto delivered = bobGot.last().at(0).value<ChatMessage>();
        QCOMPARE(delivered.id, intOf(todayData, u"message_id"_s));
        QCOMPARE(delivered.content, u"today"_s);
        QCOMPARE(delivered.clientMsgId, u"day-1"_s);

        IT_OK(retry, annConnection->sendTextTo(bob.id, u"today, again"_s, u"day-1"_s));
        QCOMPARE(retry->data().value(u"duplicate"_s), QJsonValue(true));
        for (const char *key : {"message_id", "conversation_id", "seq", "timestamp"})
            QCOMPARE(retry->data().value(QLatin1StringView(key)), todayData.value(QLatin1StringView(key)));
        QVERIFY(!bobGot.wait(kAbsenceMs));
        QCOMPARE(bobGot.size(), 2);
        QList<QJsonObject> history;
        QVERIFY2(fetchAllHistory(bobConnection.get(), cid, &history, &error), qPrintable(error));
        QCOMPARE(history.size(), 2);
    }

    void textLengthCountsCodePoints_data()
    {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("unit");
        for (const QString &backend : {u"sqlite"_s, u"postgresql"_s}) {
            QTest::addRow("%s-ascii", qPrintable(backend)) << backend << u"a"_s;
            QTest::addRow("%s-cjk", qPrintable(backend)) << backend << u"中"_s;
            QTest::addRow("%s-emoji", qPrintable(backend)) << backend << u"😀"_s;
            QTest::addRow("%s-mixed", qPrintable(backend)) << backend << u"a中😀é"_s;
        }
    }
    void textLengthCountsCodePoints()
    {
        QFETCH(QString, unit);
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(annConnection, server, ann);
        IT_CONNECT(bobConnection, server, bob);
        QSignalSpy bobGot(bobConnection.get(), &ClientConnection::messageReceived);

        // `unit` has 1 or 4 code points; build exactly 5000 and 5001.
        const qsizetype unitChars = unit.toUcs4().size();
        QString exact = unit.repeated(5000 / unitChars);
        while (exact.toUcs4().size() < 5000)
            exact.append(u'b');
        QCOMPARE(exact.toUcs4().size(), 5000);
        const QString over = exact + unit.left(unit.at(0).isHighSurrogate() ? 2 : 1);
        QCOMPARE(over.toUcs4().size(), 5001);

        IT_OK(accepted, annConnection->sendTextTo(bob.id, exact));
        PendingRequest *refused = annConnection->sendTextTo(bob.id, over);
        QVERIFY(waitForFinished(refused));
        QVERIFY2(!refused->isSuccess(), qPrintable(u"%1 UTF-16 units accepted"_s.arg(over.size())));
        SB_COMPARE_CODE(refused->error().code, ErrorCode::ValidationFailed);
        QCOMPARE(refused->error().message, u"Text message too long"_s);

        // Round trip: live and from history, character for character.
        QTRY_COMPARE_WITH_TIMEOUT(bobGot.size(), 1, kWaitMs);
        QCOMPARE(bobGot.first().at(0).value<ChatMessage>().content, exact);
        IT_OK(history, bobConnection->history(intOf(accepted->data(), u"conversation_id"_s)));
        const QJsonArray messages = history->data().value(u"messages"_s).toArray();
        QCOMPARE(messages.size(), 1); // the refused one was not stored
        QCOMPARE(messages.first().toObject().value(u"content"_s).toString(), exact);

        // Empty text.
        PendingRequest *empty = annConnection->sendTextTo(bob.id, QString());
        QVERIFY(waitForFinished(empty));
        SB_COMPARE_CODE(empty->error().code, ErrorCode::ValidationFailed);
        QCOMPARE(empty->error().message, u"Message content cannot be empty"_s);
    }

    void messageTypeValidation_data()
    {
        TestDatabase::backends();
    }
    void messageTypeValidation()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(annConnection, server, ann);
        auto send = [&](const QJsonObject &extra) {
            QJsonObject fields {{u"to"_s, double(bob.id)}, {u"content"_s, u"x"_s}};
            for (auto it = extra.begin(); it != extra.end(); ++it)
                fields.insert(it.key(), it.value());
            return annConnection->request(u"message"_s, fields);
        };
        IT_FAILS(send({{u"message_type"_s, u"system"_s}}), ValidationFailed);
        IT_FAILS(send({{u"message_type"_s, u"video"_s}}), ValidationFailed);
        IT_FAILS(send({{u"message_type"_s, u"TEXT"_s}}), ValidationFailed);
        IT_FAILS(send({{u"message_type"_s, u"image"_s}}), ValidationFailed);
        IT_FAILS(send({{u"message_type"_s, u"file"_s}}), ValidationFailed);
        IT_FAILS(send({{u"message_type"_s, 1}}), BadRequest);
        IT_FAILS(send({{u"attachment"_s, u"file-1"_s}, {u"message_type"_s, u"image"_s}}), BadRequest);
        IT_OK(text, send({{u"message_type"_s, u"text"_s}}));
        QCOMPARE(intOf(text->data(), u"seq"_s), 1); // nothing refused was stored
    }

    void tokenBucketLimitsSends_data()
    {
        TestDatabase::backends();
    }
    void tokenBucketLimitsSends()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        // Default limits: 10 per second, burst 20.
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(annConnection, server, ann);
        QList<PendingRequest *> sends;
        QList<PendingRequest *> pings;
        for (int i = 0; i < 30; ++i) {
            sends.append(annConnection->sendTextTo(bob.id, u"flood %1"_s.arg(i)));
            pings.append(annConnection->ping());
        }
        QVERIFY(waitAll(sends + pings));
        int ok = 0;
        int limited = 0;
        for (PendingRequest *r : std::as_const(sends)) {
            if (r->isSuccess()) {
                ++ok;
                continue;
            }
            SB_COMPARE_CODE(r->error().code, ErrorCode::RateLimited);
            QVERIFY2(r->error().retryAfterMs > 0 && r->error().retryAfterMs <= 1000,
                qPrintable(QString::number(r->error().retryAfterMs)));
            ++limited;
        }
        QVERIFY2(ok >= 20 && ok < 30, qPrintable(u"%1 accepted"_s.arg(ok)));
        QCOMPARE(ok + limited, 30);
        for (PendingRequest *p : std::as_const(pings))
            QVERIFY2(p->isSuccess(), "ping is not rate limited");
        // Only accepted sends were stored, gaplessly.
        QList<QJsonObject> history;
        QString error;
        QVERIFY2(
            fetchAllHistory(annConnection.get(), intOf(sends.first()->data(), u"conversation_id"_s), &history, &error),
            qPrintable(error));
        QCOMPARE(history.size(), ok);
        QCOMPARE(intOf(history.last(), u"seq"_s), qint64(ok));

        // More than 40 rate_limited replies within 5 s: closed with 1008.
        IT_CONNECT(flooder, server, ann);
        QSignalSpy closed(flooder.get(), &ClientConnection::disconnected);
        for (int i = 0; i < 80; ++i)
            flooder->sendTextTo(bob.id, u"flood"_s);
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, kWaitMs);
        QCOMPARE(flooder->closeCode(), 1008);
        IT_OK(stillThere, annConnection->ping());
    }
};

QTEST_GUILESS_MAIN(TestMessaging)
#include "tst_messaging.moc"
