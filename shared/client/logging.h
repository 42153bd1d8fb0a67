#pragma once

#include <QLoggingCategory>

// Category of the client library ("switchboard.client"); debug output is opt-in through
// QT_LOGGING_RULES="switchboard.client.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcClient)
