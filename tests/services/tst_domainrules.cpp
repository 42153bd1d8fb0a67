#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "server/services/domainrules.h"
#include "server/sessions/onlineusers.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Server;

// The rules storage applies inside its transactions, without storage: conversation access,
// attachments, support assignment, who gets a push and what it says.
class TstDomainRules : public QObject
{
    Q_OBJECT

    static ChatMessage message(const QString &type, const QString &content, qint64 sender = 1)
    {
        ChatMessage m;
        m.id = 77;
        m.conversationId = 5;
        m.seq = 3;
        m.senderId = sender;
        m.type = type;
        m.content = content;
        m.createdAt = 1700000000000;
        return m;
    }

private slots:
    void outsiders_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("role");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("agent, support") << u"support"_s << u"agent"_s << true;
        QTest::newRow("admin, support") << u"support"_s << u"admin"_s << true;
        QTest::newRow("user, support") << u"support"_s << u"user"_s << false;
        QTest::newRow("guest, support") << u"support"_s << u"guest"_s << false;
        QTest::newRow("agent, private") << u"private"_s << u"agent"_s << false;
        QTest::newRow("admin, group") << u"group"_s << u"admin"_s << false;
        QTest::newRow("unknown role") << u"support"_s << QString() << false;
    }
    void outsiders()
    {
        QFETCH(QString, type);
        QFETCH(QString, role);
        QFETCH(bool, allowed);
        QCOMPARE(DomainRules(nullptr, 80).outsiderMayAccess(type, role), allowed);
    }

    void attachments()
    {
        const DomainRules rules(nullptr, 80);
        FileRecord f;
        for (const QString &mime : {u"image/png"_s, u"image/jpeg"_s, u"image/gif"_s, u"image/webp"_s}) {
            f.mime = mime;
            QVERIFY2(!rules.attachmentRefusal(u"image"_s, f), qPrintable(mime));
        }
        for (const QString &mime :
            {u"image/svg+xml"_s, u"image/bmp"_s, u"text/html"_s, u"application/octet-stream"_s}) {
            f.mime = mime;
            const auto refused = rules.attachmentRefusal(u"image"_s, f);
            QVERIFY2(refused, qPrintable(mime));
            SB_COMPARE_CODE(refused->code, ErrorCode::ValidationFailed);
            QVERIFY2(!rules.attachmentRefusal(u"file"_s, f), qPrintable(mime)); // anything goes as a file
        }
    }

    void supportGoesToStaffOnly()
    {
        const DomainRules rules(nullptr, 80);
        QVERIFY(rules.mayHandleSupport(u"agent"_s));
        QVERIFY(rules.mayHandleSupport(u"admin"_s));
        QVERIFY(!rules.mayHandleSupport(u"user"_s));
        QVERIFY(!rules.mayHandleSupport(u"guest"_s));
    }

    void automaticAssignmentPicksTheLeastBusy()
    {
        const DomainRules rules(nullptr, 80);
        using Load = StorageRules::AgentLoad;
        QCOMPARE(rules.chooseAgent({Load {1, 3}, Load {2, 1}, Load {3, 2}}, 5), 2);
        // A tie goes to the earlier candidate (the caller's order of preference).
        QCOMPARE(rules.chooseAgent({Load {4, 1}, Load {2, 1}}, 5), 4);
        // At capacity nobody is picked, below it the only one left is.
        QCOMPARE(rules.chooseAgent({Load {1, 5}, Load {2, 7}}, 5), 0);
        QCOMPARE(rules.chooseAgent({Load {1, 5}, Load {2, 4}}, 5), 2);
        QCOMPARE(rules.chooseAgent({}, 5), 0);
    }

    void pushGoesToOfflineParticipantsButTheSender()
    {
        OnlineUsers online;
        online.setOnline(2, true);
        const DomainRules rules(&online, 80);
        const ChatMessage m = message(u"text"_s, u"hi"_s, 1);
        QVERIFY(!rules.wantsPush(1, m)); // the sender
        QVERIFY(!rules.wantsPush(2, m)); // online
        QVERIFY(rules.wantsPush(3, m));
        online.setOnline(2, false);
        QVERIFY(rules.wantsPush(2, m));
        // Without an online view (command-line use) everyone but the sender would be told.
        QVERIFY(DomainRules(nullptr, 80).wantsPush(2, m));
    }

    void previewIsBoundedInCodePoints()
    {
        QCOMPARE(DomainRules::preview(message(u"text"_s, u"hello world"_s), 5), u"hello"_s);
        QCOMPARE(DomainRules::preview(message(u"text"_s, u"short"_s), 80), u"short"_s);
        // Two emoji are four UTF-16 units: the cut never splits a surrogate pair.
        const QString emoji = u"\U0001F600\U0001F601\U0001F602"_s;
        QCOMPARE(DomainRules::preview(message(u"text"_s, emoji), 2), emoji.left(4));
        QCOMPARE(DomainRules::preview(message(u"image"_s, QString()), 80), u"[image]"_s);
        QCOMPARE(DomainRules::preview(message(u"file"_s, QString()), 80), u"[file]"_s);
        QCOMPARE(DomainRules::preview(message(u"text"_s, u"secret"_s), 0), QString());
        QCOMPARE(DomainRules::preview(message(u"image"_s, QString()), 0), QString());
    }

    void payloadNamesTheMessageAndTheRecipient()
    {
        const DomainRules rules(nullptr, 3);
        const QJsonObject p
            = QJsonDocument::fromJson(rules.pushPayload(message(u"text"_s, u"abcdef"_s), 9, u"Ann"_s).toUtf8())
                  .object();
        QCOMPARE(p.value(u"type"_s).toString(), u"new_message"_s);
        QCOMPARE(p.value(u"user_id"_s).toInteger(), 9);
        QCOMPARE(p.value(u"conversation_id"_s).toInteger(), 5);
        QCOMPARE(p.value(u"message_id"_s).toInteger(), 77);
        QCOMPARE(p.value(u"seq"_s).toInteger(), 3);
        QCOMPARE(p.value(u"sender_id"_s).toInteger(), 1);
        QCOMPARE(p.value(u"sender_name"_s).toString(), u"Ann"_s);
        QCOMPARE(p.value(u"preview"_s).toString(), u"abc"_s);
        QCOMPARE(p.value(u"created_at"_s).toInteger(), 1700000000000);
        QCOMPARE(p.size(), 9);
    }
};

QTEST_GUILESS_MAIN(TstDomainRules)
#include "tst_domainrules.moc"
