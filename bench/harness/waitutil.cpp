#include "bench/harness/waitutil.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

namespace Switchboard::Bench {

bool waitUntil(const std::function<bool()> &pred, int timeoutMs, int pollMs)
{
    if (pred())
        return true;
    const QDeadlineTimer deadline(timeoutMs);
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(pollMs);
    bool result = false;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        result = pred();
        if (result || deadline.hasExpired())
            loop.quit();
    });
    poll.start();
    loop.exec();
    return result;
}

void spinFor(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace Switchboard::Bench
