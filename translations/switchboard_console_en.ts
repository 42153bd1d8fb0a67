<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>Switchboard::Console::AdminDashboard</name>
    <message>
        <source>Connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Users online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Uptime</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Storage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Activity, last 5 minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kick connection…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kick user (all connections)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n connection(s) closed.</source>
        <translation>
            <numerusform>%n connection closed.</numerusform>
            <numerusform>%n connections closed.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 d %2 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 authenticated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 received, %2 delivered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DOWN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kick</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close every connection of %1. Reason (shown to the client):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close this connection of %1. Reason (shown to the client):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kicked by an administrator</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::AgentListModel</name>
    <message>
        <source>online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>away</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2) — %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Agent</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::AgentWorkspace</name>
    <message>
        <source>Claim the oldest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Colleagues</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Direct</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n customer(s) waiting for an agent — the first for %1</source>
        <translation>
            <numerusform>%n customer waiting for an agent — for %1</numerusform>
            <numerusform>%n customers waiting for an agent — the first for %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ComposerWidget</name>
    <message>
        <source>Type a message — Enter sends, Shift+Enter adds a line</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConnectionListModel</name>
    <message>
        <source>(not signed in)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Client</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected since</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last activity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rooms</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConsoleApplication</name>
    <message>
        <source>Your session has expired. Please sign in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An administrator disconnected you: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server refused the session. Please sign in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No keychain is available on this system, so your password cannot be remembered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keychain could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server sent an unexpected answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This account is neither an agent nor an administrator.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot reach the server at %1 (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong username or password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No keychain is available on this system: your password was not remembered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keychain refused to store your password (%1); it was not remembered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New support chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is waiting for an agent.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Support chat assigned to you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New message from %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConversationItemDelegate</name>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New chat, no messages yet</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConversationListModel</name>
    <message>
        <source>Conversation %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConversationView</name>
    <message>
        <source>Select a conversation on the left.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Claim</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take this chat: the customer&apos;s messages come to you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close the chat with %1? The customer can open a new one later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● away</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>○ last seen %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>○ offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This chat is closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Topic: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for an agent since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Assigned to you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Assigned to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Group, %n member(s)</source>
        <translation>
            <numerusform>Group, %n member</numerusform>
            <numerusform>Group, %n members</numerusform>
        </translation>
    </message>
    <message>
        <source>Direct chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This chat is closed; nothing more can be sent.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Claim this chat to answer the customer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another agent holds this chat.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ErrorText</name>
    <message>
        <source>The server did not understand the request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are not signed in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong username or password, or the session has expired.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are not allowed to do this.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It does not exist (any more).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server refused the input: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too many requests. Try again in %1 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too many requests. Try again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A server limit was reached.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Someone else changed it first (another agent may hold this chat).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It is too large.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server did not answer in time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected to the server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server is temporarily unavailable. Try again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected server error.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::LoginDialog</name>
    <message>
        <source>Sign in — Switchboard Console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in to Switchboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use your agent or administrator account.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>http://host:port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The password is kept in the system keychain, never in a file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Username:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the server address, for example http://127.0.0.1:8080.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your username and password.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::MainWindow</name>
    <message>
        <source>Workspace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Administration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign &amp;out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconnect now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>● Connection lost — retrying in %n s</source>
        <translation>
            <numerusform>● Connection lost — retrying in %n s</numerusform>
            <numerusform>● Connection lost — retrying in %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>● Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) waiting to be sent</source>
        <translation>
            <numerusform>%n message waiting to be sent</numerusform>
            <numerusform>%n messages waiting to be sent</numerusform>
        </translation>
    </message>
    <message>
        <source>Signed in as %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>administrator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Switchboard Console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(%1 waiting) %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(%1) %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsent messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) have not reached the server yet and will be lost if you quit now. Quit anyway?</source>
        <translation>
            <numerusform>%n message has not reached the server yet and will be lost if you quit now. Quit anyway?</numerusform>
            <numerusform>%n messages have not reached the server yet and will be lost if you quit now. Quit anyway?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::MessageDelegate</name>
    <message>
        <source>[Image: %1]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[File: %1]</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::Notifier</name>
    <message>
        <source>Switchboard Console</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customers are waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n support chat(s) waiting for an agent.</source>
        <translation>
            <numerusform>%n support chat waiting for an agent.</numerusform>
            <numerusform>%n support chats waiting for an agent.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Switchboard Console — %n waiting</source>
        <translation>
            <numerusform>Switchboard Console — %n waiting</numerusform>
            <numerusform>Switchboard Console — %n waiting</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play a sound for new chats and messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show desktop notifications</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A new language applies the next time the console starts.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::StatsChart</name>
    <message>
        <source>Messages per second, last 5 minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>-%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for statistics…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::StatsHistoryModel</name>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Users online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages/s</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::TransferDialog</name>
    <message>
        <source>Transfer chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer the chat with %1 to:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No other agent is online right now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::UserDirectory</name>
    <message>
        <source>Customer #%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User #%1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
