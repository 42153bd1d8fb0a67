#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTranslator>

namespace Switchboard::Console {

// Loads the console's embedded translations (:/i18n/switchboard_console_<lang>.qm, built by
// qt_add_translations) and Qt's own for the chosen language. The language follows the system
// locale unless ConsoleSettings::language() overrides it.
class LanguageManager final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LanguageManager)

public:
    explicit LanguageManager(QObject *parent = nullptr);
    ~LanguageManager() override;

    // Codes with an embedded translation: "en" (the source language) and "zh_CN".
    static QStringList availableLanguages();
    // The language's name in itself ("English", "简体中文").
    static QString nativeName(const QString &code);

    // Installs the translators for language (empty = system locale) on the application, replacing
    // earlier ones, and makes it the default QLocale. Returns the code of the embedded translation
    // in use ("en" when none matched).
    QString apply(const QString &language);
    QString currentLanguage() const { return m_current; }

private:
    void removeTranslators();

    QTranslator m_console;
    QTranslator m_qt;
    bool m_consoleInstalled = false;
    bool m_qtInstalled = false;
    QString m_current;
};

} // namespace Switchboard::Console
