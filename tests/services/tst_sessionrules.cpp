#include <QDateTime>
#include <QTest>

#include "server/services/presenceservice.h"
#include "server/services/resumeservice.h"
#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "tests/services/awaitresult.h"
#include "tests/services/fakecontactstore.h"
#include "tests/services/fakeuserstore.h"
#include "tests/services/loopbacksessions.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Server;
using namespace Switchboard::Tests;

// The rules that live with connections, in-process on real Session objects over loopback
// WebSockets: the per-connection token bucket and flood detection, resumable sessions (single-use
// tokens, failed attempts, expiry), and presence (who is told, what a status may be).
class TstSessionRules : public QObject
{
    Q_OBJECT

    static UserInfo user(qint64 id) { return UserInfo {id, u"u%1"_s.arg(id), u"U%1"_s.arg(id), u"user"_s}; }

private slots:
    void tokenBucketRefillsAtItsRate()
    {
        LoopbackSessions loop;
        Session::Limits limits;
        limits.tokensPerSecond = 2;
        limits.burst = 3;
        auto *pair = loop.open(limits);
        QVERIFY(pair);
        Session *s = pair->session;
        const qint64 t0 = 1'000'000;
        for (int i = 0; i < 3; ++i)
            QCOMPARE(s->takeToken(t0), 0); // the burst
        const qint64 wait = s->takeToken(t0);
        QVERIFY2(wait > 0 && wait <= 500, qPrintable(QString::number(wait))); // one token per 500 ms
        QCOMPARE(s->takeToken(t0 + 500), 0);
        QVERIFY(s->takeToken(t0 + 500) > 0);
        // Idle time refills up to the burst, never beyond.
        const qint64 later = t0 + 60'000;
        for (int i = 0; i < 3; ++i)
            QCOMPARE(s->takeToken(later), 0);
        QVERIFY(s->takeToken(later) > 0);
    }

    void aClockSteppingBackLocksNobodyOut()
    {
        LoopbackSessions loop;
        Session::Limits limits;
        limits.tokensPerSecond = 10;
        limits.burst = 2;
        auto *pair = loop.open(limits);
        QVERIFY(pair);
        Session *s = pair->session;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QCOMPARE(s->takeToken(now), 0);
        QCOMPARE(s->takeToken(now), 0);
        QVERIFY(s->takeToken(now) > 0);
        // The wall clock jumps back an hour: the bucket refills from there on as usual instead of
        // owing an hour's worth of tokens.
        const qint64 back = now - 3'600'000;
        const qint64 wait = s->takeToken(back);
        QVERIFY2(wait > 0 && wait <= 100, qPrintable(QString::number(wait)));
        QCOMPARE(s->takeToken(back + 100), 0);
        // Nor do refusals from before the step count towards flooding after it.
        for (int i = 0; i < 40; ++i)
            QVERIFY(!s->noteRateLimited(now + i));
        QVERIFY(!s->noteRateLimited(back));
    }

    void floodingIsDetectedOnlyWhenItPersists()
    {
        LoopbackSessions loop;
        auto *pair = loop.open();
        QVERIFY(pair);
        Session *s = pair->session;
        const qint64 t0 = 5'000'000;
        // More than 40 refusals within 5 s is flooding; the same number spread out is not.
        for (int i = 0; i < 40; ++i)
            QVERIFY(!s->noteRateLimited(t0 + i * 200));
        QVERIFY(!s->noteRateLimited(t0 + 40 * 200));
        LoopbackSessions loop2;
        auto *flood = loop2.open();
        QVERIFY(flood);
        bool closed = false;
        for (int i = 0; i < 41 && !closed; ++i)
            closed = flood->session->noteRateLimited(t0 + i);
        QVERIFY(closed);
    }

    void resumeTokensAreSingleUse()
    {
        LoopbackSessions loop;
        auto *first = loop.open();
        auto *second = loop.open();
        auto *third = loop.open();
        QVERIFY(first && second && third);
        first->session->setAuthenticated(user(7), u"sess-1"_s);
        ResumeService resume(300, 5);
        const QString token = resume.create(first->session, u"sess-1"_s);
        QVERIFY(!token.isEmpty());
        resume.detach(first->session, {{u"lobby"_s, 12}}, u"away"_s);

        auto taken = resume.resume(token, second->session);
        QVERIFY(taken.ok());
        QCOMPARE(taken->sessionId, u"sess-1"_s);
        QCOMPARE(taken->user.id, 7);
        QCOMPARE(taken->status, u"away"_s);
        QCOMPARE(taken->rooms.value(u"lobby"_s), quint64(12));
        QVERIFY(taken->token != token); // a new token for the next resume

        // The old token is spent, whoever presents it.
        auto again = resume.resume(token, third->session);
        QVERIFY(!again.ok());
        SB_COMPARE_CODE(again.error().code, ErrorCode::AuthFailed);
        auto garbage = resume.resume(u"not-a-token"_s, third->session);
        QVERIFY(!garbage.ok());
    }

    void failedAttemptsEndTheSession()
    {
        LoopbackSessions loop;
        auto *first = loop.open();
        auto *other = loop.open();
        QVERIFY(first && other);
        first->session->setAuthenticated(user(8), u"sess-2"_s);
        ResumeService resume(300, 2);
        const QString token = resume.create(first->session, u"sess-2"_s);
        resume.detach(first->session, {}, u"online"_s);
        QVERIFY(resume.resume(token, other->session).ok());
        const QString spent = token;
        resume.detach(other->session, {}, u"online"_s);
        // Two replays of the spent token: the session is gone, even for its current token.
        QVERIFY(!resume.resume(spent, other->session).ok());
        QVERIFY(!resume.resume(spent, other->session).ok());
        QCOMPARE(resume.size(), 0);
    }

    void resumableSessionsAreBoundedPerUser()
    {
        // Issue 12, item 7: every reconnect left a resumable record behind, without a bound per
        // user (and forgetting one scanned every used token of the server).
        LoopbackSessions loop;
        ResumeService resume(300, 5);
        QStringList tokens;
        for (int i = 0; i < 25; ++i) {
            auto *pair = loop.open();
            QVERIFY(pair);
            pair->session->setAuthenticated(user(9), u"s%1"_s.arg(i));
            tokens.append(resume.create(pair->session, u"s%1"_s.arg(i)));
            resume.detach(pair->session, {}, u"online"_s);
        }
        QCOMPARE(resume.size(), 20);
        auto *taker = loop.open();
        QVERIFY(taker);
        QVERIFY(!resume.resume(tokens.first(), taker->session).ok()); // the oldest went
        auto newest = resume.resume(tokens.last(), taker->session);
        QVERIFY(newest.ok());
        QCOMPARE(newest->sessionId, u"s24"_s);
        // A kick forgets them all.
        resume.forgetUser(9);
        QCOMPARE(resume.size(), 0);
        QVERIFY(!resume.resume(newest->token, taker->session).ok());
    }

    void presenceGoesToWatchersOnly()
    {
        LoopbackSessions loop;
        auto *alice = loop.open();
        auto *bob = loop.open();
        auto *carol = loop.open();
        QVERIFY(alice && bob && carol);
        SessionRegistry registry(SessionRegistry::Timeouts {});
        FakeUserStore users;
        FakeContactStore contacts;
        contacts.presenceWatchersCall.answerWith(QList<qint64> {2}); // bob watches alice; carol does not
        users.touchLastSeenCall.answerWith(Done {});
        PresenceService presence(users, contacts, registry);
        const QList<std::pair<LoopbackSessions::Pair *, qint64>> people {{alice, 1}, {bob, 2}, {carol, 3}};
        for (const auto &[pair, id] : people) {
            registry.add(pair->session);
            pair->session->setAuthenticated(user(id), u"s%1"_s.arg(id));
            registry.markAuthenticated(pair->session);
        }
        QCOMPARE(presence.statusOf(1), u"online"_s);
        QCOMPARE(presence.statusOf(99), u"offline"_s);

        auto r = awaitResult<QJsonObject>([&](auto done) { presence.setStatus(1, {{u"status"_s, u"away"_s}}, done); });
        QVERIFY(r && r->ok());
        QCOMPARE(presence.statusOf(1), u"away"_s);
        QVERIFY(LoopbackSessions::waitForFrames(bob, 1));
        const auto events = [](const LoopbackSessions::Pair *p) {
            QList<QJsonObject> out;
            for (const QJsonObject &f : p->received) {
                if (f.value(u"type"_s).toString() == u"presence"_s && f.value(u"user_id"_s).toInteger() == 1)
                    out.append(f);
            }
            return out;
        };
        QTRY_VERIFY_WITH_TIMEOUT(!events(bob).isEmpty() && events(bob).last().value(u"status"_s) == u"away"_s, 5000);
        QCOMPARE(std::get<0>(contacts.presenceWatchersCall.lastArguments()), 1);

        // Only online and away may be set by hand.
        r = awaitResult<QJsonObject>([&](auto done) { presence.setStatus(1, {{u"status"_s, u"offline"_s}}, done); });
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        r = awaitResult<QJsonObject>([&](auto done) { presence.setStatus(1, {{u"status"_s, 3}}, done); });
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::BadRequest);
        QCOMPARE(presence.statusOf(1), u"away"_s);

        // Carol, no watcher, heard nothing about alice.
        QVERIFY(events(carol).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TstSessionRules)
#include "tst_sessionrules.moc"
