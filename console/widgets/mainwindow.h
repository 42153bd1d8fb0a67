#pragma once

#include <QMainWindow>

#include "shared/client/clientsession.h"

QT_BEGIN_NAMESPACE
class QLabel;
class QPushButton;
class QTabWidget;
class QTimer;
QT_END_NAMESPACE

namespace Switchboard::Console {

class AdminDashboard;
class AdminMonitor;
class AgentWorkspace;
class ConsoleSettings;
class WorkspaceController;

// The console window: the agent workspace, the admin dashboard for administrators, and a status
// bar with the connection state (online / connecting / reconnecting in N s), unsent messages and
// the signed-in user.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    // monitor may be null (agents have no admin page).
    MainWindow(
        WorkspaceController *controller, AdminMonitor *monitor, ConsoleSettings &settings, QWidget *parent = nullptr);
    ~MainWindow() override;

    AgentWorkspace *workspace() const { return m_workspace; }
    AdminDashboard *dashboard() const { return m_dashboard; }
    QTabWidget *pages() const { return m_pages; }
    // Switches to the admin page (no-op for agents).
    void showDashboard();
    void showWorkspace();
    QString connectionStateText() const;

    // Shown in the status bar for a while.
    void showMessage(const QString &text, int timeoutMs = 8000);

Q_SIGNALS:
    void logoutRequested();
    void settingsRequested();

protected:
    void changeEvent(QEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void updateConnectionState();
    void updateTitle();

    WorkspaceController *m_controller = nullptr;
    ConsoleSettings &m_settings;
    QTabWidget *m_pages = nullptr;
    AgentWorkspace *m_workspace = nullptr;
    AdminDashboard *m_dashboard = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_outbox = nullptr;
    QLabel *m_user = nullptr;
    QPushButton *m_reconnect = nullptr;
    QTimer *m_countdown = nullptr;
};

} // namespace Switchboard::Console
