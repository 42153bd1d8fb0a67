#include <QApplication>
#include <QElapsedTimer>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <QTimer>

#include "console/app/workspacecontroller.h"
#include "console/consoleapplication.h"
#include "console/models/conversationlistmodel.h"
#include "console/models/messagelistmodel.h"
#include "console/widgets/agentworkspace.h"
#include "console/widgets/composerwidget.h"
#include "console/widgets/conversationview.h"
#include "console/widgets/mainwindow.h"
#include "console/widgets/notifier.h"
#include "console/widgets/transferdialog.h"
#include "shared/client/clientconnection.h"
#include "shared/client/clientsession.h"
#include "shared/client/pendingrequest.h"
#include "tests/gui/consoletestdriver.h"
#include "tests/support/serverprocess.h"
#include "tests/support/testuser.h"
#include "tests/support/testwait.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Console;
using namespace Switchboard::Test;

// The agent's path through the real console against the real server: a guest opens a support
// chat, the agent signs in through the login dialog, sees the chat waiting, claims it and answers
// with the composer; the guest's client has the answer in under a second. Plus typing, ticks,
// unread badges, notifications, and a message typed while the connection is down.
class TestConsoleFlow : public QObject
{
    Q_OBJECT

private:
    static constexpr int kWaitMs = 15000;

    struct Guest
    {
        TestUser user;
        std::unique_ptr<ClientConnection> connection;
        qint64 conversationId = 0;
    };

    // A guest with a connection and an open support chat (with one message when text is given).
    Guest openSupportChat(const QString &name, const QString &topic, const QString &text, QString *error)
    {
        Guest guest;
        guest.user = guestUser(m_server.httpUrl(), name, error);
        if (!guest.user.isValid())
            return guest;
        guest.connection = connectAs(m_server, guest.user, error);
        if (!guest.connection)
            return guest;
        PendingRequest *open = guest.connection->request(u"support_open"_s, {{u"topic"_s, topic}});
        if (!waitForFinished(open) || !open->isSuccess()) {
            *error = u"support_open failed: "_s + open->error().message;
            return guest;
        }
        guest.conversationId = qint64(open->data().value(u"conversation"_s).toObject().value(u"id"_s).toDouble());
        if (!text.isEmpty()) {
            PendingRequest *sent = guest.connection->sendText(guest.conversationId, text, u"guest-%1"_s.arg(name));
            if (!waitForFinished(sent) || !sent->isSuccess())
                *error = u"guest message failed: "_s + sent->error().message;
        }
        return guest;
    }

    static int rowOfContent(MessageListModel *model, const QString &content)
    {
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row).data().toString() == content)
                return row;
        }
        return -1;
    }

    ServerProcess m_server;
    TestUser m_agent;
    std::unique_ptr<ConsoleTestDriver> m_console;

private slots:
    void initTestCase()
    {
        m_server.setLimits({{u"messages_per_second"_s, u"1000"_s}, {u"messages_burst"_s, u"1000"_s}});
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        QString error;
        m_agent = createStaffUser(m_server, u"agent"_s, u"agent"_s, &error);
        QVERIFY2(m_agent.isValid(), qPrintable(error));
    }

    void guestIsAnsweredWithinOneSecond()
    {
        QString error;
        Guest vera = openSupportChat(u"Vera"_s, u"Billing"_s, u"Hello, my invoice is wrong"_s, &error);
        QVERIFY2(vera.conversationId > 0, qPrintable(error));
        Guest bob = openSupportChat(u"Bob"_s, u"Shipping"_s, u"Where is my parcel?"_s, &error);
        QVERIFY2(bob.conversationId > 0, qPrintable(error));

        m_console = std::make_unique<ConsoleTestDriver>(m_server.httpUrl());
        m_console->start();
        QVERIFY2(m_console->loginThroughDialog(m_agent.username, m_agent.password, true, &error), qPrintable(error));
        ConsoleApplication &app = m_console->app();
        QVERIFY(app.mainWindow()->isVisible());
        QCOMPARE(app.currentUser().id, m_agent.id);
        // "Remember me": the password went to the (fake) keychain, nowhere else.
        QCOMPARE(m_console->store().secrets().value(
                     CredentialStore::keyFor(m_server.httpUrl().toString(), m_agent.username)),
            m_agent.password);

        // The chat waits in "Unassigned", and the banner says so.
        WorkspaceController *workspace = app.workspace();
        AgentWorkspace *page = app.mainWindow()->workspace();
        QTRY_VERIFY_WITH_TIMEOUT(workspace->conversations()->contains(vera.conversationId), kWaitMs);
        QCOMPARE(workspace->conversations()->section(vera.conversationId), ConversationListModel::Section::Unassigned);
        QListView *unassigned = page->listView(ConversationListModel::Section::Unassigned);
        QTRY_COMPARE(unassigned->model()->rowCount(), 2);
        // First come, first served: the oldest chat on top.
        QCOMPARE(unassigned->model()->index(0, 0).data(ConversationListModel::ConversationIdRole).toLongLong(),
            vera.conversationId);
        QVERIFY(page->isBannerVisible());
        QVERIFY(page->bannerText().contains(u"waiting"_s));
        QVERIFY(app.mainWindow()->windowTitle().contains(u"waiting"_s));

        // Open it: the history shows the guest's message.
        QVERIFY(page->selectConversation(vera.conversationId));
        ConversationView *view = page->conversationView();
        QCOMPARE(view->conversationId(), vera.conversationId);
        MessageListModel *messages = workspace->messages(vera.conversationId);
        QTRY_VERIFY_WITH_TIMEOUT(rowOfContent(messages, u"Hello, my invoice is wrong"_s) >= 0, kWaitMs);
        QVERIFY(!view->composer()->isEnabled()); // claim first
        QVERIFY(view->claimButton()->isEnabled());

        // Claim.
        QTest::mouseClick(view->claimButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(
            workspace->conversations()->section(vera.conversationId), ConversationListModel::Section::Mine, kWaitMs);
        QTRY_VERIFY(view->composer()->isEnabled());
        // The claimed chat stays on screen (its list row moved; the neighbour is not opened).
        QCOMPARE(view->conversationId(), vera.conversationId);
        QCOMPARE(page->tabs()->currentIndex(), int(ConversationListModel::Section::Mine));
        QVERIFY(page->isBannerVisible()); // Bob still waits
        m_bob = std::move(bob);

        // Typing reaches the guest; Enter sends; the guest has the answer in under a second.
        QSignalSpy typing(vera.connection.get(), &ClientConnection::typingReceived);
        QSignalSpy received(vera.connection.get(), &ClientConnection::messageReceived);
        view->composer()->setFocus();
        QTest::keyClicks(view->composer(), u"Hi Vera, let me fix that for you."_s);
        QVERIFY(typing.wait(kWaitMs));
        QCOMPARE(typing.at(0).at(0).toLongLong(), vera.conversationId);
        QCOMPARE(typing.at(0).at(1).toLongLong(), m_agent.id);

        QElapsedTimer clock;
        clock.start();
        QTest::keyClick(view->composer(), Qt::Key_Return);
        QVERIFY(received.wait(kWaitMs));
        const qint64 elapsed = clock.elapsed();
        const auto answer = received.at(0).at(0).value<ChatMessage>();
        QCOMPARE(answer.content, u"Hi Vera, let me fix that for you."_s);
        QCOMPARE(answer.senderId, m_agent.id);
        QCOMPARE(answer.conversationId, vera.conversationId);
        QVERIFY(!answer.clientMsgId.isEmpty());
        QVERIFY2(elapsed < 1000, qPrintable(u"answer took %1 ms"_s.arg(elapsed)));
        qInfo("guest received the agent's answer %lld ms after Enter", elapsed);
        QVERIFY(view->composer()->toPlainText().isEmpty());

        // Ticks: stored, then read when the guest reads it.
        const int row = rowOfContent(messages, answer.content);
        QVERIFY(row >= 0);
        QTRY_COMPARE(
            MessageListModel::DeliveryState(messages->index(row).data(MessageListModel::DeliveryStateRole).toInt()),
            MessageListModel::DeliveryState::Sent);
        PendingRequest *read = vera.connection->markRead(vera.conversationId, answer.seq);
        QVERIFY(waitForFinished(read));
        QTRY_COMPARE_WITH_TIMEOUT(
            MessageListModel::DeliveryState(messages->index(rowOfContent(messages, answer.content))
                                                .data(MessageListModel::DeliveryStateRole)
                                                .toInt()),
            MessageListModel::DeliveryState::Read, kWaitMs);

        // The guest's typing indicator and live reply in the open conversation.
        PendingRequest *guestTyping = vera.connection->sendTyping(vera.conversationId);
        QVERIFY(waitForFinished(guestTyping));
        QTRY_VERIFY_WITH_TIMEOUT(view->typingText().contains(u"typing"_s), kWaitMs);
        PendingRequest *reply = vera.connection->sendText(vera.conversationId, u"Thank you!"_s, u"vera-2"_s);
        QVERIFY(waitForFinished(reply));
        QTRY_VERIFY_WITH_TIMEOUT(rowOfContent(messages, u"Thank you!"_s) >= 0, kWaitMs);
        QTRY_VERIFY(view->typingText().isEmpty());
        m_vera = std::move(vera);
    }

    void shiftEnterAddsALine()
    {
        QVERIFY(m_console);
        ConversationView *view = m_console->app().mainWindow()->workspace()->conversationView();
        QSignalSpy send(view->composer(), &ComposerWidget::sendRequested);
        view->composer()->clear();
        QTest::keyClicks(view->composer(), u"line one"_s);
        QTest::keyClick(view->composer(), Qt::Key_Return, Qt::ShiftModifier);
        QTest::keyClicks(view->composer(), u"line two"_s);
        QCOMPARE(send.size(), 0);
        QCOMPARE(view->composer()->toPlainText(), u"line one\nline two"_s);
        QTest::keyClick(view->composer(), Qt::Key_Enter);
        QCOMPARE(send.size(), 1);
        QCOMPARE(send.at(0).at(0).toString(), u"line one\nline two"_s);
    }

    void newChatNotifiesAndCountsUnread()
    {
        QVERIFY(m_console);
        ConsoleApplication &app = m_console->app();
        QSignalSpy notified(app.notifier(), &Notifier::notified);
        // The operator switches to another window: the console is in the background.
        QWidget elsewhere;
        elsewhere.setWindowTitle(u"another application"_s);
        elsewhere.show();
        QApplication::setActiveWindow(&elsewhere);
        QTRY_VERIFY(!app.mainWindow()->isActiveWindow());
        QVERIFY(!app.notifier()->isWindowActive());

        QString error;
        Guest sam = openSupportChat(u"Sam"_s, u"Login"_s, QString(), &error);
        QVERIFY2(sam.conversationId > 0, qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!notified.isEmpty(), kWaitMs);
        QCOMPARE(notified.at(0).at(0).toString(), u"New support chat"_s);
        QTRY_VERIFY(app.mainWindow()->workspace()->isBannerVisible());
        QCOMPARE(app.notifier()->waitingCount(), 2); // Bob and Sam

        // A message in Vera's chat (held by us) while the window is in the background: unread
        // badge and a notification.
        notified.clear();
        PendingRequest *sent = m_vera.connection->sendText(m_vera.conversationId, u"Are you there?"_s, u"vera-3"_s);
        QVERIFY(waitForFinished(sent));
        QTRY_VERIFY_WITH_TIMEOUT(!notified.isEmpty(), kWaitMs);
        QVERIFY(notified.at(0).at(0).toString().startsWith(u"New message from"_s));
        QTRY_VERIFY(app.workspace()->conversations()->conversation(m_vera.conversationId).unread >= 1);
        // Back in front: read.
        elsewhere.hide();
        QApplication::setActiveWindow(app.mainWindow());
        QTRY_VERIFY(app.mainWindow()->isActiveWindow());
        QTRY_COMPARE(app.workspace()->conversations()->conversation(m_vera.conversationId).unread, 0);
    }

    void messageTypedWhileDisconnectedIsSentAfterReconnect()
    {
        QVERIFY(m_console);
        ConsoleApplication &app = m_console->app();
        ConversationView *view = app.mainWindow()->workspace()->conversationView();
        QVERIFY(app.mainWindow()->workspace()->selectConversation(m_vera.conversationId));
        QSignalSpy received(m_vera.connection.get(), &ClientConnection::messageReceived);

        QSignalSpy lost(app.session(), &ClientSession::connectionLost);
        app.session()->connection()->abort(); // the network goes away
        QVERIFY(!lost.isEmpty() || lost.wait(kWaitMs));
        QVERIFY(!app.session()->isOnline());
        QTRY_VERIFY(!app.mainWindow()->connectionStateText().contains(u"Online"_s));

        view->composer()->setFocus();
        QTest::keyClicks(view->composer(), u"Sent while offline"_s);
        QTest::keyClick(view->composer(), Qt::Key_Return);
        MessageListModel *messages = app.workspace()->messages(m_vera.conversationId);
        const int row = rowOfContent(messages, u"Sent while offline"_s);
        QVERIFY(row >= 0);
        const QString clientMsgId = messages->index(row).data(MessageListModel::ClientMsgIdRole).toString();
        QVERIFY(!clientMsgId.isEmpty());
        if (!app.session()->isOnline()) {
            QCOMPARE(
                MessageListModel::DeliveryState(messages->index(row).data(MessageListModel::DeliveryStateRole).toInt()),
                MessageListModel::DeliveryState::Queued);
        }

        QVERIFY(m_console->waitOnline());
        QTRY_VERIFY(app.mainWindow()->connectionStateText().contains(u"Online"_s));
        QVERIFY(!received.isEmpty() || received.wait(kWaitMs));
        const auto message = received.at(0).at(0).value<ChatMessage>();
        QCOMPARE(message.content, u"Sent while offline"_s);
        QCOMPARE(message.clientMsgId, clientMsgId);
        QTRY_COMPARE(app.session()->outboxSize(), 0);
    }

    void olderHistoryLoadsOnScroll()
    {
        QVERIFY(m_console);
        QString error;
        Guest chatty = openSupportChat(u"Chatty"_s, u"Long story"_s, QString(), &error);
        QVERIFY2(chatty.conversationId > 0, qPrintable(error));
        for (int i = 1; i <= 120; ++i) {
            PendingRequest *sent = chatty.connection->sendText(chatty.conversationId, u"line %1"_s.arg(i));
            QVERIFY(waitForFinished(sent));
            QVERIFY(sent->isSuccess());
        }
        ConsoleApplication &app = m_console->app();
        AgentWorkspace *page = app.mainWindow()->workspace();
        QTRY_VERIFY_WITH_TIMEOUT(app.workspace()->conversations()->contains(chatty.conversationId), kWaitMs);
        QVERIFY(page->selectConversation(chatty.conversationId));
        MessageListModel *messages = app.workspace()->messages(chatty.conversationId);
        QTRY_COMPARE_WITH_TIMEOUT(messages->rowCount(), 50, kWaitMs);
        QVERIFY(messages->hasMoreBefore());
        QCOMPARE(messages->index(0).data().toString(), u"line 71"_s);

        // The operator scrolls to the top: the next page comes in above, twice.
        QScrollBar *bar = page->conversationView()->messageView()->verticalScrollBar();
        QTRY_VERIFY(bar->maximum() > 0);
        bar->setValue(0);
        QTRY_COMPARE_WITH_TIMEOUT(messages->rowCount(), 100, kWaitMs);
        QCOMPARE(messages->index(0).data().toString(), u"line 21"_s);
        QTRY_VERIFY(bar->value() > 0); // the view kept the reading position
        bar->setValue(0);
        QTRY_COMPARE_WITH_TIMEOUT(messages->rowCount(), 120, kWaitMs);
        QCOMPARE(messages->index(0).data().toString(), u"line 1"_s);
        QVERIFY(!messages->hasMoreBefore());
        QCOMPARE(messages->index(119).data().toString(), u"line 120"_s);
    }

    void transferToAColleagueThenClose()
    {
        QVERIFY(m_console);
        QString error;
        const TestUser sam = createStaffUser(m_server, u"agent"_s, u"sam"_s, &error);
        QVERIFY2(sam.isValid(), qPrintable(error));
        auto samConnection = connectAs(m_server, sam, &error);
        QVERIFY2(samConnection, qPrintable(error));
        QSignalSpy samUpdates(samConnection.get(), &ClientConnection::eventReceived);

        ConsoleApplication &app = m_console->app();
        AgentWorkspace *page = app.mainWindow()->workspace();
        ConversationView *view = page->conversationView();
        QVERIFY(page->selectConversation(m_vera.conversationId));
        QVERIFY(view->transferButton()->isEnabled());

        // The dialog is modal: pick Sam once the online agents are listed.
        bool transferred = false;
        answerModal([&](QWidget *modal) {
            auto *dialog = qobject_cast<TransferDialog *>(modal);
            if (!dialog || !dialog->selectAgent(sam.id))
                return false;
            transferred = true;
            dialog->accept();
            return true;
        });
        QTest::mouseClick(view->transferButton(), Qt::LeftButton);
        QVERIFY(transferred);
        QTRY_COMPARE_WITH_TIMEOUT(app.workspace()->conversations()->section(m_vera.conversationId),
            ConversationListModel::Section::OtherAgents, kWaitMs);
        QCOMPARE(app.workspace()->conversations()->conversation(m_vera.conversationId).agentId, sam.id);
        QTRY_VERIFY(view->statusText().contains(u"Assigned to"_s));
        QVERIFY(!view->composer()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!samUpdates.isEmpty(), kWaitMs);

        // Close it (confirming the question).
        answerModal([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            if (!box)
                return false;
            box->button(QMessageBox::Yes)->click();
            return true;
        });
        QTest::mouseClick(view->closeButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!app.workspace()->conversations()->contains(m_vera.conversationId), kWaitMs);
        QTRY_COMPARE(view->statusText(), u"This chat is closed."_s);
        QVERIFY(!view->composer()->isEnabled());
    }

private:
    // Calls answer(modal widget) every 20 ms until it returns true (or 10 s pass): for the
    // dialogs the console opens with exec().
    void answerModal(std::function<bool(QWidget *)> answer)
    {
        auto *timer = new QTimer(this);
        auto *deadline = new QElapsedTimer;
        deadline->start();
        connect(timer, &QTimer::timeout, this, [timer, deadline, answer = std::move(answer)] {
            QWidget *modal = QApplication::activeModalWidget();
            if ((modal && answer(modal)) || deadline->elapsed() > 10000) {
                timer->stop();
                timer->deleteLater();
                delete deadline;
            }
        });
        timer->start(20);
    }

    Guest m_vera;
    Guest m_bob;
};

QTEST_MAIN(TestConsoleFlow)
#include "tst_consoleflow.moc"
