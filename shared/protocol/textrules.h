#pragma once

#include <QString>
#include <QStringView>

namespace Switchboard::TextRules {

// Unicode code points in the text (a surrogate pair counts once). QString::size() counts UTF-16
// units and must not be used for the 5000-character rule.
qsizetype codePointCount(QStringView text);

// True if the text contains C0 control characters or DEL (refused in names, titles, ids).
bool hasControlCharacters(QStringView text);

// True if the text contains characters that change how other text looks without being seen:
// bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E,
// U+200F, U+061C) and zero-width characters that join nothing (U+200B, U+2060, U+FEFF). Refused
// in names and titles, so that one user cannot pass for another. ZWNJ and ZWJ (U+200C, U+200D)
// pass: emoji sequences and several scripts need them.
bool hasInvisibleFormatting(QStringView text);

// Usernames: 3-32 of [a-z0-9_.-].
bool isValidUsername(QStringView username);

// Passwords: at least 8 code points.
bool isValidPassword(QStringView password);

// Room names: 1-64 of [A-Za-z0-9_.:-].
bool isValidRoomName(QStringView name);

} // namespace Switchboard::TextRules
