#include "shared/protocol/textrules.h"

namespace Switchboard::TextRules {

qsizetype codePointCount(QStringView text)
{
    qsizetype count = 0;
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        if (text[i].isHighSurrogate() && i + 1 < n && text[i + 1].isLowSurrogate())
            ++i;
        ++count;
    }
    return count;
}

bool hasControlCharacters(QStringView text)
{
    for (QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return true;
    }
    return false;
}

bool hasInvisibleFormatting(QStringView text)
{
    for (QChar c : text) {
        const char16_t u = c.unicode();
        // Not U+200C/U+200D (ZWNJ, ZWJ): emoji sequences and several scripts need them.
        if ((u >= 0x202A && u <= 0x202E) || (u >= 0x2066 && u <= 0x2069) || u == 0x200B || u == 0x200E || u == 0x200F
            || u == 0x2060 || u == 0xFEFF || u == 0x061C)
            return true;
    }
    return false;
}

bool isValidUsername(QStringView username)
{
    if (username.size() < 3 || username.size() > 32)
        return false;
    for (QChar c : username) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '_' || u == '.' || u == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool isValidPassword(QStringView password)
{
    return codePointCount(password) >= 8;
}

bool isValidRoomName(QStringView name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (QChar c : name) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_'
            || u == '.' || u == ':' || u == '-';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace Switchboard::TextRules
