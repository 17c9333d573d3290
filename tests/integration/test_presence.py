"""RFC 6121 §3-4 with real clients: the subscription handshake from none to
both and back, with the presence and roster pushes each step produces; requests
to offline contacts; probes; directed presence; abrupt disconnects."""

import asyncio
import os
import sqlite3
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


async def arrivals(client, wanted, timeout=5):
    """The presence stanzas `client` receives, as (type, from) in arrival order,
    until every pair in `wanted` has arrived; those not in `wanted` are kept
    too, so a test can check what came between."""
    wanted = set(wanted)
    got = []
    deadline = asyncio.get_running_loop().time() + timeout
    while wanted:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise asyncio.TimeoutError(f"still waiting for {wanted}; got {got}")
        p = await asyncio.wait_for(client.presences.get(), left)
        key = (p["type"], str(p["from"]))
        got.append(key)
        wanted.discard(key)
    return got


async def roster_fetch(client):
    """The whole roster (a get without 'ver'). The server answers it on the
    account's storage strand, after whatever it was doing for the account
    before (pushes, stored requests delivered at initial presence): those
    reached this client first."""
    iq = client.Iq()
    iq["type"] = "get"
    iq.enable("roster")
    return (await iq.send(timeout=5))["roster"]


async def drain_pushes(client):
    """Forgets the pushes received so far, once every push already sent arrived."""
    await roster_fetch(client)
    while not client.pushes.empty():
        client.pushes.get_nowait()


class SubscriptionEdges(ServerTestCase):
    users = {u: "secret" for u in ("alice", "bob", "carol", "dave", "erin", "frank", "gina",
                                   "hank", "ivy", "jack")}

    async def test_revoking_sends_unavailable_before_unsubscribed(self):
        # RFC 6121 §3.2.2: while bob is still subscribed, alice's server sends
        # him unavailable presence from each of her resources, and only then
        # routes the 'unsubscribed'. The two come from different addresses
        # (alice's full JIDs and her bare JID), so RFC 6120 §10.1 alone would
        # not order them: the order checked here is the one §3.2.2 requires, as
        # bob's client reads it from its one stream.
        a1 = await online(self, "alice@localhost/one")
        a2 = await online(self, "alice@localhost/two")
        bob = await online(self, "bob@localhost/b")
        bob.send_presence(pto="alice@localhost", ptype="subscribe")
        await a1.next_presence("subscribe", frm="bob@localhost")
        a1.send_presence(pto="bob@localhost", ptype="subscribed")
        await bob.presences_from({("subscribed", "alice@localhost"),
                                  ("available", "alice@localhost/one"),
                                  ("available", "alice@localhost/two")})
        await drain_pushes(bob)
        a1.send_presence(pto="bob@localhost", ptype="unsubscribed")
        wanted = {("unavailable", "alice@localhost/one"), ("unavailable", "alice@localhost/two"),
                  ("unsubscribed", "alice@localhost")}
        got = [k for k in await arrivals(bob, wanted) if k in wanted]
        self.assertEqual(got[-1], ("unsubscribed", "alice@localhost"), got)
        assert_item(self, await bob.next_push("alice@localhost"), "none")

    async def test_removing_a_contact_sends_unavailable_first(self):
        # RFC 6121 §2.5.2: removing bob ends both subscriptions; he sees carol
        # go (§3.2.2) before either 'unsubscribe' or 'unsubscribed' arrives.
        carol = await online(self, "carol@localhost/c")
        dave = await online(self, "dave@localhost/d")
        await mutual_subscription(carol, dave)
        await drain_pushes(dave)
        iq = carol.Iq()
        iq["type"] = "set"
        iq["roster"]["items"] = {"dave@localhost": {"subscription": "remove"}}
        await iq.send(timeout=5)
        wanted = {("unavailable", "carol@localhost/c"), ("unsubscribe", "carol@localhost"),
                  ("unsubscribed", "carol@localhost")}
        got = [k for k in await arrivals(dave, wanted) if k in wanted]
        self.assertEqual(got[0], ("unavailable", "carol@localhost/c"), got)
        # 'both' -> 'to' (carol unsubscribed) -> 'none' (she revoked his).
        assert_item(self, await dave.next_push("carol@localhost"), "to")
        assert_item(self, await dave.next_push("carol@localhost"), "none")

    async def test_a_repeated_request_reaches_the_contact_again(self):
        # RFC 6121 §3.1.3: a request still pending is delivered again, so a
        # client that lost it, or whose answer failed, is asked once more.
        erin = await online(self, "erin@localhost/e")
        frank = await online(self, "frank@localhost/f")
        erin.send_presence(pto="frank@localhost", ptype="subscribe", pstatus="first")
        self.assertEqual((await frank.next_presence("subscribe", frm="erin@localhost"))["status"],
                         "first")
        erin.send_presence(pto="frank@localhost", ptype="subscribe", pstatus="again")
        self.assertEqual((await frank.next_presence("subscribe", frm="erin@localhost"))["status"],
                         "again")
        # Still one pending request: one approval makes it 'from'.
        frank.send_presence(pto="erin@localhost", ptype="subscribed")
        assert_item(self, await frank.next_push("erin@localhost"), "from")
        await erin.presences_from({("subscribed", "frank@localhost"),
                                   ("available", "frank@localhost/f")})

    async def test_crossing_requests_end_both(self):
        # gina and hank ask each other at the same moment, then each approves
        # the request received: both rosters end 'both'.
        gina = await online(self, "gina@localhost/g")
        hank = await online(self, "hank@localhost/h")
        gina.send_presence(pto="hank@localhost", ptype="subscribe")
        hank.send_presence(pto="gina@localhost", ptype="subscribe")
        await gina.next_presence("subscribe", frm="hank@localhost")
        await hank.next_presence("subscribe", frm="gina@localhost")
        gina.send_presence(pto="hank@localhost", ptype="subscribed")
        hank.send_presence(pto="gina@localhost", ptype="subscribed")
        for me, other, other_full in ((gina, "hank@localhost", "hank@localhost/h"),
                                      (hank, "gina@localhost", "gina@localhost/g")):
            await me.presences_from({("subscribed", other), ("available", other_full)})
            pushes = []
            while not pushes or pushes[-1] != ("both", ""):
                item = await me.next_push(other)
                pushes.append((item["subscription"], item["ask"]))
            # First the own request; then, whichever was handled first, the
            # own approval (from, still asking) or the other's (to).
            self.assertIn(pushes, ([("none", "subscribe"), ("from", "subscribe"), ("both", "")],
                                   [("none", "subscribe"), ("to", ""), ("both", "")]))
            roster = await roster_fetch(me)
            self.assertEqual(roster["items"][other]["subscription"], "both")
            self.assertTrue(me.pushes.empty())

    async def test_a_probe_of_an_unavailable_subscriber_gets_the_last_unavailable(self):
        # RFC 6121 §4.3.2: ivy has no available resource; jack, a subscriber,
        # probes at login and gets the unavailable presence she left with.
        ivy = await online(self, "ivy@localhost/i")
        jack = await online(self, "jack@localhost/j")
        await mutual_subscription(ivy, jack)
        ivy.send_presence(ptype="unavailable", pstatus="gone fishing")
        await jack.next_presence("unavailable", frm="ivy@localhost/i")
        ivy.disconnect()
        await ivy.ended
        jack2 = await self.client("jack@localhost/j2", presence=False)
        jack2.send_presence()
        p = await jack2.next_presence("unavailable", frm="ivy@localhost/i")
        self.assertEqual(p["status"], "gone fishing")


class ProbeFromAStaleRoster(ServerTestCase):
    users = {"kate": "secret", "leo": "secret"}

    async def test_a_probe_from_a_non_subscriber_is_answered_unsubscribed(self):
        kate = await online(self, "kate@localhost/k")
        leo = await online(self, "leo@localhost/l")
        kate.send_presence(pto="leo@localhost", ptype="subscribe")
        await leo.next_presence("subscribe", frm="kate@localhost")
        leo.send_presence(pto="kate@localhost", ptype="subscribed")
        await kate.presences_from({("subscribed", "leo@localhost"),
                                   ("available", "leo@localhost/l")})
        for c in (kate, leo):
            c.disconnect()
            await c.ended
        # leo's server loses his side of it (a restore from an old backup, say):
        # kate's roster still says she receives his presence.
        self.server.stop()
        db = sqlite3.connect(os.path.join(self.server.dir, "data", "parley.db"))
        with db:
            gone = db.execute("DELETE FROM map WHERE store = 'roster' AND host = 'localhost' "
                              "AND username = 'leo' AND key = 'kate@localhost'").rowcount
        db.close()
        self.assertEqual(gone, 1)
        self.server.start()
        leo = await online(self, "leo@localhost/l2")
        kate = await self.client("kate@localhost/k2", presence=False)
        roster = await kate.get_roster()
        self.assertEqual(roster["roster"]["items"]["leo@localhost"]["subscription"], "to")
        # Initial presence probes leo; he has no subscriber kate, so the answer
        # is 'unsubscribed' (§4.3.2), never his presence, and kate's roster
        # drops to 'none' (§3.2.3).
        kate.send_presence()
        got = await arrivals(kate, {("unsubscribed", "leo@localhost")})
        self.assertNotIn(("available", "leo@localhost/l2"), got)
        assert_item(self, await kate.next_push("leo@localhost"), "none")


class OfflineUnregister(ServerTestCase):
    users = {"mia": "secret", "ned": "secret", "ola": "secret"}

    async def test_contacts_rosters_follow_a_removal_with_the_server_down(self):
        mia = await online(self, "mia@localhost/m")
        ned = await online(self, "ned@localhost/n")
        ola = await online(self, "ola@localhost/o")
        await mutual_subscription(mia, ned)
        # ned also asks ola, who never answers.
        ned.send_presence(pto="ola@localhost", ptype="subscribe")
        await ola.next_presence("subscribe", frm="ned@localhost")
        before = await roster_fetch(mia)
        self.assertEqual(before["items"]["ned@localhost"]["subscription"], "both")
        for c in (mia, ned, ola):
            c.disconnect()
            await c.ended
        self.server.stop()
        code, out, err = self.server.ctl("unregister", "ned", "localhost")
        self.assertEqual(code, 0, out + err)
        self.server.start()
        # mia keeps the item, with no subscription either way (RFC 6121 §3.2.3,
        # §3.3.3, as when the server removes ned live) and a new roster version.
        mia = await self.client("mia@localhost/m2", presence=False)
        after = await roster_fetch(mia)
        item = after["items"]["ned@localhost"]
        self.assertEqual((item["subscription"], item["ask"]), ("none", ""))
        self.assertNotEqual(after["ver"], before["ver"])
        # ola's pending request from ned is gone: her next login does not bring it.
        ola = await self.client("ola@localhost/o2", presence=False)
        await ola.get_roster()
        ola.send_presence()
        await ola.next_presence("available", frm="ola@localhost/o2")
        await roster_fetch(ola)
        stray = []
        while not ola.presences.empty():
            p = ola.presences.get_nowait()
            stray.append((p["type"], str(p["from"])))
        self.assertNotIn(("subscribe", "ned@localhost"), stray)


if __name__ == "__main__":
    unittest.main()
