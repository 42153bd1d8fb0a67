#include "server/http/logging.h"

Q_LOGGING_CATEGORY(lcHttp, "switchboard.server.http", QtInfoMsg)
