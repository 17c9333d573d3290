"""Hostile and broken input on raw sockets (RFC 6120 §4.9, §11): each gets the
right stream error, the connection closes, and the server keeps serving."""

import unittest

from parley_harness import HEADER, ServerTestCase, raw_connect, read_until, read_until_closed, \
    stream_error_condition


class StreamErrors(ServerTestCase):
    extra_config = "limits: {handshake_timeout: 2}\n"

    def send_and_collect(self, payload, header=True):
        s = raw_connect(self.server.starttls_port)
        try:
            if header:
                s.sendall(HEADER.format(to="localhost").encode())
            s.sendall(payload)
            return read_until_closed(s)
        finally:
            s.close()

    async def assert_still_serving(self):
        c = await self.client("alice@localhost/after")
        self.assertIsNotNone(await c["xep_0199"].send_ping("localhost", timeout=5))

    async def test_garbage_is_not_well_formed(self):
        out = self.send_and_collect(b"<<<this is not xml>>>")
        self.assertEqual(stream_error_condition(out), "not-well-formed", out)
        self.assertTrue(out.endswith("</stream:stream>"), out)
        await self.assert_still_serving()

    async def test_garbage_before_any_header(self):
        out = self.send_and_collect(b"\x00\xff\xfe garbage", header=False)
        self.assertEqual(stream_error_condition(out), "not-well-formed", out)
        self.assertIn("<stream:stream", out)  # the error is sent inside a stream

    async def test_doctype_is_restricted_xml(self):
        laughs = (b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                  b"<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
                  b"<stream:stream xmlns='jabber:client' "
                  b"xmlns:stream='http://etherx.jabber.org/streams'>&lol2;")
        out = self.send_and_collect(laughs, header=False)
        self.assertEqual(stream_error_condition(out), "restricted-xml", out)
        await self.assert_still_serving()

    async def test_comment_is_restricted_xml(self):
        out = self.send_and_collect(b"<!-- hello -->")
        self.assertEqual(stream_error_condition(out), "restricted-xml", out)

    async def test_processing_instruction_is_restricted_xml(self):
        out = self.send_and_collect(b"<?evil instruction?>")
        self.assertEqual(stream_error_condition(out), "restricted-xml", out)

    async def test_one_mebibyte_stanza_is_policy_violation(self):
        s = raw_connect(self.server.starttls_port)
        try:
            s.sendall(HEADER.format(to="localhost").encode())
            read_until(s, "</stream:features>")
            s.sendall(b"<message><body>")
            chunk = b"A" * 16384
            sent = 0
            try:
                while sent < (1 << 20):
                    s.sendall(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server closed while we were still sending: fine
            out = read_until_closed(s)
        finally:
            s.close()
        self.assertEqual(stream_error_condition(out), "policy-violation", out)
        await self.assert_still_serving()

    async def test_unserved_host_is_host_unknown(self):
        s = raw_connect(self.server.starttls_port)
        try:
            s.sendall(HEADER.format(to="example.org").encode())
            out = read_until_closed(s)
        finally:
            s.close()
        self.assertEqual(stream_error_condition(out), "host-unknown", out)

    async def test_wrong_stream_namespace_is_invalid_namespace(self):
        out = self.send_and_collect(
            b"<stream:stream to='localhost' xmlns='jabber:client' "
            b"xmlns:stream='urn:example:wrong' version='1.0'>", header=False)
        self.assertEqual(stream_error_condition(out), "invalid-namespace", out)

    async def test_missing_version_is_unsupported_version(self):
        out = self.send_and_collect(
            b"<stream:stream to='localhost' xmlns='jabber:client' "
            b"xmlns:stream='http://etherx.jabber.org/streams'>", header=False)
        self.assertEqual(stream_error_condition(out), "unsupported-version", out)

    async def test_stanza_before_authentication_is_not_authorized(self):
        out = self.send_and_collect(b"<message to='bob@localhost'><body>hi</body></message>")
        self.assertEqual(stream_error_condition(out), "not-authorized", out)

    async def test_silent_client_gets_connection_timeout(self):
        s = raw_connect(self.server.starttls_port)
        try:
            s.sendall(HEADER.format(to="localhost").encode())
            out = read_until_closed(s, timeout=10)  # handshake_timeout is 2 s
        finally:
            s.close()
        self.assertEqual(stream_error_condition(out), "connection-timeout", out)

    async def test_closing_tag_is_answered(self):
        out = self.send_and_collect(b"</stream:stream>")
        self.assertIsNone(stream_error_condition(out), out)
        self.assertTrue(out.endswith("</stream:stream>"), out)


class Shutdown(ServerTestCase):
    async def test_sigterm_sends_system_shutdown(self):
        c = await self.client("alice@localhost/shutdown")
        errors = []
        c.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        self.assertEqual(self.server.stop(), 0)
        import asyncio
        await asyncio.wait_for(asyncio.shield(c.ended), 10)
        self.assertEqual(errors, ["system-shutdown"])


if __name__ == "__main__":
    unittest.main()
