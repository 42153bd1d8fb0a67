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

    // The one definition of the roles' powers. Staff (agents and admins) may read and write
    // support conversations they are not part of; admins may also administer the server.
    static bool isStaffRole(const QString &role)
    {
        return role == QLatin1StringView("agent") || role == QLatin1StringView("admin");
    }
    bool isStaff() const { return isStaffRole(role); }
    bool isAdmin() const { return role == QLatin1StringView("admin"); }
};

} // namespace Switchboard
