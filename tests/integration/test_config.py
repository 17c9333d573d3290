"""parleyd refuses a bad parley.yml with a message naming the key and the line,
and starts on a good one."""

import os
import shutil
import subprocess
import tempfile
import unittest

from parley_harness import PARLEYD

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class BadConfig(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parley-config-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_with(self, text):
        path = os.path.join(self.dir, "parley.yml")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([PARLEYD, "--config", path], capture_output=True, text=True, timeout=20)
        return r.returncode, r.stderr

    def test_unknown_key_names_key_and_line(self):
        code, err = self.start_with("hosts: [localhost]\nlisteners: []\nlisetners: []\n")
        self.assertEqual(code, 1)
        self.assertIn("parley.yml:3:", err)
        self.assertIn("unknown key 'lisetners'", err)

    def test_bad_value_names_key_and_line(self):
        code, err = self.start_with("limits:\n  max_stanza_bytes: lots\n")
        self.assertEqual(code, 1)
        self.assertIn("parley.yml:2:", err)
        self.assertIn("limits.max_stanza_bytes", err)

    def test_bad_tls_mode(self):
        code, err = self.start_with("listeners:\n  - {port: 0, tls: sometimes}\n")
        self.assertEqual(code, 1)
        self.assertIn("listeners[0].tls", err)

    def test_unknown_module(self):
        code, err = self.start_with("modules:\n  telepathy: {}\n")
        self.assertEqual(code, 1)
        self.assertIn("parley.yml:2:", err)
        self.assertIn("unknown module 'telepathy'", err)

    def test_bad_module_option(self):
        code, err = self.start_with(
            "data_dir: data\nlisteners: []\nadmin_socket: a.sock\nmodules:\n  version: {show_os: maybe}\n")
        self.assertEqual(code, 1)
        self.assertIn("modules.version", err)
        self.assertIn("show_os", err)

    def test_missing_file(self):
        r = subprocess.run([PARLEYD, "--config", os.path.join(self.dir, "nope.yml")],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nope.yml", r.stderr)

    def test_port_in_use_is_reported(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            code, err = self.start_with(
                f"data_dir: data\nadmin_socket: a.sock\nlisteners:\n  - {{port: {port}}}\n")
        self.assertEqual(code, 1)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}", err)

    def test_sample_config_is_valid(self):
        # The documented sample, with ports moved out of the way.
        with open(os.path.join(REPO, "conf", "parley.yml")) as f:
            text = f.read().replace("port: 5222", "port: 0").replace("port: 5223", "port: 0")
        path = os.path.join(self.dir, "parley.yml")
        with open(path, "w") as f:
            f.write(text)
        proc = subprocess.Popen([PARLEYD, "--config", path], stderr=subprocess.PIPE, text=True)
        try:
            for line in proc.stderr:
                if "server: ready" in line:
                    break
            else:
                self.fail("parleyd did not start on the sample config")
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(15), 0)


if __name__ == "__main__":
    unittest.main()
