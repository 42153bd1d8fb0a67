#include "server/storage/sqlsettings.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <algorithm>
#include <limits>

#include "server/storage/logging.h"
#include "server/storage/sqlcommon.h"
#include "server/storage/sqlcontext.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

using namespace SqlCommon;

SqlSettings::SqlSettings(SqlContext &sql) : m_sql(sql)
{ }

Result<QString> SqlSettings::loadOrStoreSetting(const QString &key, const QString &valueIfMissing)
{
    QSqlQuery *q = m_sql.run(u"SELECT value FROM settings WHERE key = ?"_s, {key});
    if (!q)
        return m_sql.storageError();
    if (q->next())
        return q->value(0).toString();
    if (!m_sql.run(u"INSERT INTO settings (key, value) VALUES (?, ?)"_s, {key, valueIfMissing}))
        return m_sql.storageError();
    return valueIfMissing;
}

} // namespace Switchboard::Server
