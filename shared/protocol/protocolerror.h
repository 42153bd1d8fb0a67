#pragma once

#include <QString>

#include "shared/protocol/errorcode.h"

namespace Switchboard {

// An error as it travels on the wire: {"code","message"} plus retry_after_ms for rate_limited.
struct ProtocolError
{
    ErrorCode code = ErrorCode::Internal;
    QString message;
    qint64 retryAfterMs = -1; // only for RateLimited; -1 = absent

    static ProtocolError make(ErrorCode code, const QString &message) { return ProtocolError {code, message, -1}; }
};

} // namespace Switchboard
