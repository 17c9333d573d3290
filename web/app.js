// The Parley web chat: log in over WebSocket (RFC 7395), or BOSH (XEP-0206) where
// that fails, with the endpoints this server names in its XEP-0156 host-meta;
// show the roster with presence; add and remove contacts and answer presence
// subscription requests (RFC 6121 §2-§3); send and receive one-to-one messages.
// Text from the network only ever reaches the page through textContent.
'use strict';

const $ = (id) => document.getElementById(id);
const S = () => window.Strophe;

let conn = null;
let me = null;            // our bare JID
let peer = null;          // bare JID of the open conversation
// bare JID -> { name, inRoster, subscription, ask, resources: Map(resource -> show), unread }
const contacts = new Map();
const history = new Map();   // bare JID -> [{ mine, text, time }]
const requests = new Map();  // bare JID -> the <status/> text of its subscription request
// Contacts added here while the server has no pre-approval (RFC 6121 §3.4): their
// subscription request, the answer to ours, is approved without asking again.
const grantOnRequest = new Set();
const NS_PREAPPROVAL = 'urn:xmpp:features:pre-approval';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

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
  if (!contacts.has(bare)) {
    contacts.set(bare, { name: '', inRoster: false, subscription: 'none', ask: false,
                         resources: new Map(), unread: 0 });
  }
  return contacts.get(bare);
}

// Do we receive the contact's presence, or have we asked to?
function subscribedTo(c) {
  return c.subscription === 'to' || c.subscription === 'both' || c.ask;
}

// The roster item's subscription state (RFC 6121 §2.1.2.5) in words.
function subscriptionText(c) {
  if (!c.inRoster) return 'not in your contacts';
  const words = { none: 'no presence shared', to: 'you see them', from: 'they see you',
                  both: 'you see each other' };
  if (c.ask && c.subscription === 'none') return 'waiting for approval';
  if (c.ask) return `${words[c.subscription]} · waiting for approval`;
  return words[c.subscription] || words.none;
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
    li.dataset.subscription = c.subscription;
    if (c.ask) li.dataset.ask = 'subscribe';
    if (!c.inRoster) li.dataset.stranger = '';
    const dot = document.createElement('span');
    dot.className = 'dot';
    const who = document.createElement('span');
    who.className = 'who';
    const top = document.createElement('span');
    top.className = 'top';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.name || bare;
    name.title = bare;
    top.append(name);
    if (c.unread) {
      const unread = document.createElement('span');
      unread.className = 'unread';
      unread.textContent = `(${c.unread})`;
      top.append(unread);
    }
    const sub = document.createElement('span');
    sub.className = 'sub';
    sub.textContent = subscriptionText(c);
    who.append(top, sub);
    const show = document.createElement('span');
    show.className = 'show';
    show.textContent = state;
    li.append(dot, who, show);
    li.addEventListener('click', () => openConversation(bare));
    list.append(li);
  }
  renderPeerBar();
}

// Subscription requests waiting for the user's answer (RFC 6121 §3.1.3).
function renderRequests() {
  const list = $('requests');
  list.replaceChildren();
  for (const [bare, status] of [...requests.entries()].sort()) {
    const li = document.createElement('li');
    li.dataset.jid = bare;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = bare;
    const note = document.createElement('span');
    note.className = 'note';
    note.textContent = 'wants to see your presence';
    li.append(name, note);
    if (status) {
      const said = document.createElement('q');
      said.className = 'said';
      said.textContent = status;
      li.append(said);
    }
    const actions = document.createElement('span');
    actions.className = 'actions';
    const accept = document.createElement('button');
    accept.type = 'button';
    accept.className = 'accept';
    accept.textContent = 'Accept';
    accept.addEventListener('click', () => acceptRequest(bare));
    const decline = document.createElement('button');
    decline.type = 'button';
    decline.className = 'decline';
    decline.textContent = 'Decline';
    decline.addEventListener('click', () => declineRequest(bare));
    actions.append(accept, decline);
    li.append(actions);
    list.append(li);
  }
  $('requests-box').hidden = requests.size === 0;
}

// What the open conversation's contact is to us, and what can be done about it.
function renderPeerBar() {
  const c = peer && contacts.get(peer);
  $('peer-sub').textContent = c ? subscriptionText(c) : '';
  $('peer-add').hidden = !c || c.inRoster;
  $('peer-subscribe').hidden = !c || !c.inRoster || subscribedTo(c);
  $('peer-remove').hidden = !c || !c.inRoster;
}

function stanzaError(iq) {
  const err = iq && iq.getElementsByTagName('error')[0];
  const cond = err && [...err.children].find((e) => e.namespaceURI === NS_STANZAS);
  return cond ? cond.localName.replace(/-/g, ' ') : 'no answer';
}

function showContactError(text) {
  $('contact-error').textContent = text;
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

// "Remove contact" asks for a second click before it ends both subscriptions.
function resetRemove() {
  const button = $('peer-remove');
  delete button.dataset.confirm;
  button.textContent = 'Remove contact';
}

function openConversation(bare) {
  if (bare !== peer) resetRemove();
  peer = bare;
  contact(bare).unread = 0;
  $('peer').textContent = bare;
  $('text').disabled = false;
  $('compose').querySelector('button').disabled = false;
  renderRoster();
  renderMessages();
  $('text').focus();
}

function closeConversation() {
  resetRemove();
  peer = null;
  $('peer').textContent = 'Pick a contact';
  $('text').disabled = true;
  $('compose').querySelector('button').disabled = true;
  renderMessages();
  renderPeerBar();
}

// RFC 6121 §3.1.1: ask to see the contact's presence.
function requestSubscription(bare) {
  conn.send($pres({ to: bare, type: 'subscribe' }));
}

// RFC 6121 §2.3 then §3.1.1: the roster item, then the subscription request.
// Adding someone also lets them see our presence once they ask, as Gajim's
// "share my status" and Conversations do: pre-approved (§3.4) where the server
// offers it, else approved by this page when their request comes.
function addContact(input) {
  showContactError('');
  const bare = S().getBareJidFromJid(input.trim()).toLowerCase();
  if (!/^[^@\s/]+@[^@\s/]+$/.test(bare)) {
    showContactError('Enter an address like bob@example.org.');
    return false;
  }
  if (bare === me) {
    showContactError('That is your own address.');
    return false;
  }
  const c = conn;
  c.sendIQ($iq({ type: 'set' }).c('query', { xmlns: S().NS.ROSTER }).c('item', { jid: bare }),
    () => {
      if (c !== conn) return;
      const existing = contacts.get(bare);
      if (!existing || !subscribedTo(existing)) requestSubscription(bare);
      if (!existing || existing.subscription === 'none' || existing.subscription === 'to') {
        if (c.features && c.features.getElementsByTagNameNS(NS_PREAPPROVAL, 'sub').length) {
          c.send($pres({ to: bare, type: 'subscribed' }));
        } else {
          grantOnRequest.add(bare);
        }
      }
      openConversation(bare);
    },
    (iq) => { if (c === conn) showContactError(`Cannot add ${bare}: ${stanzaError(iq)}.`); });
  return true;
}

// RFC 6121 §2.5: removing the item also ends both subscriptions.
function removeContact(bare) {
  const c = conn;
  c.sendIQ($iq({ type: 'set' }).c('query', { xmlns: S().NS.ROSTER })
                               .c('item', { jid: bare, subscription: 'remove' }),
    null,
    (iq) => { if (c === conn) showContactError(`Cannot remove ${bare}: ${stanzaError(iq)}.`); });
}

// RFC 6121 §3.1.4-§3.1.5: approve; and ask back unless we already see them, so
// that both end with subscription 'both'.
function acceptRequest(bare) {
  requests.delete(bare);
  renderRequests();
  if (!conn) return;
  conn.send($pres({ to: bare, type: 'subscribed' }));
  const c = contacts.get(bare);
  if (!c || !c.inRoster || !subscribedTo(c)) requestSubscription(bare);
}

// RFC 6121 §3.1.4: refuse.
function declineRequest(bare) {
  requests.delete(bare);
  renderRequests();
  if (conn) conn.send($pres({ to: bare, type: 'unsubscribed' }));
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

function onSubscription(bare, type, pres) {
  if (type === 'subscribe') {
    const c = contacts.get(bare);
    if (grantOnRequest.has(bare) || (c && (c.subscription === 'from' || c.subscription === 'both'))) {
      // One we asked for ourselves, or one already granted (a resend).
      grantOnRequest.delete(bare);
      conn.send($pres({ to: bare, type: 'subscribed' }));
      return;
    }
    const status = pres.getElementsByTagName('status')[0];
    requests.set(bare, status ? status.textContent : '');
    renderRequests();
  } else if (type === 'unsubscribe' && requests.delete(bare)) {
    renderRequests();  // §3.2: they withdrew the request
  }
  // 'subscribed' and 'unsubscribed' change the roster: its push follows.
}

function onPresence(pres) {
  const full = pres.getAttribute('from') || '';
  const bare = S().getBareJidFromJid(full);
  const type = pres.getAttribute('type') || '';
  if (!bare || bare === me) return true;
  if (['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'].includes(type)) {
    onSubscription(bare, type, pres);
    return true;
  }
  if (type && type !== 'unavailable') return true;
  if (type === 'unavailable' && !contacts.has(bare)) return true;
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
  const from = iq.getAttribute('from');
  if (from && from !== me) {
    // RFC 6121 §2.1.6: a push comes from the user's own account or from nobody;
    // anyone else's is not applied, and answered as an IQ nobody handles.
    console.warn(`roster push from ${from} ignored`);
    conn.send($iq({ type: 'error', id: iq.getAttribute('id'), to: from })
      .c('error', { type: 'cancel' }).c('service-unavailable', { xmlns: NS_STANZAS }));
    return true;
  }
  applyRoster(iq);
  conn.send($iq({ type: 'result', id: iq.getAttribute('id') }));
  return true;
}

function applyRoster(iq) {
  for (const item of iq.getElementsByTagName('item')) {
    const bare = item.getAttribute('jid');
    if (!bare) continue;
    const sub = item.getAttribute('subscription') || 'none';
    if (sub === 'remove') {
      contacts.delete(bare);
      grantOnRequest.delete(bare);
      if (bare === peer) closeConversation();
      continue;
    }
    const c = contact(bare);
    c.inRoster = true;
    c.name = item.getAttribute('name') || '';
    c.subscription = ['none', 'to', 'from', 'both'].includes(sub) ? sub : 'none';
    c.ask = item.getAttribute('ask') === 'subscribe';
    // Approved elsewhere (another resource of ours): no longer waiting here.
    if ((c.subscription === 'from' || c.subscription === 'both') && requests.delete(bare)) {
      renderRequests();
    }
  }
  renderRoster();
}

function started(c, transport) {
  conn = c;
  me = S().getBareJidFromJid(c.jid);
  contacts.clear();
  history.clear();
  requests.clear();
  grantOnRequest.clear();
  closeConversation();
  renderRoster();
  renderRequests();
  showContactError('');
  setStatus(`${c.jid} · ${transport}`);
  $('login').hidden = true;
  $('chat').hidden = false;
  $('logout').hidden = false;
  c.addHandler(onMessage, null, 'message');
  c.addHandler(onPresence, null, 'presence');
  c.addHandler(onRosterPush, S().NS.ROSTER, 'iq', 'set');
  // RFC 6121 §2.2: the roster first, then our presence (after which the server
  // delivers the subscription requests that waited for us, §3.1.3).
  const roster = $('roster');
  roster.setAttribute('aria-busy', 'true');
  const ready = () => {
    roster.removeAttribute('aria-busy');
    c.send($pres());
  };
  c.sendIQ($iq({ type: 'get' }).c('query', { xmlns: S().NS.ROSTER }), (iq) => {
    applyRoster(iq);
    ready();
  }, ready);
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
    const input = $('new-contact').value;
    if (!input.trim() || !conn) return;
    if (addContact(input)) $('new-contact').value = '';
  });

  $('peer-add').addEventListener('click', () => { if (peer && conn) addContact(peer); });
  $('peer-subscribe').addEventListener('click', () => {
    if (peer && conn) requestSubscription(peer);
  });
  $('peer-remove').addEventListener('click', (ev) => {
    const button = ev.currentTarget;
    if (!peer || !conn) return;
    if (button.dataset.confirm !== 'yes') {
      button.dataset.confirm = 'yes';
      button.textContent = 'Click again to remove';
      return;
    }
    resetRemove();
    removeContact(peer);
  });
  $('peer-remove').addEventListener('blur', resetRemove);

  $('logout').addEventListener('click', () => {
    if (conn) conn.disconnect('logged out');
  });
});
