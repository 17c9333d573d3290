"""Other real clients than slixmpp against the real server: go-sendxmpp (Debian's
go-sendxmpp, a Go client on mellium/xmpp) sends and receives one-to-one messages
over STARTTLS and direct TLS."""

import asyncio
import shutil
import subprocess
import unittest

from parley_harness import ServerTestCase

GO_SENDXMPP = shutil.which("go-sendxmpp")


class GoSendxmpp(ServerTestCase):
    users = {"alice": "secret", "bob": "secret"}

    def sendxmpp(self, *args, text=None, port=None):
        port = port or self.server.starttls_port
        return subprocess.run(
            [GO_SENDXMPP, "-u", "alice@localhost", "-p", "secret", "-j", f"127.0.0.1:{port}",
             "-n", "--timeout", "10", *args],
            input=text, capture_output=True, text=True, timeout=30)

    async def test_sends_a_message_over_starttls(self):
        bob = await self.client("bob@localhost/desk")
        r = await asyncio.to_thread(self.sendxmpp, "bob@localhost", text="hi from go")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = await bob.next_message(timeout=10)
        self.assertEqual(m["body"], "hi from go")
        self.assertTrue(str(m["from"]).startswith("alice@localhost/"), m["from"])

    async def test_sends_a_message_over_direct_tls(self):
        bob = await self.client("bob@localhost/tls")
        r = await asyncio.to_thread(self.sendxmpp, "-t", "bob@localhost", text="direct",
                                    port=self.server.tls_port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((await bob.next_message(timeout=10))["body"], "direct")

    async def test_listens_and_receives(self):
        listener = await asyncio.create_subprocess_exec(
            GO_SENDXMPP, "-l", "-u", "alice@localhost", "-p", "secret", "-j",
            f"127.0.0.1:{self.server.starttls_port}", "-n", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            bob = await self.client("bob@localhost/talker")
            # Wait until the listener's session is bound and available.
            for _ in range(100):
                _, out, _ = self.server.ctl("connected_users")
                if "alice@localhost/go-sendxmpp" in out:
                    break
                await asyncio.sleep(0.1)
            else:
                self.fail("go-sendxmpp never connected:\n" + self.server.log()[-3000:])
            bob.send_message(mto="alice@localhost", mbody="hello go", mtype="chat")
            line = await asyncio.wait_for(listener.stdout.readline(), 10)
            self.assertIn("bob@localhost", line.decode())
            self.assertIn("hello go", line.decode())
        finally:
            listener.kill()
            await listener.wait()


if __name__ == "__main__":
    unittest.main()
