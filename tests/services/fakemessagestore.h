#pragma once

#include "server/storage/messagestore.h"
#include "tests/services/scriptedcall.h"

namespace Switchboard::Tests {

using namespace Switchboard::Server;

// Test double of MessageStore: every operation is a ScriptedCall the test scripts and inspects.
class FakeMessageStore final : public MessageStore
{
public:
    ScriptedCall<SessionOpening, qint64, int> openSessionCall;
    ScriptedCall<AppendResult, AppendRequest> appendMessageCall;
    ScriptedCall<HistoryPage, HistoryQuery> historyCall;
    ScriptedCall<QList<ConversationInfo>, qint64> conversationsCall;
    ScriptedCall<ConversationInfo, qint64, qint64> conversationCall;
    ScriptedCall<QList<qint64>, qint64, qint64> participantsCall;
    ScriptedCall<WatermarkResult, WatermarkUpdate> updateWatermarkCall;
    ScriptedCall<ConversationInfo, GroupCreate> createGroupCall;
    ScriptedCall<MembershipResult, MembershipChange> changeMembershipCall;

    void openSession(qint64 userId, int pendingLimit, StorageCallback<SessionOpening> done) override
    {
        openSessionCall(done, userId, pendingLimit);
    }
    void appendMessage(const AppendRequest &request, StorageCallback<AppendResult> done) override
    {
        appendMessageCall(done, request);
    }
    void history(const HistoryQuery &query, StorageCallback<HistoryPage> done) override { historyCall(done, query); }
    void conversations(qint64 userId, StorageCallback<QList<ConversationInfo>> done) override
    {
        conversationsCall(done, userId);
    }
    void conversation(qint64 userId, qint64 conversationId, StorageCallback<ConversationInfo> done) override
    {
        conversationCall(done, userId, conversationId);
    }
    void participants(qint64 userId, qint64 conversationId, StorageCallback<QList<qint64>> done) override
    {
        participantsCall(done, userId, conversationId);
    }
    void updateWatermark(const WatermarkUpdate &update, StorageCallback<WatermarkResult> done) override
    {
        updateWatermarkCall(done, update);
    }
    void createGroup(const GroupCreate &request, StorageCallback<ConversationInfo> done) override
    {
        createGroupCall(done, request);
    }
    void changeMembership(const MembershipChange &change, StorageCallback<MembershipResult> done) override
    {
        changeMembershipCall(done, change);
    }
};

} // namespace Switchboard::Tests
