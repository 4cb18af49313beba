"""The command line: --help/--version, option errors, `uprintd token`, starting and stopping."""

import json
import os
import signal
import socket
import stat
import subprocess
import time
import uuid

from harness import (CliTestCase, GUID_RE, LISTEN_RE, TOKEN_RE, admin_token, app_token,
                     jwt_claims, mint_token, run_cli)

DEFAULT_TENANT = "4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f"
PRINTER_ADMIN_ROLE = "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"
GLOBAL_ADMIN_ROLE = "62e90394-69f5-4237-9190-012177145e10"


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
        for extra in (["--expires-in", "soon"], ["--tenant", "not-a-guid"],
                      ["--oid", "not-a-guid"], ["--groups", "%s g2" % uuid.uuid4()],
                      ["--roles", "PrinterWizard"]):
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

    def token(self, *args, data=None):
        """`uprintd token --data DIR args...`: the token alone on stdout, and its claims."""
        p = run_cli("token", "--data", data or self.data, *args, check=True)
        tok = p.stdout.strip()
        self.assertRegex(tok, TOKEN_RE, p.stdout)
        return tok, jwt_claims(tok)

    def test_every_delegated_option_lands_in_its_claim(self):
        oid, tenant, client = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        groups = [str(uuid.uuid4()), str(uuid.uuid4())]
        tok, c = self.token("--user", "alice@contoso.com", "--oid", oid,
                            "--roles", "PrinterAdministrator GlobalAdministrator",
                            "--groups", " ".join(groups), "--scopes", "A Printer.Read.All",
                            "--tenant", tenant, "--name", "Alice Example", "--app", client,
                            "--expires-in", "120")
        self.assertEqual(c.get("idtyp"), "user", c)
        self.assertEqual(c.get("upn"), "alice@contoso.com", c)
        self.assertEqual(c.get("oid"), oid, c)
        self.assertCountEqual(c.get("wids") or [], [PRINTER_ADMIN_ROLE, GLOBAL_ADMIN_ROLE])
        self.assertEqual(c.get("groups"), groups, c)
        self.assertEqual(c.get("scp"), "A Printer.Read.All", c)
        self.assertNotIn("roles", c)
        self.assertEqual(c.get("tid"), tenant, c)
        self.assertEqual(c.get("name"), "Alice Example", c)
        self.assertEqual(c.get("appid"), client, c)
        self.assertIsInstance(c.get("iat"), int, c)
        self.assertEqual(c.get("exp") - c["iat"], 120, c)
        self.assertLess(abs(c["iat"] - time.time()), 120, c)
        # The server of the same data folder takes it (an administrator with Printer.Read.All may
        # list printers).
        srv = self.serve()
        r = self.get("/v1.0/print/printers", token=tok, server=srv)
        self.assertEqual(r.status, 200, r)

    def test_delegated_defaults(self):
        _, c = self.token("--user", "dave@contoso.com", "--scopes", "PrinterShare.ReadBasic.All")
        self.assertEqual(c.get("tid"), DEFAULT_TENANT, c)
        self.assertEqual(c.get("exp") - c.get("iat"), 3600, c)
        self.assertEqual(c.get("name"), "dave@contoso.com", c)
        self.assertNotIn("wids", c)

    def test_derived_oid_follows_tenant_and_upn(self):
        tenant = str(uuid.uuid4())

        def oid(upn, tenant=tenant, data=None):
            _, c = self.token("--user", upn, "--tenant", tenant, "--scopes", "x", data=data)
            self.assertRegex(c.get("oid") or "", GUID_RE, c)
            return c["oid"]

        bob = oid("bob@contoso.com")
        self.assertEqual(oid("bob@contoso.com"), bob, "the same user, another token")
        self.assertEqual(oid("Bob@Contoso.COM"), bob, "the UPN's case does not matter")
        self.assertEqual(oid("bob@contoso.com", data=self.new_dir()), bob,
                         "the oid does not depend on the signing key")
        self.assertNotEqual(oid("carol@contoso.com"), bob, "another user")
        self.assertNotEqual(oid("bob@contoso.com", tenant=str(uuid.uuid4())), bob,
                            "the same name in another tenant")

    def test_application_token_claims(self):
        app = str(uuid.uuid4())
        tok, c = self.token("--app", app, "--scopes", "R1 R2")
        self.assertEqual(c.get("idtyp"), "app", c)
        self.assertEqual(c.get("roles"), ["R1", "R2"], c)
        self.assertEqual(c.get("appid"), app, c)
        self.assertEqual(c.get("tid"), DEFAULT_TENANT, c)
        self.assertRegex(c.get("oid") or "", GUID_RE, c)
        for claim in ("scp", "upn", "wids"):
            self.assertNotIn(claim, c)
        srv = self.serve()
        r = self.get("/v1.0/print/printers", token=tok, server=srv)
        self.assertNotEqual(r.status, 401, r)

    def test_tokens_minted_before_the_server_starts_work(self):
        # The signing key lives in DIR; `token` on a fresh DIR creates it, serve uses it.
        delegated = admin_token(self.data)
        app = app_token(self.data, str(uuid.uuid4()))
        other = mint_token(self.data, user="bob@contoso.com", tenant=str(uuid.uuid4()),
                           groups=str(uuid.uuid4()), scopes="PrinterShare.ReadBasic.All")
        srv = self.serve()
        # Each is authenticated: what it may read answers 200, an unknown printer 404 (not 401).
        for name, tok, path, status in (
                ("delegated", delegated, "/v1.0/print/printers", 200),
                ("app", app, "/v1.0/print/printers/%s" % uuid.uuid4(), 404),
                ("other tenant", other, "/v1.0/print/shares", 200)):
            with self.subTest(token=name):
                r = self.get(path, token=tok, server=srv)
                self.assertEqual(r.status, status, r)

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

    def test_durability_full_acknowledges_what_survives(self):
        for mode in ("full", "full-each"):
            with self.subTest(mode=mode):
                data = self.new_dir()
                srv = self.serve(data=data, args=["--durability", mode])
                tok = admin_token(data)
                made = [self.create_printer(token=tok, server=srv)["id"] for _ in range(5)]
                srv.kill()  # no clean stop: what was acknowledged must be there
                srv = self.serve(data=data)
                r = self.get("/v1.0/print/printers", token=tok, server=srv)
                self.assertEqual(sorted(p["id"] for p in r.json["value"]), sorted(made))
                srv.stop()
        p = run_cli("serve", "--durability", "sometimes", "--data", self.new_dir())
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_sigterm_with_a_half_sent_request(self):
        # A request whose body never comes does not hold the server up for long: it stops
        # after its grace period (5 s).
        srv = self.serve()
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        try:
            sock.sendall(b"POST /v1.0/print/printers/create HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
            time.sleep(0.2)
            self.assertEqual(srv.stop(signal.SIGTERM, timeout=15), 0, srv.tail())
        finally:
            sock.close()

    def test_sigterm_lets_a_request_in_progress_finish(self):
        srv = self.serve()
        body = json.dumps({"displayName": "Late", "manufacturer": "Contoso", "model": "M1",
                           "certificateSigningRequest": {"content": "MIIC",
                                                         "transportKey": "MIIB"}}).encode()
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            sock.sendall(b"POST /v1.0/print/printers/create HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer " + admin_token(srv.data_dir).encode() +
                         b"\r\nContent-Type: application/json\r\nContent-Length: " +
                         str(len(body)).encode() + b"\r\n\r\n" + body[:10])
            time.sleep(0.2)
            srv.proc.send_signal(signal.SIGTERM)
            # No new connections once it is stopping ...
            deadline = time.monotonic() + 5
            refused = False
            while not refused and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
                    time.sleep(0.05)
                except OSError:
                    refused = True
            self.assertTrue(refused, "the server still accepts connections while stopping")
            self.assertTrue(srv.alive(), "the server stopped before the request finished")
            # ... but the request it had begun is answered.
            sock.sendall(body[10:])
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
            self.assertTrue(answer.startswith(b"HTTP/1.1 202"), answer[:200])
        finally:
            sock.close()
        self.assertEqual(srv.stop(signal.SIGTERM, timeout=10), 0, srv.tail())
        # And what it acknowledged is there after a restart.
        srv2 = self.serve()
        r = self.get("/v1.0/print/printers", token=admin_token(srv2.data_dir), server=srv2)
        self.assertIn("Late", [p["displayName"] for p in r.json["value"]], r)

    def test_two_servers_get_distinct_ports(self):
        a = self.serve()
        b = self.serve(data=self.new_dir())
        self.assertNotEqual(a.port, b.port)
        self.assert_still_answers(a)
        r = self.get("/v1.0/print/printers", token=admin_token(b.data_dir), server=b)
        self.assertEqual(r.status, 200, r)

    def test_serve_creates_a_missing_nested_data_folder(self):
        data = os.path.join(self.new_dir(), "a", "b", "c")
        srv = self.serve(data=data)
        # It listens before it opens the folder; once it answers, the folder is ready. (No
        # token yet: `uprintd token` would create the key itself.)
        r = self.get("/v1.0/print/printers", token=None, server=srv)
        self.assertEqual(r.status, 401, r)
        self.assertTrue(os.path.isdir(data), srv.tail())
        key = os.stat(os.path.join(data, "signing.key"))
        self.assertEqual(stat.S_IMODE(key.st_mode), 0o600, oct(key.st_mode))
        self.assertEqual(key.st_size, 32)
        self.assertTrue(os.path.isfile(os.path.join(data, "uprintd.db")), os.listdir(data))
        r = self.get("/v1.0/print/printers", token=admin_token(data), server=srv)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(srv.stop(), 0, srv.tail())
        with open(os.path.join(data, "uprintd.db"), "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\x00")

    def test_options_accepted(self):
        srv = self.serve(args=["--threads", "3", "--log-level", "debug", "--max-json-kb",
                               "64", "--max-url-kb", "8"])
        self.assert_still_answers(srv)
        self.assertEqual(srv.stop(), 0, srv.tail())
