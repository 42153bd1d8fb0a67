#include <QJsonObject>
#include <QTest>

#include "server/base/serverconfig.h"
#include "server/security/loginthrottle.h"
#include "server/security/passwordhasher.h"
#include "server/security/tokensigner.h"
#include "server/services/authservice.h"
#include "tests/services/awaitresult.h"
#include "tests/services/fakemessagestore.h"
#include "tests/services/fakeuserstore.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Server;
using namespace Switchboard::Tests;

// AuthService in-process against storage test doubles: the one token-to-user path (HTTP and
// WebSocket), login with throttling, registration rules.
class TstAuthService : public QObject
{
    Q_OBJECT

    struct Fixture
    {
        FakeUserStore users;
        FakeMessageStore messages;
        PasswordHasher hasher;
        TokenSigner tokens {QByteArray(32, 'k'), 3600};
        LoginThrottle throttle {3, 30, 60000};
        ServerConfig config;
        AuthService auth {users, messages, hasher, tokens, throttle, config};
    };

    static UserInfo alice(const QString &role = u"user"_s) { return UserInfo {7, u"alice"_s, u"Alice"_s, role}; }

    static std::optional<Result<UserInfo>> authenticate(Fixture &f, const QString &token)
    {
        return awaitResult<UserInfo>([&](auto done) { f.auth.authenticate(token, done); });
    }

private slots:
    void aBadTokenNeverReachesStorage()
    {
        Fixture f;
        for (const QString &token :
            {QString(), u"garbage"_s, u"a.b.c"_s, TokenSigner(QByteArray(32, 'x'), 3600).issue(alice()).token}) {
            const auto r = authenticate(f, token);
            QVERIFY(r && !r->ok());
            SB_COMPARE_CODE(r->error().code, ErrorCode::AuthFailed);
            QCOMPARE(r->error().message, u"Invalid or expired token"_s);
        }
        QCOMPARE(f.users.accountCall.calls(), 0);
    }

    void aTokenNamesAUserWhoStillExistsWithThatRole()
    {
        Fixture f;
        const QString token = f.tokens.issue(alice()).token;
        f.users.accountCall.answerWith(Account {alice(), 0});
        auto r = authenticate(f, token);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().id, 7);
        QCOMPARE(std::get<0>(f.users.accountCall.lastArguments()), 7);

        f.users.accountCall.answerWith(ProtocolError::make(ErrorCode::NotFound, u"User not found"_s));
        r = authenticate(f, token);
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::AuthFailed);
        QCOMPARE(r->error().message, u"Invalid or expired token"_s);

        f.users.accountCall.answerWith(Account {alice(u"agent"_s), 0});
        r = authenticate(f, token);
        QVERIFY(r && !r->ok());
        QCOMPARE(r->error().message, u"Token no longer matches the account"_s);

        // A storage outage is not an authentication failure: the client should retry.
        f.users.accountCall.answerWith(ProtocolError::make(ErrorCode::Unavailable, u"Storage unavailable"_s));
        r = authenticate(f, token);
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::Unavailable);
    }

    void aBumpedTokenVersionRevokesEveryEarlierToken()
    {
        // Issue 12, item 6: a kicked user's JWT used to work until it expired.
        Fixture f;
        const QString old = f.tokens.issue(alice(), 0).token;
        const QString current = f.tokens.issue(alice(), 1).token;
        f.users.accountCall.answerWith(Account {alice(), 1});
        auto r = authenticate(f, old);
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::AuthFailed);
        QCOMPARE(r->error().message, u"Token revoked"_s);
        r = authenticate(f, current);
        QVERIFY(r && r->ok());
        f.messages.openSessionCall.answerWith(SessionOpening {alice(), 1, {}});
        auto s = awaitResult<SessionOpening>([&](auto done) { f.auth.openSession(old, 50, done); });
        QVERIFY(s && !s->ok());
        QCOMPARE(s->error().message, u"Token revoked"_s);
        // A session opened before the bump cannot be resumed after it.
        s = awaitResult<SessionOpening>([&](auto done) { f.auth.reopenSession(7, 0, 50, done); });
        QVERIFY(s && !s->ok());
        SB_COMPARE_CODE(s->error().code, ErrorCode::AuthFailed);
        QCOMPARE(s->error().message, u"Session revoked"_s);
        s = awaitResult<SessionOpening>([&](auto done) { f.auth.reopenSession(7, 1, 50, done); });
        QVERIFY(s && s->ok());
        // revokeTokens is the bump.
        f.users.bumpTokenVersionCall.answerWith(qint64(2));
        auto bumped = awaitResult<qint64>([&](auto done) { f.auth.revokeTokens(7, done); });
        QVERIFY(bumped && bumped->ok());
        QCOMPARE(bumped->value(), 2);
        QCOMPARE(std::get<0>(f.users.bumpTokenVersionCall.lastArguments()), 7);
    }

    void webSocketSessionsOpenThroughTheSamePath()
    {
        Fixture f;
        const QString token = f.tokens.issue(alice()).token;
        f.messages.openSessionCall.answerWith(SessionOpening {alice(u"admin"_s), 0, {}});
        auto r = awaitResult<SessionOpening>([&](auto done) { f.auth.openSession(token, 50, done); });
        QVERIFY(r && !r->ok());
        QCOMPARE(r->error().message, u"Token no longer matches the account"_s);
        QCOMPARE(std::get<1>(f.messages.openSessionCall.lastArguments()), 50);

        f.messages.openSessionCall.answerWith(SessionOpening {alice(), 0, {}});
        r = awaitResult<SessionOpening>([&](auto done) { f.auth.openSession(token, 50, done); });
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().user.username, u"alice"_s);

        r = awaitResult<SessionOpening>([&](auto done) { f.auth.openSession(u"nope"_s, 50, done); });
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::AuthFailed);
        QCOMPARE(f.messages.openSessionCall.calls(), 2);

        // Resuming a session whose account was deleted meanwhile.
        f.messages.openSessionCall.answerWith(ProtocolError::make(ErrorCode::NotFound, u"User not found"_s));
        r = awaitResult<SessionOpening>([&](auto done) { f.auth.reopenSession(7, 0, 50, done); });
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::AuthFailed);
        QCOMPARE(r->error().message, u"The account no longer exists"_s);
    }

    void loginIssuesATokenThatAuthenticates()
    {
        Fixture f;
        QString hash;
        QVERIFY(f.hasher.hash(u"correct horse"_s, [&](QString h) { hash = h; }));
        QTRY_VERIFY_WITH_TIMEOUT(!hash.isEmpty(), 10000);
        f.users.findCredentialsCall.answerWith(std::optional<StoredUser>(StoredUser {alice(), hash}));
        auto r = awaitResult<QJsonObject>([&](auto done) {
            f.auth.login(
                QJsonObject {{u"username"_s, u"alice"_s}, {u"password"_s, u"correct horse"_s}}, u"127.0.0.1"_s, done);
        });
        QVERIFY(r && r->ok());
        const QString token = r->value().value(u"token"_s).toString();
        QVERIFY(!token.isEmpty());
        f.users.accountCall.answerWith(Account {alice(), 0});
        const auto who = authenticate(f, token);
        QVERIFY(who && who->ok());
        QCOMPARE(who->value().id, 7);
    }

    void failedLoginsAreThrottledBeforeStorage()
    {
        Fixture f; // the throttle allows 3 failures per username
        f.users.findCredentialsCall.answerWith(std::optional<StoredUser>()); // unknown name
        const QJsonObject wrong {{u"username"_s, u"mallory"_s}, {u"password"_s, u"guess guess"_s}};
        for (int i = 0; i < 3; ++i) {
            auto r = awaitResult<QJsonObject>([&](auto done) { f.auth.login(wrong, u"10.0.0.1"_s, done); });
            QVERIFY(r && !r->ok());
            SB_COMPARE_CODE(r->error().code, ErrorCode::AuthFailed);
            QCOMPARE(r->error().message, u"Invalid username or password"_s);
        }
        QCOMPARE(f.users.findCredentialsCall.calls(), 3);
        auto r = awaitResult<QJsonObject>([&](auto done) { f.auth.login(wrong, u"10.0.0.1"_s, done); });
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::RateLimited);
        QVERIFY(r->error().retryAfterMs > 0);
        QCOMPARE(f.users.findCredentialsCall.calls(), 3); // refused before any storage work
    }

    void registrationRulesComeBeforeHashing()
    {
        Fixture f;
        auto reg = [&](const QJsonObject &fields) {
            return awaitResult<QJsonObject>([&](auto done) { f.auth.registerUser(fields, done); });
        };
        auto r = reg({{u"username"_s, u"Bad Name"_s}, {u"password"_s, u"long enough"_s}});
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        r = reg({{u"username"_s, u"bob"_s}, {u"password"_s, u"short"_s}});
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        r = reg({{u"username"_s, u"bob"_s}, {u"password"_s, u"long enough"_s}, {u"display_name"_s, u"a\u0007b"_s}});
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        // A name that looks like another (issue 12, item 9): bidi overrides and zero-width marks.
        for (const QString &lookalike : {u"Adm\u200Bin"_s, u"\u202Enimda"_s, u"Bob\uFEFF"_s}) {
            r = reg({{u"username"_s, u"bob"_s}, {u"password"_s, u"long enough"_s}, {u"display_name"_s, lookalike}});
            QVERIFY(r && !r->ok());
            SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
            r = awaitResult<QJsonObject>([&](auto done) { f.auth.guest({{u"display_name"_s, lookalike}}, done); });
            QVERIFY(r && !r->ok());
            SB_COMPARE_CODE(r->error().code, ErrorCode::ValidationFailed);
        }
        f.config.allowRegistration = false;
        r = reg({{u"username"_s, u"bob"_s}, {u"password"_s, u"long enough"_s}});
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::Forbidden);
        QCOMPARE(f.users.createUserCall.calls(), 0);

        f.config.allowRegistration = true;
        f.users.createUserCall.answer([](const NewUser &u) {
            return Result<UserInfo>(UserInfo {9, u.username, u.displayName, u.role});
        });
        r = reg({{u"username"_s, u"bob"_s}, {u"password"_s, u"long enough"_s}});
        QVERIFY(r && r->ok());
        const NewUser stored = std::get<0>(f.users.createUserCall.lastArguments());
        QCOMPARE(stored.role, u"user"_s); // nobody registers themselves as staff
        QCOMPARE(stored.displayName, u"bob"_s);
        QVERIFY(stored.passwordHash.startsWith(u"$argon2id$"_s));
    }
};

QTEST_GUILESS_MAIN(TstAuthService)
#include "tst_authservice.moc"
