#include "tests/gui/consoletestdriver.h"

#include <QCheckBox>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include "console/widgets/logindialog.h"
#include "shared/client/clientsession.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Test {

namespace {
void typeInto(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}
} // namespace

ConsoleTestDriver::ConsoleTestDriver(const QUrl &serverHttpUrl)
    : m_serverUrl(serverHttpUrl),
      m_settings(std::make_unique<Console::ConsoleSettings>(m_dir.filePath(u"console.ini"_s))),
      m_app(std::make_unique<Console::ConsoleApplication>(*m_settings, &m_store))
{
    // Tests must not wait a second for every reconnect.
    m_app->session()->setReconnectDelays(100, 1000);
    QObject::connect(m_app.get(), &Console::ConsoleApplication::sessionCreated,
        [](ClientSession *session) { session->setReconnectDelays(100, 1000); });
}

ConsoleTestDriver::~ConsoleTestDriver() = default;

void ConsoleTestDriver::start()
{
    m_app->start();
}

bool ConsoleTestDriver::loginThroughDialog(
    const QString &username, const QString &password, bool remember, QString *error, int timeoutMs)
{
    if (!m_app->loginDialog() || !m_app->loginDialog()->isVisible())
        m_app->start();
    Console::LoginDialog *dialog = m_app->loginDialog();
    typeInto(dialog->serverEdit(), m_serverUrl.toString());
    typeInto(dialog->usernameEdit(), username);
    typeInto(dialog->passwordEdit(), password);
    if (dialog->rememberBox()->isChecked() != remember)
        QTest::mouseClick(dialog->rememberBox(), Qt::LeftButton, {}, QPoint(4, dialog->rememberBox()->height() / 2));
    if (dialog->rememberBox()->isChecked() != remember)
        dialog->rememberBox()->setChecked(remember);

    QSignalSpy loggedIn(m_app.get(), &Console::ConsoleApplication::loggedIn);
    QSignalSpy failed(m_app.get(), &Console::ConsoleApplication::loginFailed);
    // Whichever comes first: signed in, refused, or the deadline. Event driven, no sleeps.
    QEventLoop loop;
    QObject::connect(m_app.get(), &Console::ConsoleApplication::loggedIn, &loop, &QEventLoop::quit);
    QObject::connect(m_app.get(), &Console::ConsoleApplication::loginFailed, &loop, &QEventLoop::quit);
    QDeadlineTimer deadline(timeoutMs);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    QTest::mouseClick(dialog->loginButton(), Qt::LeftButton);
    if (loggedIn.isEmpty() && failed.isEmpty())
        loop.exec();
    if (!failed.isEmpty()) {
        if (error)
            *error = u"login refused: "_s + failed.at(0).at(0).toString();
        return false;
    }
    if (loggedIn.isEmpty()) {
        if (error)
            *error = u"no login within %1 ms; dialog says: %2"_s.arg(timeoutMs).arg(dialog->errorText());
        return false;
    }
    if (!waitOnline(int(qMax<qint64>(1000, deadline.remainingTime())))) {
        if (error)
            *error = u"signed in, but the session did not come online"_s;
        return false;
    }
    return true;
}

bool ConsoleTestDriver::waitOnline(int timeoutMs)
{
    ClientSession *session = m_app->session();
    if (session->isOnline())
        return true;
    QSignalSpy online(session, &ClientSession::online);
    return online.wait(timeoutMs) || session->isOnline();
}

} // namespace Switchboard::Test
