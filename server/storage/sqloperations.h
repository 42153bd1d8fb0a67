#pragma once

#include <QSqlDatabase>
#include <QString>

#include "server/storage/migrations.h"
#include "server/storage/sqlcontacts.h"
#include "server/storage/sqlcontext.h"
#include "server/storage/sqlconversations.h"
#include "server/storage/sqlfiles.h"
#include "server/storage/sqlpushoutbox.h"
#include "server/storage/sqlsettings.h"
#include "server/storage/sqlsupport.h"
#include "server/storage/sqlusers.h"

namespace Switchboard::Server {

// The SQL of every storage operation, one table group per class (users, conversations and
// messages, contacts, support, files, push outbox, settings) over one SqlContext. Lives on the
// storage thread only; SqlStorage runs its jobs against it.
class SqlOperations
{
public:
    SqlOperations(QSqlDatabase db, Migrations::Dialect dialect, const StorageRules &rules);
    Q_DISABLE_COPY_MOVE(SqlOperations)

    Migrations::Dialect dialect() const { return m_sql.dialect(); }
    QSqlDatabase &database() { return m_sql.database(); }

    void resetFailure() { m_sql.resetFailure(); }
    bool failed() const { return m_sql.failed(); }
    void finishStatements() { m_sql.finishStatements(); }
    bool execRaw(const QString &sql) { return m_sql.execRaw(sql); }
    bool execControl(const QString &sql) { return m_sql.execControl(sql); }
    // Forgets cached statements and derived data (after a reconnect or a rolled-back batch).
    void clearCaches();

    SqlUsers &users() { return m_users; }
    SqlConversations &conversations() { return m_conversations; }
    SqlContacts &contacts() { return m_contacts; }
    SqlSupport &support() { return m_support; }
    SqlFiles &files() { return m_files; }
    SqlPushOutbox &push() { return m_push; }
    SqlSettings &settings() { return m_settings; }

private:
    SqlContext m_sql;
    SqlUsers m_users;
    SqlFiles m_files;
    SqlPushOutbox m_push;
    SqlConversations m_conversations;
    SqlContacts m_contacts;
    SqlSupport m_support;
    SqlSettings m_settings;
};

} // namespace Switchboard::Server
