"""XMPP over WebSocket (RFC 7395) with a raw WebSocket client: the handshake,
<open/>/<close/> framing, the same SASL/bind/routing as TCP, and what happens to
frames a browser would never send."""

import asyncio
import base64
import re
import signal
import time
import unittest

from parley_harness import Server, ServerTestCase
from raw_websocket import (CLOSE, FRAMING, OP_BINARY, OP_PING, OPEN, HandshakeRefused,
                           RawWebSocket)


def stream_error(text):
    m = re.search(r"<stream:error[^>]*><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'",
                  text)
    return m.group(1) if m else None


class WebSocketSteps:
    def ws(self, tls=False, **kw):
        port = self.server.https_port if tls else self.server.http_port
        ws = RawWebSocket(port, tls=tls, **kw)
        self.addCleanup(ws.close)
        return ws

    def open_stream(self, ws):
        ws.send(OPEN)
        opened = ws.recv()
        features = ws.recv()
        return opened, features

    def login(self, ws, user, resource):
        """SASL PLAIN (offered inside TLS only), restart, bind: the RFC 6120 steps
        in RFC 7395 framing."""
        _, features = self.open_stream(ws)
        self.assertIn("<mechanism>PLAIN</mechanism>", features)
        token = base64.b64encode(f"\0{user}\0secret".encode()).decode()
        ws.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>")
        self.assertIn("<success", ws.recv())
        # RFC 7395 §3.5: the restart is a new <open/>.
        opened, features = self.open_stream(ws)
        self.assertIn(f"<open xmlns='{FRAMING}'", opened)
        self.assertIn("urn:ietf:params:xml:ns:xmpp-bind", features)
        ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind "
                "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource +
                "</resource></bind></iq>")
        bound = ws.recv()
        self.assertIn(f"<jid>{user}@localhost/{resource}</jid>", bound)
        ws.send("<presence xmlns='jabber:client'/>")


class WebSocketTest(WebSocketSteps, ServerTestCase):
    users = {"alice": "secret", "bob": "secret"}
    extra_config = "limits: {max_stanza_bytes: 16384}\n"

    def test_handshake_without_the_xmpp_subprotocol_is_refused(self):
        for protocols in [(), ("chat", "superchat")]:
            with self.assertRaises(HandshakeRefused) as r:
                RawWebSocket(self.server.http_port, protocols=protocols)
            self.assertEqual(r.exception.status, 400)
            self.assertIn("Sec-WebSocket-Protocol: xmpp", r.exception.response)

    def test_upgrade_elsewhere_is_404(self):
        with self.assertRaises(HandshakeRefused) as r:
            RawWebSocket(self.server.http_port, path="/chat")
        self.assertEqual(r.exception.status, 404)

    def test_open_is_answered_with_open_and_features(self):
        ws = self.ws(protocols=("chat", "xmpp"))
        self.assertEqual(ws.headers.get("sec-websocket-protocol"), "xmpp")
        opened, features = self.open_stream(ws)
        self.assertRegex(opened, r"^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='\w+' "
                                 r"from='localhost' version='1.0' xml:lang='en'/>$")
        # RFC 7395 §3.3.3: each element declares its namespaces; no PLAIN without TLS.
        self.assertTrue(features.startswith(
            "<stream:features xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams'>"), features)
        self.assertIn("SCRAM-SHA-256", features)
        self.assertNotIn("PLAIN", features)

    def test_close_is_answered_with_close_then_the_server_closes_the_connection(self):
        ws = self.ws()
        self.open_stream(ws)
        ws.send(CLOSE)
        messages, code = ws.recv_until_close()
        self.assertEqual(messages, [CLOSE])
        self.assertEqual(code, 1000)
        ws.send_close()
        self.assertTrue(ws.wait_tcp_close())

    def test_two_stanzas_in_one_message_end_the_stream(self):
        ws = self.ws()
        self.open_stream(ws)
        ws.send("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>")
        messages, code = ws.recv_until_close()
        self.assertEqual(stream_error(messages[0]), "not-well-formed")
        self.assertEqual(messages[-1], CLOSE)
        self.assertEqual(code, 1000)

    def test_binary_message_closes_with_1003(self):
        # RFC 7395 §3.2: XMPP messages are UTF-8 text.
        ws = self.ws()
        self.open_stream(ws)
        ws.send_frame(OP_BINARY, b"<presence xmlns='jabber:client'/>")
        messages, code = ws.recv_until_close()
        self.assertEqual(messages, [])
        self.assertEqual(code, 1003)

    def test_oversized_message_closes_with_1009(self):
        ws = self.ws()
        self.open_stream(ws)
        ws.send("<message xmlns='jabber:client'><body>" + "x" * 20000 + "</body></message>")
        messages, code = ws.recv_until_close()
        self.assertEqual(messages, [])
        self.assertEqual(code, 1009)

    def test_restricted_xml_is_a_stream_error_as_on_tcp(self):
        ws = self.ws()
        self.open_stream(ws)
        ws.send("<!-- no comments --><presence xmlns='jabber:client'/>")
        messages, code = ws.recv_until_close()
        self.assertEqual(stream_error(messages[0]), "restricted-xml")

    def test_open_inside_an_open_stream_is_refused(self):
        # An <open/> starts a stream only at the start and after SASL success
        # (RFC 7395 §3.5); one in the middle must not drop the session back.
        ws = self.ws(tls=True)
        self.login(ws, "bob", "reopen")
        ws.send(OPEN)
        messages, code = ws.recv_until_close()
        errors = [stream_error(m) for m in messages if stream_error(m)]
        self.assertEqual(errors, ["unsupported-stanza-type"], messages)
        self.assertEqual(messages[-1], CLOSE)

    def test_stanza_before_open_is_refused(self):
        ws = self.ws()
        ws.send("<message xmlns='jabber:client' to='bob@localhost'><body>x</body></message>")
        messages, code = ws.recv_until_close()
        self.assertTrue(messages[0].startswith(f"<open xmlns='{FRAMING}'"), messages)
        self.assertIsNotNone(stream_error(messages[1]))
        self.assertEqual(messages[-1], CLOSE)

    async def test_websocket_and_tcp_clients_chat_both_ways(self):
        bob = await self.client("bob@localhost/tcp")
        ws = self.ws(tls=True)
        await asyncio.to_thread(self.login, ws, "alice", "web")
        ws.send("<message xmlns='jabber:client' to='bob@localhost/tcp' type='chat'>"
                "<body>hello from the web</body></message>")
        m = await bob.next_message()
        self.assertEqual(m["body"], "hello from the web")
        self.assertEqual(str(m["from"]), "alice@localhost/web")
        bob.send_message(mto="alice@localhost/web", mbody="hello <back>", mtype="chat")

        def next_message():
            while True:
                text = ws.recv()
                if text.startswith("<message"):
                    return text
        got = await asyncio.to_thread(next_message)
        self.assertIn("xmlns='jabber:client'", got)
        self.assertIn("from='bob@localhost/tcp'", got)
        self.assertIn("<body>hello &lt;back&gt;</body>", got)
        ws.send(CLOSE)
        messages, code = await asyncio.to_thread(ws.recv_until_close)
        self.assertEqual(messages[-1], CLOSE)
        self.assertTrue(self.server.wait_for_log("alice@localhost/web disconnected"))



class WebSocketIdleTest(WebSocketSteps, ServerTestCase):
    users = {"alice": "secret"}
    # The short handshake timeout makes the session look at its idle deadline soon.
    extra_config = ("http: {websocket_keepalive: 2}\n"
                    "limits: {handshake_timeout: 2, idle_timeout: 3}\n")

    def test_answered_pings_keep_an_idle_client_connected(self):
        # No stanza for longer than limits.idle_timeout, but pongs: still alive.
        ws = self.ws(tls=True)
        self.login(ws, "alice", "quiet")
        deadline = time.monotonic() + 5
        pings = 0
        while time.monotonic() < deadline:
            try:
                opcode, payload = ws.recv_frame(timeout=deadline - time.monotonic(),
                                                answer_pings=False)
            except TimeoutError:
                break
            self.assertNotEqual(opcode, 0x8, "closed although it answered every ping")
            self.assertNotIn(b"stream:error", payload)
            if opcode == OP_PING:
                ws.send_frame(0xA, payload)
                pings += 1
        self.assertGreaterEqual(pings, 2)
        ws.send("<iq xmlns='jabber:client' type='get' id='p1' to='localhost'>"
                "<ping xmlns='urn:xmpp:ping'/></iq>")
        self.assertIn("id='p1'", ws.recv())


class WebSocketKeepaliveTest(ServerTestCase):
    users = {}
    extra_config = "http: {websocket_keepalive: 2}\n"

    def test_quiet_connections_are_pinged_and_dead_ones_closed(self):
        ws = RawWebSocket(self.server.http_port)
        self.addCleanup(ws.close)
        ws.send(OPEN)
        ws.recv()
        ws.recv()
        # Half of websocket_keepalive without traffic: a ping. Answered, the
        # connection lives on and is pinged again.
        started = time.monotonic()
        opcode, _ = ws.recv_frame(timeout=5, answer_pings=False)
        self.assertEqual(opcode, OP_PING)
        self.assertLess(time.monotonic() - started, 3)
        ws.send_frame(0xA, b"")
        opcode, _ = ws.recv_frame(timeout=5, answer_pings=False)
        self.assertEqual(opcode, OP_PING)
        # Not answered: the server gives up on the peer within the keepalive.
        started = time.monotonic()
        self.assertTrue(ws.wait_tcp_close(timeout=6))
        self.assertLess(time.monotonic() - started, 5)


class WebSocketShutdownTest(unittest.TestCase):
    def test_sigterm_sends_system_shutdown_and_close(self):
        server = Server().start()
        self.addCleanup(server.cleanup)
        ws = RawWebSocket(server.http_port)
        self.addCleanup(ws.close)
        ws.send(OPEN)
        ws.recv()
        ws.recv()
        server.proc.send_signal(signal.SIGTERM)
        messages, code = ws.recv_until_close()
        self.assertEqual(stream_error(messages[0]), "system-shutdown")
        self.assertEqual(messages[-1], CLOSE)
        self.assertEqual(code, 1000)
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
