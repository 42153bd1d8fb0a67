// A guest on a phone-sized screen opens a support chat and gets an agent's answer. The agent is
// an account made with `switchboard-server --create-user NAME --role agent` (password on stdin)
// and speaks raw WebSocket JSON from this test: support_claim, typing, message, read.
//
//   node tests/browser/support.test.mjs build/server/switchboard-server

import { setUp, openClient, runScenario, waitOnline, http, RawClient } from './lib/harness.mjs';
import { pngImage } from './lib/fixtures.mjs';

const PHONE = { width: 390, height: 844 };

await runScenario('browser_support', async (t) => {
  const agentAccount = { username: 'agent.alice', password: 'agent-password-1', role: 'agent' };
  const env = await setUp(t, { agents: [agentAccount] });
  const base = env.server.url;

  const G = t.track(await openClient(env.browser, base, { name: 'guest', viewport: PHONE }));
  let agent;
  t.defer(() => agent?.close());

  await t.step('the agent signs in over raw WebSocket', async () => {
    const login = await http(base, 'POST', '/api/v1/auth/login', {
      body: { username: agentAccount.username, password: agentAccount.password },
    });
    if (login.user.role !== 'agent') throw new Error(`expected role agent, got ${login.user.role}`);
    agent = await RawClient.connect(base, login.token);
  });

  await t.step('a visitor continues as a guest on a phone-sized screen', async () => {
    await G.page.fill('.guest-form input', 'Gina Guest');
    await G.page.click('.guest-form button[type=submit]');
    await waitOnline(G.page);
    await G.page.waitForSelector('.me-name:has-text("Gina Guest")');
    // Guests have no people search; support is the way in.
    if (await G.page.locator('.search').count()) throw new Error('guests should not see the people search');
  });

  let cid;
  await t.step('"Contact support" opens a support chat (one pane at a time on a phone)', async () => {
    await G.page.click('.support-button');
    await G.page.waitForSelector('.chat-title:has-text("Support")');
    await G.page.waitForSelector('.sidebar', { state: 'hidden' });
    await G.page.waitForSelector('.chat .back:visible');
    await G.page.fill('.composer-input', 'Hello, my parcel has not arrived');
    await G.page.press('.composer-input', 'Enter');
    await G.page.waitForSelector('.msg.mine:has-text("my parcel") .tick[data-state=sent]');
    const update = await agent.waitForEvent((e) => e.type === 'support_update' && e.conversation?.status === 'open', 'support_update');
    cid = update.conversation.id;
  });

  await t.step('the agent claims it, reads the question, types and answers', async () => {
    await agent.request('support_claim', { conversation_id: cid });
    const history = await agent.request('history', { conversation_id: cid });
    const question = history.messages.find((m) => m.content === 'Hello, my parcel has not arrived');
    if (!question) throw new Error(`agent cannot see the question: ${JSON.stringify(history)}`);
    await agent.request('read', { conversation_id: cid, seq: question.seq });
    await G.page.waitForSelector('.msg.mine:has-text("my parcel") .tick[data-state=read]');
    await agent.request('typing', { conversation_id: cid });
    await G.page.waitForSelector('.chat-subtitle.typing:has-text("Support agent is typing")');
    await agent.request('message', {
      conversation_id: cid,
      content: 'Sorry about that! Could you send a photo of your receipt?',
      message_type: 'text',
      client_msg_id: 'agent-1',
    });
    await G.page.waitForSelector('.msg.theirs:has-text("Could you send a photo of your receipt?") .sender:has-text("Support agent")');
    await G.page.waitForSelector('.chat-subtitle.typing', { state: 'detached' });
  });

  await t.step('the guest answers with a photo; the agent can download it through its signed url', async () => {
    await G.page.setInputFiles('.file-input', { name: 'receipt.png', mimeType: 'image/png', buffer: pngImage(120, 200) });
    await G.page.waitForSelector('.attachment-tray .tray-thumb[src^="blob:"]');
    await G.page.click('.composer .send');
    const event = await agent.waitForEvent(
      (e) => e.type === 'new_message' && e.message.conversation_id === cid && e.message.type === 'image',
      'the photo at the agent',
    );
    const response = await fetch(base + event.message.attachment.url);
    if (response.status !== 200 || response.headers.get('content-type') !== 'image/png') {
      throw new Error(`photo download: ${response.status} ${response.headers.get('content-type')}`);
    }
    await agent.request('read', { conversation_id: cid, seq: event.message.seq });
    await G.page.waitForSelector('.msg.mine.type-image .tick[data-state=read]');
  });

  await t.step('back to the list on the phone: the support chat is there, nothing unread', async () => {
    await G.page.click('.chat .back');
    await G.page.waitForSelector('.sidebar:visible');
    await G.page.waitForSelector(`.conversation[data-conversation-id="${cid}"]:has-text("Support")`);
    if (await G.page.locator(`.conversation[data-conversation-id="${cid}"] .unread`).count()) {
      throw new Error('the answer was read on screen, yet the list shows it unread');
    }
  });
});
