"""The command line: --help/--version, option errors, `uprintd token`, starting and stopping."""

import signal
import socket
import subprocess
import time
import uuid

from harness import (CliTestCase, LISTEN_RE, TOKEN_RE, admin_token, app_token, mint_token,
                     run_cli)


class CliBasicsTests(CliTestCase):

    def test_help_exits_0(self):
        p = run_cli("--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout + p.stderr
        self.assertIn("serve", out)
        self.assertIn("token", out)

    def test_version_exits_0(self):
        p = run_cli("--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout + p.stderr, r"\d+\.\d+")

    def assert_usage_error(self, *args):
        try:
            p = run_cli(*args, timeout=5)
        except subprocess.TimeoutExpired:
            self.fail("uprintd %s did not exit (it should refuse the option)" % " ".join(args))
        self.assertEqual(p.returncode, 2, "uprintd %s: exit %d, stderr %r" % (
            " ".join(args), p.returncode, p.stderr))
        self.assertTrue((p.stderr + p.stdout).strip(), "no message for uprintd %s" % (
            " ".join(args)))

    def test_unknown_option_exits_2(self):
        for args in (["--bogus"],
                     ["serve", "--listen", "127.0.0.1:0", "--data", self.data, "--bogus"],
                     ["token", "--data", self.data, "--user", "a@b.c", "--scopes", "x",
                      "--bogus"]):
            with self.subTest(args=args):
                self.assert_usage_error(*args)

    def test_unknown_command_exits_2(self):
        self.assert_usage_error("frobnicate")

    def test_bad_serve_values_exit_2(self):
        base = ["serve", "--listen", "127.0.0.1:0", "--data", self.data]
        cases = [
            ["--threads", "abc"],
            ["--threads", "-3"],
            ["--max-json-kb", "abc"],
            ["--max-json-kb", "-5"],
            ["--max-url-kb", "lots"],
            ["--log-level", "loudest"],
        ]
        for extra in cases:
            with self.subTest(option=extra):
                self.assert_usage_error(*(base + extra))
        with self.subTest(option="--listen nonsense"):
            self.assert_usage_error("serve", "--listen", "not-an-address", "--data", self.data)

    def test_bad_token_values_exit_2(self):
        base = ["token", "--data", self.data, "--user", "a@contoso.com", "--scopes", "x"]
        for extra in (["--expires-in", "soon"], ["--tenant", "not-a-guid"]):
            with self.subTest(option=extra):
                self.assert_usage_error(*(base + extra))


class TokenCommandTests(CliTestCase):

    def test_delegated_token_alone_on_stdout(self):
        p = run_cli("token", "--data", self.data, "--user", "alice@contoso.com", "--name",
                    "Alice", "--scopes", "PrinterShare.ReadBasic.All", check=True)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, p.stdout)
        self.assertRegex(lines[0].strip(), TOKEN_RE)

    def test_application_token_alone_on_stdout(self):
        p = run_cli("token", "--data", self.data, "--app", str(uuid.uuid4()), "--scopes",
                    "Printer.ReadWrite.All", check=True)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, p.stdout)
        self.assertRegex(lines[0].strip(), TOKEN_RE)

    def test_tokens_minted_before_the_server_starts_work(self):
        # The signing key lives in DIR; `token` on a fresh DIR creates it, serve uses it.
        delegated = admin_token(self.data)
        app = app_token(self.data, str(uuid.uuid4()))
        other = mint_token(self.data, user="bob@contoso.com", tenant=str(uuid.uuid4()),
                           groups=str(uuid.uuid4()), scopes="PrinterShare.ReadBasic.All")
        srv = self.serve()
        for name, tok in (("delegated", delegated), ("app", app), ("other tenant", other)):
            with self.subTest(token=name):
                r = self.get("/v1.0/print/printers", token=tok, server=srv)
                self.assertEqual(r.status, 200, r)

    def test_tokens_minted_while_the_server_runs_work(self):
        srv = self.serve()
        r = self.get("/v1.0/print/printers", token=admin_token(self.data), server=srv)
        self.assertEqual(r.status, 200, r)


class ServeLifecycleTests(CliTestCase):

    def test_listening_line_is_the_first_stderr_line(self):
        srv = self.serve()
        self.assertEqual(srv.listen_line_index, 0, srv.tail())
        self.assertRegex(srv.stderr_lines[0], LISTEN_RE)
        self.assertNotEqual(srv.port, 0)
        self.assert_still_answers(srv)

    def test_sigterm_exits_0(self):
        srv = self.serve()
        self.assert_still_answers(srv)
        self.assertEqual(srv.stop(signal.SIGTERM), 0, srv.tail())

    def test_sigint_exits_0(self):
        srv = self.serve()
        self.assert_still_answers(srv)
        self.assertEqual(srv.stop(signal.SIGINT), 0, srv.tail())

    def test_sigterm_with_an_idle_keep_alive_connection(self):
        srv = self.serve()
        conn = srv.connection()
        try:
            conn.request("GET", "/v1.0/print/printers",
                         headers={"Authorization": "Bearer " + self.admin})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            # The connection stays open while the server is asked to stop.
            t0 = time.monotonic()
            self.assertEqual(srv.stop(signal.SIGTERM, timeout=10), 0, srv.tail())
            self.assertLess(time.monotonic() - t0, 10)
        finally:
            conn.close()

    def test_sigterm_with_a_half_sent_request(self):
        srv = self.serve()
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        try:
            sock.sendall(b"POST /v1.0/print/printers/create HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
            time.sleep(0.2)
            self.assertEqual(srv.stop(signal.SIGTERM, timeout=10), 0, srv.tail())
        finally:
            sock.close()

    def test_two_servers_get_distinct_ports(self):
        a = self.serve()
        b = self.serve(data=self.new_dir())
        self.assertNotEqual(a.port, b.port)
        self.assert_still_answers(a)
        r = self.get("/v1.0/print/printers", token=admin_token(b.data_dir), server=b)
        self.assertEqual(r.status, 200, r)

    def test_options_accepted(self):
        srv = self.serve(args=["--threads", "3", "--log-level", "debug", "--max-json-kb",
                               "64", "--max-url-kb", "8"])
        self.assert_still_answers(srv)
        self.assertEqual(srv.stop(), 0, srv.tail())
