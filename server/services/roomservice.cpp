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

QByteArray RoomService::frame(
    const QString &room, qint64 from, const QJsonValue &data, qint64 timestamp, bool recovered)
{
    return JsonCodec::serialize(JsonCodec::encode(RoomMessageEvent {room, from, data, timestamp, recovered}));
}

Result<RoomService::Room *> RoomService::roomForJoin(Session *session, const QString &name)
{
    auto it = m_rooms.find(name);
    if (it != m_rooms.end())
        return &*it;
    const auto limited = [](const QString &what) { return ProtocolError::make(ErrorCode::LimitExceeded, what); };
    if (m_rooms.size() >= m_limits.maxRooms)
        return limited(u"Too many rooms on this server"_s);
    if (m_roomsByCreator.value(session->userId()) >= m_limits.maxRoomsPerCreator)
        return limited(u"Too many rooms created by this account"_s);
    if (m_roomsByAddress.value(session->remoteAddress()) >= m_limits.maxRoomsPerAddress)
        return limited(u"Too many rooms created from this address"_s);
    Room &r = m_rooms[name];
    r.creatorId = session->userId();
    r.creatorAddress = session->remoteAddress();
    ++m_roomsByCreator[r.creatorId];
    ++m_roomsByAddress[r.creatorAddress];
    return &r;
}

void RoomService::compactBufferOrder()
{
    // A room's buffer is a contiguous run of seqs (only its front is ever dropped, and it is
    // emptied when a broadcast is too large to keep), so an entry is live when inside the run.
    std::deque<std::pair<QString, quint64>> live;
    for (const auto &entry : m_bufferOrder) {
        auto it = m_rooms.constFind(entry.first);
        if (it != m_rooms.constEnd() && !it->buffer.empty() && it->buffer.front().seq <= entry.second
            && entry.second <= it->buffer.back().seq)
            live.push_back(entry);
    }
    m_bufferOrder.swap(live);
}

void RoomService::dropOldest(Room &room)
{
    --m_bufferedCount;
    m_bufferedBytes -= room.buffer.front().replayFrame.size();
    room.bufferBytes -= room.buffer.front().replayFrame.size();
    room.buffer.pop_front();
}

QHash<QString, RoomService::Room>::iterator RoomService::eraseRoom(QHash<QString, Room>::iterator it)
{
    m_bufferedBytes -= it->bufferBytes;
    m_bufferedCount -= qint64(it->buffer.size());
    if (--m_roomsByCreator[it->creatorId] <= 0)
        m_roomsByCreator.remove(it->creatorId);
    if (--m_roomsByAddress[it->creatorAddress] <= 0)
        m_roomsByAddress.remove(it->creatorAddress);
    return m_rooms.erase(it);
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
    auto found = roomForJoin(session, room);
    if (!found)
        return done(found.error());
    Room &r = *found.value();
    if (r.members.size() >= m_limits.maxConnectionsPerRoom) {
        if (r.members.isEmpty() && r.buffer.empty())
            eraseRoom(m_rooms.find(room));
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
    const quint64 seq = r.nextSeq++;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QJsonValue data = fields.value(u"data"_s);
    r.lastActivity = now;
    const QString out = QString::fromUtf8(frame(room, session->userId(), data, now, false));
    // Kept encoded, within the room's and the server's byte bounds; a broadcast larger than the
    // room's bound is delivered live but not kept (a resume then says recovered: false).
    QByteArray replay = frame(room, session->userId(), data, now, true);
    if (replay.size() <= m_limits.bufferBytesPerRoom) {
        while (!r.buffer.empty()
            && (r.buffer.size() >= size_t(kBufferSize) || r.bufferBytes + replay.size() > m_limits.bufferBytesPerRoom))
            dropOldest(r);
        while (m_bufferedBytes + replay.size() > m_limits.bufferBytesTotal && !m_bufferOrder.empty()) {
            const auto [oldestRoom, oldestSeq] = m_bufferOrder.front();
            m_bufferOrder.pop_front();
            auto o = m_rooms.find(oldestRoom);
            if (o != m_rooms.end() && !o->buffer.empty() && o->buffer.front().seq == oldestSeq)
                dropOldest(*o);
        }
        r.bufferBytes += replay.size();
        m_bufferedBytes += replay.size();
        ++m_bufferedCount;
        r.buffer.push_back(Buffered {seq, std::move(replay)});
        m_bufferOrder.emplace_back(room, seq);
    } else {
        while (!r.buffer.empty())
            dropOldest(r); // what is kept must stay contiguous up to the newest broadcast
    }
    // Entries of broadcasts that rooms dropped on their own are skipped when they reach the
    // front; compacting now and then keeps the order at most twice what is buffered.
    if (m_bufferOrder.size() > 2 * size_t(m_bufferedCount) + 1024)
        compactBufferOrder();
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
    if (session->rooms().size() >= m_limits.maxRoomsPerConnection)
        return false;
    auto found = roomForJoin(session, room); // a room swept meanwhile counts as a new one
    if (!found)
        return false;
    Room &r = *found.value();
    if (r.members.size() >= m_limits.maxConnectionsPerRoom)
        return false;
    r.members.insert(session);
    r.lastActivity = QDateTime::currentMSecsSinceEpoch();
    session->rooms().insert(room);
    if (r.nextSeq - 1 <= seenSeq)
        return true; // nothing missed
    // Complete only if the buffer still starts at or before the first missed broadcast.
    if (r.buffer.empty() || r.buffer.front().seq > seenSeq + 1)
        *complete = false;
    for (const Buffered &b : r.buffer) {
        if (b.seq <= seenSeq)
            continue;
        const QByteArray &f = b.replayFrame;
        if (!budget.take(f.size())) {
            *complete = false; // the replay did not fit the burst: the client knows it missed some
            break;
        }
        frames->append(f);
    }
    return true;
}

void RoomService::sweep()
{
    const qint64 cutoff = QDateTime::currentMSecsSinceEpoch() - qint64(m_limits.retainSeconds) * 1000;
    for (auto it = m_rooms.begin(); it != m_rooms.end();) {
        if (it->members.isEmpty() && it->lastActivity < cutoff)
            it = eraseRoom(it);
        else
            ++it;
    }
}

} // namespace Switchboard::Server
