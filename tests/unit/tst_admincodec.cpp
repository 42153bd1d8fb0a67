#include <QFile>
#include <QJsonDocument>
#include <QTest>

#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

// The admin frames of PROTOCOL.md section 11 (`stats`, `admin_connections` rows) against golden
// JSON in tests/data/protocol, both directions.
class TestAdminCodec : public QObject
{
    Q_OBJECT

private:
    static QJsonObject golden(const QString &name)
    {
        QFile file(QStringLiteral(SB_TEST_DATA_DIR "/protocol/") + name);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(file.readAll()).object();
    }

private slots:
    void statsGolden()
    {
        const QJsonObject json = golden(u"stats.json"_s);
        QVERIFY(!json.isEmpty());
        const auto stats = JsonCodec::decodeStats(json);
        QVERIFY(stats.ok());
        QCOMPARE(stats->connections, 12);
        QCOMPARE(stats->authenticated, 10);
        QCOMPARE(stats->usersOnline, 7);
        QCOMPARE(stats->rooms, 2);
        QCOMPARE(stats->messagesSent, 5321);
        QCOMPARE(stats->messagesReceived, 2817);
        QCOMPARE(stats->messagesPerSecond, 3.5);
        QCOMPARE(stats->uptime, 86400);
        QCOMPARE(stats->memoryUsage, 52428800);
        QCOMPARE(stats->storage, u"ok"_s);
        QCOMPARE(JsonCodec::encode(stats.value()), json);
    }

    void statsEventCarriesType()
    {
        QJsonObject event = golden(u"stats.json"_s);
        event.insert(u"type"_s, u"stats"_s);
        QVERIFY(JsonCodec::decodeStats(event).ok());
    }

    void malformed_data()
    {
        QTest::addColumn<QJsonObject>("json");
        QTest::addRow("empty") << QJsonObject();
        QTest::addRow("connections as string") << QJsonObject {{u"connections"_s, u"3"_s}, {u"uptime"_s, 1}};
        QTest::addRow("no uptime") << QJsonObject {{u"connections"_s, 3}};
    }

    void malformed()
    {
        QFETCH(QJsonObject, json);
        QVERIFY(!JsonCodec::decodeStats(json).ok());
        QVERIFY(!JsonCodec::decodeAdminConnection(json).ok());
    }

    void connectionGolden_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("userId");
        QTest::addColumn<QString>("username");
        QTest::addColumn<QStringList>("rooms");
        QTest::addRow("authenticated") << u"admin_connection.json"_s << qint64(12) << u"ann"_s
                                       << QStringList {u"lobby"_s, u"ops"_s};
        QTest::addRow("not authenticated")
            << u"admin_connection_anonymous.json"_s << qint64(0) << QString() << QStringList();
    }

    void connectionGolden()
    {
        QFETCH(QString, file);
        QFETCH(qint64, userId);
        QFETCH(QString, username);
        QFETCH(QStringList, rooms);
        const QJsonObject json = golden(file);
        QVERIFY(!json.isEmpty());
        const auto connection = JsonCodec::decodeAdminConnection(json);
        QVERIFY(connection.ok());
        QCOMPARE(connection->userId, userId);
        QCOMPARE(connection->username, username);
        QCOMPARE(connection->rooms, rooms);
        QVERIFY(connection->connectedAt > 0);
        QCOMPARE(JsonCodec::encode(connection.value()), json);
    }
};

QTEST_GUILESS_MAIN(TestAdminCodec)
#include "tst_admincodec.moc"
