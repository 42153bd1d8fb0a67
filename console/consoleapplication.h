#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include "shared/protocol/protocolerror.h"
#include "shared/protocol/userinfo.h"

namespace Switchboard {
class ClientSession;
class RestClient;
} // namespace Switchboard

namespace Switchboard::Console {

class AdminMonitor;
class ConsoleSettings;
class CredentialStore;
class LoginDialog;
class MainWindow;
class Notifier;
class WorkspaceController;

// The composition root of the console: the login dialog and its credential handling, one
// ClientSession (reconnecting, with the outbox) and RestClient, the workspace controller, the
// admin monitor for administrators, notifications, and the main window. main() creates one and
// calls start(); tests and the screenshot driver do the same with a fake credential store.
class ConsoleApplication final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsoleApplication)

public:
    ConsoleApplication(ConsoleSettings &settings, CredentialStore *credentials, QObject *parent = nullptr);
    ~ConsoleApplication() override;

    // Shows the login dialog, filled from the settings and, with "remember me", the keychain.
    void start();
    // Closes the session and returns to the login dialog.
    void logout();

    LoginDialog *loginDialog() const;
    MainWindow *mainWindow() const;
    ClientSession *session() const { return m_session; }
    RestClient *rest() const { return m_rest; }
    WorkspaceController *workspace() const;
    AdminMonitor *adminMonitor() const;
    Notifier *notifier() const { return m_notifier; }
    UserInfo currentUser() const { return m_user; }
    // Why the password is not remembered (no keychain, ...); empty when all is well.
    QString credentialNotice() const { return m_credentialNotice; }

    // ws(s)://host:port/ws for an http(s) server URL.
    static QUrl webSocketUrl(const QUrl &serverUrl);

Q_SIGNALS:
    void loggedIn(const Switchboard::UserInfo &user);
    void loginFailed(const QString &text);
    void credentialNoticeChanged(const QString &text);
    // A new ClientSession replaced the previous one (after signing out).
    void sessionCreated(Switchboard::ClientSession *session);

private:
    void createSession();
    void onLoginRequested(const QUrl &serverUrl, const QString &username, const QString &password, bool remember);
    void rememberCredentials(const QUrl &serverUrl, const QString &username, const QString &password, bool remember);
    void enterConsole(const UserInfo &user, const QString &token, const QUrl &serverUrl);
    void buildConsole(const UserInfo &user);
    void backToLogin(const QString &error);
    void setCredentialNotice(const QString &text);
    void showSettings();

    ConsoleSettings &m_settings;
    CredentialStore *m_credentials = nullptr;
    ClientSession *m_session = nullptr;
    RestClient *m_rest = nullptr;
    Notifier *m_notifier = nullptr;
    QPointer<LoginDialog> m_login;
    QPointer<MainWindow> m_main;
    QPointer<WorkspaceController> m_controller;
    QPointer<AdminMonitor> m_monitor;
    UserInfo m_user;
    QUrl m_serverUrl;
    QString m_credentialNotice;
    bool m_quitOnLoginClose = true;
};

} // namespace Switchboard::Console
