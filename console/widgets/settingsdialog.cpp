#include "console/widgets/settingsdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QVBoxLayout>

#include "console/app/consolesettings.h"
#include "console/app/languagemanager.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

SettingsDialog::SettingsDialog(ConsoleSettings &settings, QWidget *parent) : QDialog(parent), m_settings(settings)
{
    setWindowTitle(tr("Settings"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_language = new QComboBox(this);
    m_language->setObjectName(u"languageCombo"_s);
    m_language->addItem(tr("System language"), QString());
    for (const QString &code : LanguageManager::availableLanguages())
        m_language->addItem(LanguageManager::nativeName(code), code);
    const int current = m_language->findData(settings.language());
    m_language->setCurrentIndex(current >= 0 ? current : 0);
    form->addRow(tr("&Language:"), m_language);
    m_sound = new QCheckBox(tr("Play a sound for new chats and messages"), this);
    m_sound->setChecked(settings.soundEnabled());
    m_tray = new QCheckBox(tr("Show desktop notifications"), this);
    m_tray->setChecked(settings.notificationsEnabled());
    form->addRow(QString(), m_sound);
    form->addRow(QString(), m_tray);
    layout->addLayout(form);
    auto *hint = new QLabel(tr("A new language applies the next time the console starts."), this);
    hint->setWordWrap(true);
    layout->addWidget(hint);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

QString SettingsDialog::selectedLanguage() const
{
    return m_language->currentData().toString();
}

void SettingsDialog::accept()
{
    m_settings.setLanguage(selectedLanguage());
    m_settings.setSoundEnabled(m_sound->isChecked());
    m_settings.setNotificationsEnabled(m_tray->isChecked());
    m_settings.sync();
    QDialog::accept();
}

} // namespace Switchboard::Console
