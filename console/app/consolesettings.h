#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>
#include <memory>

QT_BEGIN_NAMESPACE
class QSettings;
QT_END_NAMESPACE

namespace Switchboard::Console {

// Typed access to the console's QSettings. Never holds secrets: the password of "remember me"
// lives only in the CredentialStore (OS keychain).
class ConsoleSettings final
{
public:
    // The platform's default location (organization "Switchboard", application "Console").
    ConsoleSettings();
    // An INI file at iniPath (tests, portable installs).
    explicit ConsoleSettings(const QString &iniPath);
    ~ConsoleSettings();
    ConsoleSettings(const ConsoleSettings &) = delete;
    ConsoleSettings &operator=(const ConsoleSettings &) = delete;

    // http(s)://host:port of the server, as typed in the login dialog.
    QUrl serverUrl() const;
    void setServerUrl(const QUrl &url);
    QString lastUsername() const;
    void setLastUsername(const QString &username);
    bool rememberMe() const;
    void setRememberMe(bool remember);

    // Empty = follow the system locale; otherwise a language code such as "en" or "zh_CN".
    QString language() const;
    void setLanguage(const QString &language);

    bool soundEnabled() const;
    void setSoundEnabled(bool enabled);
    bool notificationsEnabled() const;
    void setNotificationsEnabled(bool enabled);

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray &geometry);
    QByteArray windowState() const;
    void setWindowState(const QByteArray &state);

    void sync();

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace Switchboard::Console
