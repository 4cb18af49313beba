"""Operations: /healthz, /readyz, /metrics (Prometheus text format) and the access log
(--access-log, --log-format)."""

import json
import re
import sqlite3
import os

from harness import run_cli, wait_until
from jobkit import JobCliTestCase, MIB, document_bytes

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}; asserts every line is a comment or a sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            assert line == "" or line.startswith("# HELP ") or line.startswith("# TYPE "), line
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        labels = frozenset(LABEL_RE.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def sample(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


class OperationsTests(JobCliTestCase):

    def metrics(self):
        r = self.get("/metrics", token=None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type", "").startswith("text/plain"), r)
        return parse_metrics(r.body.decode())

    def test_healthz_and_readyz_answer_without_a_token(self):
        self.serve()
        for path, text in (("/healthz", "ok"), ("/readyz", "ready")):
            with self.subTest(path=path):
                r = self.get(path, token=None)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body.decode().strip(), text)
                self.assertTrue(r.header("request-id"), r)
        # Only GET, and nothing below them.
        self.assert_error(self.post("/healthz", {}, token=None), 405)
        self.assert_error(self.get("/healthz/x", token=None), 400)
        self.assert_error(self.get("/v1.0/healthz", token=None), 400)

    def test_readyz_is_503_while_another_process_holds_the_store(self):
        srv = self.serve()
        # Up and ready first (the store is opened after the listening line).
        self.assertEqual(self.get("/readyz", token=None).status, 200)
        db = sqlite3.connect(os.path.join(self.data, "uprintd.db"), timeout=0.1,
                             isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            r = self.get("/readyz", token=None)
            self.assert_error(r, 503, "serviceNotAvailable", mentions=("writes",))
            # Process up all the same.
            self.assertEqual(self.get("/healthz", token=None).status, 200)
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertEqual(self.get("/readyz", token=None).status, 200)
        self.assertTrue(srv.alive())

    def test_metrics_count_requests_jobs_queues_and_uploads(self):
        self.serve(args=["--sim-job-ms", "3600000"])
        before = self.metrics()
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        held = self.create_job(t)["id"]          # waits for its document
        jid, did = self.ready_job(t, document_bytes(MIB + 5, 1))
        self.start_ok(t, jid)                     # printing for an hour
        jid2, _ = self.ready_job(t, b"%PDF second")
        self.start_ok(t, jid2)                    # pending behind it
        self.assert_error(self.get(t.job("999999")), 404)
        m = self.metrics()

        route = "GET /print/printers/{printerId}/jobs/{jobId}"
        self.assertEqual(sample(m, "uprintd_http_requests_total", route=route, status="404") -
                         sample(before, "uprintd_http_requests_total", route=route,
                                status="404"), 1)
        create = "POST /print/printers/{printerId}/jobs"
        self.assertEqual(sample(m, "uprintd_http_requests_total", route=create, status="201"), 3)
        # The histogram: cumulative buckets ending in +Inf == count; a sum.
        count = sample(m, "uprintd_http_request_duration_seconds_count", route=create)
        self.assertEqual(count, 3)
        self.assertEqual(sample(m, "uprintd_http_request_duration_seconds_bucket", route=create,
                                le="+Inf"), count)
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                         if k[0] == "uprintd_http_request_duration_seconds_bucket" and
                         dict(k[1]).get("route") == create and dict(k[1])["le"] != "+Inf")
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
        self.assertGreater(sample(m, "uprintd_http_request_duration_seconds_sum", route=create), 0)
        # Jobs by state, every state listed; the queue of the printer.
        self.assertEqual(sample(m, "uprintd_jobs", state="processing"), 1)
        self.assertEqual(sample(m, "uprintd_jobs", state="pending"), 1)
        self.assertEqual(sample(m, "uprintd_jobs", state="paused"), 1)  # the one without content
        self.assertEqual(self.get_job(t, held)["status"]["state"], "paused")
        for st in ("unknown", "stopped", "completed", "canceled", "aborted"):
            self.assertIn(("uprintd_jobs", frozenset({("state", st)})), m)
        self.assertEqual(sample(m, "uprintd_queue_depth", printer=pid), 1)
        # Uploads: the bytes of the two documents; the sessions are gone once complete.
        self.assertEqual(sample(m, "uprintd_upload_bytes_total") -
                         sample(before, "uprintd_upload_bytes_total"), MIB + 5 + 11)
        self.assertEqual(sample(m, "uprintd_upload_sessions_active"), 0)
        job = self.create_job(t)
        self.create_session(t, job["id"], job["documents"][0]["id"], 10)
        self.assertEqual(sample(self.metrics(), "uprintd_upload_sessions_active"), 1)
        # The store: commits timed, the checkpointer's runs counted.
        self.assertGreater(sample(m, "uprintd_store_commit_seconds_count"), 5)
        self.assertIn(("uprintd_store_checkpoint_seconds_count", frozenset()), m)
        # Bytes sent by route.
        self.assertGreater(sample(m, "uprintd_http_body_bytes_sent_total", route=create), 0)

    def access_lines(self, srv, marker):
        self.assertTrue(srv.wait_stderr(marker), srv.tail())
        return [l for l in srv.stderr_lines if " access " in l or '"type":"access"' in l]

    def test_access_log_text_has_no_token_or_url(self):
        srv = self.serve()
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        job = self.create_job(t)
        s = self.create_session(t, job["id"], job["documents"][0]["id"], 4)
        path = self.upload_path(s["uploadUrl"])
        r = self.put_range(path, b"%PDF", 0, 4)
        self.assertEqual(r.status, 201, r)
        r = self.get("/v1.0/print/printers/%s" % pid, headers={"client-request-id": "crid-77"})
        self.assertEqual(r.status, 200, r)
        lines = self.access_lines(srv, "crid-77")
        line = [l for l in lines if "crid-77" in l][0]
        self.assertIn("GET /v1.0/print/printers/{printerId} 200 ", line)
        self.assertIn("request-id=" + r.header("request-id"), line)
        self.assertIn("tenant=", line)
        self.assertIn("caller=admin@contoso.com", line)
        self.assertRegex(line, r" \d+\.\d{3}ms in=0 out=\d+ ")
        put = [l for l in lines if "PUT /_uprintd/uploads/{uploadId} 201" in l]
        self.assertEqual(len(put), 1, lines)
        self.assertIn(" in=4 ", put[0])
        # Neither the bearer token, nor the upload URL's token, nor the ids in the URL.
        tempauth = re.search(r"tempauthtoken=([^&]+)", s["uploadUrl"]).group(1)
        log = "\n".join(srv.stderr_lines)
        for secret in (self.admin, self.admin.split(".")[2], tempauth):
            self.assertNotIn(secret, log)

    def test_access_log_json_and_every_line_json(self):
        srv = self.serve(args=["--log-format", "json"])
        r = self.get("/v1.0/print/printers", headers={"client-request-id": "crid-json"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(srv.wait_stderr("crid-json"), srv.tail())
        lines = [json.loads(l) for l in srv.stderr_lines]   # every line parses
        self.assertTrue(all({"time", "level"} <= set(l) for l in lines), lines)
        acc = [l for l in lines if l.get("type") == "access" and
               l.get("clientRequestId") == "crid-json"]
        self.assertEqual(len(acc), 1, lines)
        a = acc[0]
        self.assertEqual(a["requestId"], r.header("request-id"))
        self.assertEqual((a["method"], a["route"], a["version"], a["status"]),
                         ("GET", "/print/printers", "v1.0", 200))
        self.assertEqual(a["caller"], "admin@contoso.com")
        self.assertRegex(a["tenant"], r"^[0-9a-f-]{36}$")
        self.assertIsInstance(a["durationMs"], float)
        self.assertEqual(a["bytesIn"], 0)
        self.assertEqual(a["bytesOut"], len(r.body))
        # A refused request has its line too, without a caller.
        self.assert_error(self.get("/v1.0/print/printers", token="garbage",
                                   headers={"client-request-id": "crid-401"}), 401)
        self.assertTrue(srv.wait_stderr("crid-401"), srv.tail())
        a = [json.loads(l) for l in srv.stderr_lines if "crid-401" in l][0]
        self.assertEqual((a["status"], a["caller"], a["tenant"]), (401, None, None))

    def test_access_log_off_and_bad_values(self):
        srv = self.serve(args=["--access-log", "off"])
        self.assertEqual(self.get("/v1.0/print/printers",
                                  headers={"client-request-id": "crid-off"}).status, 200)
        self.assertEqual(self.get("/healthz", token=None).status, 200)
        wait_until(lambda: False, timeout=0.2)
        self.assertFalse([l for l in srv.stderr_lines if " access " in l], srv.tail())
        for opt, bad in (("--log-format", "xml"), ("--access-log", "maybe")):
            with self.subTest(opt=opt):
                p = run_cli("serve", opt, bad, "--data", self.data)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(opt, p.stderr)
