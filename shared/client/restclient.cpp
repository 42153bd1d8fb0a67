#include "shared/client/restclient.h"

#include <QBuffer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include "shared/client/logging.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

RestClient::RestClient(QObject *parent) : RestClient(QUrl(), parent)
{ }

RestClient::RestClient(const QUrl &baseUrl, QObject *parent)
    : QObject(parent), m_manager(new QNetworkAccessManager(this)), m_baseUrl(baseUrl)
{
#ifndef QT_NO_SSL
    connect(m_manager, &QNetworkAccessManager::sslErrors, this,
        [this](QNetworkReply *reply, const QList<QSslError> &errors) {
            if (m_ignoreSslErrors)
                reply->ignoreSslErrors(errors);
        });
#endif
}

RestClient::~RestClient() = default;

QUrl RestClient::urlFor(const QString &path, const QUrlQuery &query) const
{
    QUrl url = m_baseUrl.resolved(QUrl(path));
    if (!query.isEmpty()) {
        QUrlQuery merged(url);
        for (const auto &[key, value] : query.queryItems(QUrl::FullyEncoded))
            merged.addQueryItem(key, value);
        url.setQuery(merged);
    }
    return url;
}

RestReply *RestClient::get(const QString &path, const QUrlQuery &query)
{
    return start("GET", path, query, {}, {});
}

RestReply *RestClient::post(const QString &path, const QJsonObject &body)
{
    return start("POST", path, {}, JsonCodec::serialize(body), "application/json");
}

RestReply *RestClient::del(const QString &path)
{
    return start("DELETE", path, {}, {}, {});
}

RestReply *RestClient::sendRequest(const QByteArray &verb, const QString &path, const QByteArray &body,
    const QByteArray &contentType, const QUrlQuery &query)
{
    return start(verb, path, query, body, contentType);
}

RestReply *RestClient::registerUser(const QString &username, const QString &password, const QString &displayName)
{
    return post(u"/api/v1/auth/register"_s,
        {{u"username"_s, username}, {u"password"_s, password}, {u"display_name"_s, displayName}});
}

RestReply *RestClient::login(const QString &username, const QString &password)
{
    return post(u"/api/v1/auth/login"_s, {{u"username"_s, username}, {u"password"_s, password}});
}

RestReply *RestClient::guest(const QString &displayName)
{
    QJsonObject body;
    if (!displayName.isEmpty())
        body.insert(u"display_name"_s, displayName);
    return post(u"/api/v1/auth/guest"_s, body);
}

RestReply *RestClient::me()
{
    return get(u"/api/v1/me"_s);
}

RestReply *RestClient::uploadFile(const QByteArray &data, const QString &name, const QByteArray &mimeType)
{
    QUrlQuery query;
    query.addQueryItem(u"name"_s, QString::fromLatin1(QUrl::toPercentEncoding(name)));
    return start("POST", u"/api/v1/files"_s, query, data, mimeType);
}

RestReply *RestClient::start(const QByteArray &verb, const QString &path, const QUrlQuery &query,
    const QByteArray &body, const QByteArray &contentType)
{
    QNetworkRequest request(urlFor(path, query));
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    if (!contentType.isEmpty())
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(m_timeoutMs);

    QNetworkReply *networkReply = nullptr;
    if (verb == "GET" && body.isEmpty())
        networkReply = m_manager->get(request);
    else if (verb == "POST")
        networkReply = m_manager->post(request, body);
    else if (verb == "DELETE" && body.isEmpty())
        networkReply = m_manager->deleteResource(request);
    else
        networkReply = m_manager->sendCustomRequest(request, verb, body);

    auto *reply = new RestReply(networkReply, verb, path, this);
    reply->setAutoDelete(m_autoDeleteReplies);
    return reply;
}

} // namespace Switchboard
