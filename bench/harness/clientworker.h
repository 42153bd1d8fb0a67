#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>
#include <atomic>
#include <functional>
#include <vector>

#include "bench/harness/latency.h"
#include "shared/client/clientconnection.h"

namespace Switchboard::Bench {

// One connection a worker should open: which user, with which token.
struct ConnectionSpec
{
    int index = 0; // global index over all workers
    qint64 userId = 0;
    QString token;
};

// Base of the per-thread workers of every mode (see WorkerPool): owns ClientConnections created
// in its own thread and opens them with bounded concurrency (connect + authenticate), recording
// how long each took. Counters that the main thread polls are atomics; everything else is read
// only from inside the worker's thread.
class ClientWorker : public QObject
{
public:
    explicit ClientWorker(int index) : m_index(index) { }
    ~ClientWorker() override;

    int index() const { return m_index; }

    // Creates one ClientConnection per spec (auto-deleted requests, no client-side request timeout
    // unless requestTimeoutMs > 0) and opens them, at most `concurrency` in progress at a time
    // (0: all at once). done() runs when every one is authenticated or has failed.
    void openAll(const QUrl &wsUrl, const std::vector<ConnectionSpec> &specs, int concurrency,
        ClientConnection::TokenTransport via, std::function<void()> done, int requestTimeoutMs = 0);
    // Called for each new connection before it is opened (a mode connects its signals here).
    std::function<void(ClientConnection *, int local)> onConnectionCreated;

    // Closes every open connection with a close frame (1000); done() when all are down or after
    // timeoutMs.
    void closeAll(std::function<void()> done, int timeoutMs = 10000);
    // Drops every connection without a close frame (a network failure, as seen by the server).
    void abortAll();

    std::vector<ClientConnection *> &connections() { return m_connections; }
    const std::vector<ConnectionSpec> &specs() const { return m_specs; }

    // Polled by the main thread.
    std::atomic<int> opened {0}; // authenticated
    std::atomic<int> openFailed {0}; // refused, closed or failed auth while opening
    std::atomic<int> unexpectedCloses {0}; // closed after opening, not by us
    std::atomic<qint64> lastOpenedNs {0};

    // Read inside the thread (callAll).
    LatencyRecorder openLatency; // connect + authenticate, per connection
    QHash<int, int> closeCodes; // unexpected closes by code
    QString firstError;

protected:
    void noteError(const QString &error)
    {
        if (firstError.isEmpty())
            firstError = error;
    }
    bool m_closingOnPurpose = false;

private:
    void openNext();

    int m_index;
    std::vector<ClientConnection *> m_connections;
    std::vector<ConnectionSpec> m_specs;
    std::vector<qint64> m_openStartNs;
    std::vector<char> m_openDone;
    QUrl m_wsUrl;
    ClientConnection::TokenTransport m_via = ClientConnection::TokenTransport::AuthFrame;
    size_t m_nextToOpen = 0;
    int m_inProgress = 0;
    int m_concurrency = 0;
    int m_pendingOpen = 0;
    std::function<void()> m_openDoneCallback;
};

} // namespace Switchboard::Bench
