#include "server/core/logging.h"

Q_LOGGING_CATEGORY(lcCore, "switchboard.server.core", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSession, "switchboard.server.session", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "switchboard.server.auth", QtInfoMsg)
