#pragma once

#include <QString>

namespace Switchboard::Server {

// The --database option: "sqlite:PATH" or "postgresql://user:pass@host:port/dbname".
struct DatabaseUrl
{
    enum class Backend { Invalid, Sqlite, PostgreSql };

    Backend backend = Backend::Invalid;
    QString path; // SQLite file
    QString host; // PostgreSQL
    int port = 5432;
    QString user;
    QString password;
    QString database;

    static DatabaseUrl parse(const QString &text, QString *error);
    // The URL without the password, for logs.
    QString redacted() const;
};

} // namespace Switchboard::Server
