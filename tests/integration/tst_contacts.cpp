#include <QSignalSpy>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Contacts (PROTOCOL.md sections 7, 9 and 13): add/list/remove over WebSocket and HTTP, the same
// list on both, one-directional, and presence following the contact list.
class TestContacts : public QObject
{
    Q_OBJECT

private:
    static QList<qint64> contactIds(const QJsonObject &data)
    {
        QList<qint64> ids;
        for (const QJsonValue &v : data.value(u"contacts"_s).toArray())
            ids.append(intOf(v.toObject(), u"user_id"_s));
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    static QList<qint64> sorted(QList<qint64> ids)
    {
        std::sort(ids.begin(), ids.end());
        return ids;
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void addListRemoveOverWebSocket()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(carol, server, "carol");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);

        IT_OK(empty, annC->request(u"contacts"_s));
        QVERIFY(empty->data().value(u"contacts"_s).isArray());
        QCOMPARE(empty->data().value(u"contacts"_s).toArray().size(), 0);

        IT_OK(addBob, annC->request(u"contact_add"_s, {{u"user_id"_s, double(bob.id)}}));
        const QJsonObject contact = addBob->data().value(u"contact"_s).toObject();
        QCOMPARE(intOf(contact, u"user_id"_s), bob.id);
        QCOMPARE(contact.value(u"display_name"_s).toString(), bob.displayName);
        QCOMPARE(contact.value(u"status"_s).toString(), u"online"_s);
        IT_OK(addCarol, annC->request(u"contact_add"_s, {{u"user_id"_s, double(carol.id)}}));
        QCOMPARE(addCarol->data().value(u"contact"_s).toObject().value(u"status"_s).toString(), u"offline"_s);
        // Idempotent.
        IT_OK(addAgain, annC->request(u"contact_add"_s, {{u"user_id"_s, double(bob.id)}}));

        IT_OK(list, annC->request(u"contacts"_s));
        QCOMPARE(contactIds(list->data()), sorted({bob.id, carol.id}));
        for (const QJsonValue &v : list->data().value(u"contacts"_s).toArray()) {
            const QJsonObject c = v.toObject();
            const bool isBob = intOf(c, u"user_id"_s) == bob.id;
            QCOMPARE(c.value(u"display_name"_s).toString(), isBob ? bob.displayName : carol.displayName);
            QCOMPARE(c.value(u"status"_s).toString(), isBob ? u"online"_s : u"offline"_s);
        }

        // One-directional: bob's list is still empty.
        IT_OK(bobList, bobC->request(u"contacts"_s));
        QCOMPARE(bobList->data().value(u"contacts"_s).toArray().size(), 0);

        // Refusals.
        IT_FAILS(annC->request(u"contact_add"_s, {{u"user_id"_s, double(ann.id)}}), ValidationFailed);
        IT_FAILS(annC->request(u"contact_add"_s, {{u"user_id"_s, 999999999.0}}), NotFound);
        IT_FAILS(annC->request(u"contact_add"_s, {{u"user_id"_s, QString::number(bob.id)}}), BadRequest);
        IT_FAILS(annC->request(u"contact_add"_s, {}), BadRequest);
        IT_FAILS(annC->request(u"contact_add"_s, {{u"user_id"_s, -1}}), BadRequest);
        IT_FAILS(bobC->request(u"contact_remove"_s, {{u"user_id"_s, double(ann.id)}}), NotFound);

        IT_OK(removed, annC->request(u"contact_remove"_s, {{u"user_id"_s, double(bob.id)}}));
        IT_OK(after, annC->request(u"contacts"_s));
        QCOMPARE(contactIds(after->data()), QList<qint64> {carol.id});
        IT_FAILS(annC->request(u"contact_remove"_s, {{u"user_id"_s, double(bob.id)}}), NotFound);
    }

    void httpAndWebSocketShareTheList()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(carol, server, "carol");
        IT_CONNECT(annC, server, ann);
        auto rest = restFor(server, &ann);

        IT_HTTP_STATUS(empty, rest->get(u"/api/v1/contacts"_s), 200);
        QCOMPARE(empty->json().value(u"contacts"_s).toArray().size(), 0);
        IT_HTTP_STATUS(added, rest->post(u"/api/v1/contacts"_s, {{u"user_id"_s, double(bob.id)}}), 200);
        QCOMPARE(intOf(added->json().value(u"contact"_s).toObject(), u"user_id"_s), bob.id);
        IT_OK(wsAdd, annC->request(u"contact_add"_s, {{u"user_id"_s, double(carol.id)}}));

        // Both transports see both additions.
        IT_HTTP_STATUS(httpList, rest->get(u"/api/v1/contacts"_s), 200);
        QCOMPARE(contactIds(httpList->json()), sorted({bob.id, carol.id}));
        IT_OK(wsList, annC->request(u"contacts"_s));
        QCOMPARE(contactIds(wsList->data()), sorted({bob.id, carol.id}));

        // Removal over HTTP, seen over WebSocket.
        IT_HTTP_STATUS(deleted, rest->del(u"/api/v1/contacts/%1"_s.arg(bob.id)), 200);
        IT_OK(wsAfter, annC->request(u"contacts"_s));
        QCOMPARE(contactIds(wsAfter->data()), QList<qint64> {carol.id});
        IT_HTTP_STATUS(again, rest->del(u"/api/v1/contacts/%1"_s.arg(bob.id)), 404);
        SB_COMPARE_CODE(again->error().code, ErrorCode::NotFound);

        // Refusals over HTTP.
        IT_HTTP_STATUS(self, rest->post(u"/api/v1/contacts"_s, {{u"user_id"_s, double(ann.id)}}), 400);
        SB_COMPARE_CODE(self->error().code, ErrorCode::ValidationFailed);
        IT_HTTP_STATUS(unknown, rest->post(u"/api/v1/contacts"_s, {{u"user_id"_s, 999999999.0}}), 404);
        IT_HTTP_STATUS(wrongType, rest->post(u"/api/v1/contacts"_s, {{u"user_id"_s, u"2"_s}}), 400);
        SB_COMPARE_CODE(wrongType->error().code, ErrorCode::BadRequest);
        auto anonymous = restFor(server);
        IT_HTTP_STATUS(noAuth, anonymous->get(u"/api/v1/contacts"_s), 401);
        IT_HTTP_STATUS(noAuthPost, anonymous->post(u"/api/v1/contacts"_s, {{u"user_id"_s, double(bob.id)}}), 401);

        // One-directional over HTTP as well.
        auto carolRest = restFor(server, &carol);
        IT_HTTP_STATUS(carolList, carolRest->get(u"/api/v1/contacts"_s), 200);
        QCOMPARE(carolList->json().value(u"contacts"_s).toArray().size(), 0);
    }

    void presenceFollowsTheContactList()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        FrameLog annLog(annC.get());
        FrameLog bobLog(bobC.get());

        // Not a contact, no shared conversation: nothing.
        IT_OK(s1, bobC->setStatus(u"away"_s));
        QVERIFY(annLog.staysAbsent(FrameLog::presenceOf(bob.id)));

        IT_OK(added, annC->request(u"contact_add"_s, {{u"user_id"_s, double(bob.id)}}));
        IT_OK(s2, bobC->setStatus(u"online"_s));
        QVERIFY(annLog.waitFor(FrameLog::presenceOf(bob.id, u"online"_s)) >= 0);
        // ann is not bob's contact: bob hears nothing about ann.
        IT_OK(s3, annC->setStatus(u"away"_s));
        QVERIFY(bobLog.staysAbsent(FrameLog::presenceOf(ann.id)));

        // After removal, nothing again.
        IT_OK(removed, annC->request(u"contact_remove"_s, {{u"user_id"_s, double(bob.id)}}));
        const qsizetype mark = annLog.size();
        IT_OK(s4, bobC->setStatus(u"away"_s));
        QVERIFY(annLog.staysAbsent(FrameLog::presenceOf(bob.id), kAbsenceMs, mark));
    }
};

QTEST_GUILESS_MAIN(TestContacts)
#include "tst_contacts.moc"
