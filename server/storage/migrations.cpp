#include "server/storage/migrations.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include "server/storage/logging.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {

// %PK% is the dialect's auto-increment 64-bit primary key, %BLOB% its byte-string type, %NOW_MS%
// the time of the migration in ms since the epoch (the server's clock, which also wrote created_at).
struct Step
{
    int version;
    const char *description;
    QStringList statements;
};

QList<Step> steps()
{
    return {
        {1, "users, conversations, participants, messages, settings",
            {
                u"CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"_s,
                u"CREATE TABLE users ("
                " id %PK%,"
                " username TEXT NOT NULL UNIQUE,"
                " display_name TEXT NOT NULL,"
                " role TEXT NOT NULL,"
                " password_hash TEXT,"
                " created_at BIGINT NOT NULL,"
                " last_seen_at BIGINT)"_s,
                u"CREATE TABLE conversations ("
                " id %PK%,"
                " type TEXT NOT NULL,"
                " title TEXT,"
                " private_key TEXT UNIQUE,"
                " owner_id BIGINT REFERENCES users(id),"
                " last_seq BIGINT NOT NULL DEFAULT 0,"
                " created_at BIGINT NOT NULL,"
                " updated_at BIGINT NOT NULL)"_s,
                u"CREATE TABLE participants ("
                " conversation_id BIGINT NOT NULL REFERENCES conversations(id),"
                " user_id BIGINT NOT NULL REFERENCES users(id),"
                " delivered_seq BIGINT NOT NULL DEFAULT 0,"
                " read_seq BIGINT NOT NULL DEFAULT 0,"
                " joined_at BIGINT NOT NULL,"
                " PRIMARY KEY (conversation_id, user_id))"_s,
                u"CREATE INDEX participants_by_user ON participants(user_id)"_s,
                u"CREATE TABLE messages ("
                " id %PK%,"
                " conversation_id BIGINT NOT NULL REFERENCES conversations(id),"
                " seq BIGINT NOT NULL,"
                " sender_id BIGINT NOT NULL REFERENCES users(id),"
                " type TEXT NOT NULL,"
                " content %BLOB% NOT NULL," // UTF-8 bytes: PostgreSQL TEXT cannot hold NUL
                " attachment TEXT,"
                " client_msg_id TEXT,"
                " created_at BIGINT NOT NULL,"
                " UNIQUE (conversation_id, seq))"_s,
                // Dedup lookups by (sender, client_msg_id); the 24 h window is checked in the query.
                u"CREATE INDEX messages_by_client_id ON messages(sender_id, client_msg_id)"
                " WHERE client_msg_id IS NOT NULL"_s,
            }},
        {2, "contacts",
            {
                u"CREATE TABLE contacts ("
                " owner_id BIGINT NOT NULL REFERENCES users(id),"
                " contact_id BIGINT NOT NULL REFERENCES users(id),"
                " created_at BIGINT NOT NULL,"
                " PRIMARY KEY (owner_id, contact_id))"_s,
                u"CREATE INDEX contacts_by_contact ON contacts(contact_id)"_s,
            }},
        {3, "support conversations",
            {
                u"ALTER TABLE conversations ADD COLUMN support_status TEXT"_s,
                u"ALTER TABLE conversations ADD COLUMN agent_id BIGINT"_s,
                u"ALTER TABLE conversations ADD COLUMN requester_id BIGINT"_s,
                u"CREATE INDEX conversations_support ON conversations(support_status, created_at)"
                " WHERE type = 'support'"_s,
                u"CREATE INDEX conversations_requester ON conversations(requester_id) WHERE type = 'support'"_s,
            }},
        {4, "files",
            {
                u"CREATE TABLE files ("
                " id %PK%,"
                " owner_id BIGINT NOT NULL REFERENCES users(id),"
                " name TEXT NOT NULL,"
                " mime TEXT NOT NULL,"
                " size BIGINT NOT NULL,"
                " storage_key TEXT NOT NULL UNIQUE,"
                " created_at BIGINT NOT NULL)"_s,
                u"ALTER TABLE messages ADD COLUMN file_id BIGINT"_s,
                u"CREATE INDEX messages_by_file ON messages(file_id) WHERE file_id IS NOT NULL"_s,
            }},
        {5, "offline push: registrations and the durable outbox",
            {
                u"CREATE TABLE push_registrations ("
                " id %PK%,"
                " user_id BIGINT NOT NULL REFERENCES users(id),"
                " platform TEXT NOT NULL,"
                " token TEXT NOT NULL,"
                " created_at BIGINT NOT NULL,"
                " UNIQUE (platform, token))"_s,
                u"CREATE INDEX push_registrations_by_user ON push_registrations(user_id)"_s,
                u"CREATE TABLE push_outbox ("
                " id %PK%,"
                " user_id BIGINT NOT NULL,"
                " platform TEXT NOT NULL,"
                " token TEXT NOT NULL,"
                " message_id BIGINT NOT NULL,"
                " payload TEXT NOT NULL,"
                " status TEXT NOT NULL,"
                " attempts INTEGER NOT NULL DEFAULT 0,"
                " next_attempt_at BIGINT NOT NULL,"
                " last_error TEXT,"
                " created_at BIGINT NOT NULL,"
                " updated_at BIGINT NOT NULL)"_s,
                u"CREATE INDEX push_outbox_due ON push_outbox(status, next_attempt_at)"_s,
            }},
        {6, "user search key (Unicode case-folded names, computed by the server)",
            {
                u"ALTER TABLE users ADD COLUMN search_key TEXT"_s,
                // Rows from before this version: SQL lower() folds ASCII only; new rows are folded by
                // the server with full Unicode rules.
                u"UPDATE users SET search_key = lower(username) || ' ' || lower(display_name)"_s,
            }},
        {7, "dedup by a unique index instead of a lookup before every insert",
            {
                // 1 while the row's client_msg_id still takes part in dedup, NULL once it no longer
                // does: a send first tries to insert, and only a conflict on the unique index below
                // costs a lookup (an expired row is closed then, and the insert repeated).
                u"ALTER TABLE messages ADD COLUMN dedup_open SMALLINT"_s,
                // The rows still within the 24 h window (kDedupWindowMs), and of several with the same
                // key only the newest (the one the lookup of version 6 answered with), so the index
                // can be unique.
                u"UPDATE messages SET dedup_open = 1 WHERE id IN (SELECT MAX(id) FROM messages"
                " WHERE client_msg_id IS NOT NULL AND created_at > %NOW_MS% - 86400000"
                " GROUP BY sender_id, client_msg_id)"_s,
                u"CREATE UNIQUE INDEX messages_dedup ON messages(sender_id, client_msg_id)"
                " WHERE dedup_open IS NOT NULL"_s,
                // Every dedup query now goes through messages_dedup; one index less per insert.
                u"DROP INDEX messages_by_client_id"_s,
            }},
        {8, "token version per account (kick and revocation end every issued token)",
            {
                u"ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0"_s,
            }},
    };
}

bool exec(QSqlDatabase &db, const QString &sql, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        *error = u"%1: %2"_s.arg(sql.left(80), q.lastError().text());
        return false;
    }
    return true;
}

} // namespace

int Migrations::latestVersion()
{
    return steps().constLast().version;
}

bool Migrations::migrate(QSqlDatabase &db, Dialect dialect, int *version, QString *error, int upTo)
{
    Q_ASSERT(upTo <= latestVersion());
    const QString blob = dialect == Dialect::Sqlite ? u"BLOB"_s : u"BYTEA"_s;
    const QString pk = dialect == Dialect::Sqlite ? u"INTEGER PRIMARY KEY"_s
                                                  : u"BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"_s;
    const QString now = QString::number(QDateTime::currentMSecsSinceEpoch());
    // BEGIN IMMEDIATE on SQLite so that two processes starting at once serialise here.
    if (!exec(db, dialect == Dialect::Sqlite ? u"BEGIN IMMEDIATE"_s : u"BEGIN"_s, error))
        return false;
    auto fail = [&](const QString &message) {
        *error = message;
        exec(db, u"ROLLBACK"_s, error);
        *error = message;
        return false;
    };
    QString err;
    if (!exec(db, u"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"_s, &err))
        return fail(err);
    int current = 0;
    {
        QSqlQuery q(db);
        if (!q.exec(u"SELECT version FROM schema_version"_s))
            return fail(q.lastError().text());
        if (q.next())
            current = q.value(0).toInt();
    }
    if (current > latestVersion()) {
        return fail(u"the database schema is version %1, newer than this server understands (%2); "
                    "upgrade switchboard-server or use another database"_s.arg(current)
                        .arg(latestVersion()));
    }
    for (const Step &step : steps()) {
        if (step.version <= current || step.version > upTo)
            continue;
        qCInfo(lcStorage, "migrating schema to version %d: %s", step.version, step.description);
        for (QString sql : step.statements) {
            sql.replace(u"%PK%"_s, pk);
            sql.replace(u"%BLOB%"_s, blob);
            sql.replace(u"%NOW_MS%"_s, now);
            if (!exec(db, sql, &err))
                return fail(u"migration %1 failed: %2"_s.arg(step.version).arg(err));
        }
        current = step.version;
    }
    if (!exec(db, u"DELETE FROM schema_version"_s, &err)
        || !exec(db, u"INSERT INTO schema_version (version) VALUES (%1)"_s.arg(current), &err))
        return fail(err);
    if (!exec(db, u"COMMIT"_s, &err))
        return fail(err);
    *version = current;
    return true;
}

} // namespace Switchboard::Server
