#pragma once

#include <functional>

namespace Switchboard::Bench {

// The orchestration of a mode runs in the main thread in a sequential style: each step starts
// asynchronous work (HTTP requests, work posted to worker threads) and then waits here, spinning
// the main thread's event loop, until a condition holds. Every wait is bounded.

// Spins the event loop until pred() is true (checked every pollMs) or timeoutMs passed.
// Returns pred()'s last value.
bool waitUntil(const std::function<bool()> &pred, int timeoutMs, int pollMs = 5);
// Spins the event loop for ms milliseconds.
void spinFor(int ms);

} // namespace Switchboard::Bench
