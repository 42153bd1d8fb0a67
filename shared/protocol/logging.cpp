#include "shared/protocol/logging.h"

Q_LOGGING_CATEGORY(lcProtocol, "switchboard.protocol", QtInfoMsg)
