#pragma once

#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <functional>

#include "server/storage/storagetypes.h"
#include "shared/protocol/result.h"

class QNetworkAccessManager;
class QNetworkReply;

namespace Switchboard::Server {

class PushOutbox;
struct ServerConfig;

// Delivers the durable push outbox (PROTOCOL.md section 11): claims due notifications, sends each
// through its gateway (webhook: JSON POST signed with HMAC-SHA256; fcm: the FCM HTTP v1 request),
// and records delivery or a retry with exponential backoff. Claims are leases, so a notification
// being sent when the server dies is sent again after restart: nothing pending is lost.
class PushDispatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PushDispatcher)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    PushDispatcher(PushOutbox &outbox, const ServerConfig &config, QObject *parent = nullptr);

    void start();
    // New notifications were committed: look now rather than at the next poll.
    void wake();
    // push_register
    void registerDevice(qint64 userId, const QJsonObject &fields, Reply done);
    // The latest failed or retrying notifications (admin view).
    void failures(Reply done);

    static QByteArray webhookSignature(const QByteArray &secret, const QByteArray &body);

private:
    void poll();
    void send(const PushJob &job);
    void finished(const PushJob &job, QNetworkReply *reply);

    PushOutbox &m_outbox;
    const ServerConfig &m_config;
    QNetworkAccessManager *m_network = nullptr;
    QTimer m_timer;
    bool m_polling = false;
    bool m_pollAgain = false;
    int m_inFlight = 0;
    static constexpr int kMaxInFlight = 16;
    static constexpr qint64 kLeaseMs = 60000;
};

} // namespace Switchboard::Server
