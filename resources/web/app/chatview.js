// The signed-in screen: sidebar (chats, contacts, search, support) and the chat pane. Renders
// from ChatStore; the message list is reconciled by key so that images, scroll position and
// focus survive updates. On narrow screens only one of the two panes is shown at a time.

import {
  el,
  linkified,
  formatTime,
  formatDay,
  formatLastSeen,
  formatSize,
  initials,
  isImageType,
  icon,
} from './util.js';

const TICK_LABELS = {
  pending: 'Sending…',
  uploading: 'Uploading…',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
};

function avatar(name, id, status) {
  return el(
    'span',
    { class: `avatar hue-${Math.abs(Number(id) || 0) % 8}`, 'aria-hidden': 'true' },
    initials(name),
    status ? el('span', { class: `presence-dot ${status}` }) : null,
  );
}

function tickMark(state) {
  const glyph = { sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' }[state];
  return el(
    'span',
    { class: 'tick', dataset: { state }, title: TICK_LABELS[state], 'aria-label': TICK_LABELS[state] },
    glyph || icon('clock'),
  );
}

export class ChatView {
  constructor(root, store, connection, { onLogout }) {
    this.root = root;
    this.store = store;
    this.conn = connection;
    this.onLogout = onLogout;
    this.messageNodes = new Map(); // key -> {node, sig}
    this.renderedConversation = undefined;
    this.attachments = []; // files chosen but not sent yet: {file, url}
    this.tab = 'chats';
    this.dirty = {};
    this.renderTimer = null;
    this.build();

    this.onChange = (e) => this.changed(e.detail);
    this.onState = (e) => this.renderConnection(e.detail);
    store.addEventListener('change', this.onChange);
    connection.addEventListener('state', this.onState);
    this.renderConnection({ state: connection.state });
    this.renderSidebar();
    this.renderChat();
  }

  dispose() {
    this.store.removeEventListener('change', this.onChange);
    this.conn.removeEventListener('state', this.onState);
    clearInterval(this.countdown);
    clearTimeout(this.renderTimer);
    for (const a of this.attachments) if (a.url) URL.revokeObjectURL(a.url);
    this.root.replaceChildren();
  }

  // ---- layout

  build() {
    const s = this.store;
    const me = s.me;
    this.statusLine = el('span', { class: 'my-status' });
    this.banner = el('div', { class: 'conn-banner', role: 'status', 'aria-live': 'polite', hidden: true });
    this.searchInput = el('input', {
      class: 'search',
      type: 'search',
      placeholder: 'Find people by name…',
      'aria-label': 'Find people',
      autocomplete: 'off',
    });
    this.searchInput.addEventListener('input', () => this.searchSoon());
    this.searchResults = el('ul', { class: 'search-results', hidden: true, 'aria-label': 'Search results' });
    this.chatList = el('ul', { class: 'conversation-list', 'aria-label': 'Conversations' });
    this.contactList = el('ul', { class: 'contact-list', 'aria-label': 'Contacts', hidden: true });
    this.tabButtons = {
      chats: el('button', { type: 'button', class: 'tab active', onclick: () => this.showTab('chats') }, 'Chats'),
      contacts: el('button', { type: 'button', class: 'tab', onclick: () => this.showTab('contacts') }, 'Contacts'),
    };
    const supportButton = s.isStaff
      ? null
      : el(
          'button',
          { type: 'button', class: 'support-button', onclick: () => s.openSupport() },
          icon('chat'),
          'Contact support',
        );

    this.sidebar = el(
      'aside',
      { class: 'sidebar' },
      el(
        'header',
        { class: 'me' },
        avatar(me.display_name || me.username, me.id),
        el(
          'div',
          { class: 'me-text' },
          el('strong', { class: 'me-name' }, me.display_name || me.username),
          el('span', { class: 'me-role' }, s.isGuest ? 'Guest' : `@${me.username}`, ' · ', this.statusLine),
        ),
        el('button', { type: 'button', class: 'ghost logout', onclick: () => this.onLogout() }, 'Log out'),
      ),
      this.banner,
      supportButton,
      s.isGuest ? null : el('div', { class: 'search-box' }, this.searchInput, this.searchResults),
      s.isGuest ? null : el('nav', { class: 'tabs' }, this.tabButtons.chats, this.tabButtons.contacts),
      el('div', { class: 'lists' }, this.chatList, this.contactList),
    );

    // chat pane
    this.chatTitle = el('h2', { class: 'chat-title' });
    this.chatSubtitle = el('div', { class: 'chat-subtitle', 'aria-live': 'polite' });
    this.chatAvatar = el('span', { class: 'chat-avatar' });
    this.headerActions = el('div', { class: 'header-actions' });
    this.olderButton = el(
      'button',
      { type: 'button', class: 'load-older', hidden: true, onclick: () => this.loadOlder() },
      'Load earlier messages',
    );
    this.messageList = el('div', { class: 'message-items' });
    this.messagesBox = el(
      'div',
      { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' },
      this.olderButton,
      this.messageList,
    );
    this.messagesBox.addEventListener('scroll', () => {
      if (this.messagesBox.scrollTop < 60) this.loadOlder();
    });
    this.tray = el('div', { class: 'attachment-tray', hidden: true });
    this.fileInput = el('input', { type: 'file', multiple: true, hidden: true, class: 'file-input' });
    this.fileInput.addEventListener('change', () => {
      this.addAttachments([...this.fileInput.files]);
      this.fileInput.value = '';
    });
    this.textarea = el('textarea', {
      class: 'composer-input',
      rows: 1,
      placeholder: 'Write a message…',
      'aria-label': 'Message',
      maxlength: 5000,
    });
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener('input', () => {
      this.autosize();
      if (this.textarea.value.trim()) this.store.sendTyping();
    });
    this.textarea.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (files.length) {
        e.preventDefault();
        this.addAttachments(files);
      }
    });
    this.composer = el(
      'form',
      { class: 'composer', onsubmit: (e) => (e.preventDefault(), this.submit()) },
      el(
        'button',
        { type: 'button', class: 'attach', title: 'Attach image or file', 'aria-label': 'Attach image or file', onclick: () => this.fileInput.click() },
        icon('attach'),
      ),
      this.fileInput,
      this.textarea,
      el('button', { type: 'submit', class: 'send', title: 'Send', 'aria-label': 'Send' }, icon('send')),
    );
    this.emptyState = el(
      'div',
      { class: 'empty-chat' },
      icon('chat', 'empty-logo'),
      el('p', {}, s.isGuest ? 'Questions? Our team is here to help.' : 'Pick a conversation, find someone to talk to, or ask our support team.'),
      s.isStaff ? null : el('button', { type: 'button', class: 'primary', onclick: () => s.openSupport() }, 'Contact support'),
    );
    this.chatPane = el(
      'main',
      { class: 'chat' },
      el(
        'header',
        { class: 'chat-header' },
        el('button', { type: 'button', class: 'back', 'aria-label': 'Back to conversations', onclick: () => this.store.closeChat() }, icon('back')),
        this.chatAvatar,
        el('div', { class: 'chat-heading' }, this.chatTitle, this.chatSubtitle),
        this.headerActions,
      ),
      this.messagesBox,
      this.tray,
      this.composer,
    );
    this.chatPane.addEventListener('dragover', (e) => {
      if (this.store.open && e.dataTransfer?.types?.includes('Files')) e.preventDefault();
    });
    this.chatPane.addEventListener('drop', (e) => {
      if (!this.store.open || !e.dataTransfer?.files?.length) return;
      e.preventDefault();
      this.addAttachments([...e.dataTransfer.files]);
    });
    this.toasts = el('div', { class: 'toasts', 'aria-live': 'assertive' });
    this.shell = el('div', { class: 'shell', dataset: { view: 'list' } }, this.sidebar, this.chatPane, this.emptyState, this.toasts);
    this.root.replaceChildren(this.shell);
  }

  showTab(tab) {
    this.tab = tab;
    for (const [name, button] of Object.entries(this.tabButtons)) button.classList.toggle('active', name === tab);
    this.chatList.hidden = tab !== 'chats';
    this.contactList.hidden = tab !== 'contacts';
  }

  // Store changes are coalesced: an offline sync of hundreds of messages renders once, not once
  // per message. Opening a chat renders at once.
  changed({ what, conversationId, text, kind, prepended }) {
    switch (what) {
      case 'notice':
        return this.toast(text, kind);
      case 'conversations':
      case 'contacts':
      case 'presence':
        return this.schedule({ sidebar: true, header: true });
      case 'open':
        this.flushRender();
        this.renderSidebar();
        return this.renderChat();
      case 'typing':
        return this.schedule({ header: true });
      case 'messages':
      case 'receipts':
        if (conversationId === undefined || this.isShown(conversationId)) this.schedule({ messages: true, prepended });
        return;
      default:
        return;
    }
  }

  schedule(parts) {
    for (const [part, on] of Object.entries(parts)) if (on) this.dirty[part] = true;
    if (!this.renderTimer) this.renderTimer = setTimeout(() => this.flushRender(), 16);
  }

  flushRender() {
    clearTimeout(this.renderTimer);
    this.renderTimer = null;
    const dirty = this.dirty;
    this.dirty = {};
    if (dirty.sidebar) this.renderSidebar();
    if (dirty.header) this.renderHeader();
    if (dirty.messages) this.renderMessages({ prepended: dirty.prepended });
  }

  isShown(cid) {
    return this.store.open?.conversationId === cid;
  }

  toast(text, kind = 'error') {
    const node = el('div', { class: `toast ${kind}`, role: 'alert' }, text);
    this.toasts.append(node);
    setTimeout(() => node.remove(), 5000);
  }

  // ---- connection banner

  renderConnection({ state, retryAt, reason }) {
    clearInterval(this.countdown);
    this.shell.dataset.connection = state;
    const labels = {
      online: 'online',
      connecting: 'connecting…',
      authenticating: 'connecting…',
      waiting: 'reconnecting…',
      offline: 'offline',
      kicked: 'disconnected',
      limited: 'disconnected',
      stopped: 'signed out',
    };
    this.statusLine.textContent = labels[state] || state;
    this.statusLine.dataset.state = state;
    const retry = (label) => el('button', { type: 'button', class: 'link', onclick: () => this.conn.retryNow() }, label);
    let content = null;
    if (state === 'connecting' || state === 'authenticating') content = ['Connecting…'];
    else if (state === 'offline') content = ['You are offline. Messages will be sent when you are back online.'];
    else if (state === 'waiting') {
      const line = el('span');
      const tick = () => {
        const s = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
        line.textContent = `Connection lost. Reconnecting in ${s} s… `;
      };
      tick();
      this.countdown = setInterval(tick, 1000);
      content = [line, retry('Retry now')];
    } else if (state === 'kicked' || state === 'limited') content = [`${reason}. `, retry('Reconnect')];
    this.banner.hidden = !content;
    this.banner.dataset.state = state;
    this.banner.replaceChildren(...(content || []));
    this.renderComposerState();
  }

  // ---- sidebar

  renderSidebar() {
    const s = this.store;
    const conversations = [...s.conversations.values()].sort(
      (a, b) => (b.last_message?.created_at || 0) - (a.last_message?.created_at || 0) || b.id - a.id,
    );
    let totalUnread = 0;
    const items = conversations.map((c) => {
      totalUnread += c.unread || 0;
      const peer = s.peerOf(c);
      const title = s.titleOf(c);
      const last = c.last_message;
      let preview = '';
      if (last) {
        const who = last.sender_id === s.me.id ? 'You: ' : c.type === 'private' ? '' : `${s.senderLabel(c, last.sender_id)}: `;
        const body =
          last.type === 'image' ? `Photo${last.content ? ': ' + last.content : ''}` : last.type === 'file' ? `File: ${last.attachment?.name || 'file'}` : last.content;
        preview = last.type === 'system' ? last.content : who + body;
      } else if (c.type === 'support') {
        preview = 'Ask us anything';
      }
      const active = s.open?.conversationId === c.id;
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            class: `conversation${active ? ' active' : ''}${c.unread ? ' has-unread' : ''}`,
            dataset: { conversationId: c.id, type: c.type },
            onclick: () => s.openConversation(c.id),
          },
          c.type === 'support'
            ? el('span', { class: 'avatar support', 'aria-hidden': 'true' }, '?')
            : avatar(title, peer ?? c.id, peer ? s.presence.get(peer)?.status || 'offline' : null),
          el(
            'span',
            { class: 'conversation-text' },
            el('span', { class: 'conversation-top' }, el('span', { class: 'conversation-title' }, title), el('time', {}, formatTime(last?.created_at))),
            el(
              'span',
              { class: 'conversation-bottom' },
              el('span', { class: 'conversation-preview' }, preview),
              c.unread ? el('span', { class: 'unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null,
            ),
          ),
        ),
      );
    });
    if (!items.length && s.conversationsLoaded) {
      items.push(
        el('li', { class: 'list-empty' }, s.isGuest ? 'No conversations yet.' : 'No conversations yet. Find someone above to start chatting.'),
      );
    }
    this.chatList.replaceChildren(...items);
    document.title = totalUnread ? `(${totalUnread}) Switchboard` : 'Switchboard';

    const contacts = [...s.contacts].sort((a, b) => (a.display_name || '').localeCompare(b.display_name || ''));
    const contactItems = contacts.map((c) => {
      const status = s.presence.get(c.user_id)?.status || c.status || 'offline';
      return el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'contact', dataset: { userId: c.user_id }, onclick: () => s.openPeer(c.user_id) },
          avatar(c.display_name, c.user_id, status),
          el('span', { class: 'conversation-text' }, el('span', { class: 'conversation-title' }, c.display_name), el('span', { class: 'conversation-preview' }, this.presenceText(c.user_id))),
        ),
        el('button', { type: 'button', class: 'ghost remove-contact', title: 'Remove contact', 'aria-label': `Remove ${c.display_name}`, onclick: () => s.removeContact(c.user_id) }, '×'),
      );
    });
    if (!contactItems.length) contactItems.push(el('li', { class: 'list-empty' }, 'No contacts yet. Search for people above.'));
    this.contactList.replaceChildren(...contactItems);
  }

  presenceText(userId) {
    const p = this.store.presence.get(userId);
    if (!p) return '';
    if (p.status === 'online') return 'online';
    if (p.status === 'away') return 'away';
    return formatLastSeen(p.last_seen_at);
  }

  searchSoon() {
    clearTimeout(this.searchTimer);
    const query = this.searchInput.value.trim();
    if (!query) {
      this.searchResults.hidden = true;
      this.searchResults.replaceChildren();
      return;
    }
    this.searchTimer = setTimeout(() => this.runSearch(query), 250);
  }

  async runSearch(query) {
    let users;
    try {
      users = await this.store.search(query);
    } catch (e) {
      return this.toast(e.message);
    }
    if (this.searchInput.value.trim() !== query) return;
    const contactIds = new Set(this.store.contacts.map((c) => c.user_id));
    const items = users.map((u) =>
      el(
        'li',
        { class: 'search-result', dataset: { userId: u.id } },
        avatar(u.display_name || u.username, u.id),
        el('span', { class: 'conversation-text' }, el('span', { class: 'conversation-title' }, u.display_name || u.username), el('span', { class: 'conversation-preview' }, `@${u.username}`)),
        el('button', { type: 'button', class: 'small', onclick: () => this.startChat(u.id) }, 'Message'),
        contactIds.has(u.id) ? null : el('button', { type: 'button', class: 'small ghost add-contact', onclick: () => this.store.addContact(u.id).then(() => this.runSearch(query)) }, 'Add'),
      ),
    );
    if (!items.length) items.push(el('li', { class: 'list-empty' }, 'Nobody found.'));
    this.searchResults.replaceChildren(...items);
    this.searchResults.hidden = false;
  }

  startChat(userId) {
    this.searchInput.value = '';
    this.searchResults.hidden = true;
    this.store.openPeer(userId);
  }

  // ---- chat pane

  renderChat() {
    const s = this.store;
    const open = s.open;
    this.shell.dataset.view = open ? 'chat' : 'list';
    this.chatPane.hidden = !open;
    this.emptyState.hidden = !!open;
    const key = open ? open.conversationId ?? `peer:${open.peerId}` : null;
    if (key !== this.renderedConversation) {
      this.renderedConversation = key;
      this.messageNodes.clear();
      this.messageList.replaceChildren();
      this.clearAttachments();
      this.stickToBottom = true;
      if (open) setTimeout(() => this.textarea.focus({ preventScroll: true }), 0);
    }
    if (!open) return;
    this.renderHeader();
    this.renderMessages({});
    this.renderComposerState();
  }

  renderHeader() {
    const s = this.store;
    const open = s.open;
    if (!open) return;
    const c = open.conversationId ? s.conversations.get(open.conversationId) : null;
    const peer = c ? s.peerOf(c) : open.peerId;
    const title = c ? s.titleOf(c) : s.nameOf(peer);
    this.chatTitle.textContent = title;
    this.chatAvatar.replaceChildren(
      c?.type === 'support' ? el('span', { class: 'avatar support', 'aria-hidden': 'true' }, '?') : avatar(title, peer ?? c?.id, peer ? s.presence.get(peer)?.status || 'offline' : null),
    );
    const typing = c ? s.typingIn(c.id) : [];
    let subtitle;
    if (typing.length) {
      subtitle = [
        el('span', { class: 'dots', 'aria-hidden': 'true' }, el('i'), el('i'), el('i')),
        ` ${typing.map((id) => s.senderLabel(c, id)).join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`,
      ];
    }
    else if (peer) subtitle = this.presenceText(peer);
    else if (c?.type === 'support') subtitle = c.status === 'closed' ? 'This support chat is closed' : 'Customer support · we reply as soon as we can';
    else if (c?.type === 'group') subtitle = `${(c.participants || []).length} members`;
    this.chatSubtitle.replaceChildren(...[subtitle || ''].flat());
    this.chatSubtitle.classList.toggle('typing', typing.length > 0);
    const actions = [];
    if (peer && !s.isGuest && !s.contacts.some((x) => x.user_id === peer)) {
      actions.push(el('button', { type: 'button', class: 'small ghost add-contact', onclick: () => s.addContact(peer) }, 'Add contact'));
    }
    this.headerActions.replaceChildren(...actions);
  }

  renderComposerState() {
    if (!this.textarea) return;
    const c = this.store.open?.conversationId ? this.store.conversations.get(this.store.open.conversationId) : null;
    const closed = c?.type === 'support' && c.status === 'closed';
    this.textarea.placeholder = closed
      ? 'This chat is closed — contact support again to start a new one'
      : this.conn.isOnline
        ? 'Write a message…'
        : 'Write a message… (sent when back online)';
  }

  // Items to show: day separators, stored messages, then our unsent ones.
  renderMessages({ prepended }) {
    const s = this.store;
    const open = s.open;
    if (!open) return;
    const box = this.messagesBox;
    const fromBottom = box.scrollHeight - box.scrollTop;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const cid = open.conversationId;
    const conversation = cid ? s.conversations.get(cid) : null;
    const thread = cid ? s.threads.get(cid) : null;
    const stored = cid ? s.messagesOf(cid) : [];
    const pending = s.pendingFor(open);

    const items = [];
    let lastDay = null;
    const pushDay = (ms) => {
      const day = new Date(ms || Date.now()).toDateString();
      if (day !== lastDay) {
        lastDay = day;
        items.push({ key: `d:${day}`, sig: day, build: () => el('div', { class: 'day-separator' }, el('span', {}, formatDay(ms || Date.now()))) });
      }
    };
    for (const m of stored) {
      pushDay(m.created_at);
      const mine = m.sender_id === s.me.id;
      const tick = mine ? s.tickOf(m) : null;
      items.push({
        key: mine && m.client_msg_id ? `c:${m.client_msg_id}` : `m:${m.id}`,
        sig: `${m.id}|${tick}|${m.attachment?.url || ''}|${m.content}`,
        build: () => this.messageNode(m, conversation, tick),
      });
    }
    for (const p of pending) {
      pushDay(p.created_at);
      const upload = s.uploadOf(p);
      const progress = upload ? Math.round((upload.progress || 0) * 20) : 0;
      items.push({
        key: `c:${p.client_msg_id}`,
        sig: `pending|${p.state}|${progress}|${p.error || ''}|${p.message_type}`,
        build: () => this.pendingNode(p, upload),
      });
    }

    // Reconcile: reuse nodes whose signature did not change, keep the order of `items`.
    this.messageList.querySelector(':scope > .no-messages')?.remove();
    const keep = new Map(items.map((i) => [i.key, i.sig]));
    for (const [key, entry] of this.messageNodes) {
      if (keep.get(key) !== entry.sig) {
        entry.node.remove(); // gone, or changed: built again below
        this.messageNodes.delete(key);
      }
    }
    let cursor = this.messageList.firstChild;
    for (const item of items) {
      let entry = this.messageNodes.get(item.key);
      if (!entry) {
        entry = { node: item.build(), sig: item.sig };
        this.messageNodes.set(item.key, entry);
      }
      if (entry.node === cursor) cursor = cursor.nextSibling;
      else this.messageList.insertBefore(entry.node, cursor);
    }

    const loading = thread?.loading && !thread.loaded;
    this.messageList.classList.toggle('loading', !!loading);
    this.olderButton.hidden = !(thread?.loaded && thread.hasMoreBefore);
    this.olderButton.disabled = !!thread?.loadingOlder;
    this.olderButton.textContent = thread?.loadingOlder ? 'Loading…' : 'Load earlier messages';
    if (!items.length && !loading) {
      this.messageList.replaceChildren(
        el('div', { class: 'no-messages' }, conversation?.type === 'support' ? 'Tell us how we can help — an agent will answer here.' : 'No messages yet. Say hello!'),
      );
      this.messageNodes.clear();
    }

    if (prepended) box.scrollTop = box.scrollHeight - fromBottom;
    else if (atBottom || this.stickToBottom) {
      box.scrollTop = box.scrollHeight;
      this.stickToBottom = !!loading || !thread?.loaded;
    }
  }

  attachmentNode(attachment, type, localPreview) {
    if (!attachment) return null;
    const url = attachment.url;
    if (type === 'image' && (url || localPreview)) {
      const img = el('img', { class: 'attachment-image', src: localPreview || url, alt: attachment.name || 'Image', loading: 'lazy' });
      img.addEventListener('load', () => {
        const box = this.messagesBox;
        if (box.scrollHeight - box.scrollTop - box.clientHeight < img.height + 120) box.scrollTop = box.scrollHeight;
      });
      return url ? el('a', { class: 'image-link', href: url, target: '_blank', rel: 'noopener noreferrer' }, img) : img;
    }
    return el(
      url ? 'a' : 'div',
      { class: 'file-card', href: url, target: url ? '_blank' : null, rel: url ? 'noopener noreferrer' : null, download: url ? attachment.name || true : null },
      icon('file', 'file-icon'),
      el('span', { class: 'file-text' }, el('span', { class: 'file-name' }, attachment.name || 'File'), el('span', { class: 'file-size' }, formatSize(attachment.size))),
    );
  }

  messageNode(m, conversation, tick) {
    const s = this.store;
    if (m.type === 'system') {
      return el('div', { class: 'msg system', dataset: { id: m.id, seq: m.seq } }, el('span', {}, m.content));
    }
    const mine = m.sender_id === s.me.id;
    const showSender = !mine && conversation && conversation.type !== 'private';
    return el(
      'div',
      { class: `msg ${mine ? 'mine' : 'theirs'} type-${m.type}`, dataset: { id: m.id, seq: m.seq, sender: m.sender_id } },
      el(
        'div',
        { class: 'bubble' },
        showSender ? el('div', { class: 'sender' }, s.senderLabel(conversation, m.sender_id)) : null,
        this.attachmentNode(m.attachment, m.type, m.localPreview),
        m.content ? el('div', { class: 'text' }, linkified(m.content)) : null,
        el('div', { class: 'meta' }, el('time', { datetime: new Date(m.created_at).toISOString() }, formatTime(m.created_at)), mine ? tickMark(tick) : null),
      ),
    );
  }

  pendingNode(p, upload) {
    const s = this.store;
    const state = p.state === 'failed' ? 'failed' : p.state === 'uploading' ? 'uploading' : 'pending';
    const attachment = p.message_type === 'text' ? null : { ...p.local, url: null };
    return el(
      'div',
      { class: `msg mine pending type-${p.message_type}${state === 'failed' ? ' failed' : ''}`, dataset: { clientId: p.client_msg_id } },
      el(
        'div',
        { class: 'bubble' },
        attachment ? this.attachmentNode(attachment, p.message_type, upload?.previewUrl || (isImageType(p.local?.mime) ? p.local?.url : null)) : null,
        state === 'uploading' ? el('progress', { class: 'upload-progress', max: 1, value: upload?.progress || 0 }) : null,
        p.content ? el('div', { class: 'text' }, linkified(p.content)) : null,
        state === 'failed'
          ? el(
              'div',
              { class: 'failure' },
              el('span', {}, p.error || 'Not sent'),
              ' ',
              el('button', { type: 'button', class: 'link', onclick: () => s.retry(p.client_msg_id) }, 'Retry'),
              ' ',
              el('button', { type: 'button', class: 'link', onclick: () => s.discard(p.client_msg_id) }, 'Delete'),
            )
          : null,
        el('div', { class: 'meta' }, el('time', {}, formatTime(p.created_at)), tickMark(state)),
      ),
    );
  }

  loadOlder() {
    const cid = this.store.open?.conversationId;
    if (cid) this.store.loadOlder(cid);
  }

  // ---- composing

  autosize() {
    const t = this.textarea;
    t.style.height = 'auto';
    t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
  }

  addAttachments(files) {
    for (const file of files) this.attachments.push({ file, url: isImageType(file.type) ? URL.createObjectURL(file) : null });
    this.renderTray();
    this.textarea.focus();
  }

  clearAttachments() {
    for (const a of this.attachments) if (a.url) URL.revokeObjectURL(a.url);
    this.attachments = [];
    this.renderTray();
  }

  renderTray() {
    this.tray.hidden = this.attachments.length === 0;
    this.tray.replaceChildren(
      ...this.attachments.map((a, i) =>
        el(
          'div',
          { class: 'tray-item' },
          a.url ? el('img', { class: 'tray-thumb', src: a.url, alt: a.file.name }) : icon('file', 'tray-thumb file-icon'),
          el('span', { class: 'file-text' }, el('span', { class: 'file-name' }, a.file.name), el('span', { class: 'file-size' }, formatSize(a.file.size))),
          el(
            'button',
            {
              type: 'button',
              class: 'ghost remove-attachment',
              'aria-label': `Remove ${a.file.name}`,
              onclick: () => {
                if (a.url) URL.revokeObjectURL(a.url);
                this.attachments.splice(i, 1);
                this.renderTray();
              },
            },
            '×',
          ),
        ),
      ),
    );
  }

  submit() {
    const s = this.store;
    if (!s.open) return;
    const text = this.textarea.value;
    if (this.attachments.length) {
      this.attachments.forEach((a, i) => {
        if (a.url) URL.revokeObjectURL(a.url);
        s.sendFile(a.file, i === 0 ? text : '');
      });
      this.attachments = [];
      this.renderTray();
    } else if (text.trim()) {
      s.sendText(text);
    } else {
      return;
    }
    this.textarea.value = '';
    this.autosize();
    this.stickToBottom = true;
    this.renderMessages({});
  }
}
