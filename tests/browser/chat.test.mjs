// Two browser users chat: registration, search and contacts, a live message with unread count
// and delivered → read ticks, typing, presence, image and file with previews, history paging.
//
//   node tests/browser/chat.test.mjs build/server/switchboard-server

import { setUp, openClient, registerInUi, runScenario, uniqueName, http } from './lib/harness.mjs';
import { pngImage, textFile } from './lib/fixtures.mjs';

await runScenario('browser_chat', async (t) => {
  const env = await setUp(t);
  const base = env.server.url;
  const ann = { username: uniqueName('ann'), password: 'ann-password-1', displayName: 'Ann Archer' };
  const bob = { username: uniqueName('bob'), password: 'bob-password-1', displayName: 'Bob Baker' };

  const A = t.track(await openClient(env.browser, base, { name: 'ann' }));
  const B = t.track(await openClient(env.browser, base, { name: 'bob' }));

  await t.step('the page is served with a strict content security policy', async () => {
    const response = await A.page.request.get('/');
    const csp = response.headers()['content-security-policy'] || '';
    if (!csp.includes("default-src 'self'") || !response.headers()['x-content-type-options']) {
      throw new Error(`missing security headers: ${JSON.stringify(response.headers())}`);
    }
  });

  await t.step('both register in the browser', async () => {
    await registerInUi(A.page, ann);
    await registerInUi(B.page, bob);
  });

  await t.step('Ann finds Bob and adds him as a contact; Bob adds Ann', async () => {
    await A.page.fill('.search', 'Bob Bak');
    await A.page.click(`.search-result:has-text("${bob.displayName}") .add-contact`);
    await A.page.click('.sidebar .tab:has-text("Contacts")');
    await A.page.waitForSelector(`.contact:has-text("${bob.displayName}") .presence-dot.online`);
    await B.page.fill('.search', ann.username);
    await B.page.click(`.search-result:has-text("${ann.displayName}") .add-contact`);
    await B.page.fill('.search', '');
  });

  await t.step('Ann opens a chat with Bob and sends; Bob sees it live with an unread badge', async () => {
    await A.page.click(`.contact:has-text("${bob.displayName}")`);
    await A.page.waitForSelector('.chat-title:has-text("Bob Baker")');
    await A.page.waitForSelector('.chat-subtitle:has-text("online")');
    await A.page.fill('.composer-input', 'Hi Bob! Lunch at noon?');
    await A.page.press('.composer-input', 'Enter');
    await B.page.waitForSelector(`.conversation:has-text("${ann.displayName}") .unread:text-is("1")`);
    await B.page.waitForSelector('.conversation-preview:has-text("Lunch at noon")');
    // Bob's client acknowledged it (received): Ann's tick shows delivered.
    await A.page.waitForSelector('.msg.mine:has-text("Lunch at noon") .tick[data-state=delivered]');
  });

  await t.step('Bob opens the conversation: the badge goes away and Ann sees it read', async () => {
    await B.page.click(`.conversation:has-text("${ann.displayName}")`);
    await B.page.waitForSelector('.msg.theirs:has-text("Hi Bob! Lunch at noon?")');
    await B.page.waitForSelector(`.conversation:has-text("${ann.displayName}") .unread`, { state: 'detached' });
    await A.page.waitForSelector('.msg.mine:has-text("Lunch at noon") .tick[data-state=read]');
  });

  await t.step('Bob types: Ann sees the typing indicator; then his answer arrives live', async () => {
    await B.page.type('.composer-input', 'Sounds good');
    await A.page.waitForSelector('.chat-subtitle.typing:has-text("Bob Baker is typing")');
    await B.page.type('.composer-input', ', see you there!');
    await B.page.press('.composer-input', 'Enter');
    await A.page.waitForSelector('.msg.theirs:has-text("Sounds good, see you there!")');
    await A.page.waitForSelector('.chat-subtitle.typing', { state: 'detached' });
    await B.page.waitForSelector('.msg.mine:has-text("see you there") .tick[data-state=read]');
  });

  await t.step('Ann sends a photo with a caption: preview first, then Bob sees the image', async () => {
    await A.page.setInputFiles('.file-input', { name: 'lunch.png', mimeType: 'image/png', buffer: pngImage() });
    await A.page.waitForSelector('.attachment-tray .tray-thumb[src^="blob:"]');
    await A.page.fill('.composer-input', 'The menu');
    await A.page.click('.composer .send');
    await A.page.waitForSelector('.msg.mine.type-image .tick[data-state=read]');
    const img = await B.page.waitForSelector('.msg.theirs.type-image img.attachment-image[src*="/api/v1/files/"]');
    await B.page.waitForFunction((el) => el.complete && el.naturalWidth === 240, img);
    await B.page.waitForSelector('.msg.theirs.type-image:has-text("The menu")');
  });

  await t.step('Bob sends a file: Ann gets a download card', async () => {
    await B.page.setInputFiles('.file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: textFile('bring cash\n') });
    await B.page.waitForSelector('.attachment-tray .tray-item:has-text("notes.txt")');
    await B.page.click('.composer .send');
    const link = await A.page.waitForSelector('.msg.theirs.type-file a.file-card:has-text("notes.txt")');
    const href = await link.getAttribute('href');
    const body = await A.page.evaluate((url) => fetch(url).then((r) => r.text()), href);
    if (body !== 'bring cash\n') throw new Error(`downloaded file differs: ${JSON.stringify(body)}`);
  });

  await t.step('history pages: 120 older messages, scrolling up loads them', async () => {
    const token = await A.page.evaluate(() => JSON.parse(localStorage.getItem('sb.session')).token);
    const cid = Number(await A.page.getAttribute('.conversation.active', 'data-conversation-id'));
    for (let i = 1; i <= 120; i++) {
      await http(base, 'POST', `/api/v1/conversations/${cid}/messages`, {
        token,
        body: { content: `history ${i}`, message_type: 'text', client_msg_id: `h${i}` },
      });
    }
    await B.page.waitForSelector('.msg.theirs .text:text-is("history 120")');
    // A fresh page load shows the newest 50; older ones come page by page on scrolling up.
    await B.page.reload();
    await B.page.waitForSelector('.my-status[data-state=online]');
    await B.page.click(`.conversation:has-text("${ann.displayName}")`);
    await B.page.waitForSelector('.msg:has-text("history 120")');
    const shown = await B.page.locator('.msg[data-seq]').count();
    if (shown !== 50) throw new Error(`expected the newest 50 messages, got ${shown}`);
    await B.page.waitForSelector('.load-older:visible');
    for (let i = 0; i < 10 && !(await B.page.locator('.msg:has-text("Hi Bob! Lunch")').count()); i++) {
      const before = await B.page.locator('.msg[data-seq]').count();
      await B.page.evaluate(() => (document.querySelector('.messages').scrollTop = 0));
      await B.page.waitForFunction((n) => document.querySelectorAll('.msg[data-seq]').length > n, before);
    }
    await B.page.waitForSelector('.msg:has-text("Hi Bob! Lunch at noon?")');
    await B.page.waitForSelector('.load-older', { state: 'hidden' });
    const seqs = await B.page.$$eval('.msg[data-seq]', (els) => els.map((e) => Number(e.dataset.seq)));
    const unique = new Set(seqs);
    if (unique.size !== seqs.length || seqs.some((s, i) => i && s <= seqs[i - 1])) {
      throw new Error(`messages not unique and ascending: ${seqs.join(',')}`);
    }
  });

  await t.step('Bob leaves: Ann sees him go offline', async () => {
    await B.context.close();
    await A.page.waitForSelector('.chat-subtitle:has-text("last seen")');
  });
});
