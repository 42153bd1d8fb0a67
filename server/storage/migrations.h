#pragma once

#include <QString>

class QSqlDatabase;

namespace Switchboard::Server {

// Ordered schema steps. The schema_version only grows; a database whose version is newer than
// the code knows is refused with a clear message rather than touched.
class Migrations
{
public:
    enum class Dialect { Sqlite, PostgreSql };

    static int latestVersion();
    // Brings the database to latestVersion() in one transaction. Returns false with *error set.
    // upTo stops at an older version (tests build the schemas that later steps start from).
    static bool migrate(QSqlDatabase &db, Dialect dialect, int *version, QString *error, int upTo = latestVersion());
};

} // namespace Switchboard::Server
