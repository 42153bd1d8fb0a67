#include "shared/protocol/mediatypes.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

bool MediaTypes::isInlineImage(const QString &mime)
{
    return mime == u"image/png"_s || mime == u"image/jpeg"_s || mime == u"image/gif"_s || mime == u"image/webp"_s;
}

} // namespace Switchboard
