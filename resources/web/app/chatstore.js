// The client-side state of one signed-in user and the sync rules (PROTOCOL.md sections 4–7, 10):
//  - conversations with unread counts, the messages loaded per conversation (by seq), contacts,
//    presence, typing, receipts;
//  - every new_message (live or offline) is kept once, by message id, and acknowledged: `received`
//    up to its seq, or `read` when the conversation is on screen;
//  - gaps in seq (a drop, another device moved the watermark) are filled through `history`;
//  - sends go through a persistent outbox with client_msg_id, so a message typed while offline,
//    or whose reply was lost in a drop, is sent again after reconnecting and stored exactly once.
//
// Views listen to "change" events: detail {what, conversationId}; what is one of
// conversations, messages, contacts, presence, typing, receipts, open, search, notice.

import { api } from './api.js';
import { RequestError } from './connection.js';
import { randomId, storage, isImageType } from './util.js';

const PAGE = 50;
const TYPING_SHOW_MS = 5000;
const TYPING_SEND_EVERY_MS = 3000;
const RETRYABLE = new Set(['disconnected', 'rate_limited', 'unavailable']);

export class ChatStore extends EventTarget {
  constructor(connection, me, token) {
    super();
    this.conn = connection;
    this.me = me;
    this.token = token;
    this.conversations = new Map();
    this.conversationsLoaded = false;
    this.threads = new Map(); // conversation id -> {bySeq: Map, loaded, hasMoreBefore, loading}
    this.seenIds = new Set();
    this.contacts = [];
    this.presence = new Map();
    this.typing = new Map(); // conversation id -> Map(user id -> timer)
    this.lastTypingSent = 0;
    this.open = null; // {conversationId} or {peerId} (a private chat not created yet)
    this.ackQueue = new Map();
    this.uploads = new Map(); // client_msg_id -> {file, previewUrl, progress, abort}
    this.syncing = false;

    this.keyPrefix = `sb.${me.id}.`;
    this.names = new Map(Object.entries(storage.get(this.keyPrefix + 'names', {})).map(([k, v]) => [Number(k), v]));
    this.names.set(me.id, me.display_name || me.username);
    this.receipts = new Map(
      Object.entries(storage.get(this.keyPrefix + 'receipts', {})).map(([k, v]) => [Number(k), v]),
    );
    this.outbox = storage.get(this.keyPrefix + 'outbox', []).filter((m) => m && m.client_msg_id);
    for (const m of this.outbox) if (m.state === 'sending') m.state = 'pending';

    this.onSession = () => this.afterConnect();
    this.onEvent = (e) => this.handleEvent(e.detail);
    this.onVisibility = () => {
      if (document.visibilityState === 'visible') this.markOpenRead();
      this.conn.request('status', { status: document.visibilityState === 'visible' ? 'online' : 'away' }).catch(() => {});
    };
    connection.addEventListener('session', this.onSession);
    connection.addEventListener('event', this.onEvent);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  dispose() {
    this.conn.removeEventListener('session', this.onSession);
    this.conn.removeEventListener('event', this.onEvent);
    document.removeEventListener('visibilitychange', this.onVisibility);
    for (const u of this.uploads.values()) if (u.previewUrl) URL.revokeObjectURL(u.previewUrl);
  }

  emit(what, conversationId, extra = {}) {
    this.dispatchEvent(new CustomEvent('change', { detail: { what, conversationId, ...extra } }));
  }

  notice(text, kind = 'error') {
    this.emit('notice', undefined, { text, kind });
  }

  get isGuest() {
    return this.me.role === 'guest';
  }

  get isStaff() {
    return this.me.role === 'agent' || this.me.role === 'admin';
  }

  // ---- names

  nameOf(userId) {
    if (userId === this.me.id) return 'You';
    return this.names.get(userId) || `User ${userId}`;
  }

  learnNames(list) {
    let changed = false;
    for (const u of list) {
      const id = u.user_id ?? u.id;
      const name = u.display_name || u.username;
      if (id && name && this.names.get(id) !== name) {
        this.names.set(id, name);
        changed = true;
      }
    }
    if (changed) storage.set(this.keyPrefix + 'names', Object.fromEntries(this.names));
    return changed;
  }

  peerOf(conversation) {
    if (!conversation || conversation.type !== 'private') return null;
    return (conversation.participants || []).find((id) => id !== this.me.id) ?? null;
  }

  titleOf(conversation) {
    if (!conversation) return '';
    if (conversation.type === 'support') {
      if (this.isStaff) return `Support: ${this.nameOf(conversation.requester_id || conversation.participants?.[0])}`;
      return conversation.title ? `Support · ${conversation.title}` : 'Support';
    }
    if (conversation.type === 'group') return conversation.title || 'Group';
    const peer = this.peerOf(conversation);
    return peer ? this.nameOf(peer) : conversation.title || 'Chat';
  }

  senderLabel(conversation, userId) {
    if (userId === this.me.id) return 'You';
    if (conversation?.type === 'support' && !this.isStaff && !this.names.has(userId)) return 'Support agent';
    return this.nameOf(userId);
  }

  // ---- connection lifecycle

  async afterConnect() {
    this.syncing = true;
    this.emit('sync');
    // Replies come after the offline messages and sync_complete (one connection, in order), so
    // the lists below already include whatever was pushed during the sync.
    const jobs = [this.refreshConversations(), this.isGuest ? null : this.refreshContacts()];
    this.flushOutbox();
    for (const [id, thread] of this.threads) if (thread.loaded) jobs.push(this.fillGap(id));
    if (document.visibilityState !== 'visible') this.conn.request('status', { status: 'away' }).catch(() => {});
    await Promise.allSettled(jobs);
    this.queryPresence();
    this.markOpenRead();
  }

  async refreshConversations() {
    try {
      const data = await this.conn.request('conversations');
      const fresh = new Map();
      for (const c of data.conversations || []) fresh.set(c.id, { ...this.conversations.get(c.id), ...c });
      this.conversations = fresh;
      this.conversationsLoaded = true;
      // A private chat opened as a draft (no conversation yet) that now exists.
      if (this.open?.peerId) {
        const c = this.privateWith(this.open.peerId);
        if (c) this.open = { conversationId: c.id };
      }
      this.emit('conversations');
    } catch (e) {
      if (e.code !== 'disconnected') this.notice(`Could not load conversations: ${e.message}`);
    }
  }

  scheduleConversationRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshConversations(), 100);
  }

  async refreshContacts() {
    try {
      const data = await this.conn.request('contacts');
      this.contacts = data.contacts || [];
      this.learnNames(this.contacts);
      for (const c of this.contacts) {
        const p = this.presence.get(c.user_id) || {};
        this.presence.set(c.user_id, { ...p, status: c.status });
      }
      this.emit('contacts');
      this.emit('conversations');
    } catch (e) {
      if (e.code !== 'disconnected') this.notice(`Could not load contacts: ${e.message}`);
    }
  }

  async queryPresence() {
    const ids = new Set(this.contacts.map((c) => c.user_id));
    for (const c of this.conversations.values()) {
      const peer = this.peerOf(c);
      if (peer) ids.add(peer);
    }
    if (!ids.size) return;
    try {
      const data = await this.conn.request('presence_query', { user_ids: [...ids].slice(0, 500) });
      for (const p of data.presence || []) this.presence.set(p.user_id, p);
      this.emit('presence');
    } catch {
      /* not essential */
    }
  }

  // ---- server events

  handleEvent(frame) {
    switch (frame.type) {
      case 'new_message':
        return this.receiveMessage(frame.message, !!frame.offline);
      case 'sync_complete':
        this.syncing = false;
        this.emit('sync');
        if (frame.has_more) this.scheduleConversationRefresh();
        return;
      case 'receipt':
        return this.receiveReceipt(frame);
      case 'typing':
        return this.receiveTyping(frame.conversation_id, frame.user_id);
      case 'presence': {
        const before = this.presence.get(frame.user_id) || {};
        this.presence.set(frame.user_id, { ...before, ...frame });
        return this.emit('presence');
      }
      case 'support_update':
        if (frame.conversation && this.conversations.has(frame.conversation.id)) {
          const c = this.conversations.get(frame.conversation.id);
          Object.assign(c, { status: frame.conversation.status, agent_id: frame.conversation.agent_id });
          this.emit('conversations');
        }
        return;
      default:
        return;
    }
  }

  thread(conversationId) {
    let t = this.threads.get(conversationId);
    if (!t) {
      t = { bySeq: new Map(), loaded: false, hasMoreBefore: false, loading: false };
      this.threads.set(conversationId, t);
    }
    return t;
  }

  receiveMessage(message, offline) {
    if (!message || !message.id) return;
    const cid = message.conversation_id;
    if (this.seenIds.has(message.id)) {
      // A repeat (pushed again because the watermark had not moved yet): acknowledge, show once.
      this.queueAck(cid, message.seq);
      return;
    }
    this.seenIds.add(message.id);
    if (message.sender_id === this.me.id && message.client_msg_id) this.settleOutbox(message.client_msg_id);

    const conversation = this.conversations.get(cid);
    if (!conversation) {
      this.scheduleConversationRefresh(); // a conversation we do not know yet (first message to us)
    } else {
      const fromOther = message.sender_id !== this.me.id;
      if (fromOther && message.seq > (conversation.last_seq || 0) && message.seq > (conversation.read_seq || 0)) {
        if (!this.isOnScreen(cid)) conversation.unread = (conversation.unread || 0) + 1;
      }
      if (message.seq >= (conversation.last_seq || 0)) {
        conversation.last_seq = message.seq;
        conversation.last_message = message;
      }
    }
    this.stopTyping(cid, message.sender_id);
    const thread = this.threads.get(cid);
    if (thread && thread.loaded) {
      const newest = this.newestSeq(thread);
      thread.bySeq.set(message.seq, message);
      if (message.seq > newest + 1) this.fillGap(cid);
      this.emit('messages', cid);
    }
    this.emit('conversations', cid, { offline });
    this.queueAck(cid, message.seq);
  }

  receiveReceipt({ conversation_id: cid, user_id: userId, kind, seq }) {
    if (userId === this.me.id) {
      // Another device of ours read it.
      const c = this.conversations.get(cid);
      if (c && kind === 'read' && seq > (c.read_seq || 0)) {
        c.read_seq = seq;
        if (seq >= (c.last_seq || 0)) c.unread = 0;
        else this.scheduleConversationRefresh();
        this.emit('conversations', cid);
      }
      return;
    }
    const perConversation = this.receipts.get(cid) || {};
    const r = perConversation[userId] || { delivered: 0, read: 0 };
    if (kind === 'read') r.read = Math.max(r.read, seq);
    r.delivered = Math.max(r.delivered, seq); // read implies delivered
    perConversation[userId] = r;
    this.receipts.set(cid, perConversation);
    storage.set(this.keyPrefix + 'receipts', Object.fromEntries(this.receipts));
    this.emit('receipts', cid);
  }

  // sent, delivered or read for one of our messages: the furthest any other participant got.
  tickOf(message) {
    const perConversation = this.receipts.get(message.conversation_id) || {};
    let delivered = 0;
    let read = 0;
    for (const [userId, r] of Object.entries(perConversation)) {
      if (Number(userId) === this.me.id) continue;
      delivered = Math.max(delivered, r.delivered);
      read = Math.max(read, r.read);
    }
    if (read >= message.seq) return 'read';
    if (delivered >= message.seq) return 'delivered';
    return 'sent';
  }

  receiveTyping(cid, userId) {
    if (userId === this.me.id) return;
    let perConversation = this.typing.get(cid);
    if (!perConversation) this.typing.set(cid, (perConversation = new Map()));
    clearTimeout(perConversation.get(userId));
    perConversation.set(userId, setTimeout(() => this.stopTyping(cid, userId), TYPING_SHOW_MS));
    this.emit('typing', cid);
  }

  stopTyping(cid, userId) {
    const perConversation = this.typing.get(cid);
    if (!perConversation || !perConversation.has(userId)) return;
    clearTimeout(perConversation.get(userId));
    perConversation.delete(userId);
    this.emit('typing', cid);
  }

  typingIn(cid) {
    return [...(this.typing.get(cid)?.keys() || [])];
  }

  sendTyping() {
    const cid = this.open?.conversationId;
    if (!cid) return;
    if (cid === this.lastTypingIn && Date.now() - this.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    this.lastTypingIn = cid;
    this.lastTypingSent = Date.now();
    this.conn.request('typing', { conversation_id: cid }).catch(() => {});
  }

  // ---- acknowledgements

  isOnScreen(cid) {
    return this.open?.conversationId === cid && document.visibilityState === 'visible';
  }

  queueAck(cid, seq) {
    if (!(seq > 0)) return;
    this.ackQueue.set(cid, Math.max(this.ackQueue.get(cid) || 0, seq));
    if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAcks(), 30);
  }

  flushAcks() {
    this.ackTimer = null;
    if (!this.conn.isOnline) return; // the messages come again on the next connect
    const queue = [...this.ackQueue];
    this.ackQueue.clear();
    for (const [cid, seq] of queue) {
      if (this.isOnScreen(cid)) this.markRead(cid, seq);
      else this.conn.request('received', { conversation_id: cid, seq }).catch(() => {});
    }
  }

  markOpenRead() {
    const cid = this.open?.conversationId;
    if (cid && this.isOnScreen(cid)) this.markRead(cid);
  }

  markRead(cid, seq) {
    const c = this.conversations.get(cid);
    const upTo = Math.max(seq || 0, c?.last_seq || 0);
    if (!(upTo > 0)) return;
    if (c) {
      if (upTo <= (c.read_seq || 0) && !c.unread) return;
      c.read_seq = Math.max(c.read_seq || 0, upTo);
      c.unread = 0;
      this.emit('conversations', cid);
    }
    this.conn.request('read', { conversation_id: cid, seq: upTo }).catch(() => {
      if (c) c.read_seq = 0; // try again next time
    });
  }

  // ---- history

  newestSeq(thread) {
    let max = 0;
    for (const seq of thread.bySeq.keys()) if (seq > max) max = seq;
    return max;
  }

  oldestSeq(thread) {
    let min = Infinity;
    for (const seq of thread.bySeq.keys()) if (seq < min) min = seq;
    return min === Infinity ? 0 : min;
  }

  addHistory(thread, messages) {
    for (const m of messages) {
      this.seenIds.add(m.id);
      thread.bySeq.set(m.seq, m);
    }
  }

  async loadThread(cid) {
    const thread = this.thread(cid);
    if (thread.loaded || thread.loading) return;
    thread.loading = true;
    this.emit('messages', cid);
    try {
      const data = await this.conn.request('history', { conversation_id: cid, limit: PAGE });
      this.addHistory(thread, data.messages || []);
      thread.hasMoreBefore = !!data.has_more;
      thread.loaded = true;
    } catch (e) {
      if (e.code !== 'disconnected') this.notice(`Could not load messages: ${e.message}`);
    } finally {
      thread.loading = false;
      this.emit('messages', cid);
    }
    if (thread.loaded) this.fillGap(cid); // anything that arrived while the page was in flight
  }

  async loadOlder(cid) {
    const thread = this.thread(cid);
    if (!thread.loaded || !thread.hasMoreBefore || thread.loadingOlder) return;
    thread.loadingOlder = true;
    this.emit('messages', cid);
    try {
      const data = await this.conn.request('history', {
        conversation_id: cid,
        before_seq: this.oldestSeq(thread),
        limit: PAGE,
      });
      this.addHistory(thread, data.messages || []);
      thread.hasMoreBefore = !!data.has_more;
    } catch (e) {
      if (e.code !== 'disconnected') this.notice(`Could not load older messages: ${e.message}`);
    } finally {
      thread.loadingOlder = false;
      this.emit('messages', cid, { prepended: true });
    }
  }

  // Everything after the newest message we hold, page by page.
  async fillGap(cid) {
    const thread = this.threads.get(cid);
    if (!thread || !thread.loaded || thread.filling) return;
    thread.filling = true;
    try {
      for (let page = 0; page < 50; page++) {
        const data = await this.conn.request('history', {
          conversation_id: cid,
          after_seq: this.newestSeq(thread),
          limit: 100,
        });
        this.addHistory(thread, data.messages || []);
        const last = (data.messages || []).at(-1);
        const c = this.conversations.get(cid);
        if (last && c && last.seq >= (c.last_seq || 0)) {
          c.last_seq = last.seq;
          c.last_message = last;
        }
        if (!data.has_more) break;
      }
    } catch {
      /* retried after the next connect */
    } finally {
      thread.filling = false;
      this.emit('messages', cid);
    }
    if (this.isOnScreen(cid)) this.markRead(cid);
  }

  // ---- opening chats

  openConversation(cid) {
    this.open = { conversationId: cid };
    this.emit('open', cid);
    this.loadThread(cid).then(() => this.markOpenRead());
    this.markOpenRead();
  }

  privateWith(userId) {
    for (const c of this.conversations.values()) {
      if (c.type === 'private' && (c.participants || []).includes(userId)) return c;
    }
    return null;
  }

  openPeer(userId) {
    const c = this.privateWith(userId);
    if (c) return this.openConversation(c.id);
    this.open = { peerId: userId };
    this.emit('open');
  }

  closeChat() {
    this.open = null;
    this.emit('open');
  }

  async openSupport(topic) {
    try {
      const data = await this.conn.request('support_open', topic ? { topic } : {});
      const c = data.conversation;
      this.conversations.set(c.id, { ...this.conversations.get(c.id), ...c });
      this.emit('conversations', c.id);
      this.openConversation(c.id);
    } catch (e) {
      this.notice(e.code === 'disconnected' ? 'Not connected — try again in a moment.' : e.message);
    }
  }

  // ---- contacts and search

  async search(query) {
    const users = await api.searchUsers(this.token, query);
    this.learnNames(users);
    return users.filter((u) => u.id !== this.me.id);
  }

  async addContact(userId) {
    try {
      await this.conn.request('contact_add', { user_id: userId });
      await this.refreshContacts();
      this.queryPresence();
    } catch (e) {
      this.notice(e.message);
    }
  }

  async removeContact(userId) {
    try {
      await this.conn.request('contact_remove', { user_id: userId });
      await this.refreshContacts();
    } catch (e) {
      this.notice(e.message);
    }
  }

  // ---- sending

  // What the open chat shows besides stored messages: our outbox entries for it.
  pendingFor(target) {
    return this.outbox.filter((m) =>
      target.conversationId ? m.conversation_id === target.conversationId : !m.conversation_id && m.to === target.peerId,
    );
  }

  saveOutbox() {
    // Entries waiting for an upload cannot survive a reload (the file is in memory only).
    storage.set(
      this.keyPrefix + 'outbox',
      this.outbox.filter((m) => m.state !== 'uploading'),
    );
  }

  sendText(text) {
    const content = text.trim();
    if (!content || !this.open) return;
    this.enqueue({ message_type: 'text', content });
  }

  enqueue(fields) {
    const entry = {
      client_msg_id: randomId(),
      conversation_id: this.open.conversationId || null,
      to: this.open.conversationId ? null : this.open.peerId,
      created_at: Date.now(),
      state: 'pending',
      ...fields,
    };
    this.outbox.push(entry);
    this.lastTypingSent = 0; // the next keystroke announces typing again at once
    this.saveOutbox();
    this.emitOutbox(entry);
    this.flushOutbox();
    return entry;
  }

  emitOutbox(entry) {
    this.emit('messages', entry.conversation_id || undefined);
  }

  // Image or file: upload first (POST /api/v1/files), then a message with {file_id}.
  sendFile(file, caption = '') {
    if (!this.open) return;
    const entry = this.enqueue({
      message_type: isImageType(file.type) ? 'image' : 'file',
      content: caption.trim(),
      state: 'uploading',
      local: { name: file.name, size: file.size, mime: file.type },
    });
    const previewUrl = isImageType(file.type) ? URL.createObjectURL(file) : null;
    this.uploads.set(entry.client_msg_id, { file, previewUrl, progress: 0 });
    this.startUpload(entry);
  }

  async startUpload(entry) {
    const upload = this.uploads.get(entry.client_msg_id);
    if (!upload) return;
    entry.state = 'uploading';
    entry.error = null;
    const controller = new AbortController();
    upload.abort = controller;
    this.emitOutbox(entry);
    try {
      const info = await api.upload(
        this.token,
        upload.file,
        (p) => {
          upload.progress = p;
          this.emitOutbox(entry);
        },
        controller.signal,
      );
      entry.attachment = { file_id: info.file_id };
      entry.local = { name: info.name, size: info.size, mime: info.mime, url: info.url };
      entry.state = 'pending';
      this.saveOutbox();
      this.flushOutbox();
    } catch (e) {
      if (e.code === 'aborted') return;
      entry.state = 'failed';
      entry.error = e.code === 'too_large' ? 'File too large' : e.message;
    }
    this.emitOutbox(entry);
  }

  uploadOf(entry) {
    return this.uploads.get(entry.client_msg_id);
  }

  retry(clientMsgId) {
    const entry = this.outbox.find((m) => m.client_msg_id === clientMsgId);
    if (!entry) return;
    if (!entry.attachment && entry.message_type !== 'text') return this.startUpload(entry);
    entry.state = 'pending';
    entry.error = null;
    this.saveOutbox();
    this.emitOutbox(entry);
    this.flushOutbox();
  }

  discard(clientMsgId) {
    const entry = this.outbox.find((m) => m.client_msg_id === clientMsgId);
    if (!entry) return;
    const upload = this.uploads.get(clientMsgId);
    if (upload) {
      upload.abort?.abort();
      if (upload.previewUrl) URL.revokeObjectURL(upload.previewUrl);
      this.uploads.delete(clientMsgId);
    }
    this.outbox = this.outbox.filter((m) => m !== entry);
    this.saveOutbox();
    this.emitOutbox(entry);
  }

  // Sends the pending entries one after another, in order (the server keeps the order of one
  // connection, and a rate limit then only delays the tail).
  async flushOutbox() {
    if (this.flushing || !this.conn.isOnline) return;
    this.flushing = true;
    try {
      for (;;) {
        const entry = this.outbox.find((m) => m.state === 'pending');
        if (!entry || !this.conn.isOnline) break;
        entry.state = 'sending';
        this.emitOutbox(entry);
        const ok = await this.sendEntry(entry);
        if (!ok) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  async sendEntry(entry) {
    const fields = {
      content: entry.content || '',
      message_type: entry.message_type,
      client_msg_id: entry.client_msg_id,
    };
    if (entry.conversation_id) fields.conversation_id = entry.conversation_id;
    else fields.to = entry.to;
    if (entry.attachment) fields.attachment = entry.attachment;
    try {
      const data = await this.conn.request('message', fields);
      this.delivered(entry, data);
      return true;
    } catch (e) {
      if (e.code === 'validation_failed' && entry.message_type === 'image') {
        entry.message_type = 'file'; // not an image the server recognises: send it as a file
        entry.state = 'pending';
        return true;
      }
      if (RETRYABLE.has(e.code)) {
        entry.state = 'pending';
        this.emitOutbox(entry);
        if (e.code !== 'disconnected') {
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.flushOutbox(), e.retryAfterMs || 2000);
        }
        return false;
      }
      entry.state = 'failed';
      entry.error = e.message;
      this.saveOutbox();
      this.emitOutbox(entry);
      return true;
    }
  }

  // The server committed the message: it becomes a normal message of the thread.
  delivered(entry, data) {
    const cid = data.conversation_id;
    const message = {
      id: data.message_id,
      conversation_id: cid,
      seq: data.seq,
      sender_id: this.me.id,
      type: entry.message_type,
      content: entry.content || '',
      attachment: entry.attachment ? { ...entry.local, file_id: entry.attachment.file_id } : null,
      client_msg_id: entry.client_msg_id,
      created_at: data.timestamp,
    };
    const upload = this.uploads.get(entry.client_msg_id);
    if (upload) {
      // Keep showing the local preview: no flash while the signed URL loads.
      message.localPreview = upload.previewUrl;
      this.uploads.delete(entry.client_msg_id);
    }
    this.outbox = this.outbox.filter((m) => m !== entry);
    this.saveOutbox();
    if (!this.seenIds.has(message.id)) {
      this.seenIds.add(message.id);
      const thread = this.threads.get(cid);
      if (thread && thread.loaded) thread.bySeq.set(message.seq, message);
    }
    let c = this.conversations.get(cid);
    if (!c) {
      c = { id: cid, type: 'private', participants: [this.me.id, entry.to], last_seq: 0, read_seq: 0, unread: 0 };
      this.conversations.set(cid, c);
      this.scheduleConversationRefresh();
    }
    if (data.seq >= (c.last_seq || 0)) {
      c.last_seq = data.seq;
      c.last_message = message;
    }
    if (this.open?.peerId && this.open.peerId === entry.to) {
      this.open = { conversationId: cid };
      const thread = this.thread(cid);
      if (!thread.loaded) this.loadThread(cid);
      this.emit('open', cid);
    }
    // Entries queued for the same peer before the conversation existed go to it now.
    for (const m of this.outbox) if (!m.conversation_id && m.to === entry.to && entry.to) m.conversation_id = cid;
    this.queueAck(cid, data.seq);
    this.emit('messages', cid);
    this.emit('conversations', cid);
  }

  settleOutbox(clientMsgId) {
    // Our own message came back (from the offline sync) before the reply did: the reply to the
    // resend will say duplicate:true; drop the local entry now so it is not shown twice.
    const entry = this.outbox.find((m) => m.client_msg_id === clientMsgId);
    if (entry && entry.state !== 'sending') {
      this.outbox = this.outbox.filter((m) => m !== entry);
      this.saveOutbox();
    }
  }

  // Messages of a conversation to show: stored ones by seq, then our outbox.
  messagesOf(cid) {
    const thread = this.threads.get(cid);
    if (!thread) return [];
    return [...thread.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}

export { RequestError };
