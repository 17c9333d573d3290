"""RFC 6121 §3-4 with real clients: the subscription handshake from none to
both and back, with the presence and roster pushes each step produces; requests
to offline contacts; probes; directed presence; abrupt disconnects."""

import asyncio
import unittest

from parley_harness import ServerTestCase, mutual_subscription


async def online(test, jid, **kw):
    """A client that fetched its roster (so it gets pushes) and is available."""
    c = await test.client(jid, presence=False, **kw)
    await c.get_roster()
    c.send_presence(ppriority=kw.get("priority"))
    # Our own presence comes back (RFC 6121 §4.2.2): the server has seen it.
    await c.next_presence("available", frm=jid)
    return c


def assert_item(test, item, subscription, ask=""):
    test.assertEqual((item["subscription"], item["ask"]), (subscription, ask), item)


class Subscriptions(ServerTestCase):
    users = {u: "secret" for u in ("alice", "bob", "carol", "dave", "erin", "frank", "gina",
                                   "hank", "ivy", "jack")}

    async def test_none_to_both_and_back(self):
        alice = await online(self, "alice@localhost/a")
        bob = await online(self, "bob@localhost/b")

        # alice asks: her roster shows ask=subscribe, bob gets the request from her bare JID.
        alice.send_presence(pto="bob@localhost", ptype="subscribe")
        assert_item(self, await alice.next_push("bob@localhost"), "none", "subscribe")
        req = await bob.next_presence("subscribe")
        self.assertEqual(str(req["from"]), "alice@localhost")

        # bob approves: from for him, to for her, and she receives his presence.
        bob.send_presence(pto="alice@localhost", ptype="subscribed")
        assert_item(self, await bob.next_push("alice@localhost"), "from")
        await alice.presences_from({("subscribed", "bob@localhost"),
                                    ("available", "bob@localhost/b")})
        assert_item(self, await alice.next_push("bob@localhost"), "to")

        # bob asks back and alice approves: both.
        bob.send_presence(pto="alice@localhost", ptype="subscribe")
        assert_item(self, await bob.next_push("alice@localhost"), "from", "subscribe")
        await alice.next_presence("subscribe", frm="bob@localhost")
        alice.send_presence(pto="bob@localhost", ptype="subscribed")
        assert_item(self, await alice.next_push("bob@localhost"), "both")
        assert_item(self, await bob.next_push("alice@localhost"), "both")
        await bob.presences_from({("subscribed", "alice@localhost"),
                                  ("available", "alice@localhost/a")})

        # A presence change reaches the subscriber.
        alice.send_presence(pshow="away", pstatus="lunch")
        # (slixmpp reports an available presence's <show/> as its type)
        p = await bob.next_presence("away", frm="alice@localhost/a")
        self.assertEqual((p["show"], p["status"]), ("away", "lunch"))

        # alice unsubscribes from bob: she keeps 'from', he keeps 'to', and she
        # is told he is gone.
        alice.send_presence(pto="bob@localhost", ptype="unsubscribe")
        assert_item(self, await alice.next_push("bob@localhost"), "from")
        await bob.next_presence("unsubscribe", frm="alice@localhost")
        assert_item(self, await bob.next_push("alice@localhost"), "to")
        await alice.next_presence("unavailable", frm="bob@localhost/b")

        # alice revokes bob's subscription: none on both sides, he sees her go.
        alice.send_presence(pto="bob@localhost", ptype="unsubscribed")
        assert_item(self, await alice.next_push("bob@localhost"), "none")
        await bob.presences_from({("unavailable", "alice@localhost/a"),
                                  ("unsubscribed", "alice@localhost")})
        assert_item(self, await bob.next_push("alice@localhost"), "none")

        # With no subscription left, presence changes stay private. alice's
        # server handles her presence in order, so her new request arrives after
        # anything her broadcast would have sent bob.
        alice.send_presence(pstatus="private")
        alice.send_presence(pto="bob@localhost", ptype="subscribe")
        seen = []
        while True:
            p = await bob.next_presence()
            if p["type"] == "subscribe":
                break
            seen.append(p["status"])
        self.assertNotIn("private", seen)

    async def test_request_to_an_offline_contact_is_delivered_at_login(self):
        carol = await online(self, "carol@localhost/c")
        carol.send_presence(pto="dave@localhost", ptype="subscribe", pstatus="it's carol")
        assert_item(self, await carol.next_push("dave@localhost"), "none", "subscribe")
        # dave logs in later; his initial presence brings the stored request.
        dave = await self.client("dave@localhost/d", presence=False)
        roster = await dave.get_roster()
        # A pending request alone does not put carol in dave's roster (§3.1.3).
        self.assertNotIn("carol@localhost", roster["roster"]["items"])
        dave.send_presence()
        req = await dave.next_presence("subscribe", frm="carol@localhost")
        self.assertEqual(req["status"], "it's carol")
        dave.send_presence(pto="carol@localhost", ptype="subscribed")
        assert_item(self, await carol.next_push("dave@localhost"), "to")
        await carol.presences_from({("subscribed", "dave@localhost"),
                                    ("available", "dave@localhost/d")})

    async def test_probe_on_login_and_unavailable_on_abrupt_close(self):
        erin = await online(self, "erin@localhost/e")
        frank = await online(self, "frank@localhost/f")
        await mutual_subscription(erin, frank)
        # A second frank resource learns erin's presence from the probe at login.
        frank2 = await self.client("frank@localhost/f2", presence=False)
        frank2.send_presence()
        await frank2.next_presence("available", frm="erin@localhost/e")
        # erin's connection dies without a closing stream: subscribers are told.
        erin.transport.abort()
        await frank.next_presence("unavailable", frm="erin@localhost/e")
        await frank2.next_presence("unavailable", frm="erin@localhost/e")

    async def test_directed_presence_is_undone_when_leaving(self):
        gina = await online(self, "gina@localhost/g")
        hank = await online(self, "hank@localhost/h")
        gina.send_presence(pto="hank@localhost/h", pstatus="just for you")
        p = await hank.next_presence("available", frm="gina@localhost/g")
        self.assertEqual(p["status"], "just for you")
        gina.disconnect()
        await hank.next_presence("unavailable", frm="gina@localhost/g")

    async def test_pre_approval(self):
        ivy = await online(self, "ivy@localhost/i")
        jack = await online(self, "jack@localhost/j")
        # RFC 6121 §3.4: ivy approves before jack asks.
        ivy.send_presence(pto="jack@localhost", ptype="subscribed")
        item = await ivy.next_push("jack@localhost")
        self.assertEqual((item["subscription"], item["approved"]), ("none", "true"))
        jack.send_presence(pto="ivy@localhost", ptype="subscribe")
        # Granted at once; ivy's clients are not asked.
        await jack.presences_from({("subscribed", "ivy@localhost"),
                                   ("available", "ivy@localhost/i")})
        assert_item(self, await ivy.next_push("jack@localhost"), "from")

    async def test_removed_account_ends_its_subscriptions(self):
        self.server.register("kate", "secret")
        self.server.register("leo", "secret")
        kate = await online(self, "kate@localhost/k")
        leo = await online(self, "leo@localhost/l")
        await mutual_subscription(kate, leo)
        assert_item(self, await kate.next_push("leo@localhost"), "none", "subscribe")
        assert_item(self, await kate.next_push("leo@localhost"), "to")
        assert_item(self, await kate.next_push("leo@localhost"), "both")
        code, out, err = self.server.ctl("unregister", "leo", "localhost")
        self.assertEqual(code, 0, out + err)
        # kate sees leo go, and her roster item for him drops to 'none' (XEP-0077 §3.2).
        await kate.presences_from({("unavailable", "leo@localhost/l"),
                                   ("unsubscribe", "leo@localhost"),
                                   ("unsubscribed", "leo@localhost")})
        # 'both' -> 'to' (he unsubscribed) -> 'none' (he revoked hers).
        assert_item(self, await kate.next_push("leo@localhost"), "to")
        assert_item(self, await kate.next_push("leo@localhost"), "none")

    async def test_request_to_a_missing_account_is_refused(self):
        jack = await online(self, "jack@localhost/missing")
        jack.send_presence(pto="ghost@localhost", ptype="subscribe")
        assert_item(self, await jack.next_push("ghost@localhost"), "none", "subscribe")
        # RFC 6121 §8.5.1: the server answers for the missing account, and the
        # pending request is withdrawn.
        await jack.next_presence("unsubscribed", frm="ghost@localhost")
        assert_item(self, await jack.next_push("ghost@localhost"), "none")

    async def test_unanswered_probe_from_a_stranger(self):
        ivy = await online(self, "ivy@localhost/stranger")
        bob = await online(self, "bob@localhost/prober")
        bob.send_presence(pto="ivy@localhost", ptype="probe")
        # ivy's server handles her inbound presence in order: once the request
        # sent after the probe reached her, the probe was answered (or not), and
        # an answer would reach bob before the marker he sends himself now.
        bob.send_presence(pto="ivy@localhost", ptype="subscribe")
        await ivy.next_presence("subscribe", frm="bob@localhost")
        bob.send_presence(pto="bob@localhost/prober", pstatus="marker")
        seen = []
        while True:
            p = await bob.next_presence()
            if p["status"] == "marker":
                break
            seen.append(str(p["from"]))
        # RFC 6121 §4.3.2: no subscription, no presence.
        self.assertNotIn("ivy@localhost/stranger", seen)


if __name__ == "__main__":
    unittest.main()
