#include "server/app/serverapplication.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <cstdio>
#include <sodium.h>

#include "server/app/logging.h"
#include "server/http/httpfrontend.h"
#include "server/http/restapi.h"
#include "server/security/fileurlsigner.h"
#include "server/security/loginthrottle.h"
#include "server/security/passwordhasher.h"
#include "server/security/tokensigner.h"
#include "server/services/adminservice.h"
#include "server/services/authservice.h"
#include "server/services/chatservice.h"
#include "server/services/contactservice.h"
#include "server/services/domainrules.h"
#include "server/services/fileservice.h"
#include "server/services/groupservice.h"
#include "server/services/presenceservice.h"
#include "server/services/pushdispatcher.h"
#include "server/services/resumeservice.h"
#include "server/services/roomservice.h"
#include "server/services/supportservice.h"
#include "server/sessions/onlineusers.h"
#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "server/storage/filestore.h"
#include "server/storage/sqlstorage.h"
#include "server/ws/requestrouter.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
// Runs one storage call to completion from startup/CLI code (the only places allowed to wait).
template<typename T, typename Call> Result<T> waitFor(Call call)
{
    std::optional<Result<T>> out;
    QEventLoop loop;
    call([&](Result<T> r) {
        out.emplace(std::move(r));
        loop.quit();
    });
    if (!out)
        loop.exec();
    return std::move(*out);
}

std::unique_ptr<SqlStorage> makeStorage(const ServerConfig &config, QString *error, const OnlineUsers *online = nullptr)
{
    SqlStorageOptions options;
    options.url = DatabaseUrl::parse(config.database, error);
    if (options.url.backend == DatabaseUrl::Backend::Invalid)
        return nullptr;
    options.sqliteFullSync = config.sqliteFullSync;
    options.queueLimit = config.storageQueueLimit;
    options.commitWindow = std::chrono::milliseconds(config.commitWindowMs);
    options.rules = std::make_shared<DomainRules>(online, config.pushPreviewChars);
    auto storage = std::make_unique<SqlStorage>(options);
    if (!storage->start(error))
        return nullptr;
    return storage;
}
} // namespace

ServerApplication::ServerApplication(ServerConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config))
{ }

ServerApplication::~ServerApplication()
{
    // Frontend first (no new work), storage last (finishes what is queued).
    m_http.reset();
    m_push.reset();
    m_router.reset();
    m_registry.reset(); // deletes nothing itself; sessions are children of this object
    if (m_storage)
        m_storage->stop();
}

bool ServerApplication::start(QString *error)
{
    if (sodium_init() < 0) {
        *error = u"libsodium failed to initialise"_s;
        return false;
    }
    m_metrics.startedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_online = std::make_unique<OnlineUsers>();
    m_storage = makeStorage(m_config, error, m_online.get());
    if (!m_storage)
        return false;
    qCInfo(lcApp).noquote() << "storage ready, schema version" << m_storage->schemaVersion();

    QString secret = m_config.jwtSecret;
    if (secret.isEmpty()) {
        // Generated once and kept in the database so tokens survive restarts.
        auto stored = waitFor<QString>(
            [&](auto done) { m_storage->loadOrStoreSetting(u"jwt_secret"_s, TokenSigner::randomToken(32), done); });
        if (!stored) {
            *error = u"cannot load the token secret: "_s + stored.error().message;
            return false;
        }
        secret = stored.value();
    }
    m_tokens = std::make_unique<TokenSigner>(secret.toUtf8(), m_config.tokenTtl);
    m_signer = std::make_unique<FileUrlSigner>(secret.toUtf8(), m_config.fileUrlTtl);
    QString filesDir = m_config.filesDir;
    if (filesDir.isEmpty()) {
        const DatabaseUrl url = DatabaseUrl::parse(m_config.database, error);
        filesDir = url.backend == DatabaseUrl::Backend::Sqlite ? url.path + u"-files"_s : u"switchboard-files"_s;
    }
    m_files = std::make_unique<FileStore>(filesDir);
    if (!m_files->prepare(error))
        return false;
    m_hasher = std::make_unique<PasswordHasher>();
    m_throttle = std::make_unique<LoginThrottle>();
    m_registry = std::make_unique<SessionRegistry>(
        SessionRegistry::Timeouts {m_config.authTimeout, m_config.heartbeatTimeout});
    // Each service receives only the stores it uses (SqlStorage implements them all).
    m_chat = std::make_unique<ChatService>(*m_storage, *m_registry, m_metrics, m_config, *m_signer);
    m_auth = std::make_unique<AuthService>(*m_storage, *m_storage, *m_hasher, *m_tokens, *m_throttle, m_config);
    m_fileService = std::make_unique<FileService>(*m_storage, *m_files, *m_signer, m_config);
    connect(m_registry.get(), &SessionRegistry::sessionAuthenticated, this,
        [this](Session *s) { m_online->setOnline(s->userId(), true); });
    connect(m_registry.get(), &SessionRegistry::userOffline, this,
        [this](qint64 userId, qint64) { m_online->setOnline(userId, false); });
    m_push = std::make_unique<PushDispatcher>(*m_storage, m_config);
    connect(m_chat.get(), &ChatService::pushQueued, m_push.get(), &PushDispatcher::wake);
    m_presence = std::make_unique<PresenceService>(*m_storage, *m_storage, *m_registry);
    m_rooms = std::make_unique<RoomService>(
        RoomService::Limits {m_config.maxRoomsPerConnection, m_config.maxConnectionsPerRoom, m_config.reconnectionTtl});
    m_resume = std::make_unique<ResumeService>(m_config.reconnectionTtl, m_config.reconnectionMaxAttempts);
    m_groups = std::make_unique<GroupService>(*m_storage, *m_chat, m_config);
    m_contacts = std::make_unique<ContactService>(*m_storage, *m_storage, *m_presence);
    m_support = std::make_unique<SupportService>(*m_storage, *m_storage, *m_registry, *m_presence, *m_chat, m_config);
    m_admin = std::make_unique<AdminService>(*m_registry, *m_storage, *m_rooms, *m_resume, *m_auth, m_metrics);
    m_router = std::make_unique<RequestRouter>(m_config, *m_registry,
        RequestRouter::Services {
            *m_auth, *m_chat, *m_presence, *m_rooms, *m_resume, *m_groups, *m_contacts, *m_support, *m_admin, *m_push},
        m_metrics);
    m_rest = std::make_unique<RestApi>(
        RestApi::Services {*m_auth, *m_chat, *m_groups, *m_contacts, *m_support, *m_admin, *m_fileService, *m_push});

    const Session::Limits limits {m_config.maxFrameBytes, m_config.maxSendQueueBytes, m_config.maxPendingRequests,
        m_config.messagesPerSecond, m_config.messagesBurst};
    m_http = std::make_unique<HttpFrontend>(
        *m_rest, [this, limits](std::unique_ptr<QWebSocket> socket, QTcpSocket *transport) {
            if (m_shuttingDown) {
                socket->close(QWebSocketProtocol::CloseCodeGoingAway, u"Server shutting down"_s);
                socket.release()->deleteLater();
                if (transport)
                    transport->deleteLater();
                return;
            }
            auto *session = new Session(std::move(socket), transport, m_nextConnectionId++, limits, this);
            connect(session, &Session::sendQueueOverflowed, this, [this] { ++m_metrics.sendQueueDrops; });
            m_registry->add(session);
            m_router->attach(session);
        });
    if (!m_config.tlsCert.isEmpty() && !m_http->setupTls(m_config.tlsCert, m_config.tlsKey, error))
        return false;
    QHostAddress address;
    if (m_config.listenHost == u"localhost"_s)
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(m_config.listenHost)) {
        *error = u"cannot parse listen address '%1'"_s.arg(m_config.listenHost);
        return false;
    }
    // The largest legitimate request is an upload with its multipart framing.
    const qint64 maxRequest = std::max<qint64>(m_config.maxUploadBytes + 256 * 1024, 2 * 1024 * 1024);
    m_port = m_http->start(address, m_config.listenPort, maxRequest, error);
    if (m_port == 0)
        return false;
    const QString host
        = address.protocol() == QAbstractSocket::IPv6Protocol ? u"[%1]"_s.arg(address.toString()) : address.toString();
    m_push->start();
    std::printf("listening on %s:%u\n", qPrintable(host), unsigned(m_port));
    std::fflush(stdout);
    return true;
}

void ServerApplication::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    qCInfo(lcApp) << "shutting down";
    m_http->stopListening();
    m_registry->closeAll(1001, u"Server shutting down"_s);
    // Give close frames a moment to leave (bounded), then finish storage work and stop.
    auto *deadline = new QTimer(this);
    deadline->setSingleShot(true);
    auto finish = [this] {
        m_storage->stop();
        // Run the completions of the last batches (their replies go nowhere, but their effects
        // such as metrics stay consistent), then report.
        QCoreApplication::processEvents();
        Q_EMIT stopped();
    };
    auto *poll = new QTimer(this);
    poll->setInterval(20);
    connect(poll, &QTimer::timeout, this, [this, poll, deadline, finish] {
        if (m_registry->connectionCount() == 0) {
            poll->stop();
            deadline->stop();
            finish();
        }
    });
    connect(deadline, &QTimer::timeout, this, [poll, finish] {
        poll->stop();
        finish();
    });
    poll->start();
    deadline->start(3000);
}

int ServerApplication::createUser(
    const ServerConfig &config, const QString &username, const QString &role, const QString &password, QString *error)
{
    if (sodium_init() < 0) {
        *error = u"libsodium failed to initialise"_s;
        return 1;
    }
    if (role != u"user"_s && role != u"agent"_s && role != u"admin"_s) {
        *error = u"--role must be user, agent or admin"_s;
        return 2;
    }
    if (!TextRules::isValidUsername(username)) {
        *error = u"invalid username: 3-32 characters of a-z, 0-9, '_', '.', '-'"_s;
        return 2;
    }
    if (!TextRules::isValidPassword(password)) {
        *error = u"the password (read from stdin) must be at least 8 characters"_s;
        return 2;
    }
    auto storage = makeStorage(config, error);
    if (!storage)
        return 1;
    const QString hash = PasswordHasher::hashNow(password);
    if (hash.isEmpty()) {
        *error = u"password hashing failed"_s;
        return 1;
    }
    auto created = waitFor<UserInfo>([&](auto done) {
        storage->createUser(NewUser {username, username, role, hash}, done);
    });
    storage->stop();
    if (!created) {
        *error = created.error().code == ErrorCode::Conflict ? u"user '%1' already exists"_s.arg(username)
                                                             : created.error().message;
        return 1;
    }
    std::printf("created %s '%s' (id %lld)\n", qPrintable(role), qPrintable(username), created->id);
    return 0;
}

} // namespace Switchboard::Server
