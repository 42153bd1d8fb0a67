#include <QComboBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "console/app/consolesettings.h"
#include "console/models/agentlistmodel.h"
#include "console/models/connectionlistmodel.h"
#include "console/models/conversationlistmodel.h"
#include "console/models/messagelistmodel.h"
#include "console/models/statshistorymodel.h"
#include "console/widgets/composerwidget.h"
#include "console/widgets/settingsdialog.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Console;

// The console's models without a server (they do no networking), and the composer's keys.
class TestConsoleModels : public QObject
{
    Q_OBJECT

private:
    static constexpr qint64 kMe = 7;
    static constexpr qint64 kGuest = 40;
    static constexpr qint64 kConversation = 100;

    static ChatMessage message(
        qint64 id, qint64 seq, qint64 sender, const QString &text, const QString &clientMsgId = {})
    {
        ChatMessage m;
        m.id = id;
        m.conversationId = kConversation;
        m.seq = seq;
        m.senderId = sender;
        m.type = u"text"_s;
        m.content = text;
        m.clientMsgId = clientMsgId;
        m.createdAt = 1763900000000 + seq * 1000;
        return m;
    }

    static QStringList contents(const MessageListModel &model)
    {
        QStringList list;
        for (int row = 0; row < model.rowCount(); ++row)
            list.append(model.index(row).data().toString());
        return list;
    }

    static MessageListModel::DeliveryState stateAt(const MessageListModel &model, int row)
    {
        return MessageListModel::DeliveryState(model.index(row).data(MessageListModel::DeliveryStateRole).toInt());
    }

    static ConversationInfo support(qint64 id, const QString &status, qint64 agent, qint64 createdAt)
    {
        ConversationInfo c;
        c.id = id;
        c.type = u"support"_s;
        c.supportStatus = status;
        c.agentId = agent;
        c.requesterId = kGuest + id;
        c.participants = {kGuest + id};
        c.createdAt = createdAt;
        return c;
    }

private slots:
    void historyPagesAndLiveMessagesStayInSeqOrder()
    {
        MessageListModel model(kConversation, kMe);
        QSignalSpy older(&model, &MessageListModel::olderMessagesInserted);
        model.addHistory({message(5, 5, kGuest, u"e"_s), message(6, 6, kMe, u"f"_s)}, true);
        QVERIFY(model.hasMoreBefore());
        model.addHistory({message(3, 3, kGuest, u"c"_s), message(4, 4, kGuest, u"d"_s)}, false);
        QCOMPARE(older.size(), 1);
        QVERIFY(!model.hasMoreBefore());
        model.addMessage(message(8, 8, kGuest, u"h"_s));
        model.addMessage(message(7, 7, kGuest, u"g"_s)); // out of order
        QVERIFY(!model.addMessage(message(7, 7, kGuest, u"g"_s))); // at-least-once repeat
        QCOMPARE(contents(model), (QStringList {u"c"_s, u"d"_s, u"e"_s, u"f"_s, u"g"_s, u"h"_s}));
        QCOMPARE(model.oldestSeq(), 3);
        QCOMPARE(model.newestSeq(), 8);
        QCOMPARE(model.lastIncoming().id, 8);
    }

    void outgoingMessageTicks()
    {
        MessageListModel model(kConversation, kMe);
        model.addHistory({message(1, 1, kGuest, u"hi"_s)}, false);
        OutgoingMessage out;
        out.clientMsgId = u"c-1"_s;
        out.conversationId = kConversation;
        out.text = u"hello"_s;
        out.createdAt = 1763900005000;
        model.addPending(out);
        QCOMPARE(model.pendingCount(), 1);
        QCOMPARE(stateAt(model, 1), MessageListModel::DeliveryState::Queued);
        // A live message arrives while ours is still pending: ours stays at the bottom.
        model.addMessage(message(2, 2, kGuest, u"still there?"_s));
        QCOMPARE(contents(model), (QStringList {u"hi"_s, u"still there?"_s, u"hello"_s}));

        model.markSent(u"c-1"_s, 3, 3, 1763900006000);
        QCOMPARE(model.pendingCount(), 0);
        QCOMPARE(stateAt(model, 2), MessageListModel::DeliveryState::Sent);
        model.applyReceipt(kGuest, u"delivered"_s, 3);
        QCOMPARE(stateAt(model, 2), MessageListModel::DeliveryState::Delivered);
        model.applyReceipt(kGuest, u"read"_s, 3);
        QCOMPARE(stateAt(model, 2), MessageListModel::DeliveryState::Read);
        model.applyReceipt(kGuest, u"delivered"_s, 2); // never backwards
        QCOMPARE(stateAt(model, 2), MessageListModel::DeliveryState::Read);
        // Our own receipts do not tick our messages.
        MessageListModel other(kConversation, kMe);
        other.addMessage(message(9, 9, kMe, u"x"_s));
        other.applyReceipt(kMe, u"read"_s, 9);
        QCOMPARE(stateAt(other, 0), MessageListModel::DeliveryState::Sent);
        QCOMPARE(stateAt(model, 0), MessageListModel::DeliveryState::Incoming);
    }

    void echoOfOwnMessageReplacesThePendingRow()
    {
        MessageListModel model(kConversation, kMe);
        OutgoingMessage out;
        out.clientMsgId = u"c-2"_s;
        out.conversationId = kConversation;
        out.text = u"twice?"_s;
        model.addPending(out);
        // The sync after a reconnect pushes it back before the reply arrived.
        QVERIFY(!model.addMessage(message(4, 4, kMe, u"twice?"_s, u"c-2"_s)));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.pendingCount(), 0);
        model.markSent(u"c-2"_s, 4, 4, 0);
        QCOMPARE(model.rowCount(), 1);
        model.markFailed(u"missing"_s, u"x"_s); // unknown id: nothing happens
        QCOMPARE(model.rowCount(), 1);
    }

    void sectionsFollowSupportState_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<qint64>("agent");
        QTest::addColumn<int>("section");
        QTest::addRow("open") << u"open"_s << qint64(0) << int(ConversationListModel::Section::Unassigned);
        QTest::addRow("mine") << u"assigned"_s << kMe << int(ConversationListModel::Section::Mine);
        QTest::addRow("colleague") << u"assigned"_s << qint64(99) << int(ConversationListModel::Section::OtherAgents);
    }

    void sectionsFollowSupportState()
    {
        QFETCH(QString, status);
        QFETCH(qint64, agent);
        QFETCH(int, section);
        ConversationListModel model;
        model.setCurrentUserId(kMe);
        model.upsert(support(1, status, agent, 1000));
        QCOMPARE(int(model.section(1)), section);
        QCOMPARE(model.index(0).data(ConversationListModel::SectionRole).toInt(), section);
        QCOMPARE(model.unassignedCount(), section == int(ConversationListModel::Section::Unassigned) ? 1 : 0);
    }

    void unreadWaitingAndClosing()
    {
        ConversationListModel model;
        model.setCurrentUserId(kMe);
        model.setNameProvider([](qint64 id) { return u"Customer #%1"_s.arg(id); });
        QSignalSpy waitingChanged(&model, &ConversationListModel::unassignedCountChanged);
        model.upsert(support(1, u"open"_s, 0, 1000));
        model.upsert(support(2, u"open"_s, 0, 500));
        QCOMPARE(model.unassignedCount(), 2);
        QCOMPARE(model.oldestUnassignedAt(), 500);
        QCOMPARE(model.index(0).data().toString(), u"Customer #41"_s);
        QCOMPARE(model.index(0).data(ConversationListModel::WaitingSinceRole).toLongLong(), 1000);

        // Claimed by us: "Mine"; the customer writes: unread and waiting since then.
        model.upsert(support(1, u"assigned"_s, kMe, 1000));
        QCOMPARE(model.unassignedCount(), 1);
        ChatMessage fromCustomer = message(10, 1, kGuest + 1, u"help"_s);
        fromCustomer.conversationId = 1;
        model.applyMessage(fromCustomer, true);
        QCOMPARE(model.conversation(1).unread, 1);
        QCOMPARE(model.unreadTotal(), 1);
        QCOMPARE(model.index(0).data(ConversationListModel::LastMessageRole).toString(), u"help"_s);
        // Still waiting since the chat opened: nobody has answered yet.
        QCOMPARE(model.index(0).data(ConversationListModel::WaitingSinceRole).toLongLong(), 1000);
        // We answer: nobody waits any more.
        ChatMessage answer = message(11, 2, kMe, u"here"_s);
        answer.conversationId = 1;
        model.applyMessage(answer, false);
        QCOMPARE(model.index(0).data(ConversationListModel::WaitingSinceRole).toLongLong(), 0);
        model.setUnread(1, 0);
        QCOMPARE(model.unreadTotal(), 0);

        // Closed chats leave the list; a fresh queue replaces the support entries.
        model.upsert(support(1, u"closed"_s, kMe, 1000));
        QVERIFY(!model.contains(1));
        model.resetSupportQueue({support(3, u"open"_s, 0, 2000)});
        QVERIFY(!model.contains(2));
        QVERIFY(model.contains(3));
        QCOMPARE(waitingChanged.last().at(0).toInt(), 1);
    }

    void statsHistoryKeepsFiveMinutes()
    {
        StatsHistoryModel model;
        QCOMPARE(model.capacity(), 300);
        model.setCapacity(3);
        for (int i = 1; i <= 5; ++i) {
            ServerStats s;
            s.connections = i;
            s.messagesPerSecond = i * 0.5;
            model.addSample(i * 1000, s);
        }
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.timestampAt(0), 3000);
        QCOMPARE(model.value(2, StatsHistoryModel::ConnectionsColumn), 5.0);
        QCOMPARE(model.value(2, StatsHistoryModel::MessagesPerSecondColumn), 2.5);
        QCOMPARE(model.latest().connections, 5);
    }

    void connectionsUpdateInPlace()
    {
        ConnectionListModel model;
        AdminConnection a;
        a.connectionId = 1;
        a.userId = 5;
        a.username = u"ann"_s;
        a.role = u"agent"_s;
        a.rooms = {u"lobby"_s};
        AdminConnection b = a;
        b.connectionId = 2;
        b.userId = 0;
        model.setConnections({a, b});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(ConnectionListModel::ColumnCount));
        QCOMPARE(model.index(0, ConnectionListModel::UserColumn).data().toString(), u"ann (agent)"_s);
        QCOMPARE(model.index(0, ConnectionListModel::RoomsColumn).data().toString(), u"lobby"_s);
        QCOMPARE(model.index(1, ConnectionListModel::UserColumn).data().toString(), u"(not signed in)"_s);
        const QPersistentModelIndex kept = model.index(0, 0);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        a.lastActivityAt = 99;
        AdminConnection c = a;
        c.connectionId = 3;
        model.setConnections({a, c});
        QCOMPARE(reset.size(), 0);
        QCOMPARE(model.rowCount(), 2);
        QVERIFY(kept.isValid());
        QCOMPARE(kept.data(ConnectionListModel::ConnectionIdRole).toLongLong(), 1);
        QCOMPARE(model.index(1, 0).data(ConnectionListModel::ConnectionIdRole).toLongLong(), 3);
    }

    void agentsOnlineFirst()
    {
        AgentListModel model;
        model.setAgents({UserInfo {1, u"zed"_s, u"Zed"_s, u"agent"_s}, UserInfo {2, u"amy"_s, u"Amy"_s, u"admin"_s},
                            UserInfo {3, u"bob"_s, u"Bob"_s, u"user"_s}, UserInfo {kMe, u"me"_s, u"Me"_s, u"agent"_s}},
            kMe);
        QCOMPARE(model.rowCount(), 2); // no end users, not ourselves
        QCOMPARE(model.userIdAt(0), 2);
        model.setPresence(1, u"online"_s);
        QCOMPARE(model.userIdAt(0), 1);
        QCOMPARE(model.onlineCount(), 1);
    }

    void composerSendsOnEnterOnly()
    {
        ComposerWidget composer;
        composer.setTypingInterval(60000);
        QSignalSpy send(&composer, &ComposerWidget::sendRequested);
        QSignalSpy typing(&composer, &ComposerWidget::typingActivity);
        QTest::keyClick(&composer, Qt::Key_Return); // nothing to send
        QCOMPARE(send.size(), 0);
        QTest::keyClicks(&composer, u"ab"_s);
        QCOMPARE(typing.size(), 1); // throttled: one per interval
        QTest::keyClick(&composer, Qt::Key_Return, Qt::ShiftModifier);
        QTest::keyClicks(&composer, u"c"_s);
        QCOMPARE(send.size(), 0);
        QTest::keyClick(&composer, Qt::Key_Return);
        QCOMPARE(send.size(), 1);
        QCOMPARE(send.at(0).at(0).toString(), u"ab\nc"_s);
        QVERIFY(composer.toPlainText().isEmpty());
        QTest::keyClicks(&composer, u"   "_s);
        QTest::keyClick(&composer, Qt::Key_Return);
        QCOMPARE(send.size(), 1); // blank is not sent
    }

    void settingsDialogOverridesTheLanguage()
    {
        QTemporaryDir dir;
        ConsoleSettings settings(dir.filePath(u"console.ini"_s));
        QCOMPARE(settings.language(), QString()); // follows the system by default
        {
            SettingsDialog dialog(settings);
            auto *combo = dialog.findChild<QComboBox *>(u"languageCombo"_s);
            QVERIFY(combo);
            QCOMPARE(combo->currentData().toString(), QString());
            combo->setCurrentIndex(combo->findData(u"zh_CN"_s));
            dialog.accept();
        }
        QCOMPARE(settings.language(), u"zh_CN"_s);
        ConsoleSettings reread(dir.filePath(u"console.ini"_s));
        QCOMPARE(reread.language(), u"zh_CN"_s);
        SettingsDialog again(reread);
        QCOMPARE(again.selectedLanguage(), u"zh_CN"_s);
    }
};

QTEST_MAIN(TestConsoleModels)
#include "tst_consolemodels.moc"
