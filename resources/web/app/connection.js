// One WebSocket to /ws that keeps itself alive (PROTOCOL.md sections 2, 3, 6):
//  - authenticates with the JWT (`auth`), or after a drop resumes the session with the single-use
//    `resume_token` (`reconnect`), falling back to `auth` when the session is gone;
//  - reconnects by itself with exponential backoff and jitter (0.5 s doubling up to 30 s), at once
//    when the browser reports the network back, and never while the browser says it is offline;
//  - pings every heartbeat_interval and treats a missing pong (or a page waking up with a stale
//    socket) as a dead connection;
//  - matches replies to requests by id: request() resolves with `data` or rejects with a
//    RequestError carrying the protocol error code ("disconnected" when the socket went away).
//
// Events (EventTarget): "state" {state, retryAt, reason}, "session" {user, resumed, recovered},
// "event" {frame} for every server event, "expired" when the token is no longer accepted.
// States: connecting, authenticating, online, waiting (backoff), offline (no network),
// kicked (4003), limited (4029), stopped.

export class RequestError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.code = code;
    Object.assign(this, extra);
  }
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const CONNECT_TIMEOUT_MS = 10000;
const PONG_TIMEOUT_MS = 10000;

export class Connection extends EventTarget {
  constructor(token, url = Connection.defaultUrl()) {
    super();
    this.token = token;
    this.url = url;
    this.state = 'stopped';
    this.user = null;
    this.sessionId = null;
    this.resumeToken = null;
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map();
    this.socket = null;
    this.timers = {};
    this.heartbeatMs = 30000;
    this.onOnline = () => this.retryNow();
    this.onOffline = () => {
      if (this.socket) return this.drop('offline');
      if (this.state === 'waiting') {
        clearTimeout(this.timers.retry);
        this.setState('offline');
      }
    };
    this.onVisible = () => {
      if (document.visibilityState === 'visible' && this.state === 'online') this.ping();
    };
  }

  static defaultUrl() {
    return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  }

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.clearTimers();
    if (this.socket) {
      const s = this.socket;
      this.detach();
      try {
        s.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.failPending();
    this.setState('stopped');
  }

  get isOnline() {
    return this.state === 'online';
  }

  // Sends a request; resolves with the reply's data, rejects with RequestError.
  request(type, fields = {}) {
    if (this.state !== 'online') return Promise.reject(new RequestError('disconnected', 'Not connected'));
    return this.send(type, fields);
  }

  // A connect attempt right now (the user pressed "Retry", or the network came back).
  retryNow() {
    if (this.stopped) return;
    if (this.socket) return; // already connecting or connected
    clearTimeout(this.timers.retry);
    this.attempt = 0;
    this.connect();
  }

  // ---- internals

  send(type, fields) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, type });
      try {
        this.socket.send(JSON.stringify({ ...fields, type, id }));
      } catch {
        this.pending.delete(id);
        reject(new RequestError('disconnected', 'Not connected'));
      }
    });
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...extra } }));
  }

  connect() {
    if (this.stopped) return;
    if (navigator.onLine === false) {
      this.setState('offline');
      return; // the "online" event brings us back
    }
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleRetry('cannot open a WebSocket');
      return;
    }
    this.socket = socket;
    this.timers.connect = setTimeout(() => this.drop('connect timeout'), CONNECT_TIMEOUT_MS);
    socket.onopen = () => this.authenticate();
    socket.onmessage = (e) => this.receive(e.data);
    socket.onclose = (e) => this.closed(e.code, e.reason);
    socket.onerror = () => {
      /* onclose follows */
    };
  }

  async authenticate() {
    this.setState('authenticating');
    if (this.resumeToken) {
      const token = this.resumeToken;
      this.resumeToken = null; // single-use, whatever the answer
      try {
        const data = await this.send('reconnect', { token });
        return this.established(data, true);
      } catch (e) {
        if (e.code === 'disconnected') return;
        // The session is gone (TTL over, server restarted): a fresh login with the token.
      }
    }
    try {
      const data = await this.send('auth', { token: this.token });
      this.established(data, false);
    } catch (e) {
      if (e.code === 'disconnected') return;
      if (e.code === 'auth_failed') {
        this.stop();
        this.dispatchEvent(new CustomEvent('expired'));
        return;
      }
      this.drop(e.message); // unavailable, internal: try again later
    }
  }

  established(data, resumed) {
    clearTimeout(this.timers.connect);
    this.attempt = 0;
    this.user = data.user;
    this.resumeToken = data.resume_token;
    this.sessionId = data.session_id;
    if (data.heartbeat_interval > 0) this.heartbeatMs = data.heartbeat_interval * 1000;
    this.setState('online');
    this.startHeartbeat();
    this.dispatchEvent(
      new CustomEvent('session', { detail: { user: data.user, resumed, recovered: !!data.recovered } }),
    );
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'pong') {
      clearTimeout(this.timers.pong);
      const p = this.pending.get(frame.id);
      if (p) {
        this.pending.delete(frame.id);
        p.resolve(frame);
      }
      return;
    }
    if (frame.id !== undefined && 'success' in frame && this.pending.has(frame.id)) {
      const p = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.success) p.resolve(frame.data || {});
      else {
        const e = frame.error || {};
        p.reject(new RequestError(e.code || 'internal', e.message, { retryAfterMs: e.retry_after_ms }));
      }
      return;
    }
    if (!('success' in frame)) this.dispatchEvent(new CustomEvent('event', { detail: frame }));
  }

  startHeartbeat() {
    clearInterval(this.timers.heartbeat);
    this.timers.heartbeat = setInterval(() => this.ping(), this.heartbeatMs);
  }

  ping() {
    if (!this.socket || this.state !== 'online') return;
    clearTimeout(this.timers.pong);
    this.timers.pong = setTimeout(() => this.drop('no answer to ping'), PONG_TIMEOUT_MS);
    this.send('ping', {}).catch(() => {});
  }

  // Gives up on the current socket at once (no waiting for a close handshake over a dead network).
  drop(reason) {
    const s = this.socket;
    if (!s) return;
    this.detach();
    try {
      s.close(1000, 'client reconnecting');
    } catch {
      /* ignore */
    }
    this.afterClose(1006, reason);
  }

  detach() {
    const s = this.socket;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    this.socket = null;
  }

  closed(code, reason) {
    this.detach();
    this.afterClose(code, reason);
  }

  afterClose(code, reason) {
    this.clearTimers();
    this.failPending();
    if (this.stopped) return;
    if (code === 4003) return this.setState('kicked', { reason: reason || 'Disconnected by an administrator' });
    if (code === 4029) return this.setState('limited', { reason: 'Too many open sessions for this account' });
    this.scheduleRetry(reason);
  }

  scheduleRetry(reason) {
    if (this.stopped) return;
    if (navigator.onLine === false) return this.setState('offline', { reason });
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.connect(), delay);
    this.setState('waiting', { retryAt: Date.now() + delay, reason });
  }

  failPending() {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new RequestError('disconnected', 'Connection lost'));
  }

  clearTimers() {
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.retry);
    clearTimeout(this.timers.pong);
    clearInterval(this.timers.heartbeat);
  }
}
