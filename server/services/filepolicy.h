#pragma once

#include <QByteArray>
#include <QString>

namespace Switchboard::Server {

// What the server decides about an uploaded file, in one place: the name it shows and the type it
// believes (which image types render inline is the protocol's MediaTypes::isInlineImage).
class FilePolicy
{
public:
    // The name shown to others: the last path component, no control characters, bounded length.
    // It is only ever a label; the bytes live under a server-chosen key.
    static QString sanitizedFileName(const QString &raw);

    // The type comes from the bytes: magic numbers decide binary formats, and a name can only
    // refine text (data.json is application/json) but never make text or unknown bytes an image.
    static QString detectMime(const QString &name, const QByteArray &data);
};

} // namespace Switchboard::Server
