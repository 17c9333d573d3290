"""parleyctl: every command, with the server up and down, and its exit codes."""

import asyncio
import unittest

from parley_harness import Server, ServerTestCase


class OfflineCommands(unittest.TestCase):
    def setUp(self):
        self.server = Server()

    def tearDown(self):
        self.server.cleanup()

    def test_account_commands_work_without_a_server(self):
        s = self.server
        self.assertEqual(s.ctl("register", "alice", "localhost", "pw1")[0], 0)
        self.assertEqual(s.ctl("register", "bob", "localhost", "pw2")[0], 0)
        code, out, _ = s.ctl("registered_users", "localhost")
        self.assertEqual((code, out.split()), (0, ["alice", "bob"]))
        code, _, err = s.ctl("register", "alice", "localhost", "again")
        self.assertEqual(code, 1)
        self.assertIn("already exists", err)
        self.assertEqual(s.ctl("change_password", "alice", "localhost", "new")[0], 0)
        self.assertEqual(s.ctl("unregister", "bob", "localhost")[0], 0)
        code, out, _ = s.ctl("registered_users", "localhost")
        self.assertEqual(out.split(), ["alice"])
        code, _, err = s.ctl("unregister", "bob", "localhost")
        self.assertEqual(code, 1)
        self.assertIn("does not exist", err)

    def test_names_are_prepared(self):
        self.assertEqual(self.server.ctl("register", "Carol", "LOCALHOST", "pw")[0], 0)
        code, out, _ = self.server.ctl("registered_users", "localhost")
        self.assertEqual(out.split(), ["carol"])

    def test_bad_input_is_refused(self):
        code, _, err = self.server.ctl("register", "alice", "example.org", "pw")
        self.assertEqual(code, 1)
        self.assertIn("not served", err)
        code, _, err = self.server.ctl("register", "al ice", "localhost", "pw")
        self.assertEqual(code, 1)
        self.assertIn("invalid user name", err)
        code, _, err = self.server.ctl("register", "alice", "localhost")
        self.assertEqual(code, 2)
        self.assertIn("usage", err)

    def test_live_commands_report_a_stopped_server(self):
        code, out, _ = self.server.ctl("status")
        self.assertEqual(code, 3)
        self.assertIn("not running", out)
        code, _, err = self.server.ctl("connected_users")
        self.assertEqual(code, 3)
        self.assertIn("not running", err)
        self.assertEqual(self.server.ctl("stop")[0], 3)

    def test_unknown_command_is_a_usage_error_with_the_server_down(self):
        code, _, err = self.server.ctl("frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("unknown command", err)

    def test_unknown_command_is_a_usage_error(self):
        self.server.start()
        try:
            code, _, err = self.server.ctl("frobnicate")
            self.assertEqual(code, 2)
            self.assertIn("unknown command", err)
        finally:
            self.server.stop()


class LiveCommands(ServerTestCase):
    users = {"alice": "secret", "dave": "secret"}

    async def test_admin_socket_is_private_to_its_owner(self):
        import os
        import stat
        mode = os.stat(os.path.join(self.server.dir, "admin.sock")).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o600)

    async def test_status(self):
        code, out, _ = self.server.ctl("status")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("parleyd is running"), out)
        self.assertIn("modules: disco ping roster presence blocking version time offline", out)

    async def test_register_and_login_while_running(self):
        code, _, _ = self.server.ctl("register", "erin", "localhost", "fresh")
        self.assertEqual(code, 0)
        c = await self.client("erin@localhost/new", password="fresh")
        self.assertIsNotNone(await c["xep_0199"].send_ping("localhost", timeout=5))

    async def test_change_password_takes_effect(self):
        self.assertEqual(self.server.ctl("change_password", "dave", "localhost", "changed")[0], 0)
        c = await self.client("dave@localhost/pw", password="changed")
        self.assertIsNotNone(c.boundjid)

    async def test_unregister_ends_the_users_sessions(self):
        self.server.ctl("register", "frank", "localhost", "pw")
        c = await self.client("frank@localhost/gone", password="pw")
        errors = []
        c.add_event_handler("stream_error", lambda e: errors.append(e["condition"]))
        self.assertEqual(self.server.ctl("unregister", "frank", "localhost")[0], 0)
        await asyncio.wait_for(asyncio.shield(c.ended), 10)
        self.assertEqual(errors, ["not-authorized"])
        code, out, _ = self.server.ctl("registered_users", "localhost")
        self.assertNotIn("frank", out.split())

    async def test_connected_users(self):
        await self.client("alice@localhost/one")
        await self.client("alice@localhost/two")
        code, out, _ = self.server.ctl("connected_users")
        self.assertEqual(code, 0)
        lines = out.split()
        self.assertIn("alice@localhost/one", lines)
        self.assertIn("alice@localhost/two", lines)
        self.assertEqual(lines, sorted(lines))


class StopCommand(unittest.TestCase):
    def test_stop_shuts_the_server_down(self):
        s = Server()
        try:
            s.start()
            code, out, _ = s.ctl("stop")
            self.assertEqual(code, 0)
            self.assertEqual(s.proc.wait(15), 0)
            self.assertEqual(s.ctl("status")[0], 3)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
