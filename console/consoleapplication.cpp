#include "console/consoleapplication.h"

#include <QApplication>
#include <QLineEdit>

#include "console/app/adminmonitor.h"
#include "console/app/consolesettings.h"
#include "console/app/credentialjob.h"
#include "console/app/credentialstore.h"
#include "console/app/errortext.h"
#include "console/app/logging.h"
#include "console/app/userdirectory.h"
#include "console/app/workspacecontroller.h"
#include "console/models/conversationlistmodel.h"
#include "console/widgets/logindialog.h"
#include "console/widgets/mainwindow.h"
#include "console/widgets/notifier.h"
#include "console/widgets/settingsdialog.h"
#include "shared/client/clientconnection.h"
#include "shared/client/clientsession.h"
#include "shared/client/restclient.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

ConsoleApplication::ConsoleApplication(ConsoleSettings &settings, CredentialStore *credentials, QObject *parent)
    : QObject(parent),
      m_settings(settings),
      m_credentials(credentials),
      m_rest(new RestClient(this)),
      m_notifier(new Notifier(settings, this))
{
    createSession();
    connect(m_notifier, &Notifier::activationRequested, this, [this] {
        if (m_main) {
            m_main->showNormal();
            m_main->raise();
            m_main->activateWindow();
        }
    });
}

ConsoleApplication::~ConsoleApplication()
{
    delete m_main;
    delete m_login;
}

LoginDialog *ConsoleApplication::loginDialog() const
{
    return m_login;
}

MainWindow *ConsoleApplication::mainWindow() const
{
    return m_main;
}

WorkspaceController *ConsoleApplication::workspace() const
{
    return m_controller;
}

AdminMonitor *ConsoleApplication::adminMonitor() const
{
    return m_monitor;
}

void ConsoleApplication::createSession()
{
    // One session per account: its resume token and outbox belong to the user who signed in.
    m_session = new ClientSession(this);
    m_session->connection()->setUserAgent(QByteArrayLiteral("switchboard-console/0.1"));
    connect(m_session, &ClientSession::authenticationLost, this,
        [this](const ProtocolError &) { backToLogin(tr("Your session has expired. Please sign in again.")); });
    connect(m_session, &ClientSession::ended, this, [this](int code, const QString &reason) {
        if (code == 4003)
            backToLogin(tr("An administrator disconnected you: %1").arg(reason));
        else if (code == 4001)
            backToLogin(tr("The server refused the session. Please sign in again."));
    });
    Q_EMIT sessionCreated(m_session);
}

QUrl ConsoleApplication::webSocketUrl(const QUrl &serverUrl)
{
    QUrl ws = serverUrl;
    ws.setScheme(serverUrl.scheme() == u"https"_s ? u"wss"_s : u"ws"_s);
    ws.setPath(u"/ws"_s);
    return ws;
}

void ConsoleApplication::start()
{
    if (!m_login) {
        m_login = new LoginDialog;
        m_login->setAttribute(Qt::WA_DeleteOnClose, false);
        connect(m_login, &LoginDialog::loginRequested, this, &ConsoleApplication::onLoginRequested);
        connect(m_login, &QDialog::rejected, this, [this] {
            if (m_quitOnLoginClose && !m_main)
                QCoreApplication::quit();
        });
    }
    m_login->setServerText(m_settings.serverUrl().toString());
    m_login->setUsername(m_settings.lastUsername());
    m_login->setRememberMe(m_settings.rememberMe());
    if (!m_credentialNotice.isEmpty())
        m_login->showNotice(m_credentialNotice);
    if (m_settings.rememberMe() && !m_settings.lastUsername().isEmpty() && m_credentials) {
        CredentialJob *job = m_credentials->readSecret(
            CredentialStore::keyFor(m_settings.serverUrl().toString(), m_settings.lastUsername()));
        connect(job, &CredentialJob::finished, this, [this](CredentialJob *done) {
            if (!m_login)
                return;
            switch (done->status()) {
            case CredentialJob::Status::Ok:
                if (m_login->password().isEmpty())
                    m_login->setPassword(done->secret());
                break;
            case CredentialJob::Status::Unavailable:
                setCredentialNotice(
                    tr("No keychain is available on this system, so your password cannot be remembered."));
                break;
            case CredentialJob::Status::Failed:
                setCredentialNotice(tr("The keychain could not be read: %1").arg(done->errorString()));
                break;
            case CredentialJob::Status::NotFound:
            case CredentialJob::Status::Pending:
                break;
            }
        });
    }
    m_login->setBusy(false);
    m_login->show();
    m_login->raise();
    if (m_login->username().isEmpty())
        m_login->usernameEdit()->setFocus();
    else
        m_login->passwordEdit()->setFocus();
}

void ConsoleApplication::setCredentialNotice(const QString &text)
{
    m_credentialNotice = text;
    if (m_login)
        m_login->showNotice(text);
    if (m_main && !text.isEmpty())
        m_main->showMessage(text, 15000);
    Q_EMIT credentialNoticeChanged(text);
}

void ConsoleApplication::onLoginRequested(
    const QUrl &serverUrl, const QString &username, const QString &password, bool remember)
{
    m_login->setBusy(true);
    m_rest->setBaseUrl(serverUrl);
    m_rest->setToken(QString());
    RestReply *reply = m_rest->login(username, password);
    connect(reply, &RestReply::finished, reply, &QObject::deleteLater);
    connect(
        reply, &RestReply::succeeded, this, [this, serverUrl, username, password, remember](const QJsonObject &body) {
            auto user = JsonCodec::decodeUser(body.value(u"user"_s).toObject());
            const QString token = body.value(u"token"_s).toString();
            if (!user || token.isEmpty()) {
                m_login->setBusy(false);
                m_login->showError(tr("The server sent an unexpected answer."));
                return;
            }
            if (user->role != u"agent"_s && user->role != u"admin"_s) {
                m_login->setBusy(false);
                const QString text = tr("This account is neither an agent nor an administrator.");
                m_login->showError(text);
                Q_EMIT loginFailed(text);
                return;
            }
            m_settings.setServerUrl(serverUrl);
            m_settings.setLastUsername(username);
            m_settings.setRememberMe(remember);
            m_settings.sync();
            rememberCredentials(serverUrl, username, password, remember);
            enterConsole(user.value(), token, serverUrl);
        });
    connect(reply, &RestReply::failed, this, [this, reply, serverUrl](const ProtocolError &error) {
        m_login->setBusy(false);
        QString text;
        if (reply->status() == 0)
            text = tr("Cannot reach the server at %1 (%2).").arg(serverUrl.toString(), error.message);
        else if (error.code == ErrorCode::AuthFailed)
            text = tr("Wrong username or password.");
        else
            text = ErrorText::describe(error);
        m_login->showError(text);
        Q_EMIT loginFailed(text);
    });
}

void ConsoleApplication::rememberCredentials(
    const QUrl &serverUrl, const QString &username, const QString &password, bool remember)
{
    if (!m_credentials)
        return;
    const QString key = CredentialStore::keyFor(serverUrl.toString(), username);
    if (!remember) {
        m_credentials->removeSecret(key); // best effort; nothing to tell the operator
        return;
    }
    CredentialJob *job = m_credentials->writeSecret(key, password);
    connect(job, &CredentialJob::finished, this, [this](CredentialJob *done) {
        switch (done->status()) {
        case CredentialJob::Status::Ok:
            setCredentialNotice(QString());
            break;
        case CredentialJob::Status::Unavailable:
            // Graceful degradation: say so, and do not remember. Never a plaintext file.
            m_settings.setRememberMe(false);
            setCredentialNotice(tr("No keychain is available on this system: your password was not remembered."));
            break;
        case CredentialJob::Status::Failed:
        case CredentialJob::Status::NotFound:
            m_settings.setRememberMe(false);
            setCredentialNotice(tr("The keychain refused to store your password (%1); it was not remembered.")
                                    .arg(done->errorString()));
            break;
        case CredentialJob::Status::Pending:
            break;
        }
    });
}

void ConsoleApplication::enterConsole(const UserInfo &user, const QString &token, const QUrl &serverUrl)
{
    const bool sameAccount = m_main && m_user.id == user.id && m_serverUrl == serverUrl;
    if (!sameAccount && m_main) {
        delete m_main;
        delete m_controller;
        delete m_monitor;
        m_session->stop();
        m_session->deleteLater();
        createSession();
    }
    m_user = user;
    m_serverUrl = serverUrl;
    m_rest->setToken(token);
    if (!m_main)
        buildConsole(user);
    m_quitOnLoginClose = false;
    m_login->setBusy(false);
    m_login->setPassword(QString());
    m_login->accept();
    m_quitOnLoginClose = true;
    m_main->show();
    qCInfo(lcConsole) << "signed in as" << user.username << user.role;
    // The session keeps its outbox across a re-login, so nothing typed before is lost.
    m_session->start(webSocketUrl(serverUrl), token);
    if (!m_credentialNotice.isEmpty())
        m_main->showMessage(m_credentialNotice, 15000);
    Q_EMIT loggedIn(user);
}

void ConsoleApplication::buildConsole(const UserInfo &user)
{
    m_controller = new WorkspaceController(m_session, m_rest, this);
    if (user.role == u"admin"_s) {
        m_monitor = new AdminMonitor(m_session, this);
        m_monitor->start();
    }
    m_main = new MainWindow(m_controller, m_monitor, m_settings);
    m_notifier->setWindow(m_main);
    connect(m_main, &MainWindow::logoutRequested, this, &ConsoleApplication::logout);
    connect(m_main, &MainWindow::settingsRequested, this, &ConsoleApplication::showSettings);

    WorkspaceController *controller = m_controller;
    connect(controller, &WorkspaceController::newSupportChat, this, [this, controller](qint64 id) {
        m_notifier->notify(
            tr("New support chat"), tr("%1 is waiting for an agent.").arg(controller->conversations()->title(id)));
    });
    connect(controller, &WorkspaceController::supportChatAssigned, this, [this, controller](qint64 id) {
        if (controller->activeConversation() != id)
            m_notifier->notify(tr("Support chat assigned to you"), controller->conversations()->title(id));
    });
    connect(controller, &WorkspaceController::messageArrived, this, [this, controller](const ChatMessage &m) {
        if (!controller->canWrite(m.conversationId) && !controller->isSupport(m.conversationId))
            return;
        QString preview = m.content.simplified();
        if (preview.size() > 120)
            preview = preview.left(119) + u'…';
        m_notifier->notify(tr("New message from %1").arg(controller->directory()->displayName(m.senderId)), preview);
    });
    connect(controller->conversations(), &ConversationListModel::unassignedCountChanged, m_notifier,
        &Notifier::setWaitingCount);
}

void ConsoleApplication::backToLogin(const QString &error)
{
    if (!m_login)
        start();
    m_login->setBusy(false);
    m_login->showError(error);
    m_login->show();
    m_login->raise();
    m_login->activateWindow();
}

void ConsoleApplication::logout()
{
    m_session->stop();
    m_rest->setToken(QString());
    if (m_monitor)
        m_monitor->stop();
    if (m_main) {
        m_main->hide();
        m_main->deleteLater();
    }
    if (m_controller)
        m_controller->deleteLater();
    if (m_monitor)
        m_monitor->deleteLater();
    m_user = {};
    m_session->deleteLater();
    createSession();
    start();
}

void ConsoleApplication::showSettings()
{
    SettingsDialog dialog(m_settings, m_main);
    dialog.exec();
}

} // namespace Switchboard::Console
