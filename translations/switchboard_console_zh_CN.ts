<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Switchboard::Console::AdminDashboard</name>
    <message>
        <source>Connections</source>
        <translation>连接数</translation>
    </message>
    <message>
        <source>Users online</source>
        <translation>在线用户</translation>
    </message>
    <message>
        <source>Messages/s</source>
        <translation>消息/秒</translation>
    </message>
    <message>
        <source>Uptime</source>
        <translation>运行时间</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Storage</source>
        <translation>存储</translation>
    </message>
    <message>
        <source>Activity, last 5 minutes</source>
        <translation>活动（最近 5 分钟）</translation>
    </message>
    <message>
        <source>Live connections</source>
        <translation>实时连接</translation>
    </message>
    <message>
        <source>Kick connection…</source>
        <translation>断开此连接…</translation>
    </message>
    <message>
        <source>Kick user (all connections)…</source>
        <translation>踢出用户（所有连接）…</translation>
    </message>
    <message numerus="yes">
        <source>%n connection(s) closed.</source>
        <translation>
            <numerusform>已关闭 %n 个连接。</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 d %2 h</source>
        <translation>%1 天 %2 小时</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 authenticated</source>
        <translation>已认证 %1 个</translation>
    </message>
    <message>
        <source>%1 received, %2 delivered</source>
        <translation>已接收 %1 条，已投递 %2 条</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>DOWN</source>
        <translation>不可用</translation>
    </message>
    <message>
        <source>Kick</source>
        <translation>踢出</translation>
    </message>
    <message>
        <source>Close every connection of %1. Reason (shown to the client):</source>
        <translation>关闭 %1 的所有连接。原因（将显示给客户端）：</translation>
    </message>
    <message>
        <source>Close this connection of %1. Reason (shown to the client):</source>
        <translation>关闭 %1 的这个连接。原因（将显示给客户端）：</translation>
    </message>
    <message>
        <source>Kicked by an administrator</source>
        <translation>已被管理员断开</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::AgentListModel</name>
    <message>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>away</source>
        <translation>离开</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>%1 (%2) — %3</source>
        <translation>%1（%2）— %3</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>客服</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::AgentWorkspace</name>
    <message>
        <source>Claim the oldest</source>
        <translation>接待最早的</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>待分配</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>我的</translation>
    </message>
    <message>
        <source>Colleagues</source>
        <translation>同事</translation>
    </message>
    <message>
        <source>Direct</source>
        <translation>私聊</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message numerus="yes">
        <source>%n customer(s) waiting for an agent — the first for %1</source>
        <translation>
            <numerusform>%n 位客户正在等待客服 — 最早的已等待 %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ComposerWidget</name>
    <message>
        <source>Type a message — Enter sends, Shift+Enter adds a line</source>
        <translation>输入消息 — Enter 发送，Shift+Enter 换行</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConnectionListModel</name>
    <message>
        <source>(not signed in)</source>
        <translation>（未登录）</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <source>Connected since</source>
        <translation>连接时间</translation>
    </message>
    <message>
        <source>Last activity</source>
        <translation>最近活动</translation>
    </message>
    <message>
        <source>Rooms</source>
        <translation>房间</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConsoleApplication</name>
    <message>
        <source>Your session has expired. Please sign in again.</source>
        <translation>会话已过期，请重新登录。</translation>
    </message>
    <message>
        <source>An administrator disconnected you: %1</source>
        <translation>管理员断开了你的连接：%1</translation>
    </message>
    <message>
        <source>The server refused the session. Please sign in again.</source>
        <translation>服务器拒绝了此会话，请重新登录。</translation>
    </message>
    <message>
        <source>No keychain is available on this system, so your password cannot be remembered.</source>
        <translation>此系统上没有可用的密钥环，因此无法记住密码。</translation>
    </message>
    <message>
        <source>The keychain could not be read: %1</source>
        <translation>无法读取密钥环：%1</translation>
    </message>
    <message>
        <source>The server sent an unexpected answer.</source>
        <translation>服务器返回了意外的响应。</translation>
    </message>
    <message>
        <source>This account is neither an agent nor an administrator.</source>
        <translation>此账号既不是客服也不是管理员。</translation>
    </message>
    <message>
        <source>Cannot reach the server at %1 (%2).</source>
        <translation>无法连接到服务器 %1（%2）。</translation>
    </message>
    <message>
        <source>Wrong username or password.</source>
        <translation>用户名或密码错误。</translation>
    </message>
    <message>
        <source>No keychain is available on this system: your password was not remembered.</source>
        <translation>此系统上没有可用的密钥环：密码未被记住。</translation>
    </message>
    <message>
        <source>The keychain refused to store your password (%1); it was not remembered.</source>
        <translation>密钥环拒绝保存密码（%1），密码未被记住。</translation>
    </message>
    <message>
        <source>New support chat</source>
        <translation>新的客服会话</translation>
    </message>
    <message>
        <source>%1 is waiting for an agent.</source>
        <translation>%1 正在等待客服。</translation>
    </message>
    <message>
        <source>Support chat assigned to you</source>
        <translation>有客服会话分配给你</translation>
    </message>
    <message>
        <source>New message from %1</source>
        <translation>来自 %1 的新消息</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConversationItemDelegate</name>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>waiting %1</source>
        <translation>已等待 %1</translation>
    </message>
    <message>
        <source>typing…</source>
        <translation>正在输入…</translation>
    </message>
    <message>
        <source>New chat, no messages yet</source>
        <translation>新会话，尚无消息</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConversationListModel</name>
    <message>
        <source>Conversation %1</source>
        <translation>会话 %1</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ConversationView</name>
    <message>
        <source>Select a conversation on the left.</source>
        <translation>请在左侧选择一个会话。</translation>
    </message>
    <message>
        <source>Claim</source>
        <translation>接待</translation>
    </message>
    <message>
        <source>Take this chat: the customer&apos;s messages come to you.</source>
        <translation>接待此会话：客户的消息将发送给你。</translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation>转接…</translation>
    </message>
    <message>
        <source>Close chat</source>
        <translation>结束会话</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Close the chat with %1? The customer can open a new one later.</source>
        <translation>要结束与 %1 的会话吗？客户之后可以发起新的会话。</translation>
    </message>
    <message>
        <source>● online</source>
        <translation>● 在线</translation>
    </message>
    <message>
        <source>● away</source>
        <translation>● 离开</translation>
    </message>
    <message>
        <source>○ last seen %1</source>
        <translation>○ 最后在线 %1</translation>
    </message>
    <message>
        <source>○ offline</source>
        <translation>○ 离线</translation>
    </message>
    <message>
        <source>This chat is closed.</source>
        <translation>此会话已结束。</translation>
    </message>
    <message>
        <source>Topic: %1</source>
        <translation>主题：%1</translation>
    </message>
    <message>
        <source>Waiting for an agent since %1</source>
        <translation>已等待客服 %1</translation>
    </message>
    <message>
        <source>Assigned to you</source>
        <translation>已分配给你</translation>
    </message>
    <message>
        <source>Assigned to %1</source>
        <translation>已分配给 %1</translation>
    </message>
    <message numerus="yes">
        <source>Group, %n member(s)</source>
        <translation>
            <numerusform>群组，%n 名成员</numerusform>
        </translation>
    </message>
    <message>
        <source>Direct chat</source>
        <translation>私聊</translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 正在输入…</translation>
    </message>
    <message>
        <source>This chat is closed; nothing more can be sent.</source>
        <translation>此会话已结束，无法再发送消息。</translation>
    </message>
    <message>
        <source>Claim this chat to answer the customer.</source>
        <translation>接待此会话后即可回复客户。</translation>
    </message>
    <message>
        <source>Another agent holds this chat.</source>
        <translation>此会话由其他客服接待。</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::ErrorText</name>
    <message>
        <source>The server did not understand the request.</source>
        <translation>服务器无法理解此请求。</translation>
    </message>
    <message>
        <source>You are not signed in.</source>
        <translation>你尚未登录。</translation>
    </message>
    <message>
        <source>Wrong username or password, or the session has expired.</source>
        <translation>用户名或密码错误，或会话已过期。</translation>
    </message>
    <message>
        <source>You are not allowed to do this.</source>
        <translation>你无权执行此操作。</translation>
    </message>
    <message>
        <source>It does not exist (any more).</source>
        <translation>对象不存在（或已被删除）。</translation>
    </message>
    <message>
        <source>The server refused the input: %1</source>
        <translation>服务器拒绝了输入：%1</translation>
    </message>
    <message>
        <source>Too many requests. Try again in %1 s.</source>
        <translation>请求过于频繁，请在 %1 秒后重试。</translation>
    </message>
    <message>
        <source>Too many requests. Try again later.</source>
        <translation>请求过于频繁，请稍后重试。</translation>
    </message>
    <message>
        <source>A server limit was reached.</source>
        <translation>已达到服务器限制。</translation>
    </message>
    <message>
        <source>Someone else changed it first (another agent may hold this chat).</source>
        <translation>已被他人抢先修改（可能已有其他客服接待此会话）。</translation>
    </message>
    <message>
        <source>It is too large.</source>
        <translation>内容过大。</translation>
    </message>
    <message>
        <source>The server did not answer in time.</source>
        <translation>服务器响应超时。</translation>
    </message>
    <message>
        <source>Not connected to the server.</source>
        <translation>未连接到服务器。</translation>
    </message>
    <message>
        <source>The server is temporarily unavailable. Try again later.</source>
        <translation>服务器暂时不可用，请稍后重试。</translation>
    </message>
    <message>
        <source>Unexpected server error.</source>
        <translation>服务器发生意外错误。</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::LoginDialog</name>
    <message>
        <source>Sign in — Switchboard Console</source>
        <translation>登录 — Switchboard 控制台</translation>
    </message>
    <message>
        <source>Sign in to Switchboard</source>
        <translation>登录 Switchboard</translation>
    </message>
    <message>
        <source>Use your agent or administrator account.</source>
        <translation>请使用客服或管理员账号。</translation>
    </message>
    <message>
        <source>http://host:port</source>
        <translation>http://主机:端口</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>在此电脑上记住我</translation>
    </message>
    <message>
        <source>The password is kept in the system keychain, never in a file.</source>
        <translation>密码保存在系统密钥环中，绝不会写入文件。</translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation>服务器(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Username:</source>
        <translation>用户名(&amp;U)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>Enter the server address, for example http://127.0.0.1:8080.</source>
        <translation>请输入服务器地址，例如 http://127.0.0.1:8080。</translation>
    </message>
    <message>
        <source>Enter your username and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::MainWindow</name>
    <message>
        <source>Workspace</source>
        <translation>工作台</translation>
    </message>
    <message>
        <source>Administration</source>
        <translation>管理</translation>
    </message>
    <message>
        <source>&amp;Console</source>
        <translation>控制台(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>Sign &amp;out</source>
        <translation>退出登录(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Reconnect now</source>
        <translation>立即重连</translation>
    </message>
    <message>
        <source>● Online</source>
        <translation>● 在线</translation>
    </message>
    <message>
        <source>● Reconnecting…</source>
        <translation>● 正在重新连接…</translation>
    </message>
    <message>
        <source>● Connecting…</source>
        <translation>● 正在连接…</translation>
    </message>
    <message numerus="yes">
        <source>● Connection lost — retrying in %n s</source>
        <translation>
            <numerusform>● 连接已断开 — %n 秒后重试</numerusform>
        </translation>
    </message>
    <message>
        <source>● Offline</source>
        <translation>● 离线</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) waiting to be sent</source>
        <translation>
            <numerusform>%n 条消息等待发送</numerusform>
        </translation>
    </message>
    <message>
        <source>Signed in as %1 (%2)</source>
        <translation>已登录：%1（%2）</translation>
    </message>
    <message>
        <source>administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>agent</source>
        <translation>客服</translation>
    </message>
    <message>
        <source>Switchboard Console</source>
        <translation>Switchboard 控制台</translation>
    </message>
    <message>
        <source>(%1 waiting) %2</source>
        <translation>（%1 位等待中）%2</translation>
    </message>
    <message>
        <source>(%1) %2</source>
        <translation>（%1）%2</translation>
    </message>
    <message>
        <source>Unsent messages</source>
        <translation>未发送的消息</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) have not reached the server yet and will be lost if you quit now. Quit anyway?</source>
        <translation>
            <numerusform>还有 %n 条消息尚未送达服务器，现在退出将会丢失。仍要退出吗？</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::MessageDelegate</name>
    <message>
        <source>[Image: %1]</source>
        <translation>[图片：%1]</translation>
    </message>
    <message>
        <source>[File: %1]</source>
        <translation>[文件：%1]</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::Notifier</name>
    <message>
        <source>Switchboard Console</source>
        <translation>Switchboard 控制台</translation>
    </message>
    <message>
        <source>Customers are waiting</source>
        <translation>有客户正在等待</translation>
    </message>
    <message numerus="yes">
        <source>%n support chat(s) waiting for an agent.</source>
        <translation>
            <numerusform>%n 个客服会话正在等待客服。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Switchboard Console — %n waiting</source>
        <translation>
            <numerusform>Switchboard 控制台 — %n 个等待中</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>Play a sound for new chats and messages</source>
        <translation>新会话和新消息时播放提示音</translation>
    </message>
    <message>
        <source>Show desktop notifications</source>
        <translation>显示桌面通知</translation>
    </message>
    <message>
        <source>A new language applies the next time the console starts.</source>
        <translation>新的语言将在下次启动控制台时生效。</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::StatsChart</name>
    <message>
        <source>Messages per second, last 5 minutes</source>
        <translation>每秒消息数（最近 5 分钟）</translation>
    </message>
    <message>
        <source>now</source>
        <translation>现在</translation>
    </message>
    <message>
        <source>-%1 min</source>
        <translation>-%1 分钟</translation>
    </message>
    <message>
        <source>Messages/s</source>
        <translation>消息/秒</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>连接数</translation>
    </message>
    <message>
        <source>Waiting for statistics…</source>
        <translation>正在等待统计数据…</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::StatsHistoryModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>连接数</translation>
    </message>
    <message>
        <source>Users online</source>
        <translation>在线用户</translation>
    </message>
    <message>
        <source>Messages/s</source>
        <translation>消息/秒</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::TransferDialog</name>
    <message>
        <source>Transfer chat</source>
        <translation>转接会话</translation>
    </message>
    <message>
        <source>Transfer the chat with %1 to:</source>
        <translation>将与 %1 的会话转接给：</translation>
    </message>
    <message>
        <source>No other agent is online right now.</source>
        <translation>当前没有其他在线客服。</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>转接</translation>
    </message>
</context>
<context>
    <name>Switchboard::Console::UserDirectory</name>
    <message>
        <source>Customer #%1</source>
        <translation>客户 #%1</translation>
    </message>
    <message>
        <source>User #%1</source>
        <translation>用户 #%1</translation>
    </message>
</context>
</TS>
