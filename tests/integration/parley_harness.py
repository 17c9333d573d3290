"""Starts a real parleyd in a temporary directory on OS-chosen ports, and gives
tests slixmpp clients and raw sockets to talk to it."""

import asyncio
import atexit
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from slixmpp import ClientXMPP
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

PARLEYD = os.environ.get("PARLEYD", "../../build/parleyd")
PARLEYCTL = os.environ.get("PARLEYCTL", "../../build/parleyctl")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEB_ROOT = os.path.join(REPO, "web")

_running = []


@atexit.register
def _kill_leftovers():
    for proc in _running:
        if proc.poll() is None:
            proc.kill()


DEFAULT_CONFIG = """\
hosts: [localhost]
data_dir: data
log_level: debug
listeners:
  - {name: c2s, port: 0, address: 127.0.0.1, tls: starttls}
  - {name: c2s-tls, port: 0, address: 127.0.0.1, tls: direct}
  - {name: http, kind: http, port: 0, address: 127.0.0.1, tls: none}
  - {name: https, kind: http, port: 0, address: 127.0.0.1, tls: direct}
admin_socket: admin.sock
"""


class Server:
    """One parleyd with its own directory, config, database and ports."""

    def __init__(self, extra_config="", web_root=WEB_ROOT):
        self.dir = tempfile.mkdtemp(prefix="parley-test-")
        self.config = os.path.join(self.dir, "parley.yml")
        base = DEFAULT_CONFIG
        if re.search(r"^hosts:", extra_config, re.M):
            base = base.replace("hosts: [localhost]\n", "")  # the test names its own
        with open(self.config, "w") as f:
            f.write(base + extra_config)
            if "\nhttp:" not in "\n" + extra_config:
                f.write(f"http: {{web_root: '{web_root}'}}\n")
        self.proc = None
        self.log_lines = []
        self.ports = {}
        self._ready = threading.Event()
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------
    def start(self, timeout=20):
        self._ready.clear()
        self.ports = {}
        self.proc = subprocess.Popen([PARLEYD, "--config", self.config],
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        _running.append(self.proc)
        threading.Thread(target=self._read_log, args=(self.proc,), daemon=True).start()
        if not self._ready.wait(timeout):
            self.proc.kill()
            raise AssertionError("parleyd did not become ready:\n" + self.log())
        return self

    def _read_log(self, proc):
        pattern = re.compile(r"listening (\S+) (\S+) [\d.]+:(\d+)")
        for line in proc.stderr:
            with self._lock:
                self.log_lines.append(line.rstrip("\n"))
            m = pattern.search(line)
            if m:
                self.ports[m.group(1)] = int(m.group(3))
            if "server: ready" in line:
                self._ready.set()

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("parleyd did not stop on SIGTERM:\n" + self.log())

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        with self._lock:
            return "\n".join(self.log_lines)

    def wait_for_log(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.05)
        return False

    # --- administration --------------------------------------------------
    def ctl(self, *args, timeout=30):
        r = subprocess.run([PARLEYCTL, "--config", self.config, *args],
                           capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def register(self, user, password, host="localhost"):
        code, out, err = self.ctl("register", user, host, password)
        assert code == 0, f"register {user} failed: {out}{err}"

    @property
    def starttls_port(self):
        return self.ports["c2s"]

    @property
    def tls_port(self):
        return self.ports["c2s-tls"]

    @property
    def http_port(self):
        return self.ports["http"]

    @property
    def https_port(self):
        return self.ports["https"]


class ServerTestCase(unittest.IsolatedAsyncioTestCase):
    """A fresh server per test class; the log is printed when a test fails."""

    extra_config = ""
    web_root = WEB_ROOT
    users = {"alice": "secret", "bob": "secret"}

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.extra_config, cls.web_root)
        for user, pw in cls.users.items():
            cls.server.register(user, pw)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        log = cls.server.log()
        cls.server.cleanup()
        # A sanitizer report or a crash on the way down fails the class.
        if code not in (0, None):
            raise AssertionError(f"parleyd exited with {code}:\n{log[-20000:]}")

    def setUp(self):
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            c.disconnect()
        # Bounded: a client whose stream already ended resolves at once.
        pending = [asyncio.shield(c.ended) for c in self.clients]
        if pending:
            await asyncio.wait(pending, timeout=5)

    def run(self, result=None):
        result = super().run(result)
        if result is not None and (result.errors or result.failures):
            failed = [t for t, _ in result.errors + result.failures if t is self]
            if failed:
                print("\n--- parleyd log ---\n" + self.server.log()[-20000:])
        return result

    async def client(self, jid, password="secret", mech=None, direct_tls=False, presence=True,
                     priority=None, connect=True):
        c = Client(jid, password, mech)
        self.clients.append(c)
        if connect:
            await c.login(self.server, direct_tls, presence, priority)
        return c


class Client(ClientXMPP):
    """slixmpp client with futures for the events the tests wait on."""

    def __init__(self, jid, password, mech=None):
        super().__init__(jid, password, sasl_mech=mech)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        loop = asyncio.get_event_loop()
        self.started = loop.create_future()
        self.ended = loop.create_future()
        self.messages = asyncio.Queue()
        self.stream_errors = []
        self.add_event_handler("session_start", self._on_start)
        self.add_event_handler("failed_all_auth", self._on_failed_auth)
        self.add_event_handler("message", lambda m: self.messages.put_nowait(m))
        self.add_event_handler("stream_error", lambda e: self.stream_errors.append(e))
        self.add_event_handler("disconnected", self._on_end)
        # Every presence and roster push as received, for tests that check the
        # exact stanzas of RFC 6121 flows. slixmpp answers nothing on its own.
        self.presences = asyncio.Queue()
        self.pushes = asyncio.Queue()
        self.auto_authorize = None
        self.auto_subscribe = False
        self.register_handler(Callback("test presences", MatchXPath("{jabber:client}presence"),
                                       lambda p: self.presences.put_nowait(p)))
        self.register_handler(Callback(
            "test roster pushes", MatchXPath("{jabber:client}iq/{jabber:iq:roster}query"),
            lambda iq: self.pushes.put_nowait(iq) if iq["type"] == "set" else None))
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0092")

    def _on_start(self, _):
        if not self.started.done():
            self.started.set_result(True)

    def _on_failed_auth(self, _):
        if not self.started.done():
            self.started.set_exception(PermissionError("authentication failed"))

    def _on_end(self, _):
        if not self.ended.done():
            self.ended.set_result(True)
        if not self.started.done():
            self.started.set_exception(ConnectionError("disconnected before session start"))

    async def login(self, server, direct_tls=False, presence=True, priority=None, timeout=15):
        if direct_tls:
            # XEP-0368 direct TLS: TLS from the first byte, no STARTTLS.
            self.connect(("127.0.0.1", server.tls_port), use_ssl=True, disable_starttls=True)
        else:
            self.connect(("127.0.0.1", server.starttls_port))
        await asyncio.wait_for(asyncio.shield(self.started), timeout)
        if presence:
            self.send_presence(ppriority=priority)
        return self

    async def next_message(self, timeout=5):
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def next_presence(self, ptype=None, frm=None, timeout=5):
        """The next presence of this type ('available' for none) and sender;
        others received before it are skipped."""
        return await _first(self.presences, timeout, lambda p: (
            (ptype is None or p["type"] == ptype) and (frm is None or str(p["from"]) == frm)))

    async def presences_from(self, wanted, timeout=5):
        """Waits for every (type, from) pair in `wanted`, in any order: stanzas
        from a bare and a full JID are different senders, and RFC 6120 §10.1
        orders only stanzas between the same two entities."""
        wanted = set(wanted)
        got = {}
        while wanted:
            p = await _first(self.presences, timeout,
                             lambda p: (p["type"], str(p["from"])) in wanted)
            key = (p["type"], str(p["from"]))
            wanted.discard(key)
            got[key] = p
        return got

    async def next_push(self, jid=None, timeout=5):
        """The next roster push (for this contact); returns its <item/>."""
        iq = await _first(self.pushes, timeout, lambda iq: jid is None or any(
            str(j) == jid for j in iq["roster"]["items"]))
        items = iq["roster"]["items"]
        assert len(items) == 1, f"a roster push carries one item: {iq}"
        return next(iter(items.values())) | {"jid": str(next(iter(items))),
                                            "ver": iq["roster"]["ver"]}


async def mutual_subscription(a, b):
    """a and b subscribe to each other (RFC 6121 §3), each waiting for the other's
    approval and presence."""
    for x, y in ((a, b), (b, a)):
        x.send_presence(pto=y.boundjid.bare, ptype="subscribe")
        await y.next_presence("subscribe", frm=x.boundjid.bare)
        y.send_presence(pto=x.boundjid.bare, ptype="subscribed")
        await x.presences_from({("subscribed", y.boundjid.bare), ("available", str(y.boundjid))})


async def _first(queue, timeout, pred):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise asyncio.TimeoutError("expected stanza did not arrive")
        item = await asyncio.wait_for(queue.get(), left)
        if pred(item):
            return item


# --- raw sockets, for what no well-behaved client would send ------------------

HEADER = ("<?xml version='1.0'?><stream:stream to='{to}' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


def raw_connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def raw_tls_connect(port, timeout=10):
    """Direct TLS (XEP-0368) to the server's self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["xmpp-client"])
    return ctx.wrap_socket(raw_connect(port, timeout), server_hostname="localhost")


def read_until_closed(sock, timeout=10, limit=1 << 20):
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            break
        except socket.timeout:
            raise AssertionError("server did not close the connection; got: " + data.decode(errors="replace"))
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", errors="replace")


def read_until(sock, marker, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while marker.encode() not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", errors="replace")


def stream_error_condition(text):
    m = re.search(r"<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'", text)
    return m.group(1) if m else None
