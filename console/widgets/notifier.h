#pragma once

#include <QIcon>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QSystemTrayIcon;
class QWidget;
QT_END_NAMESPACE

namespace Switchboard::Console {

class ConsoleSettings;

// Gets the operator's attention when the console is not in front: a tray notification, a sound
// and the window manager's attention hint (taskbar flashing). While support chats wait unassigned
// it keeps reminding (every reminderInterval()) until someone claims them or the window is
// focused, and shows the count in the tray icon, so a new chat cannot go unnoticed.
class Notifier final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Notifier)

public:
    static constexpr int DefaultReminderIntervalMs = 60000;

    Notifier(ConsoleSettings &settings, QObject *parent = nullptr);
    ~Notifier() override;

    // The window whose focus decides whether to notify, and that gets the attention hint.
    void setWindow(QWidget *window);
    bool isWindowActive() const;

    // Notifies unless the window is active (or force is true).
    void notify(const QString &title, const QString &text, bool force = false);
    // Number of support chats nobody has claimed; > 0 keeps the reminders going.
    void setWaitingCount(int count);
    int waitingCount() const { return m_waiting; }
    int reminderInterval() const { return m_reminder.interval(); }
    void setReminderInterval(int msecs) { m_reminder.setInterval(msecs); }

    // How many notifications were shown (for tests and the status bar).
    int notificationCount() const { return m_count; }
    bool hasTrayIcon() const { return m_tray != nullptr; }

    // The application icon, drawn at runtime; with a badge when count > 0.
    static QIcon applicationIcon(int count = 0);

Q_SIGNALS:
    void notified(const QString &title, const QString &text);
    // The tray icon or its message was clicked: bring the window to the front.
    void activationRequested();

private:
    void remind();
    void updateTray();

    ConsoleSettings &m_settings;
    QPointer<QWidget> m_window;
    QSystemTrayIcon *m_tray = nullptr;
    QTimer m_reminder;
    int m_waiting = 0;
    int m_count = 0;
};

} // namespace Switchboard::Console
