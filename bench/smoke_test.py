"""Smoke test of the benchmark harness (not a benchmark): every scenario of
parley-load runs against a real parleyd with a tiny N and reports numbers, and
the floor scenario runs against parley-load's own relay."""

import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from parley_harness import Server  # noqa: E402

LOAD = os.environ.get("PARLEY_LOAD", "../build/parley-load")
USERS = 4


class RatiosTest(unittest.TestCase):
    """bench/ratios.py on a made-up results file: repeated runs count by their median."""

    def test_repeated_paced_runs_show_their_median_and_every_p99(self):
        import tempfile
        base = {"scenario": "chat", "pairs": 2, "rate_target": 1000, "msgs_per_s": 1000,
                "lat_p50_ms": 0.5, "lat_max_ms": 9, "server_cpu_s_per_100k": 1}
        recs = [{"meta": True, "date": "d", "commit": "c"}]
        for server, p99s in (("parley", (1.5, 2.5, 9.0)), ("prosody", (40.0,))):
            recs += [dict(base, server=server, lat_p99_ms=x) for x in p99s]
        recs += [dict(base, scenario="floor", server="relay", lat_p99_ms=x) for x in (0.9, 1.1, 3.0)]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("\n".join(json.dumps(r) for r in recs) + "\n")
        try:
            out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "ratios.py"),
                                  f.name], capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(f.name)
        row = next(l for l in out.splitlines() if l.startswith("| paced chat p99"))
        # parley, prosody, machine floor, parley/prosody
        self.assertEqual([c.strip() for c in row.split("|")[2:6]], ["2.5", "40", "1.1", "0.06"])
        self.assertIn("paced chat p99 ms, every run: parley 1.5 2.5 9; prosody 40; "
                      "machine floor 0.9 1.1 3", out)


class HarnessSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        for i in range(USERS):
            cls.server.register(f"u{i}", "bench")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        if code not in (0, None):
            raise AssertionError(f"parleyd exited with {code}")

    def load(self, scenario, *args):
        cmd = [LOAD, scenario, "--server", f"127.0.0.1:{self.server.starttls_port}",
               "--users", str(USERS), "--password", "bench", "--sources", "2",
               "--server-pid", str(self.server.proc.pid), "--label", "parley",
               "--duration", "20", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertTrue(any(l.startswith("#") for l in r.stdout.splitlines()), r.stdout)
        rec = json.loads(lines[0])
        self.assertEqual(rec["scenario"], scenario)
        self.assertNotIn("error", rec, rec)
        return rec

    def test_idle(self):
        rec = self.load("idle", "--connections", "6", "--concurrency", "3", "--settle", "0.2")
        self.assertEqual(rec["failed"], 0)
        self.assertGreater(rec["rss_before_kib"], 0)
        self.assertGreater(rec["rss_after_kib"], 0)
        self.assertGreater(rec["ramp_logins_per_s"], 0)

    def test_login_scram_and_plain(self):
        for extra in ([], ["--plain"]):
            rec = self.load("login", "--logins", "8", "--concurrency", "2", *extra)
            self.assertEqual((rec["logins"], rec["failed"]), (8, 0))
            self.assertGreater(rec["logins_per_s"], 0)
            self.assertGreaterEqual(rec["server_cpu_ms_per_login"], 0)

    def test_chat_window_and_paced(self):
        rec = self.load("chat", "--pairs", "2", "--messages", "200", "--window", "4", "--warmup", "0")
        self.assertEqual((rec["delivered"], rec["errors"]), (200, 0))
        self.assertEqual(rec["warmup_sent"], 0)
        self.assertGreater(rec["msgs_per_s"], 0)
        self.assertGreater(rec["lat_max_ms"], 0)
        self.assertLessEqual(rec["lat_p50_ms"], rec["lat_p99_ms"])
        rec = self.load("chat", "--pairs", "2", "--messages", "100", "--rate", "2000")
        self.assertEqual((rec["sent"], rec["delivered"], rec["errors"]), (100, 100, 0))
        self.assertGreater(rec["lat_p50_ms"], 0)

    def test_chat_warm_up_is_delivered_but_not_measured(self):
        # 0.25 s at 2,000/s: about 500 messages before the 100 measured ones.
        # Each pair's measured messages follow its warm-up ones through the
        # server, so by the end every warm-up message has arrived too.
        for mode in (["--window", "4"], ["--rate", "2000"]):
            rec = self.load("chat", "--pairs", "2", "--messages", "100", "--warmup", "0.25", *mode)
            self.assertEqual((rec["sent"], rec["delivered"], rec["errors"]), (100, 100, 0), mode)
            self.assertGreater(rec["warmup_sent"], 0, mode)
            self.assertEqual((rec["warmup_delivered"], rec["warmup_errors"]),
                             (rec["warmup_sent"], 0), mode)
        # Paced, the warm-up runs at the rate: 0.25 s of it is about 500 messages.
        self.assertGreater(rec["warmup_sent"], 100)
        self.assertLess(rec["warmup_sent"], 1000)

    def test_chat_over_tls12(self):
        # TLS 1.3 is carried on by the record layer; TLS 1.2 stays with OpenSSL,
        # a path of its own on both sides.
        rec = self.load("chat", "--tls12", "--pairs", "2", "--messages", "200", "--window", "4")
        self.assertEqual((rec["failed_logins"], rec["delivered"], rec["errors"]), (0, 200, 0))

    def test_presence_setup_and_fan_out(self):
        # One group of all four users, each with the other three as 'both'.
        setup = self.load("presence-setup", "--contacts", "3")
        self.assertEqual((setup["users"], setup["links"], setup["missing"]), (4, 12, 0))
        again = self.load("presence-setup", "--contacts", "3")  # idempotent
        self.assertEqual((again["missing"], again["requests_sent"]), (0, 0))
        rec = self.load("presence", "--contacts", "3", "--changes", "5")
        self.assertEqual((rec["initial_missing"], rec["failed_logins"]), (0, 0))
        self.assertEqual((rec["expected"], rec["delivered"], rec["lost"]), (60, 60, 0))
        self.assertGreater(rec["presences_per_s"], 0)
        self.assertGreater(rec["lat_max_ms"], 0)
        self.assertLessEqual(rec["lat_p50_ms"], rec["lat_p99_ms"])
        self.assertGreaterEqual(rec["server_cpu_s_per_100k"], 0)


class RelayFloorSmokeTest(unittest.TestCase):
    """The machine floor: chat's load over plain TCP through parley-load relay."""

    def setUp(self):
        self.relay = subprocess.Popen([LOAD, "relay", "--listen", "127.0.0.1:0", "--duration", "30"],
                                      stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_relay)
        first = self.relay.stdout.readline()
        self.port = json.loads(first)["listening"]
        self.assertGreater(self.port, 0, first)

    def stop_relay(self):
        if self.relay.poll() is None:
            self.relay.kill()
            self.relay.wait()
        self.relay.stdout.close()

    def floor(self, *args):
        cmd = [LOAD, "floor", "--server", f"127.0.0.1:{self.port}", "--sources", "2",
               "--server-pid", str(self.relay.pid), "--label", "relay", "--duration", "10", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
        self.assertEqual(len(lines), 1, r.stdout)
        rec = json.loads(lines[0])
        self.assertEqual(rec["scenario"], "floor")
        self.assertNotIn("error", rec, rec)
        self.assertEqual((rec["delivered"], rec["errors"], rec["failed_connects"]),
                         (rec["sent"], 0, 0))
        self.assertGreater(rec["msgs_per_s"], 0)
        self.assertGreater(rec["lat_max_ms"], 0)
        self.assertLessEqual(rec["lat_p50_ms"], rec["lat_p99_ms"])
        for key in ("server_cpu_s_per_100k", "gen_cpu_s_per_100k", "machine_busy"):
            self.assertGreaterEqual(rec[key], 0)
        return rec

    def test_floor_window_and_paced_then_sigterm(self):
        rec = self.floor("--pairs", "2", "--messages", "200", "--window", "4")
        self.assertEqual((rec["sent"], rec["rate_target"]), (200, 0))
        rec = self.floor("--pairs", "2", "--messages", "100", "--rate", "2000")
        self.assertEqual((rec["sent"], rec["rate_target"]), (100, 2000))
        self.relay.send_signal(signal.SIGTERM)
        self.assertEqual(self.relay.wait(timeout=5), 0)
        self.assertIn("stopped by signal", self.relay.stdout.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
