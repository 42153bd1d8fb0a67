#include "console/app/adminmonitor.h"

#include <QDateTime>
#include <QJsonArray>

#include "console/app/errortext.h"
#include "console/models/connectionlistmodel.h"
#include "console/models/statshistorymodel.h"
#include "shared/client/clientconnection.h"
#include "shared/client/clientsession.h"
#include "shared/client/pendingrequest.h"
#include "shared/protocol/frametypes.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

AdminMonitor::AdminMonitor(ClientSession *session, QObject *parent)
    : QObject(parent),
      m_session(session),
      m_history(new StatsHistoryModel(this)),
      m_connections(new ConnectionListModel(this))
{
    m_poll.setInterval(DefaultConnectionsPollMs);
    connect(&m_poll, &QTimer::timeout, this, &AdminMonitor::refreshConnections);
    connect(m_session, &ClientSession::online, this, [this] {
        if (m_running) {
            subscribe();
            refreshConnections();
        }
    });
    connect(m_session->connection(), &ClientConnection::eventReceived, this, &AdminMonitor::onEvent);
}

AdminMonitor::~AdminMonitor() = default;

void AdminMonitor::start()
{
    if (m_running)
        return;
    m_running = true;
    m_poll.start();
    if (m_session->isOnline()) {
        subscribe();
        refreshConnections();
    }
}

void AdminMonitor::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_poll.stop();
    if (m_session->isOnline()) {
        PendingRequest *request = m_session->connection()->request(RequestType::StatsUnsubscribe);
        connect(request, &PendingRequest::finished, request, &QObject::deleteLater);
    }
}

void AdminMonitor::subscribe()
{
    PendingRequest *request = m_session->connection()->request(RequestType::StatsSubscribe);
    connect(request, &PendingRequest::finished, request, &QObject::deleteLater);
    connect(request, &PendingRequest::failed, this,
        [this](const ProtocolError &error) { Q_EMIT errorOccurred(ErrorText::describe(error)); });
}

void AdminMonitor::onEvent(const QString &type, const QJsonObject &frame)
{
    if (type != EventType::Stats || !m_running)
        return;
    auto stats = JsonCodec::decodeStats(frame);
    if (!stats)
        return;
    const bool connectionsChanged = !m_hasStats || stats->connections != m_latest.connections;
    m_latest = stats.value();
    m_hasStats = true;
    m_history->addSample(QDateTime::currentMSecsSinceEpoch(), m_latest);
    Q_EMIT statsUpdated(m_latest);
    // Keep the table in step with the counter when it moves.
    if (connectionsChanged)
        refreshConnections();
}

void AdminMonitor::refreshConnections()
{
    if (!m_session->isOnline() || m_connectionsInFlight)
        return;
    m_connectionsInFlight = true;
    PendingRequest *request = m_session->connection()->request(RequestType::AdminConnections);
    connect(request, &PendingRequest::finished, request, &QObject::deleteLater);
    connect(request, &PendingRequest::finished, this, [this] { m_connectionsInFlight = false; });
    connect(request, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        QList<AdminConnection> list;
        const QJsonArray array = data.value(u"connections"_s).toArray();
        for (const QJsonValue &v : array) {
            if (auto c = JsonCodec::decodeAdminConnection(v.toObject()))
                list.append(c.value());
        }
        m_connections->setConnections(list);
        Q_EMIT connectionsUpdated();
    });
    connect(request, &PendingRequest::failed, this,
        [this](const ProtocolError &error) { Q_EMIT errorOccurred(ErrorText::describe(error)); });
}

void AdminMonitor::kickConnection(qint64 connectionId, const QString &reason)
{
    QJsonObject fields {{u"connection_id"_s, double(connectionId)}};
    if (!reason.isEmpty())
        fields.insert(u"reason"_s, reason);
    kick(fields);
}

void AdminMonitor::kickUser(qint64 userId, const QString &reason)
{
    QJsonObject fields {{u"user_id"_s, double(userId)}};
    if (!reason.isEmpty())
        fields.insert(u"reason"_s, reason);
    kick(fields);
}

void AdminMonitor::kick(const QJsonObject &fields)
{
    PendingRequest *request = m_session->connection()->request(RequestType::AdminKick, fields);
    connect(request, &PendingRequest::finished, request, &QObject::deleteLater);
    connect(request, &PendingRequest::succeeded, this, [this](const QJsonObject &data) {
        Q_EMIT kicked(data.value(u"kicked"_s).toInt());
        refreshConnections();
    });
    connect(request, &PendingRequest::failed, this,
        [this](const ProtocolError &error) { Q_EMIT errorOccurred(ErrorText::describe(error)); });
}

} // namespace Switchboard::Console
