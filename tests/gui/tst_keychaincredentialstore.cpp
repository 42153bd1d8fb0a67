#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include "console/app/credentialjob.h"
#include "console/app/keychaincredentialstore.h"

using namespace Qt::StringLiterals;
using namespace Switchboard::Console;

// The real QtKeychain-backed store on a machine without a keychain (no D-Bus session bus, as on
// CI and headless servers): every job finishes, reports Unavailable (or Failed), and nothing
// crashes or hangs. On a desktop with a keychain the round trip is checked instead.
class TestKeychainCredentialStore : public QObject
{
    Q_OBJECT

private:
    static CredentialJob::Status run(CredentialJob *job, QString *secret = nullptr)
    {
        QSignalSpy finished(job, &CredentialJob::finished);
        if (!finished.wait(30000))
            return CredentialJob::Status::Pending;
        if (secret)
            *secret = job->secret();
        return job->status();
    }

private slots:
    void initTestCase()
    {
        // Make "no keychain here" deterministic, whatever the developer's desktop has.
        if (qEnvironmentVariableIsEmpty("SB_TEST_REAL_KEYCHAIN")) {
            qunsetenv("DBUS_SESSION_BUS_ADDRESS");
            qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/switchboard-test-bus");
            qunsetenv("DISPLAY");
        }
    }

    void degradesOrRoundTrips()
    {
        KeychainCredentialStore store(u"switchboard-console-test"_s);
        const QString key = u"tester-%1@127.0.0.1:1"_s.arg(QRandomGenerator::global()->generate());
        const CredentialJob::Status written = run(store.writeSecret(key, u"s3cret"_s));
        QVERIFY2(written != CredentialJob::Status::Pending, "write never finished");
        if (written == CredentialJob::Status::Ok) {
            // A real keychain (SB_TEST_REAL_KEYCHAIN=1 under dbus-run-session + gnome-keyring).
            QString secret;
            QCOMPARE(run(store.readSecret(key), &secret), CredentialJob::Status::Ok);
            QCOMPARE(secret, u"s3cret"_s);
            QCOMPARE(run(store.removeSecret(key)), CredentialJob::Status::Ok);
            QCOMPARE(run(store.readSecret(key)), CredentialJob::Status::NotFound);
            return;
        }
        // No session bus: the console must learn "there is no keychain" (and say so).
        QCOMPARE(written, CredentialJob::Status::Unavailable);
        QString secret;
        QCOMPARE(run(store.readSecret(key), &secret), CredentialJob::Status::Unavailable);
        QVERIFY(secret.isEmpty());
        QVERIFY(run(store.removeSecret(key)) != CredentialJob::Status::Pending);
    }
};

QTEST_GUILESS_MAIN(TestKeychainCredentialStore)
#include "tst_keychaincredentialstore.moc"
