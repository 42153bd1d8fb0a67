#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QNetworkReply>
#include <QObject>
#include <QPair>
#include <QString>

#include "shared/client/metatypes.h"
#include "shared/protocol/protocolerror.h"

namespace Switchboard {

class RestClient;

// One HTTP request to the server's JSON API (PROTOCOL.md section 9), created by RestClient.
// Emits succeeded() for a 2xx status or failed() otherwise, then finished(), exactly once.
//
// A non-2xx answer's error() is decoded from the body {"error":{"code","message"}}; when the
// body has none (a proxy, a router's plain 404) the code is derived from the status. Without any
// HTTP answer (connection refused, timeout) status() is 0 and error() is ErrorCode::Unavailable
// with the message "timeout" or the network error text.
//
// The RestClient is the QObject parent; see RestClient::setAutoDeleteReplies().
class RestReply final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RestReply)

public:
    ~RestReply() override;

    QByteArray method() const { return m_method; }
    QString path() const { return m_path; }

    bool isFinished() const { return m_finished; }
    // 2xx status.
    bool isSuccess() const { return m_finished && m_status >= 200 && m_status < 300; }
    // HTTP status code; 0 while running or when no HTTP answer arrived.
    int status() const { return m_status; }
    QByteArray body() const { return m_body; }
    // The body as a JSON object; empty when it is not one (see isJson()).
    QJsonObject json() const { return m_json; }
    bool isJson() const { return m_isJson; }
    QByteArray rawHeader(const QByteArray &name) const;
    QByteArray contentType() const { return rawHeader("Content-Type"); }
    ProtocolError error() const { return m_error; }
    QNetworkReply::NetworkError networkError() const { return m_networkError; }
    qint64 elapsedMs() const { return m_elapsedMs; }

    bool autoDelete() const { return m_autoDelete; }
    // When true the reply deletes itself (deleteLater) after finished().
    void setAutoDelete(bool autoDelete);

Q_SIGNALS:
    void succeeded(const QJsonObject &json);
    void failed(const Switchboard::ProtocolError &error);
    void finished();

private:
    friend class RestClient;

    RestReply(QNetworkReply *reply, const QByteArray &method, const QString &path, RestClient *parent);
    void onFinished();

    QNetworkReply *m_reply = nullptr;
    QByteArray m_method;
    QString m_path;
    QElapsedTimer m_clock;
    qint64 m_elapsedMs = -1;
    int m_status = 0;
    QByteArray m_body;
    QJsonObject m_json;
    bool m_isJson = false;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    ProtocolError m_error;
    QNetworkReply::NetworkError m_networkError = QNetworkReply::NoError;
    bool m_finished = false;
    bool m_autoDelete = false;
};

} // namespace Switchboard
