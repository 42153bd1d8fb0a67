#include "server/storage/sqloperations.h"

namespace Switchboard::Server {

SqlOperations::SqlOperations(QSqlDatabase db, Migrations::Dialect dialect, const StorageRules &rules)
    : m_sql(std::move(db), dialect, rules),
      m_users(m_sql),
      m_files(m_sql),
      m_push(m_sql, m_users),
      m_conversations(m_sql, m_users, m_files, m_push),
      m_contacts(m_sql, m_users),
      m_support(m_sql, m_users, m_conversations),
      m_settings(m_sql)
{ }

void SqlOperations::clearCaches()
{
    m_sql.clearStatements();
    m_conversations.clearCaches();
}

} // namespace Switchboard::Server
