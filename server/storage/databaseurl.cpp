#include "server/storage/databaseurl.h"

#include <QUrl>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

DatabaseUrl DatabaseUrl::parse(const QString &text, QString *error)
{
    DatabaseUrl result;
    if (text.startsWith(u"sqlite:"_s)) {
        result.path = text.mid(7);
        if (result.path.startsWith(u"//"_s)) // tolerate sqlite:///abs/path
            result.path = result.path.mid(2);
        if (result.path.isEmpty()) {
            *error = u"sqlite: needs a file path (sqlite:PATH)"_s;
            return {};
        }
        result.backend = Backend::Sqlite;
        return result;
    }
    if (text.startsWith(u"postgresql://"_s) || text.startsWith(u"postgres://"_s)) {
        const QUrl url(text, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() || url.path().size() < 2) {
            *error = u"invalid PostgreSQL URL (expected postgresql://user:pass@host:port/dbname)"_s;
            return {};
        }
        result.backend = Backend::PostgreSql;
        result.host = url.host();
        result.port = url.port(5432);
        result.user = url.userName();
        result.password = url.password();
        result.database = url.path().mid(1);
        return result;
    }
    *error = u"unsupported database URL '%1' (use sqlite:PATH or postgresql://...)"_s.arg(text);
    return {};
}

QString DatabaseUrl::redacted() const
{
    switch (backend) {
    case Backend::Sqlite:
        return u"sqlite:"_s + path;
    case Backend::PostgreSql:
        return u"postgresql://%1@%2:%3/%4"_s.arg(user, host).arg(port).arg(database);
    case Backend::Invalid:
        break;
    }
    return u"(invalid)"_s;
}

} // namespace Switchboard::Server
