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
    };
    static constexpr int kBufferSize = 256;

    RoomService(const Limits &limits, QObject *parent = nullptr);

    void join(Session *session, const QJsonObject &fields, Reply done);
    void leave(Session *session, const QJsonObject &fields, Reply done);
    void broadcast(Session *session, const QJsonObject &fields, Reply done);
    // Drops a closing connection from its rooms.
    void detach(Session *session);

    int roomCount() const { return int(m_rooms.size()); }
    // Latest broadcast sequence of a room (0 if none).
    quint64 lastSeq(const QString &room) const;
    // Rejoins `session` to `room` (reconnect) without the per-room limit check failing the whole
    // resume; returns false if the room is full. Appends missed broadcasts after `seenSeq` to
    // `frames`; *complete is false when the buffer no longer holds all of them.
    bool rejoin(Session *session, const QString &room, quint64 seenSeq, QList<QByteArray> *frames, bool *complete,
        BurstBudget &budget);

private:
    struct Broadcast
    {
        quint64 seq = 0;
        qint64 from = 0;
        QJsonValue data;
        qint64 timestamp = 0;
    };
    struct Room
    {
        QSet<Session *> members;
        std::deque<Broadcast> buffer;
        quint64 nextSeq = 1;
        qint64 lastActivity = 0;
    };
    static QByteArray frame(const QString &room, const Broadcast &b, bool recovered);
    Result<QString> roomName(const QJsonObject &fields) const;
    void sweep();

    Limits m_limits;
    QHash<QString, Room> m_rooms;
    QTimer m_sweep;
};

} // namespace Switchboard::Server
