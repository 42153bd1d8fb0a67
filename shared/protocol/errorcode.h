#pragma once

#include <QString>

namespace Switchboard {

// The stable wire error codes of PROTOCOL.md section 2. Never renumber or rename: clients match
// on the string form.
enum class ErrorCode {
    BadRequest,
    UnknownType,
    NotAuthenticated,
    AuthFailed,
    Forbidden,
    NotFound,
    ValidationFailed,
    RateLimited,
    LimitExceeded,
    Conflict,
    TooLarge,
    Unavailable,
    Internal,
};

QString toString(ErrorCode code);
// Returns false when the string is not a known code.
bool errorCodeFromString(QStringView text, ErrorCode *code);

} // namespace Switchboard
