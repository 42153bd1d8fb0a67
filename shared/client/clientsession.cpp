#include "shared/client/clientsession.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QUuid>

#include "shared/client/clientconnection.h"
#include "shared/client/logging.h"
#include "shared/client/pendingrequest.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {
constexpr int kDefaultHeartbeatMs = 30000;
constexpr int kRetryDelayMs = 1000;

// Close codes after which reconnecting would be wrong (PROTOCOL.md section 2).
bool endsSession(int closeCode)
{
    return closeCode == 4001 || closeCode == 4003;
}

// Failures after which the same message may simply be sent again: nothing was stored, or we
// cannot know (timeout, connection closed), and the server's dedup covers the second case.
bool isTransient(const ProtocolError &error)
{
    return error.code == ErrorCode::Unavailable || error.code == ErrorCode::RateLimited
        || error.code == ErrorCode::Internal || error.code == ErrorCode::NotAuthenticated;
}
} // namespace

ClientSession::ClientSession(QObject *parent) : QObject(parent), m_connection(new ClientConnection(this))
{
    m_connection->setUserAgent(QByteArrayLiteral("switchboard-client-session"));
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &ClientSession::attemptConnect);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &ClientSession::sendHeartbeat);
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ClientSession::flushOutbox);

    connect(m_connection, &ClientConnection::authenticated, this, &ClientSession::onAuthenticated);
    connect(m_connection, &ClientConnection::authenticationFailed, this, &ClientSession::onAuthenticationFailed);
    connect(m_connection, &ClientConnection::disconnected, this, &ClientSession::onDisconnected);
}

ClientSession::~ClientSession() = default;

void ClientSession::setReconnectDelays(int initialMs, int maximumMs)
{
    m_initialDelayMs = qMax(1, initialMs);
    m_maximumDelayMs = qMax(m_initialDelayMs, maximumMs);
}

int ClientSession::msUntilReconnect() const
{
    return m_state == State::WaitingToReconnect ? m_reconnectTimer.remainingTime() : -1;
}

void ClientSession::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void ClientSession::start(const QUrl &wsUrl, const QString &token)
{
    m_url = wsUrl;
    m_token = token;
    m_started = true;
    m_authLost = false;
    m_attempt = 0;
    m_reconnectTimer.stop();
    if (m_connection->state() != ClientConnection::State::Disconnected) {
        // Reopen with the new URL or token: the disconnect handler reconnects at once.
        m_restartNow = true;
        m_connection->abort();
        return;
    }
    attemptConnect();
}

void ClientSession::stop()
{
    m_started = false;
    m_reconnectTimer.stop();
    m_heartbeatTimer.stop();
    m_retryTimer.stop();
    if (m_connection->state() != ClientConnection::State::Disconnected)
        m_connection->close(1000, u"Client closed the session"_s);
    setState(State::Disconnected);
}

void ClientSession::reconnectNow()
{
    if (m_state != State::WaitingToReconnect)
        return;
    m_reconnectTimer.stop();
    attemptConnect();
}

void ClientSession::attemptConnect()
{
    if (!m_started || m_connection->state() != ClientConnection::State::Disconnected)
        return;
    setState(State::Connecting);
    const QString resumeToken = m_connection->resumeToken();
    if (!resumeToken.isEmpty()) {
        qCDebug(lcClient) << "resuming session, attempt" << m_attempt + 1;
        m_connection->openWithResume(m_url, resumeToken, m_token);
    } else {
        m_connection->openWithToken(m_url, m_token);
    }
}

void ClientSession::scheduleReconnect()
{
    // Exponential backoff with jitter so that a restarted server is not hit by every client in
    // the same millisecond.
    const int exponent = qMin(m_attempt, 20);
    const double base = qMin(double(m_maximumDelayMs), double(m_initialDelayMs) * double(1 << qMin(exponent, 20)));
    const double jitter = 0.8 + 0.4 * QRandomGenerator::global()->generateDouble();
    const int delay = qMax(1, int(qMin(double(m_maximumDelayMs), base * jitter)));
    ++m_attempt;
    qCDebug(lcClient) << "reconnecting in" << delay << "ms, attempt" << m_attempt;
    m_reconnectTimer.start(delay);
    setState(State::WaitingToReconnect);
}

void ClientSession::onAuthenticated(const QJsonObject &sessionData)
{
    m_attempt = 0;
    int interval = m_heartbeatOverrideMs >= 0 ? m_heartbeatOverrideMs : m_connection->heartbeatInterval() * 1000;
    if (m_heartbeatOverrideMs < 0 && interval <= 0)
        interval = kDefaultHeartbeatMs;
    if (interval > 0)
        m_heartbeatTimer.start(interval);
    else
        m_heartbeatTimer.stop();
    setState(State::Online);
    Q_EMIT online(sessionData, m_connection->wasResumed());
    flushOutbox();
}

void ClientSession::onAuthenticationFailed(const ProtocolError &error)
{
    if (error.code != ErrorCode::AuthFailed)
        return;
    qCInfo(lcClient) << "login token refused:" << error.message;
    m_authLost = true;
    m_started = false;
    Q_EMIT authenticationLost(error);
    m_connection->close(1000, u"Authentication failed"_s);
}

void ClientSession::onDisconnected(int closeCode, const QString &reason)
{
    m_heartbeatTimer.stop();
    m_retryTimer.stop();
    for (OutgoingMessage &m : m_outbox)
        m.inFlight = false;
    Q_EMIT connectionLost(closeCode, reason);
    if (m_started && endsSession(closeCode)) {
        m_started = false;
        setState(State::Disconnected);
        Q_EMIT ended(closeCode, reason);
        return;
    }
    if (m_authLost) {
        setState(State::Disconnected);
        Q_EMIT ended(closeCode, reason);
        return;
    }
    if (!m_started) {
        setState(State::Disconnected);
        return;
    }
    if (std::exchange(m_restartNow, false)) {
        attemptConnect();
        return;
    }
    scheduleReconnect();
}

void ClientSession::sendHeartbeat()
{
    if (m_state != State::Online)
        return;
    PendingRequest *ping = m_connection->request(u"ping"_s, {}, qMax(5000, m_heartbeatTimer.interval()));
    connect(ping, &PendingRequest::failed, this, [this](const ProtocolError &error) {
        // No pong within the interval: the TCP connection is probably dead without anyone having
        // noticed. Drop it and reconnect.
        if (error.message == u"timeout"_s && m_state == State::Online) {
            qCInfo(lcClient) << "heartbeat timed out, reconnecting";
            m_connection->abort();
        }
    });
    connect(ping, &PendingRequest::finished, ping, &QObject::deleteLater);
}

QString ClientSession::sendText(qint64 conversationId, const QString &text)
{
    OutgoingMessage message;
    message.conversationId = conversationId;
    message.text = text;
    return enqueue(std::move(message));
}

QString ClientSession::sendTextTo(qint64 userId, const QString &text)
{
    OutgoingMessage message;
    message.toUserId = userId;
    message.text = text;
    return enqueue(std::move(message));
}

QString ClientSession::enqueue(OutgoingMessage message)
{
    message.clientMsgId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    message.createdAt = QDateTime::currentMSecsSinceEpoch();
    m_outbox.append(message);
    Q_EMIT messageQueued(message);
    Q_EMIT outboxSizeChanged(m_outbox.size());
    if (m_state == State::Online)
        sendOne(m_outbox.last());
    return message.clientMsgId;
}

void ClientSession::flushOutbox()
{
    if (m_state != State::Online)
        return;
    for (OutgoingMessage &message : m_outbox) {
        if (!message.inFlight)
            sendOne(message);
    }
}

qsizetype ClientSession::indexOf(const QString &clientMsgId) const
{
    for (qsizetype i = 0; i < m_outbox.size(); ++i) {
        if (m_outbox.at(i).clientMsgId == clientMsgId)
            return i;
    }
    return -1;
}

void ClientSession::sendOne(OutgoingMessage &message)
{
    message.inFlight = true;
    ++message.attempts;
    PendingRequest *request = message.conversationId > 0
        ? m_connection->sendText(message.conversationId, message.text, message.clientMsgId)
        : m_connection->sendTextTo(message.toUserId, message.text, message.clientMsgId);
    const QString id = message.clientMsgId;
    connect(request, &PendingRequest::succeeded, this, [this, id](const QJsonObject &data) {
        const qsizetype index = indexOf(id);
        if (index < 0)
            return;
        m_outbox.removeAt(index);
        Q_EMIT messageSent(id, data);
        Q_EMIT outboxSizeChanged(m_outbox.size());
    });
    connect(request, &PendingRequest::failed, this, [this, id](const ProtocolError &error) {
        const qsizetype index = indexOf(id);
        if (index < 0)
            return;
        if (isTransient(error)) {
            m_outbox[index].inFlight = false;
            // After a disconnect the next `online` flushes; while still online, retry soon (or
            // when the rate limit says so).
            if (m_state == State::Online && !m_retryTimer.isActive())
                m_retryTimer.start(error.retryAfterMs > 0 ? int(error.retryAfterMs) : kRetryDelayMs);
            return;
        }
        m_outbox.removeAt(index);
        Q_EMIT messageFailed(id, error);
        Q_EMIT outboxSizeChanged(m_outbox.size());
    });
    connect(request, &PendingRequest::finished, request, &QObject::deleteLater);
}

} // namespace Switchboard
