#include <QCheckBox>
#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>

#include "console/consoleapplication.h"
#include "console/widgets/logindialog.h"
#include "console/widgets/mainwindow.h"
#include "tests/gui/consoletestdriver.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testuser.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Console;
using namespace Switchboard::Test;

// The login dialog against the real server: wrong password, a non-staff account, "remember me"
// with a keychain, without one (a notice, nothing remembered, no crash), and a remembered password
// filled in at the next start.
class TestConsoleLogin : public QObject
{
    Q_OBJECT

private:
    ServerProcess m_server;
    TestUser m_agent;

private slots:
    void initTestCase()
    {
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        QString error;
        m_agent = createStaffUser(m_server, u"agent"_s, u"agent"_s, &error);
        QVERIFY2(m_agent.isValid(), qPrintable(error));
    }

    void serverUrlIsNormalized_data()
    {
        QTest::addColumn<QString>("typed");
        QTest::addColumn<QString>("expected");
        QTest::addRow("host and port") << u"127.0.0.1:8080"_s << u"http://127.0.0.1:8080"_s;
        QTest::addRow("http") << u"http://chat.example.com"_s << u"http://chat.example.com"_s;
        QTest::addRow("ws with path") << u"ws://127.0.0.1:9000/ws"_s << u"http://127.0.0.1:9000"_s;
        QTest::addRow("wss") << u"wss://chat.example.com/ws"_s << u"https://chat.example.com"_s;
        QTest::addRow("blank") << u"  "_s << QString();
        QTest::addRow("other scheme") << u"ftp://example.com"_s << QString();
    }

    void serverUrlIsNormalized()
    {
        QFETCH(QString, typed);
        QFETCH(QString, expected);
        QCOMPARE(LoginDialog::normalizedServerUrl(typed).toString(), expected);
        if (!expected.isEmpty())
            QCOMPARE(ConsoleApplication::webSocketUrl(QUrl(expected)).path(), u"/ws"_s);
    }

    void wrongPasswordIsShown()
    {
        ConsoleTestDriver console(m_server.httpUrl());
        console.start();
        QString error;
        QVERIFY(!console.loginThroughDialog(m_agent.username, u"not-the-password"_s, false, &error));
        QCOMPARE(console.app().loginDialog()->errorText(), u"Wrong username or password."_s);
        QVERIFY(console.app().loginDialog()->isVisible());
        QVERIFY(!console.app().mainWindow());
        QVERIFY(!console.app().loginDialog()->isBusy());
    }

    void endUsersAreRefused()
    {
        QString error;
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        ConsoleTestDriver console(m_server.httpUrl());
        console.start();
        QVERIFY(!console.loginThroughDialog(ann.username, ann.password, false, &error));
        QVERIFY(console.app().loginDialog()->errorText().contains(u"neither an agent nor an administrator"_s));
    }

    void unreachableServerIsShown()
    {
        ServerProcess gone;
        QVERIFY2(gone.start(), qPrintable(gone.errorString()));
        const QUrl url = gone.httpUrl();
        QVERIFY(gone.stop());
        ConsoleTestDriver console(url);
        console.start();
        QString error;
        QVERIFY(!console.loginThroughDialog(m_agent.username, m_agent.password, false, &error));
        QVERIFY2(console.app().loginDialog()->errorText().startsWith(u"Cannot reach the server"_s),
            qPrintable(console.app().loginDialog()->errorText()));
    }

    void rememberedPasswordIsFilledIn()
    {
        QString error;
        QString key;
        QHash<QString, QString> secrets;
        {
            ConsoleTestDriver console(m_server.httpUrl());
            console.start();
            QVERIFY2(console.loginThroughDialog(m_agent.username, m_agent.password, true, &error), qPrintable(error));
            key = CredentialStore::keyFor(m_server.httpUrl().toString(), m_agent.username);
            QTRY_COMPARE(console.store().secrets().value(key), m_agent.password);
            QVERIFY(console.settings().rememberMe());
            QVERIFY(console.app().credentialNotice().isEmpty());
            secrets = console.store().secrets();
            // The settings file holds no password.
            console.settings().sync();
            QFile ini(console.settingsFile());
            QVERIFY(ini.open(QIODevice::ReadOnly));
            const QByteArray content = ini.readAll();
            QVERIFY(content.contains(m_agent.username.toUtf8()));
            QVERIFY(!content.contains(m_agent.password.toUtf8()));
        }
        // A new console with the same keychain content and settings: the password is filled in.
        ConsoleTestDriver console(m_server.httpUrl());
        console.settings().setServerUrl(m_server.httpUrl());
        console.settings().setLastUsername(m_agent.username);
        console.settings().setRememberMe(true);
        for (auto it = secrets.cbegin(); it != secrets.cend(); ++it)
            console.store().setSecret(it.key(), it.value());
        console.start();
        QTRY_COMPARE(console.app().loginDialog()->password(), m_agent.password);
        QCOMPARE(console.app().loginDialog()->username(), m_agent.username);
        QVERIFY(console.app().loginDialog()->rememberMe());
    }

    void noKeychainMeansNotRemembered()
    {
        ConsoleTestDriver console(m_server.httpUrl());
        console.store().setMode(FakeCredentialStore::Mode::Unavailable);
        QSignalSpy notice(&console.app(), &ConsoleApplication::credentialNoticeChanged);
        console.start();
        QString error;
        QVERIFY2(console.loginThroughDialog(m_agent.username, m_agent.password, true, &error), qPrintable(error));
        QVERIFY(!notice.isEmpty() || notice.wait(5000));
        QVERIFY(console.app().credentialNotice().contains(u"No keychain is available"_s));
        QVERIFY(!console.settings().rememberMe());
        QVERIFY(console.store().secrets().isEmpty());
        QCOMPARE(console.store().writeCount(), 1);
        QVERIFY(console.app().mainWindow()->isVisible()); // signed in all the same

        // Next start: nothing to fill in, and the dialog explains why when asked to remember.
        console.app().logout();
        QTRY_VERIFY(console.app().loginDialog()->isVisible());
        QVERIFY(console.app().loginDialog()->password().isEmpty());
        QVERIFY(console.app().loginDialog()->noticeText().contains(u"No keychain is available"_s));
    }
};

QTEST_MAIN(TestConsoleLogin)
#include "tst_consolelogin.moc"
