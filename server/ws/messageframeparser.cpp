#include "server/ws/messageframeparser.h"

// RapidJSON asserts on some input, e.g. an escaped lone low surrogate ("\udc00"), which would
// abort a debug build on a client's frame. Such strings are declined in Handler::String().
#define RAPIDJSON_ASSERT(x) static_cast<void>(0)
// Its SSE2 scanning of plain string runs (x86-64 always has SSE2).
#if defined(__SSE2__)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/encodings.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include <cstring>

namespace Switchboard::Server {

namespace {

using Utf8 = rapidjson::UTF8<char>;

// 2^53 - 1: the largest integer a JSON number carries exactly (RequestFields::isSafeInteger).
constexpr qint64 kMaxSafeInteger = 9007199254740991;

bool sameKey(const char *key, rapidjson::SizeType length, QLatin1StringView name)
{
    return length == rapidjson::SizeType(name.size()) && std::memcmp(key, name.data(), length) == 0;
}

// A surrogate code point in UTF-8 (ED A0..BF xx): only an escape like "\udc00" makes one, since
// the input is the UTF-8 of a QString. The general path keeps it as a lone QChar; declined.
bool hasEncodedSurrogate(const char *text, rapidjson::SizeType length)
{
    for (const char *p = text, *end = text + length;
         (p = static_cast<const char *>(std::memchr(p, 0xed, size_t(end - p)))); ++p) {
        if (p + 1 < end && (uchar(p[1]) & 0xe0) == 0xa0)
            return true;
    }
    return false;
}

// RapidJSON SAX handler: returns false (which stops the parse) as soon as the frame is not one
// this fast path takes.
class Handler : public rapidjson::BaseReaderHandler<Utf8, Handler>
{
public:
    enum Field : unsigned {
        None = 0,
        Type = 1,
        Id = 2,
        To = 4,
        ConversationId = 8,
        Content = 16,
        MessageType = 32,
        ClientMsgId = 64,
        Attachment = 128
    };

    MessageFrameParser::Frame frame;
    bool typeIsMessage = false;

    bool Default() { return false; } // doubles, arrays, nested objects: not here

    bool StartObject() { return ++m_depth == 1; }
    bool EndObject(rapidjson::SizeType) { return --m_depth == 0; }

    bool Key(const char *key, rapidjson::SizeType length, bool)
    {
        Field field = None;
        if (sameKey(key, length, QLatin1StringView("type")))
            field = Type;
        else if (sameKey(key, length, QLatin1StringView("id")))
            field = Id;
        else if (sameKey(key, length, QLatin1StringView("to")))
            field = To;
        else if (sameKey(key, length, QLatin1StringView("conversation_id")))
            field = ConversationId;
        else if (sameKey(key, length, QLatin1StringView("content")))
            field = Content;
        else if (sameKey(key, length, QLatin1StringView("message_type")))
            field = MessageType;
        else if (sameKey(key, length, QLatin1StringView("client_msg_id")))
            field = ClientMsgId;
        else if (sameKey(key, length, QLatin1StringView("attachment")))
            field = Attachment;
        if (field == None || (m_seen & field))
            return false; // unknown or duplicate key: the general path decides
        m_seen |= field;
        m_current = field;
        return true;
    }

    bool Null()
    {
        switch (m_current) {
        case To:
        case ConversationId:
        case Content:
        case MessageType:
        case ClientMsgId:
        case Attachment:
            return true; // null is "not given", as in RequestFields
        default:
            return false; // a null type or id is an error reply: general path
        }
    }

    bool String(const char *text, rapidjson::SizeType length, bool)
    {
        if (m_current == Type) {
            typeIsMessage = sameKey(text, length, QLatin1StringView("message"));
            return typeIsMessage; // any other type: general path, stop reading now
        }
        if (hasEncodedSurrogate(text, length))
            return false;
        const QString value = QString::fromUtf8(text, qsizetype(length));
        switch (m_current) {
        case Id:
            frame.id = QJsonValue(value);
            return true;
        case Content:
            frame.fields.content = value;
            return true;
        case MessageType:
            frame.fields.messageType = value;
            return true;
        case ClientMsgId:
            frame.fields.clientMsgId = value;
            return true;
        default:
            return false;
        }
    }

    bool Int(int n) { return integer(n); }
    bool Uint(unsigned n) { return integer(qint64(n)); }
    bool Int64(int64_t n) { return integer(n); }
    bool Uint64(uint64_t n) { return n <= uint64_t(kMaxSafeInteger) && integer(qint64(n)); }

private:
    bool integer(qint64 n)
    {
        switch (m_current) {
        case Id:
            if (n < -kMaxSafeInteger || n > kMaxSafeInteger)
                return false;
            frame.id = QJsonValue(n);
            return true;
        case To:
        case ConversationId:
            if (n < 1 || n > kMaxSafeInteger)
                return false; // not a valid id: an error reply, general path
            (m_current == To ? frame.fields.to : frame.fields.conversationId) = n;
            return true;
        default:
            return false;
        }
    }

    int m_depth = 0;
    unsigned m_seen = None;
    Field m_current = None;
};

} // namespace

std::optional<MessageFrameParser::Frame> MessageFrameParser::parse(const QString &text)
{
    // Not worth a try when the text does not even contain the type's value (a broadcast, a
    // typing notice...): one vectorised search instead of a conversion and a partial parse.
    if (text.isEmpty() || !text.contains(u"\"message\""))
        return std::nullopt;
    // The very bytes the general path parses (a lone surrogate has become U+FFFD in them), so
    // both read the same text; RapidJSON is also fastest on UTF-8.
    const QByteArray utf8 = text.toUtf8();
    Handler handler;
    // RapidJSON reads up to a NUL; QByteArray data always ends with one, and an embedded one is
    // caught below (the parse must consume the whole text).
    rapidjson::GenericStringStream<Utf8> stream(utf8.constData());
    rapidjson::GenericReader<Utf8, Utf8> reader;
    const rapidjson::ParseResult ok = reader.Parse<rapidjson::kParseDefaultFlags>(stream, handler);
    if (!ok || !handler.typeIsMessage || stream.Tell() != size_t(utf8.size()))
        return std::nullopt;
    return std::move(handler.frame);
}

} // namespace Switchboard::Server
