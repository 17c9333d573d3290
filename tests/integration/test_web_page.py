"""The bundled web chat page (web/), in a real headless Chromium: log in, add a
contact, see the contact's presence, receive a message (rendered as text, never
HTML) and answer it; two pages set up a presence subscription with each other
(RFC 6121 §3) and chat; subscription requests that waited for the user are
answered on the page; roster pushes from others are refused. Screenshots are
left in the test output folder."""

import os
import unittest

from slixmpp.exceptions import IqError

from test_strophe import BrowserTestCase, require_browser

OUTPUT = os.environ.get("PARLEY_TEST_OUTPUT", os.path.join(os.getcwd(), "output"))


@require_browser
class WebPageTest(BrowserTestCase):
    users = {"alice": "secret", "bob": "secret"}
    test_page = False  # the real web/ tree, as parleyd serves it

    async def login(self, page, jid):
        b = self.browser
        await b.call("fill", page=page, selector="#jid", value=jid)
        await b.call("fill", page=page, selector="#password", value="secret")
        await b.call("click", page=page, selector="#login button")
        await b.call("wait", page=page, selector="#chat")
        await b.call("wait", page=page, selector="#login", state="hidden")
        return await b.eval(page, "() => document.getElementById('status').textContent")

    async def test_page_logs_in_shows_presence_and_chats(self):
        b = self.browser
        bob = await self.client("bob@localhost/desk")
        page = await b.page(self.url("/"))
        status = await self.login(page, "alice@localhost")
        self.assertIn("alice@localhost/", status)
        self.assertIn("WebSocket", status)

        await b.call("fill", page=page, selector="#new-contact", value="bob@localhost")
        await b.call("click", page=page, selector="#add-contact button")
        await b.call("wait", page=page, selector="#roster li[data-jid='bob@localhost']")

        # Bob tells alice he is online; the page shows it.
        bob.send_presence(pto="alice@localhost")
        await b.call("wait", page=page, selector="#roster li.online[data-jid='bob@localhost']")

        # Markup in a message is shown as the characters it is.
        evil = "<img src=x onerror=\"document.title='owned'\"><b>hi</b> alice & co"
        bob.send_message(mto="alice@localhost", mbody=evil, mtype="chat")
        await b.call("wait", page=page, selector="#messages li.theirs")
        shown = await b.eval(page, """() => ({
            text: document.querySelector('#messages li.theirs').lastChild.textContent,
            elements: document.querySelectorAll('#messages li.theirs *').length,
            title: document.title })""")
        self.assertEqual(shown["text"], evil)
        self.assertEqual(shown["elements"], 1)  # only the page's own meta line
        self.assertEqual(shown["title"], "Parley web chat")

        await b.call("fill", page=page, selector="#text", value="hello bob")
        await b.call("click", page=page, selector="#compose button")
        m = await bob.next_message()
        self.assertEqual(m["body"], "hello bob")
        self.assertTrue(str(m["from"]).startswith("alice@localhost/"))

        os.makedirs(OUTPUT, exist_ok=True)
        path = os.path.join(OUTPUT, "web_page.png")
        await b.call("screenshot", page=page, path=path)
        self.assertGreater(os.path.getsize(path), 1000)

    async def test_page_falls_back_to_bosh_without_websocket(self):
        b = self.browser
        bob = await self.client("bob@localhost/bosh-peer")
        page = await b.page(self.url("/"), init="delete window.WebSocket;")
        status = await self.login(page, "alice@localhost")
        self.assertIn("BOSH", status)
        bob.send_message(mto="alice@localhost", mbody="over BOSH", mtype="chat")
        await b.call("wait", page=page, selector="#roster li[data-jid='bob@localhost'] .unread")
        await b.call("click", page=page, selector="#roster li[data-jid='bob@localhost']")
        await b.call("wait_text", page=page, text="over BOSH")

    async def test_wrong_password_is_reported_on_the_page(self):
        b = self.browser
        page = await b.page(self.url("/"))
        await b.call("fill", page=page, selector="#jid", value="alice@localhost")
        await b.call("fill", page=page, selector="#password", value="wrong")
        await b.call("click", page=page, selector="#login button")
        await b.call("wait_text", page=page, text="wrong address or password", timeout=20000)


def roster_item(jid, **attrs):
    """Selector of the roster entry for `jid` (with these data-* attributes)."""
    extra = "".join(f"[data-{k}='{v}']" for k, v in attrs.items())
    return f"#roster li[data-jid='{jid}']{extra}"


def request_item(jid):
    return f"#requests li[data-jid='{jid}']"


@require_browser
class WebPageSubscriptionTest(BrowserTestCase):
    """Fresh accounts (empty rosters) per test: each test uses its own users."""

    users = {u: "secret" for u in ("alice", "bob", "carol", "dave", "erin", "frank")}
    test_page = False

    async def login(self, page, jid):
        b = self.browser
        await b.call("fill", page=page, selector="#jid", value=jid)
        await b.call("fill", page=page, selector="#password", value="secret")
        await b.call("click", page=page, selector="#login button")
        await b.call("wait", page=page, selector="#chat")
        # The roster has been fetched (and initial presence sent) once it is not busy.
        await b.call("wait", page=page, selector="#roster:not([aria-busy])", state="attached")
        status = await b.eval(page, "() => document.getElementById('status').textContent")
        self.assertTrue(status.startswith(jid + "/"), status)
        return status.split(" ")[0]

    async def texts(self, page, selector):
        return await self.browser.eval(
            page, "(s) => [...document.querySelectorAll(s)].map((e) => e.textContent)", selector)

    async def screenshot(self, page, name):
        os.makedirs(OUTPUT, exist_ok=True)
        path = os.path.join(OUTPUT, name)
        await self.browser.call("screenshot", page=page, path=path)
        self.assertGreater(os.path.getsize(path), 1000)

    async def test_two_pages_subscribe_to_each_other_and_chat(self):
        b = self.browser
        alice = await b.page(self.url("/"))
        bob = await b.call("page", url=self.url("/"), context=await b.call("context"))
        await self.login(alice, "alice@localhost")
        await self.login(bob, "bob@localhost")
        self.assertEqual(await self.texts(alice, "#roster li"), [])
        self.assertEqual(await self.texts(bob, "#roster li"), [])

        # Alice adds bob: a roster item, and a subscription request bob must approve.
        await b.call("fill", page=alice, selector="#new-contact", value="bob@localhost")
        await b.call("click", page=alice, selector="#add-contact button")
        await b.call("wait", page=alice, selector=roster_item(
            "bob@localhost", subscription="none", ask="subscribe"))
        self.assertEqual(await self.texts(alice, roster_item("bob@localhost") + " .sub"),
                         ["waiting for approval"])
        self.assertEqual(await self.texts(alice, roster_item("bob@localhost") + " .show"),
                         ["offline"])

        # Bob's page shows the request, with the asker's address as plain text.
        await b.call("wait", page=bob, selector=request_item("alice@localhost"))
        self.assertEqual(await self.texts(bob, request_item("alice@localhost") + " .name"),
                         ["alice@localhost"])
        self.assertEqual(await self.texts(bob, "#roster li"), [])
        await self.screenshot(bob, "web_page_request.png")
        await b.call("click", page=bob, selector=request_item("alice@localhost") + " button.accept")

        # Bob approved and asked back; alice's page had pre-approved him, so both
        # end with 'both' and see each other online, and nobody is asked again.
        await b.call("wait", page=alice, selector=roster_item(
            "bob@localhost", subscription="both") + ".online")
        await b.call("wait", page=bob, selector=roster_item(
            "alice@localhost", subscription="both") + ".online")
        for page, other in ((alice, "bob@localhost"), (bob, "alice@localhost")):
            self.assertEqual(await self.texts(page, roster_item(other) + " .sub"),
                             ["you see each other"])
            self.assertEqual(await self.texts(page, roster_item(other) + "[data-ask]"), [])
            self.assertEqual(await self.texts(page, "#requests li"), [])
            self.assertTrue(await b.eval(
                page, "() => document.getElementById('requests-box').hidden"))

        # Alice's conversation with bob is open since she added him.
        self.assertEqual(await self.texts(alice, "#peer"), ["bob@localhost"])
        await b.call("fill", page=alice, selector="#text", value="hi bob, <b>we are set</b>")
        await b.call("click", page=alice, selector="#compose button")
        await b.call("wait", page=bob, selector=roster_item("alice@localhost") + " .unread")
        await b.call("click", page=bob, selector=roster_item("alice@localhost"))
        await b.call("wait", page=bob, selector="#messages li.theirs")
        shown = await b.eval(bob, """() => ({
            text: document.querySelector('#messages li.theirs').lastChild.textContent,
            meta: document.querySelector('#messages li.theirs .meta').textContent,
            bold: document.querySelectorAll('#messages b').length })""")
        self.assertEqual(shown["text"], "hi bob, <b>we are set</b>")
        self.assertTrue(shown["meta"].startswith("alice@localhost · "), shown["meta"])
        self.assertEqual(shown["bold"], 0)
        await b.call("fill", page=bob, selector="#text", value="hello alice")
        await b.call("click", page=bob, selector="#compose button")
        await b.call("wait", page=alice, selector="#messages li.theirs")
        self.assertEqual(await b.eval(
            alice, "() => document.querySelector('#messages li.theirs').lastChild.textContent"),
            "hello alice")

        await self.screenshot(alice, "web_page_alice.png")
        await self.screenshot(bob, "web_page_bob.png")

        # RFC 6121 §2.5: removing the contact ends both subscriptions.
        await b.call("click", page=alice, selector="#peer-remove")
        await b.call("wait", page=alice, selector="#peer-remove[data-confirm]")  # asks first
        self.assertEqual(await self.texts(alice, "#peer-remove"), ["Click again to remove"])
        await b.call("click", page=alice, selector="#peer-remove")
        await b.call("wait", page=alice, selector=roster_item("bob@localhost"), state="detached")
        await b.call("wait", page=bob, selector=roster_item(
            "alice@localhost", subscription="none") + ".offline")
        self.assertEqual(await self.texts(alice, "#peer"), ["Pick a contact"])

    async def test_request_waiting_at_login_is_shown_and_declined(self):
        b = self.browser
        carol = await self.client("carol@localhost/tcp")
        await carol.get_roster()  # so that carol's resource gets roster pushes
        # Dave is offline: the server keeps the request until his next login.
        carol.send_presence(pto="dave@localhost", ptype="subscribe",
                            pstatus="<i>it's carol</i> & friends")
        await carol.next_push("dave@localhost")  # stored: dave joined carol's roster
        page = await b.page(self.url("/"))
        await self.login(page, "dave@localhost")
        await b.call("wait", page=page, selector=request_item("carol@localhost"))
        self.assertEqual(await self.texts(page, request_item("carol@localhost") + " .said"),
                         ["<i>it's carol</i> & friends"])
        self.assertEqual(await b.eval(page, "() => document.querySelectorAll('#requests i').length"), 0)
        await b.call("click", page=page, selector=request_item("carol@localhost") + " button.decline")
        p = await carol.next_presence("unsubscribed", frm="dave@localhost")
        self.assertEqual(str(p["to"]).split("/")[0], "carol@localhost")
        await b.call("wait", page=page, selector=request_item("carol@localhost"), state="detached")
        self.assertTrue(await b.eval(page, "() => document.getElementById('requests-box').hidden"))
        self.assertEqual(await self.texts(page, "#roster li"), [])

    async def test_roster_push_from_another_account_is_refused(self):
        b = self.browser
        frank = await self.client("frank@localhost/tcp")
        page = await b.page(self.url("/"))
        erin = await self.login(page, "erin@localhost")
        iq = frank.make_iq_set(ito=erin)
        iq["roster"]["items"] = {"mallory@localhost": {"name": "Mallory", "subscription": "both"}}
        with self.assertRaises(IqError) as caught:
            await iq.send(timeout=10)
        self.assertEqual(caught.exception.iq["error"]["condition"], "service-unavailable")
        # The push was answered, so the page has handled it: nothing changed.
        self.assertEqual(await self.texts(page, "#roster li"), [])

        # A real push (from erin's own account) still is applied.
        await b.call("fill", page=page, selector="#new-contact", value="Frank@localhost")
        await b.call("click", page=page, selector="#add-contact button")
        await b.call("wait", page=page, selector=roster_item("frank@localhost", ask="subscribe"))
        self.assertEqual(await self.texts(page, "#roster li .name"), ["frank@localhost"])
        await frank.next_presence("subscribe", frm="erin@localhost")


if __name__ == "__main__":
    unittest.main()
