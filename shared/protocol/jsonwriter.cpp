#include "shared/protocol/jsonwriter.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>

#include <cmath>

namespace Switchboard {

namespace {
char hexDigit(unsigned v)
{
    return char(v < 10 ? '0' + v : 'a' + (v - 10));
}
} // namespace

JsonWriter::JsonWriter(qsizetype reserve)
{
    m_out.reserve(reserve);
}

void JsonWriter::separate()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_needComma)
        m_out.append(',');
}

JsonWriter &JsonWriter::beginObject()
{
    separate();
    m_out.append('{');
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    m_out.append('}');
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    separate();
    m_out.append('[');
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    m_out.append(']');
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::key(QLatin1StringView name)
{
    separate();
    m_out.append('"').append(name.data(), name.size()).append("\":", 2);
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::value(qint64 number)
{
    separate();
    m_out.append(QByteArray::number(number));
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(double number)
{
    separate();
    // As QJsonDocument: integral doubles as integers, others shortest round-trip, no NaN/inf.
    if (!std::isfinite(number))
        m_out.append("null", 4);
    else if (std::abs(number) < 9007199254740992.0 && number == std::trunc(number))
        m_out.append(QByteArray::number(qint64(number)));
    else
        m_out.append(QByteArray::number(number, 'g', QLocale::FloatingPointShortest));
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(bool flag)
{
    separate();
    if (flag)
        m_out.append("true", 4);
    else
        m_out.append("false", 5);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::nullValue()
{
    separate();
    m_out.append("null", 4);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(QStringView text)
{
    separate();
    writeString(text);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::stringOrNull(const QString &text)
{
    return text.isNull() ? nullValue() : value(QStringView(text));
}

JsonWriter &JsonWriter::value(const QJsonValue &json)
{
    switch (json.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return nullValue();
    case QJsonValue::Bool:
        return value(json.toBool());
    case QJsonValue::Double:
        // Integers exactly (Qt keeps a qint64 when the value is one), other numbers as doubles.
        if (const qint64 n = json.toInteger(0); n != 0 || json.toInteger(1) == 0)
            return value(n);
        return value(json.toDouble());
    case QJsonValue::String:
        return value(json.toString());
    case QJsonValue::Array: {
        beginArray();
        const QJsonArray array = json.toArray();
        for (const QJsonValue &element : array)
            value(element);
        return endArray();
    }
    case QJsonValue::Object: {
        beginObject();
        const QJsonObject object = json.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            separate();
            writeString(it.key());
            m_out.append(':');
            m_afterKey = true;
            value(it.value());
        }
        return endObject();
    }
    }
    return nullValue();
}

void JsonWriter::writeString(QStringView text)
{
    m_out.append('"');
    const char16_t *p = text.utf16();
    const char16_t *const end = p + text.size();
    while (p < end) {
        // Runs of plain ASCII are the common case: copy them in one go.
        const char16_t *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != u'"' && *p != u'\\')
            ++p;
        if (p > run) {
            const qsizetype n = p - run;
            const qsizetype at = m_out.size();
            m_out.resize(at + n);
            char *out = m_out.data() + at;
            for (qsizetype i = 0; i < n; ++i)
                out[i] = char(run[i]);
        }
        if (p == end)
            break;
        const char16_t c = *p++;
        if (c < 0x80) {
            m_out.append('\\');
            switch (c) {
            case u'"':
                m_out.append('"');
                break;
            case u'\\':
                m_out.append('\\');
                break;
            case u'\b':
                m_out.append('b');
                break;
            case u'\f':
                m_out.append('f');
                break;
            case u'\n':
                m_out.append('n');
                break;
            case u'\r':
                m_out.append('r');
                break;
            case u'\t':
                m_out.append('t');
                break;
            default: {
                const char escape[5] = {'u', '0', '0', hexDigit(c >> 4), hexDigit(c & 0xf)};
                m_out.append(escape, 5);
            }
            }
        } else if (c < 0x800) {
            m_out.append(char(0xc0 | (c >> 6)));
            m_out.append(char(0x80 | (c & 0x3f)));
        } else if (QChar::isHighSurrogate(c) && p < end && QChar::isLowSurrogate(*p)) {
            const char32_t u = QChar::surrogateToUcs4(c, *p++);
            const char bytes[4] = {char(0xf0 | (u >> 18)), char(0x80 | ((u >> 12) & 0x3f)),
                char(0x80 | ((u >> 6) & 0x3f)), char(0x80 | (u & 0x3f))};
            m_out.append(bytes, 4);
        } else if (QChar::isSurrogate(c)) {
            // Not text (a lone surrogate): escaped, as QJsonDocument writes it, so that it parses
            // back to the same string (an echoed request id must match byte for byte).
            const char escape[6]
                = {'\\', 'u', hexDigit(c >> 12), hexDigit((c >> 8) & 0xf), hexDigit((c >> 4) & 0xf), hexDigit(c & 0xf)};
            m_out.append(escape, 6);
        } else {
            const char bytes[3] = {char(0xe0 | (c >> 12)), char(0x80 | ((c >> 6) & 0x3f)), char(0x80 | (c & 0x3f))};
            m_out.append(bytes, 3);
        }
    }
    m_out.append('"');
}

QByteArray JsonWriter::take()
{
    m_needComma = false;
    m_afterKey = false;
    return std::exchange(m_out, QByteArray());
}

} // namespace Switchboard
