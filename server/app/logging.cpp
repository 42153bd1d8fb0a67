#include "server/app/logging.h"

Q_LOGGING_CATEGORY(lcApp, "switchboard.server.app", QtInfoMsg)
