"""Server modules over the wire: XEP-0030, XEP-0199, XEP-0092, XEP-0202, and the
service-unavailable answer for everything nobody handles."""

import unittest

from slixmpp.exceptions import IqError

from parley_harness import ServerTestCase


class ServerModules(ServerTestCase):
    async def test_disco_info_lists_module_features(self):
        c = await self.client("alice@localhost/disco")
        info = await c["xep_0030"].get_info(jid="localhost", timeout=5)
        features = set(info["disco_info"]["features"])
        for ns in ("urn:xmpp:ping", "jabber:iq:version", "urn:xmpp:time",
                   "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items"):
            self.assertIn(ns, features)
        identities = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
        self.assertIn(("server", "im"), identities)

    async def test_disco_items_is_empty(self):
        c = await self.client("alice@localhost/items")
        items = await c["xep_0030"].get_items(jid="localhost", timeout=5)
        self.assertEqual(list(items["disco_items"]["items"]), [])

    async def test_ping(self):
        c = await self.client("alice@localhost/ping")
        rtt = await c["xep_0199"].ping("localhost", timeout=5)
        self.assertGreaterEqual(rtt, 0)

    async def test_bare_jid_ping_and_items_answer_only_the_account_itself(self):
        # RFC 6121 §8.5.1/§8.5.2.1.3: a stranger learns nothing, not even whether
        # the account exists.
        c = await self.client("alice@localhost/bareping")
        self.assertIsNotNone(await c["xep_0199"].send_ping("alice@localhost", timeout=5))
        await c["xep_0030"].get_items(jid="alice@localhost", timeout=5)
        for target in ("bob@localhost", "nobody@localhost"):
            with self.assertRaises(IqError) as ctx:
                await c["xep_0199"].send_ping(target, timeout=5)
            self.assertEqual(ctx.exception.iq["error"]["condition"], "service-unavailable",
                             target)
            with self.assertRaises(IqError) as ctx:
                await c["xep_0030"].get_items(jid=target, timeout=5)
            self.assertEqual(ctx.exception.iq["error"]["condition"], "service-unavailable",
                             target)

    async def test_version(self):
        c = await self.client("alice@localhost/version")
        v = await c["xep_0092"].get_version("localhost", timeout=5)
        self.assertEqual(v["software_version"]["name"], "Parley")
        self.assertTrue(v["software_version"]["version"])
        self.assertEqual(v["software_version"]["os"], "")  # not disclosed by default

    async def test_entity_time(self):
        c = await self.client("alice@localhost/time")
        iq = c.make_iq_get(queryxmlns=None, ito="localhost")
        from slixmpp.xmlstream import ET
        iq.append(ET.Element("{urn:xmpp:time}time"))
        result = await iq.send(timeout=5)
        utc = result.xml.find("{urn:xmpp:time}time/{urn:xmpp:time}utc")
        self.assertIsNotNone(utc)
        self.assertRegex(utc.text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

    async def test_unknown_namespace_gets_service_unavailable(self):
        c = await self.client("alice@localhost/unknown")
        iq = c.make_iq_get(queryxmlns="urn:example:nothing", ito="localhost")
        with self.assertRaises(IqError) as ctx:
            await iq.send(timeout=5)
        self.assertEqual(ctx.exception.iq["error"]["condition"], "service-unavailable")


class ModuleSwitchedOff(ServerTestCase):
    extra_config = "modules: {ping: false, version: {show_os: true}}\n"

    async def test_disabled_module_is_gone_and_the_rest_works(self):
        c = await self.client("alice@localhost/off")
        info = await c["xep_0030"].get_info(jid="localhost", timeout=5)
        features = set(info["disco_info"]["features"])
        self.assertNotIn("urn:xmpp:ping", features)
        self.assertIn("jabber:iq:version", features)
        with self.assertRaises(IqError) as ctx:
            await c["xep_0199"].send_ping("localhost", timeout=5)
        self.assertEqual(ctx.exception.iq["error"]["condition"], "service-unavailable")
        v = await c["xep_0092"].get_version("localhost", timeout=5)
        self.assertTrue(v["software_version"]["os"])  # show_os: true


if __name__ == "__main__":
    unittest.main()
