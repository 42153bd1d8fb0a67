// console-screenshots: regenerates the console screenshots of docs/console.md.
//
// Starts the real server (ServerProcess), seeds agents, an admin, guests with support chats and a
// direct chat, drives the real console (ConsoleTestDriver: login dialog, claim, composer) and
// saves PNGs of the login dialog, the agent workspace and the admin dashboard. Run it through
// scripts/console-screenshots.sh, which wraps it in xvfb-run.
//
//     console-screenshots OUTPUT_DIR [--load-seconds N]

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QLineEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include "console/app/adminmonitor.h"
#include "console/app/languagemanager.h"
#include "console/app/workspacecontroller.h"
#include "console/consoleapplication.h"
#include "console/models/conversationlistmodel.h"
#include "console/models/messagelistmodel.h"
#include "console/widgets/admindashboard.h"
#include "console/widgets/agentworkspace.h"
#include "console/widgets/composerwidget.h"
#include "console/widgets/conversationview.h"
#include "console/widgets/logindialog.h"
#include "console/widgets/mainwindow.h"
#include "shared/client/clientconnection.h"
#include "shared/client/pendingrequest.h"
#include "shared/client/restclient.h"
#include "tests/gui/consoletestdriver.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testuser.h"
#include "tests/support/testwait.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Console;
using namespace Switchboard::Test;

namespace {

[[noreturn]] void die(const QString &message)
{
    qCritical("console-screenshots: %s", qPrintable(message));
    std::exit(1);
}

void check(bool ok, const QString &what)
{
    if (!ok)
        die(what);
}

// Lets the event loop run for ms (the screenshots want real waiting times and a chart with history).
void pump(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool save(QWidget *widget, const QString &path)
{
    widget->repaint();
    pump(300);
    const QPixmap pixmap = widget->grab();
    const bool ok = pixmap.save(path, "PNG");
    qInfo("%s %s (%dx%d)", ok ? "wrote" : "FAILED", qPrintable(path), pixmap.width(), pixmap.height());
    return ok;
}

struct Customer
{
    TestUser user;
    std::unique_ptr<ClientConnection> connection;
    qint64 conversationId = 0;
};

// A guest (or a registered user) with a support chat and, optionally, a first message.
Customer openChat(ServerProcess &server, const QString &name, const QString &topic, const QString &text)
{
    QString error;
    Customer c;
    c.user = guestUser(server.httpUrl(), name, &error);
    check(c.user.isValid(), error);
    c.connection = connectAs(server, c.user, &error);
    check(bool(c.connection), error);
    PendingRequest *open = c.connection->request(u"support_open"_s, {{u"topic"_s, topic}});
    check(waitForFinished(open) && open->isSuccess(), u"support_open"_s);
    c.conversationId = qint64(open->data().value(u"conversation"_s).toObject().value(u"id"_s).toDouble());
    if (!text.isEmpty()) {
        PendingRequest *sent = c.connection->sendText(c.conversationId, text);
        check(waitForFinished(sent) && sent->isSuccess(), u"customer message"_s);
    }
    return c;
}

void say(Customer &c, const QString &text)
{
    PendingRequest *sent = c.connection->sendText(c.conversationId, text);
    check(waitForFinished(sent) && sent->isSuccess(), u"customer message"_s);
}

void typeAndSend(ComposerWidget *composer, const QString &text)
{
    composer->setFocus();
    QTest::keyClicks(composer, text);
    QTest::keyClick(composer, Qt::Key_Return);
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"console-screenshots"_s);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addPositionalArgument(u"output"_s, u"Directory for the PNG files"_s);
    const QCommandLineOption loadSeconds(
        u"load-seconds"_s, u"Seconds of traffic before the dashboard shot"_s, u"n"_s, u"75"_s);
    parser.addOption(loadSeconds);
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        parser.showHelp(2);
    const QDir out(parser.positionalArguments().first());
    check(out.exists() || QDir().mkpath(out.path()), u"cannot create "_s + out.path());

    LanguageManager languages;
    languages.apply(u"en"_s);
    QApplication::setFont(QFont(u"DejaVu Sans"_s, 10));

    ServerProcess server;
    // Seeded customers stay connected without pinging for the whole run.
    server.setLimits(
        {{u"messages_per_second"_s, u"1000"_s}, {u"messages_burst"_s, u"1000"_s}, {u"heartbeat_timeout"_s, u"3600"_s}});
    check(server.start(), u"server: "_s + server.errorString());
    QString error;
    // Staff and a customer with readable names (the test helpers add unique suffixes).
    auto staff = [&server, &error](const QString &name, const QString &role) {
        const QString password = u"pw-%1-screenshots"_s.arg(name);
        check(server.createUser(name, role, password).ok(), u"--create-user "_s + name);
        const TestUser user = loginUser(server.httpUrl(), name, password, &error);
        check(user.isValid(), error);
        return user;
    };
    const TestUser alex = staff(u"alex"_s, u"agent"_s);
    const TestUser sam = staff(u"sam"_s, u"agent"_s);
    const TestUser maria = staff(u"maria"_s, u"admin"_s);
    RestClient rest(server.httpUrl());
    RestReply *registered = rest.registerUser(u"dana"_s, u"dana-password-1"_s, u"Dana Whitfield"_s);
    check(waitForFinished(registered) && registered->isSuccess(), u"register dana"_s);
    const TestUser dana = loginUser(server.httpUrl(), u"dana"_s, u"dana-password-1"_s, &error);
    check(dana.isValid(), error);
    // A colleague online (for the transfer list) and the direct-chat customer.
    auto samConnection = connectAs(server, sam, &error);
    check(bool(samConnection), error);
    auto danaConnection = connectAs(server, dana, &error);
    check(bool(danaConnection), error);
    PendingRequest *joined = samConnection->joinRoom(u"agents"_s);
    check(waitForFinished(joined) && joined->isSuccess(), u"join"_s);

    // Support chats: Vera's will be claimed and answered; Tom and Olga wait in the queue.
    Customer vera = openChat(server, u"Vera"_s, u"Billing"_s, u"Hi! I was charged twice for my March invoice."_s);
    Customer tom = openChat(server, u"Tom"_s, u"Password reset"_s, u"The reset link in the email does not work."_s);

    // --- 1. login dialog ---------------------------------------------------------------------
    {
        ConsoleTestDriver console(server.httpUrl());
        console.start();
        LoginDialog *dialog = console.app().loginDialog();
        dialog->setServerText(server.httpUrl().toString());
        dialog->setUsername(alex.username);
        dialog->setPassword(u"correct horse"_s);
        dialog->setRememberMe(true);
        dialog->resize(460, dialog->sizeHint().height());
        check(save(dialog, out.filePath(u"console-login.png"_s)), u"save login"_s);
    }

    // --- 2. agent workspace -----------------------------------------------------------------------
    ConsoleTestDriver agentConsole(server.httpUrl());
    agentConsole.start();
    check(agentConsole.loginThroughDialog(alex.username, alex.password, false, &error), error);
    MainWindow *window = agentConsole.app().mainWindow();
    window->resize(1280, 800);
    WorkspaceController *workspace = agentConsole.app().workspace();
    AgentWorkspace *page = window->workspace();
    ConversationView *view = page->conversationView();
    QElapsedTimer waited;
    waited.start();
    while (!workspace->conversations()->contains(vera.conversationId) && waited.elapsed() < 10000)
        pump(50);
    check(page->selectConversation(vera.conversationId), u"select Vera's chat"_s);
    pump(500);
    QTest::mouseClick(view->claimButton(), Qt::LeftButton);
    waited.restart();
    while (!view->composer()->isEnabled() && waited.elapsed() < 10000)
        pump(50);
    check(view->composer()->isEnabled(),
        u"claim: button %1, status '%2', section %3"_s.arg(view->claimButton()->isEnabled())
            .arg(view->statusText())
            .arg(int(workspace->conversations()->section(vera.conversationId))));
    typeAndSend(view->composer(), u"Hello Vera, I'm Alex. Let me look at your account."_s);
    pump(400);
    say(vera, u"Thanks! The order number is 48213."_s);
    pump(300);
    typeAndSend(view->composer(), u"I can see two charges of 24.90 on March 3. I've refunded the second one."_s);
    pump(400);
    // Vera reads everything so far (blue ticks), then writes again and starts typing.
    MessageListModel *messages = workspace->messages(vera.conversationId);
    PendingRequest *read = vera.connection->markRead(vera.conversationId, messages->newestSeq());
    waitForFinished(read);
    say(vera, u"Great, how long does the refund take?"_s);
    pump(300);
    typeAndSend(view->composer(), u"Usually 3 to 5 business days, depending on your bank."_s);
    pump(300);
    PendingRequest *delivered = vera.connection->markReceived(vera.conversationId, messages->newestSeq());
    waitForFinished(delivered);

    // More customers arrive; Dana writes directly.
    Customer olga
        = openChat(server, u"Olga"_s, u"Shipping"_s, u"Where is my parcel? Tracking has not moved since Monday."_s);
    PendingRequest *direct
        = danaConnection->sendTextTo(alex.id, u"Hi Alex, can you call me back about the contract?"_s);
    check(waitForFinished(direct) && direct->isSuccess(), u"direct message"_s);
    pump(1500);
    PendingRequest *typing = vera.connection->sendTyping(vera.conversationId);
    waitForFinished(typing);
    pump(600);
    check(save(window, out.filePath(u"console-workspace.png"_s)), u"save workspace"_s);

    // --- 3. admin dashboard -----------------------------------------------------------------------
    ConsoleTestDriver adminConsole(server.httpUrl());
    adminConsole.start();
    check(adminConsole.loginThroughDialog(maria.username, maria.password, false, &error), error);
    MainWindow *adminWindow = adminConsole.app().mainWindow();
    adminWindow->resize(1280, 860);
    adminWindow->showDashboard();

    // Traffic with some shape: clients come and go, message rates rise and fall.
    std::vector<std::unique_ptr<ClientConnection>> visitors;
    QList<qint64> visitorChats;
    const int seconds = parser.value(loadSeconds).toInt();
    auto sendBurst = [&](int burst) {
        for (int i = 0; i < burst && !visitors.empty(); ++i) {
            const int who = i % int(visitors.size());
            PendingRequest *sent = visitors[who]->sendText(visitorChats.at(who), u"message %1"_s.arg(i));
            QObject::connect(sent, &PendingRequest::finished, sent, &QObject::deleteLater);
        }
    };
    QElapsedTimer clock;
    clock.start();
    for (int second = 0; second < seconds + 2; ++second) {
        const double phase = qMin(1.0, double(second) / qMax(1, seconds));
        const int wantedVisitors = 2 + int(6 * std::sin(phase * 3.14159));
        while (int(visitors.size()) < wantedVisitors) {
            const TestUser guest = guestUser(server.httpUrl(), u"Visitor %1"_s.arg(visitors.size() + 1), &error);
            check(guest.isValid(), error);
            auto connection = connectAs(server, guest, &error);
            check(bool(connection), error);
            PendingRequest *open = connection->request(u"support_open"_s, {{u"topic"_s, u"Question"_s}});
            check(waitForFinished(open) && open->isSuccess(), u"support_open"_s);
            visitorChats.append(qint64(open->data().value(u"conversation"_s).toObject().value(u"id"_s).toDouble()));
            PendingRequest *lobby = connection->joinRoom(u"lobby"_s);
            QObject::connect(lobby, &PendingRequest::finished, lobby, &QObject::deleteLater);
            visitors.push_back(std::move(connection));
        }
        while (int(visitors.size()) > wantedVisitors) {
            visitors.back()->close();
            visitors.pop_back();
            visitorChats.removeLast();
        }
        // Spread over the second, so that every one-second stats window sees its share.
        const int perSecond = 3 + int(10 * std::sin(phase * 6.28318) * std::sin(phase * 6.28318))
            + int(QRandomGenerator::global()->bounded(4));
        for (int step = 0; step < 5; ++step) {
            sendBurst(perSecond / 5 + (step < perSecond % 5 ? 1 : 0));
            pump(int(qMax<qint64>(0, second * 1000 + (step + 1) * 200 - clock.elapsed())));
        }
    }
    // A row selected, as an admin about to kick it.
    AdminDashboard *dashboard = adminWindow->dashboard();
    dashboard->connectionsView()->selectRow(1);
    check(save(adminWindow, out.filePath(u"console-admin-dashboard.png"_s)), u"save dashboard"_s);

    Q_UNUSED(tom);
    Q_UNUSED(olga);
    visitors.clear();
    server.stop();
    return 0;
}
