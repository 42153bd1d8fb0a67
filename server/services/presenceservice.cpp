#include "server/services/presenceservice.h"

#include <QDateTime>
#include <QJsonArray>

#include "server/sessions/session.h"
#include "server/sessions/sessionregistry.h"
#include "server/storage/contactstore.h"
#include "server/storage/userstore.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
constexpr int kMaxQuery = 500;
}

PresenceService::PresenceService(UserStore &users, ContactStore &contacts, SessionRegistry &registry, QObject *parent)
    : QObject(parent), m_users(users), m_contacts(contacts), m_registry(registry)
{
    connect(&registry, &SessionRegistry::sessionAuthenticated, this, &PresenceService::onAuthenticated);
    connect(&registry, &SessionRegistry::userOffline, this, &PresenceService::onUserOffline);
}

QString PresenceService::statusOf(qint64 userId) const
{
    return m_status.value(userId, u"offline"_s);
}

void PresenceService::onAuthenticated(Session *session)
{
    const qint64 userId = session->userId();
    if (m_status.contains(userId))
        return; // another device was already online
    m_status.insert(userId, u"online"_s);
    announce(userId, u"online"_s, QDateTime::currentMSecsSinceEpoch());
}

void PresenceService::onUserOffline(qint64 userId, qint64 lastSeenAt)
{
    m_status.remove(userId);
    m_users.touchLastSeen(userId, lastSeenAt, [](Result<Done>) {});
    announce(userId, u"offline"_s, lastSeenAt);
}

void PresenceService::restoreStatus(qint64 userId, const QString &status)
{
    // A resumed session is online (onAuthenticated announced it). "offline" is what a session
    // records when it was the user's last connection (userOffline ran before the detach): never
    // restore that, or the user would look offline while connected.
    if (status == u"offline"_s || !m_status.contains(userId) || m_status.value(userId) == status)
        return;
    m_status.insert(userId, status);
    announce(userId, status, QDateTime::currentMSecsSinceEpoch());
}

void PresenceService::setStatus(qint64 userId, const QJsonObject &fields, Reply done)
{
    auto status = RequestFields(fields).requiredString(u"status"_s);
    if (!status)
        return done(status.error());
    if (status.value() != u"online"_s && status.value() != u"away"_s)
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"status must be online or away"_s));
    if (m_status.value(userId) != status.value()) {
        m_status.insert(userId, status.value());
        announce(userId, status.value(), QDateTime::currentMSecsSinceEpoch());
    }
    done(QJsonObject {{u"status"_s, status.value()}});
}

void PresenceService::announce(qint64 userId, const QString &status, qint64 lastSeenAt)
{
    const QByteArray frame = JsonCodec::serialize(JsonCodec::encode(PresenceEvent {userId, status, lastSeenAt}));
    m_contacts.presenceWatchers(userId, [this, frame](Result<QList<qint64>> r) {
        if (!r)
            return;
        for (qint64 watcher : r.value()) {
            const QList<Session *> sessions = m_registry.sessionsOf(watcher);
            for (Session *s : sessions)
                s->sendEvent(frame);
        }
    });
}

void PresenceService::query(const QJsonObject &fields, Reply done)
{
    const QJsonValue ids = fields.value(u"user_ids"_s);
    if (!ids.isArray())
        return done(ProtocolError::make(ErrorCode::BadRequest, u"Field 'user_ids' must be an array of user ids"_s));
    const QJsonArray array = ids.toArray();
    if (array.size() > kMaxQuery)
        return done(ProtocolError::make(ErrorCode::ValidationFailed, u"At most 500 user ids per query"_s));
    QList<qint64> userIds;
    for (const QJsonValue &v : array) {
        if (!v.isDouble() || !RequestFields::isSafeInteger(v.toDouble()) || v.toDouble() < 1)
            return done(ProtocolError::make(ErrorCode::BadRequest, u"Field 'user_ids' must be an array of user ids"_s));
        userIds.append(qint64(v.toDouble()));
    }
    m_users.lastSeen(userIds, [this, userIds, done = std::move(done)](Result<QHash<qint64, qint64>> r) {
        if (!r)
            return done(r.error());
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QJsonArray presence;
        for (qint64 id : userIds) {
            const QString status = statusOf(id);
            qint64 seen = status != u"offline"_s ? now : r->value(id, m_registry.lastSeen(id));
            presence.append(QJsonObject {{u"user_id"_s, double(id)}, {u"status"_s, status},
                {u"last_seen_at"_s, seen > 0 ? QJsonValue(double(seen)) : QJsonValue()}});
        }
        done(QJsonObject {{u"presence"_s, presence}});
    });
}

} // namespace Switchboard::Server
