#include "shared/client/logging.h"

Q_LOGGING_CATEGORY(lcClient, "switchboard.client", QtInfoMsg)
