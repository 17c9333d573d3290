"""XEP-0160 offline messages with XEP-0203 delay: stored for an existing account
with no resource that can take them, delivered oldest first at the next
non-negative available presence, kept across SIGTERM and kill -9, bounded by a
quota, and managed with parleyctl."""

import asyncio
import datetime
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from parley_harness import PARLEYD, ServerTestCase

DELAY = "{urn:xmpp:delay}delay"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def delay_of(message):
    """The XEP-0203 <delay/> element of a received message, or None."""
    return message.xml.find(DELAY)


def send_with_id(client, to, body, mid):
    m = client.make_message(mto=to, mbody=body, mtype="chat")
    m["id"] = mid
    m.send()


def parse_stamp(stamp):
    # XEP-0082 DateTime as Parley writes it: 2026-11-25T16:00:00.123Z
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


class OfflineCase(ServerTestCase):
    """Helpers shared by the offline test classes."""

    async def ctl(self, *args):
        return await asyncio.to_thread(self.server.ctl, *args)

    async def wait_for_count(self, user, expected, timeout=10):
        """Polls parleyctl (on the admin socket) until the queue holds `expected`."""
        deadline = time.monotonic() + timeout
        while True:
            code, out, err = await self.ctl("get_offline_count", user, "localhost")
            if code == 0 and out.strip() == str(expected):
                return
            if time.monotonic() > deadline:
                self.fail(f"offline count of {user} stayed {out.strip()!r} {err.strip()!r}, "
                          f"expected {expected}")
            await asyncio.sleep(0.05)

    def assert_delayed(self, message, body, sent_after, sent_before):
        self.assertEqual(message["body"], body)
        delay = delay_of(message)
        self.assertIsNotNone(delay, f"no <delay/> on {message}")
        self.assertEqual(delay.get("from"), "localhost")
        stamp = parse_stamp(delay.get("stamp"))
        # The stamp is when the server took the message, with millisecond precision.
        slack = datetime.timedelta(milliseconds=1)
        self.assertGreaterEqual(stamp, sent_after - slack)
        self.assertLessEqual(stamp, sent_before + slack)


class OfflineDelivery(OfflineCase):
    users = {name: "secret" for name in
             ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")}

    async def test_messages_are_stored_then_delivered_oldest_first_with_delay(self):
        alice = await self.client("alice@localhost/a")
        before = utc_now()
        for i in range(3):
            alice.send_message(mto="bob@localhost", mbody=f"offline {i}", mtype="chat")
        await self.wait_for_count("bob", 3)
        after = utc_now()
        # No bounce: the sender hears nothing (checked after a round trip).
        await alice["xep_0199"].send_ping("localhost", timeout=5)
        self.assertTrue(alice.messages.empty())

        bob = await self.client("bob@localhost/phone")
        for i in range(3):
            m = await bob.next_message()
            self.assert_delayed(m, f"offline {i}", before, after)
            self.assertEqual(str(m["from"]), "alice@localhost/a")
            self.assertEqual(m["type"], "chat")
            self.assertEqual(str(m["to"]), "bob@localhost/phone")
        await self.wait_for_count("bob", 0)

    async def test_a_message_without_type_is_normal_and_stored(self):
        alice = await self.client("alice@localhost/typeless")
        before = utc_now()
        alice.send_raw("<message to='carol@localhost' id='plain'><body>no type</body></message>")
        await self.wait_for_count("carol", 1)
        after = utc_now()
        carol = await self.client("carol@localhost/c")
        m = await carol.next_message()
        self.assert_delayed(m, "no type", before, after)
        self.assertEqual(m["id"], "plain")

    async def test_a_message_to_an_offline_full_jid_is_stored(self):
        # RFC 6121 §8.5.3.2.1: no such resource, so the bare-JID rules apply.
        alice = await self.client("alice@localhost/full")
        before = utc_now()
        alice.send_message(mto="grace@localhost/gone", mbody="to a resource", mtype="chat")
        await self.wait_for_count("grace", 1)
        after = utc_now()
        grace = await self.client("grace@localhost/back")
        self.assert_delayed(await grace.next_message(), "to a resource", before, after)

    async def test_negative_priority_gets_nothing_a_later_non_negative_login_does(self):
        alice = await self.client("alice@localhost/prio")
        before = utc_now()
        alice.send_message(mto="dave@localhost", mbody="for a real login", mtype="chat")
        await self.wait_for_count("dave", 1)
        after = utc_now()
        hidden = await self.client("dave@localhost/hidden", priority=-1)
        await hidden["xep_0199"].send_ping("localhost", timeout=5)  # its presence was seen
        await self.wait_for_count("dave", 1)
        shown = await self.client("dave@localhost/shown", priority=0)
        self.assert_delayed(await shown.next_message(), "for a real login", before, after)
        # The negative-priority resource never got it: a marker sent now is the
        # first message it sees.
        alice.send_message(mto="dave@localhost/hidden", mbody="marker", mtype="chat")
        self.assertEqual((await hidden.next_message())["body"], "marker")
        await self.wait_for_count("dave", 0)

    async def test_raising_a_negative_priority_delivers_the_queue(self):
        # XEP-0160 §2: "next sends non-negative available presence", not only
        # the initial presence.
        hidden = await self.client("frank@localhost/later", priority=-1)
        await hidden["xep_0199"].send_ping("localhost", timeout=5)
        alice = await self.client("alice@localhost/raise")
        before = utc_now()
        alice.send_message(mto="frank@localhost", mbody="waiting for you", mtype="chat")
        await self.wait_for_count("frank", 1)
        after = utc_now()
        hidden.send_presence(ppriority=-5)  # still negative: nothing
        hidden.send_presence(ppriority=2)
        self.assert_delayed(await hidden.next_message(), "waiting for you", before, after)
        await self.wait_for_count("frank", 0)

    async def test_headline_is_not_stored_and_not_bounced(self):
        alice = await self.client("alice@localhost/headline")
        alice.send_message(mto="erin@localhost", mbody="news", mtype="headline")
        alice.send_message(mto="erin@localhost", mbody="chat", mtype="chat")
        await self.wait_for_count("erin", 1)
        await alice["xep_0199"].send_ping("localhost", timeout=5)
        self.assertTrue(alice.messages.empty())
        erin = await self.client("erin@localhost/e")
        self.assertEqual((await erin.next_message())["body"], "chat")
        marker = await self.client("alice@localhost/marker")
        marker.send_message(mto="erin@localhost/e", mbody="marker", mtype="chat")
        self.assertEqual((await erin.next_message())["body"], "marker")

    async def test_groupchat_to_an_offline_account_bounces(self):
        alice = await self.client("alice@localhost/groupchat")
        alice.send_message(mto="frank@localhost", mbody="room?", mtype="groupchat")
        m = await alice.next_message()
        self.assertEqual(m["type"], "error")
        self.assertEqual(m["error"]["condition"], "service-unavailable")
        await self.wait_for_count("frank", 0)

    async def test_message_to_unknown_account_bounces_and_is_not_stored(self):
        alice = await self.client("alice@localhost/unknown")
        send_with_id(alice, "nobody@localhost", "hello?", "u1")
        m = await alice.next_message()
        self.assertEqual(m["type"], "error")
        self.assertEqual(m["id"], "u1")
        self.assertEqual(m["error"]["condition"], "service-unavailable")
        self.assertEqual(str(m["from"]), "nobody@localhost")
        code, _, err = await self.ctl("get_offline_count", "nobody", "localhost")
        self.assertEqual(code, 1)
        self.assertIn("does not exist", err)

    async def test_msgoffline_is_advertised(self):
        c = await self.client("alice@localhost/disco")
        info = await c["xep_0030"].get_info(jid="localhost", timeout=5)
        self.assertIn("msgoffline", info["disco_info"]["features"])

    async def test_parleyctl_lists_and_deletes_a_queue_while_running(self):
        alice = await self.client("alice@localhost/ctl")
        alice.send_message(mto="heidi@localhost", mbody="first\nline two", mtype="chat")
        alice.send_message(mto="heidi@localhost", mbody="second", mtype="normal")
        await self.wait_for_count("heidi", 2)
        code, out, _ = await self.ctl("get_offline_messages", "heidi", "localhost")
        self.assertEqual(code, 0)
        lines = out.rstrip("\n").split("\n")
        self.assertEqual(len(lines), 2, out)
        stamp, sender, stanza = lines[0].split("\t")
        parse_stamp(stamp)
        self.assertEqual(sender, "alice@localhost/ctl")
        self.assertIn("<body>first&#10;line two</body>", stanza)
        self.assertIn("<body>second</body>", lines[1])
        code, out, _ = await self.ctl("delete_offline_messages", "heidi", "localhost")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("2 offline message(s) of heidi@localhost deleted"), out)
        await self.wait_for_count("heidi", 0)
        heidi = await self.client("heidi@localhost/h")
        alice.send_message(mto="heidi@localhost/h", mbody="live", mtype="chat")
        self.assertEqual((await heidi.next_message())["body"], "live")

    async def test_parleyctl_refuses_bad_input(self):
        code, _, err = await self.ctl("get_offline_count", "alice", "example.org")
        self.assertEqual(code, 1)
        self.assertIn("not served", err)
        code, _, err = await self.ctl("get_offline_messages", "al ice", "localhost")
        self.assertEqual(code, 1)
        self.assertIn("invalid user name", err)
        code, _, err = await self.ctl("delete_offline_messages", "alice")
        self.assertEqual(code, 2)
        self.assertIn("usage", err)

    async def test_unregister_drops_the_queue(self):
        self.server.register("ivan", "secret")
        alice = await self.client("alice@localhost/unreg")
        alice.send_message(mto="ivan@localhost", mbody="for the old ivan", mtype="chat")
        await self.wait_for_count("ivan", 1)
        self.assertEqual((await self.ctl("unregister", "ivan", "localhost"))[0], 0)
        self.server.register("ivan", "secret")
        await self.wait_for_count("ivan", 0)
        ivan = await self.client("ivan@localhost/new")
        alice.send_message(mto="ivan@localhost/new", mbody="for the new ivan", mtype="chat")
        self.assertEqual((await ivan.next_message())["body"], "for the new ivan")


class OfflineQuota(OfflineCase):
    extra_config = "modules:\n  offline: {max_messages: 2}\n"

    async def test_past_the_quota_the_sender_gets_service_unavailable(self):
        alice = await self.client("alice@localhost/quota")
        for i in range(2):
            alice.send_message(mto="bob@localhost", mbody=f"kept {i}", mtype="chat")
        send_with_id(alice, "bob@localhost", "one too many", "over")
        m = await alice.next_message()
        self.assertEqual(m["type"], "error")
        self.assertEqual(m["id"], "over")
        self.assertEqual(m["error"]["condition"], "service-unavailable")
        self.assertIn("full", m["error"]["text"])
        self.assertEqual(str(m["from"]), "bob@localhost")
        await self.wait_for_count("bob", 2)
        bob = await self.client("bob@localhost/b")
        self.assertEqual((await bob.next_message())["body"], "kept 0")
        self.assertEqual((await bob.next_message())["body"], "kept 1")
        alice.send_message(mto="bob@localhost/b", mbody="marker", mtype="chat")
        self.assertEqual((await bob.next_message())["body"], "marker")


class OfflineDurability(OfflineCase):
    """Stored messages outlive the process: SIGTERM and kill -9 both."""

    users = {"alice": "secret", "bob": "secret", "carol": "secret", "dave": "secret"}

    async def store_one(self, recipient, body):
        alice = await self.client("alice@localhost/" + recipient)
        before = utc_now()
        alice.send_message(mto=recipient + "@localhost", mbody=body, mtype="chat")
        await self.wait_for_count(recipient, 1)
        return before, utc_now()

    async def deliver_after_restart(self, recipient, body, before, after):
        # With the server down, parleyctl reads the queue from the database.
        code, out, _ = await self.ctl("get_offline_count", recipient, "localhost")
        self.assertEqual((code, out.strip()), (0, "1"))
        code, out, _ = await self.ctl("get_offline_messages", recipient, "localhost")
        self.assertEqual(code, 0)
        self.assertIn(f"<body>{body}</body>", out)
        self.server.start()
        c = await self.client(recipient + "@localhost/back")
        self.assert_delayed(await c.next_message(), body, before, after)
        await self.wait_for_count(recipient, 0)

    async def test_survives_a_sigterm_restart(self):
        before, after = await self.store_one("bob", "kept over a restart")
        self.assertEqual(self.server.stop(), 0)
        await self.deliver_after_restart("bob", "kept over a restart", before, after)

    async def test_survives_kill_9_once_queued(self):
        before, after = await self.store_one("carol", "kept over a crash")
        self.server.proc.kill()
        self.server.proc.wait(10)
        await self.deliver_after_restart("carol", "kept over a crash", before, after)

    async def test_parleyctl_deletes_a_queue_while_stopped(self):
        await self.store_one("dave", "to be deleted")
        self.assertEqual(self.server.stop(), 0)
        try:
            code, out, _ = await self.ctl("delete_offline_messages", "dave", "localhost")
            self.assertEqual(code, 0)
            self.assertTrue(out.startswith("1 offline message(s) of dave@localhost"), out)
            code, out, _ = await self.ctl("get_offline_count", "dave", "localhost")
            self.assertEqual((code, out.strip()), (0, "0"))
            code, out, _ = await self.ctl("get_offline_messages", "dave", "localhost")
            self.assertEqual((code, out), (0, ""))
        finally:
            self.server.start()
        dave = await self.client("dave@localhost/d")
        alice = await self.client("alice@localhost/live")
        alice.send_message(mto="dave@localhost/d", mbody="live", mtype="chat")
        self.assertEqual((await dave.next_message())["body"], "live")


class OfflineOptions(unittest.TestCase):
    def test_a_bad_quota_stops_the_start_naming_option_and_line(self):
        d = tempfile.mkdtemp(prefix="parley-offline-config-")
        try:
            path = os.path.join(d, "parley.yml")
            for value in ("0", "lots", "2000000"):
                with open(path, "w") as f:
                    f.write("data_dir: data\nlisteners: []\nadmin_socket: a.sock\n"
                            f"modules:\n  offline: {{max_messages: {value}}}\n")
                r = subprocess.run([PARLEYD, "--config", path], capture_output=True, text=True,
                                   timeout=20)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("parley.yml:5: modules.offline: max_messages", r.stderr)
                self.assertIn(f"got '{value}'", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
