#pragma once

#include <QTest>

#include "shared/protocol/errorcode.h"

// QCOMPARE cannot print ErrorCode: QTest's unqualified toString() call finds
// Switchboard::toString(ErrorCode), which returns a QString, by argument-dependent lookup, and
// fails to compile. Compare the wire names instead; failures then read
// "Actual: "not_found", Expected: "forbidden"".
#define SB_COMPARE_CODE(actual, expected) QCOMPARE(::Switchboard::toString(actual), ::Switchboard::toString(expected))
