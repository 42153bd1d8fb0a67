#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Customer service (PROTOCOL.md sections 10 and 13): support_open (users and guests, one open
// chat per user), the queue order, claim conflicts, transfer, close, support_update events,
// staff-only requests, automatic assignment with agent_capacity, and the grace-period requeue.
class TestSupport : public QObject
{
    Q_OBJECT

private:
    static std::function<bool(const QJsonObject &)> supportUpdate(
        qint64 conversationId, const QString &status = QString())
    {
        return [conversationId, status](const QJsonObject &f) {
            if (f.value(u"type"_s).toString() != u"support_update"_s)
                return false;
            const QJsonObject c = f.value(u"conversation"_s).toObject();
            return intOf(c, u"id"_s) == conversationId
                && (status.isEmpty() || c.value(u"status"_s).toString() == status);
        };
    }

    static QJsonObject updateAt(const FrameLog &log, qsizetype i)
    {
        return log.frames().at(i).value(u"conversation"_s).toObject();
    }

    static QList<qint64> queueIds(ClientConnection *staff, QList<QJsonObject> *entries, QString *error)
    {
        PendingRequest *r = staff->request(u"support_queue"_s);
        if (!waitForFinished(r, 30000) || !r->isSuccess()) {
            *error = describeRequest(r);
            return {};
        }
        QList<qint64> ids;
        for (const QJsonValue &v : r->data().value(u"conversations"_s).toArray()) {
            ids.append(intOf(v.toObject(), u"id"_s));
            if (entries)
                entries->append(v.toObject());
        }
        return ids;
    }

    static bool isNewMessage(const QJsonObject &f) { return f.value(u"type"_s).toString() == u"new_message"_s; }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void receiptsOfAnUnassignedAgentNeverGoBackwards()
    {
        // Issue 12, item 9: an agent reading an unclaimed chat has no participants row; each
        // `read` was announced from zero, so "read up to 2" could be followed by "read up to 1".
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_STAFF(a1, server, "agent", "agent1");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(a1C, server, a1);
        FrameLog annLog(annC.get());
        IT_OK(opened, annC->request(u"support_open"_s));
        const qint64 chat = intOf(opened->data().value(u"conversation"_s).toObject(), u"id"_s);
        IT_OK(m1, annC->sendText(chat, u"one"_s));
        IT_OK(m2, annC->sendText(chat, u"two"_s));
        IT_OK(read2, a1C->markRead(chat, 2));
        IT_OK(read1, a1C->markRead(chat, 1));
        IT_OK(read2again, a1C->markRead(chat, 2));
        const auto fromAgent = [&](const QJsonObject &f) {
            return f.value(u"type"_s).toString() == u"receipt"_s && intOf(f, u"user_id"_s) == a1.id;
        };
        QVERIFY(annLog.staysAbsent(fromAgent));
        // Once the agent holds the chat, their receipts count as usual.
        IT_OK(claimed, a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(chat)}}));
        IT_OK(read, a1C->markRead(chat, 2));
        const qsizetype i = annLog.waitFor(fromAgent);
        QVERIFY(i >= 0);
        QCOMPARE(intOf(annLog.frames().at(i), u"seq"_s), 2);
    }

    void onlyTheHolderOrAnAdminTransfers()
    {
        // Issue 12, item 9: any agent could take a chat away from the agent holding it.
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_STAFF(a1, server, "agent", "agent1");
        IT_STAFF(a2, server, "agent", "agent2");
        IT_STAFF(admin, server, "admin", "boss");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(a1C, server, a1);
        IT_CONNECT(a2C, server, a2);
        IT_CONNECT(adminC, server, admin);
        IT_OK(opened, annC->request(u"support_open"_s));
        const qint64 chat = intOf(opened->data().value(u"conversation"_s).toObject(), u"id"_s);
        const auto transfer = [&](ClientConnection *c, qint64 to) {
            return c->request(
                u"support_transfer"_s, {{u"conversation_id"_s, double(chat)}, {u"agent_id"_s, double(to)}});
        };
        // Unassigned: nobody holds it, so no agent hands it on (claiming is how an agent takes it).
        IT_FAILS(transfer(a2C.get(), a2.id), Forbidden);
        IT_OK(claimed, a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(chat)}}));
        IT_FAILS(transfer(a2C.get(), a2.id), Forbidden);
        IT_OK(stillA1, a1C->request(u"support_queue"_s));
        // The holder may; then the new holder may; an admin always may.
        IT_OK(toA2, transfer(a1C.get(), a2.id));
        QCOMPARE(intOf(toA2->data().value(u"conversation"_s).toObject(), u"agent_id"_s), a2.id);
        IT_FAILS(transfer(a1C.get(), a1.id), Forbidden);
        IT_OK(back, transfer(a2C.get(), a1.id));
        IT_OK(byAdmin, transfer(adminC.get(), a2.id));
        QCOMPARE(intOf(byAdmin->data().value(u"conversation"_s).toObject(), u"agent_id"_s), a2.id);
    }

    void openQueueClaimTransferClose()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob"); // a user who is not staff
        IT_STAFF(a1, server, "agent", "agent1");
        IT_STAFF(a2, server, "agent", "agent2");
        IT_STAFF(admin, server, "admin", "boss");
        IT_CONNECT(a1C, server, a1);
        IT_CONNECT(a2C, server, a2);
        IT_CONNECT(adminC, server, admin);
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        FrameLog a1Log(a1C.get());
        FrameLog a2Log(a2C.get());
        FrameLog adminLog(adminC.get());
        FrameLog annLog(annC.get());
        FrameLog bobLog(bobC.get());

        // A user opens a chat: every agent and admin hears of it.
        IT_OK(opened, annC->request(u"support_open"_s, {{u"topic"_s, u"Billing"_s}}));
        const QJsonObject conv = opened->data().value(u"conversation"_s).toObject();
        const qint64 annChat = intOf(conv, u"id"_s);
        QCOMPARE(conv.value(u"type"_s).toString(), u"support"_s);
        QCOMPARE(conv.value(u"status"_s).toString(), u"open"_s);
        QVERIFY(conv.value(u"agent_id"_s).isNull());
        QCOMPARE(conv.value(u"title"_s).toString(), u"Billing"_s);
        for (FrameLog *log : {&a1Log, &a2Log, &adminLog}) {
            const qsizetype i = log->waitFor(supportUpdate(annChat, u"open"_s));
            QVERIFY2(i >= 0, "no support_update for a new chat");
            QVERIFY(updateAt(*log, i).value(u"agent_id"_s).isNull());
        }
        QVERIFY2(bobLog.staysAbsent(supportUpdate(annChat)), "a non-staff user got support_update");
        // One open chat per user.
        IT_OK(again, annC->request(u"support_open"_s, {{u"topic"_s, u"Something else"_s}}));
        QCOMPARE(intOf(again->data().value(u"conversation"_s).toObject(), u"id"_s), annChat);

        // A guest (POST /api/v1/auth/guest) opens one too.
        QString error;
        const TestUser guest = guestUser(server.httpUrl(), u"Visitor"_s, &error);
        QVERIFY2(guest.isValid(), qPrintable(error));
        QCOMPARE(guest.role, u"guest"_s);
        IT_CONNECT(guestC, server, guest);
        FrameLog guestLog(guestC.get());
        IT_OK(guestOpened, guestC->request(u"support_open"_s));
        const qint64 guestChat = intOf(guestOpened->data().value(u"conversation"_s).toObject(), u"id"_s);
        QVERIFY(guestChat != annChat);
        QVERIFY(a1Log.waitFor(supportUpdate(guestChat, u"open"_s)) >= 0);

        // Queue: both unassigned, oldest first.
        QList<qint64> queue = queueIds(a1C.get(), nullptr, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(queue, (QList<qint64> {annChat, guestChat}));

        // While nobody holds it, the user's message reaches every online agent and admin live,
        // in well under a second (section 10), and nobody else.
        {
            QElapsedTimer clock;
            clock.start();
            IT_OK(anyone, annC->sendText(annChat, u"anyone there?"_s));
            for (FrameLog *log : {&a1Log, &a2Log, &adminLog}) {
                const qsizetype i = log->waitFor(isNewMessage);
                QVERIFY2(i >= 0, "an unassigned chat's message did not reach an agent");
                QCOMPARE(log->frames().at(i).value(u"message"_s).toObject().value(u"content"_s).toString(),
                    u"anyone there?"_s);
            }
            QVERIFY2(clock.elapsed() < 1000, qPrintable(u"%1 ms to reach the agents"_s.arg(clock.elapsed())));
            QVERIFY(bobLog.staysAbsent(isNewMessage));
            QVERIFY(guestLog.staysAbsent(isNewMessage));
        }

        // a1 claims the older chat: unassigned ones now come first, then assigned ones.
        IT_OK(claimed, a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(annChat)}}));
        const QJsonObject claimedConv = claimed->data().value(u"conversation"_s).toObject();
        QCOMPARE(claimedConv.value(u"status"_s).toString(), u"assigned"_s);
        QCOMPARE(intOf(claimedConv, u"agent_id"_s), a1.id);
        for (FrameLog *log : {&a2Log, &adminLog, &annLog}) {
            const qsizetype i = log->waitFor(supportUpdate(annChat, u"assigned"_s));
            QVERIFY2(i >= 0, "no support_update for the claim");
            QCOMPARE(intOf(updateAt(*log, i), u"agent_id"_s), a1.id);
        }
        QList<QJsonObject> entries;
        queue = queueIds(a2C.get(), &entries, &error);
        QCOMPARE(queue, (QList<qint64> {guestChat, annChat}));
        QCOMPARE(entries.at(0).value(u"status"_s).toString(), u"open"_s);
        QCOMPARE(entries.at(1).value(u"status"_s).toString(), u"assigned"_s);
        QCOMPARE(intOf(entries.at(1), u"agent_id"_s), a1.id);

        // Claiming a chat another agent holds is a conflict; claiming your own is fine.
        IT_FAILS(a2C->request(u"support_claim"_s, {{u"conversation_id"_s, double(annChat)}}), Conflict);
        IT_OK(reclaim, a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(annChat)}}));

        // The user and the assigned agent talk.
        const qsizetype a2BeforeTalk = a2Log.size();
        const qsizetype a1BeforeTalk = a1Log.size();
        IT_OK(userSays, annC->sendText(annChat, u"my invoice is wrong"_s));
        QVERIFY(a1Log.waitFor(isNewMessage, kWaitMs, a1BeforeTalk) >= 0);
        IT_OK(agentSays, a1C->sendText(annChat, u"let me check"_s));
        QVERIFY(annLog.waitFor(isNewMessage) >= 0);
        // Once assigned, the other agents are not bothered with it.
        QVERIFY(a2Log.staysAbsent(isNewMessage, kAbsenceMs, a2BeforeTalk));

        // Staff only.
        IT_FAILS(bobC->request(u"support_queue"_s), Forbidden);
        IT_FAILS(bobC->request(u"support_claim"_s, {{u"conversation_id"_s, double(guestChat)}}), Forbidden);
        IT_FAILS(bobC->request(
                     u"support_transfer"_s, {{u"conversation_id"_s, double(annChat)}, {u"agent_id"_s, double(bob.id)}}),
            Forbidden);
        IT_FAILS(bobC->request(u"support_close"_s, {{u"conversation_id"_s, double(annChat)}}), Forbidden);
        IT_FAILS(annC->request(u"support_claim"_s, {{u"conversation_id"_s, double(annChat)}}), Forbidden);
        IT_FAILS(guestC->request(u"support_queue"_s), Forbidden);
        IT_FAILS(bobC->history(annChat), Forbidden);

        // Transfer a1 -> a2: a2 is now the one who gets the user's messages.
        IT_OK(transferred,
            a1C->request(
                u"support_transfer"_s, {{u"conversation_id"_s, double(annChat)}, {u"agent_id"_s, double(a2.id)}}));
        QCOMPARE(intOf(transferred->data().value(u"conversation"_s).toObject(), u"agent_id"_s), a2.id);
        {
            const qsizetype i = a2Log.waitFor([&](const QJsonObject &f) {
                return supportUpdate(annChat, u"assigned"_s)(f)
                    && intOf(f.value(u"conversation"_s).toObject(), u"agent_id"_s) == a2.id;
            });
            QVERIFY2(i >= 0, "no support_update for the transfer");
        }
        IT_FAILS(a1C->request(
                     u"support_transfer"_s, {{u"conversation_id"_s, double(annChat)}, {u"agent_id"_s, double(bob.id)}}),
            ValidationFailed);
        const qsizetype a1Mark = a1Log.size();
        const qsizetype a2Mark = a2Log.size();
        IT_OK(userAgain, annC->sendText(annChat, u"hello?"_s));
        QVERIFY(a2Log.waitFor(isNewMessage, kWaitMs, a2Mark) >= 0);
        QVERIFY2(a1Log.staysAbsent(isNewMessage, kAbsenceMs, a1Mark), "the previous agent still gets messages");
        // Any agent may still read it (staff rights on support conversations).
        IT_OK(a1Reads, a1C->history(annChat));
        QCOMPARE(a1Reads->data().value(u"messages"_s).toArray().size(), 4);

        // Close: everyone concerned hears of it; the queue drops it; the next open is a new chat.
        IT_OK(closed, a2C->request(u"support_close"_s, {{u"conversation_id"_s, double(annChat)}}));
        QCOMPARE(closed->data().value(u"conversation"_s).toObject().value(u"status"_s).toString(), u"closed"_s);
        for (FrameLog *log : {&a1Log, &adminLog, &annLog})
            QVERIFY(log->waitFor(supportUpdate(annChat, u"closed"_s)) >= 0);
        queue = queueIds(adminC.get(), nullptr, &error);
        QCOMPARE(queue, QList<qint64> {guestChat});
        IT_OK(reopened, annC->request(u"support_open"_s));
        const qint64 annChat2 = intOf(reopened->data().value(u"conversation"_s).toObject(), u"id"_s);
        QVERIFY(annChat2 != annChat);
        QCOMPARE(reopened->data().value(u"conversation"_s).toObject().value(u"status"_s).toString(), u"open"_s);
        QVERIFY(a1Log.waitFor(supportUpdate(annChat2, u"open"_s)) >= 0);

        // The admin has agent rights: claim and close.
        IT_OK(adminClaims, adminC->request(u"support_claim"_s, {{u"conversation_id"_s, double(guestChat)}}));
        QVERIFY(guestLog.waitFor(supportUpdate(guestChat, u"assigned"_s)) >= 0);
        IT_OK(adminCloses, adminC->request(u"support_close"_s, {{u"conversation_id"_s, double(guestChat)}}));
    }

    void concurrentClaimsOneWins()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_STAFF(a1, server, "agent", "agent1");
        IT_STAFF(a2, server, "agent", "agent2");
        IT_CONNECT(a1C, server, a1);
        IT_CONNECT(a2C, server, a2);
        IT_CONNECT(annC, server, ann);
        QList<qint64> winners;
        for (int round = 0; round < 3; ++round) {
            IT_OK(opened, annC->request(u"support_open"_s));
            const qint64 chat = intOf(opened->data().value(u"conversation"_s).toObject(), u"id"_s);
            // Both claim at once (neither waits for the other).
            PendingRequest *c1 = a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(chat)}});
            PendingRequest *c2 = a2C->request(u"support_claim"_s, {{u"conversation_id"_s, double(chat)}});
            QVERIFY(waitForFinished(c1) && waitForFinished(c2));
            QVERIFY2(
                c1->isSuccess() != c2->isSuccess(), qPrintable(describeRequest(c1) + u" / "_s + describeRequest(c2)));
            PendingRequest *loser = c1->isSuccess() ? c2 : c1;
            PendingRequest *winner = c1->isSuccess() ? c1 : c2;
            SB_COMPARE_CODE(loser->error().code, ErrorCode::Conflict);
            const qint64 winnerId = c1->isSuccess() ? a1.id : a2.id;
            QCOMPARE(intOf(winner->data().value(u"conversation"_s).toObject(), u"agent_id"_s), winnerId);
            winners.append(winnerId);
            QString error;
            QList<QJsonObject> entries;
            const QList<qint64> queue = queueIds(a1C.get(), &entries, &error);
            QCOMPARE(queue, QList<qint64> {chat});
            QCOMPARE(intOf(entries.first(), u"agent_id"_s), winnerId);
            IT_OK(closed, a1C->request(u"support_close"_s, {{u"conversation_id"_s, double(chat)}}));
        }
        QCOMPARE(winners.size(), 3);
    }

    void automaticAssignment()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setConfigValue(u"support"_s, u"auto_assign"_s, u"true"_s);
        server.setConfigValue(u"support"_s, u"agent_capacity"_s, u"3"_s);
        IT_START(server);
        IT_STAFF(a1, server, "agent", "agent1");
        IT_STAFF(a2, server, "agent", "agent2");
        IT_STAFF(offline, server, "agent", "agent3"); // never online: never picked
        IT_STAFF(admin, server, "admin", "boss"); // admins are not picked
        IT_CONNECT(a1C, server, a1);
        IT_CONNECT(a2C, server, a2);
        IT_CONNECT(adminC, server, admin);
        FrameLog adminLog(adminC.get());
        IT_OK(away, a2C->setStatus(u"away"_s));

        // Guests over HTTP: POST /auth/guest, then POST /api/v1/support/open.
        auto openChat = [&](qint64 *chatId, qint64 *agentId, QString *error, int assignWaitMs = 5000) {
            const TestUser guest = guestUser(server.httpUrl(), QString(), error);
            if (!guest.isValid())
                return false;
            auto rest = restFor(server, &guest);
            RestReply *r = rest->post(u"/api/v1/support/open"_s, QJsonObject());
            if (!waitForFinished(r, 30000) || !r->isSuccess()) {
                *error = describeReply(r);
                return false;
            }
            *chatId = intOf(r->json().value(u"conversation"_s).toObject(), u"id"_s);
            const qsizetype i = adminLog.waitFor(supportUpdate(*chatId, u"assigned"_s), assignWaitMs);
            *agentId = i >= 0 ? intOf(updateAt(adminLog, i), u"agent_id"_s) : 0;
            return true;
        };
        QHash<qint64, int> load;
        QString error;
        qint64 chat = 0, agent = 0;
        // a2 is away: a1 gets the first two.
        for (int n = 0; n < 2; ++n) {
            QVERIFY2(openChat(&chat, &agent, &error), qPrintable(error));
            QCOMPARE(agent, a1.id);
            ++load[agent];
        }
        // a2 back: the one with the fewest open chats is picked, twice.
        IT_OK(back, a2C->setStatus(u"online"_s));
        for (int n = 0; n < 2; ++n) {
            QVERIFY2(openChat(&chat, &agent, &error), qPrintable(error));
            QCOMPARE(agent, a2.id);
            ++load[agent];
        }
        // 2 and 2: either, then the other (3 and 3).
        QVERIFY2(openChat(&chat, &agent, &error), qPrintable(error));
        QVERIFY(agent == a1.id || agent == a2.id);
        const qint64 firstPick = agent;
        QVERIFY2(openChat(&chat, &agent, &error), qPrintable(error));
        QVERIFY(agent == a1.id || agent == a2.id);
        QVERIFY2(agent != firstPick, "the agent with more open chats was picked");
        // Both at agent_capacity (3): the next chat stays in the queue.
        qint64 waiting = 0;
        QVERIFY2(openChat(&waiting, &agent, &error, 1000), qPrintable(error));
        QCOMPARE(agent, 0);
        QList<QJsonObject> entries;
        const QList<qint64> queue = queueIds(a1C.get(), &entries, &error);
        QCOMPARE(queue.first(), waiting);
        QCOMPARE(entries.first().value(u"status"_s).toString(), u"open"_s);
        QCOMPARE(queue.size(), 7);
        int a1Count = 0, a2Count = 0;
        for (const QJsonObject &e : std::as_const(entries)) {
            a1Count += intOf(e, u"agent_id"_s) == a1.id ? 1 : 0;
            a2Count += intOf(e, u"agent_id"_s) == a2.id ? 1 : 0;
            QVERIFY(intOf(e, u"agent_id"_s) != offline.id && intOf(e, u"agent_id"_s) != admin.id);
        }
        QCOMPARE(a1Count, 3);
        QCOMPARE(a2Count, 3);
        // Closing one frees capacity for the next new chat.
        IT_OK(closed, a1C->request(u"support_close"_s, {{u"conversation_id"_s, double(chat)}}));
        QVERIFY2(openChat(&chat, &agent, &error), qPrintable(error));
        QCOMPARE(agent, firstPick == a1.id ? a2.id : a1.id);
    }

    void graceRequeue()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setConfigValue(u"support"_s, u"requeue_grace"_s, u"2"_s);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_STAFF(a1, server, "agent", "agent1");
        IT_STAFF(a2, server, "agent", "agent2");
        IT_CONNECT(a2C, server, a2);
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        FrameLog a2Log(a2C.get());
        FrameLog bobLog(bobC.get());
        IT_OK(o1, annC->request(u"support_open"_s));
        const qint64 annChat = intOf(o1->data().value(u"conversation"_s).toObject(), u"id"_s);
        IT_OK(o2, bobC->request(u"support_open"_s));
        const qint64 bobChat = intOf(o2->data().value(u"conversation"_s).toObject(), u"id"_s);

        // a1 holds ann's chat and goes away for good: after the grace it is back in the queue.
        {
            IT_CONNECT(a1C, server, a1);
            IT_OK(claim, a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(annChat)}}));
            QVERIFY(a2Log.waitFor(supportUpdate(annChat, u"assigned"_s)) >= 0);
            const qsizetype mark = a2Log.size();
            a1C->close();
            QCOMPARE(waitClosed(a1C.get()), 1000);
            QElapsedTimer clock;
            clock.start();
            const qsizetype i = a2Log.waitFor(supportUpdate(annChat, u"open"_s), 10000, mark);
            QVERIFY2(i >= 0, "the chat of an agent who left was not requeued");
            QVERIFY2(clock.elapsed() >= 1000, "requeued before the grace period");
            QVERIFY(updateAt(a2Log, i).value(u"agent_id"_s).isNull());
            QVERIFY2(!idList(updateAt(a2Log, i).value(u"participants"_s).toArray()).contains(a1.id),
                "the agent is still a participant after the requeue");
        }
        QString error;
        QList<QJsonObject> entries;
        QList<qint64> queue = queueIds(a2C.get(), &entries, &error);
        QCOMPARE(queue, (QList<qint64> {annChat, bobChat}));
        QVERIFY(entries.at(0).value(u"agent_id"_s).isNull());
        // a1 is no longer a participant: the user's messages now go nowhere but the queue, and
        // another agent can claim it.
        IT_OK(claim2, a2C->request(u"support_claim"_s, {{u"conversation_id"_s, double(annChat)}}));

        // a1 holds bob's chat and comes back within the grace: it stays theirs.
        IT_CONNECT(a1C, server, a1);
        IT_OK(claim3, a1C->request(u"support_claim"_s, {{u"conversation_id"_s, double(bobChat)}}));
        QVERIFY(a2Log.waitFor(supportUpdate(bobChat, u"assigned"_s)) >= 0);
        const qsizetype mark = a2Log.size();
        const qsizetype bobMark = bobLog.size();
        a1C->abort(); // a network drop; bob (sharing the chat with a1) sees a1 go offline
        QVERIFY(bobLog.waitFor(FrameLog::presenceOf(a1.id, u"offline"_s), kWaitMs, bobMark) >= 0);
        IT_CONNECT(a1Back, server, a1);
        QVERIFY2(a2Log.staysAbsent(supportUpdate(bobChat, u"open"_s), 3500, mark),
            "requeued although the agent came back within the grace period");
        entries.clear();
        queue = queueIds(a2C.get(), &entries, &error);
        QCOMPARE(queue.size(), 2);
        for (const QJsonObject &e : std::as_const(entries)) {
            if (intOf(e, u"id"_s) == bobChat) {
                QCOMPARE(e.value(u"status"_s).toString(), u"assigned"_s);
                QCOMPARE(intOf(e, u"agent_id"_s), a1.id);
            }
        }
        FrameLog a1Log(a1Back.get());
        IT_OK(bobSays, bobC->sendText(bobChat, u"still there?"_s));
        QVERIFY(a1Log.waitFor(isNewMessage) >= 0);
    }
};

QTEST_GUILESS_MAIN(TestSupport)
#include "tst_support.moc"
