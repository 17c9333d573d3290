// The Parley web chat: log in over WebSocket (RFC 7395), or BOSH (XEP-0206) where
// that fails, with the endpoints this server names in its XEP-0156 host-meta;
// show the roster with presence; send and receive one-to-one messages.
// Text from the network only ever reaches the page through textContent.
'use strict';

const $ = (id) => document.getElementById(id);
const S = () => window.Strophe;

let conn = null;
let me = null;            // our bare JID
let peer = null;          // bare JID of the open conversation
const contacts = new Map();  // bare JID -> { name, resources: Map(resource -> show), unread }
const history = new Map();   // bare JID -> [{ mine, text, time }]

function setStatus(text) {
  $('status').textContent = text;
}

// XEP-0156 §3: the endpoints, from host-meta.json; same-origin defaults if absent.
async function discover() {
  const wsScheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const found = { websocket: `${wsScheme}//${location.host}/xmpp-websocket`,
                  bosh: `${location.origin}/http-bind` };
  try {
    const res = await fetch('/.well-known/host-meta.json', { cache: 'no-store' });
    if (res.ok) {
      const links = (await res.json()).links || [];
      for (const l of links) {
        if (l.rel === 'urn:xmpp:alt-connections:websocket') found.websocket = l.href;
        if (l.rel === 'urn:xmpp:alt-connections:xbosh') found.bosh = l.href;
      }
    }
  } catch (e) {
    console.warn('host-meta not available', e);
  }
  return found;
}

function connectWith(service, jid, password) {
  return new Promise((resolve, reject) => {
    const c = new (S().Connection)(service);
    let done = false;
    c.connect(jid, password, (status, condition) => {
      const st = S().Status;
      if (status === st.CONNECTED && !done) {
        done = true;
        resolve(c);
      } else if (!done && (status === st.AUTHFAIL || status === st.CONNFAIL ||
                           status === st.ERROR || status === st.DISCONNECTED)) {
        done = true;
        const err = new Error(status === st.AUTHFAIL ? 'wrong address or password'
                                                     : `cannot connect (${condition || status})`);
        err.auth = status === st.AUTHFAIL;
        reject(err);
      } else if (done && status === st.DISCONNECTED && c === conn) {
        onDisconnected();
      }
    });
  });
}

async function login(jid, password) {
  const endpoints = await discover();
  const tries = [];
  if ('WebSocket' in window && endpoints.websocket) tries.push(['WebSocket', endpoints.websocket]);
  if (endpoints.bosh) tries.push(['BOSH', endpoints.bosh]);
  let last = null;
  for (const [name, service] of tries) {
    setStatus(`connecting over ${name}…`);
    try {
      return [await connectWith(service, jid, password), name];
    } catch (e) {
      last = e;
      if (e.auth) break;  // the other transport would fail the same way
    }
  }
  throw last || new Error('no way to connect');
}

function contact(bare) {
  if (!contacts.has(bare)) contacts.set(bare, { name: '', resources: new Map(), unread: 0 });
  return contacts.get(bare);
}

function presenceOf(c) {
  let best = null;
  for (const show of c.resources.values()) {
    if (show === '' || show === 'chat') return 'online';
    best = 'away';
  }
  return best || 'offline';
}

function renderRoster() {
  const list = $('roster');
  list.replaceChildren();
  const sorted = [...contacts.keys()].sort();
  for (const bare of sorted) {
    const c = contacts.get(bare);
    const state = presenceOf(c);
    const li = document.createElement('li');
    li.className = state + (bare === peer ? ' selected' : '');
    li.dataset.jid = bare;
    const dot = document.createElement('span');
    dot.className = 'dot';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.name || bare;
    const show = document.createElement('span');
    show.className = 'show';
    show.textContent = state;
    li.append(dot, name, show);
    if (c.unread) {
      const unread = document.createElement('span');
      unread.className = 'unread';
      unread.textContent = `(${c.unread})`;
      name.after(unread);
    }
    li.addEventListener('click', () => openConversation(bare));
    list.append(li);
  }
}

function renderMessages() {
  const list = $('messages');
  list.replaceChildren();
  for (const m of history.get(peer) || []) {
    const li = document.createElement('li');
    li.className = m.mine ? 'mine' : 'theirs';
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${m.mine ? 'me' : peer} · ${m.time.toLocaleTimeString()}`;
    li.append(meta, document.createTextNode(m.text));
    list.append(li);
  }
  list.scrollTop = list.scrollHeight;
}

function openConversation(bare) {
  peer = bare;
  contact(bare).unread = 0;
  $('peer').textContent = bare;
  $('text').disabled = false;
  $('compose').querySelector('button').disabled = false;
  renderRoster();
  renderMessages();
  $('text').focus();
}

function remember(bare, mine, text) {
  if (!history.has(bare)) history.set(bare, []);
  history.get(bare).push({ mine, text, time: new Date() });
}

function onMessage(msg) {
  const body = msg.getElementsByTagName('body')[0];
  const type = msg.getAttribute('type') || 'normal';
  if (!body || type === 'error' || type === 'groupchat') return true;
  const from = S().getBareJidFromJid(msg.getAttribute('from') || '');
  if (!from) return true;
  remember(from, false, body.textContent);
  if (from !== peer) contact(from).unread += 1;
  else contact(from);
  renderRoster();
  if (from === peer) renderMessages();
  return true;
}

function onPresence(pres) {
  const full = pres.getAttribute('from') || '';
  const bare = S().getBareJidFromJid(full);
  const type = pres.getAttribute('type') || '';
  if (!bare || bare === me || (type && type !== 'unavailable')) return true;
  const c = contact(bare);
  const resource = S().getResourceFromJid(full) || '';
  if (type === 'unavailable') {
    c.resources.delete(resource);
  } else {
    const show = pres.getElementsByTagName('show')[0];
    c.resources.set(resource, show ? show.textContent : '');
  }
  renderRoster();
  return true;
}

function onRosterPush(iq) {
  applyRoster(iq);
  conn.send($iq({ type: 'result', id: iq.getAttribute('id') }));
  return true;
}

function applyRoster(iq) {
  for (const item of iq.getElementsByTagName('item')) {
    const bare = item.getAttribute('jid');
    if (!bare) continue;
    if (item.getAttribute('subscription') === 'remove') contacts.delete(bare);
    else contact(bare).name = item.getAttribute('name') || '';
  }
  renderRoster();
}

function started(c, transport) {
  conn = c;
  me = S().getBareJidFromJid(c.jid);
  setStatus(`${c.jid} · ${transport}`);
  $('login').hidden = true;
  $('chat').hidden = false;
  $('logout').hidden = false;
  c.addHandler(onMessage, null, 'message');
  c.addHandler(onPresence, null, 'presence');
  c.addHandler(onRosterPush, S().NS.ROSTER, 'iq', 'set');
  // RFC 6121 §2.2: the roster first, then our presence.
  c.sendIQ($iq({ type: 'get' }).c('query', { xmlns: S().NS.ROSTER }), (iq) => {
    applyRoster(iq);
    c.send($pres());
  }, () => c.send($pres()));
}

function onDisconnected() {
  setStatus('disconnected');
  conn = null;
  $('logout').hidden = true;
  $('chat').hidden = true;
  $('login').hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    const button = $('login').querySelector('button');
    button.disabled = true;
    try {
      const [c, transport] = await login($('jid').value.trim(), $('password').value);
      started(c, transport);
    } catch (e) {
      setStatus('not connected');
      $('login-error').textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });

  $('compose').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('text').value;
    if (!text || !peer || !conn) return;
    conn.send($msg({ to: peer, type: 'chat' }).c('body').t(text));
    remember(peer, true, text);
    $('text').value = '';
    renderMessages();
  });

  $('add-contact').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const bare = $('new-contact').value.trim();
    if (!bare || !conn) return;
    conn.sendIQ($iq({ type: 'set' }).c('query', { xmlns: S().NS.ROSTER }).c('item', { jid: bare }));
    contact(bare);
    $('new-contact').value = '';
    openConversation(bare);
  });

  $('logout').addEventListener('click', () => {
    if (conn) conn.disconnect('logged out');
  });
});
