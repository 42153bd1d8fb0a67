#pragma once

#include <QObject>
#include <QTimer>
#include <functional>

#include "server/storage/storagetypes.h"

namespace Switchboard::Tests {

// One operation of a storage test double: the test says what it answers (a function of the call's
// arguments) and reads how often and with what it was called. Like the real storage, the answer
// arrives later, from the event loop, never inside the call. An operation the test did not script
// answers `internal` and counts as unexpected.
template<typename T, typename... Args> class ScriptedCall
{
public:
    using Answer = std::function<Result<T>(const Args &...)>;

    void answer(Answer answer) { m_answer = std::move(answer); }
    void answerWith(Result<T> result)
    {
        m_answer = [result](const Args &...) { return result; };
    }

    int calls() const { return m_calls; }
    const std::tuple<Args...> &lastArguments() const { return m_last; }

    void operator()(Server::StorageCallback<T> done, const Args &...args)
    {
        ++m_calls;
        m_last = std::tuple<Args...>(args...);
        Result<T> result = m_answer
            ? m_answer(args...)
            : Result<T>(ProtocolError::make(ErrorCode::Internal, QStringLiteral("unscripted storage call")));
        QTimer::singleShot(0, [done = std::move(done), result = std::move(result)] { done(result); });
    }

private:
    Answer m_answer;
    int m_calls = 0;
    std::tuple<Args...> m_last;
};

} // namespace Switchboard::Tests
