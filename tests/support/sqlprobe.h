#pragma once

// Direct read access to a test server's database (SQLite file or PostgreSQL), for facts the
// wire cannot show: how passwords are stored, the token secret. Tests that include this link
// Qt6::Sql (sb_add_test(... LIBS Qt6::Sql)).

#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QString>
#include <QUrl>
#include <QVariant>

namespace Switchboard::Test::It {

// Runs one statement on the database behind a server URL (sqlite:PATH or postgresql://...);
// returns the rows (each a list of column values). On failure *error is set.
inline QList<QVariantList> sqlRows(
    const QString &databaseUrl, const QString &statement, const QVariantList &binds, QString *error)
{
    QList<QVariantList> rows;
    const QString name
        = QStringLiteral("sb_core_sql_%1").arg(qulonglong(QRandomGenerator::global()->generate64()), 0, 16);
    {
        QSqlDatabase db;
        if (databaseUrl.startsWith(QStringLiteral("sqlite:"))) {
            db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(databaseUrl.mid(7));
        } else {
            const QUrl url(databaseUrl);
            db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
            db.setHostName(url.host());
            db.setPort(url.port(5432));
            db.setUserName(url.userName(QUrl::FullyDecoded));
            db.setPassword(url.password(QUrl::FullyDecoded));
            db.setDatabaseName(url.path().mid(1));
        }
        if (!db.open()) {
            *error = db.lastError().text();
        } else {
            QSqlQuery q(db);
            bool ok = false;
            if (binds.isEmpty()) {
                ok = q.exec(statement); // utility statements (ALTER DATABASE) cannot be prepared
            } else {
                q.prepare(statement);
                for (const QVariant &b : binds)
                    q.addBindValue(b);
                ok = q.exec();
            }
            if (!ok) {
                *error = q.lastError().text();
            } else {
                while (q.isSelect() && q.next()) {
                    QVariantList row;
                    for (int i = 0; i < q.record().count(); ++i)
                        row.append(q.value(i));
                    rows.append(row);
                }
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return rows;
}

} // namespace Switchboard::Test::It
