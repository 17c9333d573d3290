"""BOSH (XEP-0124 + XEP-0206) over raw HTTP: session creation, the rid window,
retransmission of a lost response, acks, held requests answered as soon as there
is something to send or after 'wait', terminate, the end of a stream kept for
the client's next request, inactivity ending the session (with unavailable
presence through the normal session end), overactivity, HTTPS sessions refused
over HTTP, body size, errors as terminating bodies, CORS."""

import asyncio
import base64
import http.client
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

    def create(self, wait=5, hold=1, **attrs):
        text, el = self.send(to="localhost", wait=wait, hold=hold, ver="1.11",
                             xmpp__version="1.0", **attrs)
        self.sid = el.get("sid")
        return text, el

    def login(self, user, resource="bosh", **create_attrs):
        """SASL PLAIN (offered over HTTPS only), restart, bind: XEP-0206 §5."""
        _, el = self.create(**create_attrs)
        token = base64.b64encode(f"\0{user}\0secret".encode()).decode()
        text, _ = self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                            f"mechanism='PLAIN'>{token}</auth>")
        assert "<success" in text, text
        text, _ = self.send(to="localhost", xmpp__restart="true")
        assert "urn:ietf:params:xml:ns:xmpp-bind" in text, text
        text, _ = self.send("<iq xmlns='jabber:client' type='set' id='bind1'><bind "
                            f"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}"
                            "</resource></bind></iq>")
        assert f"<jid>{user}@localhost/{resource}</jid>" in text, text
        self.send("<presence xmlns='jabber:client'/>")


def condition(el):
    return el.get("type"), el.get("condition")


def in_background(fn, *args, **kwargs):
    """Starts a blocking request in a thread now; await the returned future."""
    return asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


PING = ("<iq xmlns='jabber:client' type='get' id='{}' to='localhost'>"
        "<ping xmlns='urn:xmpp:ping'/></iq>")
STREAMS = "{http://etherx.jabber.org/streams}"
XMPP_STREAMS = "{urn:ietf:params:xml:ns:xmpp-streams}"


class BoshTest(ServerTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret"}
    extra_config = (f"http: {{web_root: '{WEB_ROOT}', bosh_max_wait: 10, bosh_inactivity: 2,\n"
                    "       cors_origins: ['http://allowed.example']}\n")

    def bosh(self, tls=False):
        return Bosh(self.server.https_port if tls else self.server.http_port, tls)

    async def logged(self, text):
        """Waits (bounded) for a line of the server's log, off the event loop."""
        return await asyncio.to_thread(self.server.wait_for_log, text)

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
        held_rid = b.rid + 1
        held = asyncio.ensure_future(asyncio.to_thread(b.send))  # empty: held up to 'wait'
        self.assertTrue(await self.logged(f"bosh: {b.sid}: holding rid {held_rid}"))
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
        # The later request has arrived and waits for the earlier one.
        self.assertTrue(await self.logged(f"bosh: {b.sid}: rid {first_rid + 1} waits for rid "
                                          f"{first_rid}"))
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


    # --- acks (XEP-0124 §9) ------------------------------------------------

    def test_creation_response_acknowledges_the_creation_request_when_acks_are_on(self):
        b = self.bosh()
        _, el = b.create(ack="1")
        self.assertEqual(el.get("ack"), str(b.rid))  # §7.2: the creation request's rid
        _, el = self.bosh().create()
        self.assertIsNone(el.get("ack"))  # no acks asked for, none given

    async def test_responses_acknowledge_later_requests_and_acked_responses_are_forgotten(self):
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "bob", "acks", ack="1")
        h = b.rid + 1
        # h is held (empty) until h+1 comes; h+1 acknowledges the responses up to h-1
        # (§9.2: it has not received h's yet). In whichever order they arrive, h is
        # answered once h+1 is in, so its response says h+1 arrived (§9.1).
        held = in_background(b.send, "", h)
        pinged = in_background(b.send, PING.format("ack1"), h + 1, ack=h - 1)
        b.rid = h + 1
        _, held_el = await held
        ping_text, ping_el = await pinged
        self.assertEqual(held_el.get("ack"), str(h + 1))
        # The newest request's response would acknowledge itself: no ack (§9.1).
        self.assertIsNone(ping_el.get("ack"), ping_text)
        self.assertIn("id='ack1'", ping_text)
        # Not acknowledged yet: repeating h+1 gets the same response (§14.3).
        again, _ = await asyncio.to_thread(b.send, PING.format("ack1"), h + 1, ack=h - 1)
        self.assertEqual(again, ping_text)
        # A request without ack says every response arrived: they are dropped, and
        # asking for h+1 again ends the session (§14.3: not in the buffer).
        after = in_background(b.send, "", h + 2)
        self.assertTrue(await self.logged(f"bosh: {b.sid}: holding rid {h + 2}"))
        _, el = await asyncio.to_thread(b.send, PING.format("ack1"), h + 1, ack=h - 1)
        self.assertEqual(condition(el), ("terminate", "item-not-found"))
        _, el = await after
        self.assertEqual(el.get("type"), "terminate")

    # --- wait (XEP-0124 §8) ------------------------------------------------

    def test_held_empty_request_is_answered_empty_after_wait(self):
        b = self.bosh()
        _, el = b.create(wait=2)
        self.assertEqual(el.get("wait"), "2")
        started = time.monotonic()
        text, el = b.send()
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 2 * 0.8, "answered before 'wait' with nothing to say")
        self.assertLess(elapsed, 6)
        self.assertIsNone(el.get("type"), text)
        self.assertEqual(list(el), [], text)

    # --- the end of a stream (XEP-0206 §6) ---------------------------------

    async def test_a_session_kicked_while_no_request_is_held_gets_its_end_at_the_next(self):
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "carol", "kicked")
        # Every request got its response: none is held. The same full JID binds
        # over TCP, which kicks the BOSH stream with <conflict/>.
        await self.client("carol@localhost/kicked")
        self.assertTrue(await self.logged("carol@localhost/kicked disconnected"))
        text, el = await asyncio.to_thread(b.send)
        self.assertEqual(condition(el), ("terminate", "remote-stream-error"), text)
        error = el.find(STREAMS + "error")
        self.assertIsNotNone(error, text)
        self.assertIsNotNone(error.find(XMPP_STREAMS + "conflict"), text)
        # Fetched: now the session is gone.
        _, el = await asyncio.to_thread(b.send)
        self.assertEqual(condition(el), ("terminate", "item-not-found"))

    async def test_an_end_nobody_fetches_is_forgotten_after_inactivity(self):
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "alice", "unfetched")
        await self.client("alice@localhost/unfetched")
        self.assertTrue(await self.logged("alice@localhost/unfetched disconnected"))
        self.assertTrue(await self.logged(
            f"bosh: {b.sid}: the end of the stream was not fetched within 2 s"))
        _, el = await asyncio.to_thread(b.send)
        self.assertEqual(condition(el), ("terminate", "item-not-found"))

    # --- overactivity (XEP-0124 §11, §12) ----------------------------------

    async def test_more_simultaneous_requests_than_requests_is_policy_violation(self):
        b = self.bosh()
        _, el = b.create()
        self.assertEqual(el.get("requests"), "2")
        r = b.rid
        held = in_background(b.send, "", r + 1)
        self.assertTrue(await self.logged(f"bosh: {b.sid}: holding rid {r + 1}"))
        # r+3 means r+1, r+2 and r+3 are all waiting for an answer: three.
        _, el = await asyncio.to_thread(b.send, "", r + 3)
        self.assertEqual(condition(el), ("terminate", "policy-violation"))
        _, el = await held
        self.assertEqual(condition(el), ("terminate", "policy-violation"))
        self.assertTrue(await self.logged(
            f"bosh: {b.sid}: 3 simultaneous requests, 'requests' is 2"))

    async def test_one_more_request_is_allowed_to_terminate(self):
        b = self.bosh()
        b.create()
        r = b.rid
        held = in_background(b.send, "", r + 1)
        self.assertTrue(await self.logged(f"bosh: {b.sid}: holding rid {r + 1}"))
        ending = in_background(b.send, "", r + 3, type="terminate")
        self.assertTrue(await self.logged(f"bosh: {b.sid}: rid {r + 3} waits for rid {r + 2}"))
        _, middle = await asyncio.to_thread(b.send, "", r + 2)
        _, first = await held
        _, last = await ending
        self.assertIsNone(first.get("type"))
        self.assertIsNone(middle.get("type"))
        self.assertEqual(condition(last), ("terminate", None))

    async def test_an_empty_request_beside_a_held_one_sooner_than_polling_is_policy_violation(self):
        b = self.bosh()
        _, el = b.create()
        self.assertEqual(el.get("polling"), "2")
        r = b.rid
        held = in_background(b.send, "", r + 1)
        self.assertTrue(await self.logged(f"bosh: {b.sid}: holding rid {r + 1}"))
        _, el = await asyncio.to_thread(b.send, "", r + 2)
        self.assertEqual(condition(el), ("terminate", "policy-violation"))
        _, el = await held
        self.assertEqual(condition(el), ("terminate", "policy-violation"))

    def test_polling_sooner_than_polling_is_policy_violation(self):
        b = self.bosh()
        _, el = b.create(hold=0)
        self.assertEqual((el.get("hold"), el.get("requests"), el.get("polling")), ("0", "1", "2"))
        self.assertEqual(el.get("inactivity"), "6")  # §12: longer than for held requests
        started = time.monotonic()
        text, el = b.send()  # a poll: answered at once
        self.assertLess(time.monotonic() - started, 2)
        self.assertIsNone(el.get("type"), text)
        if list(el):
            # The stream features came after the creation response: polling again
            # at once is allowed when the last answer had something in it.
            text, el = b.send()
        self.assertEqual((el.get("type"), list(el)), (None, []), text)
        _, el = b.send()  # empty again, right after an empty answer
        self.assertEqual(condition(el), ("terminate", "policy-violation"))
        self.assertTrue(self.server.wait_for_log(
            f"bosh: {b.sid}: polling more often than every 2 s"))

    def test_polling_at_the_polling_interval_is_fine(self):
        b = self.bosh()
        b.create(hold=0)
        for _ in range(2):
            sent_at = time.monotonic()
            text, el = b.send()
            self.assertIsNone(el.get("type"), text)
            # The interval itself is what this test is about.
            time.sleep(max(0.0, sent_at + 2.3 - time.monotonic()))
        text, el = b.send()
        self.assertIsNone(el.get("type"), text)

    # --- HTTPS sessions (XEP-0124 §20.1) -----------------------------------

    def test_a_session_created_over_https_is_not_continued_over_http(self):
        b = self.bosh(tls=True)
        b.create(wait=1)
        plain = self.bosh()
        plain.sid = b.sid
        # Not answered: the connection is closed.
        with self.assertRaises(http.client.RemoteDisconnected):
            plain.post_raw(plain.body(rid=b.rid + 1))
        self.assertTrue(self.server.wait_for_log(
            f"request for HTTPS session {b.sid} over plain HTTP"))
        # The session goes on over HTTPS, and that rid is still the next one.
        text, el = b.send()
        self.assertIsNone(el.get("type"), text)

    # --- body size ---------------------------------------------------------

    async def test_a_stanza_near_the_stanza_limit_fits_in_a_body(self):
        bob = await self.client("bob@localhost/big")
        b = self.bosh(tls=True)
        await asyncio.to_thread(b.login, "carol", "big")
        text = "x" * 240_000  # limits.max_stanza_bytes is 256 KiB
        sent = in_background(b.send, "<message xmlns='jabber:client' to='bob@localhost/big' "
                                     f"type='chat'><body>{text}</body></message>")
        m = await bob.next_message(timeout=10)
        self.assertEqual(m["body"], text)
        await asyncio.to_thread(b.send, type="terminate")  # answers what is held
        await sent

    def test_a_body_over_the_limit_ends_its_session_with_policy_violation(self):
        big = ("<message xmlns='jabber:client' to='bob@localhost'><body>" + "x" * 600_000 +
               "</body></message>")
        b = self.bosh()
        b.create()
        _, el = b.send(big)  # over http.max_body_bytes: 512 KiB by default
        self.assertEqual(condition(el), ("terminate", "policy-violation"))
        self.assertTrue(self.server.wait_for_log(
            f"request body over http.max_body_bytes (524288); ending session {b.sid}"))
        _, el = b.send()
        self.assertEqual(condition(el), ("terminate", "item-not-found"))
        # Without a session to end, the answer says the same.
        r, out = self.bosh().post_raw(f"<body xmlns='{HTTPBIND}' rid='1'>{big}</body>")
        self.assertEqual(r.status, 200)
        self.assertEqual(condition(ET.fromstring(out)), ("terminate", "policy-violation"))


if __name__ == "__main__":
    unittest.main()
