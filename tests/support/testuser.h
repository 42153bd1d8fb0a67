#pragma once

#include <QString>
#include <QUrl>
#include <memory>

#include "shared/client/clientconnection.h"

namespace Switchboard::Test {

class ServerProcess;

// An account on the test server with a valid login token.
struct TestUser
{
    qint64 id = 0;
    QString username;
    QString password; // empty for guests
    QString displayName;
    QString role;
    QString token;
    qint64 tokenExpiresAt = 0; // ms since the epoch

    bool isValid() const { return id > 0 && !token.isEmpty(); }
};

// Helpers that talk to a running server over the real client library. They wait with deadlines
// (signals, never sleeps), return an invalid value / nullptr on failure and then describe the
// failure in *error, so that tests can write
//     QString error;
//     const TestUser ann = registerUser(m_server, u"ann"_s, &error);
//     QVERIFY2(ann.isValid(), qPrintable(error));
//     auto connection = connectAs(m_server, ann, &error);
//     QVERIFY2(connection, qPrintable(error));

// A unique valid username starting with prefix (lowercased, cut to fit 3-32 [a-z0-9_.-]).
QString uniqueUsername(const QString &prefix = QString());

// POST /auth/register with a unique name and a random password, then POST /auth/login.
TestUser registerUser(const QUrl &httpUrl, const QString &prefix = QString(), QString *error = nullptr);
TestUser registerUser(const ServerProcess &server, const QString &prefix = QString(), QString *error = nullptr);
// POST /auth/login for an existing account (e.g. one made with ServerProcess::createUser()).
TestUser loginUser(const QUrl &httpUrl, const QString &username, const QString &password, QString *error = nullptr);
// POST /auth/guest.
TestUser guestUser(const QUrl &httpUrl, const QString &displayName = QString(), QString *error = nullptr);
// An agent or admin: `--create-user` on the command line, then login.
TestUser createStaffUser(
    ServerProcess &server, const QString &role, const QString &prefix = QString(), QString *error = nullptr);

// Opens a ClientConnection with the user's token and waits until it is authenticated and the
// offline sync has finished (sync_complete). nullptr on failure, timeout or disconnect.
std::unique_ptr<ClientConnection> connectAs(const QUrl &wsUrl, const TestUser &user, QString *error = nullptr,
    ClientConnection::TokenTransport via = ClientConnection::TokenTransport::AuthFrame, int timeoutMs = 10000);
std::unique_ptr<ClientConnection> connectAs(const ServerProcess &server, const TestUser &user, QString *error = nullptr,
    ClientConnection::TokenTransport via = ClientConnection::TokenTransport::AuthFrame, int timeoutMs = 10000);

} // namespace Switchboard::Test
