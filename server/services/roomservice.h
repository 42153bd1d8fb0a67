#pragma once

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <deque>
#include <functional>

#include "shared/protocol/result.h"

namespace Switchboard::Server {

class BurstBudget;

class Session;

// Ephemeral broadcast rooms (PROTOCOL.md section 7): never stored. Each room keeps a short,
// bounded buffer of its latest broadcasts with a per-room sequence number so that a connection
// that resumes within reconnection_ttl gets what it missed, and can be told honestly when the
// buffer no longer reaches back far enough.
class RoomService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RoomService)

public:
    using Reply = std::function<void(Result<QJsonObject>)>;

    struct Limits
    {
        int maxRoomsPerConnection = 10;
        int maxConnectionsPerRoom = 100;
        int retainSeconds = 300; // how long an idle room's buffer is kept (reconnection_ttl)
        // The replay buffers, kept encoded: per room and for all rooms together. The oldest
        // broadcasts go first (of the room, or of the whole server when the total is reached).
        qint64 bufferBytesPerRoom = 1024 * 1024;
        qint64 bufferBytesTotal = 64 * 1024 * 1024;
        // Rooms that exist at once (members or a kept buffer), in all and created per account
        // and per client address: a new room beyond them is refused with limit_exceeded.
        int maxRooms = 100000;
        int maxRoomsPerCreator = 100;
        int maxRoomsPerAddress = 1000;
    };
    static constexpr int kBufferSize = 256;

    RoomService(const Limits &limits, QObject *parent = nullptr);

    void join(Session *session, const QJsonObject &fields, Reply done);
    void leave(Session *session, const QJsonObject &fields, Reply done);
    void broadcast(Session *session, const QJsonObject &fields, Reply done);
    // Drops a closing connection from its rooms.
    void detach(Session *session);

    int roomCount() const { return int(m_rooms.size()); }
    // Bytes held by all replay buffers (for tests and metrics).
    qint64 bufferedBytes() const { return m_bufferedBytes; }
    // Latest broadcast sequence of a room (0 if none).
    quint64 lastSeq(const QString &room) const;
    // Rejoins `session` to `room` (reconnect) without the per-room limit check failing the whole
    // resume; returns false if the room is full. Appends missed broadcasts after `seenSeq` to
    // `frames`; *complete is false when the buffer no longer holds all of them.
    bool rejoin(Session *session, const QString &room, quint64 seenSeq, QList<QByteArray> *frames, bool *complete,
        BurstBudget &budget);

private:
    // A buffered broadcast, already encoded as its replay frame (`recovered: true`).
    struct Buffered
    {
        quint64 seq = 0;
        QByteArray replayFrame;
    };
    struct Room
    {
        QSet<Session *> members;
        std::deque<Buffered> buffer;
        qint64 bufferBytes = 0;
        quint64 nextSeq = 1;
        qint64 lastActivity = 0;
        qint64 creatorId = 0;
        QString creatorAddress;
    };
    static QByteArray frame(const QString &room, qint64 from, const QJsonValue &data, qint64 timestamp, bool recovered);
    // The room for a join, created if need be within the room limits.
    Result<Room *> roomForJoin(Session *session, const QString &name);
    void dropOldest(Room &room);
    void compactBufferOrder();
    QHash<QString, Room>::iterator eraseRoom(QHash<QString, Room>::iterator it);
    Result<QString> roomName(const QJsonObject &fields) const;
    void sweep();

    Limits m_limits;
    QHash<QString, Room> m_rooms;
    // Broadcasts of every buffer in the order they came, for dropping the server's oldest when
    // the total is reached (entries of broadcasts a room already dropped are skipped).
    std::deque<std::pair<QString, quint64>> m_bufferOrder;
    qint64 m_bufferedBytes = 0;
    qint64 m_bufferedCount = 0;
    QHash<qint64, int> m_roomsByCreator;
    QHash<QString, int> m_roomsByAddress;
    QTimer m_sweep;
};

} // namespace Switchboard::Server
