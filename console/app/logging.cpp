#include "console/app/logging.h"

Q_LOGGING_CATEGORY(lcConsole, "switchboard.console.app", QtInfoMsg)
Q_LOGGING_CATEGORY(lcConsoleKeychain, "switchboard.console.keychain", QtInfoMsg)
