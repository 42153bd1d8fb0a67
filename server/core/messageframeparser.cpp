#include "server/core/messageframeparser.h"

// RapidJSON asserts on some input, e.g. an escaped lone low surrogate ("\udc00"), which would
// abort a debug build on a client's frame. Such strings are declined in Handler::String().
#define RAPIDJSON_ASSERT(x) static_cast<void>(0)
#include <rapidjson/encodings.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

namespace Switchboard::Server {

namespace {

using Utf16 = rapidjson::UTF16<char16_t>;

// 2^53 - 1: the largest integer a JSON number carries exactly (RequestFields::isSafeInteger).
constexpr qint64 kMaxSafeInteger = 9007199254740991;

bool sameKey(const char16_t *key, rapidjson::SizeType length, QLatin1StringView name)
{
    if (length != rapidjson::SizeType(name.size()))
        return false;
    for (rapidjson::SizeType i = 0; i < length; ++i) {
        if (key[i] != char16_t(name[i].unicode()))
            return false;
    }
    return true;
}

bool hasLoneSurrogate(const QString &text)
{
    const char16_t *p = reinterpret_cast<const char16_t *>(text.utf16());
    const char16_t *const end = p + text.size();
    for (; p < end; ++p) {
        if ((*p & 0xf800) != 0xd800)
            continue; // not a surrogate: almost every character
        if (*p >= 0xdc00 || p + 1 == end || (p[1] & 0xfc00) != 0xdc00)
            return true;
        ++p; // a pair
    }
    return false;
}

// RapidJSON SAX handler: returns false (which stops the parse) as soon as the frame is not one
// this fast path takes.
class Handler : public rapidjson::BaseReaderHandler<Utf16, Handler>
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

    bool Key(const char16_t *key, rapidjson::SizeType length, bool)
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

    bool String(const char16_t *text, rapidjson::SizeType length, bool)
    {
        const QString value(reinterpret_cast<const QChar *>(text), qsizetype(length));
        if (hasLoneSurrogate(value))
            return false; // from an escape like "\udc00": the general path decides
        switch (m_current) {
        case Type:
            typeIsMessage = value == u"message";
            return typeIsMessage; // any other type: general path, stop reading now
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
    // The general path reads the UTF-8 of the text, where a lone surrogate has become U+FFFD;
    // RapidJSON would keep it. Such frames are rare: general path. (Checking here is cheaper
    // than RapidJSON's per-character encoding validation.)
    if (text.isEmpty() || hasLoneSurrogate(text))
        return std::nullopt;
    Handler handler;
    // RapidJSON reads up to a NUL; QString data always ends with one, and an embedded one is
    // caught below (the parse must consume the whole text).
    rapidjson::GenericStringStream<Utf16> stream(reinterpret_cast<const char16_t *>(text.utf16()));
    rapidjson::GenericReader<Utf16, Utf16> reader;
    const rapidjson::ParseResult ok = reader.Parse<rapidjson::kParseDefaultFlags>(stream, handler);
    if (!ok || !handler.typeIsMessage || stream.Tell() != size_t(text.size()))
        return std::nullopt;
    return std::move(handler.frame);
}

} // namespace Switchboard::Server
