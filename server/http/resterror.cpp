#include "server/http/resterror.h"

#include <QJsonObject>

#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server::RestError {

int httpStatus(ErrorCode code)
{
    switch (code) {
    case ErrorCode::BadRequest:
    case ErrorCode::UnknownType:
    case ErrorCode::ValidationFailed:
        return 400;
    case ErrorCode::NotAuthenticated:
    case ErrorCode::AuthFailed:
        return 401;
    case ErrorCode::Forbidden:
    case ErrorCode::LimitExceeded:
        return 403;
    case ErrorCode::NotFound:
        return 404;
    case ErrorCode::Conflict:
        return 409;
    case ErrorCode::TooLarge:
        return 413;
    case ErrorCode::RateLimited:
        return 429;
    case ErrorCode::Unavailable:
        return 503;
    case ErrorCode::Internal:
        return 500;
    }
    return 500;
}

QByteArray body(const ProtocolError &error)
{
    return JsonCodec::serialize(QJsonObject {{u"error"_s, JsonCodec::encode(error)}});
}

} // namespace Switchboard::Server::RestError
