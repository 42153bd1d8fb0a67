#pragma once

#include <QTest>
#include <functional>
#include <optional>

#include "shared/protocol/result.h"

namespace Switchboard::Tests {

// Runs an asynchronous service call and spins the event loop until its callback ran, at most
// `timeoutMs` (event driven, no sleep). Empty when the callback never came.
template<typename T>
std::optional<Result<T>> awaitResult(
    const std::function<void(std::function<void(Result<T>)>)> &call, int timeoutMs = 10000)
{
    auto slot = std::make_shared<std::optional<Result<T>>>();
    call([slot](Result<T> r) { slot->emplace(std::move(r)); });
    QElapsedTimer timer;
    timer.start();
    while (!slot->has_value() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 50);
    return *slot;
}

} // namespace Switchboard::Tests
