#include <QDateTime>
#include <QJsonArray>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QWebSocket>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// PROTOCOL.md sections 2 and 13 (envelope and errors) against the real server on both storage
// backends: one reply per request in request order, `id` echoed exactly, reply/event shapes,
// bad_request / unknown_type / not_authenticated / not_found / forbidden with their triggers,
// field types checked before lookups.
class TestEnvelope : public QObject
{
    Q_OBJECT

private slots:
    void repliesInRequestOrderWithIdsEchoed_data() { TestDatabase::backends(); }
    void repliesInRequestOrderWithIdsEchoed()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(annConnection, server, ann);
        IT_OK(first, annConnection->sendTextTo(bob.id, u"first"_s));
        const double conversationId = first->data().value(u"conversation_id"_s).toDouble();

        // Slow (durable storage round trip) and instant requests interleaved, with every kind of
        // id the contract names: integers, zero, negative, beyond 2^32, 2^53-1, strings.
        const QList<QJsonValue> ids {7.0, 0.0, -1.0, 4294967297.0, 9007199254740991.0, -9007199254740991.0, u"abc"_s,
            u""_s, u"7"_s, u"ключ 🔑"_s, 42.0, u"-0"_s, 123456789012.0, u"last"_s};
        const QList<QJsonObject> requests {
            {{u"type"_s, u"message"_s}, {u"conversation_id"_s, conversationId}, {u"content"_s, u"a"_s}},
            {{u"type"_s, u"ping"_s}},
            {{u"type"_s, u"frobnicate"_s}},
            {{u"type"_s, u"history"_s}, {u"conversation_id"_s, conversationId}},
            {{u"type"_s, u"message"_s}, {u"to"_s, double(bob.id)}, {u"content"_s, u"b"_s}},
            {{u"type"_s, u"conversations"_s}},
            {{u"type"_s, u"message"_s}, {u"conversation_id"_s, conversationId}, {u"content"_s, 5}},
            {{u"type"_s, u"history"_s}, {u"conversation_id"_s, 99999999.0}},
            {{u"type"_s, u"typing"_s}, {u"conversation_id"_s, conversationId}},
            {{u"type"_s, u"message"_s}, {u"conversation_id"_s, conversationId}, {u"content"_s, u""_s}},
            {{u"type"_s, u"read"_s}, {u"conversation_id"_s, conversationId}, {u"seq"_s, 1}},
            {{u"type"_s, u"message"_s}, {u"conversation_id"_s, conversationId}, {u"content"_s, u"c"_s}},
            {{u"type"_s, u"received"_s}, {u"conversation_id"_s, conversationId}, {u"seq"_s, 2}},
            {{u"type"_s, u"ping"_s}},
        };
        QCOMPARE(ids.size(), requests.size());
        const QStringList expected {u"ok"_s, u"pong"_s, u"unknown_type"_s, u"ok"_s, u"ok"_s, u"ok"_s, u"bad_request"_s,
            u"not_found"_s, u"ok"_s, u"validation_failed"_s, u"ok"_s, u"ok"_s, u"ok"_s, u"pong"_s};

        FrameLog recorder(annConnection.get());
        for (qsizetype i = 0; i < requests.size(); ++i) {
            QJsonObject frame = requests.at(i);
            frame.insert(u"id"_s, ids.at(i));
            QVERIFY(annConnection->sendFrame(frame));
        }
        // The last one is a ping: once its pong is here, every earlier reply must be too.
        QVERIFY(recorder.waitFor([](const QJsonObject &f) { return f.value(u"id"_s) == QJsonValue(u"last"_s); }) >= 0);

        QList<QJsonObject> replies;
        for (const QJsonObject &f : recorder.frames()) {
            if (f.contains(u"id"_s))
                replies.append(f);
        }
        QCOMPARE(replies.size(), requests.size());
        for (qsizetype i = 0; i < replies.size(); ++i) {
            const QJsonObject &reply = replies.at(i);
            const QString context = u"reply %1: %2"_s.arg(i).arg(compact(reply));
            QVERIFY2(reply.value(u"id"_s) == ids.at(i), qPrintable(context));
            QCOMPARE(reply.value(u"id"_s).type(), ids.at(i).type());
            if (expected.at(i) == u"pong"_s) {
                QCOMPARE(reply.value(u"type"_s).toString(), u"pong"_s);
                QVERIFY2(!reply.contains(u"success"_s), qPrintable(context));
                QVERIFY(reply.value(u"timestamp"_s).isDouble());
                continue;
            }
            QCOMPARE(reply.value(u"type"_s), requests.at(i).value(u"type"_s));
            QVERIFY2(reply.value(u"success"_s).isBool(), qPrintable(context));
            if (expected.at(i) == u"ok"_s) {
                QVERIFY2(reply.value(u"success"_s).toBool(), qPrintable(context));
                QVERIFY2(reply.value(u"data"_s).isObject(), qPrintable(context));
                QVERIFY2(!reply.contains(u"error"_s), qPrintable(context));
            } else {
                QVERIFY2(!reply.value(u"success"_s).toBool(), qPrintable(context));
                QCOMPARE(errorCodeOf(reply), expected.at(i));
                QVERIFY(reply.value(u"error"_s).toObject().value(u"message"_s).isString());
                QVERIFY2(!reply.contains(u"data"_s), qPrintable(context));
            }
        }
        QCOMPARE(replies.at(2).value(u"error"_s).toObject().value(u"message"_s).toString(), u"Unknown message type"_s);
        QCOMPARE(replies.at(9).value(u"error"_s).toObject().value(u"message"_s).toString(),
            u"Message content cannot be empty"_s);
        // The three sends that succeeded got consecutive seqs after "first", in request order.
        QCOMPARE(intOf(replies.at(0).value(u"data"_s).toObject(), u"seq"_s), 2);
        QCOMPARE(intOf(replies.at(4).value(u"data"_s).toObject(), u"seq"_s), 3);
        QCOMPARE(intOf(replies.at(11).value(u"data"_s).toObject(), u"seq"_s), 4);
    }

    void idsComeBackVerbatimOnTheWire()
    {
        // The raw text of the reply, not just the parsed value: large integers must not turn
        // into exponent notation or lose digits.
        ServerProcess server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QWebSocket socket;
        QSignalSpy connected(&socket, &QWebSocket::connected);
        QStringList texts;
        connect(&socket, &QWebSocket::textMessageReceived, this, [&texts](const QString &t) { texts.append(t); });
        socket.open(server.wsUrl());
        QVERIFY(connected.wait(kWaitMs));
        const QStringList ids {u"4294967297"_s, u"9007199254740991"_s, u"-42"_s, u"0"_s, u"\"x y\""_s,
            u"9223372036854775807"_s, u"-9223372036854775808"_s};
        for (const QString &id : ids)
            socket.sendTextMessage(u"{\"type\":\"ping\",\"id\":%1}"_s.arg(id));
        QTRY_COMPARE_WITH_TIMEOUT(texts.size(), ids.size(), kWaitMs);
        for (qsizetype i = 0; i < ids.size(); ++i) {
            QVERIFY2(texts.at(i).contains(u"\"id\":%1"_s.arg(ids.at(i))), qPrintable(texts.at(i)));
            QVERIFY2(!texts.at(i).contains(u"\"success\""_s), qPrintable(texts.at(i)));
        }
        socket.close();
    }

    // Requests written right behind `auth` (before its reply) are answered after it, in order,
    // as an authenticated connection - or not_authenticated when the auth failed.
    void requestsPipelinedBehindAuthentication_data() { TestDatabase::backends(); }
    void requestsPipelinedBehindAuthentication()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        {
            IT_CONNECT(bobConnection, server, bob);
            IT_OK(waiting, bobConnection->sendTextTo(ann.id, u"for ann"_s));
        }
        const QList<QJsonObject> behind {
            {{u"type"_s, u"conversations"_s}, {u"id"_s, u"c"_s}},
            {{u"type"_s, u"message"_s}, {u"id"_s, u"m"_s}, {u"to"_s, double(bob.id)}, {u"content"_s, u"hi"_s}},
            {{u"type"_s, u"ping"_s}, {u"id"_s, u"p"_s}},
        };
        auto indexOf = [](const QList<QJsonObject> &frames, const QJsonValue &id, const QString &type) {
            for (qsizetype i = 0; i < frames.size(); ++i) {
                if ((id.isUndefined() || frames.at(i).value(u"id"_s) == id)
                    && frames.at(i).value(u"type"_s).toString() == type)
                    return i;
            }
            return qsizetype(-1);
        };
        for (const bool good : {true, false}) {
            ClientConnection connection;
            FrameLog frames(&connection);
            QSignalSpy connected(&connection, &ClientConnection::connected);
            connection.open(server.wsUrl());
            QVERIFY(connected.wait(kWaitMs));
            QVERIFY(connection.sendFrame(
                {{u"type"_s, u"auth"_s}, {u"id"_s, u"a"_s}, {u"token"_s, good ? ann.token : u"bad"_s}}));
            for (const QJsonObject &frame : behind)
                QVERIFY(connection.sendFrame(frame));
            QVERIFY(frames.waitFor([](const QJsonObject &f) { return f.value(u"id"_s) == QJsonValue(u"p"_s); }) >= 0);
            const QList<QJsonObject> &all = frames.frames();
            const qsizetype a = indexOf(all, u"a"_s, u"auth"_s);
            const qsizetype c = indexOf(all, u"c"_s, u"conversations"_s);
            const qsizetype m = indexOf(all, u"m"_s, u"message"_s);
            const qsizetype p = indexOf(all, u"p"_s, u"pong"_s);
            QVERIFY(a == 0);
            QVERIFY2(a < c && c < m && m < p, qPrintable(u"%1 %2 %3 %4"_s.arg(a).arg(c).arg(m).arg(p)));
            QCOMPARE(all.at(a).value(u"success"_s), QJsonValue(good));
            if (good) {
                const qsizetype synced = indexOf(all, QJsonValue(QJsonValue::Undefined), u"sync_complete"_s);
                QVERIFY2(synced > a && synced < c, qPrintable(QString::number(synced)));
                QCOMPARE(all.at(c).value(u"success"_s), QJsonValue(true));
                QCOMPARE(all.at(m).value(u"success"_s), QJsonValue(true));
            } else {
                QCOMPARE(errorCodeOf(all.at(a)), u"auth_failed"_s);
                QCOMPARE(errorCodeOf(all.at(c)), u"not_authenticated"_s);
                QCOMPARE(errorCodeOf(all.at(m)), u"not_authenticated"_s);
            }
        }

        // The same behind header authentication, on a raw socket that writes at once.
        QWebSocket socket;
        QStringList texts;
        connect(&socket, &QWebSocket::textMessageReceived, this, [&texts](const QString &t) { texts.append(t); });
        connect(&socket, &QWebSocket::connected, this, [&] {
            for (const QJsonObject &frame : behind)
                socket.sendTextMessage(compact(frame));
        });
        QNetworkRequest upgrade(server.wsUrl());
        upgrade.setRawHeader("Authorization", "Bearer " + ann.token.toLatin1());
        socket.open(upgrade);
        QTRY_VERIFY_WITH_TIMEOUT(!texts.isEmpty() && texts.last().contains(u"\"pong\""_s), kWaitMs);
        QList<QJsonObject> all;
        for (const QString &t : std::as_const(texts))
            all.append(QJsonDocument::fromJson(t.toUtf8()).object());
        QCOMPARE(all.first().value(u"type"_s).toString(), u"session"_s);
        const qsizetype synced = indexOf(all, QJsonValue(QJsonValue::Undefined), u"sync_complete"_s);
        const qsizetype c = indexOf(all, u"c"_s, u"conversations"_s);
        const qsizetype m = indexOf(all, u"m"_s, u"message"_s);
        const qsizetype p = indexOf(all, u"p"_s, u"pong"_s);
        QVERIFY2(0 < synced && synced < c && c < m && m < p, qPrintable(texts.join(u"\n"_s)));
        QCOMPARE(all.at(c).value(u"success"_s), QJsonValue(true));
        QCOMPARE(all.at(m).value(u"success"_s), QJsonValue(true));
        socket.close();
    }

    void framesWithoutUsableTypeAreBadRequest_data() { TestDatabase::backends(); }
    void framesWithoutUsableTypeAreBadRequest()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_CONNECT(connection, server, ann);
        FrameLog recorder(connection.get());

        // type missing or not a string, with an id: bad_request, type "error", id echoed.
        const QList<QPair<QString, QJsonValue>> cases {
            {u"{\"id\":5}"_s, 5.0},
            {u"{\"id\":\"s\",\"type\":5}"_s, u"s"_s},
            {u"{\"id\":6,\"type\":null}"_s, 6.0},
            {u"{\"id\":7,\"type\":[\"ping\"]}"_s, 7.0},
            {u"{\"id\":8,\"type\":{\"x\":1}}"_s, 8.0},
            {u"{\"id\":9,\"type\":true}"_s, 9.0},
        };
        for (const auto &[text, id] : cases) {
            const QJsonObject reply = recorder.rawError(text);
            QVERIFY2(!reply.isEmpty(), qPrintable(text));
            QCOMPARE(reply.value(u"success"_s), QJsonValue(false));
            QCOMPARE(errorCodeOf(reply), u"bad_request"_s);
            QVERIFY2(reply.value(u"id"_s) == id, qPrintable(text + u" -> "_s + compact(reply)));
        }
        // Without an id the error carries none.
        const QJsonObject noId = recorder.rawError(u"{\"hello\":1}"_s);
        QCOMPARE(errorCodeOf(noId), u"bad_request"_s);
        QVERIFY(!noId.contains(u"id"_s));

        // A request with an unknown type gets unknown_type under its own type and id.
        const QJsonObject unknown = recorder.roundTrip({{u"type"_s, u"no_such_thing"_s}, {u"id"_s, 11}});
        QCOMPARE(unknown.value(u"success"_s), QJsonValue(false));
        QCOMPARE(errorCodeOf(unknown), u"unknown_type"_s);
        QCOMPARE(unknown.value(u"error"_s).toObject().value(u"message"_s).toString(), u"Unknown message type"_s);
        IT_OK(pong, connection->ping());
        QVERIFY(server.isRunning());
    }

    void onlyAuthReconnectPingBeforeAuthentication_data() { TestDatabase::backends(); }
    void onlyAuthReconnectPingBeforeAuthentication()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        ClientConnection connection;
        QSignalSpy connected(&connection, &ClientConnection::connected);
        connection.open(server.wsUrl());
        QVERIFY(connected.wait(kWaitMs));

        const QList<QPair<QString, QJsonObject>> requests {
            {u"message"_s, {{u"to"_s, double(ann.id)}, {u"content"_s, u"x"_s}}},
            {u"history"_s, {{u"conversation_id"_s, 1}}}, {u"conversations"_s, {}},
            {u"typing"_s, {{u"conversation_id"_s, 1}}}, {u"received"_s, {{u"conversation_id"_s, 1}, {u"seq"_s, 1}}},
            {u"read"_s, {{u"conversation_id"_s, 1}, {u"seq"_s, 1}}}, {u"status"_s, {{u"status"_s, u"away"_s}}},
            {u"join"_s, {{u"room"_s, u"lobby"_s}}},
            {u"frobnicate"_s, {}}, // section 13: not_authenticated, not unknown_type
        };
        for (const auto &[type, fields] : requests) {
            PendingRequest *r = connection.request(type, fields);
            QVERIFY(waitForFinished(r));
            QVERIFY2(!r->isSuccess(), qPrintable(type));
            QVERIFY2(!r->reply().isEmpty(), qPrintable(type));
            QCOMPARE(r->reply().value(u"type"_s).toString(), type);
            QCOMPARE(r->reply().value(u"id"_s).toInteger(), r->id());
            SB_COMPARE_CODE(r->error().code, ErrorCode::NotAuthenticated);
        }
        IT_OK(pong, connection.ping());
        QCOMPARE(pong->data().value(u"type"_s).toString(), u"pong"_s);
        QCOMPARE(connection.state(), ClientConnection::State::Connected);

        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        IT_OK(auth, connection.authenticate(ann.token));
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        const QJsonObject data = auth->data();
        QCOMPARE(intOf(data.value(u"user"_s).toObject(), u"id"_s), ann.id);
        QVERIFY(!data.value(u"session_id"_s).toString().isEmpty());
        QVERIFY(!data.value(u"resume_token"_s).toString().isEmpty());
        QCOMPARE(data.value(u"heartbeat_interval"_s).toInt(), 30);
        const qint64 serverTime = intOf(data, u"server_time"_s);
        QVERIFY2(serverTime >= before - 1000 && serverTime <= after + 1000, qPrintable(QString::number(serverTime)));

        // Now the same unknown type is unknown_type, and a second auth is bad_request.
        IT_FAILS(connection.request(u"frobnicate"_s), UnknownType);
        IT_FAILS(connection.authenticate(ann.token), BadRequest);
        IT_FAILS(connection.request(u"reconnect"_s, {{u"token"_s, u"whatever"_s}}), BadRequest);
        IT_OK(list, connection.conversations());
    }

    void fieldTypesAreCheckedBeforeLookups_data() { TestDatabase::backends(); }
    void fieldTypesAreCheckedBeforeLookups()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, noRateLimit()); // many sends: keep the token bucket away
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_GUEST(eve, server, "Eve");
        IT_CONNECT(annConnection, server, ann);
        IT_CONNECT(eveConnection, server, eve);
        IT_OK(first, annConnection->sendTextTo(bob.id, u"hi"_s));
        const double cid = first->data().value(u"conversation_id"_s).toDouble();
        const double missing = 987654321.0;

        // Entity ids that are not positive safe integers, numeric strings (never coerced),
        // other JSON types: bad_request, even where the entity would not exist.
        const QList<QJsonValue> badIds {u"1"_s, QString::number(qint64(cid)), 0.0, -1.0, 1.5, 9007199254740992.0, 1e300,
            true, QJsonArray {1}, QJsonObject {{u"id"_s, 1}}};
        for (const QJsonValue &bad : badIds) {
            const QString what = compact(QJsonObject {{u"v"_s, bad}});
            PendingRequest *r = eveConnection->request(u"history"_s, {{u"conversation_id"_s, bad}});
            QVERIFY(waitForFinished(r));
            QVERIFY2(!r->isSuccess(), qPrintable(what));
            SB_COMPARE_CODE(r->error().code, ErrorCode::BadRequest);
            r = eveConnection->request(u"message"_s, {{u"to"_s, bad}, {u"content"_s, u"x"_s}});
            QVERIFY(waitForFinished(r));
            SB_COMPARE_CODE(r->error().code, ErrorCode::BadRequest);
            r = eveConnection->request(u"message"_s, {{u"conversation_id"_s, bad}, {u"content"_s, u"x"_s}});
            QVERIFY(waitForFinished(r));
            SB_COMPARE_CODE(r->error().code, ErrorCode::BadRequest);
            r = eveConnection->request(u"read"_s, {{u"conversation_id"_s, bad}, {u"seq"_s, 1}});
            QVERIFY(waitForFinished(r));
            SB_COMPARE_CODE(r->error().code, ErrorCode::BadRequest);
        }
        // Wrong type beats not_found and forbidden.
        IT_FAILS(
            eveConnection->request(u"message"_s, {{u"conversation_id"_s, missing}, {u"content"_s, 5}}), BadRequest);
        IT_FAILS(eveConnection->request(u"message"_s, {{u"conversation_id"_s, cid}, {u"content"_s, true}}), BadRequest);
        IT_FAILS(eveConnection->request(
                     u"message"_s, {{u"conversation_id"_s, cid}, {u"content"_s, u"x"_s}, {u"client_msg_id"_s, 17}}),
            BadRequest);
        IT_FAILS(
            eveConnection->request(u"history"_s, {{u"conversation_id"_s, cid}, {u"limit"_s, u"10"_s}}), BadRequest);
        IT_FAILS(eveConnection->request(u"history"_s, {{u"conversation_id"_s, missing}, {u"before_seq"_s, u"3"_s}}),
            BadRequest);
        IT_FAILS(eveConnection->request(u"read"_s, {{u"conversation_id"_s, cid}, {u"seq"_s, u"1"_s}}), BadRequest);
        IT_FAILS(eveConnection->request(u"received"_s, {{u"conversation_id"_s, missing}, {u"seq"_s, -1}}), BadRequest);
        // Missing required fields.
        IT_FAILS(eveConnection->request(u"history"_s), BadRequest);
        IT_FAILS(eveConnection->request(u"read"_s, {{u"conversation_id"_s, cid}}), BadRequest);
        IT_FAILS(eveConnection->request(u"message"_s, {{u"content"_s, u"x"_s}}), BadRequest);
        IT_FAILS(eveConnection->request(u"message"_s, {{u"to"_s, double(bob.id)}}), BadRequest);
        IT_FAILS(eveConnection->request(
                     u"message"_s, {{u"to"_s, double(bob.id)}, {u"conversation_id"_s, cid}, {u"content"_s, u"x"_s}}),
            BadRequest);
        IT_FAILS(eveConnection->request(u"auth"_s), BadRequest);

        // Well-typed: now the lookups decide.
        IT_FAILS(eveConnection->request(u"history"_s, {{u"conversation_id"_s, missing}}), NotFound);
        IT_FAILS(eveConnection->request(u"history"_s, {{u"conversation_id"_s, cid}}), Forbidden);
        IT_FAILS(eveConnection->sendText(qint64(cid), u"intrusion"_s), Forbidden);
        IT_FAILS(eveConnection->sendText(qint64(missing), u"void"_s), NotFound);
        IT_FAILS(eveConnection->sendTextTo(qint64(missing), u"nobody"_s), NotFound);
        IT_FAILS(eveConnection->markRead(qint64(cid), 1), Forbidden);
        IT_FAILS(eveConnection->markReceived(qint64(missing), 1), NotFound);
        IT_FAILS(eveConnection->sendTyping(qint64(cid)), Forbidden);
        IT_FAILS(eveConnection->sendTyping(qint64(missing)), NotFound);

        // Nothing of that reached the conversation.
        IT_OK(history, annConnection->history(qint64(cid)));
        QCOMPARE(history->data().value(u"messages"_s).toArray().size(), 1);
        IT_OK(pong, eveConnection->ping());
    }

    void successRepliesAndEventsHaveTheirShape_data() { TestDatabase::backends(); }
    void successRepliesAndEventsHaveTheirShape()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, {});
        IT_GUEST(ann, server, "Ann");
        IT_GUEST(bob, server, "Bob");
        IT_CONNECT(annConnection, server, ann);
        IT_CONNECT(bobConnection, server, bob);
        FrameLog bobFrames(bobConnection.get());
        // Section 1: every frame from the server is a JSON object in a text frame (the client
        // reports anything else through errorOccurred).
        QSignalSpy annOddFrames(annConnection.get(), &ClientConnection::errorOccurred);
        QSignalSpy bobOddFrames(bobConnection.get(), &ClientConnection::errorOccurred);

        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        IT_OK(sent, annConnection->sendTextTo(bob.id, u"shape"_s));
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        const QJsonObject data = sent->data();
        for (const char *key : {"message_id", "conversation_id", "seq", "timestamp", "duplicate"})
            QVERIFY2(data.contains(QLatin1StringView(key)), key);
        QCOMPARE(data.value(u"duplicate"_s), QJsonValue(false));
        QVERIFY(intOf(data, u"message_id"_s) > 0);
        QVERIFY(intOf(data, u"conversation_id"_s) > 0);
        const qint64 timestamp = intOf(data, u"timestamp"_s);
        QVERIFY2(timestamp >= before - 1000 && timestamp <= after + 1000, qPrintable(QString::number(timestamp)));
        const qint64 cid = intOf(data, u"conversation_id"_s);

        // Every request answers with a data object, the fire-and-forget kinds included.
        const QList<QPair<QString, QJsonObject>> requests {
            {u"typing"_s, {{u"conversation_id"_s, double(cid)}}},
            {u"received"_s, {{u"conversation_id"_s, double(cid)}, {u"seq"_s, 1}}},
            {u"read"_s, {{u"conversation_id"_s, double(cid)}, {u"seq"_s, 1}}},
            {u"status"_s, {{u"status"_s, u"away"_s}}},
            {u"join"_s, {{u"room"_s, u"lobby"_s}}},
            {u"leave"_s, {{u"room"_s, u"lobby"_s}}},
            {u"conversations"_s, {}},
            {u"history"_s, {{u"conversation_id"_s, double(cid)}}},
        };
        for (const auto &[type, fields] : requests) {
            PendingRequest *r = bobConnection->request(type, fields);
            QVERIFY(waitForFinished(r));
            QVERIFY2(r->isSuccess(), qPrintable(describeRequest(r)));
            QCOMPARE(r->reply().value(u"success"_s), QJsonValue(true));
            QVERIFY2(r->reply().value(u"data"_s).isObject(), qPrintable(type));
        }

        // Events pushed to bob: never an id, never success.
        QVERIFY(bobFrames.waitFor([](const QJsonObject &f) {
            return f.value(u"type"_s) == QJsonValue(u"new_message"_s);
        }) >= 0);
        IT_OK(typing, annConnection->sendTyping(cid));
        QVERIFY(
            bobFrames.waitFor([](const QJsonObject &f) { return f.value(u"type"_s) == QJsonValue(u"typing"_s); }) >= 0);
        IT_OK(read, bobConnection->markRead(cid, 1));
        FrameLog annFrames(annConnection.get());
        IT_OK(annRead, annConnection->markRead(cid, 1)); // her own message: read_seq still moves
        QVERIFY(bobFrames.waitFor([](const QJsonObject &f) { return f.value(u"type"_s) == QJsonValue(u"receipt"_s); })
            >= 0);
        const QStringList eventTypes {u"new_message"_s, u"typing"_s, u"receipt"_s};
        int events = 0;
        for (const QJsonObject &f : bobFrames.frames()) {
            if (!eventTypes.contains(f.value(u"type"_s).toString()) || f.contains(u"data"_s))
                continue;
            ++events;
            QVERIFY2(!f.contains(u"id"_s), qPrintable(compact(f)));
            QVERIFY2(!f.contains(u"success"_s), qPrintable(compact(f)));
        }
        QVERIFY(events >= 3);
        const QJsonObject message = bobFrames.ofType(u"new_message"_s).first().value(u"message"_s).toObject();
        for (const char *key : {"id", "conversation_id", "seq", "sender_id", "type", "content", "attachment",
                 "client_msg_id", "created_at"})
            QVERIFY2(message.contains(QLatin1StringView(key)), key);
        QCOMPARE(intOf(message, u"id"_s), intOf(data, u"message_id"_s));
        QCOMPARE(intOf(message, u"created_at"_s), timestamp);
        QCOMPARE(message.value(u"attachment"_s), QJsonValue(QJsonValue::Null));
        QCOMPARE(message.value(u"client_msg_id"_s), QJsonValue(QJsonValue::Null));
        QCOMPARE(message.value(u"type"_s).toString(), u"text"_s);
        QCOMPARE(intOf(message, u"sender_id"_s), ann.id);
        QCOMPARE(annOddFrames.size(), 0);
        QCOMPARE(bobOddFrames.size(), 0);
    }

    // Section 2 close codes not covered elsewhere: 4008 after heartbeat_timeout of silence;
    // any frame, WebSocket pings included, counts as activity.
    void heartbeatTimeoutCloses4008_data() { TestDatabase::backends(); }
    void heartbeatTimeoutCloses4008()
    {
        SB_TEST_DATABASE_FROM_ROW(db);
        IT_START_SERVER(server, db, (QMap<QString, QString> {{u"heartbeat_timeout"_s, u"2"_s}}));
        IT_GUEST(ann, server, "Ann");
        IT_CONNECT(silent, server, ann);
        IT_CONNECT(pinging, server, ann);
        IT_CONNECT(talking, server, ann);
        QSignalSpy silentClosed(silent.get(), &ClientConnection::disconnected);
        QSignalSpy pingingClosed(pinging.get(), &ClientConnection::disconnected);
        QSignalSpy talkingClosed(talking.get(), &ClientConnection::disconnected);
        // Activity generators (not synchronisation): a WebSocket ping / a JSON ping every 250 ms.
        QTimer activity;
        connect(&activity, &QTimer::timeout, this, [&] {
            pinging->sendWebSocketPing();
            talking->ping()->setAutoDelete(true);
        });
        activity.start(250);
        QTRY_COMPARE_WITH_TIMEOUT(silentClosed.size(), 1, 8000);
        QCOMPARE(silent->closeCode(), 4008);
        QVERIFY(!pingingClosed.wait(2500));
        QCOMPARE(pingingClosed.size(), 0);
        QCOMPARE(talkingClosed.size(), 0);
        activity.stop();
        QTRY_COMPARE_WITH_TIMEOUT(pingingClosed.size(), 1, 8000);
        QCOMPARE(pinging->closeCode(), 4008);
    }
};

QTEST_GUILESS_MAIN(TestEnvelope)
#include "tst_envelope.moc"
