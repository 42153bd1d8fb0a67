#pragma once

#include <optional>
#include <utility>

#include "shared/protocol/protocolerror.h"

namespace Switchboard {

// Value-or-ProtocolError for fallible internal calls (C++20 has no std::expected).
template<typename T> class Result
{
public:
    Result(T value) : m_value(std::move(value)) { }
    Result(ProtocolError error) : m_error(std::move(error)) { }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T *operator->() const { return &*m_value; }
    T *operator->() { return &*m_value; }
    const ProtocolError &error() const { return m_error; }

private:
    std::optional<T> m_value;
    ProtocolError m_error;
};

// Result for operations that return nothing but may fail.
struct Done
{
};

} // namespace Switchboard
