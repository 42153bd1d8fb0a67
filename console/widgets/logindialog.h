#pragma once

#include <QDialog>
#include <QUrl>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
QT_END_NAMESPACE

namespace Switchboard::Console {

// Server URL, username, password and "remember me". Emits loginRequested(); the application
// does the login and answers with setBusy(), showError() or accept().
class LoginDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoginDialog)

public:
    explicit LoginDialog(QWidget *parent = nullptr);

    QString serverText() const;
    QString username() const;
    QString password() const;
    bool rememberMe() const;

    void setServerText(const QString &server);
    void setUsername(const QString &username);
    void setPassword(const QString &password);
    void setRememberMe(bool remember);
    // While busy the inputs are disabled and the button says so.
    void setBusy(bool busy);
    bool isBusy() const { return m_busy; }
    void showError(const QString &text);
    QString errorText() const;
    // An informational line, e.g. that no keychain is available to remember the password.
    void showNotice(const QString &text);
    QString noticeText() const;

    QLineEdit *serverEdit() const { return m_server; }
    QLineEdit *usernameEdit() const { return m_username; }
    QLineEdit *passwordEdit() const { return m_password; }
    QCheckBox *rememberBox() const { return m_remember; }
    QPushButton *loginButton() const { return m_login; }

    // "http://host:port" from what the user typed (a bare host:port, ws:// or http:// URL);
    // invalid when it cannot be one.
    static QUrl normalizedServerUrl(const QString &text);

Q_SIGNALS:
    void loginRequested(const QUrl &serverUrl, const QString &username, const QString &password, bool remember);

private:
    void submit();

    QLineEdit *m_server = nullptr;
    QLineEdit *m_username = nullptr;
    QLineEdit *m_password = nullptr;
    QCheckBox *m_remember = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_notice = nullptr;
    QPushButton *m_login = nullptr;
    bool m_busy = false;
};

} // namespace Switchboard::Console
