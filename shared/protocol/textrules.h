#pragma once

#include <QString>
#include <QStringView>

namespace Switchboard::TextRules {

// Unicode code points in the text (a surrogate pair counts once). QString::size() counts UTF-16
// units and must not be used for the 5000-character rule.
qsizetype codePointCount(QStringView text);

// True if the text contains C0 control characters or DEL (refused in names, titles, ids).
bool hasControlCharacters(QStringView text);

// Usernames: 3-32 of [a-z0-9_.-].
bool isValidUsername(QStringView username);

// Passwords: at least 8 code points.
bool isValidPassword(QStringView password);

// Room names: 1-64 of [A-Za-z0-9_.:-].
bool isValidRoomName(QStringView name);

} // namespace Switchboard::TextRules
