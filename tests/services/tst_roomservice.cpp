#include <QJsonObject>
#include <QTest>

#include "server/services/burstbudget.h"
#include "server/services/roomservice.h"
#include "server/sessions/session.h"
#include "tests/services/awaitresult.h"
#include "tests/services/loopbacksessions.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Server;
using namespace Switchboard::Tests;

// RoomService in-process on real sessions: the replay buffers are bounded in bytes per room and
// in total (issue 12, item 3: a guest creating rooms could make the server hold about 2 GB), and
// rooms are counted per account and per address.
class TstRoomService : public QObject
{
    Q_OBJECT

    static UserInfo user(qint64 id) { return UserInfo {id, u"u%1"_s.arg(id), u"U"_s, u"guest"_s}; }

    static std::optional<Result<QJsonObject>> call(const std::function<void(RoomService::Reply)> &request)
    {
        return awaitResult<QJsonObject>([&](auto done) { request(done); });
    }

    static QJsonObject broadcastFields(const QString &room, int n, int padBytes)
    {
        return {{u"room"_s, room}, {u"data"_s, QJsonObject {{u"n"_s, n}, {u"pad"_s, QString(padBytes, u'x')}}}};
    }

private slots:
    void buffersAreBoundedInBytes()
    {
        LoopbackSessions loop;
        auto *sender = loop.open();
        auto *listener = loop.open();
        QVERIFY(sender && listener);
        sender->session->setAuthenticated(user(1), u"s1"_s);
        listener->session->setAuthenticated(user(2), u"s2"_s);
        RoomService::Limits limits;
        limits.bufferBytesPerRoom = 10 * 1024;
        limits.bufferBytesTotal = 25 * 1024;
        RoomService rooms(limits);
        for (const QString &room : {u"a"_s, u"b"_s, u"c"_s}) {
            auto joined = call([&](auto done) { rooms.join(sender->session, {{u"room"_s, room}}, done); });
            QVERIFY(joined && joined->ok());
        }
        // 1 KB broadcasts: each room keeps at most 10 KB, all rooms at most 25 KB.
        for (int n = 0; n < 40; ++n) {
            for (const QString &room : {u"a"_s, u"b"_s, u"c"_s}) {
                auto sent
                    = call([&](auto done) { rooms.broadcast(sender->session, broadcastFields(room, n, 1000), done); });
                QVERIFY(sent && sent->ok());
                QVERIFY2(rooms.bufferedBytes() <= limits.bufferBytesTotal,
                    qPrintable(QString::number(rooms.bufferedBytes())));
            }
        }
        QVERIFY(rooms.bufferedBytes() > limits.bufferBytesTotal - 2 * 1024); // and it is used

        // A resumer that saw nothing gets the newest broadcasts that were kept, in order, and
        // hears that older ones are gone.
        QList<QByteArray> frames;
        bool complete = true;
        BurstBudget budget(1024 * 1024);
        QVERIFY(rooms.rejoin(listener->session, u"a"_s, 0, &frames, &complete, budget));
        QVERIFY(!complete);
        QVERIFY(!frames.isEmpty());
        qint64 bytes = 0;
        int previous = -1;
        for (const QByteArray &f : std::as_const(frames)) {
            bytes += f.size();
            const int n = QJsonDocument::fromJson(f).object().value(u"data"_s).toObject().value(u"n"_s).toInt();
            QVERIFY(n > previous);
            previous = n;
        }
        QCOMPARE(previous, 39);
        QVERIFY(bytes <= limits.bufferBytesPerRoom);

        // A broadcast larger than a room's bound is delivered but not kept: the buffer restarts.
        auto huge
            = call([&](auto done) { rooms.broadcast(sender->session, broadcastFields(u"a"_s, 99, 20000), done); });
        QVERIFY(huge && huge->ok());
        frames.clear();
        complete = true;
        BurstBudget again(1024 * 1024);
        QVERIFY(rooms.rejoin(listener->session, u"a"_s, 39, &frames, &complete, again));
        QVERIFY(!complete);
        QVERIFY(frames.isEmpty());
    }

    void roomsAreCountedPerAccountAndAddress()
    {
        LoopbackSessions loop;
        auto *first = loop.open();
        auto *second = loop.open();
        auto *third = loop.open();
        QVERIFY(first && second && third);
        first->session->setAuthenticated(user(1), u"s1"_s);
        second->session->setAuthenticated(user(1), u"s2"_s); // the same account
        third->session->setAuthenticated(user(3), u"s3"_s); // another one, same address
        RoomService::Limits limits;
        limits.maxRoomsPerCreator = 3;
        limits.maxRoomsPerAddress = 5;
        RoomService rooms(limits);
        auto join = [&](LoopbackSessions::Pair *p, const QString &room) {
            return call([&](auto done) { rooms.join(p->session, {{u"room"_s, room}}, done); });
        };
        for (const QString &room : {u"r1"_s, u"r2"_s, u"r3"_s})
            QVERIFY(join(first, room)->ok());
        auto refused = join(second, u"r4"_s);
        QVERIFY(refused && !refused->ok());
        SB_COMPARE_CODE(refused->error().code, ErrorCode::LimitExceeded);
        // Joining a room that exists is not creating one.
        QVERIFY(join(second, u"r1"_s)->ok());
        // Per address: the other account of the same address may create two more, not three.
        QVERIFY(join(third, u"t1"_s)->ok());
        QVERIFY(join(third, u"t2"_s)->ok());
        refused = join(third, u"t3"_s);
        QVERIFY(refused && !refused->ok());
        SB_COMPARE_CODE(refused->error().code, ErrorCode::LimitExceeded);
        QCOMPARE(rooms.roomCount(), 5);
    }
};

QTEST_GUILESS_MAIN(TstRoomService)
#include "tst_roomservice.moc"
