#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Group conversations (PROTOCOL.md sections 7 and 13): create/add/remove/leave with the owner
// rules, system messages in the same gapless seq, max_group_members (creator included), and
// non-participants refused on every read and write path, over WebSocket and HTTP.
class TestGroups : public QObject
{
    Q_OBJECT

private:
    static bool isNewMessage(const QJsonObject &f) { return f.value(u"type"_s).toString() == u"new_message"_s; }

    static std::function<bool(const QJsonObject &)> systemEvent(const QString &event, qint64 userId)
    {
        return [event, userId](const QJsonObject &f) {
            if (!isNewMessage(f))
                return false;
            const QJsonObject m = f.value(u"message"_s).toObject();
            if (m.value(u"type"_s).toString() != u"system"_s)
                return false;
            const QJsonObject content = QJsonDocument::fromJson(m.value(u"content"_s).toString().toUtf8()).object();
            return content.value(u"event"_s).toString() == event && intOf(content, u"user_id"_s) == userId;
        };
    }

    static QList<QJsonObject> history(ClientConnection *c, qint64 conversationId, QString *error)
    {
        PendingRequest *r = c->history(conversationId, 0, 0, 100);
        if (!waitForFinished(r, 30000) || !r->isSuccess()) {
            *error = describeRequest(r);
            return {};
        }
        QList<QJsonObject> out;
        for (const QJsonValue &v : r->data().value(u"messages"_s).toArray())
            out.append(v.toObject());
        return out;
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void createAddRemoveLeave()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(owner, server, "owner");
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(carol, server, "carol");
        IT_CONNECT(ownerC, server, owner);
        IT_CONNECT(ownerPhone, server, owner);
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(carolC, server, carol);
        FrameLog ownerLog(ownerC.get());
        FrameLog phoneLog(ownerPhone.get());
        FrameLog annLog(annC.get());
        FrameLog bobLog(bobC.get());

        // Duplicates and the creator's own id are ignored; no system message on creation.
        IT_OK(created,
            ownerC->request(u"conversation_create"_s,
                {{u"title"_s, u"  Team  "_s},
                    {u"members"_s, QJsonArray {double(ann.id), double(ann.id), double(owner.id)}}}));
        const QJsonObject group = created->data().value(u"conversation"_s).toObject();
        const qint64 gid = intOf(group, u"id"_s);
        QVERIFY(gid > 0);
        QCOMPARE(group.value(u"type"_s).toString(), u"group"_s);
        QCOMPARE(group.value(u"title"_s).toString(), u"Team"_s);
        const QList<qint64> participants = idList(group.value(u"participants"_s).toArray());
        QCOMPARE(QSet<qint64>(participants.begin(), participants.end()), (QSet<qint64> {owner.id, ann.id}));
        QCOMPARE(participants.size(), 2);
        QCOMPARE(intOf(group, u"last_seq"_s), 0);
        QVERIFY(annLog.staysAbsent(isNewMessage));

        // add: a system message with seq 1 for every member (the added one included), except the
        // acting connection, which gets it in the reply.
        IT_OK(added,
            ownerC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(bob.id)}}));
        const QJsonObject addMsg = added->data().value(u"message"_s).toObject();
        QCOMPARE(addMsg.value(u"type"_s).toString(), u"system"_s);
        QCOMPARE(intOf(addMsg, u"seq"_s), 1);
        QCOMPARE(intOf(addMsg, u"conversation_id"_s), gid);
        for (FrameLog *log : {&annLog, &bobLog, &phoneLog})
            QVERIFY(log->waitFor(systemEvent(u"member_added"_s, bob.id)) >= 0);
        QVERIFY(ownerLog.staysAbsent(isNewMessage));
        // Adding a member again changes nothing.
        IT_OK(addedAgain,
            ownerC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(bob.id)}}));
        QVERIFY(!addedAgain->data().contains(u"message"_s));

        IT_OK(text, annC->sendText(gid, u"hello team"_s));
        QCOMPARE(intOf(text->data(), u"seq"_s), 2);

        // Only the owner (or an admin) changes members.
        IT_FAILS(annC->request(
                     u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(carol.id)}}),
            Forbidden);
        IT_FAILS(annC->request(
                     u"conversation_remove"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(bob.id)}}),
            Forbidden);
        // Outsiders may do nothing, not even leave.
        IT_FAILS(carolC->request(
                     u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(carol.id)}}),
            Forbidden);
        IT_FAILS(carolC->request(u"conversation_leave"_s, {{u"conversation_id"_s, double(gid)}}), Forbidden);
        IT_FAILS(
            ownerC->request(u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, 999999999.0}}),
            NotFound);
        IT_FAILS(ownerC->request(
                     u"conversation_add"_s, {{u"conversation_id"_s, 999999999.0}, {u"user_id"_s, double(carol.id)}}),
            NotFound);
        IT_FAILS(ownerC->request(u"conversation_add"_s,
                     {{u"conversation_id"_s, QString::number(gid)}, {u"user_id"_s, double(carol.id)}}),
            BadRequest);

        // remove: seq 3; the removed member hears about it, then loses access.
        IT_OK(removed,
            ownerC->request(
                u"conversation_remove"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(bob.id)}}));
        QCOMPARE(intOf(removed->data().value(u"message"_s).toObject(), u"seq"_s), 3);
        QVERIFY(bobLog.waitFor(systemEvent(u"member_removed"_s, bob.id)) >= 0);
        QVERIFY(annLog.waitFor(systemEvent(u"member_removed"_s, bob.id)) >= 0);
        IT_FAILS(bobC->history(gid), Forbidden);
        IT_FAILS(bobC->sendText(gid, u"let me back"_s), Forbidden);
        IT_FAILS(ownerC->request(
                     u"conversation_remove"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(bob.id)}}),
            NotFound);

        // leave: seq 4.
        IT_OK(left, annC->request(u"conversation_leave"_s, {{u"conversation_id"_s, double(gid)}}));
        QCOMPARE(intOf(left->data().value(u"message"_s).toObject(), u"seq"_s), 4);
        QVERIFY(ownerLog.waitFor(systemEvent(u"member_left"_s, ann.id)) >= 0);
        IT_FAILS(annC->history(gid), Forbidden);

        // The owner leaving hands the group to the longest-standing member (carol, added now).
        IT_OK(addCarol,
            ownerC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(carol.id)}}));
        IT_OK(ownerLeft, ownerC->request(u"conversation_leave"_s, {{u"conversation_id"_s, double(gid)}}));
        IT_OK(carolAdds,
            carolC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(ann.id)}}));
        QCOMPARE(intOf(carolAdds->data().value(u"message"_s).toObject(), u"seq"_s), 7);

        // One gapless seq: 1 add, 2 text, 3 remove, 4 leave, 5 add, 6 leave, 7 add.
        QString error;
        const QList<QJsonObject> messages = history(carolC.get(), gid, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(messages.size(), 7);
        const QStringList types {
            u"system"_s, u"text"_s, u"system"_s, u"system"_s, u"system"_s, u"system"_s, u"system"_s};
        const QStringList events {u"member_added"_s, QString(), u"member_removed"_s, u"member_left"_s,
            u"member_added"_s, u"member_left"_s, u"member_added"_s};
        const QList<qint64> actors {owner.id, ann.id, owner.id, ann.id, owner.id, owner.id, carol.id};
        for (int k = 0; k < 7; ++k) {
            const QJsonObject m = messages.at(k);
            QCOMPARE(intOf(m, u"seq"_s), k + 1);
            QCOMPARE(m.value(u"type"_s).toString(), types.at(k));
            QCOMPARE(intOf(m, u"sender_id"_s), actors.at(k));
            if (!events.at(k).isEmpty()) {
                const QJsonObject content = QJsonDocument::fromJson(m.value(u"content"_s).toString().toUtf8()).object();
                QCOMPARE(content.value(u"event"_s).toString(), events.at(k));
                QCOMPARE(intOf(content, u"actor_id"_s), actors.at(k));
            }
        }
        // Membership changes are not possible on private conversations.
        IT_OK(priv, annC->sendTextTo(bob.id, u"private"_s));
        const qint64 pid = intOf(priv->data(), u"conversation_id"_s);
        PendingRequest *addToPrivate = annC->request(
            u"conversation_add"_s, {{u"conversation_id"_s, double(pid)}, {u"user_id"_s, double(carol.id)}});
        QVERIFY(waitForFinished(addToPrivate));
        QVERIFY2(!addToPrivate->isSuccess(), "a third member was added to a private conversation");
    }

    void adminsMayChangeMembers()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(owner, server, "owner");
        IT_USER(ann, server, "ann");
        IT_STAFF(admin, server, "admin", "admin");
        IT_STAFF(agent, server, "agent", "agent");
        IT_CONNECT(ownerC, server, owner);
        IT_CONNECT(adminC, server, admin);
        IT_CONNECT(agentC, server, agent);
        IT_OK(created, ownerC->request(u"conversation_create"_s, {{u"members"_s, QJsonArray {}}}));
        const qint64 gid = intOf(created->data().value(u"conversation"_s).toObject(), u"id"_s);
        IT_FAILS(agentC->request(
                     u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(ann.id)}}),
            Forbidden);
        IT_OK(added,
            adminC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(ann.id)}}));
        QCOMPARE(intOf(added->data().value(u"message"_s).toObject(), u"seq"_s), 1);
        IT_OK(removed,
            adminC->request(
                u"conversation_remove"_s, {{u"conversation_id"_s, double(gid)}, {u"user_id"_s, double(ann.id)}}));
        QCOMPARE(intOf(removed->data().value(u"message"_s).toObject(), u"seq"_s), 2);
    }

    void maxGroupMembers()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"max_group_members"_s, u"3"_s}});
        IT_START(server);
        IT_USER(owner, server, "owner");
        IT_USER(a, server, "a");
        IT_USER(b, server, "b");
        IT_USER(c, server, "c");
        IT_CONNECT(ownerC, server, owner);

        // Creator + 2 = 3: exactly at the limit.
        IT_OK(
            full, ownerC->request(u"conversation_create"_s, {{u"members"_s, QJsonArray {double(a.id), double(b.id)}}}));
        const qint64 fullId = intOf(full->data().value(u"conversation"_s).toObject(), u"id"_s);
        QCOMPARE(full->data().value(u"conversation"_s).toObject().value(u"participants"_s).toArray().size(), 3);
        // Creator + 3 = 4: one past it.
        IT_FAILS(ownerC->request(
                     u"conversation_create"_s, {{u"members"_s, QJsonArray {double(a.id), double(b.id), double(c.id)}}}),
            LimitExceeded);
        // Thousands of repeated ids are one member each (de-duplicated in linear time, issue 12,
        // item 7), in order of first appearance.
        QJsonArray repeated;
        for (int i = 0; i < 5000; ++i)
            repeated.append(double(i % 2 ? a.id : b.id));
        IT_OK(deduped, ownerC->request(u"conversation_create"_s, {{u"members"_s, repeated}}));
        QCOMPARE(deduped->data().value(u"conversation"_s).toObject().value(u"participants"_s).toArray().size(), 3);
        // The creator listed in members does not count twice.
        IT_OK(withSelf,
            ownerC->request(
                u"conversation_create"_s, {{u"members"_s, QJsonArray {double(owner.id), double(a.id), double(b.id)}}}));
        // Adding to a full group.
        IT_FAILS(ownerC->request(
                     u"conversation_add"_s, {{u"conversation_id"_s, double(fullId)}, {u"user_id"_s, double(c.id)}}),
            LimitExceeded);
        // Growing a group of two up to the limit, then one past it.
        IT_OK(small, ownerC->request(u"conversation_create"_s, {{u"members"_s, QJsonArray {double(a.id)}}}));
        const qint64 smallId = intOf(small->data().value(u"conversation"_s).toObject(), u"id"_s);
        IT_OK(third,
            ownerC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(smallId)}, {u"user_id"_s, double(b.id)}}));
        IT_FAILS(ownerC->request(
                     u"conversation_add"_s, {{u"conversation_id"_s, double(smallId)}, {u"user_id"_s, double(c.id)}}),
            LimitExceeded);
        // After someone leaves there is room again.
        IT_OK(removed,
            ownerC->request(
                u"conversation_remove"_s, {{u"conversation_id"_s, double(smallId)}, {u"user_id"_s, double(a.id)}}));
        IT_OK(fourth,
            ownerC->request(
                u"conversation_add"_s, {{u"conversation_id"_s, double(smallId)}, {u"user_id"_s, double(c.id)}}));
        // The refused add left no system message: seq runs 1 (add b), 2 (remove a), 3 (add c).
        QCOMPARE(intOf(fourth->data().value(u"message"_s).toObject(), u"seq"_s), 3);
    }

    void nonParticipantsAreForbidden()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(eve, server, "eve");
        IT_STAFF(agent, server, "agent", "agent");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(eveC, server, eve);
        IT_CONNECT(agentC, server, agent);
        FrameLog eveLog(eveC.get());
        FrameLog agentLog(agentC.get());

        IT_OK(first, annC->sendTextTo(bob.id, u"private hello"_s));
        const qint64 pid = intOf(first->data(), u"conversation_id"_s);
        IT_OK(created, annC->request(u"conversation_create"_s, {{u"members"_s, QJsonArray {double(bob.id)}}}));
        const qint64 gid = intOf(created->data().value(u"conversation"_s).toObject(), u"id"_s);
        IT_OK(second, annC->sendText(gid, u"group hello"_s));

        // Outsiders: a user, and an agent (staff rights cover support conversations only).
        for (const auto &[who, c] : {std::pair {&eve, eveC.get()}, std::pair {&agent, agentC.get()}}) {
            auto rest = restFor(server, who);
            for (qint64 cid : {pid, gid}) {
                const QString where = u"%1 on conversation %2: "_s.arg(who->username).arg(cid);
                auto expectForbidden = [&](PendingRequest *r) {
                    QVERIFY(waitForFinished(r));
                    QVERIFY2(!r->isSuccess() && r->error().code == ErrorCode::Forbidden,
                        qPrintable(where + describeRequest(r)));
                };
                expectForbidden(c->history(cid));
                if (QTest::currentTestFailed())
                    return;
                expectForbidden(c->sendText(cid, u"intrusion"_s));
                if (QTest::currentTestFailed())
                    return;
                expectForbidden(c->markRead(cid, 1));
                if (QTest::currentTestFailed())
                    return;
                expectForbidden(c->markReceived(cid, 1));
                if (QTest::currentTestFailed())
                    return;
                expectForbidden(c->sendTyping(cid));
                if (QTest::currentTestFailed())
                    return;

                const QString base = u"/api/v1/conversations/%1"_s.arg(cid);
                IT_HTTP_STATUS(get, rest->get(base), 403);
                SB_COMPARE_CODE(get->error().code, ErrorCode::Forbidden);
                QVERIFY(!get->body().contains("hello"));
                IT_HTTP_STATUS(msgs, rest->get(base + u"/messages"_s), 403);
                SB_COMPARE_CODE(msgs->error().code, ErrorCode::Forbidden);
                QVERIFY2(!msgs->body().contains("hello"), msgs->body().constData());
                IT_HTTP_STATUS(post, rest->post(base + u"/messages"_s, {{u"content"_s, u"intrusion"_s}}), 403);
                SB_COMPARE_CODE(post->error().code, ErrorCode::Forbidden);
                IT_HTTP_STATUS(read, rest->post(base + u"/read"_s, {{u"seq"_s, 1}}), 403);
                SB_COMPARE_CODE(read->error().code, ErrorCode::Forbidden);
            }
            // The conversations list does not show them either.
            IT_HTTP_STATUS(list, rest->get(u"/api/v1/conversations"_s), 200);
            QCOMPARE(list->json().value(u"conversations"_s).toArray().size(), 0);
        }

        // Nothing leaked: the refused sends stored nothing, no event reached the outsiders.
        QString error;
        for (qint64 cid : {pid, gid}) {
            const QList<QJsonObject> messages = history(bobC.get(), cid, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(messages.size(), 1);
        }
        IT_OK(more, annC->sendText(gid, u"after the intrusion attempts"_s));
        IT_OK(typing, annC->sendTyping(gid));
        auto leaked = [](const QJsonObject &f) {
            const QString t = f.value(u"type"_s).toString();
            return !f.contains(u"success"_s) && (t == u"new_message"_s || t == u"typing"_s || t == u"receipt"_s);
        };
        const qsizetype leak = eveLog.waitFor(leaked, kAbsenceMs);
        QVERIFY2(leak < 0, qPrintable(u"an outsider got "_s + compact(eveLog.frames().value(leak))));
        QVERIFY(
            agentLog.find([](const QJsonObject &f) { return f.value(u"type"_s).toString() == u"new_message"_s; }) < 0);

        // Participants may do all of it (the positive control), over both transports.
        auto bobRest = restFor(server, &bob);
        IT_OK(h, bobC->history(gid));
        IT_OK(r, bobC->markRead(gid, 1));
        IT_HTTP_STATUS(get, bobRest->get(u"/api/v1/conversations/%1"_s.arg(gid)), 200);
        IT_HTTP_STATUS(msgs, bobRest->get(u"/api/v1/conversations/%1/messages"_s.arg(gid)), 200);
        QCOMPARE(msgs->json().value(u"messages"_s).toArray().size(), 2);
        IT_HTTP_STATUS(post,
            bobRest->post(u"/api/v1/conversations/%1/messages"_s.arg(pid), {{u"content"_s, u"over http"_s}}), 200);
        IT_HTTP_STATUS(read, bobRest->post(u"/api/v1/conversations/%1/read"_s.arg(pid), {{u"seq"_s, 2}}), 200);
        // Unknown conversations are not_found, not forbidden.
        IT_FAILS(eveC->history(999999999), NotFound);
        auto eveRest = restFor(server, &eve);
        IT_HTTP_STATUS(unknown, eveRest->get(u"/api/v1/conversations/999999999"_s), 404);
    }
};

QTEST_GUILESS_MAIN(TestGroups)
#include "tst_groups.moc"
