#include <QJsonArray>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
struct PageCase
{
    const char *name;
    qint64 before; // -1 = absent
    qint64 after; // -1 = absent
    qint64 limit; // -1 = absent
    qint64 first; // 0 = empty page
    qint64 last;
    bool hasMore;
};
} // namespace

// PROTOCOL.md section 5 `history` with the paging rules of section 13, on both backends: no
// cursor = newest `limit`, before_seq = newest below it, after_seq = oldest above it, both =
// the window between, pages ascending, limit default 50, capped at 100, limit 0 refused,
// has_more exact at the edges, and the message objects complete.
class TestHistory : public QObject
{
    Q_OBJECT

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void paging()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(eve, server, "Eve");
        IT_CONNECT(annConnection, server, ann);
        IT_CONNECT(bobConnection, server, bob);
        IT_CONNECT(eveConnection, server, eve);

        constexpr int kCount = 120;
        IT_OK(first, annConnection->sendTextTo(bob.id, u"msg 0"_s, u"cm-0"_s));
        const qint64 cid = intOf(first->data(), u"conversation_id"_s);
        QList<PendingRequest *> sends {first};
        for (int i = 1; i < kCount; ++i) {
            // Alternate senders; one connection each, so seq follows request order per sender.
            ClientConnection *from = i % 3 == 0 ? bobConnection.get() : annConnection.get();
            sends.append(from->sendText(cid, u"msg %1"_s.arg(i), u"cm-%1"_s.arg(i)));
        }
        QVERIFY(waitAll(sends));
        QHash<qint64, QJsonObject> ackBySeq;
        for (PendingRequest *r : std::as_const(sends)) {
            QVERIFY2(r->isSuccess(), qPrintable(describeRequest(r)));
            ackBySeq.insert(intOf(r->data(), u"seq"_s), r->data());
        }
        QCOMPARE(ackBySeq.size(), kCount);
        QCOMPARE(ackBySeq.keys().size(), kCount);

        const QList<PageCase> cases {
            {"no cursor: newest 50", -1, -1, -1, 71, 120, true},
            {"no cursor, limit 10", -1, -1, 10, 111, 120, true},
            {"limit 1", -1, -1, 1, 120, 120, true},
            {"limit 100", -1, -1, 100, 21, 120, true},
            {"limit 120 capped at 100", -1, -1, 120, 21, 120, true},
            {"limit 100000 capped at 100", -1, -1, 100000, 21, 120, true},
            {"before 50", 50, -1, 10, 40, 49, true},
            {"before 11 leaves exactly 10", 11, -1, 10, 1, 10, false},
            {"before 5", 5, -1, 10, 1, 4, false},
            {"before 1: nothing", 1, -1, -1, 0, 0, false},
            {"before beyond the end", 500, -1, 10, 111, 120, true},
            {"before 0", 0, -1, -1, 0, 0, false},
            {"after 100", -1, 100, 10, 101, 110, true},
            {"after 110 leaves exactly 10", -1, 110, 10, 111, 120, false},
            {"after 115, default limit", -1, 115, -1, 116, 120, false},
            {"after 120: nothing", -1, 120, -1, 0, 0, false},
            {"after 0: the oldest", -1, 0, 5, 1, 5, true},
            {"after 0, default limit", -1, 0, -1, 1, 50, true},
            {"after 10 before 20", 20, 10, -1, 11, 19, false},
            {"after 10 before 20, limit 5", 20, 10, 5, 11, 15, true},
            {"after 10 before 11: nothing", 11, 10, -1, 0, 0, false},
            {"after 10 before 10: nothing", 10, 10, -1, 0, 0, false},
        };
        for (const PageCase &c : cases) {
            QJsonObject fields {{u"conversation_id"_s, double(cid)}};
            if (c.before >= 0)
                fields.insert(u"before_seq"_s, double(c.before));
            if (c.after >= 0)
                fields.insert(u"after_seq"_s, double(c.after));
            if (c.limit >= 0)
                fields.insert(u"limit"_s, double(c.limit));
            ClientConnection *reader = c.before % 2 == 0 ? annConnection.get() : bobConnection.get();
            PendingRequest *r = reader->request(u"history"_s, fields);
            QVERIFY2(waitForFinished(r) && r->isSuccess(),
                qPrintable(QLatin1StringView(c.name) + u": "_s + describeRequest(r)));
            const QJsonArray messages = r->data().value(u"messages"_s).toArray();
            const QString context = QLatin1StringView(c.name)
                + u" -> %1 messages, has_more %2"_s.arg(messages.size()).arg(r->data().value(u"has_more"_s).toBool());
            QVERIFY2(r->data().value(u"has_more"_s).isBool(), qPrintable(context));
            QVERIFY2(r->data().value(u"has_more"_s).toBool() == c.hasMore, qPrintable(context));
            const qint64 expectedCount = c.first == 0 ? 0 : c.last - c.first + 1;
            QVERIFY2(messages.size() == expectedCount, qPrintable(context));
            for (qsizetype i = 0; i < messages.size(); ++i) {
                const QJsonObject m = messages.at(i).toObject();
                const qint64 seq = c.first + i; // ascending, no gaps
                QVERIFY2(intOf(m, u"seq"_s) == seq, qPrintable(context + u" at %1: "_s.arg(i) + compact(m)));
                const QJsonObject ack = ackBySeq.value(seq);
                QCOMPARE(intOf(m, u"id"_s), intOf(ack, u"message_id"_s));
                QCOMPARE(intOf(m, u"created_at"_s), intOf(ack, u"timestamp"_s));
                QCOMPARE(intOf(m, u"conversation_id"_s), cid);
                QCOMPARE(m.value(u"type"_s).toString(), u"text"_s);
                QCOMPARE(m.value(u"attachment"_s), QJsonValue(QJsonValue::Null));
                // The content and client_msg_id belong together, and to the right sender.
                const QString content = m.value(u"content"_s).toString();
                QVERIFY(content.startsWith(u"msg "_s));
                const int n = content.mid(4).toInt();
                QCOMPARE(m.value(u"client_msg_id"_s).toString(), u"cm-%1"_s.arg(n));
                QCOMPARE(intOf(m, u"sender_id"_s), n % 3 == 0 && n > 0 ? bob.id : ann.id);
            }
            r->deleteLater();
        }

        // Limits and cursors of the wrong kind.
        auto history = [&](const QJsonObject &extra) {
            QJsonObject fields {{u"conversation_id"_s, double(cid)}};
            for (auto it = extra.begin(); it != extra.end(); ++it)
                fields.insert(it.key(), it.value());
            return annConnection->request(u"history"_s, fields);
        };
        IT_FAILS(history({{u"limit"_s, 0}}), ValidationFailed);
        IT_FAILS(history({{u"limit"_s, -1}}), BadRequest);
        IT_FAILS(history({{u"limit"_s, 1.5}}), BadRequest);
        IT_FAILS(history({{u"limit"_s, u"10"_s}}), BadRequest);
        IT_FAILS(history({{u"before_seq"_s, -1}}), BadRequest);
        IT_FAILS(history({{u"after_seq"_s, u"5"_s}}), BadRequest);
        IT_FAILS(history({{u"after_seq"_s, true}}), BadRequest);
        // Only participants read.
        IT_FAILS(eveConnection->history(cid), Forbidden);
        IT_FAILS(eveConnection->request(u"history"_s, {{u"conversation_id"_s, double(cid)}, {u"limit"_s, u"1"_s}}),
            BadRequest); // types before the lookup
        IT_FAILS(eveConnection->history(cid + 1000), NotFound);

        // Paging backwards from the newest with before_seq walks the whole conversation.
        QList<qint64> seqs;
        qint64 before = 0;
        for (int page = 0; page < 10; ++page) {
            QJsonObject fields {{u"conversation_id"_s, double(cid)}, {u"limit"_s, 35}};
            if (before > 0)
                fields.insert(u"before_seq"_s, double(before));
            IT_OK(r, bobConnection->request(u"history"_s, fields));
            const QJsonArray messages = r->data().value(u"messages"_s).toArray();
            QList<qint64> pageSeqs;
            for (const QJsonValue &m : messages)
                pageSeqs.append(intOf(m.toObject(), u"seq"_s));
            seqs = pageSeqs + seqs;
            if (!r->data().value(u"has_more"_s).toBool())
                break;
            before = pageSeqs.first();
        }
        QCOMPARE(seqs.size(), kCount);
        for (int i = 0; i < kCount; ++i)
            QCOMPARE(seqs.at(i), qint64(i + 1));
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
