"""Strophe.js in a real headless Chromium against the real parleyd: web clients
log in and chat over WebSocket (RFC 7395), with each other and with a slixmpp
client on TCP, through the one c2s session implementation."""

import os
import shutil
import tempfile
import unittest

import browser
from parley_harness import REPO, ServerTestCase

TEST_PAGE = """<!doctype html><meta charset="utf-8"><title>Strophe test</title>
<script src="strophe.min.js"></script><script src="strophe_client.js"></script>
"""


def make_test_root():
    root = tempfile.mkdtemp(prefix="parley-strophe-")
    shutil.copy(os.path.join(REPO, "web", "vendor", "strophe.min.js"), root)
    shutil.copy(os.path.join(browser.BROWSER_DIR, "strophe_client.js"), root)
    with open(os.path.join(root, "test.html"), "w") as f:
        f.write(TEST_PAGE)
    return root


def require_browser(cls):
    """Browser tests skip only where nothing asked for them; scripts/test (and so
    CI) sets PARLEY_REQUIRE_BROWSER=1 so that a missing browser fails."""
    why = browser.missing()
    if why and os.environ.get("PARLEY_REQUIRE_BROWSER") != "1":
        return unittest.skip(why)(cls)
    return cls


class BrowserTestCase(ServerTestCase):
    test_page = True  # serve test.html (Strophe.js + strophe_client.js), not web/

    @classmethod
    def setUpClass(cls):
        why = browser.missing()
        if why:
            raise AssertionError("browser tests cannot run: " + why)
        if cls.test_page:
            cls.web_root = make_test_root()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if cls.test_page:
            shutil.rmtree(cls.web_root, ignore_errors=True)

    async def asyncSetUp(self):
        self.browser = await browser.Browser().start()

    async def asyncTearDown(self):
        await self.browser.close()
        await super().asyncTearDown()

    def run(self, result=None):
        result = super().run(result)
        if result is not None and any(t is self for t, _ in result.errors + result.failures):
            print("\n--- browser log ---\n" + self.browser.log())
        return result

    def url(self, path, tls=False):
        if tls:
            return f"https://127.0.0.1:{self.server.https_port}{path}"
        return f"http://127.0.0.1:{self.server.http_port}{path}"

    def websocket_service(self, tls=False):
        if tls:
            return f"wss://127.0.0.1:{self.server.https_port}/xmpp-websocket"
        return f"ws://127.0.0.1:{self.server.http_port}/xmpp-websocket"

    def bosh_service(self, tls=False):
        return self.url("/http-bind", tls)

    async def strophe(self, jid, service, tls=False):
        """A page running Strophe.js, logged in as `jid`; returns (page, bound JID)."""
        page = await self.browser.page(self.url("/test.html", tls))
        info = await self.browser.eval(
            page, "(a) => xmpp.connect(a)",
            {"service": service, "jid": jid, "password": "secret"})
        expected = "bosh" if service.startswith("http") else "websocket"
        self.assertEqual(info["transport"], expected)
        return page, info["jid"]

    async def next_message(self, page, timeout=10):
        return await self.browser.eval(page, "(a) => xmpp.nextMessage(a)",
                                       {"timeout": timeout * 1000}, timeout=timeout + 5)

    async def send(self, page, to, body):
        await self.browser.eval(page, "(a) => xmpp.send(a)", {"to": to, "body": body})


@require_browser
class StropheWebSocketTest(BrowserTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret", "dave": "secret"}

    async def test_two_strophe_clients_chat_over_websocket(self):
        alice, alice_jid = await self.strophe("alice@localhost/web", self.websocket_service())
        bob, bob_jid = await self.strophe("bob@localhost/web", self.websocket_service())
        self.assertEqual(alice_jid, "alice@localhost/web")
        await self.send(alice, bob_jid, "hi bob, <b>not bold</b> & fine")
        m = await self.next_message(bob)
        self.assertEqual(m["body"], "hi bob, <b>not bold</b> & fine")
        self.assertEqual(m["from"], alice_jid)
        await self.send(bob, alice_jid, "hi alice")
        m = await self.next_message(alice)
        self.assertEqual(m["body"], "hi alice")
        self.assertEqual(m["from"], bob_jid)
        await self.browser.eval(bob, "() => xmpp.disconnect()")
        self.assertTrue(self.server.wait_for_log("bob@localhost/web disconnected"))

    async def test_strophe_over_wss_and_slixmpp_over_tcp_chat_both_ways(self):
        dave = await self.client("dave@localhost/tcp")
        carol, carol_jid = await self.strophe("carol@localhost/browser",
                                              self.websocket_service(tls=True), tls=True)
        await self.send(carol, "dave@localhost/tcp", "from the browser")
        m = await dave.next_message()
        self.assertEqual(m["body"], "from the browser")
        self.assertEqual(str(m["from"]), carol_jid)
        dave.send_message(mto=carol_jid, mbody="from slixmpp", mtype="chat")
        m = await self.next_message(carol)
        self.assertEqual(m["body"], "from slixmpp")
        self.assertEqual(m["from"], "dave@localhost/tcp")


@require_browser
class StropheBoshTest(BrowserTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret", "dave": "secret"}

    async def test_two_strophe_clients_chat_over_bosh(self):
        alice, alice_jid = await self.strophe("alice@localhost/bosh", self.bosh_service())
        bob, bob_jid = await self.strophe("bob@localhost/bosh", self.bosh_service())
        await self.send(alice, bob_jid, "over long polling")
        m = await self.next_message(bob)
        self.assertEqual(m["body"], "over long polling")
        self.assertEqual(m["from"], alice_jid)
        await self.send(bob, alice_jid, "and back")
        m = await self.next_message(alice)
        self.assertEqual(m["body"], "and back")
        await self.browser.eval(bob, "() => xmpp.disconnect()")
        self.assertTrue(self.server.wait_for_log("bob@localhost/bosh disconnected"))

    async def test_strophe_over_https_bosh_and_slixmpp_chat_both_ways(self):
        dave = await self.client("dave@localhost/tcp")
        carol, carol_jid = await self.strophe("carol@localhost/bosh",
                                              self.bosh_service(tls=True), tls=True)
        await self.send(carol, "dave@localhost/tcp", "from BOSH")
        m = await dave.next_message()
        self.assertEqual(m["body"], "from BOSH")
        self.assertEqual(str(m["from"]), carol_jid)
        dave.send_message(mto=carol_jid, mbody="to BOSH", mtype="chat")
        m = await self.next_message(carol)
        self.assertEqual(m["body"], "to BOSH")
        self.assertEqual(m["from"], "dave@localhost/tcp")

    async def test_websocket_and_bosh_clients_chat(self):
        alice, alice_jid = await self.strophe("alice@localhost/ws", self.websocket_service())
        bob, bob_jid = await self.strophe("bob@localhost/bosh2", self.bosh_service())
        await self.send(alice, bob_jid, "ws to bosh")
        self.assertEqual((await self.next_message(bob))["body"], "ws to bosh")
        await self.send(bob, alice_jid, "bosh to ws")
        self.assertEqual((await self.next_message(alice))["body"], "bosh to ws")


if __name__ == "__main__":
    unittest.main()
