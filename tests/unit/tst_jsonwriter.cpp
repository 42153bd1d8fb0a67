#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <cmath>
#include <limits>

#include "shared/client/metatypes.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/jsonwriter.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

// JsonWriter writes the hot-path frames without a QJsonObject in between. Whatever it writes must
// parse to exactly the value Qt's own serialisation of the same object gives (clients cannot tell
// which path produced a frame), and it must be valid JSON for any text, including text that is not
// valid UTF-16.
class TestJsonWriter : public QObject
{
    Q_OBJECT

private:
    static QJsonObject parse(const QByteArray &json)
    {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            qWarning() << "not a JSON object:" << json << error.errorString();
            return {};
        }
        return doc.object();
    }

    static QByteArray objectWithString(const QString &text)
    {
        JsonWriter w;
        w.beginObject().key("s").value(text).endObject();
        return w.take();
    }

private slots:
    void strings_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << QString(u""_s);
        QTest::newRow("ascii") << u"hello, world"_s;
        QTest::newRow("quotes and backslashes") << u"say \"hi\" \\ back\\slash \\\"x\\\""_s;
        QString controls;
        for (char16_t c = 0; c < 0x20; ++c)
            controls.append(QChar(c));
        controls.append(QChar(0x7f));
        QTest::newRow("every control character, DEL") << controls;
        QTest::newRow("NUL inside") << QString::fromUtf16(u"a\0b", 3);
        QTest::newRow("two-byte UTF-8") << u"Grüße, ½ ©"_s;
        QTest::newRow("CJK") << u"你好，世界"_s;
        QTest::newRow("emoji (surrogate pairs)") << u"😀 👍🏽 🇨🇳"_s;
        QTest::newRow("right-to-left") << u"\u202Eשלום مرحبا"_s;
        QTest::newRow("noncharacters") << QString::fromUtf16(u"\uFFFE\uFFFF\uFDD0", 3);
        QTest::newRow("SQL and markup") << u"'; DROP TABLE messages; -- <script>alert(1)</script>"_s;
        QTest::newRow("line separators") << u"a\u2028b\u2029c"_s;
    }

    void strings()
    {
        QFETCH(QString, text);
        const QByteArray json = objectWithString(text);
        const QJsonObject parsed = parse(json);
        QCOMPARE(parsed.value(u"s"_s).toString(), text);
        // Byte for byte what Qt writes for the same object (same escapes, same UTF-8).
        QCOMPARE(json, QJsonDocument(QJsonObject {{u"s"_s, text}}).toJson(QJsonDocument::Compact));
    }

    void loneSurrogatesAreEscapedAsQtDoes()
    {
        const QString text = QString::fromUtf16(u"a\xD800"
                                                u"b\xDC00"
                                                u"c\xD83D",
            6);
        const QByteArray json = objectWithString(text);
        QVERIFY(QString::fromUtf8(json).toUtf8() == json); // valid UTF-8 (the surrogates are escaped)
        QCOMPARE(json, QJsonDocument(QJsonObject {{u"s"_s, text}}).toJson(QJsonDocument::Compact));
        QCOMPARE(parse(json).value(u"s"_s).toString(), text); // parses back to the same string
    }

    void largeIntegersStayExact()
    {
        const qint64 big = (qint64(1) << 60) + 7;
        JsonWriter w;
        w.beginObject()
            .key("half")
            .value(QJsonValue(0.5))
            .key("v")
            .value(QJsonValue(big))
            .key("zero")
            .value(QJsonValue(0))
            .endObject();
        const QByteArray json = w.take();
        QCOMPARE(json,
            QJsonDocument(QJsonObject {{u"v"_s, big}, {u"zero"_s, 0}, {u"half"_s, 0.5}})
                .toJson(QJsonDocument::Compact));
    }

    void numbers_data()
    {
        QTest::addColumn<double>("number");
        QTest::newRow("zero") << 0.0;
        QTest::newRow("negative") << -42.0;
        QTest::newRow("large id") << 9007199254740991.0;
        QTest::newRow("2^53") << 9007199254740992.0;
        QTest::newRow("fraction") << 0.1;
        QTest::newRow("tiny") << 5e-324;
        QTest::newRow("huge") << 1e300;
    }

    void numbers()
    {
        QFETCH(double, number);
        JsonWriter w;
        w.beginObject().key("n").value(number).key("v").value(QJsonValue(number)).endObject();
        const QByteArray json = w.take();
        const QJsonObject parsed = parse(json);
        QCOMPARE(parsed.value(u"n"_s).toDouble(), number);
        QCOMPARE(parsed.value(u"v"_s).toDouble(), number);
        QCOMPARE(json, QJsonDocument(QJsonObject {{u"n"_s, number}, {u"v"_s, number}}).toJson(QJsonDocument::Compact));
    }

    void integersAndNonFiniteNumbers()
    {
        JsonWriter w;
        w.beginObject()
            .key("max")
            .value(std::numeric_limits<qint64>::max())
            .key("min")
            .value(std::numeric_limits<qint64>::min())
            .key("nan")
            .value(std::nan(""))
            .key("inf")
            .value(std::numeric_limits<double>::infinity())
            .endObject();
        const QByteArray json = w.take();
        QVERIFY(json.contains("\"max\":9223372036854775807"));
        QVERIFY(json.contains("\"min\":-9223372036854775808"));
        const QJsonObject parsed = parse(json);
        QVERIFY(parsed.value(u"nan"_s).isNull());
        QVERIFY(parsed.value(u"inf"_s).isNull());
    }

    void nestedValuesAndSeparators()
    {
        const QJsonObject nested {{u"a"_s, QJsonArray {1, u"two"_s, true, QJsonValue(), QJsonObject {{u"x"_s, 1.5}}}},
            {u"b"_s, QJsonObject {}}, {u"c"_s, QJsonArray {}}, {u"key \"quoted\""_s, u"v"_s}};
        JsonWriter w;
        w.beginObject().key("first").value(true).key("nested").value(QJsonValue(nested)).key("last").nullValue();
        w.key("list").beginArray().value(qint64(1)).value(u"x"_s).beginObject().endObject().endArray();
        w.key("empty").stringOrNull(u""_s).key("null").stringOrNull(QString()).endObject();
        const QJsonObject parsed = parse(w.take());
        QCOMPARE(parsed.value(u"first"_s), QJsonValue(true));
        QCOMPARE(parsed.value(u"nested"_s).toObject(), nested);
        QVERIFY(parsed.value(u"last"_s).isNull());
        QCOMPARE(parsed.value(u"list"_s).toArray(), (QJsonArray {1, u"x"_s, QJsonObject {}}));
        QCOMPARE(parsed.value(u"empty"_s), QJsonValue(u""_s));
        QVERIFY(parsed.value(u"null"_s).isNull());
        QCOMPARE(parsed.size(), 6);
    }

    void takeResets()
    {
        JsonWriter w;
        w.beginObject().key("a").value(qint64(1)).endObject();
        QCOMPARE(w.take(), QByteArray(R"({"a":1})"));
        w.beginObject().key("b").value(qint64(2)).endObject();
        QCOMPARE(w.take(), QByteArray(R"({"b":2})"));
    }

    void growsPastItsReserve()
    {
        // A tiny reserve: every kind of value has to grow the buffer somewhere along the way, and
        // what was written before must survive each growth.
        JsonWriter w(1);
        QJsonObject expected;
        w.beginObject();
        QString worst; // lone surrogates: the six-byte worst case per character
        for (int i = 0; i < 3000; ++i)
            worst.append(QChar(char16_t(0xd800 + i % 64)));
        for (int i = 0; i < 200; ++i) {
            const QByteArray key = "k" + QByteArray::number(i);
            const QString text = i % 50 == 0 ? worst : u"v\u00e9\u4e2d\"\n%1"_s.arg(i);
            w.key(QLatin1StringView(key)).value(text);
            expected.insert(QString::fromLatin1(key), text);
            if (i == 100)
                QVERIFY(w.bytes().startsWith("{\"k0\":\""));
        }
        w.key("n").value(std::numeric_limits<qint64>::min()).endObject();
        expected.insert(u"n"_s, std::numeric_limits<qint64>::min());
        const QByteArray out = w.take();
        QCOMPARE(parse(out), expected);
        QVERIFY(w.take().isEmpty());
    }

    void replyFramesMatchTheCodec_data()
    {
        QTest::addColumn<QJsonValue>("id");
        QTest::newRow("no id") << QJsonValue(QJsonValue::Undefined);
        QTest::newRow("number id") << QJsonValue(17);
        QTest::newRow("string id") << QJsonValue(u"req-\"1\"-ü"_s);
        QTest::newRow("null id") << QJsonValue(QJsonValue::Null);
        QTest::newRow("object id") << QJsonValue(QJsonObject {{u"k"_s, QJsonArray {1, 2}}});
        QTest::newRow("fractional id") << QJsonValue(1.25);
    }

    void replyFramesMatchTheCodec()
    {
        QFETCH(QJsonValue, id);
        const QJsonObject data {
            {u"message_id"_s, 12.0}, {u"seq"_s, 3.0}, {u"duplicate"_s, false}, {u"text"_s, u"a\"b\n😀"_s}};
        QCOMPARE(parse(JsonCodec::serializeSuccessReply(u"send_message"_s, id, data)),
            JsonCodec::successReply(u"send_message"_s, id, data));
        const ProtocolError error = ProtocolError::make(ErrorCode::RateLimited, u"Slow down \"now\""_s);
        QCOMPARE(parse(JsonCodec::serializeErrorReply(u"send_message"_s, id, error)),
            JsonCodec::errorReply(u"send_message"_s, id, error));
        // The send reply, written from the receipt: large ids and timestamps stay exact.
        for (const SendReceipt &receipt : {SendReceipt {1, 2, 3, 1763900000456, false},
                 SendReceipt {(qint64(1) << 53) - 1, 9007199254740000, 0, 0, true}}) {
            const QJsonObject viaWriter = parse(JsonCodec::serializeSendReply(u"message"_s, id, receipt));
            QCOMPARE(viaWriter, JsonCodec::successReply(u"message"_s, id, JsonCodec::encode(receipt)));
            const QJsonObject data = viaWriter.value(u"data"_s).toObject();
            QCOMPARE(data.value(u"message_id"_s).toInteger(), receipt.messageId);
            QCOMPARE(data.value(u"conversation_id"_s).toInteger(), receipt.conversationId);
            QCOMPARE(data.value(u"seq"_s).toInteger(), receipt.seq);
            QCOMPARE(data.value(u"timestamp"_s).toInteger(), receipt.timestamp);
            QCOMPARE(data.value(u"duplicate"_s).toBool(), receipt.duplicate);
            QCOMPARE(data.size(), 5);
        }
    }

    void newMessageFrameMatchesTheCodec_data()
    {
        QTest::addColumn<ChatMessage>("message");
        ChatMessage text;
        text.id = 9007199254740991;
        text.conversationId = 5;
        text.seq = 77;
        text.senderId = 3;
        text.type = u"text"_s;
        text.content = u"hi \"there\" \\ 你好 😀\n\t"_s;
        text.createdAt = 1764000000123;
        QTest::newRow("text, no client id") << text;
        ChatMessage withId = text;
        withId.clientMsgId = u"c-1"_s;
        withId.content = u""_s;
        QTest::newRow("empty content, client id") << withId;
        ChatMessage file = text;
        file.type = u"image"_s;
        file.attachment = QJsonObject {{u"file_id"_s, 4.0}, {u"name"_s, u"a \"b\".png"_s}, {u"size"_s, 1234.0},
            {u"mime"_s, u"image/png"_s}, {u"url"_s, u"/api/v1/files/4?sig=x&exp=1"_s}};
        QTest::newRow("attachment") << file;
    }

    void newMessageFrameMatchesTheCodec()
    {
        QFETCH(ChatMessage, message);
        const QJsonObject parsed = parse(JsonCodec::serializeNewMessage(message));
        QCOMPARE(parsed, (QJsonObject {{u"type"_s, u"new_message"_s}, {u"message"_s, JsonCodec::encode(message)}}));
    }
};

QTEST_GUILESS_MAIN(TestJsonWriter)
#include "tst_jsonwriter.moc"
