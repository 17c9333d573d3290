"""RFC 6121 §2 roster management with real clients: get, set, remove, pushes to
every interested resource, roster versioning (§2.6) and the RFC's errors."""

import unittest

from slixmpp.exceptions import IqError

from parley_harness import ServerTestCase


def roster_set(client, jid, name=None, groups=(), subscription=None):
    iq = client.Iq()
    iq["type"] = "set"
    item = {"groups": list(groups)}
    if name is not None:
        item["name"] = name
    if subscription is not None:
        item["subscription"] = subscription
    iq["roster"]["items"] = {jid: item}
    return iq.send(timeout=5)


def roster_get(client, ver=None):
    iq = client.Iq()
    iq["type"] = "get"
    iq.enable("roster")
    if ver is not None:
        iq["roster"]["ver"] = ver
    return iq.send(timeout=5)


class Roster(ServerTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret", "dave": "secret"}

    async def test_set_is_pushed_to_interested_resources_and_stored(self):
        laptop = await self.client("alice@localhost/laptop")
        phone = await self.client("alice@localhost/phone")
        quiet = await self.client("alice@localhost/quiet")  # never asks for the roster
        first = await roster_get(laptop)
        self.assertEqual(len(first["roster"]["items"]), 0)
        await roster_get(phone)
        await roster_set(laptop, "bob@localhost", name="Bob", groups=["Friends", "Work"])
        for c in (laptop, phone):
            item = await c.next_push("bob@localhost")
            self.assertEqual(item["name"], "Bob")
            self.assertEqual(sorted(item["groups"]), ["Friends", "Work"])
            self.assertEqual(item["subscription"], "none")
            self.assertNotEqual(item["ver"], first["roster"]["ver"])
        # RFC 6121 §2.1.6: only resources that requested the roster get pushes.
        self.assertTrue(quiet.pushes.empty())
        got = await roster_get(phone)
        self.assertEqual(got["roster"]["items"]["bob@localhost"]["name"], "Bob")

        await roster_set(laptop, "bob@localhost", subscription="remove")
        removed = await phone.next_push("bob@localhost")
        self.assertEqual(removed["subscription"], "remove")
        got = await roster_get(laptop)
        self.assertNotIn("bob@localhost", got["roster"]["items"])

    async def test_versioned_get(self):
        c = await self.client("carol@localhost/v")
        await roster_set(c, "dave@localhost", name="D")
        full = await roster_get(c, ver="")
        ver = full["roster"]["ver"]
        self.assertTrue(ver)
        self.assertIn("dave@localhost", full["roster"]["items"])
        # RFC 6121 §2.6.3: up to date -> an empty result without <query/>.
        same = await roster_get(c, ver=ver)
        self.assertIsNone(same.xml.find("{jabber:iq:roster}query"))
        # Out of date -> the whole roster again, with the current version.
        await roster_set(c, "alice@localhost", name="A")
        newer = await roster_get(c, ver=ver)
        self.assertNotEqual(newer["roster"]["ver"], ver)
        self.assertEqual(set(map(str, newer["roster"]["items"])),
                         {"dave@localhost", "alice@localhost"})

    async def test_removing_an_unknown_item_is_item_not_found(self):
        c = await self.client("dave@localhost/r")
        with self.assertRaises(IqError) as e:
            await roster_set(c, "nobody@localhost", subscription="remove")
        self.assertEqual(e.exception.condition, "item-not-found")

    async def test_two_items_are_a_bad_request(self):
        c = await self.client("dave@localhost/two")
        iq = c.Iq()
        iq["type"] = "set"
        iq["roster"]["items"] = {"a@localhost": {}, "b@localhost": {}}
        with self.assertRaises(IqError) as e:
            await iq.send(timeout=5)
        self.assertEqual(e.exception.condition, "bad-request")

    async def test_overlong_name_is_not_acceptable(self):
        c = await self.client("dave@localhost/long")
        with self.assertRaises(IqError) as e:
            await roster_set(c, "x@localhost", name="n" * 2000)
        self.assertEqual(e.exception.condition, "not-acceptable")

    async def test_too_many_groups_is_not_acceptable(self):
        # modules.roster.max_groups, 64 by default: one more is refused
        # (RFC 6121 §2.3.3), and nothing is stored or pushed for it.
        c = await self.client("dave@localhost/groups")
        await roster_get(c)
        with self.assertRaises(IqError) as e:
            await roster_set(c, "many@localhost", groups=[f"g{i}" for i in range(65)])
        self.assertEqual(e.exception.condition, "not-acceptable")
        got = await roster_get(c)
        self.assertNotIn("many@localhost", got["roster"]["items"])
        self.assertTrue(c.pushes.empty())
        # The limit itself is fine.
        await roster_set(c, "many@localhost", groups=[f"g{i}" for i in range(64)])
        item = await c.next_push("many@localhost")
        self.assertEqual(len(item["groups"]), 64)

    async def test_someone_elses_roster_is_forbidden(self):
        c = await self.client("dave@localhost/nosy")
        iq = c.Iq()
        iq["type"] = "get"
        iq["to"] = "alice@localhost"
        iq.enable("roster")
        with self.assertRaises(IqError) as e:
            await iq.send(timeout=5)
        self.assertEqual(e.exception.condition, "forbidden")


class RosterLimits(ServerTestCase):
    users = {"alice": "secret", "bob": "secret", "carol": "secret"}
    extra_config = "modules:\n  roster: {max_items: 2}\n"

    async def test_a_full_roster_refuses_new_items(self):
        c = await self.client("alice@localhost/full")
        await roster_get(c)
        await roster_set(c, "a@localhost")
        await roster_set(c, "b@localhost")
        await roster_set(c, "b@localhost", name="renaming is fine")
        with self.assertRaises(IqError) as e:
            await roster_set(c, "c@localhost")
        self.assertEqual(e.exception.condition, "not-allowed")
        # A subscription request would add a contact too (RFC 6121 §3.1.2).
        c.send_presence(pto="c@localhost", ptype="subscribe")
        err = await c.next_presence("error", frm="c@localhost")
        self.assertEqual(err["error"]["condition"], "not-allowed")
        # ... while one to a contact already listed goes through.
        c.send_presence(pto="a@localhost", ptype="subscribe")
        item = await c.next_push("a@localhost")
        while item["ask"] != "subscribe":  # pushes of the sets above come first
            item = await c.next_push("a@localhost")
        self.assertEqual(item["ask"], "subscribe")

    async def test_a_full_roster_refuses_approvals(self):
        # Approving a request (RFC 6121 §3.1.5) or pre-approving (§3.4) adds
        # the contact to the roster: refused like a roster set when it is full.
        carol = await self.client("carol@localhost/full", presence=False)
        await roster_get(carol)
        carol.send_presence()
        await roster_set(carol, "x@localhost")
        await roster_set(carol, "y@localhost")
        bob = await self.client("bob@localhost/asks", presence=False)
        await roster_get(bob)
        bob.send_presence()
        bob.send_presence(pto="carol@localhost", ptype="subscribe")
        await carol.next_presence("subscribe", frm="bob@localhost")
        carol.send_presence(pto="bob@localhost", ptype="subscribed")
        err = await carol.next_presence("error", frm="bob@localhost")
        self.assertEqual(err["error"]["condition"], "not-allowed")
        carol.send_presence(pto="alice@localhost", ptype="subscribed")
        err = await carol.next_presence("error", frm="alice@localhost")
        self.assertEqual(err["error"]["condition"], "not-allowed")
        got = await roster_get(carol)
        self.assertEqual(set(map(str, got["roster"]["items"])), {"x@localhost", "y@localhost"})
        # bob's request still waits: no approval reached him.
        got = await roster_get(bob)
        item = got["roster"]["items"]["carol@localhost"]
        self.assertEqual((item["subscription"], item["ask"]), ("none", "subscribe"))


class RosterPersistence(ServerTestCase):
    users = {"erin": "secret"}

    async def test_roster_survives_a_restart(self):
        c = await self.client("erin@localhost/before")
        await roster_set(c, "frank@localhost", name="Frank", groups=["G"])
        c.disconnect()
        await c.ended
        self.server.stop()
        self.server.start()
        c = await self.client("erin@localhost/after")
        got = await roster_get(c)
        self.assertEqual(got["roster"]["items"]["frank@localhost"]["name"], "Frank")
        self.assertEqual(got["roster"]["items"]["frank@localhost"]["groups"], ["G"])


if __name__ == "__main__":
    unittest.main()
