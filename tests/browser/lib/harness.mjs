// Shared pieces of the browser tests: the real switchboard-server on a free port with a temporary
// SQLite database, headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser)
// driven by playwright-core, a raw WebSocket client for the agent side, and a tiny step runner.
//
// No sleeps as synchronisation: everything waits for a selector or a condition with a deadline.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

let chromium;
let WebSocket;
try {
  ({ chromium } = await import('playwright-core'));
  ({ default: WebSocket } = await import('ws'));
} catch (e) {
  console.error(
    `browser tests: cannot load playwright-core/ws (${e.message}).\n` +
      'Run scripts/install-deps.sh (it runs `npm ci` in tests/browser).',
  );
  process.exit(1);
}

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_TIMEOUT_MS = 15000;
export const CHROMIUM = process.env.SB_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ---- server

export function serverBinary() {
  const binary = process.argv[2] || process.env.SB_SERVER_BINARY;
  if (!binary || !fs.existsSync(binary)) {
    console.error(`usage: node ${path.basename(process.argv[1])} /path/to/switchboard-server`);
    process.exit(2);
  }
  return binary;
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Creates an account from the command line, password on stdin (PROTOCOL.md section 12).
export function createUser(binary, database, name, role, password) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--database', database, '--create-user', name, '--role', role], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`--create-user ${name} failed (${code}): ${stderr}`))));
    child.stdin.end(`${password}\n`);
  });
}

// Starts the server and resolves once it printed `listening on HOST:PORT`.
// port 0 picks a free one; pass the previous port to restart on the same address.
export function startServer(binary, database, port = 0) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--listen', `127.0.0.1:${port}`, '--database', database], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 200000) stderr = stderr.slice(-100000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print "listening on" within 20 s\n${stderr}`));
    }, 20000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code})\n${stderr}`));
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on (\S+):(\d+)$/.exec(line.trim());
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const server = {
        child,
        host: m[1],
        port: Number(m[2]),
        url: `http://${m[1]}:${m[2]}`,
        stderr: () => stderr,
        // SIGTERM: the server closes connections with 1001 and exits 0.
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
            const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
            child.once('exit', (code) => {
              clearTimeout(kill);
              done(code);
            });
            child.kill('SIGTERM');
          }),
      };
      resolve(server);
    });
  });
}

// ---- HTTP and a raw WebSocket client (the agent, or a second device)

export async function http(base, method, urlPath, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  if (!response.ok) throw new Error(`${method} ${urlPath}: ${response.status} ${text}`);
  return data;
}

export class RawClient {
  static async connect(base, token) {
    const client = new RawClient(base.replace(/^http/, 'ws') + '/ws');
    await client.opened;
    client.session = await client.request('auth', { token });
    return client;
  }

  constructor(url) {
    this.ws = new WebSocket(url);
    this.nextId = 1;
    this.pending = new Map();
    this.events = [];
    this.waiters = [];
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.id !== undefined && this.pending.has(frame.id)) {
        const p = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        if (frame.success) p.resolve(frame.data);
        else p.reject(new Error(`${p.type}: ${JSON.stringify(frame.error)}`));
        return;
      }
      this.events.push(frame);
      for (const w of [...this.waiters]) w();
    });
  }

  request(type, fields = {}) {
    const id = this.nextId++;
    return withDeadline(
      new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, type });
        this.ws.send(JSON.stringify({ ...fields, type, id }));
      }),
      DEFAULT_TIMEOUT_MS,
      `reply to ${type}`,
    );
  }

  // Resolves with the first event (past or future) matching predicate.
  waitForEvent(predicate, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return withDeadline(
      new Promise((resolve) => {
        const check = () => {
          const hit = this.events.find(predicate);
          if (!hit) return false;
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(hit);
          return true;
        };
        if (!check()) this.waiters.push(check);
      }),
      timeoutMs,
      what,
    );
  }

  close() {
    this.ws.close();
  }
}

// ---- browser

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`browser tests: ${CHROMIUM} not found; install Debian's chromium (scripts/install-deps.sh)`);
    process.exit(1);
  }
  // launch() runs Chromium with a fresh temporary --user-data-dir of its own (removed on close);
  // every newContext() below is a separate, empty profile on top of it.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60000 });
}

// A browser context + page for one user. Page errors and CSP violations fail the test.
export async function openClient(browser, base, { viewport = { width: 1100, height: 720 }, name = 'page' } = {}) {
  const context = await browser.newContext({ viewport, baseURL: base });
  context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
  const client = { context, problems: [], name };
  client.page = watchPage(client, await context.newPage());
  await client.page.goto('/');
  await client.page.waitForSelector('.auth-card, .shell');
  return client;
}

// Collects page errors and console errors (CSP violations among them) of one more page.
// Failed connections while the network or the server is down are expected, not problems.
export function watchPage(client, page) {
  page.on('pageerror', (e) => client.problems.push(`${client.name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) {
      client.problems.push(`${client.name}: console error: ${m.text()}`);
    }
  });
  return page;
}

export async function registerInUi(page, { username, password, displayName }) {
  await page.click('.auth-card .tab:has-text("Register")');
  await page.fill('.register-form input[name=display_name]', displayName);
  await page.fill('.register-form input[name=username]', username);
  await page.fill('.register-form input[name=password]', password);
  await page.click('.register-form button[type=submit]');
  await waitOnline(page);
}

export async function waitOnline(page) {
  await page.waitForSelector('.my-status[data-state=online]');
}

// ---- steps and deadlines

export function withDeadline(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Runs the scenario; on failure prints the server's stderr and saves screenshots of every open
// page next to the build (SB_TEST_ARTIFACTS or the temp dir), then exits non-zero.
export async function runScenario(name, body) {
  const started = Date.now();
  const cleanups = [];
  const pages = [];
  const ctx = {
    defer: (fn) => cleanups.push(fn),
    track: (client) => {
      pages.push(client);
      return client;
    },
    step: async (title, fn) => {
      const t0 = Date.now();
      process.stdout.write(`  ${title} … `);
      const result = await fn();
      console.log(`ok (${Date.now() - t0} ms)`);
      return result;
    },
  };
  console.log(`${name}`);
  let failed = false;
  try {
    await withDeadline(body(ctx), 180000, `scenario ${name}`);
    for (const p of pages) {
      if (p.problems.length) throw new Error(`problems in the browser:\n${p.problems.join('\n')}`);
    }
  } catch (e) {
    failed = true;
    console.log('FAILED');
    console.error(e.stack || e.message);
    const dir = process.env.SB_TEST_ARTIFACTS || tempDir('sb-browser-artifacts-');
    for (const p of pages) {
      try {
        const file = path.join(dir, `${name}-${p.name}.png`);
        await withDeadline(p.page.screenshot({ path: file }), 5000, 'screenshot');
        console.error(`screenshot: ${file}`);
      } catch {
        /* page gone */
      }
      if (p.problems.length) console.error(p.problems.join('\n'));
    }
  }
  for (const fn of cleanups.reverse()) {
    try {
      await withDeadline(Promise.resolve(fn(failed)), 15000, 'cleanup');
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
  console.log(failed ? `${name}: FAILED` : `${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed ? 1 : 0);
}

// Server, database and browser for one scenario, all removed again at the end.
export async function setUp(ctx, { agents = [], browser = true } = {}) {
  const binary = serverBinary();
  const dir = tempDir('sb-browser-');
  ctx.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  const database = `sqlite:${path.join(dir, 'switchboard.db')}`;
  for (const a of agents) await createUser(binary, database, a.username, a.role || 'agent', a.password);
  const env = { binary, dir, database };
  env.server = await startServer(binary, database);
  ctx.defer(async (failed) => {
    const code = await env.server.stop();
    if (failed) console.error(`--- server stderr ---\n${env.server.stderr().slice(-20000)}`);
    if (code !== 0 && !failed) console.error(`server exited with ${code}`);
  });
  if (browser) {
    env.browser = await launchBrowser();
    ctx.defer(() => env.browser.close());
  }
  return env;
}

export function uniqueName(prefix) {
  return `${prefix}${process.pid % 1000}${Math.floor(Math.random() * 1e5)}`.slice(0, 32);
}
