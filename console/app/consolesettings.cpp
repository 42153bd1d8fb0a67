#include "console/app/consolesettings.h"

#include <QSettings>

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
const QString kServerUrl = u"login/server_url"_s;
const QString kUsername = u"login/username"_s;
const QString kRemember = u"login/remember"_s;
const QString kLanguage = u"ui/language"_s;
const QString kSound = u"notifications/sound"_s;
const QString kNotifications = u"notifications/tray"_s;
const QString kGeometry = u"window/geometry"_s;
const QString kState = u"window/state"_s;
} // namespace

ConsoleSettings::ConsoleSettings() : m_settings(std::make_unique<QSettings>(u"Switchboard"_s, u"Console"_s))
{ }

ConsoleSettings::ConsoleSettings(const QString &iniPath)
    : m_settings(std::make_unique<QSettings>(iniPath, QSettings::IniFormat))
{ }

ConsoleSettings::~ConsoleSettings() = default;

QUrl ConsoleSettings::serverUrl() const
{
    return QUrl(m_settings->value(kServerUrl, u"http://127.0.0.1:8080"_s).toString());
}

void ConsoleSettings::setServerUrl(const QUrl &url)
{
    m_settings->setValue(kServerUrl, url.toString());
}

QString ConsoleSettings::lastUsername() const
{
    return m_settings->value(kUsername).toString();
}

void ConsoleSettings::setLastUsername(const QString &username)
{
    m_settings->setValue(kUsername, username);
}

bool ConsoleSettings::rememberMe() const
{
    return m_settings->value(kRemember, false).toBool();
}

void ConsoleSettings::setRememberMe(bool remember)
{
    m_settings->setValue(kRemember, remember);
}

QString ConsoleSettings::language() const
{
    return m_settings->value(kLanguage).toString();
}

void ConsoleSettings::setLanguage(const QString &language)
{
    m_settings->setValue(kLanguage, language);
}

bool ConsoleSettings::soundEnabled() const
{
    return m_settings->value(kSound, true).toBool();
}

void ConsoleSettings::setSoundEnabled(bool enabled)
{
    m_settings->setValue(kSound, enabled);
}

bool ConsoleSettings::notificationsEnabled() const
{
    return m_settings->value(kNotifications, true).toBool();
}

void ConsoleSettings::setNotificationsEnabled(bool enabled)
{
    m_settings->setValue(kNotifications, enabled);
}

QByteArray ConsoleSettings::windowGeometry() const
{
    return m_settings->value(kGeometry).toByteArray();
}

void ConsoleSettings::setWindowGeometry(const QByteArray &geometry)
{
    m_settings->setValue(kGeometry, geometry);
}

QByteArray ConsoleSettings::windowState() const
{
    return m_settings->value(kState).toByteArray();
}

void ConsoleSettings::setWindowState(const QByteArray &state)
{
    m_settings->setValue(kState, state);
}

void ConsoleSettings::sync()
{
    m_settings->sync();
}

} // namespace Switchboard::Console
