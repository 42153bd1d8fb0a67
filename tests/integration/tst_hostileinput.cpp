#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>
#include <QWebSocket>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
// Hostile but legal text: it must come back byte for byte.
QStringList hostileTexts()
{
    return {
        u"nul\u0000inside"_s,
        u"\u0000"_s,
        u"'; DROP TABLE users; --"_s,
        u"Robert'); DROP TABLE messages;--"_s,
        u"\" OR 1=1 -- \\\" \\\\ \\n"_s,
        u"%_%\\%\\_"_s,
        u"👩‍👩‍👧‍👦 family, 🇩🇪 flag, 𝄞 clef"_s,
        u"שלום \u202Eevil\u202C عربى"_s,
        u"\u200B\u200D\uFEFF\u2028\u2029"_s,
        u"tab\tnewline\ncr\r\u0001\u001f\u007f"_s,
        u"<script>alert(1)</script>&amp;"_s,
        u"{\"type\":\"ping\"}"_s,
        u"\uFFFD replacement, \U0010FFFD last plane"_s,
    };
}
} // namespace

// PROTOCOL.md sections 1, 2 and 13 under hostile input, on both backends: frames that are not
// JSON objects, binary frames, deep nesting, wrong field types, the frame size limit (1009 above
// max_frame_bytes, accepted at it), NUL / emoji / right-to-left / SQL metacharacters
// round-tripping byte-exactly in content, client_msg_id and display names (or refused with
// validation_failed where control characters are not allowed) - and after each, the connection
// still answers a ping and the server is alive.
class TestHostileInput : public QObject
{
    Q_OBJECT

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void framesThatAreNotRequests()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_CONNECT(connection, server, ann);
        FrameLog frames(connection.get());

        const QString deepArray = u"["_s.repeated(10000);
        const QString deepObject = u"{\"a\":"_s.repeated(10000);
        const QStringList notObjects {
            u"hello"_s,
            u""_s,
            u" "_s,
            u"{"_s,
            u"}"_s,
            u"[1,2,3]"_s,
            u"[]"_s,
            u"[{\"type\":\"ping\",\"id\":1}]"_s,
            u"42"_s,
            u"-1.5e300"_s,
            u"\"a string\""_s,
            u"null"_s,
            u"true"_s,
            u"{\"type\":\"ping\""_s,
            u"{'type':'ping'}"_s,
            u"{\"type\":\"ping\",}"_s,
            u"{\"type\":\"ping\"} trailing"_s,
            u"{\"type\":\"ping\"}{\"type\":\"ping\"}"_s,
            u"{\"type\":\"ping\",\"id\":NaN}"_s,
            u"{\"type\":\"ping\",\"id\":0x10}"_s,
            deepArray,
            deepArray + u"]"_s.repeated(10000),
            deepObject,
            u"{\"type\":\"ping\",\"id\":\"deep\",\"x\":"_s + deepArray + u"]"_s.repeated(10000) + u"}"_s,
        };
        for (const QString &text : notObjects) {
            const QString shown = text.left(40);
            const qsizetype before = frames.size();
            connection->sendRawText(text);
            IT_OK(pong, connection->ping());
            // Exactly one answer to the junk, before the pong (replies keep request order).
            QList<QJsonObject> answers;
            for (qsizetype i = before; i < frames.size(); ++i) {
                const QJsonObject &f = frames.frames().at(i);
                if (f.value(u"id"_s).toInteger(-1) != pong->id())
                    answers.append(f);
            }
            QVERIFY2(answers.size() == 1, qPrintable(shown + u": %1 answers"_s.arg(answers.size())));
            const QJsonObject answer = answers.first();
            if (answer.value(u"id"_s) == QJsonValue(u"deep"_s) && answer.value(u"type"_s) == QJsonValue(u"pong"_s))
                continue; // deep but valid: answering it is fine as well
            QCOMPARE(answer.value(u"type"_s).toString(), u"error"_s);
            QCOMPARE(answer.value(u"success"_s), QJsonValue(false));
            QVERIFY2(errorCodeOf(answer) == u"bad_request"_s, qPrintable(shown + u" -> "_s + compact(answer)));
        }

        // Binary frames: {"type":"error", bad_request}, whatever they contain.
        for (const QByteArray &binary :
            {QByteArray("{\"type\":\"ping\",\"id\":1}"), QByteArray(1000, '\0'), QByteArray()}) {
            const qsizetype before = frames.size();
            QVERIFY(connection->sendRawBinary(binary));
            const qsizetype i = frames.waitFor(
                [](const QJsonObject &f) { return f.value(u"type"_s) == QJsonValue(u"error"_s); }, kWaitMs, before);
            QVERIFY(i >= 0);
            QCOMPARE(errorCodeOf(frames.frames().at(i)), u"bad_request"_s);
            QVERIFY(!frames.frames().at(i).contains(u"id"_s));
            IT_OK(pong, connection->ping());
        }
        // WebSocket-level pings are fine too.
        connection->sendWebSocketPing("hello");
        IT_OK(pong, connection->ping());
        QVERIFY(server.isRunning());
        QCOMPARE(connection->state(), ClientConnection::State::Authenticated);
    }

    void frameSizeLimit()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {}); // default max_frame_bytes 65536
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(connection, server, ann);
        IT_CONNECT(other, server, bob);
        FrameLog frames(connection.get());

        // A ping padded to exactly 65536 bytes of UTF-8 (multi-byte characters included).
        auto padded = [](qsizetype bytes, const QString &id) {
            const QString head = u"{\"type\":\"ping\",\"id\":\"%1\",\"pad\":\"é"_s.arg(id);
            const QString tail = u"\"}"_s;
            const qsizetype used = (head + tail).toUtf8().size();
            return head + QString(bytes - used, u'x') + tail;
        };
        const QString atLimit = padded(65536, u"at-limit"_s);
        QCOMPARE(atLimit.toUtf8().size(), 65536);
        QVERIFY(connection->sendRawText(atLimit));
        QVERIFY2(
            frames.waitFor([](const QJsonObject &f) { return f.value(u"id"_s) == QJsonValue(u"at-limit"_s); }) >= 0,
            qPrintable(
                u"a frame of exactly max_frame_bytes was not answered; close %1"_s.arg(connection->closeCode())));
        // The connection goes on as usual.
        IT_OK(big, connection->sendTextTo(bob.id, QString(4900, u'z')));

        // One byte more: closed with 1009.
        QSignalSpy closed(connection.get(), &ClientConnection::disconnected);
        QVERIFY(connection->sendRawText(padded(65537, u"over"_s)));
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, kWaitMs);
        QCOMPARE(connection->closeCode(), 1009);
        QVERIFY(frames.find([](const QJsonObject &f) { return f.value(u"id"_s) == QJsonValue(u"over"_s); }) < 0);

        // The limit is on the message, however it is fragmented: small fragments adding up to
        // less than the limit are fine, adding up to more close with 1009.
        {
            QWebSocket raw;
            raw.setOutgoingFrameSize(1000);
            QStringList texts;
            connect(&raw, &QWebSocket::textMessageReceived, this, [&texts](const QString &t) { texts.append(t); });
            QSignalSpy rawConnected(&raw, &QWebSocket::connected);
            QSignalSpy rawClosed(&raw, &QWebSocket::disconnected);
            raw.open(server.wsUrl());
            QVERIFY(rawConnected.wait(kWaitMs));
            raw.sendTextMessage(padded(60000, u"fragmented"_s));
            QTRY_VERIFY_WITH_TIMEOUT(!texts.isEmpty(), kWaitMs);
            QVERIFY2(texts.first().contains(u"\"fragmented\""_s) && texts.first().contains(u"pong"_s),
                qPrintable(texts.first().left(200)));
            raw.sendTextMessage(padded(70000, u"fragmented-over"_s));
            QTRY_COMPARE_WITH_TIMEOUT(rawClosed.size(), 1, kWaitMs);
            QCOMPARE(int(raw.closeCode()), 1009);
            QCOMPARE(texts.size(), 1);
        }

        // A huge message send (well over the limit) closes as well; the server lives on.
        IT_CONNECT(second, server, ann);
        QSignalSpy secondClosed(second.get(), &ClientConnection::disconnected);
        PendingRequest *huge = second->sendTextTo(bob.id, QString(200000, u'h'));
        QVERIFY(waitForFinished(huge));
        QVERIFY(!huge->isSuccess());
        QTRY_COMPARE_WITH_TIMEOUT(secondClosed.size(), 1, kWaitMs);
        QCOMPARE(second->closeCode(), 1009);
        QVERIFY(server.isRunning());
        IT_OK(pong, other->ping());
        IT_OK(history, other->history(intOf(big->data(), u"conversation_id"_s)));
        QCOMPARE(history->data().value(u"messages"_s).toArray().size(), 1);
    }

    void hostileTextRoundTrips()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(b, server, bob);
        QSignalSpy live(b.get(), &ClientConnection::messageReceived);

        const QStringList texts = hostileTexts();
        QList<QJsonObject> acks;
        qint64 cid = 0;
        for (int i = 0; i < texts.size(); ++i) {
            const QString &text = texts.at(i);
            // client_msg_id: the same hostility minus control characters (refused there).
            QString cmid;
            for (QChar ch : text) {
                if (ch.unicode() >= 0x20 && ch.unicode() != 0x7f)
                    cmid.append(ch);
            }
            cmid = u"%1:"_s.arg(i) + cmid.left(100);
            IT_OK(sent, a->sendTextTo(bob.id, text, cmid));
            QVERIFY2(sent->data().value(u"duplicate"_s) == QJsonValue(false), qPrintable(cmid));
            cid = intOf(sent->data(), u"conversation_id"_s);
            QTRY_COMPARE_WITH_TIMEOUT(live.size(), i + 1, kWaitMs);
            const auto m = live.at(i).at(0).value<ChatMessage>();
            QVERIFY2(m.content == text,
                qPrintable(
                    u"live content %1 differs: %2"_s.arg(i).arg(QString::fromLatin1(m.content.toUtf8().toHex()))));
            QCOMPARE(m.clientMsgId, cmid);
            IT_OK(pong, a->ping());
        }
        IT_OK(history, b->history(cid, 0, 0, 100));
        const QJsonArray stored = history->data().value(u"messages"_s).toArray();
        QCOMPARE(stored.size(), texts.size());
        for (int i = 0; i < texts.size(); ++i) {
            const QString content = stored.at(i).toObject().value(u"content"_s).toString();
            QVERIFY2(content == texts.at(i),
                qPrintable(u"stored content %1: %2 != %3"_s.arg(i).arg(
                    QString::fromLatin1(content.toUtf8().toHex()), QString::fromLatin1(texts.at(i).toUtf8().toHex()))));
        }
        // The same client_msg_ids again are duplicates (the stored key matches byte for byte).
        for (int i = 0; i < texts.size(); ++i) {
            IT_OK(again, a->sendText(cid, u"again"_s, stored.at(i).toObject().value(u"client_msg_id"_s).toString()));
            const QString cmid = stored.at(i).toObject().value(u"client_msg_id"_s).toString();
            QVERIFY2(again->data().value(u"duplicate"_s) == QJsonValue(true),
                qPrintable(u"client_msg_id %1 (%2) not recognised: %3"_s.arg(i).arg(
                    QString::fromLatin1(cmid.toUtf8().toHex()), compact(again->data()))));
            QCOMPARE(intOf(again->data(), u"seq"_s), qint64(i + 1));
        }

        // Control characters in client_msg_id: validation_failed, nothing stored.
        for (const QString &bad : {u"a\u0000b"_s, u"line\nbreak"_s, u"tab\t"_s, u"\u001b[31m"_s, u"del\u007f"_s}) {
            PendingRequest *r = a->sendText(cid, u"x"_s, bad);
            QVERIFY(waitForFinished(r));
            QVERIFY2(!r->isSuccess(), qPrintable(QString::fromLatin1(bad.toUtf8().toHex())));
            SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
            IT_OK(pong, a->ping());
        }
        IT_OK(after, b->history(cid, 0, 0, 100));
        QCOMPARE(after->data().value(u"messages"_s).toArray().size(), texts.size());

        // The users table survived the SQL in the texts: logins and registrations still work.
        IT_USER(carol, server, "carol");
        IT_CONNECT(c, server, carol);
        QVERIFY(server.isRunning());
    }

    // U+FFFE and U+FFFF are Unicode noncharacters but legal in JSON strings and in UTF-8; the
    // contract stores and returns what the client sent. (SQLite maps them to U+FFFD when it
    // reads UTF-8 text as UTF-16; fixed in 10dee52 with a UTF-16 database encoding.)
    void noncharactersRoundTrip()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        const QString odd = u"nc \uFFFE\uFFFF \U0010FFFF end"_s;
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(a, server, ann);
        IT_CONNECT(b, server, bob);
        QSignalSpy live(b.get(), &ClientConnection::messageReceived);
        IT_OK(sent, a->sendTextTo(bob.id, odd, odd));
        QTRY_COMPARE_WITH_TIMEOUT(live.size(), 1, kWaitMs);
        QCOMPARE(live.first().at(0).value<ChatMessage>().content, odd);
        QCOMPARE(live.first().at(0).value<ChatMessage>().clientMsgId, odd);
        IT_OK(history, b->history(intOf(sent->data(), u"conversation_id"_s)));
        const QJsonObject stored = history->data().value(u"messages"_s).toArray().first().toObject();
        QCOMPARE(stored.value(u"content"_s).toString(), odd);
        auto hex = [](const QString &text) { return QString::fromLatin1(text.toUtf8().toHex(' ')); };
        QStringList problems;
        if (stored.value(u"client_msg_id"_s).toString() != odd)
            problems.append(u"history client_msg_id %1"_s.arg(hex(stored.value(u"client_msg_id"_s).toString())));
        IT_OK(again, a->sendTextTo(bob.id, odd, odd));
        if (again->data().value(u"duplicate"_s) != QJsonValue(true))
            problems.append(u"resending the client_msg_id is not a duplicate"_s);

        RestClient rest(server.httpUrl());
        IT_HTTP(guest, rest.guest(odd));
        QCOMPARE(guest->status(), 200);
        if (guest->json().value(u"user"_s).toObject().value(u"display_name"_s).toString() != odd)
            problems.append(u"guest reply display_name differs"_s);
        rest.setToken(guest->json().value(u"token"_s).toString());
        IT_HTTP(me, rest.me());
        const QString name = me->json().value(u"user"_s).toObject().value(u"display_name"_s).toString();
        if (name != odd)
            problems.append(u"/me display_name %1"_s.arg(hex(name)));
        QVERIFY2(problems.isEmpty(), qPrintable(u"sent %1; "_s.arg(hex(odd)) + problems.join(u"; "_s)));
    }

    void hostileDisplayNames()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        RestClient rest(server.httpUrl());
        rest.setTimeout(30000);
        const QStringList names {
            u"'; DROP TABLE users; --"_s,
            u"Robert'); DROP TABLE messages;--"_s,
            u"👩‍👩‍👧‍👦 𝄞"_s,
            u"100% _real_ \\ \" name"_s,
            u"<b>bold</b>"_s,
        };
        for (const QString &name : names) {
            // As a guest (WebSocket auth reply) ...
            IT_HTTP(guest, rest.guest(name));
            QVERIFY2(guest->status() == 200, qPrintable(describeReply(guest)));
            const QJsonObject user = guest->json().value(u"user"_s).toObject();
            QCOMPARE(user.value(u"display_name"_s).toString(), name);
            TestUser g;
            g.id = intOf(user, u"id"_s);
            g.username = user.value(u"username"_s).toString();
            g.token = guest->json().value(u"token"_s).toString();
            IT_CONNECT(connection, server, g);
            QCOMPARE(connection->sessionData().value(u"user"_s).toObject().value(u"display_name"_s).toString(), name);
            QCOMPARE(connection->user().displayName, name);
        }
        // Bidi overrides would let one name pass for another (issue 12, item 9): refused.
        IT_HTTP(bidi, rest.guest(u"שלום \u202Eevil\u202C"_s));
        QCOMPARE(bidi->status(), 400);
        QCOMPARE(bidi->json().value(u"error"_s).toObject().value(u"code"_s).toString(), u"validation_failed"_s);
        // ... and registered: register reply, /me, user search.
        const QString name = names.first();
        const QString username = uniqueUsername(u"sql"_s);
        IT_HTTP(registered, rest.registerUser(username, u"long enough"_s, name));
        QCOMPARE(registered->status(), 201);
        QCOMPARE(registered->json().value(u"user"_s).toObject().value(u"display_name"_s).toString(), name);
        IT_HTTP(login, rest.login(username, u"long enough"_s));
        QCOMPARE(login->status(), 200);
        rest.setToken(login->json().value(u"token"_s).toString());
        IT_HTTP(me, rest.me());
        QCOMPARE(me->json().value(u"user"_s).toObject().value(u"display_name"_s).toString(), name);
        IT_HTTP(search, rest.get(u"/api/v1/users"_s, QUrlQuery {{u"query"_s, u"DROP TABLE"_s}}));
        QCOMPARE(search->status(), 200);
        const QJsonArray found = search->json().value(u"users"_s).toArray();
        QCOMPARE(found.size(), 1);
        QCOMPARE(found.first().toObject().value(u"display_name"_s).toString(), name);

        // Control characters are refused, on both doors.
        for (const QString &bad : {u"nul\u0000"_s, u"new\nline"_s, u"tab\there"_s, u"\u001b[2J"_s, u"del\u007f"_s}) {
            IT_HTTP(g, rest.guest(bad));
            QVERIFY2(g->status() == 400, qPrintable(describeReply(g)));
            SB_COMPARE_CODE(g->error().code, ErrorCode::ValidationFailed);
            IT_HTTP(r, rest.registerUser(uniqueUsername(u"ctl"_s), u"long enough"_s, bad));
            QVERIFY2(r->status() == 400, qPrintable(describeReply(r)));
            SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        }
        // SQL in a username is simply not a valid username.
        IT_HTTP(sqlName, rest.registerUser(u"a'--"_s, u"long enough"_s, u"x"_s));
        QCOMPARE(sqlName->status(), 400);
        SB_COMPARE_CODE(sqlName->error().code, ErrorCode::ValidationFailed);
        IT_HTTP(sqlLogin, rest.login(u"' OR '1'='1"_s, u"' OR '1'='1"_s));
        QCOMPARE(sqlLogin->status(), 401);
        QVERIFY(server.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestHostileInput)
#include "tst_hostileinput.moc"
