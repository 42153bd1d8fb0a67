#pragma once

#include <QString>

namespace Switchboard {

// Media types with a meaning in the protocol, in one place for the server and its clients.
class MediaTypes
{
public:
    // The raster image types that an `image` message may carry and that the server serves
    // inline: PNG, JPEG, GIF and WebP, recognised by their bytes. Anything else (SVG and HTML
    // above all, which can carry script) is only ever a `file` and downloads as an attachment.
    static bool isInlineImage(const QString &mime);
};

} // namespace Switchboard
