"""A minimal RFC 6455 client over a plain socket, for sending what browsers never
would (binary frames, oversized frames, two stanzas in one message) and seeing
exactly what the server answers."""

import base64
import os
import socket
import ssl
import struct

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
OPEN = f"<open xmlns='{FRAMING}' to='localhost' version='1.0'/>"
CLOSE = f"<close xmlns='{FRAMING}'/>"


class HandshakeRefused(Exception):
    def __init__(self, status, response):
        super().__init__(f"handshake refused: {status}")
        self.status = status
        self.response = response


class RawWebSocket:
    def __init__(self, port, protocols=("xmpp",), path="/xmpp-websocket", tls=False,
                 timeout=10):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode()
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in head.decode().split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                self.headers[k.strip().lower()] = v.strip()
        if self.status != 101:
            raise HandshakeRefused(self.status, (head + b"\r\n\r\n" + self.buf).decode() +
                                   self._rest())

    def _rest(self):
        try:
            self.sock.settimeout(2)
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        return data.decode(errors="replace")

    def _read_until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(marker, 1)
        return head

    def _read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text):
        self.send_frame(OP_TEXT, text)

    def recv_frame(self, timeout=10, answer_pings=True):
        """(opcode, payload bytes); answers pings on the way unless told not to."""
        self.sock.settimeout(timeout)
        while True:
            b0, b1 = self._read_exact(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read_exact(8))[0]
            payload = self._read_exact(n)
            if opcode == OP_PING and answer_pings:
                self.send_frame(OP_PONG, payload)
                continue
            return opcode, payload

    def recv(self, timeout=10):
        """The next text message; raises if the server closed instead."""
        opcode, payload = self.recv_frame(timeout)
        if opcode == OP_CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            raise ConnectionClosed(code)
        assert opcode == OP_TEXT, f"expected a text message, got opcode {opcode}"
        return payload.decode()

    def recv_until_close(self, timeout=10):
        """Text messages until the server's close frame: (messages, close code)."""
        messages = []
        while True:
            try:
                messages.append(self.recv(timeout))
            except ConnectionClosed as c:
                return messages, c.code

    def send_close(self, code=1000):
        self.send_frame(OP_CLOSE, struct.pack("!H", code))

    def wait_tcp_close(self, timeout=10):
        """True once the server has closed the TCP connection."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ConnectionClosed(Exception):
    def __init__(self, code):
        super().__init__(f"WebSocket closed with {code}")
        self.code = code
