#pragma once

#include <QString>
#include <QtGlobal>

namespace Switchboard {

// A user as clients see it: never carries password material.
struct UserInfo
{
    qint64 id = 0;
    QString username;
    QString displayName;
    QString role; // "user", "guest", "agent" or "admin"
};

} // namespace Switchboard
