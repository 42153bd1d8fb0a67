#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Rooms (PROTOCOL.md sections 7 and 13): ephemeral broadcast channels with per-connection
// membership, echo, name rules, limits per connection and per room, nothing stored.
class TestRooms : public QObject
{
    Q_OBJECT

private:
    static bool isRoomMessage(const QJsonObject &f) { return f.value(u"type"_s).toString() == u"room_message"_s; }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void joinBroadcastLeave()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(carol, server, "carol");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(carolC, server, carol);
        FrameLog annLog(annC.get());
        FrameLog bobLog(bobC.get());
        FrameLog carolLog(carolC.get());

        for (ClientConnection *c : {annC.get(), bobC.get(), carolC.get()}) {
            IT_OK(join, c->joinRoom(u"lobby"_s));
            QCOMPARE(join->data().value(u"room"_s).toString(), u"lobby"_s);
        }
        // Joining twice changes nothing.
        IT_OK(again, bobC->joinRoom(u"lobby"_s));

        // Any JSON value is carried as is; the sender does not get its own broadcast.
        const QJsonArray payload {1, u"two"_s, QJsonObject {{u"three"_s, 3}}, QJsonValue::Null};
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        IT_OK(sent, annC->broadcast(u"lobby"_s, payload));
        QCOMPARE(sent->data().value(u"delivered"_s).toInt(), 2);
        for (FrameLog *log : {&bobLog, &carolLog}) {
            const qsizetype i = log->waitFor(isRoomMessage);
            QVERIFY(i >= 0);
            const QJsonObject f = log->frames().at(i);
            QCOMPARE(f.value(u"room"_s).toString(), u"lobby"_s);
            QCOMPARE(intOf(f, u"from"_s), ann.id);
            QCOMPARE(f.value(u"data"_s).toArray(), payload);
            QVERIFY(intOf(f, u"timestamp"_s) >= before - 1000);
            QVERIFY(!f.contains(u"id"_s));
            QVERIFY(!f.contains(u"recovered"_s));
        }
        QVERIFY2(annLog.staysAbsent(isRoomMessage), "the sender got its own broadcast without echo");

        // echo:true includes the sender; scalars and null are data too.
        IT_OK(echoed, annC->broadcast(u"lobby"_s, u"hello"_s, true));
        QCOMPARE(echoed->data().value(u"delivered"_s).toInt(), 3);
        qsizetype i = annLog.waitFor(isRoomMessage);
        QVERIFY2(i >= 0, "no echo");
        QCOMPARE(annLog.frames().at(i).value(u"data"_s).toString(), u"hello"_s);
        IT_OK(nullData, bobC->request(u"broadcast"_s, {{u"room"_s, u"lobby"_s}, {u"data"_s, QJsonValue::Null}}));
        QVERIFY(annLog.waitForCount(isRoomMessage, 2));
        QVERIFY(annLog.all(isRoomMessage).at(1).value(u"data"_s).isNull());
        IT_FAILS(bobC->request(u"broadcast"_s, {{u"room"_s, u"lobby"_s}}), BadRequest);
        IT_FAILS(bobC->request(u"broadcast"_s, {{u"room"_s, u"lobby"_s}, {u"data"_s, 1}, {u"echo"_s, u"yes"_s}}),
            BadRequest);

        // After leave, no more broadcasts; leaving again is not_found.
        IT_OK(left, bobC->leaveRoom(u"lobby"_s));
        QCOMPARE(left->data().value(u"room"_s).toString(), u"lobby"_s);
        const qsizetype bobMark = bobLog.size();
        const qsizetype carolMark = carolLog.size();
        IT_OK(third, annC->broadcast(u"lobby"_s, u"after leave"_s));
        QCOMPARE(third->data().value(u"delivered"_s).toInt(), 1);
        QVERIFY(carolLog.waitFor(isRoomMessage, kWaitMs, carolMark) >= 0);
        QVERIFY2(bobLog.staysAbsent(isRoomMessage, kAbsenceMs, bobMark), "a broadcast after leave");
        IT_FAILS(bobC->leaveRoom(u"lobby"_s), NotFound);
        IT_FAILS(bobC->broadcast(u"lobby"_s, 1), Forbidden);

        // Nothing is stored: no conversation appeared, and a newcomer gets no old broadcasts.
        IT_OK(convs, carolC->conversations());
        QCOMPARE(convs->data().value(u"conversations"_s).toArray().size(), 0);
        IT_USER(dave, server, "dave");
        IT_CONNECT(daveC, server, dave);
        FrameLog daveLog(daveC.get());
        IT_OK(daveJoin, daveC->joinRoom(u"lobby"_s));
        QVERIFY2(daveLog.staysAbsent(isRoomMessage), "a newcomer got stored broadcasts");
        IT_OK(fourth, annC->broadcast(u"lobby"_s, u"for dave"_s));
        QVERIFY(daveLog.waitFor(isRoomMessage) >= 0);
    }

    void roomNames()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits(noRateLimit({{u"max_rooms_per_connection"_s, u"100"_s}}));
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_CONNECT(annC, server, ann);

        const QStringList valid {
            u"a"_s, u"Z"_s, u"0"_s, QString(64, u'x'), u"A-z_0.9:x-y"_s, u"team:42.general"_s, u"..."_s, u"-_-"_s};
        for (const QString &name : valid) {
            PendingRequest *r = annC->joinRoom(name);
            QVERIFY(waitForFinished(r));
            QVERIFY2(r->isSuccess(), qPrintable(name + u": "_s + describeRequest(r)));
            QCOMPARE(r->data().value(u"room"_s).toString(), name);
            PendingRequest *b = annC->broadcast(name, 1, true);
            QVERIFY(waitForFinished(b));
            QVERIFY2(b->isSuccess(), qPrintable(name + u": "_s + describeRequest(b)));
            PendingRequest *l = annC->leaveRoom(name);
            QVERIFY(waitForFinished(l));
            QVERIFY2(l->isSuccess(), qPrintable(name + u": "_s + describeRequest(l)));
        }
        const QStringList invalid {QString(), QString(65, u'x'), u"has space"_s, u"a/b"_s, u"#general"_s, u"ünï"_s,
            u"tab\there"_s, u"emoji😀"_s, u"a,b"_s, u"x@y"_s};
        for (const QString &name : invalid) {
            for (const QString &type : {u"join"_s, u"leave"_s, u"broadcast"_s}) {
                PendingRequest *r = annC->request(type, {{u"room"_s, name}, {u"data"_s, 1}});
                QVERIFY(waitForFinished(r));
                QVERIFY2(!r->isSuccess() && r->error().code == ErrorCode::ValidationFailed,
                    qPrintable(type + u" '"_s + name + u"': "_s + describeRequest(r)));
            }
        }
        const QList<QJsonValue> wrongTypes {QJsonValue(42), QJsonValue(QJsonValue::Null), QJsonValue(true),
            QJsonValue(QJsonArray {u"lobby"_s}), QJsonValue(QJsonObject {{u"name"_s, u"lobby"_s}})};
        for (const QJsonValue &room : wrongTypes) {
            for (const QString &type : {u"join"_s, u"leave"_s, u"broadcast"_s}) {
                PendingRequest *r = annC->request(type, {{u"room"_s, room}, {u"data"_s, 1}});
                QVERIFY(waitForFinished(r));
                QVERIFY2(!r->isSuccess() && r->error().code == ErrorCode::BadRequest,
                    qPrintable(type + u" "_s + compact({{u"room"_s, room}}) + u": "_s + describeRequest(r)));
            }
        }
        IT_FAILS(annC->request(u"join"_s), BadRequest); // missing
        // None of the refused names left the connection in a room.
        IT_OK(probe, annC->joinRoom(u"probe"_s));
        IT_OK(lonely, annC->broadcast(u"probe"_s, 1));
        QCOMPARE(lonely->data().value(u"delivered"_s).toInt(), 0);
    }

    void maxRoomsPerConnection()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"max_rooms_per_connection"_s, u"3"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_CONNECT(c1, server, ann);
        for (int n = 1; n <= 3; ++n) {
            IT_OK(join, c1->joinRoom(u"room%1"_s.arg(n)));
        }
        IT_FAILS(c1->joinRoom(u"room4"_s), LimitExceeded);
        // Re-joining a room already joined is not a fourth room.
        IT_OK(rejoin, c1->joinRoom(u"room2"_s));
        // Not joined after the refusal.
        IT_FAILS(c1->broadcast(u"room4"_s, 1), Forbidden);
        // The limit is per connection: the same user's second connection has its own three.
        IT_CONNECT(c2, server, ann);
        for (int n = 4; n <= 6; ++n) {
            IT_OK(join, c2->joinRoom(u"room%1"_s.arg(n)));
        }
        IT_FAILS(c2->joinRoom(u"room7"_s), LimitExceeded);
        // Leaving makes room again.
        IT_OK(left, c1->leaveRoom(u"room1"_s));
        IT_OK(join4, c1->joinRoom(u"room4"_s));
        IT_FAILS(c1->joinRoom(u"room5"_s), LimitExceeded);
    }

    void maxConnectionsPerRoom()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"max_connections_per_room"_s, u"2"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(carol, server, "carol");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(carolC, server, carol);
        IT_OK(j1, annC->joinRoom(u"small"_s));
        IT_OK(j2, bobC->joinRoom(u"small"_s));
        IT_FAILS(carolC->joinRoom(u"small"_s), LimitExceeded);
        IT_FAILS(carolC->broadcast(u"small"_s, 1), Forbidden);
        // Other rooms are not affected.
        IT_OK(other, carolC->joinRoom(u"big"_s));
        // A member leaving frees a place; the full room still delivers to its members.
        IT_OK(full, annC->broadcast(u"small"_s, 1));
        QCOMPARE(full->data().value(u"delivered"_s).toInt(), 1);
        IT_OK(left, bobC->leaveRoom(u"small"_s));
        IT_OK(j3, carolC->joinRoom(u"small"_s));
        IT_FAILS(bobC->joinRoom(u"small"_s), LimitExceeded);
        // Connections count, not users: a second connection of a member is one more.
        IT_CONNECT(annPhone, server, ann);
        IT_FAILS(annPhone->joinRoom(u"small"_s), LimitExceeded);
    }

    void membershipIsPerConnection()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(annDesk, server, ann);
        IT_CONNECT(annPhone, server, ann);
        IT_CONNECT(bobC, server, bob);
        FrameLog deskLog(annDesk.get());
        FrameLog phoneLog(annPhone.get());
        IT_OK(j1, annDesk->joinRoom(u"lobby"_s));
        IT_OK(j2, bobC->joinRoom(u"lobby"_s));

        IT_OK(sent, bobC->broadcast(u"lobby"_s, u"hi"_s));
        QCOMPARE(sent->data().value(u"delivered"_s).toInt(), 1);
        QVERIFY(deskLog.waitFor(isRoomMessage) >= 0);
        QVERIFY2(phoneLog.staysAbsent(isRoomMessage), "a connection that did not join got a broadcast");
        // Broadcasting needs this connection to have joined, not just the user.
        IT_FAILS(annPhone->broadcast(u"lobby"_s, 1), Forbidden);
        IT_FAILS(annPhone->leaveRoom(u"lobby"_s), NotFound);
        // A room nobody joined: forbidden as well.
        IT_FAILS(bobC->broadcast(u"nobody-here"_s, 1), Forbidden);

        // The desk's own broadcast reaches the user's other joined connection, not the desk.
        IT_OK(j3, annPhone->joinRoom(u"lobby"_s));
        const qsizetype deskMark = deskLog.size();
        IT_OK(fromDesk, annDesk->broadcast(u"lobby"_s, u"from desk"_s));
        QCOMPARE(fromDesk->data().value(u"delivered"_s).toInt(), 2);
        QVERIFY(phoneLog.waitFor(isRoomMessage) >= 0);
        QVERIFY(deskLog.staysAbsent(isRoomMessage, kAbsenceMs, deskMark));

        // Closing a connection takes it out of its rooms (once the server has seen the close,
        // which may be a moment after our side is down).
        annDesk->close();
        QCOMPARE(waitClosed(annDesk.get()), 1000);
        int delivered = -1;
        for (int attempt = 0; attempt < 30 && delivered != 1; ++attempt) {
            if (attempt > 0)
                QTest::qWait(100); // a poll interval that stays within the rate limit
            IT_OK(b, bobC->broadcast(u"lobby"_s, 2));
            delivered = b->data().value(u"delivered"_s).toInt();
        }
        QCOMPARE(delivered, 1);
    }
};

QTEST_GUILESS_MAIN(TestRooms)
#include "tst_rooms.moc"
