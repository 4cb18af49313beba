"""Simulated throttling and faults: `serve --rate-limit N/SECONDS` (429 with Retry-After per
user and per application, the window freeing again) and the fault rules of the control surface
under /_uprintd/faults (503, 504 and 429 answers, counts, fractions, latency, a faulted write
that changes nothing, and who may set them)."""

import threading
import time
import uuid

from harness import CliTestCase, admin_token, app_token, mint_token, run_cli
from jobkit import JobTestCase

FAULTS = "/_uprintd/faults"
APP_A = "0a0a0a0a-1111-4222-8333-444444444444"
APP_B = "0b0b0b0b-1111-4222-8333-444444444444"


def retry_after(test, r, low=1, high=None):
    """The Retry-After header of r as whole seconds, checked to be within [low, high]."""
    value = r.header("Retry-After")
    test.assertIsNotNone(value, "no Retry-After: %r" % r)
    test.assertRegex(value, r"^[0-9]+$", "Retry-After %r is not whole seconds" % value)
    n = int(value)
    test.assertGreaterEqual(n, low, r)
    if high is not None:
        test.assertLessEqual(n, high, r)
    return n


class RateLimitTests(CliTestCase):
    """A server with --rate-limit 5/2: five requests per two seconds per user and per
    application."""

    def setUp(self):
        super().setUp()
        self.alice = admin_token(self.data)
        self.bob = mint_token(self.data, user="bob@contoso.com", roles="PrinterAdministrator",
                              scopes="Printer.FullControl.All PrinterShare.ReadWrite.All")
        self.serve(args=["--rate-limit", "5/2"])

    def exhaust(self, token, path="/v1.0/print/printers", ok=200):
        """Sends requests until the 429 (the sixth, unless a window ended on the way: then
        again); returns the 429."""
        for attempt in range(3):
            start = time.monotonic()
            statuses = [self.get(path, token=token).status for _ in range(5)]
            r = self.get(path, token=token)
            if r.status == 429:
                self.assertEqual(statuses, [ok] * 5, "the first five of the window")
                return r
            # Only a slow machine gets here: the two-second window ended during the burst.
            self.assertGreater(time.monotonic() - start, 1.5, "6th request answered %r" % r)
        self.fail("no 429 after three bursts of six requests")

    def test_sixth_request_of_a_user_is_429_until_the_window_frees(self):
        r = self.exhaust(self.alice)
        err = self.assert_error(r, 429, "TooManyRequests", mentions=["try again"])
        self.assertIn("innerError", err)
        self.assert_graph_headers(r)
        wait = retry_after(self, r, 1, 2)
        # More requests in the window are refused too, and do not reach a handler.
        r = self.post("/v1.0/print/printers/create", self.printer_body(), token=self.alice)
        self.assert_error(r, 429, "TooManyRequests")
        retry_after(self, r, 1, 2)
        # Another user is not affected.
        self.assertEqual(self.get("/v1.0/print/printers", token=self.bob).status, 200)
        # After Retry-After seconds the window has a slot again.
        time.sleep(wait + 0.1)
        r = self.get("/v1.0/print/printers", token=self.alice)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("Retry-After"))
        self.assertEqual(r.json["value"], [], "the throttled create made a printer")

    def test_an_application_is_limited_on_its_own(self):
        app_a = app_token(self.data, APP_A, scopes="Printer.Read.All")
        app_b = app_token(self.data, APP_B, scopes="Printer.Read.All")
        missing = "/v1.0/print/printers/%s" % uuid.uuid4()
        r = self.exhaust(app_a, missing, ok=404)
        err = self.assert_error(r, 429, "TooManyRequests")
        self.assertIn("application", err["message"])
        retry_after(self, r, 1, 2)
        # Another application and the users keep their budgets.
        self.assertEqual(self.get(missing, token=app_b).status, 404)
        self.assertEqual(self.get("/v1.0/print/printers", token=self.alice).status, 200)
        self.assertEqual(self.get("/v1.0/print/printers", token=self.bob).status, 200)

    def test_control_surface_and_refusals_do_not_count(self):
        # Alice again, with a token that may not list printers: the same user (oid).
        weak = mint_token(self.data, user="admin@contoso.com", scopes="User.Read")
        # Refusals are answered as before and not counted: were they, the sixth would be 429
        # and the window would be used up before alice's first real request.
        for _ in range(6):
            self.assert_error(self.get("/v1.0/print/printers", token=None), 401)
            self.assert_error(self.get("/v1.0/print/printers", token=weak), 403)
        self.exhaust(self.alice)
        # A 403 stays a 403 for a throttled user; the control surface is not limited.
        self.assert_error(self.get("/v1.0/print/printers", token=weak), 403)
        for _ in range(8):
            self.assertEqual(self.get(FAULTS, token=self.alice).status, 200)
        r = self.get("/v1.0/print/printers", token=self.alice)
        self.assert_error(r, 429, "TooManyRequests")

    def test_bad_values_exit_2(self):
        for value in ("0/10", "5/0", "5", "five/2", "5/2x", "-1/2", "1000001/1", "5/86401",
                      ""):
            with self.subTest(value=value):
                p = run_cli("serve", "--data", self.new_dir(), "--listen", "127.0.0.1:0",
                            "--rate-limit", value)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--rate-limit", p.stderr)
                self.assertIn("N/SECONDS", p.stderr)
        p = run_cli("serve", "--data", self.new_dir(), "--rate-limit")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--rate-limit", run_cli("--help").stdout)


class FaultTests(JobTestCase):
    """Fault rules on one server; every test starts and ends without rules."""

    def setUp(self):
        super().setUp()
        self.clear()

    def tearDown(self):
        self.clear()
        super().tearDown()

    def clear(self):
        r = self.delete(FAULTS)
        self.assertEqual(r.status, 204, r)

    def add(self, rule, status=201):
        r = self.post(FAULTS, rule)
        self.assertEqual(r.status, status, r)
        return r.json

    def rules(self):
        r = self.get(FAULTS)
        self.assertEqual(r.status, 200, r)
        return r.json["value"]

    def test_count_of_503_on_printers_then_normal(self):
        rule = self.add({"status": 503, "count": 3, "path": "/print/printers*"})
        self.assertEqual(rule, {"status": 503, "count": 3, "fraction": None,
                                "path": "/print/printers*", "retryAfter": 1, "latencyMs": 0})
        self.assertEqual(self.rules(), [rule])
        r = self.get("/v1.0/print/printers")
        self.assert_error(r, 503, "serviceNotAvailable")
        self.assert_graph_headers(r)
        self.assertEqual(r.header("Retry-After"), "1")
        # Other paths are not hit and do not use the count.
        self.assertEqual(self.get("/v1.0/print/shares").status, 200)
        self.assertEqual(self.rules()[0]["count"], 2)
        self.assert_error(self.get("/beta/print/printers"), 503, "serviceNotAvailable")
        self.assert_error(self.get("/v1.0/print/printers/%s" % uuid.uuid4()), 503,
                          "serviceNotAvailable")
        self.assertEqual(self.rules(), [])
        r = self.get("/v1.0/print/printers")
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("Retry-After"))

    def test_504(self):
        self.add({"status": 504, "count": 1, "path": "/print/shares"})
        r = self.get("/v1.0/print/shares")
        self.assert_error(r, 504, "gatewayTimeout")
        self.assertIsNone(r.header("Retry-After"))
        self.assertEqual(self.get("/v1.0/print/shares").status, 200)

    def test_429_with_retry_after(self):
        self.add({"status": 429, "count": 2, "retryAfter": 7})
        for path in ("/v1.0/print/printers", "/beta/print/operations"):
            r = self.get(path)
            self.assert_error(r, 429, "TooManyRequests")
            self.assertEqual(r.header("Retry-After"), "7")
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)

    def test_fraction_one_until_delete(self):
        rule = self.add({"status": 503, "fraction": 1.0, "path": "/print/shares*"})
        self.assertEqual(rule["fraction"], 1.0)
        self.assertIsNone(rule["count"])
        for _ in range(6):
            self.assert_error(self.get("/v1.0/print/shares"), 503, "serviceNotAvailable")
        self.assertEqual(self.rules(), [rule])
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)
        self.clear()
        self.assertEqual(self.rules(), [])
        self.assertEqual(self.get("/v1.0/print/shares").status, 200)

    def test_several_rules_first_that_fires_decides(self):
        self.add({"status": 504, "count": 1, "path": "/print/printers"})
        self.add({"status": 429, "count": 1})
        self.assertEqual(len(self.rules()), 2)
        self.assert_error(self.get("/v1.0/print/printers"), 504)
        self.assert_error(self.get("/v1.0/print/printers"), 429)
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)

    def timed(self, path, **kw):
        start = time.monotonic()
        r = self.get(path, **kw)
        return r, time.monotonic() - start

    def test_latency_delays_and_the_request_proceeds(self):
        self.add({"latencyMs": 700, "count": 1, "path": "/print/printers"})
        r, took = self.timed("/v1.0/print/printers")
        self.assertEqual(r.status, 200, r)
        self.assertIn("value", r.json)
        self.assertGreaterEqual(took, 0.7)
        self.assertLess(took, 10)
        # With a status: the error, after the delay.
        self.add({"status": 503, "latencyMs": 500, "count": 1})
        r, took = self.timed("/v1.0/print/shares")
        self.assert_error(r, 503, "serviceNotAvailable")
        self.assertGreaterEqual(took, 0.5)
        self.assertLess(took, 10)

    def test_a_delayed_request_does_not_hold_up_others(self):
        self.add({"latencyMs": 3000, "count": 1, "path": "/print/shares"})
        done = {}

        def slow():
            done["r"], done["took"] = self.timed("/v1.0/print/shares")

        th = threading.Thread(target=slow, daemon=True)
        th.start()
        time.sleep(0.3)
        # Both worker threads (--threads 2) stay free: more requests than threads go through.
        for _ in range(4):
            r, took = self.timed("/v1.0/print/printers")
            self.assertEqual(r.status, 200, r)
        self.assertTrue(th.is_alive(), "the delayed request finished before the others")
        th.join(20)
        self.assertFalse(th.is_alive())
        self.assertEqual(done["r"].status, 200)
        self.assertGreaterEqual(done["took"], 3.0)

    def test_a_faulted_post_creates_nothing(self):
        printers = sorted(p["id"] for p in self.get("/v1.0/print/printers").json["value"])
        self.add({"status": 503, "count": 1, "path": "/print/printers/create"})
        r = self.post("/v1.0/print/printers/create", self.printer_body())
        self.assert_error(r, 503, "serviceNotAvailable")
        self.assertIsNone(r.header("Operation-Location"))
        after = sorted(p["id"] for p in self.get("/v1.0/print/printers").json["value"])
        self.assertEqual(after, printers)
        # A job on a share, refused the same way.
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jobs = self.job_ids(t)
        self.add({"status": 504, "count": 1, "path": "/print/shares/*/jobs"})
        r = self.post(t.jobs, {"configuration": {}}, token=t.token)
        self.assert_error(r, 504, "gatewayTimeout")
        self.assertEqual(self.job_ids(t), jobs)
        self.create_job(t)  # and the next one goes through

    def test_own_urls_are_never_faulted(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        data = b"%PDF-1.7 faults\n"
        session = self.create_session(t, job["id"], did, len(data))
        self.add({"status": 503, "fraction": 1.0})
        self.assert_error(self.get("/v1.0/print/printers"), 503)
        # The control surfaces and the upload URL answer as usual.
        self.assertEqual(len(self.rules()), 1)
        self.assertEqual(self.device(pid)["printerId"], pid)
        path = self.upload_path(session["uploadUrl"])
        r = self.put_range(path, data, 0, len(data))
        self.assertEqual(r.status, 201, r)

    def test_only_administrators_set_faults(self):
        others = {
            "user": self.user,
            "administrator without Printer.FullControl.All": mint_token(
                self.data, user="ops@contoso.com", roles="PrinterAdministrator",
                scopes="Printer.ReadWrite.All PrintJob.ReadWrite.All"),
            "application": app_token(self.data, APP_A, scopes="Printer.ReadWrite.All"),
        }
        for who, token in others.items():
            for method, body in (("GET", None), ("POST", {"status": 503, "count": 1}),
                                 ("DELETE", None)):
                with self.subTest(caller=who, method=method):
                    kw = {"token": token}
                    if body is not None:
                        kw["body"] = body
                    self.assert_error(self.call(method, FAULTS, **kw), 403, "accessDenied")
        self.assert_error(self.post(FAULTS, {"status": 503, "count": 1}, token=None), 401)
        self.assertEqual(self.rules(), [])
        # Faults never stand in for a 401 or 403.
        self.add({"status": 503, "fraction": 1.0})
        self.assert_error(self.get("/v1.0/print/printers", token=None), 401)
        self.assert_error(self.get("/v1.0/print/printers", token=self.user), 403)

    def test_bad_bodies(self):
        cases = [
            ({}, "status"),
            ({"count": 1}, "status"),
            ({"status": 500, "count": 1}, "status"),
            ({"status": "503", "count": 1}, "status"),
            ({"status": 503}, "count"),
            ({"status": 503, "count": 0}, "count"),
            ({"status": 503, "count": 2.5}, "count"),
            ({"status": 503, "count": 1, "fraction": 0.5}, "fraction"),
            ({"status": 503, "fraction": 0}, "fraction"),
            ({"status": 503, "fraction": 1.5}, "fraction"),
            ({"status": 503, "fraction": -0.1}, "fraction"),
            ({"status": 503, "count": 1, "path": "print/printers"}, "path"),
            ({"status": 503, "count": 1, "path": "/print/[printers]"}, "path"),
            ({"status": 503, "count": 1, "path": ""}, "path"),
            ({"status": 503, "count": 1, "path": 42}, "path"),
            ({"status": 503, "count": 1, "retryAfter": -1}, "retryAfter"),
            ({"latencyMs": 100, "count": 1, "retryAfter": 2}, "retryAfter"),
            ({"latencyMs": 30001, "count": 1}, "latencyMs"),
            ({"status": 503, "count": 1, "colour": "red"}, "colour"),
        ]
        for body, member in cases:
            with self.subTest(body=body):
                err = self.assert_error(self.post(FAULTS, body), 400, "invalidRequest",
                                        mentions=[member])
                self.assertEqual(err.get("target"), member, err)
        r = self.post(FAULTS, raw=b"{\"status\": 503,", token=self.admin)
        self.assert_error(r, 400, "invalidRequest")
        r = self.post(FAULTS, raw=b"[]", token=self.admin)
        self.assert_error(r, 400, "invalidRequest")
        self.assertEqual(self.rules(), [])
