#include "console/app/errortext.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace Switchboard::Console::ErrorText {

QString describe(const ProtocolError &error)
{
    switch (error.code) {
    case ErrorCode::BadRequest:
    case ErrorCode::UnknownType:
        return QCoreApplication::translate(
            "Switchboard::Console::ErrorText", "The server did not understand the request.");
    case ErrorCode::NotAuthenticated:
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "You are not signed in.");
    case ErrorCode::AuthFailed:
        return QCoreApplication::translate(
            "Switchboard::Console::ErrorText", "Wrong username or password, or the session has expired.");
    case ErrorCode::Forbidden:
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "You are not allowed to do this.");
    case ErrorCode::NotFound:
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "It does not exist (any more).");
    case ErrorCode::ValidationFailed:
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "The server refused the input: %1")
            .arg(error.message);
    case ErrorCode::RateLimited:
        if (error.retryAfterMs > 0)
            return QCoreApplication::translate(
                "Switchboard::Console::ErrorText", "Too many requests. Try again in %1 s.")
                .arg((error.retryAfterMs + 999) / 1000);
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "Too many requests. Try again later.");
    case ErrorCode::LimitExceeded:
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "A server limit was reached.");
    case ErrorCode::Conflict:
        return QCoreApplication::translate(
            "Switchboard::Console::ErrorText", "Someone else changed it first (another agent may hold this chat).");
    case ErrorCode::TooLarge:
        return QCoreApplication::translate("Switchboard::Console::ErrorText", "It is too large.");
    case ErrorCode::Unavailable:
        if (error.message == u"timeout"_s)
            return QCoreApplication::translate("Switchboard::Console::ErrorText", "The server did not answer in time.");
        if (error.message == u"connection closed"_s || error.message == u"not connected"_s)
            return QCoreApplication::translate("Switchboard::Console::ErrorText", "Not connected to the server.");
        return QCoreApplication::translate(
            "Switchboard::Console::ErrorText", "The server is temporarily unavailable. Try again later.");
    case ErrorCode::Internal:
        break;
    }
    return QCoreApplication::translate("Switchboard::Console::ErrorText", "Unexpected server error.");
}

} // namespace Switchboard::Console::ErrorText
