"""RFC 6120 §5-7 with a real client: STARTTLS and direct TLS, SASL mechanisms,
failures, and resource binding."""

import asyncio
import unittest

from parley_harness import HEADER, ServerTestCase, raw_connect, raw_tls_connect, read_until


def used_mechanism(client):
    return client["feature_mechanisms"].mech.name


class ForcedMechanisms(ServerTestCase):
    # slixmpp claims channel-binding support ("y" flag) when forced onto a non-PLUS
    # SCRAM; offering no -PLUS makes that honest rather than a downgrade.
    extra_config = "sasl: {mechanisms: [SCRAM-SHA-1, SCRAM-SHA-256, SCRAM-SHA-512, PLAIN]}\n"

    async def check_login(self, mech, direct_tls):
        c = await self.client("alice@localhost/" + mech.lower(), mech=mech, direct_tls=direct_tls,
                              presence=False)
        self.assertEqual(used_mechanism(c), mech)
        self.assertEqual(str(c.boundjid), "alice@localhost/" + mech.lower())
        pong = await c["xep_0199"].send_ping("localhost", timeout=5)
        self.assertIsNotNone(pong)

    async def test_scram_sha1_over_starttls(self):
        await self.check_login("SCRAM-SHA-1", False)

    async def test_scram_sha256_over_starttls(self):
        await self.check_login("SCRAM-SHA-256", False)

    async def test_scram_sha512_over_starttls(self):
        await self.check_login("SCRAM-SHA-512", False)

    async def test_plain_over_starttls(self):
        await self.check_login("PLAIN", False)

    async def test_scram_sha1_over_direct_tls(self):
        await self.check_login("SCRAM-SHA-1", True)

    async def test_scram_sha256_over_direct_tls(self):
        await self.check_login("SCRAM-SHA-256", True)

    async def test_plain_over_direct_tls(self):
        await self.check_login("PLAIN", True)


class DefaultConfig(ServerTestCase):
    async def test_default_client_choice_uses_channel_binding(self):
        c = await self.client("alice@localhost/plus")
        self.assertTrue(used_mechanism(c).endswith("-PLUS"), used_mechanism(c))

    async def test_scram_sha256_plus(self):
        c = await self.client("bob@localhost/plus256", mech="SCRAM-SHA-256-PLUS")
        self.assertEqual(used_mechanism(c), "SCRAM-SHA-256-PLUS")

    async def test_wrong_password_fails(self):
        # One mechanism, so the client does not walk through all of them.
        c = await self.client("alice@localhost/wrong", password="not-the-password",
                              mech="SCRAM-SHA-256-PLUS", connect=False)
        with self.assertRaises((PermissionError, ConnectionError)):
            await c.login(self.server, timeout=15)
        self.assertTrue(self.server.wait_for_log("authentication failed (not-authorized)"))

    async def test_unknown_user_fails_like_a_wrong_password(self):
        c = await self.client("mallory@localhost/x", password="secret", mech="SCRAM-SHA-256-PLUS",
                              connect=False)
        with self.assertRaises((PermissionError, ConnectionError)):
            await c.login(self.server, timeout=15)

    async def test_second_bind_of_same_full_jid_replaces_the_first(self):
        first = await self.client("bob@localhost/same")
        errors = []
        first.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        second = await self.client("bob@localhost/same")
        await asyncio.wait_for(asyncio.shield(first.ended), 10)
        self.assertEqual(errors, ["conflict"])
        pong = await second["xep_0199"].send_ping("localhost", timeout=5)
        self.assertIsNotNone(pong)

    def test_sasl_before_tls_is_refused(self):
        s = raw_connect(self.server.starttls_port)
        try:
            s.sendall(HEADER.format(to="localhost").encode())
            features = read_until(s, "</stream:features>")
            self.assertIn("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>",
                          features)
            self.assertNotIn("<mechanisms", features)
            s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                      b"AGFsaWNlAHNlY3JldA==</auth>")
            reply = read_until(s, "</failure>")
            self.assertIn("<encryption-required/>", reply)
            self.assertNotIn("<success", reply)
        finally:
            s.close()

    def test_sasl_abort(self):
        with raw_tls_connect(self.server.tls_port) as s:
            s.sendall(HEADER.format(to="localhost").encode())
            read_until(s, "</stream:features>")
            # n,,n=alice,r=abcdefghijklmnopqrstuvwx
            s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>"
                      b"biwsbj1hbGljZSxyPWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eA==</auth>")
            self.assertIn("<challenge", read_until(s, "</challenge>"))
            s.sendall(b"<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
            self.assertIn("<aborted/>", read_until(s, "</failure>"))
            # A fresh attempt on the same stream works.
            s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                      b"AGFsaWNlAHNlY3JldA==</auth>")
            self.assertIn("<success", read_until(s, "xmpp-sasl'/>"))

    def test_bad_base64_is_incorrect_encoding(self):
        with raw_tls_connect(self.server.tls_port) as s:
            s.sendall(HEADER.format(to="localhost").encode())
            read_until(s, "</stream:features>")
            s.sendall(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                      b"not base64!</auth>")
            self.assertIn("<incorrect-encoding/>", read_until(s, "</failure>"))

    def test_direct_tls_negotiates_alpn_xmpp_client(self):
        with raw_tls_connect(self.server.tls_port) as s:
            self.assertEqual(s.selected_alpn_protocol(), "xmpp-client")
            s.sendall(HEADER.format(to="localhost").encode())
            features = read_until(s, "</stream:features>")
            self.assertIn("SCRAM-SHA-256-PLUS", features)
            self.assertIn("<mechanism>PLAIN</mechanism>", features)
            self.assertIn("<channel-binding type='tls-exporter'/>", features)
            self.assertNotIn("<starttls", features)


if __name__ == "__main__":
    unittest.main()
