#include "console/widgets/mainwindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

#include "console/app/consolesettings.h"
#include "console/app/workspacecontroller.h"
#include "console/models/conversationlistmodel.h"
#include "console/widgets/admindashboard.h"
#include "console/widgets/agentworkspace.h"
#include "console/widgets/notifier.h"
#include "shared/client/clientconnection.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

MainWindow::MainWindow(
    WorkspaceController *controller, AdminMonitor *monitor, ConsoleSettings &settings, QWidget *parent)
    : QMainWindow(parent), m_controller(controller), m_settings(settings)
{
    setObjectName(u"mainWindow"_s);
    setWindowIcon(Notifier::applicationIcon());
    m_pages = new QTabWidget(this);
    m_pages->setDocumentMode(true);
    m_workspace = new AgentWorkspace(controller, m_pages);
    m_pages->addTab(m_workspace, tr("Workspace"));
    if (monitor) {
        m_dashboard = new AdminDashboard(monitor, m_pages);
        m_pages->addTab(m_dashboard, tr("Administration"));
    }
    setCentralWidget(m_pages);

    QMenu *console = menuBar()->addMenu(tr("&Console"));
    console->addAction(tr("&Settings…"), this, &MainWindow::settingsRequested);
    console->addAction(tr("&Refresh"), QKeySequence::Refresh, controller, &WorkspaceController::refresh);
    console->addSeparator();
    console->addAction(tr("Sign &out"), this, &MainWindow::logoutRequested);
    console->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    m_state = new QLabel(this);
    m_state->setObjectName(u"connectionStateLabel"_s);
    m_reconnect = new QPushButton(tr("Reconnect now"), this);
    m_reconnect->setFlat(true);
    m_reconnect->hide();
    m_outbox = new QLabel(this);
    m_outbox->setObjectName(u"outboxLabel"_s);
    m_user = new QLabel(this);
    statusBar()->addWidget(m_state);
    statusBar()->addWidget(m_reconnect);
    statusBar()->addWidget(m_outbox);
    statusBar()->addPermanentWidget(m_user);

    ClientSession *session = controller->session();
    connect(session, &ClientSession::stateChanged, this, &MainWindow::updateConnectionState);
    connect(session, &ClientSession::outboxSizeChanged, this, &MainWindow::updateConnectionState);
    connect(session, &ClientSession::online, this, &MainWindow::updateConnectionState);
    connect(m_reconnect, &QPushButton::clicked, session, &ClientSession::reconnectNow);
    connect(controller, &WorkspaceController::actionFailed, this, [this](const QString &text) { showMessage(text); });
    connect(
        controller->conversations(), &ConversationListModel::unassignedCountChanged, this, &MainWindow::updateTitle);
    connect(controller->conversations(), &ConversationListModel::unreadTotalChanged, this, &MainWindow::updateTitle);
    m_countdown = new QTimer(this);
    m_countdown->setInterval(1000);
    connect(m_countdown, &QTimer::timeout, this, &MainWindow::updateConnectionState);

    if (!restoreGeometry(settings.windowGeometry()))
        resize(1180, 760);
    restoreState(settings.windowState());
    updateConnectionState();
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::showDashboard()
{
    if (m_dashboard)
        m_pages->setCurrentWidget(m_dashboard);
}

void MainWindow::showWorkspace()
{
    m_pages->setCurrentWidget(m_workspace);
}

void MainWindow::showMessage(const QString &text, int timeoutMs)
{
    statusBar()->showMessage(text, timeoutMs);
}

QString MainWindow::connectionStateText() const
{
    return m_state->text();
}

void MainWindow::updateConnectionState()
{
    ClientSession *session = m_controller->session();
    QString text;
    QColor color;
    switch (session->state()) {
    case ClientSession::State::Online:
        text = tr("● Online");
        color = QColor(0x1a, 0x7f, 0x37);
        break;
    case ClientSession::State::Connecting:
        text = session->reconnectAttempt() > 0 ? tr("● Reconnecting…") : tr("● Connecting…");
        color = QColor(0xb0, 0x7d, 0x00);
        break;
    case ClientSession::State::WaitingToReconnect: {
        const int seconds = (qMax(0, session->msUntilReconnect()) + 999) / 1000;
        text = tr("● Connection lost — retrying in %n s", nullptr, seconds);
        color = QColor(0xd9, 0x30, 0x25);
        break;
    }
    case ClientSession::State::Disconnected:
        text = tr("● Offline");
        color = QColor(0xd9, 0x30, 0x25);
        break;
    }
    m_state->setText(text);
    QPalette palette = m_state->palette();
    palette.setColor(QPalette::WindowText, color);
    m_state->setPalette(palette);
    const bool waiting = session->state() == ClientSession::State::WaitingToReconnect;
    m_reconnect->setVisible(waiting);
    if (waiting && !m_countdown->isActive())
        m_countdown->start();
    else if (!waiting)
        m_countdown->stop();
    const qsizetype queued = session->outboxSize();
    m_outbox->setText(queued > 0 ? tr("%n message(s) waiting to be sent", nullptr, int(queued)) : QString());
    const UserInfo me = m_controller->currentUser();
    if (me.id > 0)
        m_user->setText(
            tr("Signed in as %1 (%2)").arg(me.username, me.role == u"admin"_s ? tr("administrator") : tr("agent")));
}

void MainWindow::updateTitle()
{
    const int waiting = m_controller->conversations()->unassignedCount();
    const int unread = m_controller->conversations()->unreadTotal();
    QString title = tr("Switchboard Console");
    if (waiting > 0)
        title = tr("(%1 waiting) %2").arg(waiting).arg(title);
    else if (unread > 0)
        title = tr("(%1) %2").arg(unread).arg(title);
    setWindowTitle(title);
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::ActivationChange)
        m_controller->setWindowActive(isActiveWindow());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    const qsizetype queued = m_controller->session()->outboxSize();
    if (queued > 0) {
        const auto answer = QMessageBox::warning(this, tr("Unsent messages"),
            tr("%n message(s) have not reached the server yet and will be lost if you quit now. Quit anyway?", nullptr,
                int(queued)),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    m_settings.setWindowGeometry(saveGeometry());
    m_settings.setWindowState(saveState());
    m_settings.sync();
    QMainWindow::closeEvent(event);
}

} // namespace Switchboard::Console
