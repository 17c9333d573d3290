"""RFC 6121 §8.5 delivery between real clients."""

import asyncio
import unittest

from slixmpp.exceptions import IqError

from parley_harness import ServerTestCase


class Routing(ServerTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret", "dave": "secret"}

    async def test_message_between_two_accounts(self):
        alice = await self.client("alice@localhost/a1")
        bob = await self.client("bob@localhost/b1")
        alice.send_message(mto="bob@localhost/b1", mbody="hello bob", mtype="chat")
        m = await bob.next_message()
        self.assertEqual(m["body"], "hello bob")
        self.assertEqual(str(m["from"]), "alice@localhost/a1")
        self.assertEqual(m["type"], "chat")

    async def test_message_between_two_resources_of_one_account(self):
        phone = await self.client("carol@localhost/phone")
        laptop = await self.client("carol@localhost/laptop")
        phone.send_message(mto="carol@localhost/laptop", mbody="note to self", mtype="chat")
        m = await laptop.next_message()
        self.assertEqual(m["body"], "note to self")
        self.assertEqual(str(m["from"]), "carol@localhost/phone")

    async def test_bare_jid_message_reaches_non_negative_priorities(self):
        sender = await self.client("alice@localhost/sender")
        high1 = await self.client("dave@localhost/p5a", priority=5)
        high2 = await self.client("dave@localhost/p5b", priority=5)
        low = await self.client("dave@localhost/neg", priority=-1)
        # Presence is processed in order: a ping round trip from each makes sure the
        # server has seen it before the message is sent.
        for c in (high1, high2, low):
            await c["xep_0199"].send_ping("localhost", timeout=5)
        sender.send_message(mto="dave@localhost", mbody="to all", mtype="chat")
        self.assertEqual((await high1.next_message())["body"], "to all")
        self.assertEqual((await high2.next_message())["body"], "to all")
        # A directed marker message proves the negative-priority resource's queue
        # holds nothing before it.
        sender.send_message(mto="dave@localhost/neg", mbody="marker", mtype="chat")
        self.assertEqual((await low.next_message())["body"], "marker")

    async def test_message_to_unknown_account_bounces(self):
        alice = await self.client("alice@localhost/unknown")
        alice.send_message(mto="nobody@localhost", mbody="hello?", mtype="chat")
        m = await alice.next_message()
        self.assertEqual(m["type"], "error")
        self.assertEqual(m["error"]["condition"], "service-unavailable")

    async def test_iq_to_offline_full_jid_gets_service_unavailable(self):
        alice = await self.client("alice@localhost/iq")
        with self.assertRaises(IqError) as ctx:
            await alice["xep_0199"].send_ping("bob@localhost/offline", timeout=5)
        self.assertEqual(ctx.exception.iq["error"]["condition"], "service-unavailable")

    async def test_message_to_remote_domain_gets_remote_server_not_found(self):
        alice = await self.client("alice@localhost/remote")
        alice.send_message(mto="juliet@example.net", mbody="hi", mtype="chat")
        m = await alice.next_message()
        self.assertEqual(m["error"]["condition"], "remote-server-not-found")

    async def test_to_is_delivered_prepared(self):
        # RFC 7622: local and domain parts fold case, the resource keeps it; the
        # receiver sees the 'to' the server prepared, not the one written.
        alice = await self.client("alice@localhost/prep")
        bob = await self.client("bob@localhost/B2")
        alice.send_raw("<message to='Bob@LocalHost/B2' id='m-prep' type='chat'><body>x</body></message>")
        m = await bob.next_message()
        self.assertEqual(m["id"], "m-prep")
        self.assertEqual(m.xml.attrib["to"], "bob@localhost/B2")
        self.assertEqual(m.xml.attrib["from"], "alice@localhost/prep")

    async def test_malformed_to_gets_jid_malformed(self):
        alice = await self.client("alice@localhost/badjid")
        alice.send_raw("<message to='bad@@localhost' id='m-bad' type='chat'><body>x</body></message>")
        m = await alice.next_message()
        self.assertEqual(m["type"], "error")
        self.assertEqual(m["id"], "m-bad")
        self.assertEqual(m["error"]["condition"], "jid-malformed")

    async def test_forged_from_ends_the_stream(self):
        mallory = await self.client("carol@localhost/forger")
        errors = []
        mallory.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        mallory.send_raw("<message from='bob@localhost/b1' to='alice@localhost'><body>x</body></message>")
        await asyncio.wait_for(asyncio.shield(mallory.ended), 10)
        self.assertEqual(errors, ["invalid-from"])

    async def test_presence_reaches_the_accounts_other_resources(self):
        first = await self.client("bob@localhost/first", presence=False)
        seen = asyncio.Queue()
        first.add_event_handler("presence_available", lambda p: seen.put_nowait(str(p["from"])))
        first.send_presence(ppriority=1)
        # Our own broadcast comes back to us (RFC 6121 §4.2.2).
        self.assertEqual(await asyncio.wait_for(seen.get(), 5), "bob@localhost/first")
        second = await self.client("bob@localhost/second", presence=False)
        learned = asyncio.Queue()
        second.add_event_handler("presence_available", lambda p: learned.put_nowait(str(p["from"])))
        second.send_presence()
        # The newcomer hears about its sibling, and the sibling about it.
        got = {await asyncio.wait_for(learned.get(), 5), await asyncio.wait_for(learned.get(), 5)}
        self.assertEqual(got, {"bob@localhost/first", "bob@localhost/second"})
        self.assertEqual(await asyncio.wait_for(seen.get(), 5), "bob@localhost/second")
        # Going offline is broadcast too.
        gone = asyncio.Queue()
        first.add_event_handler("presence_unavailable", lambda p: gone.put_nowait(str(p["from"])))
        second.disconnect()
        self.assertEqual(await asyncio.wait_for(gone.get(), 5), "bob@localhost/second")

    async def test_connected_users_lists_bound_sessions(self):
        await self.client("carol@localhost/listed")
        code, out, _ = self.server.ctl("connected_users")
        self.assertEqual(code, 0)
        self.assertIn("carol@localhost/listed", out.split())


class RoutingWithoutOfflineStorage(ServerTestCase):
    extra_config = "modules:\n  offline: false\n"

    async def test_message_to_account_without_resources_bounces(self):
        # RFC 6121 §8.5.2.2.1 / XEP-0160 §1: no offline storage, so the sender
        # learns at once that nobody took the message.
        alice = await self.client("alice@localhost/bounce")
        alice.send_message(mto="bob@localhost", mbody="anyone?", mtype="chat")
        m = await alice.next_message()
        self.assertEqual(m["type"], "error")
        self.assertEqual(m["error"]["condition"], "service-unavailable")
        self.assertEqual(str(m["from"]), "bob@localhost")


if __name__ == "__main__":
    unittest.main()
