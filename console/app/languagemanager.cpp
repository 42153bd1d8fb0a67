#include "console/app/languagemanager.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>

#include "console/app/logging.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

LanguageManager::LanguageManager(QObject *parent) : QObject(parent)
{ }

LanguageManager::~LanguageManager()
{
    removeTranslators();
}

QStringList LanguageManager::availableLanguages()
{
    return {u"en"_s, u"zh_CN"_s};
}

QString LanguageManager::nativeName(const QString &code)
{
    if (code == u"zh_CN"_s)
        return u"简体中文"_s;
    if (code == u"en"_s)
        return u"English"_s;
    return QLocale(code).nativeLanguageName();
}

void LanguageManager::removeTranslators()
{
    if (m_consoleInstalled)
        QCoreApplication::removeTranslator(&m_console);
    if (m_qtInstalled)
        QCoreApplication::removeTranslator(&m_qt);
    m_consoleInstalled = m_qtInstalled = false;
}

QString LanguageManager::apply(const QString &language)
{
    removeTranslators();
    const QLocale locale = language.isEmpty() ? QLocale::system() : QLocale(language);
    QLocale::setDefault(locale);
    m_current = u"en"_s;
    // Tries the locale's UI languages in order (zh_Hans_CN, zh_CN, zh, ...).
    if (m_console.load(locale, u"switchboard_console"_s, u"_"_s, u":/i18n"_s)) {
        m_consoleInstalled = QCoreApplication::installTranslator(&m_console);
        m_current = m_console.language().isEmpty() ? m_current : m_console.language().replace(u'-', u'_');
    } else {
        qCDebug(lcConsole) << "no console translation for" << locale.uiLanguages();
    }
    if (m_qt.load(locale, u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        m_qtInstalled = QCoreApplication::installTranslator(&m_qt);
    return m_current;
}

} // namespace Switchboard::Console
