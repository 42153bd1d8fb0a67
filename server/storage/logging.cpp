#include "server/storage/logging.h"

Q_LOGGING_CATEGORY(lcStorage, "switchboard.server.storage", QtInfoMsg)
