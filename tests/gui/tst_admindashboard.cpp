#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include "console/app/adminmonitor.h"
#include "console/models/connectionlistmodel.h"
#include "console/models/statshistorymodel.h"
#include "console/widgets/admindashboard.h"
#include "console/widgets/mainwindow.h"
#include "shared/client/clientconnection.h"
#include "tests/gui/consoletestdriver.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testuser.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Console;
using namespace Switchboard::Test;

// The admin page against the real server: the live `stats` counters follow clients connecting
// and leaving, the chart gets a sample a second, the connections table lists them, kick works.
class TestAdminDashboard : public QObject
{
    Q_OBJECT

private:
    static constexpr int kWaitMs = 15000;
    ServerProcess m_server;

private slots:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void connectionCountFollowsClients()
    {
        QString error;
        const TestUser admin = createStaffUser(m_server, u"admin"_s, u"admin"_s, &error);
        QVERIFY2(admin.isValid(), qPrintable(error));
        const TestUser agent = createStaffUser(m_server, u"agent"_s, u"agent"_s, &error);
        QVERIFY2(agent.isValid(), qPrintable(error));

        ConsoleTestDriver console(m_server.httpUrl());
        console.start();
        QVERIFY2(console.loginThroughDialog(admin.username, admin.password, false, &error), qPrintable(error));
        MainWindow *window = console.app().mainWindow();
        AdminDashboard *dashboard = window->dashboard();
        QVERIFY(dashboard); // administrators get the page, agents do not
        window->showDashboard();
        AdminMonitor *monitor = console.app().adminMonitor();
        QVERIFY(monitor);

        // The console itself is the one connection.
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->tileText(u"connections"_s), u"1"_s, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->tileText(u"users"_s), u"1"_s, kWaitMs);
        QCOMPARE(dashboard->tileText(u"storage"_s), u"OK"_s);
        QVERIFY(!dashboard->tileText(u"uptime"_s).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(monitor->connections()->rowCount(), 1, kWaitMs);

        // Two clients connect: the counter and the table follow within a few stats ticks.
        const TestUser ann = registerUser(m_server, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        auto annConnection = connectAs(m_server, ann, &error);
        QVERIFY2(annConnection, qPrintable(error));
        auto agentConnection = connectAs(m_server, agent, &error);
        QVERIFY2(agentConnection, qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->tileText(u"connections"_s), u"3"_s, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->tileText(u"users"_s), u"3"_s, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->connectionsView()->model()->rowCount(), 3, kWaitMs);
        bool annListed = false;
        for (const AdminConnection &c : monitor->connections()->connections())
            annListed = annListed || c.username == ann.username;
        QVERIFY(annListed);
        QVERIFY(monitor->history()->rowCount() >= 2);

        // Kick Ann from the table (the dialog is skipped: monitor call as the button would do).
        QSignalSpy annGone(annConnection.get(), &ClientConnection::disconnected);
        monitor->kickUser(ann.id, u"Maintenance"_s);
        QVERIFY(annGone.wait(kWaitMs));
        QCOMPARE(annGone.at(0).at(0).toInt(), 4003);
        QCOMPARE(annGone.at(0).at(1).toString(), u"Maintenance"_s);
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->tileText(u"connections"_s), u"2"_s, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->connectionsView()->model()->rowCount(), 2, kWaitMs);

        // A client leaving is seen too.
        agentConnection->close();
        QTRY_COMPARE_WITH_TIMEOUT(dashboard->tileText(u"connections"_s), u"1"_s, kWaitMs);
    }

    void agentsHaveNoAdminPage()
    {
        QString error;
        const TestUser agent = createStaffUser(m_server, u"agent"_s, u"agent"_s, &error);
        QVERIFY2(agent.isValid(), qPrintable(error));
        ConsoleTestDriver console(m_server.httpUrl());
        console.start();
        QVERIFY2(console.loginThroughDialog(agent.username, agent.password, false, &error), qPrintable(error));
        QVERIFY(!console.app().mainWindow()->dashboard());
        QVERIFY(!console.app().adminMonitor());
    }
};

QTEST_MAIN(TestAdminDashboard)
#include "tst_admindashboard.moc"
