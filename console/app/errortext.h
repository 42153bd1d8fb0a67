#pragma once

#include <QString>

#include "shared/protocol/protocolerror.h"

namespace Switchboard::Console::ErrorText {

// A wire error as a sentence for the operator, translated (STYLE: errors travel as ErrorCode and
// are translated in the console). Client-side failures (timeout, connection closed) included.
QString describe(const ProtocolError &error);

} // namespace Switchboard::Console::ErrorText
