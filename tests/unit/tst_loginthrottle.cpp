#include <QTest>

#include "server/security/loginthrottle.h"

using namespace Qt::StringLiterals;
using Switchboard::Server::LoginThrottle;

// The login throttle's table is bounded, and filling it with new names never lifts a throttle in
// force (issue 12, item 7: it used to be cleared whole at 100,000 entries, which let anyone reset
// a victim's throttle by failing logins for 100,000 made-up names).
class TstLoginThrottle : public QObject
{
    Q_OBJECT

private slots:
    void throttlesPerUsernameAndAddress()
    {
        LoginThrottle t(3, 5, 60'000);
        const qint64 now = 1'000'000;
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(t.retryAfter(u"victim"_s, u"10.0.0.1"_s, now), 0);
            t.recordFailure(u"victim"_s, u"10.0.0.1"_s, now);
        }
        QVERIFY(t.retryAfter(u"victim"_s, u"10.0.0.2"_s, now) > 0); // per username, from anywhere
        QCOMPARE(t.retryAfter(u"other"_s, u"10.0.0.2"_s, now), 0);
        QCOMPARE(t.retryAfter(u"victim"_s, u"10.0.0.2"_s, now + 60'001), 0); // the window passed
    }

    void aFloodOfNewNamesKeepsThrottlesInForce()
    {
        constexpr int kMaxKeys = 1000;
        LoginThrottle t(3, 1'000'000, 60'000, kMaxKeys);
        const qint64 now = 5'000'000;
        for (int i = 0; i < 3; ++i)
            t.recordFailure(u"victim"_s, u"10.0.0.1"_s, now);
        QVERIFY(t.retryAfter(u"victim"_s, u"10.0.0.1"_s, now) > 0);
        // Ten times the table in new names, one failure each, from many addresses.
        for (int i = 0; i < 10 * kMaxKeys; ++i)
            t.recordFailure(u"name%1"_s.arg(i), u"10.1.%1.%2"_s.arg(i / 256).arg(i % 256), now + 1);
        QVERIFY2(t.retryAfter(u"victim"_s, u"10.0.0.9"_s, now + 2) > 0, "the flood lifted the victim's throttle");
        // Even when every tracked name is throttled, the table stays bounded (the ones throttled
        // longest ago make room).
        LoginThrottle full(1, 1'000'000, 60'000, kMaxKeys);
        for (int i = 0; i < 3 * kMaxKeys; ++i)
            full.recordFailure(u"n%1"_s.arg(i), u"a"_s, now + i);
        int throttled = 0;
        for (int i = 0; i < 3 * kMaxKeys; ++i)
            throttled += full.retryAfter(u"n%1"_s.arg(i), u"b"_s, now + 3 * kMaxKeys) > 0 ? 1 : 0;
        QVERIFY2(throttled <= kMaxKeys, qPrintable(QString::number(throttled)));
        QVERIFY(full.retryAfter(u"n%1"_s.arg(3 * kMaxKeys - 1), u"b"_s, now + 3 * kMaxKeys) > 0); // the newest
    }
};

QTEST_GUILESS_MAIN(TstLoginThrottle)
#include "tst_loginthrottle.moc"
