#pragma once

#include <QtGlobal>
#include <algorithm>

namespace Switchboard::Server {

// How many bytes of frames one burst may put into a connection's send queue at once: the offline
// batch after authentication, a resume's room replay. The send queue's own limit
// (max_send_queue_bytes) is for clients that stop reading; a burst stays well below it, so a
// client that reads is never cut off by its own mailbox, and what does not fit is left for the
// client to fetch (`has_more`, `recovered: false`), paced by its own reading.
class BurstBudget
{
public:
    explicit BurstBudget(qint64 bytes) : m_remaining(bytes) { }

    // A quarter of the send queue limit, at most 1 MiB and at least 16 KiB.
    static BurstBudget forSendQueue(qint64 maxSendQueueBytes)
    {
        return BurstBudget(std::clamp<qint64>(maxSendQueueBytes / 4, 16 * 1024, 1024 * 1024));
    }

    // True, and the bytes counted, when a frame of `bytes` still fits. The first frame of a
    // burst always fits (a single frame is bounded by the frame and text limits), so every burst
    // makes progress.
    bool take(qint64 bytes)
    {
        if (m_refused || (m_used > 0 && bytes > m_remaining)) {
            m_refused = true; // once full, stay full: a burst never skips a frame to fit a later one
            return false;
        }
        m_used += bytes;
        m_remaining -= bytes;
        return true;
    }
    bool exhausted() const { return m_refused; }

private:
    qint64 m_remaining;
    qint64 m_used = 0;
    bool m_refused = false;
};

} // namespace Switchboard::Server
