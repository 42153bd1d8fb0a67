#include <QHostAddress>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>
#include <memory>

#include "shared/client/restclient.h"
#include "shared/protocol/jsoncodec.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

// Just enough HTTP/1.1 to check what RestClient sends and how it reads answers: one canned
// response per request, Connection: close. A status of 0 means "never answer".
class FakeHttpServer : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        QByteArray method;
        QByteArray target; // path and query as sent
        QMap<QByteArray, QByteArray> headers; // lowercased names
        QByteArray body;
    };

    FakeHttpServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.serverPort())); }

    void respond(int status, const QByteArray &body, const QByteArray &contentType = "application/json")
    {
        m_status = status;
        m_body = body;
        m_contentType = contentType;
    }

    QList<Request> m_requests;

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        Request request;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        const QList<QByteArray> first = lines.first().trimmed().split(' ');
        request.method = first.value(0);
        request.target = first.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                request.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
        }
        const qsizetype length = request.headers.value("content-length", "0").toLongLong();
        if (buffer.size() < headerEnd + 4 + length)
            return;
        request.body = buffer.mid(headerEnd + 4, length);
        buffer.clear();
        m_requests.append(request);
        if (m_status == 0)
            return;
        QByteArray response = "HTTP/1.1 " + QByteArray::number(m_status) + " X\r\n";
        if (!m_contentType.isEmpty())
            response += "Content-Type: " + m_contentType + "\r\n";
        response += "Content-Length: " + QByteArray::number(m_body.size()) + "\r\n";
        response += "Connection: close\r\n\r\n" + m_body;
        socket->write(response);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    int m_status = 200;
    QByteArray m_body = "{}";
    QByteArray m_contentType = "application/json";
};

constexpr int kWaitMs = 5000;

bool waitFinished(RestReply *reply)
{
    if (reply->isFinished())
        return true;
    QSignalSpy spy(reply, &RestReply::finished);
    return spy.wait(kWaitMs);
}

} // namespace

class TestRestClient : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FakeHttpServer> m_server;
    std::unique_ptr<RestClient> m_client;

private slots:
    void init()
    {
        m_server = std::make_unique<FakeHttpServer>();
        QVERIFY(m_server->listen());
        m_client = std::make_unique<RestClient>(m_server->url());
    }

    void cleanup()
    {
        m_client.reset();
        m_server.reset();
    }

    void loginSendsJsonAndReadsAnswer()
    {
        m_server->respond(200, R"({"token":"t","expires_at":1,"user":{"id":3,"username":"ann"}})");
        RestReply *reply = m_client->login(u"ann"_s, u"secret123"_s);
        QSignalSpy succeeded(reply, &RestReply::succeeded);
        QVERIFY(waitFinished(reply));
        QVERIFY(reply->isSuccess());
        QCOMPARE(reply->status(), 200);
        QVERIFY(reply->isJson());
        QCOMPARE(reply->json().value(u"token"_s).toString(), u"t"_s);
        QCOMPARE(succeeded.size(), 1);
        QCOMPARE(reply->contentType(), QByteArray("application/json"));
        QCOMPARE(reply->method(), QByteArray("POST"));

        QCOMPARE(m_server->m_requests.size(), 1);
        const auto &request = m_server->m_requests.first();
        QCOMPARE(request.method, QByteArray("POST"));
        QCOMPARE(request.target, QByteArray("/api/v1/auth/login"));
        QCOMPARE(request.headers.value("content-type"), QByteArray("application/json"));
        QVERIFY(!request.headers.contains("authorization"));
        const QJsonObject body = QJsonDocument::fromJson(request.body).object();
        QCOMPARE(body.value(u"username"_s).toString(), u"ann"_s);
        QCOMPARE(body.value(u"password"_s).toString(), u"secret123"_s);
    }

    void registerAndGuestBodies()
    {
        m_server->respond(201, R"({"user":{"id":1,"username":"bob"}})");
        RestReply *reg = m_client->registerUser(u"bob"_s, u"password1"_s, u"Bob"_s);
        QVERIFY(waitFinished(reg));
        QVERIFY(reg->isSuccess());
        QCOMPARE(reg->status(), 201);
        RestReply *guest = m_client->guest();
        QVERIFY(waitFinished(guest));
        RestReply *named = m_client->guest(u"Visitor"_s);
        QVERIFY(waitFinished(named));

        QCOMPARE(m_server->m_requests.size(), 3);
        const QJsonObject regBody = QJsonDocument::fromJson(m_server->m_requests[0].body).object();
        QCOMPARE(m_server->m_requests[0].target, QByteArray("/api/v1/auth/register"));
        QCOMPARE(regBody.value(u"display_name"_s).toString(), u"Bob"_s);
        QCOMPARE(m_server->m_requests[1].target, QByteArray("/api/v1/auth/guest"));
        QCOMPARE(QJsonDocument::fromJson(m_server->m_requests[1].body).object(), QJsonObject());
        QCOMPARE(QJsonDocument::fromJson(m_server->m_requests[2].body).object().value(u"display_name"_s).toString(),
            u"Visitor"_s);
    }

    void tokenIsSentAsBearer()
    {
        m_client->setToken(u"abc.def.ghi"_s);
        RestReply *reply = m_client->me();
        QVERIFY(waitFinished(reply));
        QCOMPARE(m_server->m_requests.first().target, QByteArray("/api/v1/me"));
        QCOMPARE(m_server->m_requests.first().headers.value("authorization"), QByteArray("Bearer abc.def.ghi"));
    }

    void verbsAndQueries()
    {
        QUrlQuery query;
        query.addQueryItem(u"query"_s, u"50% a&b"_s);
        QVERIFY(waitFinished(m_client->get(u"/api/v1/users"_s, query)));
        QVERIFY(waitFinished(m_client->get(u"/api/v1/conversations/4/messages?limit=5"_s)));
        QVERIFY(waitFinished(m_client->del(u"/api/v1/contacts/9"_s)));
        QVERIFY(waitFinished(m_client->sendRequest("PUT", u"/x"_s, "raw", "text/plain")));
        QVERIFY(waitFinished(m_client->post(u"/api/v1/conversations/4/read"_s, {{u"seq"_s, 3}})));

        const auto &r = m_server->m_requests;
        QCOMPARE(r.size(), 5);
        QCOMPARE(r[0].method, QByteArray("GET"));
        QCOMPARE(
            QUrlQuery(QUrl(QString::fromLatin1(r[0].target)).query()).queryItemValue(u"query"_s, QUrl::FullyDecoded),
            u"50% a&b"_s);
        QCOMPARE(r[1].target, QByteArray("/api/v1/conversations/4/messages?limit=5"));
        QCOMPARE(r[2].method, QByteArray("DELETE"));
        QCOMPARE(r[2].target, QByteArray("/api/v1/contacts/9"));
        QCOMPARE(r[3].method, QByteArray("PUT"));
        QCOMPARE(r[3].body, QByteArray("raw"));
        QCOMPARE(r[3].headers.value("content-type"), QByteArray("text/plain"));
        QCOMPARE(r[4].body, QByteArray(R"({"seq":3})"));
    }

    void uploadFileIsRawBodyWithName()
    {
        m_server->respond(201, R"({"file_id":7,"name":"a b+c&d.png"})");
        RestReply *reply = m_client->uploadFile("PNGDATA", u"a b+c&d.png"_s, "image/png");
        QVERIFY(waitFinished(reply));
        QCOMPARE(reply->status(), 201);
        const auto &request = m_server->m_requests.first();
        QCOMPARE(request.body, QByteArray("PNGDATA"));
        QCOMPARE(request.headers.value("content-type"), QByteArray("image/png"));
        const QUrl target(QString::fromLatin1(request.target));
        QCOMPARE(target.path(), u"/api/v1/files"_s);
        // '+' must arrive as a plus, not as a space, and '&' must not split the parameter.
        QVERIFY2(!request.target.contains('+') && !request.target.contains(' '), request.target.constData());
        QCOMPARE(
            QUrl::fromPercentEncoding(
                QUrlQuery(target.query(QUrl::FullyEncoded)).queryItemValue(u"name"_s, QUrl::FullyEncoded).toLatin1()),
            u"a b+c&d.png"_s);
    }

    void errorBodyIsDecoded()
    {
        m_server->respond(429, R"({"error":{"code":"rate_limited","message":"wait","retry_after_ms":900}})");
        RestReply *reply = m_client->login(u"ann"_s, u"wrong-password"_s);
        QSignalSpy failed(reply, &RestReply::failed);
        QVERIFY(waitFinished(reply));
        QVERIFY(!reply->isSuccess());
        QCOMPARE(reply->status(), 429);
        SB_COMPARE_CODE(reply->error().code, ErrorCode::RateLimited);
        QCOMPARE(reply->error().message, u"wait"_s);
        QCOMPARE(reply->error().retryAfterMs, 900);
        QCOMPARE(failed.size(), 1);
        SB_COMPARE_CODE(failed.first().first().value<ProtocolError>().code, ErrorCode::RateLimited);
    }

    void statusWithoutErrorBody_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<ErrorCode>("code");
        QTest::addRow("404 html") << 404 << QByteArray("<h1>no</h1>") << ErrorCode::NotFound;
        QTest::addRow("401 empty") << 401 << QByteArray() << ErrorCode::NotAuthenticated;
        QTest::addRow("503 json without error") << 503 << QByteArray(R"({"status":"down"})") << ErrorCode::Unavailable;
        QTest::addRow("500") << 500 << QByteArray() << ErrorCode::Internal;
    }

    void statusWithoutErrorBody()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(ErrorCode, code);
        m_server->respond(status, body, "text/html");
        RestReply *reply = m_client->get(u"/nowhere"_s);
        QVERIFY(waitFinished(reply));
        QCOMPARE(reply->status(), status);
        QCOMPARE(reply->body(), body);
        SB_COMPARE_CODE(reply->error().code, code);
    }

    void nonJsonSuccessBody()
    {
        m_server->respond(200, "# HELP x\nx 1\n", "text/plain");
        RestReply *reply = m_client->get(u"/metrics"_s);
        QVERIFY(waitFinished(reply));
        QVERIFY(reply->isSuccess());
        QVERIFY(!reply->isJson());
        QCOMPARE(reply->body(), QByteArray("# HELP x\nx 1\n"));
    }

    void timeoutWithoutAnswer()
    {
        m_server->respond(0, {});
        m_client->setTimeout(200);
        RestReply *reply = m_client->get(u"/slow"_s);
        QVERIFY(waitFinished(reply));
        QCOMPARE(reply->status(), 0);
        SB_COMPARE_CODE(reply->error().code, ErrorCode::Unavailable);
        QCOMPARE(reply->error().message, u"timeout"_s);
    }

    void connectionRefused()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        m_client->setBaseUrl(QUrl(u"http://127.0.0.1:%1"_s.arg(port)));
        RestReply *reply = m_client->get(u"/healthz"_s);
        QVERIFY(waitFinished(reply));
        QCOMPARE(reply->status(), 0);
        SB_COMPARE_CODE(reply->error().code, ErrorCode::Unavailable);
        QVERIFY(!reply->error().message.isEmpty());
        QCOMPARE(reply->networkError(), QNetworkReply::ConnectionRefusedError);
    }

    void autoDeleteReplies()
    {
        m_client->setAutoDeleteReplies(true);
        RestReply *reply = m_client->get(u"/healthz"_s);
        QSignalSpy destroyed(reply, &QObject::destroyed);
        QVERIFY(destroyed.wait(kWaitMs));
    }
};

QTEST_GUILESS_MAIN(TestRestClient)
#include "tst_restclient.moc"
