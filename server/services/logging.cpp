#include "server/services/logging.h"

Q_LOGGING_CATEGORY(lcPush, "switchboard.server.push", QtInfoMsg)
