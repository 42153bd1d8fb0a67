// MessageFrameParser reads plain `message` frames without QJsonDocument. The rule it must keep:
// whenever it accepts a frame, the general path (QJsonDocument::fromJson of the UTF-8, the
// envelope checks of RequestRouter::process, ChatService::sendFields) reads exactly the same
// request from it. Rejecting is always safe (the general path then runs), but the frames clients
// really send must be accepted, or the fast path is useless.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

#include "server/services/chatservice.h"
#include "server/ws/messageframeparser.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Server;

namespace {

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

bool sameAttachment(const QJsonValue &a, const QJsonValue &b)
{
    const bool aGiven = !a.isUndefined() && !a.isNull();
    const bool bGiven = !b.isUndefined() && !b.isNull();
    return aGiven == bGiven && (!aGiven || a == b);
}

// The general path's reading of a frame, as RequestRouter::process and ChatService do it; empty
// when that path would answer with an error or it is not a `message` request.
std::optional<MessageFrameParser::Frame> generalPath(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    const QJsonObject o = doc.object();
    const QJsonValue type = o.value(u"type"_s);
    const QJsonValue id = o.value(u"id"_s);
    if (!type.isString() || type.toString() != u"message"_s)
        return std::nullopt;
    if (!(id.isUndefined() || id.isString() || id.isDouble()))
        return std::nullopt;
    auto fields = ChatService::sendFields(o);
    if (!fields)
        return std::nullopt;
    return MessageFrameParser::Frame {id, fields.value()};
}

// Empty string when both agree (or the fast path declined), else what differs.
QString disagreement(const QString &text)
{
    const auto fast = MessageFrameParser::parse(text);
    if (!fast)
        return {};
    const auto general = generalPath(text);
    if (!general)
        return u"fast path accepted a frame the general path refuses"_s;
    if (fast->id != general->id || fast->id.isUndefined() != general->id.isUndefined())
        return u"id differs"_s;
    if (fast->id.isDouble() && fast->id.toInteger(-1) != general->id.toInteger(-2))
        return u"id differs as an integer"_s;
    const SendFields &a = fast->fields;
    const SendFields &b = general->fields;
    if (a.to != b.to || a.conversationId != b.conversationId)
        return u"ids differ"_s;
    if (a.content != b.content || a.messageType != b.messageType || a.clientMsgId != b.clientMsgId)
        return u"strings differ"_s;
    if (!sameAttachment(a.attachment, b.attachment))
        return u"attachment differs"_s;
    return {};
}

} // namespace

class TestMessageFrameParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptsWhatClientsSend_data()
    {
        QTest::addColumn<QString>("frame");
        const QStringList texts {u"hi"_s, u"line one\nline two\t\"quoted\" back\\slash /"_s, u"你好，世界"_s,
            u"emoji 😀👍🏽 and RTL שלום مرحبا"_s, QString(u"NUL\u0000inside"_s),
            u"'; DROP TABLE messages; --"_s, QString(5000, QChar(u'字')), QString(QChar(0x7f)) + u"\u001f\u0001"_s};
        int row = 0;
        for (const QString &text : texts) {
            QTest::addRow("client %d", row++)
                << compact(QJsonObject {{u"type"_s, u"message"_s}, {u"id"_s, 41 + row}, {u"conversation_id"_s, 7},
                       {u"content"_s, text}, {u"message_type"_s, u"text"_s}, {u"client_msg_id"_s, u"c-%1"_s.arg(row)}});
        }
        QTest::newRow("to, string id") << compact(
            QJsonObject {{u"type"_s, u"message"_s}, {u"id"_s, u"req-1"_s}, {u"to"_s, 9}, {u"content"_s, u"x"_s}});
        QTest::newRow("no id") << u"{\"type\":\"message\",\"conversation_id\":1,\"content\":\"x\"}"_s;
        QTest::newRow("spaces, type last")
            << u" {\n \"content\" : \"x\" ,\t\"conversation_id\":3,\r\n\"id\":-5, \"type\":\"message\" } \n"_s;
        QTest::newRow("nulls") << u"{\"type\":\"message\",\"id\":1,\"to\":null,\"conversation_id\":2,\"content\":\"x\","
                                  "\"message_type\":null,\"client_msg_id\":null,\"attachment\":null}"_s;
        QTest::newRow("escapes") << u"{\"ty\\u0070e\":\"message\",\"id\":\"\\ud83d\\ude00\",\"conversation_id\":2,"
                                    "\"content\":\"\\u00e9\\u4e2d\\/\\b\\f\\n\\r\\t\\u0000\"}"_s;
        // Read from the UTF-8 of the text by both paths: a lone surrogate is U+FFFD in both.
        QTest::newRow("raw lone surrogate")
            << u"{\"type\":\"message\",\"to\":3,\"content\":\"a"_s + QChar(0xd800) + u"b\"}"_s;
        QTest::newRow("largest safe id") << u"{\"type\":\"message\",\"id\":9007199254740991,\"conversation_id\":"
                                            "9007199254740991,\"content\":\"x\"}"_s;
    }

    void acceptsWhatClientsSend()
    {
        QFETCH(QString, frame);
        QVERIFY2(MessageFrameParser::parse(frame).has_value(), qPrintable(frame));
        const QString why = disagreement(frame);
        QVERIFY2(why.isEmpty(), qPrintable(why + u": "_s + frame));
    }

    void valuesAreRead()
    {
        const auto frame = MessageFrameParser::parse(
            u"{\"type\":\"message\",\"id\":12,\"to\":34,\"content\":\"a\\\"b\",\"message_type\":\"image\","
            "\"client_msg_id\":\"k\"}"_s);
        QVERIFY(frame);
        QCOMPARE(frame->id.toInteger(), 12);
        QCOMPARE(frame->fields.to, std::optional<qint64>(34));
        QVERIFY(!frame->fields.conversationId);
        QCOMPARE(frame->fields.content, std::optional<QString>(u"a\"b"_s));
        QCOMPARE(frame->fields.messageType, std::optional<QString>(u"image"_s));
        QCOMPARE(frame->fields.clientMsgId, std::optional<QString>(u"k"_s));
        QVERIFY(frame->fields.attachment.isUndefined());
    }

    void declinesEverythingElse_data()
    {
        QTest::addColumn<QString>("frame");
        const QString head = u"{\"type\":\"message\",\"id\":1,"_s;
        QTest::newRow("empty") << QString();
        QTest::newRow("not json") << u"hello"_s;
        QTest::newRow("array") << u"[{\"type\":\"message\"}]"_s;
        QTest::newRow("string root") << u"\"message\""_s;
        QTest::newRow("other type") << u"{\"type\":\"typing\",\"id\":1,\"conversation_id\":2}"_s;
        // Not worth trying when the text lacks "message" literally (the general path reads it).
        QTest::newRow("escaped type value")
            << u"{\"type\":\"mess\\u0061ge\",\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("type not string") << u"{\"type\":1,\"id\":1}"_s;
        QTest::newRow("null type") << u"{\"type\":null,\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("no type") << u"{\"id\":1,\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("null id") << u"{\"type\":\"message\",\"id\":null,\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("bool id") << u"{\"type\":\"message\",\"id\":true,\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("fraction id") << u"{\"type\":\"message\",\"id\":1.5,\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("object id") << u"{\"type\":\"message\",\"id\":{},\"conversation_id\":2,\"content\":\"x\"}"_s;
        QTest::newRow("huge id") << u"{\"type\":\"message\",\"id\":9007199254740992,\"conversation_id\":2}"_s;
        QTest::newRow("id as float") << head + u"\"conversation_id\":2.0,\"content\":\"x\"}"_s;
        QTest::newRow("id exponent") << head + u"\"conversation_id\":2e0,\"content\":\"x\"}"_s;
        QTest::newRow("zero id") << head + u"\"conversation_id\":0,\"content\":\"x\"}"_s;
        QTest::newRow("negative id") << head + u"\"to\":-3,\"content\":\"x\"}"_s;
        QTest::newRow("id too big") << head + u"\"to\":9007199254740992,\"content\":\"x\"}"_s;
        QTest::newRow("id as string") << head + u"\"to\":\"3\",\"content\":\"x\"}"_s;
        QTest::newRow("content number") << head + u"\"to\":3,\"content\":5}"_s;
        QTest::newRow("content object") << head + u"\"to\":3,\"content\":{}}"_s;
        QTest::newRow("attachment") << head + u"\"to\":3,\"attachment\":{\"file_id\":1}}"_s;
        QTest::newRow("attachment string") << head + u"\"to\":3,\"attachment\":\"x\"}"_s;
        QTest::newRow("unknown key") << head + u"\"to\":3,\"content\":\"x\",\"extra\":1}"_s;
        QTest::newRow("duplicate key") << head + u"\"to\":3,\"content\":\"x\",\"content\":\"y\"}"_s;
        QTest::newRow("duplicate type") << head + u"\"to\":3,\"type\":\"message\"}"_s;
        QTest::newRow("trailing comma") << head + u"\"to\":3,}"_s;
        QTest::newRow("trailing garbage") << head + u"\"to\":3} x"_s;
        QTest::newRow("two objects") << head + u"\"to\":3}{}"_s;
        QTest::newRow("truncated") << head + u"\"to\":3"_s;
        QTest::newRow("raw NUL after") << head + u"\"to\":3}"_s + QChar(0) + u"junk"_s;
        QTest::newRow("raw NUL inside") << head + u"\"to\":3,\"content\":\"a"_s + QChar(0) + u"b\"}"_s;
        QTest::newRow("escaped lone surrogate") << head + u"\"to\":3,\"content\":\"a\\ud800b\"}"_s;
        QTest::newRow("escaped lone low surrogate") << head + u"\"to\":3,\"content\":\"a\\udc00b\"}"_s;
        QTest::newRow("escaped reversed pair") << head + u"\"to\":3,\"content\":\"\\ude00\\ud83d\"}"_s;
        QTest::newRow("control char") << head + u"\"to\":3,\"content\":\"a\u0001b\"}"_s;
        QTest::newRow("single quotes") << u"{'type':'message','to':3}"_s;
        QTest::newRow("comment") << head + u"/*x*/\"to\":3}"_s;
        QTest::newRow("NaN") << head + u"\"to\":NaN}"_s;
    }

    void declinesEverythingElse()
    {
        QFETCH(QString, frame);
        QVERIFY2(!MessageFrameParser::parse(frame).has_value(), qPrintable(frame));
    }

    // Random edits of real frames: whatever the fast path accepts, the general path reads the same.
    void agreesWithTheGeneralPathOnMutatedFrames()
    {
        QRandomGenerator random(20261125);
        const QList<QString> seeds {
            compact(QJsonObject {{u"type"_s, u"message"_s}, {u"id"_s, 3}, {u"conversation_id"_s, 7},
                {u"content"_s, u"héllo \"wörld\" 😀\n"_s}, {u"message_type"_s, u"text"_s},
                {u"client_msg_id"_s, u"abc-1"_s}}),
            u"{ \"type\" : \"message\" , \"id\" : \"x\\u0041\" , \"to\" : 12 , \"content\" : \"a\\\\b\" }"_s,
        };
        const QString alphabet = u"{}[]\":,\\ 0123456789-+.eEnulltruefalsetypeidtocontent\u00e9\U0001F600"_s;
        int accepted = 0;
        for (int i = 0; i < 20000; ++i) {
            QString frame = seeds.at(i % seeds.size());
            const int edits = 1 + int(random.bounded(3));
            for (int e = 0; e < edits; ++e) {
                const int at = int(random.bounded(frame.size() + 1));
                const QChar c = alphabet.at(int(random.bounded(alphabet.size())));
                switch (random.bounded(3)) {
                case 0:
                    frame.insert(at, c);
                    break;
                case 1:
                    if (at < frame.size())
                        frame.remove(at, 1);
                    break;
                default:
                    if (at < frame.size())
                        frame[at] = c;
                }
            }
            const QString why = disagreement(frame);
            QVERIFY2(why.isEmpty(), qPrintable(why + u": "_s + frame));
            accepted += MessageFrameParser::parse(frame).has_value();
        }
        // Many mutations keep the frame valid (inside strings, digits): the fast path took part.
        QVERIFY2(accepted > 1000, qPrintable(QString::number(accepted)));
    }
};

QTEST_GUILESS_MAIN(TestMessageFrameParser)
#include "tst_messageframeparser.moc"
