#include <QDateTime>
#include <QJsonArray>
#include <QMessageAuthenticationCode>
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
constexpr auto kB64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QJsonObject jwtPart(const QString &token, int index)
{
    const QByteArray part = token.toLatin1().split('.').value(index);
    return QJsonDocument::fromJson(QByteArray::fromBase64(part, kB64)).object();
}

// A correctly signed HS256 token with arbitrary claims (the secret comes from the database).
QString forgeToken(const QByteArray &secret, const QJsonObject &claims)
{
    const QByteArray input = QByteArray(R"({"alg":"HS256","typ":"JWT"})").toBase64(kB64) + '.'
        + QJsonDocument(claims).toJson(QJsonDocument::Compact).toBase64(kB64);
    const QByteArray mac = QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha256);
    return QString::fromLatin1(input + '.' + mac.toBase64(kB64));
}

bool isSessionData(const QJsonObject &data, qint64 userId, QString *why)
{
    if (qint64(data.value(u"user"_s).toObject().value(u"id"_s).toDouble()) != userId)
        *why = u"user.id"_s;
    else if (data.value(u"session_id"_s).toString().isEmpty())
        *why = u"session_id"_s;
    else if (data.value(u"resume_token"_s).toString().isEmpty())
        *why = u"resume_token"_s;
    else if (!data.value(u"heartbeat_interval"_s).isDouble())
        *why = u"heartbeat_interval"_s;
    else if (!data.value(u"server_time"_s).isDouble())
        *why = u"server_time"_s;
    else
        return true;
    return false;
}
} // namespace

// PROTOCOL.md section 3 and the authentication rules of section 13 on both backends: HTTP
// register/login/guest with their validation and error codes, JWT claims, Argon2id storage,
// the three WebSocket transports (auth frame, header, query) and their failure modes
// (auth_failed keeps the socket open, 4001 at the upgrade and on auth_timeout), login
// throttling (10 per username, 30 per address, 429 with retry_after_ms even for the right
// password) and 4029 for too many connections.
class TestAuthentication : public QObject
{
    Q_OBJECT

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void registerValidatesAndRefusesTakenNames()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        RestClient rest(server.httpUrl());
        rest.setTimeout(30000);

        const QString name = uniqueUsername(u"ann"_s);
        IT_HTTP(created, rest.registerUser(name, u"correct horse"_s, u"Ann A."_s));
        QCOMPARE(created->status(), 201);
        const QJsonObject user = created->json().value(u"user"_s).toObject();
        QVERIFY(intOf(user, u"id"_s) > 0);
        QCOMPARE(user.value(u"username"_s).toString(), name);
        QCOMPARE(user.value(u"display_name"_s).toString(), u"Ann A."_s);
        QCOMPARE(user.value(u"role"_s).toString(), u"user"_s);
        QVERIFY2(
            !created->body().contains("password") && !created->body().contains("argon"), created->body().constData());

        // The same name again: 409 conflict.
        IT_HTTP(taken, rest.registerUser(name, u"another password"_s, u"Other"_s));
        QCOMPARE(taken->status(), 409);
        SB_COMPARE_CODE(taken->error().code, ErrorCode::Conflict);
        QCOMPARE(taken->json().value(u"error"_s).toObject().value(u"code"_s).toString(), u"conflict"_s);

        // Usernames: 3-32 of [a-z0-9_.-].
        const QStringList badNames {
            u"ab"_s, QString(33, u'a'), u"Ann"_s, u"an n"_s, u"ann!"_s, u"änn"_s, u""_s, u"ann/x"_s};
        for (const QString &bad : badNames) {
            IT_HTTP(r, rest.registerUser(bad, u"long enough"_s, u"X"_s));
            QVERIFY2(r->status() == 400, qPrintable(bad + u": "_s + describeReply(r)));
            SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        }
        for (const QString &good : {u"a.b"_s, QString(32, u'z'), u"x_y-z.0"_s}) {
            IT_HTTP(r, rest.registerUser(good, u"long enough"_s, u"X"_s));
            QVERIFY2(r->status() == 201, qPrintable(good + u": "_s + describeReply(r)));
        }
        // Passwords: at least 8 characters, counted as code points.
        IT_HTTP(shortPassword, rest.registerUser(uniqueUsername(u"p"_s), u"1234567"_s, u"X"_s));
        QCOMPARE(shortPassword->status(), 400);
        SB_COMPARE_CODE(shortPassword->error().code, ErrorCode::ValidationFailed);
        const QString emoji = u"😀"_s;
        IT_HTTP(sevenEmoji, rest.registerUser(uniqueUsername(u"p"_s), emoji.repeated(7), u"X"_s));
        QCOMPARE(sevenEmoji->status(), 400); // 14 UTF-16 units, still 7 characters
        IT_HTTP(eightEmoji, rest.registerUser(uniqueUsername(u"p"_s), emoji.repeated(8), u"X"_s));
        QCOMPARE(eightEmoji->status(), 201);
        // Display names with control characters are refused.
        IT_HTTP(control, rest.registerUser(uniqueUsername(u"c"_s), u"long enough"_s, u"a\u0001b"_s));
        QCOMPARE(control->status(), 400);
        SB_COMPARE_CODE(control->error().code, ErrorCode::ValidationFailed);

        // Missing fields, wrong JSON types, bodies that are not objects: 400 bad_request.
        const QList<QByteArray> badBodies {
            R"({"password":"long enough"})",
            R"({"username":"someone"})",
            R"({"username":5,"password":"long enough"})",
            R"({"username":"someone","password":12345678})",
            R"({"username":"someone","password":"long enough","display_name":7})",
            R"(["username","password"])",
            "not json",
            "",
        };
        for (const QByteArray &body : badBodies) {
            IT_HTTP(r, rest.sendRequest("POST", u"/api/v1/auth/register"_s, body, "application/json"));
            QVERIFY2(r->status() == 400, qPrintable(QString::fromUtf8(body) + u": "_s + describeReply(r)));
            SB_COMPARE_CODE(r->error().code, ErrorCode::BadRequest);
        }
    }

    void loginIssuesJwtAndStoresArgon2id()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        RestClient rest(server.httpUrl());
        rest.setTimeout(30000);
        const QString name = uniqueUsername(u"jwt"_s);
        const QString password = u"s3cret pässword 🔑"_s;
        IT_HTTP(created, rest.registerUser(name, password, u"Jay"_s));
        QCOMPARE(created->status(), 201);
        const qint64 id = intOf(created->json().value(u"user"_s).toObject(), u"id"_s);

        const qint64 before = QDateTime::currentSecsSinceEpoch();
        IT_HTTP(login, rest.login(name, password));
        QCOMPARE(login->status(), 200);
        const QJsonObject body = login->json();
        const QString token = body.value(u"token"_s).toString();
        QCOMPARE(intOf(body.value(u"user"_s).toObject(), u"id"_s), id);
        QCOMPARE(body.value(u"user"_s).toObject().value(u"role"_s).toString(), u"user"_s);
        QVERIFY(!login->body().contains("password"));

        // JWT HS256: sub is the id as a string, iat/exp in seconds, expires_at = exp * 1000.
        QCOMPARE(token.count(u'.'), 2);
        const QJsonObject header = jwtPart(token, 0);
        const QJsonObject claims = jwtPart(token, 1);
        QCOMPARE(header.value(u"alg"_s).toString(), u"HS256"_s);
        QVERIFY2(claims.value(u"sub"_s).isString(), qPrintable(compact(claims)));
        QCOMPARE(claims.value(u"sub"_s).toString(), QString::number(id));
        QCOMPARE(claims.value(u"role"_s).toString(), u"user"_s);
        const qint64 iat = intOf(claims, u"iat"_s);
        const qint64 exp = intOf(claims, u"exp"_s);
        QVERIFY2(iat >= before - 5 && iat <= QDateTime::currentSecsSinceEpoch() + 5, qPrintable(QString::number(iat)));
        QVERIFY(exp > iat);
        QVERIFY2(exp < 10'000'000'000LL, "exp must be seconds, not milliseconds");
        QCOMPARE(intOf(body, u"expires_at"_s), exp * 1000);

        // Wrong password and unknown user: 401 auth_failed, indistinguishable.
        IT_HTTP(wrong, rest.login(name, u"not the password"_s));
        QCOMPARE(wrong->status(), 401);
        SB_COMPARE_CODE(wrong->error().code, ErrorCode::AuthFailed);
        IT_HTTP(unknown, rest.login(uniqueUsername(u"nobody"_s), u"not the password"_s));
        QCOMPARE(unknown->status(), 401);
        SB_COMPARE_CODE(unknown->error().code, ErrorCode::AuthFailed);
        QCOMPARE(unknown->error().message, wrong->error().message);
        // The password is case- and byte-exact.
        IT_HTTP(upper, rest.login(name, password.toUpper()));
        QCOMPARE(upper->status(), 401);
        IT_HTTP(badBody,
            rest.sendRequest("POST", u"/api/v1/auth/login"_s, R"({"username":"x","password":5})", "application/json"));
        QCOMPARE(badBody->status(), 400);
        SB_COMPARE_CODE(badBody->error().code, ErrorCode::BadRequest);

        // Stored only as an Argon2id hash.
        QString error;
        const auto rows = sqlRows(db.url(), u"SELECT password_hash FROM users WHERE username = ?"_s, {name}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(rows.size(), 1);
        const QString hash = rows.first().first().toString();
        QVERIFY2(hash.startsWith(u"$argon2id$"_s), qPrintable(hash));
        QVERIFY(!hash.contains(password));

        // Guests: role guest, a token that works, the display name as given.
        IT_HTTP(guest, rest.guest(u"Visitor ✈"_s));
        QCOMPARE(guest->status(), 200);
        const QJsonObject guestUser = guest->json().value(u"user"_s).toObject();
        QCOMPARE(guestUser.value(u"role"_s).toString(), u"guest"_s);
        QCOMPARE(guestUser.value(u"display_name"_s).toString(), u"Visitor ✈"_s);
        const QString guestToken = guest->json().value(u"token"_s).toString();
        QCOMPARE(jwtPart(guestToken, 1).value(u"role"_s).toString(), u"guest"_s);
        QCOMPARE(intOf(guest->json(), u"expires_at"_s), intOf(jwtPart(guestToken, 1), u"exp"_s) * 1000);
        IT_HTTP(anonymous, rest.guest());
        QCOMPARE(anonymous->status(), 200);
        QVERIFY(!anonymous->json().value(u"user"_s).toObject().value(u"display_name"_s).toString().isEmpty());
        IT_HTTP(badGuest, rest.guest(u"bell\u0007"_s));
        QCOMPARE(badGuest->status(), 400);
        SB_COMPARE_CODE(badGuest->error().code, ErrorCode::ValidationFailed);

        TestUser g;
        g.id = intOf(guestUser, u"id"_s);
        g.username = guestUser.value(u"username"_s).toString();
        g.token = guestToken;
        IT_CONNECT(guestConnection, server, g);
        QCOMPARE(guestConnection->user().role, u"guest"_s);
    }

    void webSocketTransports()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        IT_USER(ann, server, "ann");
        IT_GUEST(bob, server, "Bob");
        // Something waiting for ann, so offline delivery has a frame to follow the session.
        {
            IT_CONNECT(bobConnection, server, bob);
            IT_OK(sent, bobConnection->sendTextTo(ann.id, u"waiting"_s));
        }

        // Auth frame: a reply with the session data, then offline delivery, then sync_complete.
        {
            ClientConnection connection;
            FrameLog frames(&connection);
            QSignalSpy synced(&connection, &ClientConnection::syncCompleted);
            connection.openWithToken(server.wsUrl(), ann.token);
            QVERIFY(synced.wait(kWaitMs));
            QCOMPARE(frames.size(), 3);
            QCOMPARE(frames.frames().at(0).value(u"type"_s).toString(), u"auth"_s);
            QCOMPARE(frames.frames().at(0).value(u"success"_s), QJsonValue(true));
            QString why;
            QVERIFY2(isSessionData(frames.frames().at(0).value(u"data"_s).toObject(), ann.id, &why), qPrintable(why));
            QCOMPARE(frames.frames().at(1).value(u"type"_s).toString(), u"new_message"_s);
            QCOMPARE(frames.frames().at(2).value(u"type"_s).toString(), u"sync_complete"_s);
        }
        // Header and query: the `session` event first (no id, no success), then the same.
        for (auto via : {ClientConnection::TokenTransport::Header, ClientConnection::TokenTransport::Query}) {
            ClientConnection connection;
            FrameLog frames(&connection);
            QSignalSpy synced(&connection, &ClientConnection::syncCompleted);
            connection.openWithToken(server.wsUrl(), ann.token, via);
            QVERIFY(synced.wait(kWaitMs));
            QCOMPARE(frames.size(), 3);
            const QJsonObject session = frames.frames().at(0);
            QCOMPARE(session.value(u"type"_s).toString(), u"session"_s);
            QVERIFY(!session.contains(u"id"_s));
            QVERIFY(!session.contains(u"success"_s));
            QString why;
            QVERIFY2(isSessionData(session, ann.id, &why), qPrintable(why));
            QCOMPARE(frames.frames().at(1).value(u"type"_s).toString(), u"new_message"_s);
            QCOMPARE(frames.frames().at(2).value(u"type"_s).toString(), u"sync_complete"_s);
            QVERIFY(connection.isAuthenticated());
            IT_OK(list, connection.conversations());
        }

        // Forged tokens: signed with the real secret (read from the database) but expired, or
        // claiming another role; and a token whose payload was edited after signing.
        QString error;
        const auto rows = sqlRows(db.url(), u"SELECT value FROM settings WHERE key = ?"_s, {u"jwt_secret"_s}, &error);
        QVERIFY2(error.isEmpty() && rows.size() == 1, qPrintable(error));
        const QByteArray secret = rows.first().first().toString().toUtf8();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QString selfSigned = forgeToken(secret,
            {{u"sub"_s, QString::number(ann.id)}, {u"role"_s, u"user"_s}, {u"iat"_s, double(now)},
                {u"exp"_s, double(now + 600)}});
        const QString expired = forgeToken(secret,
            {{u"sub"_s, QString::number(ann.id)}, {u"role"_s, u"user"_s}, {u"iat"_s, double(now - 7200)},
                {u"exp"_s, double(now - 3600)}});
        const QString wrongRole = forgeToken(secret,
            {{u"sub"_s, QString::number(ann.id)}, {u"role"_s, u"admin"_s}, {u"iat"_s, double(now)},
                {u"exp"_s, double(now + 600)}});
        const QString noSuchUser = forgeToken(secret,
            {{u"sub"_s, u"987654321"_s}, {u"role"_s, u"user"_s}, {u"iat"_s, double(now)},
                {u"exp"_s, double(now + 600)}});
        QStringList parts = ann.token.split(u'.');
        QJsonObject edited = jwtPart(ann.token, 1);
        edited.insert(u"role"_s, u"admin"_s);
        parts[1] = QString::fromLatin1(QJsonDocument(edited).toJson(QJsonDocument::Compact).toBase64(kB64));
        const QString tampered = parts.join(u'.');
        const QString badSignature
            = ann.token.left(ann.token.size() - 2) + (ann.token.endsWith(u"AA"_s) ? u"BB"_s : u"AA"_s);

        // The forging works (so the refusals below are about the claims, not the method).
        {
            TestUser forged = ann;
            forged.token = selfSigned;
            IT_CONNECT(ok, server, forged);
        }
        const QStringList badTokens {expired, wrongRole, noSuchUser, tampered, badSignature, u"not-a-jwt"_s, u""_s};
        for (const QString &bad : badTokens) {
            // In an auth frame: auth_failed, the socket stays open and unauthenticated.
            ClientConnection connection;
            QSignalSpy connected(&connection, &ClientConnection::connected);
            connection.open(server.wsUrl());
            QVERIFY(connected.wait(kWaitMs));
            PendingRequest *auth = connection.authenticate(bad);
            QVERIFY(waitForFinished(auth));
            QVERIFY2(!auth->isSuccess(), qPrintable(bad));
            // An empty token is a wrong value, not a missing field: either code is defensible
            // for "", every real token must be auth_failed.
            if (!bad.isEmpty())
                SB_COMPARE_CODE(auth->error().code, ErrorCode::AuthFailed);
            IT_OK(pong, connection.ping());
            IT_FAILS(connection.conversations(), NotAuthenticated);
            IT_OK(retry, connection.authenticate(ann.token));
            QVERIFY(connection.isAuthenticated());

            if (bad.isEmpty())
                continue;
            // At the upgrade (header or query): the upgrade completes, then close 4001.
            for (auto via : {ClientConnection::TokenTransport::Header, ClientConnection::TokenTransport::Query}) {
                TestUser forged = ann;
                forged.token = bad;
                QString why;
                auto refused = connectAs(server, forged, &why, via);
                QVERIFY2(!refused, qPrintable(bad));
                QVERIFY2(why.contains(u"4001"_s), qPrintable(why));
            }
        }
    }

    void authTimeoutClosesWith4001()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, (QMap<QString, QString> {{u"auth_timeout"_s, u"1"_s}}));
        IT_GUEST(ann, server, "Ann");

        // Silent connection.
        ClientConnection idle;
        QSignalSpy idleClosed(&idle, &ClientConnection::disconnected);
        // One that failed its auth: auth_timeout still applies.
        ClientConnection failed;
        QSignalSpy failedClosed(&failed, &ClientConnection::disconnected);
        // One that authenticated in time stays.
        ClientConnection good;
        QSignalSpy goodClosed(&good, &ClientConnection::disconnected);
        QSignalSpy goodSynced(&good, &ClientConnection::syncCompleted);

        idle.open(server.wsUrl());
        failed.open(server.wsUrl());
        PendingRequest *badAuth = failed.authenticate(u"garbage"_s);
        good.openWithToken(server.wsUrl(), ann.token);
        QVERIFY(waitForFinished(badAuth));
        SB_COMPARE_CODE(badAuth->error().code, ErrorCode::AuthFailed);
        QVERIFY(goodSynced.wait(kWaitMs) || !goodSynced.isEmpty());

        QTRY_COMPARE_WITH_TIMEOUT(idleClosed.size(), 1, 5000);
        QCOMPARE(idle.closeCode(), 4001);
        QTRY_COMPARE_WITH_TIMEOUT(failedClosed.size(), 1, 5000);
        QCOMPARE(failed.closeCode(), 4001);
        QVERIFY(goodClosed.isEmpty());
        IT_OK(pong, good.ping());
        QVERIFY(good.isAuthenticated());
    }

    void loginThrottlePerUsername()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        RestClient rest(server.httpUrl());
        rest.setTimeout(30000);

        // Nine failures: still below the limit, the right password works.
        for (int i = 0; i < 9; ++i) {
            IT_HTTP(r, rest.login(ann.username, u"wrong password %1"_s.arg(i)));
            QCOMPARE(r->status(), 401);
        }
        IT_HTTP(stillOk, rest.login(ann.username, ann.password));
        QCOMPARE(stillOk->status(), 200);
        // The tenth failure reaches it: now even the right password is refused with 429.
        IT_HTTP(tenth, rest.login(ann.username, u"wrong password 9"_s));
        QCOMPARE(tenth->status(), 401);
        for (const QString &password : {ann.password, u"wrong again"_s}) {
            IT_HTTP(r, rest.login(ann.username, password));
            QVERIFY2(r->status() == 429, qPrintable(describeReply(r)));
            SB_COMPARE_CODE(r->error().code, ErrorCode::RateLimited);
            const QJsonValue retry = r->json().value(u"error"_s).toObject().value(u"retry_after_ms"_s);
            QVERIFY2(retry.isDouble(), r->body().constData());
            QVERIFY(retry.toDouble() > 0 && retry.toDouble() <= 15 * 60 * 1000);
        }
        // Another name from the same address is not affected.
        IT_HTTP(other, rest.login(bob.username, bob.password));
        QCOMPARE(other->status(), 200);
        // Tokens issued before keep working on the WebSocket.
        IT_CONNECT(connection, server, ann);
    }

    void loginThrottlePerAddress()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, {});
        IT_USER(ann, server, "ann");
        RestClient rest(server.httpUrl());
        rest.setTimeout(60000);

        // 29 failures for 29 different (unknown) names from 127.0.0.1, in parallel.
        auto failMany = [&](int count, int offset) {
            QList<RestReply *> replies;
            for (int i = 0; i < count; ++i)
                replies.append(rest.login(u"nobody_%1_%2"_s.arg(offset + i).arg(ann.id), u"guess"_s));
            return replies;
        };
        const QList<RestReply *> first = failMany(29, 0);
        for (RestReply *r : first) {
            QVERIFY(waitForFinished(r, 60000));
            QVERIFY2(r->status() == 401, qPrintable(describeReply(r)));
        }
        IT_HTTP(stillOk, rest.login(ann.username, ann.password));
        QCOMPARE(stillOk->status(), 200);
        // The 30th failure from this address: every login from it is now refused.
        const QList<RestReply *> thirtieth = failMany(1, 100);
        QVERIFY(waitForFinished(thirtieth.first(), 60000));
        QCOMPARE(thirtieth.first()->status(), 401);
        IT_HTTP(refused, rest.login(ann.username, ann.password));
        QVERIFY2(refused->status() == 429, qPrintable(describeReply(refused)));
        SB_COMPARE_CODE(refused->error().code, ErrorCode::RateLimited);
        QVERIFY(refused->error().retryAfterMs > 0);
        QVERIFY(refused->error().retryAfterMs <= 15 * 60 * 1000);
        const QList<RestReply *> fresh = failMany(1, 200);
        QVERIFY(waitForFinished(fresh.first(), 60000));
        QCOMPARE(fresh.first()->status(), 429);
    }

    void tooManyConnectionsCloseTheNewOne()
    {
        SB_TEST_DATABASE(db);
        IT_START_SERVER(server, db, (QMap<QString, QString> {{u"max_connections_per_user"_s, u"2"_s}}));
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(first, server, ann);
        IT_CONNECT(second, server, ann);
        QString why;
        auto third = connectAs(server, ann, &why);
        QVERIFY(!third);
        QVERIFY2(why.contains(u"4029"_s), qPrintable(why));
        auto thirdViaHeader = connectAs(server, ann, &why, ClientConnection::TokenTransport::Header);
        QVERIFY(!thirdViaHeader);
        QVERIFY2(why.contains(u"4029"_s), qPrintable(why));
        // The older ones stay usable.
        IT_OK(a, first->sendTextTo(bob.id, u"still here"_s));
        IT_OK(b, second->ping());
        // Once one closes, a new one is accepted again.
        QSignalSpy closed(second.get(), &ClientConnection::disconnected);
        second->close();
        QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, kWaitMs);
        IT_OK(c, first->ping()); // the server has processed the close by now (ordered socket)
        std::unique_ptr<ClientConnection> again;
        QTRY_VERIFY_WITH_TIMEOUT((again = connectAs(server, ann, &why)) != nullptr, kWaitMs);
    }
};

QTEST_GUILESS_MAIN(TestAuthentication)
#include "tst_authentication.moc"
