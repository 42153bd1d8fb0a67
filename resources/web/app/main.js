// Entry point of the web client: the sign-in screen (log in, register, continue as guest) and,
// once signed in, the chat (Connection → ChatStore → ChatView). The session (JWT, its expiry and
// the user) lives in localStorage, so a reload or a reopened tab signs in again by itself.

import { api } from './api.js';
import { Connection } from './connection.js';
import { ChatStore } from './chatstore.js';
import { ChatView } from './chatview.js';
import { el, storage } from './util.js';

const SESSION_KEY = 'sb.session';
const root = document.getElementById('app');
let running = null;

function savedSession() {
  const s = storage.get(SESSION_KEY);
  if (!s || !s.token || !s.user || !(s.expires_at > Date.now() + 60000)) return null;
  return s;
}

function start(session) {
  const conn = new Connection(session.token);
  const store = new ChatStore(conn, session.user, session.token);
  const view = new ChatView(root, store, conn, { onLogout: () => logout() });
  conn.addEventListener('expired', () => logout('Your session has expired. Please sign in again.'));
  conn.addEventListener('session', (e) => {
    // Keep the stored profile fresh (display name changes).
    if (e.detail.user) storage.set(SESSION_KEY, { ...session, user: e.detail.user });
  });
  running = { conn, store, view, session };
  window.switchboard = running; // for debugging in the browser console
  conn.start();
}

function logout(message) {
  if (running) {
    const { conn, store, view, session } = running;
    conn.stop();
    store.dispose();
    view.dispose();
    // Nothing of this account stays on a shared computer.
    const prefix = `sb.${session.user.id}.`;
    try {
      for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) localStorage.removeItem(key);
    } catch {
      /* storage unavailable */
    }
    running = null;
    window.switchboard = null;
  }
  storage.remove(SESSION_KEY);
  showAuth(message);
}

function signedIn(reply) {
  const session = { token: reply.token, expires_at: reply.expires_at, user: reply.user };
  storage.set(SESSION_KEY, session);
  start(session);
}

function field(label, input) {
  return el('label', { class: 'field' }, el('span', {}, label), input);
}

function showAuth(message) {
  const error = el('p', { class: 'auth-error', role: 'alert' }, message || '');
  const busy = (form, on) => {
    for (const c of form.elements) c.disabled = on;
    form.classList.toggle('busy', on);
  };
  const fail = (e) => {
    if (e.code === 'rate_limited' && e.retryAfterMs) {
      error.textContent = `Too many attempts. Try again in ${Math.ceil(e.retryAfterMs / 60000)} min.`;
    } else {
      error.textContent = e.message;
    }
  };
  const submit = (form, action) => async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    busy(form, true);
    try {
      signedIn(await action());
    } catch (e) {
      busy(form, false);
      fail(e);
    }
  };

  const loginUser = el('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const loginPass = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const loginForm = el(
    'form',
    { class: 'login-form' },
    field('Username', loginUser),
    field('Password', loginPass),
    el('button', { type: 'submit', class: 'primary' }, 'Log in'),
  );
  loginForm.addEventListener('submit', submit(loginForm, () => api.login(loginUser.value.trim().toLowerCase(), loginPass.value)));

  const regName = el('input', { name: 'display_name', autocomplete: 'name', required: true, maxlength: 64 });
  const regUser = el('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    minlength: 3,
    maxlength: 32,
    pattern: '[a-z0-9_.\\-]{3,32}',
    title: '3–32 characters: lowercase letters, digits, _ . -',
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const regPass = el('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const registerForm = el(
    'form',
    { class: 'register-form', hidden: true },
    field('Your name', regName),
    field('Username', regUser),
    el('small', { class: 'hint' }, '3–32 characters: a–z, 0–9, _ . -'),
    field('Password', regPass),
    el('small', { class: 'hint' }, 'At least 8 characters'),
    el('button', { type: 'submit', class: 'primary' }, 'Create account'),
  );
  regUser.addEventListener('input', () => (regUser.value = regUser.value.toLowerCase()));
  registerForm.addEventListener(
    'submit',
    submit(registerForm, async () => {
      const username = regUser.value.trim();
      await api.register(username, regPass.value, regName.value.trim());
      return api.login(username, regPass.value);
    }),
  );

  const guestName = el('input', { name: 'guest_name', autocomplete: 'name', maxlength: 64, placeholder: 'Your name (optional)', 'aria-label': 'Your name (optional)' });
  const guestForm = el(
    'form',
    { class: 'guest-form' },
    guestName,
    el('button', { type: 'submit', class: 'secondary' }, 'Continue as guest'),
  );
  guestForm.addEventListener('submit', submit(guestForm, () => api.guest(guestName.value.trim())));

  const tabs = {};
  const show = (which) => {
    loginForm.hidden = which !== 'login';
    registerForm.hidden = which !== 'register';
    for (const [name, b] of Object.entries(tabs)) {
      b.classList.toggle('active', name === which);
      b.setAttribute('aria-selected', String(name === which));
    }
    error.textContent = '';
    (which === 'login' ? loginUser : regName).focus();
  };
  tabs.login = el('button', { type: 'button', role: 'tab', class: 'tab active', onclick: () => show('login') }, 'Log in');
  tabs.register = el('button', { type: 'button', role: 'tab', class: 'tab', onclick: () => show('register') }, 'Register');

  root.replaceChildren(
    el(
      'div',
      { class: 'auth-screen' },
      el(
        'div',
        { class: 'auth-card' },
        el('div', { class: 'brand' }, el('img', { src: new URL('./icon.svg', import.meta.url).href, alt: '', width: 40, height: 40 }), el('h1', {}, 'Switchboard')),
        el('p', { class: 'tagline' }, 'Chat with people you know — and get help from our team.'),
        el('div', { class: 'tabs', role: 'tablist' }, tabs.login, tabs.register),
        loginForm,
        registerForm,
        error,
        el('div', { class: 'divider' }, el('span', {}, 'or')),
        el('p', { class: 'guest-hint' }, 'Just have a question? No account needed.'),
        guestForm,
      ),
    ),
  );
  loginUser.focus();
}

const session = savedSession();
if (session) start(session);
else showAuth();
