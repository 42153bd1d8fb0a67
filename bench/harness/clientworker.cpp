#include "bench/harness/clientworker.h"

#include <QTimer>

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

ClientWorker::~ClientWorker()
{
    m_closingOnPurpose = true;
    for (ClientConnection *c : m_connections)
        delete c; // aborts its socket without signals
}

void ClientWorker::openAll(const QUrl &wsUrl, const std::vector<ConnectionSpec> &specs, int concurrency,
    ClientConnection::TokenTransport via, std::function<void()> done, int requestTimeoutMs)
{
    m_wsUrl = wsUrl;
    m_via = via;
    m_concurrency = concurrency <= 0 ? int(specs.size()) : concurrency;
    m_openDoneCallback = std::move(done);
    const size_t base = m_specs.size();
    m_specs.insert(m_specs.end(), specs.begin(), specs.end());
    m_openStartNs.resize(m_specs.size(), 0);
    m_openDone.resize(m_specs.size(), 0);
    m_pendingOpen += int(specs.size());
    for (size_t i = base; i < m_specs.size(); ++i) {
        auto *c = new ClientConnection(this);
        c->setAutoDeleteRequests(true);
        c->setRequestTimeout(requestTimeoutMs);
        c->setMaxQueuedFrames(1000000);
        c->setUserAgent("switchboard-bench");
        const int local = int(i);
        m_connections.push_back(c);
        auto finishOpen = [this, local](bool ok) {
            if (m_openDone[size_t(local)])
                return;
            m_openDone[size_t(local)] = 1;
            --m_inProgress;
            --m_pendingOpen;
            if (ok) {
                const qint64 now = nowNs();
                openLatency.add(now - m_openStartNs[size_t(local)]);
                lastOpenedNs.store(now);
                opened.fetch_add(1);
            } else {
                openFailed.fetch_add(1);
            }
            openNext();
            if (m_pendingOpen == 0 && m_openDoneCallback) {
                auto cb = std::move(m_openDoneCallback);
                m_openDoneCallback = nullptr;
                cb();
            }
        };
        QObject::connect(c, &ClientConnection::authenticated, this, [finishOpen] { finishOpen(true); });
        QObject::connect(c, &ClientConnection::authenticationFailed, this, [this, finishOpen](const ProtocolError &e) {
            noteError(u"authentication failed: "_s + e.message);
            finishOpen(false);
        });
        QObject::connect(
            c, &ClientConnection::disconnected, this, [this, local, finishOpen](int code, const QString &reason) {
                if (!m_openDone[size_t(local)]) {
                    noteError(u"connection closed while opening: %1 %2"_s.arg(code).arg(reason));
                    finishOpen(false);
                    return;
                }
                if (!m_closingOnPurpose) {
                    unexpectedCloses.fetch_add(1);
                    closeCodes[code] += 1;
                    noteError(u"connection closed: %1 %2"_s.arg(code).arg(reason));
                }
            });
        if (onConnectionCreated)
            onConnectionCreated(c, local);
    }
    if (m_pendingOpen == 0 && m_openDoneCallback) {
        auto cb = std::move(m_openDoneCallback);
        m_openDoneCallback = nullptr;
        cb();
        return;
    }
    m_nextToOpen = base;
    openNext();
}

void ClientWorker::openNext()
{
    while (m_nextToOpen < m_connections.size() && m_inProgress < m_concurrency) {
        const size_t i = m_nextToOpen++;
        ++m_inProgress;
        m_openStartNs[i] = nowNs();
        m_connections[i]->openWithToken(m_wsUrl, m_specs[i].token, m_via);
    }
}

void ClientWorker::closeAll(std::function<void()> done, int timeoutMs)
{
    m_closingOnPurpose = true;
    auto remaining = std::make_shared<int>(0);
    auto finished = std::make_shared<bool>(false);
    auto callback = std::make_shared<std::function<void()>>(std::move(done));
    auto finish = [finished, callback] {
        if (*finished)
            return;
        *finished = true;
        if (*callback)
            (*callback)();
    };
    for (ClientConnection *c : m_connections) {
        if (c->state() == ClientConnection::State::Disconnected)
            continue;
        ++*remaining;
        QObject::connect(
            c, &ClientConnection::disconnected, this,
            [remaining, finish] {
                if (--*remaining == 0)
                    finish();
            },
            Qt::SingleShotConnection);
        c->close(1000, u"bench done"_s);
    }
    if (*remaining == 0) {
        finish();
        return;
    }
    QTimer::singleShot(timeoutMs, this, finish);
}

void ClientWorker::abortAll()
{
    const bool before = m_closingOnPurpose;
    m_closingOnPurpose = true;
    for (ClientConnection *c : m_connections)
        c->abort();
    m_closingOnPurpose = before;
}

} // namespace Switchboard::Bench
