"""BOSH (XEP-0124 + XEP-0206) over raw HTTP: session creation, the rid window,
retransmission of a lost response, held requests answered as soon as there is
something to send, terminate, inactivity ending the session (with unavailable
presence through the normal session end), errors as terminating bodies, CORS."""

import asyncio
import base64
import http.client
import re
import ssl
import time
import unittest
import xml.etree.ElementTree as ET

from parley_harness import WEB_ROOT, ServerTestCase

HTTPBIND = "http://jabber.org/protocol/httpbind"
B = "{" + HTTPBIND + "}"


class Bosh:
    """One BOSH session's client side: numbered requests over fresh connections."""

    def __init__(self, port, tls=False):
        self.port, self.tls = port, tls
        self.rid = 1000
        self.sid = None

    def post_raw(self, text, timeout=30, headers=None):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request("POST", "/http-bind", text,
                     {"Content-Type": "text/xml; charset=utf-8", **(headers or {})})
        r = conn.getresponse()
        body = r.read().decode()
        conn.close()
        return r, body

    def body(self, inner="", rid=None, **attrs):
        rid = self.rid if rid is None else rid
        a = "".join(f" {k.replace('__', ':')}='{v}'" for k, v in attrs.items())
        sid = f" sid='{self.sid}'" if self.sid else ""
        return (f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='{rid}'{sid}{a}>"
                f"{inner}</body>")

    def send(self, inner="", rid=None, timeout=30, **attrs):
        """POST the next body (or `rid`); returns (raw text, parsed element)."""
        if rid is None:
            self.rid += 1
            rid = self.rid
        r, text = self.post_raw(self.body(inner, rid, **attrs), timeout)
        assert r.status == 200, (r.status, text)
        return text, ET.fromstring(text)

    def create(self, wait=5, **attrs):
        text, el = self.send(to="localhost", wait=wait, hold=1, ver="1.11",
                             xmpp__version="1.0", **attrs)
        self.sid = el.get("sid")
        return text, el

    def login(self, user):
        """SASL PLAIN (offered over HTTPS only), restart, bind: XEP-0206 §5."""
        _, el = self.create()
        token = base64.b64encode(f"\0{user}\0secret".encode()).decode()
        text, _ = self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                            f"mechanism='PLAIN'>{token}</auth>")
        assert "<success" in text, text
        text, _ = self.send(to="localhost", xmpp__restart="true")
        assert "urn:ietf:params:xml:ns:xmpp-bind" in text, text
        text, _ = self.send("<iq xmlns='jabber:client' type='set' id='bind1'><bind "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bosh</resource>"
                            "</bind></iq>")
        assert f"<jid>{user}@localhost/bosh</jid>" in text, text
        self.send("<presence xmlns='jabber:client'/>")


def condition(el):
    return el.get("type"), el.get("condition")


class BoshTest(ServerTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret"}
    extra_config = (f"http: {{web_root: '{WEB_ROOT}', bosh_max_wait: 10, bosh_inactivity: 2,\n"
                    "       cors_origins: ['http://allowed.example']}\n")

    def bosh(self, tls=False):
        return Bosh(self.server.https_port if tls else self.server.http_port, tls)

    def test_creation_response_carries_session_attributes_and_features(self):
        b = self.bosh()
        text, el = b.create(wait=60, ack="1")
        self.assertRegex(el.get("sid"), r"^[0-9a-f]{32}$")
        self.assertEqual(el.get("wait"), "10")  # our maximum, not the client's 60
        self.assertEqual((el.get("hold"), el.get("requests")), ("1", "2"))
        self.assertEqual(el.get("from"), "localhost")
        self.assertEqual(el.get("{urn:xmpp:xbosh}version"), "1.0")
        self.assertEqual(el.get("inactivity"), "2")
        features = el.find("{http://etherx.jabber.org/streams}features")
        self.assertIsNotNone(features, text)
        mechs = [m.text for m in features.iter("{urn:ietf:params:xml:ns:xmpp-sasl}mechanism")]
        self.assertIn("SCRAM-SHA-256", mechs)
        self.assertNotIn("PLAIN", mechs)  # plain HTTP is not secure

    def test_unknown_sid_is_item_not_found(self):
        b = self.bosh()
        b.sid = "0123456789abcdef0123456789abcdef"
        _, el = b.send()
        self.assertEqual(condition(el), ("terminate", "item-not-found"))

    def test_bad_bodies_are_bad_request_and_unknown_hosts_host_unknown(self):
        b = self.bosh()
        for text in ["not xml", "<body xmlns='jabber:client' rid='1'/>",
                     f"<body xmlns='{HTTPBIND}'/>", f"<body xmlns='{HTTPBIND}' rid='x1'/>",
                     f"<body xmlns='{HTTPBIND}' rid='{2**60}'/>"]:
            r, out = b.post_raw(text)
            self.assertEqual(r.status, 200)
            self.assertEqual(condition(ET.fromstring(out)), ("terminate", "bad-request"), text)
        _, el = b.send(to="elsewhere.example", wait=5, hold=1)
        self.assertEqual(condition(el), ("terminate", "host-unknown"))

    def test_repeated_rid_gets_the_same_response(self):
        # XEP-0124 §14.3: the client lost a response and asks again.
        b = self.bosh()
        first_text, _ = b.create()
        again, _ = b.send(rid=b.rid)
        self.assertEqual(again, first_text)

    def test_rid_outside_the_window_ends_the_session(self):
        b = self.bosh()
        b.create()
        _, el = b.send(rid=b.rid + 5)  # the window is 'requests' (2) wide
        self.assertEqual(condition(el), ("terminate", "item-not-found"))
        _, el = b.send()
        self.assertEqual(condition(el), ("terminate", "item-not-found"))

    async def test_held_request_is_answered_as_soon_as_a_stanza_arrives(self):
        bob = await self.client("bob@localhost/tcp")
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "carol")
        started = time.monotonic()
        held = asyncio.ensure_future(asyncio.to_thread(b.send))  # empty: held up to 'wait'
        await asyncio.sleep(0.3)  # let the request reach the server and be held
        bob.send_message(mto="carol@localhost/bosh", mbody="wake up", mtype="chat")
        text, el = await held
        self.assertLess(time.monotonic() - started, 5, "held for 'wait' instead of answered")
        self.assertIn("<body>wake up</body>", text)
        self.assertIn("from='bob@localhost/tcp'", text)
        # And the other way, inside a request body (which is then held in turn).
        sent = asyncio.ensure_future(asyncio.to_thread(
            b.send, "<message xmlns='jabber:client' to='bob@localhost/tcp' type='chat'>"
                    "<body>awake</body></message>"))
        m = await bob.next_message()
        self.assertEqual(m["body"], "awake")
        self.assertEqual(str(m["from"]), "carol@localhost/bosh")
        await asyncio.to_thread(b.send, type="terminate")  # answers what is held
        await sent

    async def test_out_of_order_requests_are_handled_in_rid_order(self):
        bob = await self.client("bob@localhost/order")
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "carol")
        msg = ("<message xmlns='jabber:client' to='bob@localhost/order' type='chat'>"
               "<body>{}</body></message>")
        first_rid = b.rid + 1
        second = asyncio.ensure_future(asyncio.to_thread(
            b.send, msg.format("second"), first_rid + 1))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(b.send, msg.format("first"), first_rid)
        b.rid = first_rid + 1
        self.assertEqual((await bob.next_message())["body"], "first")
        self.assertEqual((await bob.next_message())["body"], "second")
        await asyncio.to_thread(b.send, type="terminate")  # answers what is held
        await second

    async def test_terminate_ends_the_session(self):
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "alice")
        _, el = await asyncio.to_thread(b.send, type="terminate")
        self.assertEqual(el.get("type"), "terminate")
        self.assertTrue(self.server.wait_for_log("alice@localhost/bosh disconnected"))
        _, el = await asyncio.to_thread(b.send)
        self.assertEqual(condition(el), ("terminate", "item-not-found"))

    async def test_inactivity_ends_the_session_with_unavailable_presence(self):
        # RFC 6121 §4.5.2 through the normal session end: alice's other resource
        # hears that the BOSH one went away.
        tcp = await self.client("alice@localhost/watcher")
        gone = asyncio.get_running_loop().create_future()

        def on_unavailable(p):
            if str(p["from"]) == "alice@localhost/bosh" and not gone.done():
                gone.set_result(time.monotonic())
        tcp.add_event_handler("presence_unavailable", on_unavailable)
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "alice")
        quiet_since = time.monotonic()  # no request held from here on
        ended_at = await asyncio.wait_for(gone, 10)
        self.assertGreaterEqual(ended_at - quiet_since, 1.5)  # bosh_inactivity: 2
        self.assertTrue(self.server.wait_for_log("inactive for 2 s"))
        _, el = await asyncio.to_thread(b.send)
        self.assertEqual(condition(el), ("terminate", "item-not-found"))

    def test_cors_for_allowed_origins_only(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10)
        conn.request("OPTIONS", "/http-bind", headers={
            "Origin": "http://allowed.example", "Access-Control-Request-Method": "POST"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.getheader("Access-Control-Allow-Origin"), "http://allowed.example")
        self.assertIn("POST", r.getheader("Access-Control-Allow-Methods"))
        b = self.bosh()
        r, _ = b.post_raw(b.body(to="localhost", wait=1, hold=1),
                          headers={"Origin": "http://evil.example"})
        self.assertIsNone(r.getheader("Access-Control-Allow-Origin"))


if __name__ == "__main__":
    unittest.main()
