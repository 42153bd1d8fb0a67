#pragma once

#include <QByteArray>

#include "shared/protocol/protocolerror.h"

namespace Switchboard::Server::RestError {

// The one mapping from wire error codes to HTTP status (PROTOCOL.md section 13).
int httpStatus(ErrorCode code);
// {"error":{"code","message"[,"retry_after_ms"]}}
QByteArray body(const ProtocolError &error);

} // namespace Switchboard::Server::RestError
