#pragma once

#include <QDialog>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
QT_END_NAMESPACE

namespace Switchboard::Console {

class ConsoleSettings;

// Language override and notification preferences. Writes ConsoleSettings on accept; a language
// change applies at the next start.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    SettingsDialog(ConsoleSettings &settings, QWidget *parent = nullptr);

    // Empty = system language.
    QString selectedLanguage() const;
    void accept() override;

private:
    ConsoleSettings &m_settings;
    QComboBox *m_language = nullptr;
    QCheckBox *m_sound = nullptr;
    QCheckBox *m_tray = nullptr;
};

} // namespace Switchboard::Console
