// Makes the screenshots of the web client in docs/images (not a test; run by hand after UI
// changes and look at the result):
//
//   node tests/browser/screenshots.mjs build/server/switchboard-server [docs/images]
//
// web-client.png: Ann on a desktop-sized window (chat with Bob: photo, file, read ticks, Bob
// typing; a group and an unread chat in the list). web-client-phone.png: Bob on a phone.

import path from 'node:path';
import fs from 'node:fs';
import { setUp, openClient, runScenario, waitOnline, http, RawClient, HERE } from './lib/harness.mjs';
import { pngImage, textFile } from './lib/fixtures.mjs';

const outDir = path.resolve(process.argv[3] || path.join(HERE, '..', '..', '..', 'docs', 'images'));

async function account(base, username, displayName) {
  const password = `${username}-password`;
  await http(base, 'POST', '/api/v1/auth/register', { body: { username, password, display_name: displayName } });
  const login = await http(base, 'POST', '/api/v1/auth/login', { body: { username, password } });
  return { username, password, displayName, token: login.token, id: login.user.id };
}

async function logIn(page, user) {
  await page.fill('.login-form input[name=username]', user.username);
  await page.fill('.login-form input[name=password]', user.password);
  await page.click('.login-form button[type=submit]');
  await waitOnline(page);
}

async function send(page, text) {
  await page.fill('.composer-input', text);
  await page.press('.composer-input', 'Enter');
  await page.waitForSelector(`.msg.mine:has-text(${JSON.stringify(text)}) .tick[data-state=read]`);
}

await runScenario('screenshots', async (t) => {
  fs.mkdirSync(outDir, { recursive: true });
  const env = await setUp(t);
  const base = env.server.url;
  const ann = await account(base, 'ann', 'Ann Archer');
  const bob = await account(base, 'bob', 'Bob Baker');
  const carol = await account(base, 'carol', 'Carol Chen');
  const dan = await account(base, 'dan', 'Dan Diaz');

  const rawBob = await RawClient.connect(base, bob.token);
  const rawCarol = await RawClient.connect(base, carol.token);
  t.defer(() => rawBob.close());
  t.defer(() => rawCarol.close());
  const rawAnn = await RawClient.connect(base, ann.token);
  for (const u of [bob, carol, dan]) await rawAnn.request('contact_add', { user_id: u.id });
  await rawBob.request('contact_add', { user_id: ann.id });
  const group = await rawAnn.request('conversation_create', { title: 'Design team', members: [bob.id, carol.id] });
  await rawCarol.request('message', { conversation_id: group.conversation.id, content: 'Slides are in the shared folder.', message_type: 'text' });
  rawAnn.close();

  const A = t.track(await openClient(env.browser, base, { name: 'ann', viewport: { width: 1200, height: 760 } }));
  const B = t.track(await openClient(env.browser, base, { name: 'bob', viewport: { width: 390, height: 844 } }));
  await t.step('Ann and Bob sign in', async () => {
    await logIn(A.page, ann);
    await logIn(B.page, bob);
  });

  await t.step('a conversation with a photo and a file', async () => {
    await rawBob.request('message', { to: ann.id, content: 'Hey Ann! Are we still on for the design review tomorrow?', message_type: 'text' });
    await A.page.click('.conversation:has-text("Bob Baker")');
    await B.page.click('.conversation:has-text("Ann Archer")');
    await send(A.page, 'Yes! 10:00 in the small meeting room.');
    await A.page.setInputFiles('.file-input', { name: 'home-screen.png', mimeType: 'image/png', buffer: pngImage(360, 220) });
    await A.page.fill('.composer-input', 'Home screen, take two');
    await A.page.click('.composer .send');
    await A.page.waitForSelector('.msg.mine.type-image .tick[data-state=read]');
    await B.page.waitForFunction(() => [...document.querySelectorAll('.attachment-image')].every((i) => i.complete && i.naturalWidth));
    await B.page.fill('.composer-input', 'Looks great, the contrast is much better now.');
    await B.page.press('.composer-input', 'Enter');
    await B.page.setInputFiles('.file-input', { name: 'review-notes.txt', mimeType: 'text/plain', buffer: textFile('1. header\n2. colours\n') });
    await B.page.click('.composer .send');
    await A.page.waitForSelector('.msg.theirs.type-file');
    await send(A.page, 'Thanks! See you tomorrow.');
    await rawCarol.request('message', { to: ann.id, content: 'Can you review my pull request?', message_type: 'text' });
    await rawCarol.request('message', { to: ann.id, content: 'No rush, tomorrow is fine.', message_type: 'text' });
    await A.page.waitForSelector('.conversation:has-text("Carol Chen") .unread:text-is("2")');
    await B.page.type('.composer-input', 'One more thing');
    await A.page.waitForSelector('.chat-subtitle.typing');
    await A.page.waitForFunction(() => [...document.querySelectorAll('.attachment-image')].every((i) => i.complete && i.naturalWidth));
  });

  await t.step(`screenshots into ${outDir}`, async () => {
    await A.page.mouse.move(0, 0);
    await A.page.screenshot({ path: path.join(outDir, 'web-client.png') });
    await B.page.screenshot({ path: path.join(outDir, 'web-client-phone.png') });
    await B.page.click('.chat .back');
    await B.page.waitForSelector('.sidebar:visible');
    await B.page.screenshot({ path: path.join(outDir, 'web-client-phone-list.png') });
  });
});
