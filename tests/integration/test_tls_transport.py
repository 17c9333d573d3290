"""The TLS byte stream under the XML stream (RFC 6120 §5, XEP-0368): TLS records
and stanzas do not line up, output is larger than a record or than what the
socket takes at once, and peers go away at awkward moments."""

import base64
import os
import select
import socket
import subprocess
import ssl
import struct
import time
import unittest

from parley_harness import (HEADER, ServerTestCase, raw_connect, raw_tls_connect, read_until,
                            read_until_closed)

PLAIN_ALICE = base64.b64encode(b"\0alice\0secret").decode()


def login(s, resource):
    """PLAIN, restart and bind on a TLS socket; returns the bound full JID."""
    s.sendall(HEADER.format(to="localhost").encode())
    read_until(s, "</stream:features>")
    s.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
              f"{PLAIN_ALICE}</auth>".encode())
    assert "<success" in read_until(s, "xmpp-sasl'/>")
    s.sendall(HEADER.format(to="localhost").encode())
    read_until(s, "</stream:features>")
    s.sendall(f"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              f"<resource>{resource}</resource></bind></iq>".encode())
    reply = read_until(s, "</iq>")
    assert "type='result'" in reply, reply
    return f"alice@localhost/{resource}"


def read_exactly_until(s, marker, count, timeout=20):
    """Reads until `marker` has been seen `count` times."""
    s.settimeout(timeout)
    chunks = []
    needle = marker.encode()
    seen = 0
    tail = b""
    while seen < count:
        chunk = s.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        # The marker may straddle two chunks.
        window = tail + chunk
        seen += window.count(needle)
        tail = window[-(len(needle) - 1):]
    return b"".join(chunks).decode("utf-8", errors="replace")


def body_text(size, seed):
    # Varied text, so a lost, repeated or reordered record shows.
    out = []
    length = 0
    n = 0
    while length < size:
        out.append(f"{seed}-{n};")
        length += len(out[-1])
        n += 1
    return "".join(out)[:size]


def reset(sock):
    """Ends the connection with a TCP RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def client_hello():
    """The first flight of a TLS client, as bytes."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["xmpp-client"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_side=False, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class TlsRecords(ServerTestCase):
    def assert_still_serving(self):
        with raw_tls_connect(self.server.tls_port) as s:
            login(s, "probe")
            s.sendall(b"<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>")
            self.assertIn("type='result'", read_until(s, "id='alive'"))

    def test_big_stanza_split_across_many_records(self):
        with raw_tls_connect(self.server.tls_port) as s:
            jid = login(s, "big")
            body = body_text(200 * 1024, "big")
            stanza = f"<message to='{jid}' type='chat' id='m1'><body>{body}</body></message>"
            data = stanza.encode()
            # Each sendall is one TLS record of at most 700 bytes.
            for i in range(0, len(data), 700):
                s.sendall(data[i:i + 700])
            # The echo is larger than a TLS record too: many records on the way back.
            got = read_until(s, "</message>", timeout=20)
            self.assertIn(f"<body>{body}</body>", got)

    def test_several_stanzas_in_one_record_and_one_across_two(self):
        with raw_tls_connect(self.server.tls_port) as s:
            login(s, "many")
            pings = "".join(f"<iq type='get' id='p{i}'><ping xmlns='urn:xmpp:ping'/></iq>"
                            for i in range(1, 6))
            s.sendall(pings.encode())
            # Answered in order (RFC 6120 §10.1), so the last id means all came.
            got = read_until(s, "id='p5'")
            s.sendall(b"<iq type='get' id='p6'><pi")
            time.sleep(0.2)
            s.sendall(b"ng xmlns='urn:xmpp:ping'/></iq>")
            got += read_until(s, "id='p6'")
            for i in range(1, 7):
                self.assertIn(f"id='p{i}'", got)

    def test_reset_while_the_server_writes(self):
        s = raw_tls_connect(self.server.tls_port)
        jid = login(s, "gone")
        body = body_text(200 * 1024, "gone")
        for i in range(4):
            s.sendall(f"<message to='{jid}' type='chat'><body>{body}</body></message>".encode())
        reset(s)
        self.server.wait_for_log("alice@localhost/gone disconnected")
        self.assert_still_serving()

    def test_reset_in_the_middle_of_the_client_hello(self):
        hello = client_hello()
        s = raw_connect(self.server.tls_port)
        s.sendall(hello[:len(hello) // 2])
        time.sleep(0.2)
        reset(s)
        self.assert_still_serving()

    def test_reset_after_the_server_hello(self):
        s = raw_connect(self.server.tls_port)
        s.sendall(client_hello())
        s.settimeout(10)
        self.assertTrue(s.recv(1))  # the server's first flight is on its way
        reset(s)
        self.assert_still_serving()

    def test_not_tls_on_the_direct_tls_port_is_closed(self):
        s = raw_connect(self.server.tls_port)
        try:
            s.sendall(HEADER.format(to="localhost").encode())
            read_until_closed(s)
        finally:
            s.close()
        self.assert_still_serving()

    def test_not_tls_after_proceed_is_closed(self):
        s = raw_connect(self.server.starttls_port)
        try:
            s.sendall(HEADER.format(to="localhost").encode())
            read_until(s, "</stream:features>")
            s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            self.assertIn("<proceed", read_until(s, "xmpp-tls'/>"))
            s.sendall(b"<iq type='get' id='clear'/>" * 10)
            self.assertNotIn("id='clear'", read_until_closed(s))
        finally:
            s.close()
        self.assert_still_serving()

    def test_starttls_then_stream_close_ends_cleanly(self):
        s = raw_connect(self.server.starttls_port)
        s.sendall(HEADER.format(to="localhost").encode())
        read_until(s, "</stream:features>")
        s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        read_until(s, "xmpp-tls'/>")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            login(t, "closing")
            t.sendall(b"</stream:stream>")
            self.assertIn("</stream:stream>", read_until_closed(t))
        self.assert_still_serving()


def client_context(max_version=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["xmpp-client"])
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def ping(s, id):
    s.sendall(f"<iq type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>".encode())
    return read_until(s, f"id='{id}'")


class TlsVersionsAndSessions(ServerTestCase):
    """TLS 1.3 connections leave OpenSSL after the handshake (the server's own
    record layer carries them); TLS 1.2 ones stay with OpenSSL. Both must work
    for whole streams, and session tickets sent before the hand-over must work."""

    def test_tls13_session_is_resumed_and_carries_a_stream(self):
        ctx = client_context()
        with ctx.wrap_socket(raw_connect(self.server.tls_port), server_hostname="localhost") as s:
            self.assertEqual(s.version(), "TLSv1.3")
            login(s, "first")
            self.assertIn("type='result'", ping(s, "a1"))
            session = s.session  # from the tickets read by now
        self.assertIsNotNone(session)
        raw = raw_connect(self.server.tls_port)
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            login(s, "second")
            self.assertTrue(s.session_reused)
            self.assertIn("type='result'", ping(s, "a2"))

    def test_tls12_stays_with_openssl_and_carries_a_stream(self):
        ctx = client_context(ssl.TLSVersion.TLSv1_2)
        with ctx.wrap_socket(raw_connect(self.server.tls_port), server_hostname="localhost") as s:
            self.assertEqual(s.version(), "TLSv1.2")
            jid = login(s, "old")
            body = body_text(50 * 1024, "old")
            s.sendall(f"<message to='{jid}' type='chat'><body>{body}</body></message>".encode())
            self.assertIn(f"<body>{body}</body>", read_until(s, "</message>", timeout=20))

    def test_a_quiet_tls13_session_is_released_and_goes_on(self):
        # After two quiet seconds the session frees its parser and its record
        # ciphers; the next input rebuilds them, under the keys reached so far.
        with raw_tls_connect(self.server.tls_port) as s:
            jid = login(s, "quiet")
            self.assertTrue(self.server.wait_for_log(f"{jid}: quiet; released the parser"))
            self.assertIn("type='result'", ping(s, "q1"))
            body = body_text(40 * 1024, "quiet")
            s.sendall(f"<message to='{jid}' type='chat'><body>{body}</body></message>".encode())
            self.assertIn(f"<body>{body}</body>", read_until(s, "</message>", timeout=20))
            # Released a second time, then the stream ends cleanly.
            deadline = time.monotonic() + 10
            while (self.server.log().count(f"{jid}: quiet; released the parser") < 2
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            self.assertEqual(self.server.log().count(f"{jid}: quiet; released the parser"), 2)
            s.sendall(b"</stream:stream>")
            self.assertIn("</stream:stream>", read_until_closed(s))

    def test_key_updates_from_an_openssl_client(self):
        # openssl s_client sends a KeyUpdate for a line "K" (asking us to update
        # our key too) or "k" (not asking). A wrong key or sequence number on
        # either side would end the connection with an error instead of answers.
        proc = subprocess.Popen(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.server.tls_port}", "-tls1_3",
             "-alpn", "xmpp-client", "-servername", "localhost", "-quiet", "-no_ign_eof"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seen = b""

        def expect(marker, timeout=10):
            nonlocal seen
            deadline = time.monotonic() + timeout
            while marker.encode() not in seen:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, f"no {marker!r} in {seen[-300:]!r}")
                ready, _, _ = select.select([proc.stdout], [], [], left)
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    self.assertTrue(chunk, f"s_client ended; output: {seen[-300:]!r}")
                    seen += chunk
            found = seen
            seen = seen[seen.index(marker.encode()) + len(marker):]
            return found.decode(errors="replace")

        def send(line):
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()

        try:
            send(HEADER.format(to="localhost"))
            expect("</stream:features>")
            send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                 f"{PLAIN_ALICE}</auth>")
            expect("<success")
            send(HEADER.format(to="localhost"))
            expect("</stream:features>")
            send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                 "<resource>rekey</resource></bind></iq>")
            expect("id='b1'")
            for letter, id in (("K", "k1"), ("k", "k2"), ("K", "k3")):
                send(letter)
                expect("KEYUPDATE")
                send(f"<iq type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>")
                self.assertIn("type='result'", expect(f"id='{id}'"))
            # Small enough for one read of s_client's (it splits longer lines,
            # and would take a piece starting with a command letter as a command).
            body = body_text(2000, "rekey")
            send(f"<message to='alice@localhost/rekey' type='chat'><body>{body}</body></message>")
            self.assertTrue(body in expect("</message>"), "the message came back changed")
            send("</stream:stream>")
            expect("</stream:stream>")
        finally:
            proc.kill()
            proc.communicate()

    def test_a_tampered_record_gets_bad_record_mac_and_the_end(self):
        raw = raw_connect(self.server.tls_port)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
        raw.settimeout(10)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                data = raw.recv(65536)
                self.assertTrue(data, "server closed during the handshake")
                incoming.write(data)
        raw.sendall(outgoing.read())  # the client's Finished
        tls.write(HEADER.format(to="localhost").encode())
        record = bytearray(outgoing.read())
        record[-1] ^= 0x01  # the last byte of the tag
        raw.sendall(bytes(record))
        # The tickets, then the server's alert, then the end of the connection.
        rest = b""
        while True:
            try:
                chunk = raw.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            rest += chunk
        incoming.write(rest)
        with self.assertRaises(ssl.SSLError) as caught:
            while True:
                tls.read(65536)
        self.assertIn("BAD_RECORD_MAC", str(caught.exception).upper())
        self.assertTrue(self.server.wait_for_log("a record did not authenticate"))
        raw.close()
        with raw_tls_connect(self.server.tls_port) as s:
            login(s, "after")
            self.assertIn("type='result'", ping(s, "a3"))


class SlowReader(ServerTestCase):
    # Room for all the output below: the kernel takes megabytes into a socket's
    # send buffer before a write would block.
    extra_config = "limits:\n  max_send_queue_bytes: 16777216\n"

    def test_output_larger_than_the_socket_takes_at_once(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.socket()
        # A small receive window, so the server's send buffer fills up.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(10)
        raw.connect(("127.0.0.1", self.server.tls_port))
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            jid = login(s, "slow")
            bodies = [body_text(200 * 1024, f"slow{i}") for i in range(32)]
            for i, body in enumerate(bodies):
                s.sendall(f"<message to='{jid}' type='chat' id='s{i}'><body>{body}</body>"
                          f"</message>".encode())
            # Not reading for a while fills the socket buffers, so the server's
            # writes stop part-way and must resume where they stopped.
            time.sleep(1)
            got = read_exactly_until(s, "</message>", len(bodies), timeout=30)
            for body in bodies:
                self.assertIn(f"<body>{body}</body>", got)
            self.assertEqual(got.count("</message>"), len(bodies))


if __name__ == "__main__":
    unittest.main()
