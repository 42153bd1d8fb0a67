#include "server/services/pushdispatcher.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>

#include "server/base/serverconfig.h"
#include "server/security/hmacsha256.h"
#include "server/services/logging.h"
#include "server/storage/pushoutbox.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

PushDispatcher::PushDispatcher(PushOutbox &outbox, const ServerConfig &config, QObject *parent)
    : QObject(parent), m_outbox(outbox), m_config(config), m_network(new QNetworkAccessManager(this))
{
    m_timer.setInterval(500);
    connect(&m_timer, &QTimer::timeout, this, &PushDispatcher::poll);
}

void PushDispatcher::start()
{
    m_timer.start();
    poll();
}

void PushDispatcher::wake()
{
    poll();
}

QByteArray PushDispatcher::webhookSignature(const QByteArray &secret, const QByteArray &body)
{
    return "sha256=" + HmacSha256::mac(secret, body).toHex();
}

void PushDispatcher::registerDevice(qint64 userId, const QJsonObject &fields, Reply done)
{
    const RequestFields f(fields);
    auto platform = f.requiredString(u"platform"_s);
    if (!platform)
        return done(platform.error());
    auto token = f.requiredString(u"token"_s);
    if (!token)
        return done(token.error());
    if (platform.value() != u"webhook"_s && platform.value() != u"fcm"_s)
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"platform must be webhook or fcm"_s));
    if (token.value().isEmpty() || token.value().size() > 4096 || TextRules::hasControlCharacters(token.value()))
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"token must be 1-4096 printable characters"_s));
    const QString p = platform.value();
    m_outbox.registerPush(userId, p, token.value(), [p, done = std::move(done)](Result<Done> r) {
        if (!r)
            return done(r.error());
        done(QJsonObject {{u"platform"_s, p}});
    });
}

void PushDispatcher::failures(Reply done)
{
    m_outbox.pushFailures(50, [done = std::move(done)](Result<QList<PushJob>> r) {
        if (!r)
            return done(r.error());
        QJsonArray list;
        for (const PushJob &j : r.value()) {
            list.append(QJsonObject {{u"id"_s, double(j.id)}, {u"user_id"_s, double(j.userId)},
                {u"platform"_s, j.platform}, {u"status"_s, j.status}, {u"attempts"_s, j.attempts},
                {u"last_error"_s, j.lastError}, {u"updated_at"_s, double(j.updatedAt)}});
        }
        done(QJsonObject {{u"failures"_s, list}});
    });
}

void PushDispatcher::poll()
{
    if (m_polling) {
        m_pollAgain = true;
        return;
    }
    const int room = kMaxInFlight - m_inFlight;
    if (room <= 0)
        return;
    m_polling = true;
    m_outbox.claimPush(room, kLeaseMs, [this](Result<QList<PushJob>> r) {
        m_polling = false;
        if (r) {
            for (const PushJob &job : r.value())
                send(job);
        }
        if (std::exchange(m_pollAgain, false))
            poll();
    });
}

void PushDispatcher::send(const PushJob &job)
{
    const QJsonObject notification = QJsonDocument::fromJson(job.payload).object();
    QNetworkRequest request;
    QByteArray body;
    if (job.platform == u"webhook"_s) {
        if (m_config.pushWebhookUrl.isEmpty()) {
            m_outbox.finishPush(job.id, false, 0, u"no [push] webhook_url configured"_s, [](Result<Done>) {});
            return;
        }
        request.setUrl(QUrl(m_config.pushWebhookUrl));
        body = QJsonDocument(
            QJsonObject {{u"id"_s, double(job.id)}, {u"token"_s, job.token}, {u"platform"_s, job.platform},
                {u"sent_at"_s, double(QDateTime::currentMSecsSinceEpoch())}, {u"notification"_s, notification}})
                   .toJson(QJsonDocument::Compact);
        request.setRawHeader("X-Switchboard-Signature", webhookSignature(m_config.pushWebhookSecret.toUtf8(), body));
    } else {
        if (m_config.pushFcmUrl.isEmpty()) {
            m_outbox.finishPush(job.id, false, 0, u"no [push] fcm_url configured"_s, [](Result<Done>) {});
            return;
        }
        request.setUrl(QUrl(m_config.pushFcmUrl));
        // FCM HTTP v1: data values must be strings.
        QJsonObject data;
        for (auto it = notification.begin(); it != notification.end(); ++it)
            data.insert(it.key(),
                it.value().isString() ? it.value().toString() : QString::number(qint64(it.value().toDouble())));
        body = QJsonDocument(QJsonObject {{u"message"_s,
                                 QJsonObject {{u"token"_s, job.token},
                                     {u"notification"_s,
                                         QJsonObject {{u"title"_s, notification.value(u"sender_name"_s)},
                                             {u"body"_s, notification.value(u"preview"_s)}}},
                                     {u"data"_s, data}}}})
                   .toJson(QJsonDocument::Compact);
        if (!m_config.pushFcmAccessToken.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + m_config.pushFcmAccessToken.toUtf8());
    }
    request.setRawHeader("Content-Type", "application/json");
    request.setTransferTimeout(10000);
    ++m_inFlight;
    QNetworkReply *reply = m_network->post(request, body);
    connect(reply, &QNetworkReply::finished, this, [this, job, reply] { finished(job, reply); });
}

void PushDispatcher::finished(const PushJob &job, QNetworkReply *reply)
{
    reply->deleteLater();
    --m_inFlight;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 300) {
        m_outbox.finishPush(job.id, true, 0, {}, [](Result<Done>) {});
    } else {
        const QString error = status > 0 ? u"HTTP %1"_s.arg(status) : reply->errorString();
        qint64 retryAt = 0;
        if (job.attempts < m_config.pushMaxAttempts) {
            const qint64 delay
                = std::min<qint64>(qint64(m_config.pushRetryBaseMs) << std::min(job.attempts - 1, 20), 3600LL * 1000);
            retryAt = QDateTime::currentMSecsSinceEpoch() + delay;
        }
        qCInfo(lcPush).noquote() << "push" << job.id << "failed:" << error
                                 << (retryAt ? "(will retry)" : "(giving up)");
        m_outbox.finishPush(job.id, false, retryAt, error, [](Result<Done>) {});
    }
    poll();
}

} // namespace Switchboard::Server
