#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

#include "shared/client/restreply.h"

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
class QNetworkRequest;
QT_END_NAMESPACE

namespace Switchboard {

// Client of the server's HTTP JSON API (PROTOCOL.md sections 3, 8, 9), over one
// QNetworkAccessManager. Every call returns a RestReply at once (never null) and never blocks.
//
// Paths are absolute on the server ("/api/v1/me", "/healthz") and may carry a query string;
// the overloads taking a QUrlQuery encode parameters safely. When a token is set it is sent as
// "Authorization: Bearer <token>" on every request.
//
//     RestClient rest(server.httpUrl());
//     RestReply *reply = rest.login(u"ann"_s, u"secret123"_s);
//     connect(reply, &RestReply::succeeded, this, [&](const QJsonObject &body) {
//         rest.setToken(body.value(u"token"_s).toString());
//     });
class RestClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestClient)

public:
    static constexpr int DefaultTimeoutMs = 10000;

    explicit RestClient(QObject *parent = nullptr);
    explicit RestClient(const QUrl &baseUrl, QObject *parent = nullptr);
    ~RestClient() override;

    // Scheme, host and port of the server, e.g. http://127.0.0.1:8080.
    QUrl baseUrl() const { return m_baseUrl; }
    void setBaseUrl(const QUrl &baseUrl) { m_baseUrl = baseUrl; }
    QString token() const { return m_token; }
    void setToken(const QString &token) { m_token = token; }
    // Transfer timeout per request in milliseconds (0 = none); default 10 s.
    int timeout() const { return m_timeoutMs; }
    void setTimeout(int msecs) { m_timeoutMs = msecs; }
    bool autoDeleteReplies() const { return m_autoDeleteReplies; }
    // Replies created from now on delete themselves after finished().
    void setAutoDeleteReplies(bool autoDelete) { m_autoDeleteReplies = autoDelete; }
    // Test convenience for self-signed certificates. Never in products.
    void setIgnoreSslErrors(bool ignore) { m_ignoreSslErrors = ignore; }
    QNetworkAccessManager *networkAccessManager() const { return m_manager; }

    // The full URL of a path on the server.
    QUrl urlFor(const QString &path, const QUrlQuery &query = {}) const;

    RestReply *get(const QString &path, const QUrlQuery &query = {});
    RestReply *post(const QString &path, const QJsonObject &body);
    RestReply *del(const QString &path);
    // Any verb with any body, for uploads and for tests of malformed input.
    RestReply *sendRequest(const QByteArray &verb, const QString &path, const QByteArray &body = {},
        const QByteArray &contentType = {}, const QUrlQuery &query = {});

    // POST /api/v1/auth/register -> 201 {"user"}
    RestReply *registerUser(const QString &username, const QString &password, const QString &displayName);
    // POST /api/v1/auth/login -> {"token","expires_at","user"}; the token is not stored here.
    RestReply *login(const QString &username, const QString &password);
    // POST /api/v1/auth/guest -> {"token","expires_at","user"}; displayName is optional.
    RestReply *guest(const QString &displayName = {});
    // GET /api/v1/me -> {"user"}
    RestReply *me();
    // POST /api/v1/files with a raw body (Content-Type + ?name=) -> 201 {"file_id",...}
    RestReply *uploadFile(const QByteArray &data, const QString &name, const QByteArray &mimeType);

private:
    RestReply *start(const QByteArray &verb, const QString &path, const QUrlQuery &query, const QByteArray &body,
        const QByteArray &contentType);

    QNetworkAccessManager *m_manager = nullptr;
    QUrl m_baseUrl;
    QString m_token;
    int m_timeoutMs = DefaultTimeoutMs;
    bool m_autoDeleteReplies = false;
    bool m_ignoreSslErrors = false;
};

} // namespace Switchboard
