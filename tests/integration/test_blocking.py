"""XEP-0191 Blocking Command with real clients: the list and its pushes, and
what a block does to messages, IQs and presence in both directions."""

import asyncio
import unittest

from slixmpp.exceptions import IqError
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from parley_harness import ServerTestCase, mutual_subscription

NS = "urn:xmpp:blocking"


def blocking_iq(client, what, jids=(), itype="set"):
    iq = client.Iq()
    iq["type"] = itype
    iq.append(_payload(what, jids))
    return iq.send(timeout=5)


def _payload(what, jids):
    from xml.etree import ElementTree as ET
    el = ET.Element(f"{{{NS}}}{what}")
    for j in jids:
        ET.SubElement(el, f"{{{NS}}}item", {"jid": j})
    return el


def listen_for_pushes(client):
    client.block_pushes = asyncio.Queue()
    for what in ("block", "unblock"):
        client.register_handler(Callback(
            f"test {what} pushes", MatchXPath(f"{{jabber:client}}iq/{{{NS}}}{what}"),
            lambda iq: client.block_pushes.put_nowait(iq) if iq["type"] == "set" else None))


async def online(test, jid):
    c = await test.client(jid, presence=False)
    listen_for_pushes(c)
    await c.get_roster()
    c.send_presence()
    await c.next_presence("available", frm=jid)
    return c


class Blocking(ServerTestCase):
    users = {u: "secret" for u in ("alice", "bob", "carol", "dave")}

    async def test_block_and_unblock(self):
        alice = await online(self, "alice@localhost/a")
        alice2 = await online(self, "alice@localhost/a2")
        bob = await online(self, "bob@localhost/b")
        await mutual_subscription(alice, bob)
        await blocking_iq(alice2, "blocklist", itype="get")  # alice2 wants pushes

        await blocking_iq(alice, "block", ["bob@localhost"])
        push = await asyncio.wait_for(alice2.block_pushes.get(), 5)
        self.assertEqual([i.get("jid") for i in push.xml.find(f"{{{NS}}}block")],
                         ["bob@localhost"])
        # alice appears offline to bob.
        await bob.presences_from({("unavailable", "alice@localhost/a"),
                                  ("unavailable", "alice@localhost/a2")})
        listed = await blocking_iq(alice, "blocklist", itype="get")
        self.assertEqual([i.get("jid") for i in listed.xml.find(f"{{{NS}}}blocklist")],
                         ["bob@localhost"])

        # bob -> alice: service-unavailable, as if she did not exist.
        bob.send_message(mto="alice@localhost", mbody="hello?", mtype="chat")
        m = await bob.next_message()
        self.assertEqual((m["type"], m["error"]["condition"]), ("error", "service-unavailable"))
        with self.assertRaises(IqError) as e:
            await bob["xep_0199"].send_ping("alice@localhost", timeout=5)
        self.assertEqual(e.exception.condition, "service-unavailable")
        # alice -> bob: not-acceptable with <blocked/>.
        alice.send_message(mto="bob@localhost/b", mbody="psst", mtype="chat")
        m = await alice.next_message()
        self.assertEqual((m["type"], m["error"]["condition"]), ("error", "not-acceptable"))
        self.assertIsNotNone(m.xml.find("{jabber:client}error/{urn:xmpp:blocking:errors}blocked"))
        # alice's presence changes stay hidden. Her block/unblock below runs in
        # order with her presence, so the unblock's presence comes after it.
        alice.send_presence(pstatus="hidden from bob")
        alice.send_presence(pstatus="current")
        await blocking_iq(alice, "unblock", ["bob@localhost"])
        push = await asyncio.wait_for(alice2.block_pushes.get(), 5)
        self.assertIsNotNone(push.xml.find(f"{{{NS}}}unblock"))
        p = await bob.next_presence("available", frm="alice@localhost/a")
        self.assertEqual(p["status"], "current",
                         "the first presence bob sees is the one sent at the unblock")
        # ... and alice learns bob's presence again.
        await alice.next_presence("available", frm="bob@localhost/b")
        bob.send_message(mto="alice@localhost/a", mbody="back", mtype="chat")
        self.assertEqual((await alice.next_message())["body"], "back")
        # Nothing from bob reached alice while he was blocked.
        self.assertTrue(alice.messages.empty())

    async def test_unblock_all_and_bad_requests(self):
        carol = await online(self, "carol@localhost/c")
        await blocking_iq(carol, "block", ["x@localhost", "spam.example", "y@localhost/r"])
        listed = await blocking_iq(carol, "blocklist", itype="get")
        self.assertEqual(len(listed.xml.find(f"{{{NS}}}blocklist")), 3)
        await blocking_iq(carol, "unblock")
        listed = await blocking_iq(carol, "blocklist", itype="get")
        self.assertEqual(len(listed.xml.find(f"{{{NS}}}blocklist")), 0)
        with self.assertRaises(IqError) as e:
            await blocking_iq(carol, "block", [])
        self.assertEqual(e.exception.condition, "bad-request")
        with self.assertRaises(IqError) as e:
            await blocking_iq(carol, "block", ["a@b@c"])
        self.assertEqual(e.exception.condition, "jid-malformed")


class BlockingPersistence(ServerTestCase):
    users = {"dave": "secret", "erin": "secret"}

    async def test_block_list_survives_a_restart(self):
        dave = await online(self, "dave@localhost/d")
        await blocking_iq(dave, "block", ["erin@localhost"])
        dave.disconnect()
        await dave.ended
        self.server.stop()
        self.server.start()
        erin = await self.client("erin@localhost/e")
        await online(self, "dave@localhost/d2")
        erin.send_message(mto="dave@localhost", mbody="still blocked?", mtype="chat")
        m = await erin.next_message()
        self.assertEqual((m["type"], m["error"]["condition"]), ("error", "service-unavailable"))


if __name__ == "__main__":
    unittest.main()
