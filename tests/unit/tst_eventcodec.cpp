#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "shared/protocol/frametypes.h"
#include "shared/protocol/jsoncodec.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;

// Every event frame against its golden JSON in tests/data/protocol, both ways: what the server
// encodes is the file, and what the client library decodes from the file is the value. Decoding
// refuses frames without their required fields.
class TstEventCodec : public QObject
{
    Q_OBJECT

    static QJsonObject golden(const QString &name)
    {
        QFile file(QStringLiteral(SB_TEST_DATA_DIR "/protocol/") + name);
        if (!file.open(QIODevice::ReadOnly))
            qFatal("missing golden file %s", qPrintable(name));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            qFatal("golden file %s is not a JSON object", qPrintable(name));
        return doc.object();
    }

    static ChatMessage hello()
    {
        ChatMessage m;
        m.id = 981;
        m.conversationId = 44;
        m.seq = 17;
        m.senderId = 13;
        m.type = u"text"_s;
        m.content = u"hello"_s;
        m.createdAt = 1763900000456;
        return m;
    }

    // The frame without `key`, or with `key` replaced.
    static QJsonObject without(QJsonObject frame, const QString &key)
    {
        frame.remove(key);
        return frame;
    }
    static QJsonObject with(QJsonObject frame, const QString &key, const QJsonValue &value)
    {
        frame.insert(key, value);
        return frame;
    }

private slots:
    void receipt()
    {
        const QJsonObject json = golden(u"event_receipt.json"_s);
        QCOMPARE(JsonCodec::encode(ReceiptEvent {44, 13, u"read"_s, 17}), json);
        const auto e = JsonCodec::decodeReceipt(json);
        QVERIFY(e.ok());
        QCOMPARE(e->conversationId, 44);
        QCOMPARE(e->userId, 13);
        QCOMPARE(e->kind, u"read"_s);
        QCOMPARE(e->seq, 17);
        QVERIFY(!JsonCodec::decodeReceipt(without(json, u"seq"_s)).ok());
        QVERIFY(!JsonCodec::decodeReceipt(with(json, u"kind"_s, u"seen"_s)).ok());
        QVERIFY(!JsonCodec::decodeReceipt(with(json, u"user_id"_s, u"13"_s)).ok());
        QVERIFY(!JsonCodec::decodeReceipt(with(json, u"seq"_s, 1.5)).ok());
    }

    void typing()
    {
        const QJsonObject json = golden(u"event_typing.json"_s);
        QCOMPARE(JsonCodec::encode(TypingEvent {44, 12}), json);
        const auto e = JsonCodec::decodeTyping(json);
        QVERIFY(e.ok());
        QCOMPARE(e->conversationId, 44);
        QCOMPARE(e->userId, 12);
        QVERIFY(!JsonCodec::decodeTyping(without(json, u"conversation_id"_s)).ok());
    }

    void presence()
    {
        const QJsonObject json = golden(u"event_presence.json"_s);
        QCOMPARE(JsonCodec::encode(PresenceEvent {12, u"away"_s, 1763900000456}), json);
        const auto e = JsonCodec::decodePresence(json);
        QVERIFY(e.ok());
        QCOMPARE(e->userId, 12);
        QCOMPARE(e->status, u"away"_s);
        QCOMPARE(e->lastSeenAt, 1763900000456);
        QVERIFY(!JsonCodec::decodePresence(without(json, u"status"_s)).ok());
        QVERIFY(!JsonCodec::decodePresence(with(json, u"last_seen_at"_s, u"yesterday"_s)).ok());
    }

    void syncComplete()
    {
        const QJsonObject json = golden(u"event_sync_complete.json"_s);
        QCOMPARE(JsonCodec::encode(SyncCompleteEvent {50, true}), json);
        const auto e = JsonCodec::decodeSyncComplete(json);
        QVERIFY(e.ok());
        QCOMPARE(e->count, 50);
        QVERIFY(e->hasMore);
        QVERIFY(!JsonCodec::decodeSyncComplete(without(json, u"count"_s)).ok());
    }

    void roomMessage()
    {
        const QJsonObject json = golden(u"event_room_message.json"_s);
        const QJsonValue data = json.value(u"data"_s);
        QCOMPARE(JsonCodec::encode(RoomMessageEvent {u"lobby"_s, 12, data, 1763900000456, true}), json);
        // A live broadcast carries no `recovered` at all.
        QVERIFY(!JsonCodec::encode(RoomMessageEvent {u"lobby"_s, 12, data, 1, false}).contains(u"recovered"_s));
        const auto e = JsonCodec::decodeRoomMessage(json);
        QVERIFY(e.ok());
        QCOMPARE(e->room, u"lobby"_s);
        QCOMPARE(e->from, 12);
        QCOMPARE(e->data, data);
        QCOMPARE(e->timestamp, 1763900000456);
        QVERIFY(e->recovered);
        QVERIFY(!JsonCodec::decodeRoomMessage(without(json, u"room"_s)).ok());
    }

    void supportUpdate()
    {
        const QJsonObject json = golden(u"event_support_update.json"_s);
        ConversationInfo c;
        c.id = 44;
        c.type = u"private"_s;
        c.participants = {12, 13};
        c.lastSeq = 17;
        c.readSeq = 15;
        c.deliveredSeq = 16;
        c.unread = 2;
        c.lastMessage = hello();
        QCOMPARE(JsonCodec::encode(SupportUpdateEvent {c}), json);
        const auto e = JsonCodec::decodeSupportUpdate(json);
        QVERIFY(e.ok());
        QCOMPARE(e->conversation.id, 44);
        QCOMPARE(e->conversation.participants, QList<qint64>({12, 13}));
        QVERIFY(e->conversation.lastMessage.has_value());
        QVERIFY(!JsonCodec::decodeSupportUpdate(without(json, u"conversation"_s)).ok());
    }

    void stats()
    {
        const QJsonObject json = golden(u"event_stats.json"_s);
        const auto s = JsonCodec::decodeStats(json);
        QVERIFY(s.ok());
        QCOMPARE(JsonCodec::encodeStatsEvent(s.value()), json);
    }

    void offlineNewMessage()
    {
        const QJsonObject json = golden(u"event_new_message_offline.json"_s);
        QCOMPARE(JsonCodec::encodeNewMessage(hello(), true), json);
        // The live frame has no `offline`, and the hot-path writer produces exactly it.
        const QJsonObject live = JsonCodec::encodeNewMessage(hello(), false);
        QVERIFY(!live.contains(u"offline"_s));
        QCOMPARE(QJsonDocument::fromJson(JsonCodec::serializeNewMessage(hello())).object(), live);
    }

    void typesAreTheWireNames()
    {
        QCOMPARE(QString(EventType::SupportUpdate), u"support_update"_s);
        QCOMPARE(QString(EventType::SyncComplete), u"sync_complete"_s);
        QCOMPARE(QString(RequestType::PresenceQuery), u"presence_query"_s);
        QCOMPARE(QString(RequestType::AdminKick), u"admin_kick"_s);
    }
};

QTEST_GUILESS_MAIN(TstEventCodec)
#include "tst_eventcodec.moc"
