#include "shared/eventloop/logging.h"

Q_LOGGING_CATEGORY(lcEventLoop, "switchboard.eventloop", QtInfoMsg)
