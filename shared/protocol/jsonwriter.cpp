#include "shared/protocol/jsonwriter.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>

#include <charconv>
#include <cmath>
#include <cstring>

namespace Switchboard {

namespace {
char hexDigit(unsigned v)
{
    return char(v < 10 ? '0' + v : 'a' + (v - 10));
}
} // namespace

JsonWriter::JsonWriter(qsizetype reserve)
{
    grow(std::max<qsizetype>(reserve, 16));
}

void JsonWriter::grow(qsizetype extra)
{
    // QByteArray::resize() leaves new bytes uninitialised; the written part is kept.
    m_out.resize(std::max(m_capacity * 2, m_size + extra));
    m_data = m_out.data();
    m_capacity = m_out.size();
}

void JsonWriter::put(const char *text, qsizetype n)
{
    std::memcpy(room(n), text, size_t(n));
    m_size += n;
}

void JsonWriter::putInteger(qint64 number)
{
    char *out = room(24);
    m_size += std::to_chars(out, out + 24, number).ptr - out;
}

void JsonWriter::separate()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_needComma)
        put(',');
}

JsonWriter &JsonWriter::beginObject()
{
    separate();
    put('{');
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    put('}');
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    separate();
    put('[');
    m_needComma = false;
    return *this;
}

JsonWriter &JsonWriter::endArray()
{
    put(']');
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::key(QLatin1StringView name)
{
    separate();
    char *out = room(name.size() + 3);
    out[0] = '"';
    std::memcpy(out + 1, name.data(), size_t(name.size()));
    out[name.size() + 1] = '"';
    out[name.size() + 2] = ':';
    m_size += name.size() + 3;
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::value(qint64 number)
{
    separate();
    putInteger(number);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(double number)
{
    separate();
    // As QJsonDocument: integral doubles as integers, others shortest round-trip, no NaN/inf.
    if (!std::isfinite(number))
        put("null", 4);
    else if (std::abs(number) < 9007199254740992.0 && number == std::trunc(number))
        putInteger(qint64(number));
    else {
        const QByteArray text = QByteArray::number(number, 'g', QLocale::FloatingPointShortest);
        put(text.constData(), text.size());
    }
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::value(bool flag)
{
    separate();
    if (flag)
        put("true", 4);
    else
        put("false", 5);
    m_needComma = true;
    return *this;
}

JsonWriter &JsonWriter::nullValue()
{
    separate();
    put("null", 4);
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
            put(':');
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
    // Room for the worst case up front (a lone surrogate becomes six bytes), then no more checks.
    char *out = room(text.size() * 6 + 2);
    char *const begin = out;
    *out++ = '"';
    const char16_t *p = text.utf16();
    const char16_t *const end = p + text.size();
    while (p < end) {
        const char16_t c = *p++;
        if (c >= 0x20 && c < 0x80 && c != u'"' && c != u'\\') {
            *out++ = char(c); // plain ASCII, the common case
        } else if (c < 0x80) {
            *out++ = '\\';
            switch (c) {
            case u'"':
                *out++ = '"';
                break;
            case u'\\':
                *out++ = '\\';
                break;
            case u'\b':
                *out++ = 'b';
                break;
            case u'\f':
                *out++ = 'f';
                break;
            case u'\n':
                *out++ = 'n';
                break;
            case u'\r':
                *out++ = 'r';
                break;
            case u'\t':
                *out++ = 't';
                break;
            default:
                *out++ = 'u';
                *out++ = '0';
                *out++ = '0';
                *out++ = hexDigit(c >> 4);
                *out++ = hexDigit(c & 0xf);
            }
        } else if (c < 0x800) {
            *out++ = char(0xc0 | (c >> 6));
            *out++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isHighSurrogate(c) && p < end && QChar::isLowSurrogate(*p)) {
            const char32_t u = QChar::surrogateToUcs4(c, *p++);
            *out++ = char(0xf0 | (u >> 18));
            *out++ = char(0x80 | ((u >> 12) & 0x3f));
            *out++ = char(0x80 | ((u >> 6) & 0x3f));
            *out++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isSurrogate(c)) {
            // Not text (a lone surrogate): escaped, as QJsonDocument writes it, so that it parses
            // back to the same string (an echoed request id must match byte for byte).
            *out++ = '\\';
            *out++ = 'u';
            *out++ = hexDigit(c >> 12);
            *out++ = hexDigit((c >> 8) & 0xf);
            *out++ = hexDigit((c >> 4) & 0xf);
            *out++ = hexDigit(c & 0xf);
        } else {
            *out++ = char(0xe0 | (c >> 12));
            *out++ = char(0x80 | ((c >> 6) & 0x3f));
            *out++ = char(0x80 | (c & 0x3f));
        }
    }
    *out++ = '"';
    m_size += out - begin;
}

QByteArray JsonWriter::take()
{
    m_out.truncate(m_size);
    if (m_out.capacity() - m_size > 4096)
        m_out.squeeze(); // frames may wait in queues: do not keep the worst-case reserve
    QByteArray out = std::exchange(m_out, QByteArray());
    m_data = nullptr;
    m_size = m_capacity = 0;
    m_needComma = false;
    m_afterKey = false;
    return out;
}

} // namespace Switchboard
