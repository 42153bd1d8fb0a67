#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTemporaryDir>
#include <QTest>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// TLS (PROTOCOL.md sections 1 and 12): with --tls-cert/--tls-key the same port serves https and
// wss. A throwaway self-signed certificate for 127.0.0.1 is made with openssl at test time and
// trusted as a CA by this process only, so the tests verify the certificate (no ignored errors).
class TestTls : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_cert;
    QString m_key;
    QSslConfiguration m_original;
    bool m_ready = false;

    static QUrl withScheme(QUrl url, const QString &scheme)
    {
        url.setScheme(scheme);
        return url;
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_cert = m_dir.filePath(u"cert.pem"_s);
        m_key = m_dir.filePath(u"key.pem"_s);
        QProcess openssl;
        openssl.start(u"openssl"_s,
            {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s, m_key, u"-out"_s, m_cert,
                u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=127.0.0.1"_s, u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s});
        if (!openssl.waitForStarted(10000))
            QSKIP("openssl is not available");
        QVERIFY(openssl.waitForFinished(60000));
        QVERIFY2(openssl.exitStatus() == QProcess::NormalExit && openssl.exitCode() == 0,
            openssl.readAllStandardError().constData());
        const QList<QSslCertificate> certificates = QSslCertificate::fromPath(m_cert);
        QCOMPARE(certificates.size(), 1);
        // Trust it for this process (QNetworkAccessManager and QWebSocket alike).
        m_original = QSslConfiguration::defaultConfiguration();
        QSslConfiguration configuration = m_original;
        configuration.addCaCertificates(certificates);
        QSslConfiguration::setDefaultConfiguration(configuration);
        m_ready = true;
    }

    void cleanupTestCase()
    {
        if (m_ready)
            QSslConfiguration::setDefaultConfiguration(m_original);
    }

    void httpsAndWssRoundTrip()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        server.setExtraArguments({u"--tls-cert"_s, m_cert, u"--tls-key"_s, m_key});
        IT_START(server);
        const QUrl https = withScheme(server.httpUrl(), u"https"_s);
        const QUrl wss = withScheme(server.wsUrl(), u"wss"_s);

        // https://…/healthz with certificate verification.
        RestClient rest(https);
        IT_HTTP_STATUS(health, rest.get(u"/healthz"_s), 200);
        QCOMPARE(health->json().value(u"status"_s).toString(), u"ok"_s);

        // Plain http on the TLS port gets no API answer.
        RestClient plain(server.httpUrl());
        plain.setTimeout(5000);
        IT_HTTP(cleartext, plain.get(u"/healthz"_s));
        QVERIFY2(cleartext->status() != 200, qPrintable(describeReply(cleartext)));

        // Accounts over https, then an authenticated chat over wss.
        QString error;
        const TestUser ann = registerUser(https, u"ann"_s, &error);
        QVERIFY2(ann.isValid(), qPrintable(error));
        const TestUser bob = registerUser(https, u"bob"_s, &error);
        QVERIFY2(bob.isValid(), qPrintable(error));
        auto annC = connectAs(wss, ann, &error);
        QVERIFY2(annC, qPrintable(error));
        auto bobC = connectAs(wss, bob, &error, ClientConnection::TokenTransport::Header);
        QVERIFY2(bobC, qPrintable(error));
        QCOMPARE(annC->url().scheme(), u"wss"_s);
        QSignalSpy received(bobC.get(), &ClientConnection::messageReceived);
        IT_OK(sent, annC->sendTextTo(bob.id, u"over TLS"_s));
        QVERIFY(!received.isEmpty() || received.wait(kWaitMs));
        QCOMPARE(received.first().at(0).value<ChatMessage>().content, u"over TLS"_s);
        IT_OK(reply, bobC->sendTextTo(ann.id, u"back over TLS"_s));
        IT_OK(history, annC->history(intOf(sent->data(), u"conversation_id"_s)));
        QCOMPARE(history->data().value(u"messages"_s).toArray().size(), 2);
        IT_OK(pong, annC->ping());

        // A client that does not trust the certificate is refused by its own TLS layer.
        QSslConfiguration::setDefaultConfiguration(m_original);
        ClientConnection untrusting;
        untrusting.openWithToken(wss, ann.token);
        (void)QTest::qWaitFor([&] { return untrusting.state() == ClientConnection::State::Disconnected; }, kWaitMs);
        QSslConfiguration trusted = m_original;
        trusted.addCaCertificates(QSslCertificate::fromPath(m_cert));
        QSslConfiguration::setDefaultConfiguration(trusted);
        QCOMPARE(untrusting.state(), ClientConnection::State::Disconnected);
        QVERIFY(!untrusting.isAuthenticated());
    }
};

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
