#include <QDateTime>
#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Presence and multi-device behaviour (PROTOCOL.md sections 6 and 13): who hears about a user's
// presence, online/away/offline across several connections, presence_query with last_seen_at
// across a restart, and max_connections_per_user (4029 for the new connection only).
class TestPresence : public QObject
{
    Q_OBJECT

private:
    // A group of two made over HTTP, so that `owner` shares a conversation with `member` without
    // ever having been online.
    static qint64 shareConversation(
        const ServerProcess &server, const TestUser &owner, const TestUser &member, QString *error)
    {
        auto rest = restFor(server, &owner);
        RestReply *reply
            = rest->post(u"/api/v1/conversations"_s, QJsonObject {{u"members"_s, QJsonArray {double(member.id)}}});
        if (!waitForFinished(reply, 30000) || !reply->isSuccess()) {
            *error = describeReply(reply);
            return 0;
        }
        return intOf(reply->json().value(u"conversation"_s).toObject(), u"id"_s);
    }

    static QJsonObject presenceEntry(ClientConnection *connection, qint64 userId, QString *error)
    {
        PendingRequest *r = connection->request(u"presence_query"_s, {{u"user_ids"_s, QJsonArray {double(userId)}}});
        if (!waitForFinished(r, 30000) || !r->isSuccess()) {
            *error = describeRequest(r);
            return {};
        }
        const QJsonArray list = r->data().value(u"presence"_s).toArray();
        if (list.size() != 1) {
            *error = u"presence_query returned %1 entries"_s.arg(list.size());
            return {};
        }
        return list.first().toObject();
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void peersAndContactsSeePresenceStrangersDoNot()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob"); // shares a conversation with ann
        IT_USER(carol, server, "carol"); // has ann as a contact
        IT_USER(dave, server, "dave"); // a stranger to ann
        QString error;
        QVERIFY2(shareConversation(server, ann, bob, &error) > 0, qPrintable(error));

        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(carolC, server, carol);
        IT_CONNECT(daveC, server, dave);
        IT_OK(added, carolC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}));
        // dave has carol as a contact (a positive control for the one-directional check below).
        IT_OK(added2, daveC->request(u"contact_add"_s, {{u"user_id"_s, double(carol.id)}}));
        FrameLog bobLog(bobC.get());
        FrameLog carolLog(carolC.get());
        FrameLog daveLog(daveC.get());

        const qint64 beforeOnline = QDateTime::currentMSecsSinceEpoch();
        IT_CONNECT(annC, server, ann);
        FrameLog annLog(annC.get());
        for (FrameLog *log : {&bobLog, &carolLog}) {
            const qsizetype i = log->waitFor(FrameLog::presenceOf(ann.id, u"online"_s));
            QVERIFY2(i >= 0, "a watcher did not get ann's online presence");
            const QJsonObject event = log->frames().at(i);
            QVERIFY(event.value(u"last_seen_at"_s).isDouble());
            QVERIFY(intOf(event, u"last_seen_at"_s) >= beforeOnline - 1000);
        }
        QVERIFY2(daveLog.staysAbsent(FrameLog::presenceOf(ann.id)), "a stranger got ann's presence");

        // Contacts are one-directional: carol having ann as a contact does not make ann a watcher
        // of carol. dave, who has carol as a contact, is.
        IT_OK(carolAway, carolC->setStatus(u"away"_s));
        QVERIFY(daveLog.waitFor(FrameLog::presenceOf(carol.id, u"away"_s)) >= 0);
        QVERIFY2(annLog.staysAbsent(FrameLog::presenceOf(carol.id)),
            "ann got the presence of someone who merely has her as a contact");

        // An explicit status change reaches the same watchers.
        IT_OK(away, annC->setStatus(u"away"_s));
        QCOMPARE(away->data().value(u"status"_s).toString(), u"away"_s);
        QVERIFY(bobLog.waitFor(FrameLog::presenceOf(ann.id, u"away"_s)) >= 0);
        QVERIFY(carolLog.waitFor(FrameLog::presenceOf(ann.id, u"away"_s)) >= 0);
        QVERIFY(daveLog.staysAbsent(FrameLog::presenceOf(ann.id)));

        // Going offline too, with the time the connection closed.
        const qint64 beforeClose = QDateTime::currentMSecsSinceEpoch();
        annC->close();
        QCOMPARE(waitClosed(annC.get()), 1000);
        for (FrameLog *log : {&bobLog, &carolLog}) {
            const qsizetype i = log->waitFor(FrameLog::presenceOf(ann.id, u"offline"_s));
            QVERIFY2(i >= 0, "a watcher did not get ann's offline presence");
            const qint64 seen = intOf(log->frames().at(i), u"last_seen_at"_s);
            QVERIFY2(seen >= beforeClose - 1000 && seen <= QDateTime::currentMSecsSinceEpoch() + 1000,
                qPrintable(compact(log->frames().at(i))));
        }
        QVERIFY(daveLog.staysAbsent(FrameLog::presenceOf(ann.id)));
    }

    void offlineOnlyAfterTheLastConnectionCloses()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        QString error;
        QVERIFY2(shareConversation(server, ann, bob, &error) > 0, qPrintable(error));
        IT_CONNECT(bobC, server, bob);
        FrameLog bobLog(bobC.get());

        // Three devices, each authenticating its own way.
        auto c1 = connectAs(server, ann, &error, ClientConnection::TokenTransport::AuthFrame);
        QVERIFY2(c1, qPrintable(error));
        auto c2 = connectAs(server, ann, &error, ClientConnection::TokenTransport::Header);
        QVERIFY2(c2, qPrintable(error));
        auto c3 = connectAs(server, ann, &error, ClientConnection::TokenTransport::Query);
        QVERIFY2(c3, qPrintable(error));
        QVERIFY(bobLog.waitFor(FrameLog::presenceOf(ann.id, u"online"_s)) >= 0);

        QJsonObject entry = presenceEntry(bobC.get(), ann.id, &error);
        QVERIFY2(!entry.isEmpty(), qPrintable(error));
        QCOMPARE(entry.value(u"status"_s).toString(), u"online"_s);

        c1->close();
        QCOMPARE(waitClosed(c1.get()), 1000);
        QVERIFY2(bobLog.staysAbsent(FrameLog::presenceOf(ann.id, u"offline"_s)),
            "offline after the first of three connections closed");
        c2->close();
        QCOMPARE(waitClosed(c2.get()), 1000);
        QVERIFY2(bobLog.staysAbsent(FrameLog::presenceOf(ann.id, u"offline"_s)),
            "offline after the second of three connections closed");
        entry = presenceEntry(bobC.get(), ann.id, &error);
        QVERIFY2(!entry.isEmpty(), qPrintable(error));
        QCOMPARE(entry.value(u"status"_s).toString(), u"online"_s);
        // The remaining device still works.
        IT_OK(pong, c3->ping());

        const qint64 beforeClose = QDateTime::currentMSecsSinceEpoch();
        c3->close();
        QCOMPARE(waitClosed(c3.get()), 1000);
        const qsizetype i = bobLog.waitFor(FrameLog::presenceOf(ann.id, u"offline"_s));
        QVERIFY2(i >= 0, "no offline presence after the last connection closed");
        const qint64 lastSeen = intOf(bobLog.frames().at(i), u"last_seen_at"_s);
        QVERIFY(lastSeen >= beforeClose - 1000);
        QVERIFY(lastSeen <= QDateTime::currentMSecsSinceEpoch() + 1000);
        QCOMPARE(bobLog.events(u"presence"_s).size(), 2); // online once, offline once

        entry = presenceEntry(bobC.get(), ann.id, &error);
        QVERIFY2(!entry.isEmpty(), qPrintable(error));
        QCOMPARE(entry.value(u"status"_s).toString(), u"offline"_s);
        QCOMPARE(intOf(entry, u"last_seen_at"_s), lastSeen);
    }

    void statusAwayAndOnline()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        QString error;
        QVERIFY2(shareConversation(server, ann, bob, &error) > 0, qPrintable(error));
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(annC, server, ann);
        FrameLog bobLog(bobC.get());

        IT_OK(away, annC->setStatus(u"away"_s));
        QCOMPARE(away->data().value(u"status"_s).toString(), u"away"_s);
        qsizetype i = bobLog.waitFor(FrameLog::presenceOf(ann.id, u"away"_s));
        QVERIFY(i >= 0);
        QVERIFY(bobLog.frames().at(i).value(u"last_seen_at"_s).isDouble());
        QJsonObject entry = presenceEntry(bobC.get(), ann.id, &error);
        QVERIFY2(!entry.isEmpty(), qPrintable(error));
        QCOMPARE(entry.value(u"status"_s).toString(), u"away"_s);

        // The status belongs to the user: another device connecting does not reset it.
        IT_CONNECT(annPhone, server, ann);
        entry = presenceEntry(bobC.get(), ann.id, &error);
        QVERIFY2(!entry.isEmpty(), qPrintable(error));
        QCOMPARE(entry.value(u"status"_s).toString(), u"away"_s);

        const qsizetype mark = bobLog.size();
        IT_OK(online, annPhone->setStatus(u"online"_s));
        QVERIFY(bobLog.waitFor(FrameLog::presenceOf(ann.id, u"online"_s), kWaitMs, mark) >= 0);
        entry = presenceEntry(bobC.get(), ann.id, &error);
        QVERIFY2(!entry.isEmpty(), qPrintable(error));
        QCOMPARE(entry.value(u"status"_s).toString(), u"online"_s);

        IT_FAILS(annC->setStatus(u"busy"_s), ValidationFailed);
        IT_FAILS(annC->request(u"status"_s, {{u"status"_s, 1}}), BadRequest);
        IT_FAILS(annC->request(u"status"_s, {}), BadRequest);
        // Refused requests changed nothing.
        entry = presenceEntry(bobC.get(), ann.id, &error);
        QCOMPARE(entry.value(u"status"_s).toString(), u"online"_s);
    }

    void presenceQueryAndLastSeenAcrossRestart()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(never, server, "never"); // never connected
        QString error;
        QVERIFY2(shareConversation(server, ann, bob, &error) > 0, qPrintable(error));
        auto bobC = connectAs(server, bob, &error);
        QVERIFY2(bobC, qPrintable(error));
        FrameLog bobLog(bobC.get());
        {
            IT_CONNECT(annC, server, ann);
            annC->close();
            QCOMPARE(waitClosed(annC.get()), 1000);
        }
        const qsizetype i = bobLog.waitFor(FrameLog::presenceOf(ann.id, u"offline"_s));
        QVERIFY(i >= 0);
        const qint64 lastSeen = intOf(bobLog.frames().at(i), u"last_seen_at"_s);

        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        IT_OK(query,
            bobC->request(u"presence_query"_s,
                {{u"user_ids"_s, QJsonArray {double(ann.id), double(bob.id), double(never.id), 999999999.0}}}));
        QJsonArray list = query->data().value(u"presence"_s).toArray();
        QCOMPARE(list.size(), 4);
        QJsonObject annEntry = list.at(0).toObject();
        QCOMPARE(intOf(annEntry, u"user_id"_s), ann.id);
        QCOMPARE(annEntry.value(u"status"_s).toString(), u"offline"_s);
        QCOMPARE(intOf(annEntry, u"last_seen_at"_s), lastSeen);
        const QJsonObject bobEntry = list.at(1).toObject();
        QCOMPARE(intOf(bobEntry, u"user_id"_s), bob.id);
        QCOMPARE(bobEntry.value(u"status"_s).toString(), u"online"_s);
        QVERIFY(bobEntry.value(u"last_seen_at"_s).isDouble());
        QVERIFY(intOf(bobEntry, u"last_seen_at"_s) >= now - 5000);
        for (int k : {2, 3}) {
            const QJsonObject e = list.at(k).toObject();
            QCOMPARE(e.value(u"status"_s).toString(), u"offline"_s);
            QVERIFY2(e.value(u"last_seen_at"_s).isNull(), qPrintable(compact(e)));
        }

        IT_FAILS(bobC->request(u"presence_query"_s, {}), BadRequest);
        IT_FAILS(bobC->request(u"presence_query"_s, {{u"user_ids"_s, double(ann.id)}}), BadRequest);
        IT_FAILS(
            bobC->request(u"presence_query"_s, {{u"user_ids"_s, QJsonArray {QString::number(ann.id)}}}), BadRequest);

        // last_seen_at is stored: a restarted server still knows it.
        bobC.reset();
        QVERIFY(server.restart());
        IT_CONNECT(bobAgain, server, bob);
        QJsonObject after = presenceEntry(bobAgain.get(), ann.id, &error);
        QVERIFY2(!after.isEmpty(), qPrintable(error));
        QCOMPARE(after.value(u"status"_s).toString(), u"offline"_s);
        QCOMPARE(intOf(after, u"last_seen_at"_s), lastSeen);
    }

    void maxConnectionsPerUser()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"max_connections_per_user"_s, u"3"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        QString error;

        // Exactly at the limit: three connections, each authenticating its own way.
        auto c1 = connectAs(server, ann, &error, ClientConnection::TokenTransport::AuthFrame);
        QVERIFY2(c1, qPrintable(error));
        auto c2 = connectAs(server, ann, &error, ClientConnection::TokenTransport::Header);
        QVERIFY2(c2, qPrintable(error));
        auto c3 = connectAs(server, ann, &error, ClientConnection::TokenTransport::Query);
        QVERIFY2(c3, qPrintable(error));

        // One past it, with an auth frame and with the header: the new connection goes with 4029.
        auto c4 = openAs(server.wsUrl(), ann, ClientConnection::TokenTransport::AuthFrame);
        QCOMPARE(waitClosed(c4.get()), 4029);
        QVERIFY(c4->sessionId().isEmpty());
        auto c5 = openAs(server.wsUrl(), ann, ClientConnection::TokenTransport::Header);
        QCOMPARE(waitClosed(c5.get()), 4029);
        QVERIFY2(c5->sessionId().isEmpty(), "a session event came before the 4029");

        // The old ones stay usable.
        for (ClientConnection *c : {c1.get(), c2.get(), c3.get()}) {
            QCOMPARE(c->state(), ClientConnection::State::Authenticated);
            IT_OK(pong, c->ping());
        }
        IT_CONNECT(bobC, server, bob);
        QSignalSpy bobGot(bobC.get(), &ClientConnection::messageReceived);
        QSignalSpy c2Got(c2.get(), &ClientConnection::messageReceived);
        QSignalSpy c3Got(c3.get(), &ClientConnection::messageReceived);
        IT_OK(sent, c1->sendTextTo(bob.id, u"still here"_s));
        QVERIFY(!bobGot.isEmpty() || bobGot.wait(kWaitMs));
        QVERIFY(!c2Got.isEmpty() || c2Got.wait(kWaitMs));
        QVERIFY(!c3Got.isEmpty() || c3Got.wait(kWaitMs));

        // Another user is not affected by ann's count.
        IT_CONNECT(bob2, server, bob);
        IT_CONNECT(bob3, server, bob);

        // The limit is on open connections: after one closes, a new one is accepted (once the
        // server has seen the close, which may be a moment after our side is down).
        c3->close();
        QCOMPARE(waitClosed(c3.get()), 1000);
        std::unique_ptr<ClientConnection> c6;
        (void)QTest::qWaitFor(
            [&] {
                c6 = openAs(server.wsUrl(), ann, ClientConnection::TokenTransport::AuthFrame);
                // Retry only while the server still counts the closed one (4029).
                return c6->state() == ClientConnection::State::Authenticated || c6->closeCode() != 4029;
            },
            kWaitMs);
        QVERIFY2(c6->state() == ClientConnection::State::Authenticated,
            qPrintable(u"no new connection accepted after one of three closed (close code %1)"_s.arg(c6->closeCode())));
        IT_OK(pong6, c6->ping());
        // Still exactly at the limit again.
        auto c7 = openAs(server.wsUrl(), ann, ClientConnection::TokenTransport::Query);
        QCOMPARE(waitClosed(c7.get()), 4029);
    }
};

QTEST_GUILESS_MAIN(TestPresence)
#include "tst_presence.moc"
