#include "shared/protocol/requestfields.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {
constexpr double kMaxSafeInteger = 9007199254740991.0; // 2^53 - 1

ProtocolError wrongType(const QString &key, const char *expected)
{
    return ProtocolError::make(ErrorCode::BadRequest, u"Field '%1' must be %2"_s.arg(key, QLatin1StringView(expected)));
}

ProtocolError missing(const QString &key)
{
    return ProtocolError::make(ErrorCode::BadRequest, u"Field '%1' is required"_s.arg(key));
}
} // namespace

bool RequestFields::isSafeInteger(double value)
{
    return std::isfinite(value) && std::trunc(value) == value && std::fabs(value) <= kMaxSafeInteger;
}

bool RequestFields::has(const QString &key) const
{
    const QJsonValue v = m_object.value(key);
    return !v.isUndefined() && !v.isNull();
}

Result<std::optional<qint64>> RequestFields::optionalId(const QString &key) const
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined() || v.isNull())
        return std::optional<qint64>();
    if (!v.isDouble() || !isSafeInteger(v.toDouble()) || v.toDouble() < 1)
        return wrongType(key, "a positive integer");
    return std::optional<qint64>(qint64(v.toDouble()));
}

Result<qint64> RequestFields::requiredId(const QString &key) const
{
    auto r = optionalId(key);
    if (!r)
        return r.error();
    if (!r.value())
        return missing(key);
    return *r.value();
}

Result<std::optional<qint64>> RequestFields::optionalCount(const QString &key) const
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined() || v.isNull())
        return std::optional<qint64>();
    if (!v.isDouble() || !isSafeInteger(v.toDouble()) || v.toDouble() < 0)
        return wrongType(key, "a non-negative integer");
    return std::optional<qint64>(qint64(v.toDouble()));
}

Result<qint64> RequestFields::requiredCount(const QString &key) const
{
    auto r = optionalCount(key);
    if (!r)
        return r.error();
    if (!r.value())
        return missing(key);
    return *r.value();
}

Result<std::optional<QString>> RequestFields::optionalString(const QString &key) const
{
    const QJsonValue v = m_object.value(key);
    if (v.isUndefined() || v.isNull())
        return std::optional<QString>();
    if (!v.isString())
        return wrongType(key, "a string");
    return std::optional<QString>(v.toString());
}

Result<QString> RequestFields::requiredString(const QString &key) const
{
    auto r = optionalString(key);
    if (!r)
        return r.error();
    if (!r.value())
        return missing(key);
    return *r.value();
}

} // namespace Switchboard
