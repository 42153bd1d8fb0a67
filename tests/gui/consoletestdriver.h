#pragma once

#include <QString>
#include <QTemporaryDir>
#include <QUrl>
#include <memory>

#include "console/app/consolesettings.h"
#include "console/consoleapplication.h"
#include "tests/support/fakecredentialstore.h"

namespace Switchboard::Test {

// One console as an operator would run it, for tests and the screenshot tool: settings in a
// temporary INI file, a FakeCredentialStore, the real ConsoleApplication with its real widgets.
// loginThroughDialog() fills in the login dialog with key clicks and presses "Sign in".
class ConsoleTestDriver final
{
public:
    explicit ConsoleTestDriver(const QUrl &serverHttpUrl);
    ~ConsoleTestDriver();
    ConsoleTestDriver(const ConsoleTestDriver &) = delete;
    ConsoleTestDriver &operator=(const ConsoleTestDriver &) = delete;

    Console::ConsoleApplication &app() { return *m_app; }
    Console::ConsoleSettings &settings() { return *m_settings; }
    FakeCredentialStore &store() { return m_store; }
    QUrl serverUrl() const { return m_serverUrl; }
    QString settingsFile() const { return m_dir.filePath(QStringLiteral("console.ini")); }

    // Shows the login dialog (ConsoleApplication::start()).
    void start();
    // Types server, username and password into the dialog, sets "remember me", clicks Sign in,
    // and waits until the console is signed in and its session online. False with *error on
    // failure or timeout.
    bool loginThroughDialog(const QString &username, const QString &password, bool remember = false,
        QString *error = nullptr, int timeoutMs = 15000);
    // Waits until the session is online (after a reconnect, for example).
    bool waitOnline(int timeoutMs = 15000);

private:
    QTemporaryDir m_dir;
    QUrl m_serverUrl;
    std::unique_ptr<Console::ConsoleSettings> m_settings;
    FakeCredentialStore m_store;
    std::unique_ptr<Console::ConsoleApplication> m_app;
};

} // namespace Switchboard::Test
