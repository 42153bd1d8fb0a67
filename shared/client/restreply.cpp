#include "shared/client/restreply.h"

#include <QJsonDocument>

#include "shared/client/logging.h"
#include "shared/client/restclient.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {
// The inverse of the server's status mapping (PROTOCOL.md section 13), for bodies without an
// error object.
ErrorCode codeForStatus(int status)
{
    switch (status) {
    case 400:
        return ErrorCode::BadRequest;
    case 401:
        return ErrorCode::NotAuthenticated;
    case 403:
        return ErrorCode::Forbidden;
    case 404:
        return ErrorCode::NotFound;
    case 409:
        return ErrorCode::Conflict;
    case 413:
        return ErrorCode::TooLarge;
    case 429:
        return ErrorCode::RateLimited;
    case 502:
    case 503:
    case 504:
        return ErrorCode::Unavailable;
    default:
        return status >= 400 && status < 500 ? ErrorCode::BadRequest : ErrorCode::Internal;
    }
}
} // namespace

RestReply::RestReply(QNetworkReply *reply, const QByteArray &method, const QString &path, RestClient *parent)
    : QObject(parent), m_reply(reply), m_method(method), m_path(path)
{
    m_clock.start();
    m_reply->setParent(this);
    connect(m_reply, &QNetworkReply::finished, this, &RestReply::onFinished);
}

RestReply::~RestReply() = default;

QByteArray RestReply::rawHeader(const QByteArray &name) const
{
    for (const auto &[key, value] : m_headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

void RestReply::setAutoDelete(bool autoDelete)
{
    m_autoDelete = autoDelete;
    if (m_autoDelete && m_finished)
        deleteLater();
}

void RestReply::onFinished()
{
    if (m_finished)
        return;
    m_finished = true;
    m_elapsedMs = m_clock.elapsed();
    m_networkError = m_reply->error();
    m_status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    m_body = m_reply->readAll();
    m_headers = m_reply->rawHeaderPairs();

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(m_body, &parseError);
    m_isJson = doc.isObject();
    m_json = doc.object();

    const bool success = m_status >= 200 && m_status < 300;
    if (m_status == 0) {
        // No HTTP answer at all. setTransferTimeout() ends a request as "canceled".
        const QString message
            = m_networkError == QNetworkReply::OperationCanceledError ? u"timeout"_s : m_reply->errorString();
        m_error = ProtocolError::make(ErrorCode::Unavailable, message);
    } else if (!success) {
        const QJsonValue error = m_json.value(u"error"_s);
        if (error.isObject()) {
            m_error = JsonCodec::decodeError(error.toObject());
        } else {
            m_error = ProtocolError::make(codeForStatus(m_status), u"HTTP %1 without an error body"_s.arg(m_status));
        }
    }
    qCDebug(lcClient) << m_method << m_path << "->" << m_status << m_elapsedMs << "ms";

    m_reply->deleteLater();
    m_reply = nullptr;
    if (success)
        Q_EMIT succeeded(m_json);
    else
        Q_EMIT failed(m_error);
    Q_EMIT finished();
    if (m_autoDelete)
        deleteLater();
}

} // namespace Switchboard
