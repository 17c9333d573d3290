"""RFC 6120 stream negotiation on raw sockets: header checks, SASL failures and
their slow-down, restarts, binding, the RFC 3921 session IQ, and timeouts of a
bound stream."""

import base64
import re
import socket
import time
import unittest

from parley_harness import HEADER, ServerTestCase, raw_tls_connect, read_until, read_until_closed, \
    stream_error_condition

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
SERVER_HEADER = ("<stream:stream {to}xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


def plain(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def read_match(s, pattern, timeout=10):
    """Reads until `pattern` matches what arrived; returns all of it."""
    s.settimeout(timeout)
    data = ""
    while not re.search(pattern, data):
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError("connection closed; got: " + data)
        data += chunk.decode("utf-8", errors="replace")
    return data


def auth_plain(s, user, password):
    """One PLAIN attempt; returns the <success/> or <failure/> that answered it."""
    s.sendall(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{plain(user, password)}</auth>".encode())
    return read_match(s, r"<success[^>]*/>|</success>|</failure>")


def open_stream(s, to="localhost"):
    s.sendall(SERVER_HEADER.format(to=f"to='{to}' " if to else "").encode())
    return read_until(s, "</stream:features>")


def logged_in(port, to="localhost"):
    """A direct-TLS stream authenticated as alice and restarted, features read."""
    s = raw_tls_connect(port)
    open_stream(s, to)
    assert "<success" in auth_plain(s, "alice", "secret")
    return s


def read_iq(s, iq_id, timeout=10):
    """Reads until the start tag of the IQ with this id is complete; returns it."""
    pattern = r"<iq\b[^>]*\bid='" + re.escape(iq_id) + r"'[^>]*>"
    return re.search(pattern, read_match(s, pattern, timeout)).group(0)


def bind(s, resource=None):
    res = f"<resource>{resource}</resource>" if resource else ""
    s.sendall(f"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{res}"
              f"</bind></iq>".encode())
    out = read_until(s, "</iq>")
    m = re.search(r"<jid>([^<]+)</jid>", out)
    assert m, out
    return m.group(1)


class HeaderChecks(ServerTestCase):
    def collect(self, header):
        with raw_tls_connect(self.server.tls_port) as s:
            s.sendall(header)
            return read_until_closed(s)

    async def test_jabber_server_content_namespace_is_invalid_namespace(self):
        out = self.collect(b"<stream:stream to='localhost' xmlns='jabber:server' "
                           b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        self.assertEqual(stream_error_condition(out), "invalid-namespace", out)

    async def test_missing_content_namespace_is_invalid_namespace(self):
        out = self.collect(b"<stream:stream to='localhost' "
                           b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        self.assertEqual(stream_error_condition(out), "invalid-namespace", out)

    async def test_malformed_version_is_unsupported_version(self):
        for version in (b"abc", b"0.9", b"1", b"1.x"):
            out = self.collect(b"<stream:stream to='localhost' xmlns='jabber:client' "
                               b"xmlns:stream='http://etherx.jabber.org/streams' version='" +
                               version + b"'>")
            self.assertEqual(stream_error_condition(out), "unsupported-version", (version, out))

    async def test_a_higher_version_is_answered_with_ours(self):
        # RFC 6120 §4.7.5: the receiver answers with the highest version it
        # supports that is not higher than the initiator's.
        with raw_tls_connect(self.server.tls_port) as s:
            s.sendall(b"<stream:stream to='localhost' xmlns='jabber:client' "
                      b"xmlns:stream='http://etherx.jabber.org/streams' version='2.1'>")
            out = read_until(s, "</stream:features>")
        self.assertIn("version='1.0'", out)
        self.assertIn("<mechanisms", out)
        self.assertIsNone(stream_error_condition(out), out)


class SaslFailures(ServerTestCase):
    def test_each_failure_condition(self):
        with raw_tls_connect(self.server.tls_port) as s:
            open_stream(s)
            s.sendall(f"<auth xmlns='{SASL}' mechanism='X-UNKNOWN'>=</auth>".encode())
            self.assertIn("<invalid-mechanism/>", read_until(s, "</failure>"))
            s.sendall(f"<response xmlns='{SASL}'>AAAA</response>".encode())
            self.assertIn("<malformed-request/>", read_until(s, "</failure>"))
            self.assertIn("<not-authorized/>", auth_plain(s, "alice", "wrong"))


class SaslRetryLimit(ServerTestCase):
    extra_config = "sasl: {failures_before_delay: 100}\n"

    def test_the_fifth_failure_on_one_stream_ends_it(self):
        # RFC 6120 §6.4.5: a server may limit the retries on one stream.
        with raw_tls_connect(self.server.tls_port) as s:
            open_stream(s)
            for _ in range(4):
                self.assertIn("<not-authorized/>", auth_plain(s, "bob", "wrong"))
            s.sendall(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{plain('bob', 'x')}</auth>".encode())
            out = read_until_closed(s)
        self.assertIn("<not-authorized/>", out)
        self.assertEqual(stream_error_condition(out), "policy-violation", out)


class SaslSlowDown(ServerTestCase):
    # One free failure per address, then 250 ms, 500 ms, 1 s, ...
    extra_config = "sasl: {failures_before_delay: 1}\n"

    def timed_failure(self, user="bob"):
        with raw_tls_connect(self.server.tls_port) as s:
            open_stream(s)
            start = time.monotonic()
            self.assertIn("<not-authorized/>", auth_plain(s, user, "wrong"))
            return time.monotonic() - start

    def test_failures_are_slowed_down_and_a_success_does_not_reset_that(self):
        self.timed_failure()
        # Lower bounds only: each answer comes no earlier than its delay.
        self.assertGreaterEqual(self.timed_failure(), 0.25)
        # A guesser holding one valid account must not be able to wipe its record.
        with raw_tls_connect(self.server.tls_port) as s:
            open_stream(s)
            self.assertIn("<success", auth_plain(s, "alice", "secret"))
        self.assertGreaterEqual(self.timed_failure("alice"), 0.5)


class TwoHosts(ServerTestCase):
    extra_config = "hosts: [localhost, other.test]\n"

    def test_restart_naming_another_host_is_refused(self):
        s = logged_in(self.server.tls_port)
        try:
            out = open_stream_raw(s, "other.test")
        finally:
            s.close()
        self.assertEqual(stream_error_condition(out), "not-authorized", out)
        self.assertNotIn("<bind", out)

    def test_restart_without_to_keeps_the_authenticated_host(self):
        s = logged_in(self.server.tls_port, to="localhost")
        try:
            features = open_stream(s, to=None)
            self.assertIn("<bind", features)
            self.assertTrue(bind(s, "r").startswith("alice@localhost/"))
        finally:
            s.close()


def open_stream_raw(s, to):
    s.sendall(SERVER_HEADER.format(to=f"to='{to}' ").encode())
    return read_until_closed(s)


class Binding(ServerTestCase):
    def test_server_generates_a_resource_when_none_is_asked_for(self):
        with logged_in(self.server.tls_port) as s:
            open_stream(s)
            jid = bind(s)
        bare, _, resource = jid.partition("/")
        self.assertEqual(bare, "alice@localhost")
        self.assertGreaterEqual(len(resource), 8, jid)

    def test_two_generated_resources_differ(self):
        jids = []
        for _ in range(2):
            s = logged_in(self.server.tls_port)
            open_stream(s)
            jids.append(bind(s))
            self.addCleanup(s.close)
        self.assertNotEqual(jids[0], jids[1])

    def test_session_iq_is_answered_before_and_after_binding(self):
        # RFC 3921 §3: old clients send it; RFC 6121 Appendix E keeps it optional.
        session = (b"<iq type='set' id='s{n}'><session "
                   b"xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
        with logged_in(self.server.tls_port) as s:
            features = open_stream(s)
            self.assertIn("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>",
                          features)
            s.sendall(session.replace(b"{n}", b"1"))
            self.assertIn("type='result'", read_iq(s, "s1"))
            bind(s, "old")
            s.sendall(session.replace(b"{n}", b"2"))
            self.assertIn("type='result'", read_iq(s, "s2"))


class BoundTimeouts(ServerTestCase):
    extra_config = "limits: {idle_timeout: 2}\n"

    def test_silent_bound_stream_gets_connection_timeout(self):
        with logged_in(self.server.tls_port) as s:
            open_stream(s)
            bind(s, "quiet")
            start = time.monotonic()
            out = read_until_closed(s, timeout=15)
        self.assertEqual(stream_error_condition(out), "connection-timeout", out)
        self.assertGreaterEqual(time.monotonic() - start, 1.5)

    def test_whitespace_keepalives_hold_a_bound_stream_open(self):
        with logged_in(self.server.tls_port) as s:
            open_stream(s)
            bind(s, "keepalive")
            # RFC 6120 §4.6.1: a space every half second, for twice idle_timeout.
            end = time.monotonic() + 4
            while time.monotonic() < end:
                s.sendall(b" ")
                s.settimeout(0.5)
                try:
                    data = s.recv(4096)
                    self.fail(f"server sent something to a keepalive: {data!r}")
                except socket.timeout:
                    pass
            s.sendall(b"<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
            self.assertIn("type='result'", read_iq(s, "p1"))


if __name__ == "__main__":
    unittest.main()
