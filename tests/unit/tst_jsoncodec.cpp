#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include "shared/protocol/jsoncodec.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

Q_DECLARE_METATYPE(Switchboard::ErrorCode)

// JsonCodec is the one definition of the wire shape (PROTOCOL.md sections 2-5): every value
// type is checked against golden JSON in tests/data/protocol in both directions.
class TestJsonCodec : public QObject
{
    Q_OBJECT

private:
    static QJsonObject golden(const QString &name)
    {
        QFile file(QStringLiteral(SB_TEST_DATA_DIR "/protocol/") + name);
        if (!file.open(QIODevice::ReadOnly)) {
            qWarning() << "cannot open" << file.fileName();
            return {};
        }
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
        if (!doc.isObject())
            qWarning() << file.fileName() << error.errorString();
        return doc.object();
    }

    static ChatMessage textMessage()
    {
        ChatMessage m;
        m.id = 981;
        m.conversationId = 44;
        m.seq = 17;
        m.senderId = 12;
        m.type = u"text"_s;
        m.content = u"hello"_s;
        m.clientMsgId = u"a1b2"_s;
        m.createdAt = 1763900000456;
        return m;
    }

    static void compareMessages(const ChatMessage &actual, const ChatMessage &expected)
    {
        QCOMPARE(actual.id, expected.id);
        QCOMPARE(actual.conversationId, expected.conversationId);
        QCOMPARE(actual.seq, expected.seq);
        QCOMPARE(actual.senderId, expected.senderId);
        QCOMPARE(actual.type, expected.type);
        QCOMPARE(actual.content, expected.content);
        QCOMPARE(actual.attachment, expected.attachment);
        QCOMPARE(actual.clientMsgId, expected.clientMsgId);
        QCOMPARE(actual.clientMsgId.isNull(), expected.clientMsgId.isNull());
        QCOMPARE(actual.createdAt, expected.createdAt);
    }

private slots:
    void userGolden()
    {
        UserInfo user {12, u"ann"_s, u"Ann"_s, u"user"_s};
        QCOMPARE(JsonCodec::encode(user), golden(u"user.json"_s));

        const auto decoded = JsonCodec::decodeUser(golden(u"user.json"_s));
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->id, 12);
        QCOMPARE(decoded->username, u"ann"_s);
        QCOMPARE(decoded->displayName, u"Ann"_s);
        QCOMPARE(decoded->role, u"user"_s);
    }

    void userNeverCarriesPasswordMaterial()
    {
        const QJsonObject o = JsonCodec::encode(UserInfo {1, u"a"_s, u"A"_s, u"admin"_s});
        QCOMPARE(o.keys(), (QStringList {u"display_name"_s, u"id"_s, u"role"_s, u"username"_s}));
    }

    void userDecodeRejectsMalformed_data()
    {
        QTest::addColumn<QJsonObject>("object");
        QTest::addRow("empty") << QJsonObject();
        QTest::addRow("id as string") << QJsonObject {{u"id"_s, u"12"_s}, {u"username"_s, u"ann"_s}};
        QTest::addRow("no username") << QJsonObject {{u"id"_s, 12}};
    }

    void userDecodeRejectsMalformed()
    {
        QFETCH(QJsonObject, object);
        const auto decoded = JsonCodec::decodeUser(object);
        QVERIFY(!decoded.ok());
        SB_COMPARE_CODE(decoded.error().code, ErrorCode::BadRequest);
    }

    void textMessageGolden()
    {
        const ChatMessage m = textMessage();
        QCOMPARE(JsonCodec::encode(m), golden(u"message_text.json"_s));

        const auto decoded = JsonCodec::decodeMessage(golden(u"message_text.json"_s));
        QVERIFY(decoded.ok());
        compareMessages(decoded.value(), m);
    }

    void imageMessageWithAttachmentAndNullClientMsgId()
    {
        const QJsonObject json = golden(u"message_image.json"_s);
        const auto decoded = JsonCodec::decodeMessage(json);
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->type, u"image"_s);
        QCOMPARE(decoded->attachment.value(u"file_id"_s).toInt(), 7);
        QCOMPARE(decoded->attachment.value(u"mime"_s).toString(), u"image/png"_s);
        QVERIFY(decoded->clientMsgId.isNull());
        QCOMPARE(JsonCodec::encode(decoded.value()), json);
    }

    void nullAttachmentAndClientMsgIdAreJsonNull()
    {
        ChatMessage m = textMessage();
        m.clientMsgId = QString();
        const QJsonObject o = JsonCodec::encode(m);
        QVERIFY(o.contains(u"attachment"_s));
        QVERIFY(o.value(u"attachment"_s).isNull());
        QVERIFY(o.contains(u"client_msg_id"_s));
        QVERIFY(o.value(u"client_msg_id"_s).isNull());

        const auto back = JsonCodec::decodeMessage(o);
        QVERIFY(back.ok());
        QVERIFY(back->attachment.isEmpty());
        QVERIFY(back->clientMsgId.isNull());
    }

    void messageRoundTripKeepsLargeSafeIds()
    {
        ChatMessage m = textMessage();
        m.id = 9007199254740991; // 2^53 - 1, the largest id a JSON double holds exactly
        m.seq = 4294967297; // above 32 bits
        const auto back = JsonCodec::decodeMessage(JsonCodec::encode(m));
        QVERIFY(back.ok());
        compareMessages(back.value(), m);
    }

    void messageRoundTripUnicode()
    {
        ChatMessage m = textMessage();
        m.content = u"你好 😀 \"quoted\" \\ \n\t\u0001"_s;
        const QByteArray wire = JsonCodec::serialize(JsonCodec::encode(m));
        const auto back = JsonCodec::decodeMessage(QJsonDocument::fromJson(wire).object());
        QVERIFY(back.ok());
        QCOMPARE(back->content, m.content);
    }

    void messageDecodeRejectsMalformed_data()
    {
        QTest::addColumn<QJsonObject>("object");
        const QJsonObject good = golden(u"message_text.json"_s);
        QTest::addRow("empty") << QJsonObject();
        for (const QString &key : {u"id"_s, u"conversation_id"_s, u"seq"_s}) {
            QJsonObject missing = good;
            missing.remove(key);
            QTest::addRow("no %s", qPrintable(key)) << missing;
            QJsonObject asString = good;
            asString.insert(key, u"17"_s);
            QTest::addRow("%s as string", qPrintable(key)) << asString;
        }
    }

    void messageDecodeRejectsMalformed()
    {
        QFETCH(QJsonObject, object);
        const auto decoded = JsonCodec::decodeMessage(object);
        QVERIFY(!decoded.ok());
        SB_COMPARE_CODE(decoded.error().code, ErrorCode::BadRequest);
    }

    void privateConversationGolden()
    {
        ConversationInfo c;
        c.id = 44;
        c.type = u"private"_s;
        c.participants = {12, 13};
        c.lastSeq = 17;
        c.readSeq = 15;
        c.deliveredSeq = 16;
        c.unread = 2;
        ChatMessage last = textMessage();
        last.senderId = 13;
        last.clientMsgId = QString();
        c.lastMessage = last;
        QCOMPARE(JsonCodec::encode(c), golden(u"conversation.json"_s));

        const auto decoded = JsonCodec::decodeConversation(golden(u"conversation.json"_s));
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->id, 44);
        QCOMPARE(decoded->type, u"private"_s);
        QVERIFY(decoded->title.isNull());
        QCOMPARE(decoded->participants, (QList<qint64> {12, 13}));
        QCOMPARE(decoded->lastSeq, 17);
        QCOMPARE(decoded->readSeq, 15);
        QCOMPARE(decoded->deliveredSeq, 16);
        QCOMPARE(decoded->unread, 2);
        QVERIFY(decoded->lastMessage.has_value());
        compareMessages(*decoded->lastMessage, last);
    }

    void groupConversationWithoutLastMessage()
    {
        const QJsonObject json = golden(u"conversation_group.json"_s);
        const auto decoded = JsonCodec::decodeConversation(json);
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->title, u"Team"_s);
        QVERIFY(!decoded->lastMessage.has_value());
        QCOMPARE(JsonCodec::encode(decoded.value()), json);
    }

    void conversationDecodeRejectsMissingId()
    {
        const auto decoded = JsonCodec::decodeConversation({{u"type"_s, u"group"_s}});
        QVERIFY(!decoded.ok());
        SB_COMPARE_CODE(decoded.error().code, ErrorCode::BadRequest);
    }

    void errorWithRetryAfterGolden()
    {
        ProtocolError e = ProtocolError::make(ErrorCode::RateLimited, u"Too many messages"_s);
        e.retryAfterMs = 1500;
        QCOMPARE(JsonCodec::encode(e), golden(u"error_rate_limited.json"_s));

        const ProtocolError back = JsonCodec::decodeError(golden(u"error_rate_limited.json"_s));
        SB_COMPARE_CODE(back.code, ErrorCode::RateLimited);
        QCOMPARE(back.message, u"Too many messages"_s);
        QCOMPARE(back.retryAfterMs, 1500);
    }

    void errorWithoutRetryAfter()
    {
        const QJsonObject o = JsonCodec::encode(ProtocolError::make(ErrorCode::NotFound, u"No such user"_s));
        QVERIFY(!o.contains(u"retry_after_ms"_s));
        QCOMPARE(JsonCodec::decodeError(o).retryAfterMs, -1);
    }

    void everyErrorCodeRoundTrips_data()
    {
        QTest::addColumn<ErrorCode>("code");
        QTest::addColumn<QString>("wire");
        QTest::addRow("bad_request") << ErrorCode::BadRequest << u"bad_request"_s;
        QTest::addRow("unknown_type") << ErrorCode::UnknownType << u"unknown_type"_s;
        QTest::addRow("not_authenticated") << ErrorCode::NotAuthenticated << u"not_authenticated"_s;
        QTest::addRow("auth_failed") << ErrorCode::AuthFailed << u"auth_failed"_s;
        QTest::addRow("forbidden") << ErrorCode::Forbidden << u"forbidden"_s;
        QTest::addRow("not_found") << ErrorCode::NotFound << u"not_found"_s;
        QTest::addRow("validation_failed") << ErrorCode::ValidationFailed << u"validation_failed"_s;
        QTest::addRow("rate_limited") << ErrorCode::RateLimited << u"rate_limited"_s;
        QTest::addRow("limit_exceeded") << ErrorCode::LimitExceeded << u"limit_exceeded"_s;
        QTest::addRow("conflict") << ErrorCode::Conflict << u"conflict"_s;
        QTest::addRow("too_large") << ErrorCode::TooLarge << u"too_large"_s;
        QTest::addRow("unavailable") << ErrorCode::Unavailable << u"unavailable"_s;
        QTest::addRow("internal") << ErrorCode::Internal << u"internal"_s;
    }

    void everyErrorCodeRoundTrips()
    {
        QFETCH(ErrorCode, code);
        QFETCH(QString, wire);
        QCOMPARE(toString(code), wire);
        ErrorCode parsed = ErrorCode::Internal;
        QVERIFY(errorCodeFromString(wire, &parsed));
        SB_COMPARE_CODE(parsed, code);
        SB_COMPARE_CODE(JsonCodec::decodeError(JsonCodec::encode(ProtocolError::make(code, u"m"_s))).code, code);
    }

    void unknownErrorCodeDecodesAsInternal()
    {
        ErrorCode parsed = ErrorCode::BadRequest;
        QVERIFY(!errorCodeFromString(u"no_such_code", &parsed));
        const ProtocolError e = JsonCodec::decodeError({{u"code"_s, u"no_such_code"_s}, {u"message"_s, u"x"_s}});
        SB_COMPARE_CODE(e.code, ErrorCode::Internal);
        QCOMPARE(e.message, u"x"_s);
    }

    void successReplyGolden()
    {
        const QJsonObject data {{u"message_id"_s, 981}, {u"conversation_id"_s, 44}, {u"seq"_s, 17},
            {u"timestamp"_s, 1763900000456.0}, {u"duplicate"_s, false}};
        QCOMPARE(JsonCodec::successReply(u"message"_s, QJsonValue(5), data), golden(u"reply_success.json"_s));
    }

    void errorReplyGoldenEchoesStringId()
    {
        const ProtocolError e = ProtocolError::make(ErrorCode::ValidationFailed, u"Message content cannot be empty"_s);
        QCOMPARE(JsonCodec::errorReply(u"message"_s, QJsonValue(u"req-7"_s), e), golden(u"reply_error.json"_s));
    }

    void replyIdsEchoedExactly_data()
    {
        QTest::addColumn<QJsonValue>("id");
        QTest::addRow("zero") << QJsonValue(0);
        QTest::addRow("negative") << QJsonValue(-42);
        QTest::addRow("large") << QJsonValue(9007199254740991.0);
        QTest::addRow("fraction") << QJsonValue(1.5);
        QTest::addRow("string") << QJsonValue(u"abc"_s);
        QTest::addRow("empty string") << QJsonValue(u""_s);
    }

    void replyIdsEchoedExactly()
    {
        QFETCH(QJsonValue, id);
        const QJsonObject reply = JsonCodec::successReply(u"ping"_s, id, {});
        QCOMPARE(reply.value(u"id"_s), id);
        // Through the wire as well, not only in memory.
        const QJsonObject parsed = QJsonDocument::fromJson(JsonCodec::serialize(reply)).object();
        QCOMPARE(parsed.value(u"id"_s), id);
        QCOMPARE(parsed.value(u"data"_s).toObject(), QJsonObject());
    }

    void replyWithoutIdHasNoIdKey()
    {
        const QJsonObject reply = JsonCodec::errorReply(u"error"_s, QJsonValue(QJsonValue::Undefined),
            ProtocolError::make(ErrorCode::BadRequest, u"Frame is not a JSON object"_s));
        QVERIFY(!reply.contains(u"id"_s));
        QCOMPARE(reply.value(u"success"_s), QJsonValue(false));
    }

    void serializeIsCompactUtf8()
    {
        const QByteArray wire = JsonCodec::serialize({{u"type"_s, u"message"_s}, {u"content"_s, u"é"_s}});
        QVERIFY(!wire.contains('\n'));
        QVERIFY(!wire.contains(' '));
        QVERIFY(wire.contains("\xc3\xa9")); // raw UTF-8, not \u escapes
    }
};

QTEST_GUILESS_MAIN(TestJsonCodec)
#include "tst_jsoncodec.moc"
