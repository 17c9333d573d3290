"""The HTTP listener: XEP-0156 host-meta (WebSocket and BOSH endpoints), static files of the web page with safe
paths, bounded requests, keep-alive and idle timeout, errors that never crash."""

import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import time
import unittest

from parley_harness import ServerTestCase, raw_connect


def make_web_root():
    root = tempfile.mkdtemp(prefix="parley-web-")
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<!doctype html><title>parley test</title>")
    os.makedirs(os.path.join(root, "js"))
    with open(os.path.join(root, "js", "app.js"), "w") as f:
        f.write("console.log('app');")
    with open(os.path.join(root, ".secret"), "w") as f:
        f.write("hidden")
    return root


class HttpTest(ServerTestCase):
    users = {}
    extra_config = "http: {idle_timeout: 2, max_header_bytes: 2048, max_body_bytes: 4096, web_root: '%s'}\n"

    @classmethod
    def setUpClass(cls):
        cls.root = make_web_root()
        # A file outside the web root that a traversal would reach.
        with open(os.path.join(os.path.dirname(cls.root), "parley-outside.txt"), "w") as f:
            f.write("outside")
        cls.extra_config = HttpTest.extra_config % cls.root
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.root, ignore_errors=True)

    def get(self, path, method="GET", headers=None, tls=False):
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.server.https_port, timeout=10,
                                               context=ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10)
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r, body

    def raw(self, request, timeout=10):
        s = raw_connect(self.server.http_port, timeout)
        s.sendall(request)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        s.close()
        return data.decode(errors="replace")

    def test_index_and_files_are_served_with_types(self):
        r, body = self.get("/")
        self.assertEqual(r.status, 200)
        self.assertEqual(body, b"<!doctype html><title>parley test</title>")
        self.assertTrue(r.getheader("Content-Type").startswith("text/html"))
        self.assertIn("default-src 'self'", r.getheader("Content-Security-Policy"))
        r, body = self.get("/js/app.js?v=1")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith("text/javascript"))
        r, body = self.get("/index.html", method="HEAD")
        self.assertEqual(r.status, 200)
        self.assertEqual(body, b"")
        self.assertEqual(r.getheader("Content-Length"), "41")

    def test_unknown_path_is_404_and_hidden_files_are_not_served(self):
        r, _ = self.get("/nothing-here")
        self.assertEqual(r.status, 404)
        r, _ = self.get("/.secret")
        self.assertNotEqual(r.status, 200)

    def test_traversal_is_refused(self):
        for path in ["/../parley-outside.txt", "/js/../../parley-outside.txt",
                     "/%2e%2e/parley-outside.txt", "/js/..%2f..%2fparley-outside.txt",
                     "/js%5c..%5c..%5cparley-outside.txt", "/%00"]:
            text = self.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            self.assertTrue(text.startswith("HTTP/1.1 400"), f"{path}: {text[:80]}")
            self.assertNotIn("outside", text.split("\r\n\r\n", 1)[-1])

    def test_host_meta_names_the_websocket_endpoint(self):
        # XEP-0156 §3: XRD and JRD; readable from other origins.
        r, body = self.get("/.well-known/host-meta")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Access-Control-Allow-Origin"), "*")
        port = self.server.http_port
        self.assertIn(f"<Link rel='urn:xmpp:alt-connections:websocket' "
                      f"href='ws://127.0.0.1:{port}/xmpp-websocket'/>", body.decode())
        self.assertIn(f"<Link rel='urn:xmpp:alt-connections:xbosh' "
                      f"href='http://127.0.0.1:{port}/http-bind'/>", body.decode())
        r, body = self.get("/.well-known/host-meta.json", tls=True)
        self.assertEqual(r.status, 200)
        links = json.loads(body)["links"]
        self.assertIn({"rel": "urn:xmpp:alt-connections:websocket",
                       "href": f"wss://127.0.0.1:{self.server.https_port}/xmpp-websocket"}, links)
        self.assertIn({"rel": "urn:xmpp:alt-connections:xbosh",
                       "href": f"https://127.0.0.1:{self.server.https_port}/http-bind"}, links)

    def test_host_meta_refuses_a_bad_host_header(self):
        text = self.raw(b"GET /.well-known/host-meta HTTP/1.1\r\nHost: evil'><x\r\n"
                        b"Connection: close\r\n\r\n")
        self.assertTrue(text.startswith("HTTP/1.1 400"), text[:80])

    def test_other_methods_are_405(self):
        r, _ = self.get("/", method="DELETE")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.getheader("Allow"), "GET, HEAD")

    def test_garbage_is_400_and_the_server_lives_on(self):
        text = self.raw(b"\x16\x03\x01 this is not http\r\n\r\n")
        self.assertTrue(text.startswith("HTTP/1.1 400"), text[:80])
        r, _ = self.get("/")
        self.assertEqual(r.status, 200)

    def test_oversized_header_and_body_are_refused(self):
        text = self.raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n")
        self.assertTrue(text.startswith("HTTP/1.1 431"), text[:80])
        text = self.raw(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                        b"a" * 5000)
        self.assertTrue(text.startswith("HTTP/1.1 413"), text[:80])

    def test_keep_alive_serves_several_requests_then_idle_connections_close(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10)
        for _ in range(3):
            conn.request("GET", "/js/app.js")
            r = conn.getresponse()
            self.assertEqual(r.read(), b"console.log('app');")
        sock = conn.sock
        started = time.monotonic()
        sock.settimeout(10)
        self.assertEqual(sock.recv(1), b"")  # closed by the server after idle_timeout (2 s)
        self.assertLess(time.monotonic() - started, 8)
        conn.close()

    def test_plain_get_of_the_websocket_path_explains_itself(self):
        r, body = self.get("/xmpp-websocket")
        self.assertEqual(r.status, 400)
        self.assertIn(b"WebSocket", body)


if __name__ == "__main__":
    unittest.main()
