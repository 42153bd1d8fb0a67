// How the server serves the web client (no browser needed): content types, caching, ETag/304,
// HEAD, security headers, JSON 404 for unknown files and stale versions, 405 for other methods.
//
//   node tests/browser/assets.test.mjs build/server/switchboard-server

import http from 'node:http';
import { setUp, runScenario } from './lib/harness.mjs';

// node:http rather than fetch: full control over Host and the other request headers.
function request(base, method, path, headers = {}) {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

await runScenario('web_assets', async (t) => {
  const env = await setUp(t, { browser: false });
  const base = env.server.url;
  const host = `${env.server.host}:${env.server.port}`;
  let index;
  let assets;

  await t.step('GET / is index.html with strict security headers', async () => {
    index = await request(base, 'GET', '/');
    expect(index.status === 200, `status ${index.status}`);
    expect(index.headers['content-type'] === 'text/html; charset=utf-8', `content-type ${index.headers['content-type']}`);
    expect(index.headers['x-content-type-options'] === 'nosniff', 'nosniff');
    expect(index.headers['cache-control'] === 'no-cache', `cache-control ${index.headers['cache-control']}`);
    expect(/^"[0-9a-f]+"$/.test(index.headers.etag || ''), `etag ${index.headers.etag}`);
    expect(index.headers['referrer-policy'] === 'no-referrer', 'referrer-policy');
    const csp = index.headers['content-security-policy'] || '';
    for (const part of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      `connect-src 'self' ws://${host} wss://${host}`,
      "frame-ancestors 'none'",
    ]) {
      expect(csp.includes(part), `CSP lacks ${part}: ${csp}`);
    }
    expect(!/unsafe-inline|unsafe-eval|https?:/.test(csp), `CSP too loose: ${csp}`);
    expect(!/<script>|\sstyle=|\son[a-z]+=/.test(index.body), 'inline script, style or handler in index.html');
    assets = [...index.body.matchAll(/(?:src|href)="(\/app\/[0-9a-f]{12}\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length >= 3, `asset references: ${assets}`);
    expect(!index.body.includes('%APP%'), 'placeholder left in index.html');
  });

  await t.step('assets: right types, cached forever under a versioned path', async () => {
    const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    const version = assets[0].split('/')[2];
    for (const path of [...assets, `/app/${version}/connection.js`, `/app/${version}/chatstore.js`]) {
      const r = await request(base, 'GET', path);
      expect(r.status === 200, `${path}: ${r.status}`);
      expect(r.headers['content-type'] === types[path.split('.').pop()], `${path}: ${r.headers['content-type']}`);
      expect(r.headers['cache-control'] === 'public, max-age=31536000, immutable', `${path}: ${r.headers['cache-control']}`);
      expect(r.headers['x-content-type-options'] === 'nosniff', `${path}: nosniff`);
      expect(r.body.length > 0 && Number(r.headers['content-length']) === Buffer.byteLength(r.body), `${path}: length`);
    }
  });

  await t.step('If-None-Match → 304 without a body; HEAD → headers only', async () => {
    const r = await request(base, 'GET', '/', { 'If-None-Match': index.headers.etag });
    expect(r.status === 304 && r.body === '', `conditional GET: ${r.status} ${r.body.length}`);
    const other = await request(base, 'GET', '/', { 'If-None-Match': '"nope"' });
    expect(other.status === 200, `non-matching ETag: ${other.status}`);
    const head = await request(base, 'HEAD', '/');
    expect(head.status === 200 && head.body === '', `HEAD: ${head.status} ${head.body.length}`);
    expect(head.headers['content-length'] === index.headers['content-length'], 'HEAD content-length');
    // The connection stays usable after a HEAD (nothing unread left in it).
    const again = await request(base, 'GET', '/healthz');
    expect(again.status === 200, `after HEAD: ${again.status}`);
  });

  await t.step('unknown files, stale versions and traversal are JSON 404s', async () => {
    const version = assets[0].split('/')[2];
    for (const path of [
      `/app/${version}/nope.js`,
      '/app/000000000000/main.js',
      '/app/main.js',
      `/app/${version}/../index.html`,
      `/app/${version}/%2e%2e/index.html`,
      `/app/${version}/`,
      '/app/',
    ]) {
      const r = await request(base, 'GET', path);
      expect(r.status === 404, `${path}: ${r.status}`);
      expect(JSON.parse(r.body).error.code === 'not_found', `${path}: ${r.body}`);
    }
  });

  await t.step('only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await request(base, method, '/');
      expect(r.status === 405 && r.headers.allow === 'GET, HEAD', `${method}: ${r.status} ${r.headers.allow}`);
      expect(JSON.parse(r.body).error.code === 'bad_request', `${method}: ${r.body}`);
    }
  });

  await t.step('a Host header that could break the policy is left out of it', async () => {
    const r = await request(base, 'GET', '/', { Host: "evil.example; script-src 'unsafe-inline'" });
    const csp = r.headers['content-security-policy'] || '';
    expect(!csp.includes('evil') && !csp.includes('unsafe-inline'), `CSP: ${csp}`);
    expect(csp.includes("connect-src 'self';"), `CSP: ${csp}`);
  });
});
