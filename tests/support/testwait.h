#pragma once

#include <QSignalSpy>

#include "shared/client/pendingrequest.h"
#include "shared/client/restreply.h"

namespace Switchboard::Test {

// Spins the event loop until the request or reply has finished, at most timeoutMs; true when it
// finished. Event driven (QSignalSpy::wait), never a sleep.
template<typename Request> bool waitForFinished(Request *request, int timeoutMs = 10000)
{
    if (!request)
        return false;
    if (request->isFinished())
        return true;
    QSignalSpy spy(request, &Request::finished);
    return spy.wait(timeoutMs) || request->isFinished();
}

} // namespace Switchboard::Test
