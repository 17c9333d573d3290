// Loaded into a test page next to Strophe.js: a few promise-returning calls the
// tests drive through the browser driver. Everything goes through Strophe's own
// public API, as a web page would use it.
window.xmpp = (() => {
  let conn = null;
  const inbox = [];
  const waiters = [];
  const log = [];

  function deliver(m) {
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  }

  const statusListeners = [];

  function transportOf(c) {
    if (c._proto instanceof Strophe.Websocket) return 'websocket';
    if (c._proto instanceof Strophe.Bosh) return 'bosh';
    return 'unknown';
  }

  function connect({ service, jid, password }) {
    return new Promise((resolve, reject) => {
      conn = new Strophe.Connection(service);
      conn.xmlInput = (el) => log.push('in ' + el.outerHTML);
      conn.xmlOutput = (el) => log.push('out ' + el.outerHTML);
      conn.addHandler((msg) => {
        const body = msg.getElementsByTagName('body')[0];
        deliver({ from: msg.getAttribute('from'), type: msg.getAttribute('type'),
                  body: body ? body.textContent : null });
        return true;
      }, null, 'message');
      conn.connect(jid, password, (status, condition) => {
        const S = Strophe.Status;
        statusListeners.forEach((l) => l(status));
        if (status === S.CONNECTED) {
          conn.send($pres());
          resolve({ jid: conn.jid, transport: transportOf(conn) });
        } else if (status === S.AUTHFAIL || status === S.CONNFAIL || status === S.ERROR) {
          reject(new Error(`connection failed: status ${status} ${condition || ''}`));
        }
      });
    });
  }

  function send({ to, body }) {
    conn.send($msg({ to, type: 'chat' }).c('body').t(body));
    return true;
  }

  function nextMessage({ timeout }) {
    if (inbox.length) return Promise.resolve(inbox.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error('no message within ' + timeout + ' ms'));
      }, timeout);
      const done = (m) => { clearTimeout(timer); resolve(m); };
      waiters.push(done);
    });
  }

  function disconnect() {
    return new Promise((resolve) => {
      statusListeners.push((status) => {
        if (status === Strophe.Status.DISCONNECTED) resolve(true);
      });
      conn.disconnect('test over');
    });
  }

  return { connect, send, nextMessage, disconnect, log };
})();
