#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Heartbeat and authentication timeouts (PROTOCOL.md sections 2 and 6) with short configured
// values: a silent connection is closed with 4008 after heartbeat_timeout, while WebSocket ping
// frames or requests keep a connection alive; a connection that never authenticates is closed
// with 4001 after auth_timeout, an authenticated one is not.
class TestHeartbeat : public QObject
{
    Q_OBJECT

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void silentConnectionClosedWith4008()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"heartbeat_timeout"_s, u"2"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_CONNECT(annC, server, ann);
        QElapsedTimer silence;
        silence.start();
        QCOMPARE(waitClosed(annC.get(), 10000), 4008);
        // Not closed long before the configured 2 s of silence, nor much later.
        QVERIFY2(silence.elapsed() >= 1500, qPrintable(QString::number(silence.elapsed())));
        QVERIFY2(silence.elapsed() <= 8000, qPrintable(QString::number(silence.elapsed())));
    }

    void pingFramesAndRequestsKeepAlive()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"heartbeat_timeout"_s, u"2"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        // Each keep-alive starts right after its connection is up (the timeout is short).
        QTimer pingFrames;
        pingFrames.setInterval(400);
        QTimer pingRequests;
        pingRequests.setInterval(400);
        IT_CONNECT(pinger, server, ann); // WebSocket ping frames only
        connect(&pingFrames, &QTimer::timeout, pinger.get(), [&] { pinger->sendWebSocketPing("hb"); });
        pingFrames.start();
        IT_CONNECT(requester, server, ann); // JSON ping requests only
        connect(&pingRequests, &QTimer::timeout, requester.get(), [&] { requester->ping()->setAutoDelete(true); });
        pingRequests.start();
        IT_CONNECT(silent, server, ann);
        QSignalSpy pingerClosed(pinger.get(), &ClientConnection::disconnected);
        QSignalSpy requesterClosed(requester.get(), &ClientConnection::disconnected);

        QCOMPARE(waitClosed(silent.get(), 10000), 4008);
        // Well past the timeout for the active ones as well.
        QVERIFY2(!pingerClosed.wait(2500), "closed although it sent WebSocket ping frames");
        QVERIFY(requesterClosed.isEmpty());
        QCOMPARE(pinger->state(), ClientConnection::State::Authenticated);
        QCOMPARE(requester->state(), ClientConnection::State::Authenticated);
        IT_OK(pong, pinger->ping());
        pong->deleteLater();

        // Once the pings stop, the heartbeat timeout applies again.
        pingFrames.stop();
        pingRequests.stop();
        QCOMPARE(waitClosed(pinger.get(), 10000), 4008);
        QCOMPARE(waitClosed(requester.get(), 10000), 4008);
    }

    void authTimeout()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setLimits({{u"auth_timeout"_s, u"2"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_CONNECT(authed, server, ann);
        QSignalSpy authedClosed(authed.get(), &ClientConnection::disconnected);

        auto never = openRaw(server.wsUrl());
        QVERIFY(never);
        // A refused auth frame leaves the connection open and unauthenticated: the timeout
        // still applies to it.
        auto refused = openRaw(server.wsUrl());
        QVERIFY(refused);
        IT_FAILS(refused->authenticate(u"not-a-token"_s), AuthFailed);
        QCOMPARE(refused->state(), ClientConnection::State::Connected);
        // Pings are allowed before auth but do not count as authenticating.
        IT_OK(pong, refused->ping());

        QElapsedTimer clock;
        clock.start();
        QCOMPARE(waitClosed(never.get(), 10000), 4001);
        QCOMPARE(waitClosed(refused.get(), 10000), 4001);
        QVERIFY2(clock.elapsed() <= 8000, qPrintable(QString::number(clock.elapsed())));

        // The authenticated connection, silent all along, is still open (heartbeat_timeout is
        // the default 60 s) and works.
        QVERIFY(!authedClosed.wait(1000));
        QCOMPARE(authed->state(), ClientConnection::State::Authenticated);
        IT_OK(pong2, authed->ping());
    }
};

QTEST_GUILESS_MAIN(TestHeartbeat)
#include "tst_heartbeat.moc"
