"""The bundled web chat page (web/), in a real headless Chromium: log in, add a
contact, see the contact's presence, receive a message (rendered as text, never
HTML) and answer it. A screenshot is left in the test output folder."""

import os
import unittest

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


if __name__ == "__main__":
    unittest.main()
