"""Persistence across restarts (SIGTERM and SIGKILL) and --demo."""

import re
import time
import signal
import uuid

from harness import CliTestCase, TOKEN_RE, admin_token, jwt_claims, uniq

DEFAULT_TENANT = "4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f"
PRINTER_ADMIN_ROLE = "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"


class RestartTests(CliTestCase):
    # The same --base-url for both runs, so that the bodies (their @odata.context) do not
    # depend on the port the kernel picks and can be compared exactly.
    BASE = "http://persist.example.test"

    def snapshot(self, printers, shares, ops, gone):
        paths = ["/v1.0/print/printers", "/v1.0/print/shares", "/v1.0/print/operations",
                 "/beta/print/printers", "/beta/print/shares"]
        for pid in printers:
            paths += ["/v1.0/print/printers/%s" % pid,
                      "/v1.0/print/printers/%s?$select=id,displayName,capabilities" % pid,
                      "/v1.0/print/printers/%s/shares" % pid]
        for sid in shares:
            paths += ["/v1.0/print/shares/%s" % sid, "/v1.0/print/shares/%s/printer" % sid]
        for oid in ops:
            paths += ["/v1.0/print/operations/%s" % oid]
        out = {}
        for path in paths:
            r = self.get(path)
            self.assertEqual(r.status, 200, r)
            out[path] = r.json
        for path in gone:
            out[path] = self.get(path).status
        return out

    def test_sigterm_restart_keeps_everything(self):
        self.serve(base_url=self.BASE)
        printers, ops = [], []
        for i in range(3):
            r, op = self.start_create(uniq("Keep"))
            ops.append(op)
            printers.append(self.get("/v1.0/print/operations/%s" % op).json["printer"]["id"])
        r = self.patch("/v1.0/print/printers/%s" % printers[0], {
            "displayName": "Renamed é ünïcode", "location": {
                "building": "B1", "floor": "3", "latitude": 1.5,
                "organization": ["Contoso", "IT"]},
            "defaults": {"colorMode": "color", "duplexMode": "oneSided", "copiesPerJob": 2}})
        self.assertEqual(r.status, 200, r)
        shares = [self.create_share(printers[0])["id"], self.create_share(printers[1])["id"]]
        r = self.patch("/v1.0/print/shares/%s" % shares[1], {"displayName": "Renamed share",
                                                               "allowAllUsers": False})
        self.assertEqual(r.status, 200, r)
        # A deleted share and a deleted printer stay deleted.
        doomed_p = self.create_printer()
        doomed_s = self.create_share(printers[2])
        self.assertEqual(self.delete("/v1.0/print/shares/%s" % doomed_s["id"]).status, 204)
        self.assertEqual(self.delete("/v1.0/print/printers/%s" % doomed_p["id"]).status, 204)
        gone = ["/v1.0/print/shares/%s" % doomed_s["id"],
                "/v1.0/print/printers/%s" % doomed_p["id"]]

        before = self.snapshot(printers, shares, ops, gone)
        self.assertEqual(self.server.stop(signal.SIGTERM), 0, self.server.tail())

        self.serve(base_url=self.BASE)
        after = self.snapshot(printers, shares, ops, gone)
        for path in before:
            with self.subTest(path=path):
                self.assertEqual(after[path], before[path])
        self.assertEqual(after[gone[0]], 404)
        self.assertEqual(after[gone[1]], 404)

        # Still writable after the restart; the printer keeps its share (409 on a second).
        r = self.post("/v1.0/print/shares", {"displayName": uniq("S"), "allowAllUsers": True,
                                             "printer@odata.bind": self.bind(printers[0])})
        self.assert_error(r, 409, "conflict")
        self.create_printer()

    def test_sigkill_right_after_printer_create(self):
        self.serve()
        name = uniq("Killed")
        r, op = self.start_create(name)
        self.server.kill()
        self.serve()
        r = self.get("/v1.0/print/operations/%s" % op)
        self.assertEqual(r.status, 200, r)
        pid = r.json["printer"]["id"]
        p = self.get("/v1.0/print/printers/%s" % pid)
        self.assertEqual(p.status, 200, p)
        self.assertEqual(p.json["displayName"], name)

    def test_sigkill_right_after_share_create(self):
        self.serve()
        p = self.create_printer()
        s = self.create_share(p["id"])
        self.server.kill()
        self.serve()
        r = self.get("/v1.0/print/shares/%s" % s["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["displayName"], s["displayName"])
        self.assertIs(self.get("/v1.0/print/printers/%s" % p["id"]).json["isShared"], True)

    def test_sigkill_right_after_patch_and_delete(self):
        self.serve()
        p = self.create_printer()
        q = self.create_printer()
        new = uniq("Patched")
        self.assertEqual(self.patch("/v1.0/print/printers/%s" % p["id"],
                                    {"displayName": new}).status, 200)
        self.assertEqual(self.delete("/v1.0/print/printers/%s" % q["id"]).status, 204)
        self.server.kill()
        self.serve()
        self.assertEqual(self.get("/v1.0/print/printers/%s" % p["id"]).json["displayName"],
                         new)
        self.assert_error(self.get("/v1.0/print/printers/%s" % q["id"]), 404, "itemNotFound")

    def test_tenants_survive_restart(self):
        tenant = str(uuid.uuid4())
        tok = admin_token(self.data, tenant=tenant)
        self.serve()
        p = self.create_printer(token=tok)
        self.assertEqual(self.server.stop(), 0)
        self.serve()
        self.assertEqual(self.get("/v1.0/print/printers/%s" % p["id"], token=tok).status, 200)
        self.assert_error(self.get("/v1.0/print/printers/%s" % p["id"]), 404, "itemNotFound")


class DemoTests(CliTestCase):

    def demo_objects(self):
        printers = self.get("/v1.0/print/printers")
        shares = self.get("/v1.0/print/shares")
        self.assertEqual(printers.status, 200, printers)
        self.assertEqual(shares.status, 200, shares)
        return printers.json["value"], shares.json["value"]

    @staticmethod
    def demo_output(srv):
        """The server's stdout once --demo's "Try:" block is in (the reader threads may
        still be catching up with the pipe)."""
        deadline = time.monotonic() + 5
        while not any(l.startswith("Try:") for l in srv.stdout_lines) and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        # The curl line follows "Try:"; give it the same chance.
        while not any("curl" in l for l in srv.stdout_lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(srv.stdout_lines)

    def test_demo_prints_three_labelled_tokens(self):
        srv = self.serve(args=["--demo"])
        lines = self.demo_output(srv)
        out = "\n".join(lines)
        jwts = [w for w in re.split(r"\s+", "\n".join(lines + srv.stderr_lines))
                if w.count(".") == 2 and len(w) > 40 and TOKEN_RE.match(w)]
        self.assertEqual(len(jwts), 3, "--demo should print exactly three tokens:\n" + out)

        # Each label line is followed by its token, alone on the next line.
        labels = {}
        for i, line in enumerate(lines[:-1]):
            m = re.match(r"^(Printer Administrator \(admin@contoso\.com\)|"
                         r"User \(user@contoso\.com\)|"
                         r"Pull-print application \(([0-9a-fA-F-]{36})\)):\s*$", line)
            if m:
                tok = lines[i + 1].strip()
                self.assertRegex(tok, TOKEN_RE, "no token after %r:\n%s" % (line, out))
                labels[m.group(1).split(" (")[0]] = (tok, m.group(2))
        self.assertEqual(sorted(labels), ["Printer Administrator", "Pull-print application",
                                          "User"], out)
        self.assertEqual(sorted(t for t, _ in labels.values()), sorted(jwts), out)

        admin = jwt_claims(labels["Printer Administrator"][0])
        user = jwt_claims(labels["User"][0])
        app_tok, app_id = labels["Pull-print application"]
        app = jwt_claims(app_tok)

        self.assertEqual(admin.get("idtyp"), "user", admin)
        self.assertEqual(admin.get("upn"), "admin@contoso.com", admin)
        self.assertIn(PRINTER_ADMIN_ROLE, admin.get("wids") or [], admin)

        self.assertEqual(user.get("idtyp"), "user", user)
        self.assertEqual(user.get("upn"), "user@contoso.com", user)
        self.assertNotIn(PRINTER_ADMIN_ROLE, user.get("wids") or [], user)

        self.assertEqual(app.get("idtyp"), "app", app)
        self.assertNotIn("upn", app)
        self.assertEqual(app.get("appid"), app_id.lower(), app)
        self.assertIsInstance(app.get("roles"), list, app)
        self.assertTrue(app["roles"], app)

        # One tenant, the default one; each token authenticates (its scopes decide the rest).
        for label, claims in (("Printer Administrator", admin), ("User", user),
                              ("Pull-print application", app)):
            with self.subTest(token=label):
                self.assertEqual(claims.get("tid"), DEFAULT_TENANT, claims)
                r = self.get("/v1.0/print/shares", token=labels[label][0])
                self.assertNotEqual(r.status, 401, r)

        # A curl example against this server's shares.
        curl = [l for l in lines if "curl" in l and "/v1.0/print/shares" in l]
        self.assertEqual(len(curl), 1, out)
        self.assertIn(srv.base + "/v1.0/print/shares", curl[0])

    def test_demo_creates_one_printer_and_one_share(self):
        srv = self.serve(args=["--demo"])
        printers, shares = self.demo_objects()
        self.assertEqual(len(printers), 1, printers)
        self.assertEqual(len(shares), 1, shares)
        sp = self.get("/v1.0/print/shares/%s/printer" % shares[0]["id"])
        self.assertEqual(sp.status, 200, sp)
        self.assertEqual(sp.json["id"], printers[0]["id"])
        self.assertIs(printers[0]["isShared"], True)

        # The printed tokens work.
        out = "\n".join(self.demo_output(srv) + srv.stderr_lines)
        candidates = [w.strip("\"'`,;") for w in re.split(r"\s+", out)]
        candidates = [w for w in candidates if len(w) > 40 and w.count(".") == 2 and
                      TOKEN_RE.match(w)]
        self.assertTrue(candidates, "--demo printed no token:\n" + out)
        ok = [w for w in candidates if self.get("/v1.0/print/printers", token=w).status == 200]
        self.assertTrue(ok, "none of the tokens --demo printed is accepted")

        # Idempotent: a second start with --demo adds nothing.
        self.assertEqual(srv.stop(), 0)
        self.serve(args=["--demo"])
        printers2, shares2 = self.demo_objects()
        self.assertEqual([p["id"] for p in printers2], [p["id"] for p in printers])
        self.assertEqual([s["id"] for s in shares2], [s["id"] for s in shares])

        # And without --demo the objects simply remain.
        self.assertEqual(self.server.stop(), 0)
        self.serve()
        printers3, shares3 = self.demo_objects()
        self.assertEqual(len(printers3), 1)
        self.assertEqual(len(shares3), 1)

    def test_demo_objects_live_in_the_default_tenant_only(self):
        self.serve(args=["--demo"])
        other = admin_token(self.data, tenant=str(uuid.uuid4()))
        for path in ("/v1.0/print/printers", "/v1.0/print/shares"):
            with self.subTest(path=path):
                r = self.get(path, token=other)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["value"], [])

    def test_demo_after_user_objects(self):
        # --demo on a folder that already has objects keeps them, and repeated starts with
        # --demo add nothing more.
        self.serve()
        mine = self.create_printer()
        self.assertEqual(self.server.stop(), 0)
        self.serve(args=["--demo"])
        printers, shares = self.demo_objects()
        self.assertIn(mine["id"], [p["id"] for p in printers])
        self.assertLessEqual(len(shares), 1)
        self.assertEqual(self.server.stop(), 0)
        self.serve(args=["--demo"])
        printers2, shares2 = self.demo_objects()
        self.assertEqual(sorted(p["id"] for p in printers2), sorted(p["id"] for p in printers))
        self.assertEqual(sorted(s["id"] for s in shares2), sorted(s["id"] for s in shares))
