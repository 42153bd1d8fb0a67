#include "shared/client/pendingrequest.h"

#include "shared/client/clientconnection.h"
#include "shared/client/logging.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;

namespace Switchboard {

PendingRequest::PendingRequest(const QJsonObject &request, qint64 id, int timeoutMs, ClientConnection *parent)
    : QObject(parent), m_request(request), m_type(request.value(u"type"_s).toString()), m_id(id)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        qCDebug(lcClient) << "request" << m_type << m_id << "timed out after" << m_timeoutMs << "ms";
        finishWithError(ProtocolError::make(ErrorCode::Unavailable, u"timeout"_s));
    });
    setTimeout(timeoutMs);
}

PendingRequest::~PendingRequest() = default;

void PendingRequest::setTimeout(int msecs)
{
    m_timeoutMs = qMax(0, msecs);
    if (m_finished)
        return;
    if (m_timeoutMs > 0)
        m_timer.start(m_timeoutMs);
    else
        m_timer.stop();
}

void PendingRequest::setAutoDelete(bool autoDelete)
{
    m_autoDelete = autoDelete;
    if (m_autoDelete && m_finished)
        deleteLater();
}

void PendingRequest::finishWithReply(const QJsonObject &reply)
{
    if (m_finished)
        return;
    m_reply = reply;
    const QJsonValue success = reply.value(u"success"_s);
    if (success.isUndefined()) {
        // `pong` (the reply to `ping`) carries the id but no `success`/`data` envelope.
        m_success = true;
        m_data = reply;
    } else if (success.toBool()) {
        m_success = true;
        m_data = reply.value(u"data"_s).toObject();
    } else {
        m_success = false;
        m_error = JsonCodec::decodeError(reply.value(u"error"_s).toObject());
    }
    finish();
}

void PendingRequest::finishWithError(const ProtocolError &error)
{
    if (m_finished)
        return;
    m_success = false;
    m_error = error;
    finish();
}

void PendingRequest::finish()
{
    m_finished = true;
    m_timer.stop();
    m_elapsedMs = m_clock.elapsed();
    if (m_success)
        Q_EMIT succeeded(m_data);
    else
        Q_EMIT failed(m_error);
    Q_EMIT finished();
    if (m_autoDelete)
        deleteLater();
}

} // namespace Switchboard
