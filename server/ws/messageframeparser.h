#pragma once

#include <QJsonValue>
#include <QString>
#include <optional>

#include "server/services/sendfields.h"

namespace Switchboard::Server {

// Reads the most common frame of all - a `message` send whose fields have the plain JSON types -
// straight into SendFields, without building a QJsonDocument/QJsonObject (which cost the event
// loop more than the rest of a send's request path together).
//
// It only ever answers "this is such a frame, and these are its values" or "not sure": any frame
// it does not fully recognise (another type, a field it does not know, a nested value, a number
// that is not a plain integer, a null id, a duplicate key, invalid JSON or text, anything odd) gets
// std::nullopt, and the general path (QJsonDocument, RequestFields) handles it - and produces the
// error replies. So for every frame it accepts, the result is what the general path would read;
// tst_messageframeparser checks that on many frames, valid and not.
//
// The JSON itself is tokenised by RapidJSON (SAX) from the same UTF-8 bytes the general path
// parses.
class MessageFrameParser
{
public:
    struct Frame
    {
        QJsonValue id = QJsonValue(QJsonValue::Undefined); // absent, or an integer or a string
        SendFields fields;
    };

    static std::optional<Frame> parse(const QString &text);
};

} // namespace Switchboard::Server
