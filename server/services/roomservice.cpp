#include "server/services/roomservice.h"

#include "server/services/burstbudget.h"

#include <QDateTime>

#include "server/sessions/session.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

RoomService::RoomService(const Limits &limits, QObject *parent) : QObject(parent), m_limits(limits)
{
    m_sweep.setInterval(5000);
    connect(&m_sweep, &QTimer::timeout, this, &RoomService::sweep);
    m_sweep.start();
}

Result<QString> RoomService::roomName(const QJsonObject &fields) const
{
    auto room = RequestFields(fields).requiredString(u"room"_s);
    if (!room)
        return room.error();
    if (!TextRules::isValidRoomName(room.value()))
        return ProtocolError::make(ErrorCode::ValidationFailed, u"Room names are 1-64 of A-Z a-z 0-9 _ . : -"_s);
    return room.value();
}

QByteArray RoomService::frame(const QString &room, const Broadcast &b, bool recovered)
{
    return JsonCodec::serialize(JsonCodec::encode(RoomMessageEvent {room, b.from, b.data, b.timestamp, recovered}));
}

void RoomService::join(Session *session, const QJsonObject &fields, Reply done)
{
    auto name = roomName(fields);
    if (!name)
        return done(name.error());
    const QString room = name.value();
    if (session->rooms().contains(room))
        return done(QJsonObject {{u"room"_s, room}});
    if (session->rooms().size() >= m_limits.maxRoomsPerConnection)
        return done(ProtocolError::make(ErrorCode::LimitExceeded, u"max_rooms_per_connection reached"_s));
    Room &r = m_rooms[room];
    if (r.members.size() >= m_limits.maxConnectionsPerRoom) {
        if (r.members.isEmpty() && r.buffer.empty())
            m_rooms.remove(room);
        return done(ProtocolError::make(ErrorCode::LimitExceeded, u"max_connections_per_room reached"_s));
    }
    r.members.insert(session);
    r.lastActivity = QDateTime::currentMSecsSinceEpoch();
    session->rooms().insert(room);
    done(QJsonObject {{u"room"_s, room}});
}

void RoomService::leave(Session *session, const QJsonObject &fields, Reply done)
{
    auto name = roomName(fields);
    if (!name)
        return done(name.error());
    const QString room = name.value();
    if (!session->rooms().remove(room))
        return done(ProtocolError::make(ErrorCode::NotFound, u"Not a member of this room"_s));
    auto it = m_rooms.find(room);
    if (it != m_rooms.end())
        it->members.remove(session);
    done(QJsonObject {{u"room"_s, room}});
}

void RoomService::broadcast(Session *session, const QJsonObject &fields, Reply done)
{
    auto name = roomName(fields);
    if (!name)
        return done(name.error());
    const QString room = name.value();
    const QJsonValue echo = fields.value(u"echo"_s);
    if (!echo.isUndefined() && !echo.isNull() && !echo.isBool())
        return done(ProtocolError::make(ErrorCode::BadRequest, u"Field 'echo' must be a boolean"_s));
    if (!fields.contains(u"data"_s))
        return done(ProtocolError::make(ErrorCode::BadRequest, u"Field 'data' is required"_s));
    auto it = m_rooms.find(room);
    if (!session->rooms().contains(room) || it == m_rooms.end())
        return done(ProtocolError::make(ErrorCode::Forbidden, u"Join the room before broadcasting to it"_s));
    Room &r = *it;
    Broadcast b {r.nextSeq++, session->userId(), fields.value(u"data"_s), QDateTime::currentMSecsSinceEpoch()};
    r.lastActivity = b.timestamp;
    const QString out = QString::fromUtf8(frame(room, b, false));
    r.buffer.push_back(std::move(b));
    if (r.buffer.size() > size_t(kBufferSize))
        r.buffer.pop_front();
    const bool toSelf = echo.toBool(false);
    const QList<Session *> members = r.members.values();
    for (Session *member : members) {
        if (member != session || toSelf)
            member->sendEventText(out);
    }
    done(QJsonObject {{u"room"_s, room}, {u"delivered"_s, double(members.size() - (toSelf ? 0 : 1))}});
}

void RoomService::detach(Session *session)
{
    // Keep the room (and its buffer) for at least reconnection_ttl from now: the connection may
    // resume and must then learn exactly what it missed.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const QString &room : std::as_const(session->rooms())) {
        auto it = m_rooms.find(room);
        if (it != m_rooms.end()) {
            it->members.remove(session);
            it->lastActivity = now;
        }
    }
}

quint64 RoomService::lastSeq(const QString &room) const
{
    auto it = m_rooms.constFind(room);
    return it == m_rooms.constEnd() ? 0 : it->nextSeq - 1;
}

bool RoomService::rejoin(Session *session, const QString &room, quint64 seenSeq, QList<QByteArray> *frames,
    bool *complete, BurstBudget &budget)
{
    Room &r = m_rooms[room];
    if (r.members.size() >= m_limits.maxConnectionsPerRoom || session->rooms().size() >= m_limits.maxRoomsPerConnection)
        return false;
    r.members.insert(session);
    r.lastActivity = QDateTime::currentMSecsSinceEpoch();
    session->rooms().insert(room);
    if (r.nextSeq - 1 <= seenSeq)
        return true; // nothing missed
    // Complete only if the buffer still starts at or before the first missed broadcast.
    if (r.buffer.empty() || r.buffer.front().seq > seenSeq + 1)
        *complete = false;
    for (const Broadcast &b : r.buffer) {
        if (b.seq <= seenSeq)
            continue;
        QByteArray f = frame(room, b, true);
        if (!budget.take(f.size())) {
            *complete = false; // the replay did not fit the burst: the client knows it missed some
            break;
        }
        frames->append(std::move(f));
    }
    return true;
}

void RoomService::sweep()
{
    const qint64 cutoff = QDateTime::currentMSecsSinceEpoch() - qint64(m_limits.retainSeconds) * 1000;
    for (auto it = m_rooms.begin(); it != m_rooms.end();) {
        if (it->members.isEmpty() && it->lastActivity < cutoff)
            it = m_rooms.erase(it);
        else
            ++it;
    }
}

} // namespace Switchboard::Server
