#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QStringView>

namespace Switchboard {

// Writes compact JSON straight into UTF-8 bytes. For the frames a server sends most (a stored
// message, the reply envelope) building a QJsonObject and serialising it cost more than all the
// rest of the path; this writes the same JSON value without the intermediate tree. Numbers and
// strings are formatted the way QJsonDocument::toJson() formats them (lone surrogates escaped,
// integers exact), so a frame parses to the same QJsonObject either way; only the key order is the
// caller's.
//
//   JsonWriter w;
//   w.beginObject().key("type").value(u"pong").key("id").value(QJsonValue(7)).endObject();
//   QByteArray frame = w.take();
class JsonWriter
{
    // m_data points into m_out: a copy would write into the original's buffer.
    Q_DISABLE_COPY_MOVE(JsonWriter)

public:
    explicit JsonWriter(qsizetype reserve = 256);

    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    // `name` is written as is: ASCII that needs no escaping (protocol field names).
    JsonWriter &key(QLatin1StringView name);
    JsonWriter &key(const char *name) { return key(QLatin1StringView(name)); }

    JsonWriter &value(qint64 number);
    JsonWriter &value(int number) { return value(qint64(number)); }
    JsonWriter &value(double number);
    JsonWriter &value(bool flag);
    JsonWriter &value(QStringView text);
    JsonWriter &value(const QString &text) { return value(QStringView(text)); }
    JsonWriter &value(const char16_t *text) { return value(QStringView(text)); }
    // Any JSON value, objects and arrays included (an undefined value is written as null).
    JsonWriter &value(const QJsonValue &json);
    JsonWriter &nullValue();
    // A null QString is JSON null, any other (also an empty one) a string.
    JsonWriter &stringOrNull(const QString &text);

    // What was written so far (the writer can go on).
    QByteArray bytes() const { return QByteArray(m_data, m_size); }
    // What was written; the writer starts over empty.
    QByteArray take();

private:
    // The output is written through a raw pointer into m_out, whose size is the capacity: one
    // capacity check per value instead of QByteArray's bookkeeping per appended piece.
    void separate();
    void writeString(QStringView text);
    void grow(qsizetype extra);
    char *room(qsizetype bytes)
    {
        if (m_capacity - m_size < bytes)
            grow(bytes);
        return m_data + m_size;
    }
    void put(char c) { *room(1) = c, ++m_size; }
    void put(const char *text, qsizetype n);
    void putInteger(qint64 number);

    QByteArray m_out;
    char *m_data = nullptr;
    qsizetype m_size = 0;
    qsizetype m_capacity = 0;
    bool m_needComma = false;
    bool m_afterKey = false;
};

} // namespace Switchboard
