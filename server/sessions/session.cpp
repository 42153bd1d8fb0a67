#include "server/sessions/session.h"

#include <QDateTime>
#include <QNetworkRequest>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QWebSocket>

#include "server/sessions/lingeringclose.h"
#include "server/sessions/logging.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr size_t kMaxDeferredFrames = 4096;
constexpr qint64 kMaxDeferredBytes = 1024 * 1024;
} // namespace

Session::Session(std::unique_ptr<QWebSocket> socket, QTcpSocket *transport, qint64 connectionId, const Limits &limits,
    QObject *parent)
    : QObject(parent),
      m_socket(std::move(socket)),
      m_transport(transport),
      m_connectionId(connectionId),
      m_limits(limits)
{
    m_connectedAt = m_lastActivityAt = QDateTime::currentMSecsSinceEpoch();
    m_tokens = limits.burst;
    m_tokensAt = m_connectedAt;
    QHostAddress peer = m_socket->peerAddress();
    bool isV4 = false;
    const quint32 v4 = peer.toIPv4Address(&isV4);
    m_remoteAddress = isV4 ? QHostAddress(v4).toString() : peer.toString();
    m_userAgent = QString::fromUtf8(m_socket->request().rawHeader("User-Agent")).left(256);
    // QWebSocket accepts ~2 GB by default; a frame or message over the limit closes with 1009.
    m_socket->setMaxAllowedIncomingFrameSize(quint64(limits.maxFrameBytes));
    m_socket->setMaxAllowedIncomingMessageSize(quint64(limits.maxFrameBytes));
    m_socket->setParent(nullptr);

    connect(m_socket.get(), &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        m_lastActivityAt = QDateTime::currentMSecsSinceEpoch();
        if (!m_closing)
            Q_EMIT textReceived(this, text);
    });
    connect(m_socket.get(), &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        m_lastActivityAt = QDateTime::currentMSecsSinceEpoch();
        if (!m_closing)
            Q_EMIT binaryReceived(this);
    });
    connect(m_socket.get(), &QWebSocket::pong, this,
        [this](quint64, const QByteArray &) { m_lastActivityAt = QDateTime::currentMSecsSinceEpoch(); });
    if (m_transport) {
        // No Nagle: a reply or event written while an earlier frame is still unacknowledged would
        // otherwise wait for the client's delayed ACK (40 ms on Linux).
        m_transport->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        // Every byte from the client counts as activity, WebSocket ping frames included (QWebSocket
        // answers those itself and tells nobody).
        connect(m_transport, &QIODevice::readyRead, this,
            [this] { m_lastActivityAt = QDateTime::currentMSecsSinceEpoch(); });
    }
    connect(m_socket.get(), &QWebSocket::disconnected, this, [this] {
        m_closing = true;
        if (!m_closedEmitted) {
            m_closedEmitted = true;
            Q_EMIT closed(this);
        }
    });
}

Session::~Session()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket.reset();
    }
    if (m_transport)
        m_transport->deleteLater();
}

QString Session::upgradeToken() const
{
    const QNetworkRequest request = m_socket->request();
    const QByteArray auth = request.rawHeader("Authorization");
    if (auth.size() > 7 && auth.left(7).compare("Bearer ", Qt::CaseInsensitive) == 0)
        return QString::fromLatin1(auth.mid(7).trimmed());
    const QUrlQuery query(request.url());
    if (query.hasQueryItem(u"token"_s))
        return query.queryItemValue(u"token"_s, QUrl::FullyDecoded);
    return {};
}

void Session::setAuthenticating()
{
    m_authState = AuthState::Authenticating;
}

void Session::setAnonymous()
{
    m_authState = AuthState::Anonymous;
}

void Session::setAuthenticated(const UserInfo &user, const QString &sessionId)
{
    m_authState = AuthState::Authenticated;
    m_user = user;
    m_sessionId = sessionId;
}

Session::Ticket Session::openSlot()
{
    const Ticket t = m_nextTicket++;
    m_slots.push_back(Slot {t, false, {}});
    ++m_unfilled;
    return t;
}

void Session::fillSlot(Ticket ticket, const QByteArray &reply, const QList<QByteArray> &followUps)
{
    // Tickets are consecutive, so the slot is found by offset from the oldest one.
    if (m_slots.empty() || ticket < m_slots.front().ticket)
        return; // the connection was closed meanwhile
    const size_t index = size_t(ticket - m_slots.front().ticket);
    if (index >= m_slots.size() || m_slots[index].filled)
        return;
    Slot &slot = m_slots[index];
    slot.filled = true;
    --m_unfilled;
    slot.frames.reserve(1 + followUps.size());
    slot.frames.append(reply);
    slot.frames.append(followUps);
    flushSlots();
    if (!m_deferred.empty() && hasCapacity())
        Q_EMIT capacityAvailable(this);
}

void Session::flushSlots()
{
    while (!m_slots.empty() && m_slots.front().filled) {
        const QList<QByteArray> frames = std::move(m_slots.front().frames);
        m_slots.pop_front();
        for (const QByteArray &frame : frames)
            write(frame);
    }
}

void Session::sendEvent(const QByteArray &frame)
{
    write(frame);
}

void Session::sendEventText(const QString &frame)
{
    writeText(frame);
}

void Session::write(const QByteArray &frame)
{
    if (frame.isEmpty() || m_closing || !m_socket)
        return;
    writeText(QString::fromUtf8(frame));
}

void Session::writeText(const QString &frame)
{
    if (frame.isEmpty() || m_closing || !m_socket)
        return;
    m_socket->sendTextMessage(frame);
    // A client that does not read its socket would make us buffer without bound: cut it off.
    if (m_socket->bytesToWrite() > m_limits.maxSendQueueBytes) {
        qCWarning(lcSession) << "connection" << m_connectionId << "does not read its socket ("
                             << m_socket->bytesToWrite() << "bytes queued); disconnecting";
        Q_EMIT sendQueueOverflowed();
        abort();
    }
}

bool Session::deferFrame(const QString &text)
{
    if (m_deferred.size() >= kMaxDeferredFrames || m_deferredBytes + text.size() * 2 > kMaxDeferredBytes)
        return false;
    m_deferredBytes += text.size() * 2;
    m_deferred.push_back(text);
    return true;
}

QString Session::takeDeferredFrame()
{
    QString text = std::move(m_deferred.front());
    m_deferred.pop_front();
    m_deferredBytes -= text.size() * 2;
    return text;
}

qint64 Session::takeToken(qint64 now)
{
    // Wall-clock time: when the clock steps back (NTP), no time passed, and the bucket goes on
    // from the new time; a negative interval would drain it for as long as the step.
    const double elapsed = now > m_tokensAt ? double(now - m_tokensAt) / 1000.0 : 0.0;
    m_tokensAt = now;
    m_tokens = std::min(m_limits.burst, m_tokens + elapsed * m_limits.tokensPerSecond);
    if (m_tokens >= 1.0) {
        m_tokens -= 1.0;
        return 0;
    }
    return std::max<qint64>(1, qint64((1.0 - m_tokens) / m_limits.tokensPerSecond * 1000.0 + 0.999));
}

bool Session::noteRateLimited(qint64 now)
{
    constexpr size_t kMaxLimitedReplies = 40;
    constexpr qint64 kWindowMs = 5000;
    if (!m_rateLimitedAt.empty() && m_rateLimitedAt.back() > now)
        m_rateLimitedAt.clear(); // the clock stepped back: the old times say nothing any more
    m_rateLimitedAt.push_back(now);
    while (!m_rateLimitedAt.empty() && m_rateLimitedAt.front() <= now - kWindowMs)
        m_rateLimitedAt.pop_front();
    return m_rateLimitedAt.size() > kMaxLimitedReplies;
}

void Session::close(int code, const QString &reason)
{
    if (m_closing || !m_socket)
        return;
    m_closing = true;
    m_slots.clear();
    m_unfilled = 0;
    // Our close frame must reach a client that is still writing: see LingeringClose.
    LingeringClose::start(m_transport);
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

void Session::abort()
{
    if (!m_socket)
        return;
    m_closing = true;
    m_slots.clear();
    m_unfilled = 0;
    m_socket->abort();
    if (!m_closedEmitted) {
        m_closedEmitted = true;
        Q_EMIT closed(this);
    }
}

} // namespace Switchboard::Server
