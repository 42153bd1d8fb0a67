#pragma once

#include <QString>

#include "shared/protocol/result.h"

namespace Switchboard::Server {

class SqlContext;

// Table settings: server-wide values kept in the database.
class SqlSettings
{
public:
    explicit SqlSettings(SqlContext &sql);

    Result<QString> loadOrStoreSetting(const QString &key, const QString &valueIfMissing);

private:
    SqlContext &m_sql;
};

} // namespace Switchboard::Server
