#include "server/sessions/logging.h"

Q_LOGGING_CATEGORY(lcSession, "switchboard.server.session", QtInfoMsg)
