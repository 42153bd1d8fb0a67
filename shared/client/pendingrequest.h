#pragma once

#include <QElapsedTimer>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QString>
#include <QTimer>

#include "shared/client/metatypes.h"
#include "shared/protocol/protocolerror.h"

namespace Switchboard {

class ClientConnection;

// One WebSocket request in flight (PROTOCOL.md section 2): created by ClientConnection::request()
// and its convenience methods, finished exactly once by the reply with the same `id`, by the
// timeout, or by the connection closing.
//
// Exactly one of succeeded() / failed() is emitted, then finished(). A reply without `success`
// (the `pong` answer to `ping`) counts as success and data() is then the whole frame.
// Client-side failures use ErrorCode::Unavailable with the messages "timeout",
// "connection closed", "not connected" or "send queue full".
//
// The connection is the QObject parent. A finished request stays alive until the caller deletes
// it (deleteLater() from a slot is fine) or the connection is destroyed, unless auto-delete is on
// (ClientConnection::setAutoDeleteRequests() or setAutoDelete()), which is what a load tool sending
// millions of requests wants.
class PendingRequest final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PendingRequest)

public:
    ~PendingRequest() override;

    // The request `type` and the integer id assigned by the connection.
    QString type() const { return m_type; }
    qint64 id() const { return m_id; }
    // The frame as sent, `type` and `id` included.
    QJsonObject request() const { return m_request; }

    bool isFinished() const { return m_finished; }
    bool isSuccess() const { return m_finished && m_success; }
    // Reply `data` on success (the whole frame for a reply without `success`), else empty.
    QJsonObject data() const { return m_data; }
    // The error on failure (from the reply's `error` object or client-side), else default.
    ProtocolError error() const { return m_error; }
    // The whole reply frame; empty when the request failed on the client side.
    QJsonObject reply() const { return m_reply; }

    // Milliseconds from creation to failure with "timeout"; 0 = never. Setting it restarts the
    // countdown. The default comes from ClientConnection::requestTimeout() (10 s).
    int timeout() const { return m_timeoutMs; }
    void setTimeout(int msecs);

    bool autoDelete() const { return m_autoDelete; }
    // When true the request deletes itself (deleteLater) after finished() has been emitted.
    void setAutoDelete(bool autoDelete);

    // Milliseconds between creation and the reply (or failure); -1 while pending. For latency
    // measurements in the bench tool.
    qint64 elapsedMs() const { return m_elapsedMs; }

Q_SIGNALS:
    void succeeded(const QJsonObject &data);
    void failed(const Switchboard::ProtocolError &error);
    // Emitted last, after succeeded() or failed().
    void finished();

private:
    friend class ClientConnection;

    PendingRequest(const QJsonObject &request, qint64 id, int timeoutMs, ClientConnection *parent);

    // Called by ClientConnection with the reply frame matched by id.
    void finishWithReply(const QJsonObject &reply);
    // Called for client-side failures (timeout, closed, queue full).
    void finishWithError(const ProtocolError &error);
    void finish();

    QJsonObject m_request;
    QString m_type;
    qint64 m_id = 0;
    QJsonObject m_reply;
    QJsonObject m_data;
    ProtocolError m_error;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_elapsedMs = -1;
    int m_timeoutMs = 0;
    bool m_finished = false;
    bool m_success = false;
    bool m_autoDelete = false;
};

} // namespace Switchboard
