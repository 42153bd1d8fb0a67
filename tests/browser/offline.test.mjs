// Nothing is missed across network drops:
//  1. the browser goes offline (context.setOffline): the client drops the socket, comes back by
//     itself with `reconnect` (same session), gets what was sent meanwhile, once, and acknowledges;
//  2. the server restarts (a drop the browser does not notice as "offline"): both clients back
//     off and reconnect; the resume token is gone with the old process, so they fall back to
//     `auth`; a message typed while disconnected waits in the outbox and is delivered exactly once;
//  3. the page is closed and opened again: it signs in from storage and shows the unread ones.
//
//   node tests/browser/offline.test.mjs build/server/switchboard-server

import { setUp, openClient, registerInUi, runScenario, uniqueName, startServer, waitOnline, watchPage } from './lib/harness.mjs';

async function messageTexts(page) {
  return page.$$eval('.msg[data-seq] .text', (els) => els.map((e) => e.textContent));
}

async function expectOnce(page, texts) {
  const all = await messageTexts(page);
  for (const text of texts) {
    const n = all.filter((x) => x === text).length;
    if (n !== 1) throw new Error(`"${text}" shown ${n} times; messages: ${JSON.stringify(all)}`);
  }
  const ids = await page.$$eval('.msg[data-id]', (els) => els.map((e) => e.dataset.id));
  if (new Set(ids).size !== ids.length) throw new Error(`duplicate message ids in the DOM: ${ids.join(',')}`);
}

await runScenario('browser_offline', async (t) => {
  const env = await setUp(t);
  const base = env.server.url;
  const ann = { username: uniqueName('ann'), password: 'ann-password-1', displayName: 'Ann Archer' };
  const bob = { username: uniqueName('bob'), password: 'bob-password-1', displayName: 'Bob Baker' };
  const A = t.track(await openClient(env.browser, base, { name: 'ann' }));
  const B = t.track(await openClient(env.browser, base, { name: 'bob' }));

  await t.step('Ann and Bob are chatting', async () => {
    await registerInUi(A.page, ann);
    await registerInUi(B.page, bob);
    await B.page.fill('.search', ann.username);
    await B.page.click(`.search-result:has-text("${ann.displayName}") .add-contact`);
    await B.page.fill('.search', '');
    await B.page.click('.sidebar .tab:has-text("Contacts")');
    await B.page.click(`.contact:has-text("${ann.displayName}")`);
    await B.page.fill('.composer-input', 'Are you there?');
    await B.page.press('.composer-input', 'Enter');
    await A.page.click('.conversation:has-text("Are you there?")');
    await A.page.waitForSelector('.msg.theirs:has-text("Are you there?")');
    await B.page.waitForSelector('.msg.mine .tick[data-state=read]');
  });

  const sessionBefore = await B.page.evaluate(() => window.switchboard.conn.sessionId);

  await t.step('Bob loses the network: his client says so, Ann sees him offline', async () => {
    await B.context.setOffline(true);
    await B.page.waitForSelector('.conn-banner[data-state=offline]:visible');
    await A.page.waitForSelector('.chat-subtitle:has-text("last seen")');
  });

  const missed = ['First while you were away', 'Second one', 'Third and last'];
  await t.step('Ann sends three messages meanwhile: stored, not delivered', async () => {
    for (const text of missed) {
      await A.page.fill('.composer-input', text);
      await A.page.press('.composer-input', 'Enter');
      await A.page.waitForSelector(`.msg.mine:has-text("${text}") .tick[data-state=sent]`);
    }
  });

  await t.step('Bob is back: same session resumed, all three shown once, Ann sees them read', async () => {
    await B.context.setOffline(false);
    await waitOnline(B.page);
    for (const text of missed) await B.page.waitForSelector(`.msg.theirs:has-text("${text}")`);
    await expectOnce(B.page, missed);
    const sessionAfter = await B.page.evaluate(() => window.switchboard.conn.sessionId);
    if (sessionAfter !== sessionBefore) throw new Error(`session not resumed: ${sessionBefore} → ${sessionAfter}`);
    for (const text of missed) await A.page.waitForSelector(`.msg.mine:has-text("${text}") .tick[data-state=read]`);
    await A.page.waitForSelector('.chat-subtitle:has-text("online")');
  });

  await t.step('the server restarts: both clients notice and wait to reconnect', async () => {
    const port = env.server.port;
    await env.server.stop();
    await A.page.waitForSelector('.conn-banner[data-state=waiting]:visible');
    await B.page.waitForSelector('.conn-banner[data-state=waiting]:visible');
    // Typed while disconnected: kept in the outbox (clock tick) until the server is back.
    await A.page.fill('.composer-input', 'Typed while the server was down');
    await A.page.press('.composer-input', 'Enter');
    await A.page.waitForSelector('.msg.mine.pending:has-text("Typed while the server was down") .tick[data-state=pending]');
    env.server = await startServer(env.binary, env.database, port);
  });

  await t.step('after the restart both are back by themselves; the waiting message arrives once', async () => {
    // Nobody presses "Retry now": the clients come back on their own backoff schedule.
    await waitOnline(A.page);
    await waitOnline(B.page);
    await B.page.waitForSelector('.msg.theirs:has-text("Typed while the server was down")');
    await A.page.waitForSelector('.msg.mine:has-text("Typed while the server was down") .tick[data-state=read]');
    await expectOnce(A.page, ['Typed while the server was down', ...missed]);
    await expectOnce(B.page, ['Typed while the server was down', ...missed]);
  });

  await t.step('Bob closes the page; Ann writes twice; Bob reopens and finds them unread', async () => {
    await B.page.close();
    await A.page.waitForSelector('.chat-subtitle:has-text("last seen")');
    for (const text of ['Call me when you read this', 'It is about Friday']) {
      await A.page.fill('.composer-input', text);
      await A.page.press('.composer-input', 'Enter');
      await A.page.waitForSelector(`.msg.mine:has-text("${text}") .tick[data-state=sent]`);
    }
    B.page = watchPage(B, await B.context.newPage());
    await B.page.goto('/');
    await waitOnline(B.page);
    await B.page.waitForSelector(`.conversation:has-text("${ann.displayName}") .unread:text-is("2")`);
    await A.page.waitForSelector('.msg.mine:has-text("It is about Friday") .tick[data-state=delivered]');
    await B.page.click(`.conversation:has-text("${ann.displayName}")`);
    await B.page.waitForSelector('.msg.theirs:has-text("It is about Friday")');
    await expectOnce(B.page, ['Call me when you read this', 'It is about Friday', ...missed]);
    await A.page.waitForSelector('.msg.mine:has-text("It is about Friday") .tick[data-state=read]');
  });
});
