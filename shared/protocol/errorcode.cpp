#include "shared/protocol/errorcode.h"

#include <array>
#include <utility>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {
const std::array<std::pair<ErrorCode, QStringView>, 13> kNames {{
    {ErrorCode::BadRequest, u"bad_request"},
    {ErrorCode::UnknownType, u"unknown_type"},
    {ErrorCode::NotAuthenticated, u"not_authenticated"},
    {ErrorCode::AuthFailed, u"auth_failed"},
    {ErrorCode::Forbidden, u"forbidden"},
    {ErrorCode::NotFound, u"not_found"},
    {ErrorCode::ValidationFailed, u"validation_failed"},
    {ErrorCode::RateLimited, u"rate_limited"},
    {ErrorCode::LimitExceeded, u"limit_exceeded"},
    {ErrorCode::Conflict, u"conflict"},
    {ErrorCode::TooLarge, u"too_large"},
    {ErrorCode::Unavailable, u"unavailable"},
    {ErrorCode::Internal, u"internal"},
}};
} // namespace

QString toString(ErrorCode code)
{
    for (const auto &[c, name] : kNames) {
        if (c == code)
            return name.toString();
    }
    return u"internal"_s;
}

bool errorCodeFromString(QStringView text, ErrorCode *code)
{
    for (const auto &[c, name] : kNames) {
        if (name == text) {
            *code = c;
            return true;
        }
    }
    return false;
}

} // namespace Switchboard
