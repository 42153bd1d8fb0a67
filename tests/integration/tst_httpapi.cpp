#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

#include "tests/support/integrationtest.h"
#include "tests/support/sqlprobe.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

namespace {
// A 4-letter tag that keeps this test's users apart in searches.
QString randomTag()
{
    QString tag;
    for (int i = 0; i < 4; ++i)
        tag.append(QChar(u'a' + QRandomGenerator::global()->bounded(26)));
    return tag;
}

bool isErrorBody(const RestReply *reply, const QString &code)
{
    const QJsonObject error = reply->json().value(u"error"_s).toObject();
    return error.value(u"code"_s).toString() == code && error.value(u"message"_s).isString();
}
} // namespace

// The HTTP API of PROTOCOL.md section 9 for the features of sections 3-5 (with the HTTP rules of
// section 13), on both backends: /me, user search (literal, case-insensitive, <= 20, no password
// material), conversations list/get, messages get (paging) and post (same validation as the
// WebSocket, delivered live), read, /healthz, status codes and error bodies, malformed path ids
// (400/404, never 500), 401 without or with a bad token.
class TestHttpApi : public QObject
{
    Q_OBJECT

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void meAndAuthorization()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        IT_USER(ann, server, "ann");
        RestClient rest(server.httpUrl());

        rest.setToken(ann.token);
        IT_HTTP(me, rest.me());
        QCOMPARE(me->status(), 200);
        QVERIFY2(me->contentType().startsWith("application/json"), me->contentType().constData());
        const QJsonObject user = me->json().value(u"user"_s).toObject();
        QCOMPARE(intOf(user, u"id"_s), ann.id);
        QCOMPARE(user.value(u"username"_s).toString(), ann.username);
        QCOMPARE(user.value(u"role"_s).toString(), u"user"_s);
        QVERIFY(!me->body().contains("password"));

        const QStringList paths {u"/api/v1/me"_s, u"/api/v1/users?query=a"_s, u"/api/v1/conversations"_s,
            u"/api/v1/conversations/1"_s, u"/api/v1/conversations/1/messages"_s};
        // No Authorization header: 401 not_authenticated.
        rest.setToken(QString());
        for (const QString &path : paths) {
            IT_HTTP(r, rest.get(path));
            QVERIFY2(r->status() == 401, qPrintable(describeReply(r)));
            QVERIFY2(isErrorBody(r, u"not_authenticated"_s), qPrintable(describeReply(r)));
        }
        for (const QString &path : {u"/api/v1/conversations/1/messages"_s, u"/api/v1/conversations/1/read"_s}) {
            IT_HTTP(r, rest.post(path, {{u"content"_s, u"x"_s}, {u"seq"_s, 1}}));
            QVERIFY2(r->status() == 401, qPrintable(describeReply(r)));
        }
        // A bad token, or not a Bearer one: 401 auth_failed.
        for (const QString &token : {u"garbage"_s, ann.token + u"x"_s, ann.token.left(ann.token.size() - 3)}) {
            rest.setToken(token);
            for (const QString &path : paths) {
                IT_HTTP(r, rest.get(path));
                QVERIFY2(r->status() == 401, qPrintable(describeReply(r)));
                QVERIFY2(isErrorBody(r, u"auth_failed"_s), qPrintable(describeReply(r)));
            }
        }
        rest.setToken(QString());
        QNetworkRequest basic(rest.urlFor(u"/api/v1/me"_s));
        basic.setRawHeader("Authorization", "Basic " + QByteArray("ann:pw").toBase64());
        QNetworkReply *raw = rest.networkAccessManager()->get(basic);
        QSignalSpy rawDone(raw, &QNetworkReply::finished);
        QVERIFY(rawDone.wait(kWaitMs));
        QCOMPARE(raw->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 401);
        raw->deleteLater();

        // /healthz needs no token.
        IT_HTTP(health, rest.get(u"/healthz"_s));
        QCOMPARE(health->status(), 200);
        // Unknown paths: 404 with an error body.
        IT_HTTP(unknown, rest.get(u"/api/v1/nothing-here"_s));
        QCOMPARE(unknown->status(), 404);
        QVERIFY(isErrorBody(unknown, u"not_found"_s));
    }

    void userSearchIsLiteral()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        RestClient rest(server.httpUrl());
        rest.setTimeout(60000);
        const QString tag = randomTag();
        // username, display name
        const QList<QPair<QString, QString>> accounts {
            {tag + u"ab_cd"_s, u"Underscore"_s},
            {tag + u"abxcd"_s, u"Plain"_s},
            {tag + u"pct"_s, tag + u" 100% sure"_s},
            {tag + u"case"_s, tag.toUpper() + u" MiXeD Case"_s},
        };
        QList<RestReply *> registrations;
        for (const auto &[name, display] : accounts)
            registrations.append(rest.registerUser(name, u"long enough"_s, display));
        for (RestReply *r : std::as_const(registrations)) {
            QVERIFY(waitForFinished(r, 60000));
            QVERIFY2(r->status() == 201, qPrintable(describeReply(r)));
        }
        // 22 more matches for the "at most 20" rule, written straight into the users table
        // (registering them would cost 22 Argon2id hashes).
        for (int i = 0; i < 22; ++i) {
            QString error;
            sqlRows(db.url(),
                u"INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, 'user', NULL, 0)"_s,
                {u"%1many%2"_s.arg(tag).arg(i, 2, 10, QChar(u'0')), u"Many"_s}, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
        }
        // Guests may search (and are not found themselves).
        IT_GUEST(searcher, server, "Searcher");
        rest.setToken(searcher.token);

        auto search = [&](const QString &query, QStringList *usernames) {
            RestReply *r = rest.get(
                u"/api/v1/users"_s, QUrlQuery {{u"query"_s, QString::fromLatin1(QUrl::toPercentEncoding(query))}});
            if (!waitForFinished(r) || r->status() != 200)
                return r;
            usernames->clear();
            for (const QJsonValue &v : r->json().value(u"users"_s).toArray())
                usernames->append(v.toObject().value(u"username"_s).toString());
            usernames->sort();
            return r;
        };
        QStringList found;
        RestReply *r = search(tag + u"ab_cd"_s, &found);
        QVERIFY2(r->status() == 200, qPrintable(describeReply(r)));
        QCOMPARE(found, QStringList {tag + u"ab_cd"_s}); // '_' is not a wildcard
        r = search(u"b_c"_s, &found);
        QCOMPARE(found, QStringList {tag + u"ab_cd"_s});
        r = search(u"%"_s, &found);
        QCOMPARE(found, QStringList {tag + u"pct"_s}); // '%' neither
        r = search(u"0% s"_s, &found);
        QCOMPARE(found, QStringList {tag + u"pct"_s});
        r = search(tag.toUpper() + u"AB_CD"_s, &found);
        QCOMPARE(found, QStringList {tag + u"ab_cd"_s}); // case-insensitive
        r = search(u"mixed CASE"_s, &found);
        QCOMPARE(found, QStringList {tag + u"case"_s}); // display names too
        r = search(tag + u"many"_s, &found);
        QCOMPARE(found.size(), 20); // at most 20
        r = search(u"zzzz-no-such-user"_s, &found);
        QCOMPARE(r->status(), 200);
        QVERIFY(found.isEmpty());
        // (quotes and backslashes written as \x escapes: moc's tokenizer trips over them here)
        for (const QString &odd : {u"\x27"_s, u"\x5c"_s, u"\x5c%"_s,
                 u"\x27 OR \x27"
                 "1\x27=\x27"
                 "1"_s,
                 u"[a-z]*"_s}) {
            r = search(odd, &found);
            QVERIFY2(r->status() == 200, qPrintable(odd + u": "_s + describeReply(r)));
            QVERIFY2(found.isEmpty(), qPrintable(odd + u" found "_s + found.join(u", "_s)));
        }

        // No password material in any user object.
        r = search(tag, &found);
        QCOMPARE(r->status(), 200);
        QVERIFY(found.size() >= 5);
        QVERIFY(!r->body().contains("password") && !r->body().contains("argon") && !r->body().contains("hash"));
        for (const QJsonValue &v : r->json().value(u"users"_s).toArray()) {
            for (const QString &key : v.toObject().keys())
                QVERIFY2((QStringList {u"id"_s, u"username"_s, u"display_name"_s, u"role"_s}.contains(key)),
                    qPrintable(key));
        }
    }

    // "Case-insensitive" and "literal" hold for all of Unicode, not just ASCII: a display name
    // with a non-ASCII capital must be found by its own spelling and by either case.
    void userSearchIsCaseInsensitiveBeyondAscii()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        RestClient rest(server.httpUrl());
        rest.setTimeout(30000);
        const QString username = uniqueUsername(u"emile"_s);
        IT_HTTP(registered, rest.registerUser(username, u"long enough"_s, u"Émile Zoë"_s));
        QCOMPARE(registered->status(), 201);
        IT_GUEST(searcher, server, "Searcher");
        rest.setToken(searcher.token);
        QStringList notFound;
        for (const QString &query :
            {u"Émile Zoë"_s, u"Émile"_s, u"émile"_s, u"ÉMILE"_s, u"zoë"_s, u"ZOË"_s, u"mile"_s}) {
            IT_HTTP(r,
                rest.get(
                    u"/api/v1/users"_s, QUrlQuery {{u"query"_s, QString::fromLatin1(QUrl::toPercentEncoding(query))}}));
            QCOMPARE(r->status(), 200);
            QStringList usernames;
            for (const QJsonValue &v : r->json().value(u"users"_s).toArray())
                usernames.append(v.toObject().value(u"username"_s).toString());
            if (usernames != QStringList {username})
                notFound.append(query);
        }
        QVERIFY2(
            notFound.isEmpty(), qPrintable(u"display name \"Émile Zoë\" not found by: "_s + notFound.join(u", "_s)));
    }

    void conversationsMessagesAndRead()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, noRateLimit());
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(eve, server, "Eve");
        IT_CONNECT(annWs, server, ann);
        IT_CONNECT(bobWs, server, bob);
        QSignalSpy bobLive(bobWs.get(), &ClientConnection::messageReceived);
        IT_OK(first, annWs->sendTextTo(bob.id, u"over the websocket"_s));
        QTRY_COMPARE_WITH_TIMEOUT(bobLive.size(), 1, kWaitMs);
        bobLive.clear();
        const qint64 cid = intOf(first->data(), u"conversation_id"_s);
        const QString base = u"/api/v1/conversations/%1"_s.arg(cid);
        RestClient rest(server.httpUrl());
        rest.setToken(ann.token);
        RestClient eveRest(server.httpUrl());
        eveRest.setToken(eve.token);
        QSignalSpy annLive(annWs.get(), &ClientConnection::messageReceived);

        // Send over HTTP: the WebSocket reply object, delivered live to both sides' sockets.
        IT_HTTP(
            posted, rest.post(base + u"/messages"_s, {{u"content"_s, u"over http"_s}, {u"client_msg_id"_s, u"h-1"_s}}));
        QVERIFY2(posted->status() == 200, qPrintable(describeReply(posted)));
        const QJsonObject data = posted->json();
        for (const char *key : {"message_id", "conversation_id", "seq", "timestamp", "duplicate"})
            QVERIFY2(data.contains(QLatin1StringView(key)), key);
        QCOMPARE(intOf(data, u"seq"_s), 2);
        QCOMPARE(intOf(data, u"conversation_id"_s), cid);
        QCOMPARE(data.value(u"duplicate"_s), QJsonValue(false));
        QTRY_COMPARE_WITH_TIMEOUT(bobLive.size(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(annLive.size(), 1, kWaitMs);
        QCOMPARE(bobLive.first().at(0).value<ChatMessage>().id, intOf(data, u"message_id"_s));
        QCOMPARE(bobLive.first().at(0).value<ChatMessage>().clientMsgId, u"h-1"_s);
        IT_HTTP(duplicate,
            rest.post(base + u"/messages"_s, {{u"content"_s, u"over http"_s}, {u"client_msg_id"_s, u"h-1"_s}}));
        QCOMPARE(duplicate->status(), 200);
        QCOMPARE(duplicate->json().value(u"duplicate"_s), QJsonValue(true));
        QCOMPARE(duplicate->json().value(u"message_id"_s), data.value(u"message_id"_s));
        QVERIFY(!bobLive.wait(kAbsenceMs));
        QCOMPARE(bobLive.size(), 1);

        // The same validation as on the WebSocket.
        struct Bad
        {
            QByteArray body;
            int status;
            const char *code;
        };
        const QList<Bad> bad {
            {R"({"content":""})", 400, "validation_failed"},
            {QByteArray("{\"content\":\"") + QByteArray(5001, 'x') + QByteArray("\"}"), 400, "validation_failed"},
            {R"({"content":"x","message_type":"system"})", 400, "validation_failed"},
            {R"({"content":"x","message_type":"image"})", 400, "validation_failed"},
            {R"({})", 400, "bad_request"},
            {R"({"content":5})", 400, "bad_request"},
            {R"({"content":"x","client_msg_id":7})", 400, "bad_request"},
            {R"({"content":"x","client_msg_id":"a\u0000b"})", 400, "validation_failed"},
            {R"(["content"])", 400, "bad_request"},
            {"content=x", 400, "bad_request"},
        };
        for (const Bad &b : bad) {
            IT_HTTP(r, rest.sendRequest("POST", base + u"/messages"_s, b.body, "application/json"));
            QVERIFY2(r->status() == b.status && isErrorBody(r, QLatin1StringView(b.code)),
                qPrintable(QString::fromUtf8(b.body.left(60)) + u" -> "_s + describeReply(r)));
        }
        const QString emoji = u"😀"_s;
        IT_HTTP(fiveThousand, rest.post(base + u"/messages"_s, {{u"content"_s, emoji.repeated(5000)}}));
        QCOMPARE(fiveThousand->status(), 200);
        QCOMPARE(intOf(fiveThousand->json(), u"seq"_s), 3);
        IT_HTTP(outsider, eveRest.post(base + u"/messages"_s, {{u"content"_s, u"let me in"_s}}));
        QCOMPARE(outsider->status(), 403);
        QVERIFY(isErrorBody(outsider, u"forbidden"_s));
        IT_HTTP(missing, rest.post(u"/api/v1/conversations/987654321/messages"_s, {{u"content"_s, u"void"_s}}));
        QCOMPARE(missing->status(), 404);
        QVERIFY(isErrorBody(missing, u"not_found"_s));

        // Lists and single conversations.
        IT_HTTP(list, rest.get(u"/api/v1/conversations"_s));
        QCOMPARE(list->status(), 200);
        const QJsonArray conversations = list->json().value(u"conversations"_s).toArray();
        QCOMPARE(conversations.size(), 1);
        QCOMPARE(intOf(conversations.first().toObject(), u"id"_s), cid);
        QCOMPARE(intOf(conversations.first().toObject(), u"last_seq"_s), 3);
        RestClient bobRest(server.httpUrl());
        bobRest.setToken(bob.token);
        IT_HTTP(single, bobRest.get(base));
        QCOMPARE(single->status(), 200);
        const QJsonObject conversation = single->json().value(u"conversation"_s).toObject();
        QCOMPARE(conversation.value(u"type"_s).toString(), u"private"_s);
        QCOMPARE(intOf(conversation, u"unread"_s), 3);
        QCOMPARE(intOf(conversation.value(u"last_message"_s).toObject(), u"seq"_s), 3);
        IT_HTTP(eveSingle, eveRest.get(base));
        QCOMPARE(eveSingle->status(), 403);
        IT_HTTP(noSuch, rest.get(u"/api/v1/conversations/987654321"_s));
        QCOMPARE(noSuch->status(), 404);
        IT_HTTP(eveList, eveRest.get(u"/api/v1/conversations"_s));
        QCOMPARE(eveList->json().value(u"conversations"_s).toArray().size(), 0);

        // History over HTTP.
        auto page = [&](const QUrlQuery &query, QList<qint64> *seqs, bool *hasMore) {
            RestReply *r = bobRest.get(base + u"/messages"_s, query);
            if (!waitForFinished(r) || r->status() != 200)
                return r;
            seqs->clear();
            for (const QJsonValue &m : r->json().value(u"messages"_s).toArray())
                seqs->append(intOf(m.toObject(), u"seq"_s));
            *hasMore = r->json().value(u"has_more"_s).toBool();
            return r;
        };
        QList<qint64> seqs;
        bool hasMore = false;
        RestReply *r = page({}, &seqs, &hasMore);
        QCOMPARE(r->status(), 200);
        QCOMPARE(seqs, (QList<qint64> {1, 2, 3}));
        QVERIFY(!hasMore);
        r = page(QUrlQuery {{u"limit"_s, u"2"_s}}, &seqs, &hasMore);
        QCOMPARE(seqs, (QList<qint64> {2, 3}));
        QVERIFY(hasMore);
        r = page(QUrlQuery {{u"before_seq"_s, u"3"_s}, {u"limit"_s, u"1"_s}}, &seqs, &hasMore);
        QCOMPARE(seqs, (QList<qint64> {2}));
        QVERIFY(hasMore);
        r = page(QUrlQuery {{u"after_seq"_s, u"1"_s}}, &seqs, &hasMore);
        QCOMPARE(seqs, (QList<qint64> {2, 3}));
        QVERIFY(!hasMore);
        r = page(QUrlQuery {{u"after_seq"_s, u"1"_s}, {u"before_seq"_s, u"3"_s}}, &seqs, &hasMore);
        QCOMPARE(seqs, (QList<qint64> {2}));
        r = page(QUrlQuery {{u"limit"_s, u"1000"_s}}, &seqs, &hasMore);
        QCOMPARE(r->status(), 200);
        QCOMPARE(seqs.size(), 3);
        for (const auto &[key, value, code] : QList<std::tuple<QString, QString, QString>> {
                 {u"limit"_s, u"0"_s, u"validation_failed"_s}, {u"limit"_s, u"abc"_s, u"bad_request"_s},
                 {u"limit"_s, u"-1"_s, u"bad_request"_s}, {u"limit"_s, u"1.5"_s, u"bad_request"_s},
                 {u"before_seq"_s, u"x"_s, u"bad_request"_s}, {u"after_seq"_s, u"1e3"_s, u"bad_request"_s}}) {
            r = page(QUrlQuery {{key, value}}, &seqs, &hasMore);
            QVERIFY2(r->status() == 400 && isErrorBody(r, code),
                qPrintable(key + u"="_s + value + u" -> "_s + describeReply(r)));
        }
        IT_HTTP(eveHistory, eveRest.get(base + u"/messages"_s));
        QCOMPARE(eveHistory->status(), 403);

        // Read watermark over HTTP.
        IT_HTTP(read, bobRest.post(base + u"/read"_s, {{u"seq"_s, 2}}));
        QVERIFY2(read->status() == 200, qPrintable(describeReply(read)));
        IT_HTTP(afterRead, bobRest.get(base));
        QCOMPARE(intOf(afterRead->json().value(u"conversation"_s).toObject(), u"read_seq"_s), 2);
        QCOMPARE(intOf(afterRead->json().value(u"conversation"_s).toObject(), u"unread"_s), 1);
        IT_HTTP(backwards, bobRest.post(base + u"/read"_s, {{u"seq"_s, 1}}));
        QCOMPARE(backwards->status(), 200);
        IT_HTTP(beyond, bobRest.post(base + u"/read"_s, {{u"seq"_s, 1000}}));
        QCOMPARE(beyond->status(), 200);
        IT_HTTP(clamped, bobRest.get(base));
        QCOMPARE(intOf(clamped->json().value(u"conversation"_s).toObject(), u"read_seq"_s), 3);
        QCOMPARE(intOf(clamped->json().value(u"conversation"_s).toObject(), u"unread"_s), 0);
        IT_HTTP(stringSeq, bobRest.post(base + u"/read"_s, {{u"seq"_s, u"2"_s}}));
        QCOMPARE(stringSeq->status(), 400);
        QVERIFY(isErrorBody(stringSeq, u"bad_request"_s));
        IT_HTTP(noSeq, bobRest.post(base + u"/read"_s, {}));
        QCOMPARE(noSeq->status(), 400);
        IT_HTTP(eveRead, eveRest.post(base + u"/read"_s, {{u"seq"_s, 1}}));
        QCOMPARE(eveRead->status(), 403);
    }

    void malformedPathIdsAreNever500()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        RestClient rest(server.httpUrl());
        rest.setToken(ann.token);
        const QStringList ids {u"abc"_s, u"0"_s, u"-1"_s, u"1.5"_s, u"1e3"_s, u"0x10"_s, u"99999999999999999999"_s,
            u"9007199254740993"_s, u"%20"_s, u"12abc"_s, u"%EF%BC%91"_s /* fullwidth 1 */, u"1%00"_s, u"%2e%2e"_s,
            u"+1"_s, u"１"_s};
        for (const QString &id : ids) {
            for (const QString &suffix : {u""_s, u"/messages"_s, u"/read"_s}) {
                const QString path = u"/api/v1/conversations/"_s + id + suffix;
                for (const QByteArray &verb : {QByteArray("GET"), QByteArray("POST")}) {
                    IT_HTTP(r,
                        rest.sendRequest(verb, path,
                            verb == "POST" ? QByteArray(R"({"content":"x","seq":1})") : QByteArray(),
                            verb == "POST" ? QByteArray("application/json") : QByteArray()));
                    QVERIFY2(r->status() != 0 && r->status() < 500, qPrintable(describeReply(r)));
                    if (suffix != u""_s || verb == "GET")
                        QVERIFY2(r->status() == 400 || r->status() == 404, qPrintable(describeReply(r)));
                    QVERIFY2(r->isJson(), qPrintable(describeReply(r)));
                }
            }
        }
        IT_HTTP(health, rest.get(u"/healthz"_s));
        QCOMPARE(health->status(), 200);
        QVERIFY(server.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestHttpApi)
#include "tst_httpapi.moc"
