"""Limits and overload: JSON nesting, query options, requests in progress (503), slow and
silent requests (408, idle close), connections per address, header size, the per-user job
quota and upload sessions (429 quotaLimitReached), and a full disk (507)."""

import os
import shutil
import unittest
import socket
import subprocess
import tempfile
import time

from harness import raw_request, wait_until

# Under valgrind (tests/valgrind.sh --integration) the server runs 20 to 50 times slower:
# deadlines of a second or so measure valgrind, not the server.
TIMING = unittest.skipIf(os.environ.get("UP_VALGRIND"), "timing-dependent: skipped under valgrind")
from jobkit import JobCliTestCase, user_token


def nested(depth):
    """A printJob body whose JSON nests depth levels (the configuration's margin counts 3)."""
    inner = {"top": 1}
    body = {"configuration": {"margin": inner}}
    value = body
    for _ in range(depth - 3):
        value = [value]
    return value


class ServerLimitTests(JobCliTestCase):

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.server.port), timeout=10)

    def closed_by_server(self, sock, within):
        """True when the server closes sock (EOF or reset) within `within` seconds."""
        sock.settimeout(within)
        try:
            while True:
                data = sock.recv(4096)
                if not data:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def test_json_nesting_depth(self):
        self.serve(args=["--max-json-depth", "4"])
        pid, _ = self.printer_and_share()
        t = self.printer_target(pid)
        ok = self.post(t.jobs, {"configuration": {"margin": {"top": 1}}}, token=t.token)
        self.assertEqual(ok.status, 201, ok)
        deep = self.post(t.jobs, {"configuration": {"margin": {"top": [[1]]}}}, token=t.token)
        self.assert_error(deep, 400, "invalidRequest", mentions=("nested deeper than 4",))
        # Brackets inside strings are not nesting.
        r = self.post(t.jobs, {"configuration": {"mediaType": "[[[[[[[[[[" * 3}},
                      token=t.token)
        self.assertNotIn("nested", r.text, r)

    def test_default_depth_refuses_a_deep_body_fast(self):
        self.serve()
        pid, _ = self.printer_and_share()
        body = ("{\"configuration\":" + "[" * 100000 + "]" * 100000 + "}").encode()
        t0 = time.monotonic()
        r = self.call("POST", self.printer_target(pid).jobs, raw=body, token=self.admin)
        self.assert_error(r, 400, mentions=("nested deeper than 64",))
        self.assertLess(time.monotonic() - t0, 5)

    def test_query_options(self):
        self.serve(args=["--max-query-options", "2"])
        self.assertEqual(self.get("/v1.0/print/printers?$top=1&$select=id").status, 200)
        r = self.get("/v1.0/print/printers?$top=1&$select=id&$filter=isShared%20eq%20true")
        self.assert_error(r, 400, "BadRequest", mentions=("more than 2 parameters",))

    @TIMING
    def test_over_max_in_flight_is_503_at_once(self):
        self.serve(args=["--max-in-flight", "2"])
        pid, _ = self.printer_and_share()
        # Two requests in progress: their headers are in, their bodies are not.
        slow = []
        for _ in range(2):
            c = self.connect()
            c.sendall(("POST /v1.0/print/printers/%s/jobs HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: 20\r\n\r\n{\"configuration\"" % (pid, self.admin)).encode())
            slow.append(c)
        time.sleep(0.3)
        t0 = time.monotonic()
        r = self.get("/v1.0/print/printers")
        self.assert_error(r, 503, "serviceNotAvailable", mentions=("requests in progress",))
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertLess(time.monotonic() - t0, 2)
        for c in slow:
            c.sendall(b":{}}")
            resp = c.recv(65536).decode("latin-1")
            self.assertTrue(resp.startswith("HTTP/1.1 201"), resp[:200])
            c.close()
        # Once those requests are complete (their completion is noted just after the answer).
        self.assertTrue(wait_until(lambda: self.get("/v1.0/print/printers").status == 200))

    @TIMING
    def test_a_body_trickling_in_is_cut_at_the_deadline(self):
        srv = self.serve(args=["--request-timeout-s", "1"])
        pid, _ = self.printer_and_share()
        s = self.connect()
        s.sendall(("POST /v1.0/print/printers/%s/jobs HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: 40\r\n\r\n{" % (pid, self.admin)).encode())
        t0 = time.monotonic()
        closed = False
        for _ in range(10):  # a byte every 0.4 s: never silent for long, but too slow
            time.sleep(0.4)
            try:
                s.sendall(b" ")
            except OSError:
                closed = True
                break
        closed = closed or self.closed_by_server(s, 2)
        s.close()
        self.assertTrue(closed, "the connection of a trickling body stayed open")
        self.assertLess(time.monotonic() - t0, 4)
        self.assertTrue(srv.wait_stderr("jobs 408 "), srv.tail())
        self.assertEqual(len(self.list_jobs(self.printer_target(pid))), 0)
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)

    @TIMING
    def test_headers_arriving_after_the_deadline_get_408(self):
        self.serve(args=["--request-timeout-s", "1"])
        s = self.connect()
        s.sendall(b"GET /v1.0/print/printers HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.7)
        s.sendall(b"X-Slow: 1\r\n")
        time.sleep(0.7)
        s.sendall(b"\r\n")
        s.settimeout(5)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        text = data.decode("latin-1")
        self.assertTrue(text.startswith("HTTP/1.1 408"), text[:300])
        self.assertIn("requestTimeout", text)
        self.assertIn("Connection: close", text)

    @TIMING
    def test_a_silent_connection_is_closed(self):
        self.serve(args=["--idle-timeout-s", "1"])
        s = self.connect()
        s.sendall(b"GET /v1.0/print/printers HTTP/1.1\r\nHost: x\r\n")  # never finished
        self.assertTrue(self.closed_by_server(s, 5))
        s.close()
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)

    def test_connections_per_address(self):
        self.serve(args=["--max-connections-per-ip", "2"])

        def healthz(s):
            s.settimeout(30)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))

        # Two connections, each answered once, so that the server holds both (whichever of its
        # threads accepted them, however slow it runs) before the third comes.
        a, b = self.connect(), self.connect()
        healthz(a)
        healthz(b)
        c = self.connect()
        self.assertTrue(self.closed_by_server(c, 30))
        c.close()
        # The first two still work.
        for s in (a, b):
            healthz(s)
            s.close()

    def test_header_size(self):
        self.serve(args=["--max-header-kb", "2"])
        head = "GET /v1.0/print/printers HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 6000
        try:
            r = raw_request(self.server, head)
            self.assertEqual(r.status, 431, r)  # libmicrohttpd's own answer
        except (AssertionError, OSError):
            pass  # closed without an answer: what HTTP allows for an oversized head
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)
        r = raw_request(self.server, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Ok: " + "a" * 500)
        self.assertEqual(r.status, 200)

    def test_job_quota(self):
        self.serve(args=["--job-quota", "3", "--job-quota-days", "1"])
        pid, sid = self.printer_and_share()
        alice = self.share_target(sid, token=self.user)
        for _ in range(3):
            self.create_job(alice)
        r = self.post(alice.jobs, {"configuration": {}}, token=alice.token)
        self.assert_error(r, 429, "quotaLimitReached", mentions=("3 print jobs", "1 days"))
        self.assertTrue(86000 < int(r.header("Retry-After")) <= 86401, r.header("Retry-After"))
        # Another user, and the administrator, are not held back by Alice's quota.
        bob = self.share_target(sid, token=user_token(self.data, user="bob@contoso.com",
                                                      name="Bob"))
        self.create_job(bob)
        self.create_job(self.printer_target(pid))
        self.assertEqual(len([j for j in self.list_jobs(alice)]), 3)

    def test_upload_sessions_per_user(self):
        self.serve(args=["--max-upload-sessions", "2"])
        _, sid = self.printer_and_share()
        t = self.share_target(sid, token=self.user)
        jobs = [self.create_job(t) for _ in range(3)]
        for j in jobs[:2]:
            self.create_session(t, j["id"], j["documents"][0]["id"], 10)
        path = "%s/documents/%s/createUploadSession" % (t.job(jobs[2]["id"]),
                                                        jobs[2]["documents"][0]["id"])
        body = {"properties": {"documentName": "a.pdf", "contentType": "application/pdf",
                               "size": 10}}
        self.assert_error(self.post(path, body, token=t.token), 429, "quotaLimitReached",
                          mentions=("2 upload sessions",))
        # A new session for a document that has one replaces it: allowed.
        self.create_session(t, jobs[0]["id"], jobs[0]["documents"][0]["id"], 20)
        # Finishing one frees a place.
        s = self.create_session(t, jobs[1]["id"], jobs[1]["documents"][0]["id"], 4)
        self.assertEqual(self.put_range(self.upload_path(s["uploadUrl"]), b"%PDF", 0, 4).status,
                         201)
        self.assertEqual(self.post(path, body, token=t.token).status, 200)


class DiskFullTests(JobCliTestCase):
    """The data folder on a small tmpfs (root only; skipped elsewhere)."""

    def setUp(self):
        super().setUp()
        self.mnt = tempfile.mkdtemp(prefix="uprintd-full-")
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", self.mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs here (%s): disk-full test skipped" %
                          p.stdout.strip())
        self.data = os.path.join(self.mnt, "data")

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            subprocess.run(["umount", "-l", self.mnt])
            shutil.rmtree(self.mnt, ignore_errors=True)

    def fill(self, leave):
        """Fills the file system up to `leave` bytes free with a ballast file."""
        st = os.statvfs(self.mnt)
        free = st.f_bavail * st.f_frsize
        with open(os.path.join(self.mnt, "ballast"), "wb") as f:
            f.write(b"\0" * max(0, free - leave))

    def test_writes_fail_with_507_reads_go_on_and_it_recovers(self):
        self.serve(args=["--sim-job-ms", "3600000"])
        pid, _ = self.printer_and_share()
        t = self.printer_target(pid)
        jid, did = self.ready_job(t, b"%PDF before the disk filled")
        before = self.snapshot(t, jid)
        # A new session replaces the job's content only once complete.
        s = self.create_session(t, jid, did, 2 * 1024 * 1024)
        before = self.snapshot(t, jid)
        self.fill(0)
        # A document larger than what is left: 507, Graph's error.
        r = self.put_range(self.upload_path(s["uploadUrl"]), b"x" * (2 * 1024 * 1024), 0,
                           2 * 1024 * 1024)
        self.assert_error(r, 507, "quotaLimitReached")
        # Job writes fail the same way, as long as the disk is full.
        failed = 0
        for _ in range(50):
            r = self.post(t.jobs, {"configuration": {"copies": 2}}, token=t.token)
            if r.status == 507:
                self.assert_error(r, 507, "quotaLimitReached")
                failed += 1
            else:
                self.assertEqual(r.status, 201, r)
        self.assertGreater(failed, 0)
        # Reads go on, the document's content included (download URLs are signed, not
        # stored); what was stored is intact; not ready.
        self.assertEqual(self.snapshot(t, jid), before)
        self.assertEqual(self.download(t, jid, did).body, b"%PDF before the disk filled")
        # That download may record its time (a small write that fits where SQLite's WAL already
        # has room) or not (no room): either way nothing else changes.
        self.assert_unchanged_but_download_mark(self.snapshot(t, jid), before)
        self.assertIn(jid, [j["id"] for j in self.list_jobs(t)])
        self.assert_error(self.get("/readyz", token=None), 503, "serviceNotAvailable")
        self.assertEqual(self.get("/healthz", token=None).status, 200)
        # Space returns: so do writes.
        os.unlink(os.path.join(self.mnt, "ballast"))
        self.assertEqual(self.get("/readyz", token=None).status, 200)
        job = self.create_job(t)
        self.upload(t, job["id"], job["documents"][0]["id"], b"%PDF after")
        self.assertEqual(self.download(t, job["id"], job["documents"][0]["id"]).body,
                         b"%PDF after")
        self.assert_unchanged_but_download_mark(self.snapshot(t, jid), before)
        self.assertEqual(self.download(t, jid, did).body, b"%PDF before the disk filled")

    def assert_unchanged_but_download_mark(self, after, before):
        """after equals before, but for documents' downloadedDateTime, which may have been set
        since (not earlier than the upload)."""
        def without_marks(job):
            return dict(job, documents=[{k: v for k, v in d.items() if k != "downloadedDateTime"}
                                        for d in job["documents"]])
        self.assertEqual(without_marks(after), without_marks(before))
        for d, b in zip(after["documents"], before["documents"]):
            if d["downloadedDateTime"] != b["downloadedDateTime"]:
                self.assertIsNone(b["downloadedDateTime"])
                self.assertGreaterEqual(d["downloadedDateTime"], d["uploadedDateTime"])


class FloodTests(JobCliTestCase):
    """An abusive client (from 127.0.0.2) floods the server with connections and slow
    requests; a well-behaved one (127.0.0.1) keeps being answered quickly."""

    @TIMING
    def test_a_well_behaved_client_is_answered_during_a_flood(self):
        import threading
        srv = self.serve(args=["--max-connections-per-ip", "16", "--request-timeout-s", "2",
                               "--idle-timeout-s", "2"])
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=2,
                                     source_address=("127.0.0.2", 0)).close()
        except OSError as e:
            self.skipTest("no second loopback address here (%s)" % e)
        stop = threading.Event()
        opened = [0]

        def flood():
            held = []
            while not stop.is_set():
                try:
                    s = socket.create_connection(("127.0.0.1", srv.port), timeout=2,
                                                 source_address=("127.0.0.2", 0))
                    s.sendall(b"POST /v1.0/print/printers HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 100000\r\n\r\n{")  # and never the rest
                    held.append(s)
                    opened[0] += 1
                except OSError:
                    time.sleep(0.01)
                if len(held) > 200:
                    for s in held[:100]:
                        s.close()
                    del held[:100]
            for s in held:
                s.close()

        threads = [threading.Thread(target=flood, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        worst = 0.0
        try:
            for _ in range(100):
                t0 = time.monotonic()
                r = self.get("/v1.0/print/printers")
                worst = max(worst, time.monotonic() - t0)
                self.assertEqual(r.status, 200, r)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        if os.environ.get("UP_TEST_VERBOSE"):
            print("flood: %d connections opened by the flooder, worst answer %.1f ms" % (
                opened[0], worst * 1000))
        self.assertGreater(opened[0], 16)
        self.assertLess(worst, 1.0, "a well-behaved request waited %.2f s" % worst)


class PathTests(JobCliTestCase):

    def test_no_request_reaches_a_file_outside_the_data_folder(self):
        # A file beside the data folder, and ids that try to climb to it.
        secret = os.path.join(os.path.dirname(self.data), "secret.txt")
        with open(secret, "wb") as f:
            f.write(b"outside the data folder")
        self.serve(args=["--sim-job-ms", "50"])
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        jid, did = self.ready_job(t, b"%PDF inside")
        climbs = ["..%2Fsecret.txt", "..%2F..%2Fsecret.txt", "%2E%2E%2Fsecret.txt",
                  "..%252Fsecret.txt", "documents%2F..%2F..%2Fsecret.txt", "..", "%00"]
        for c in climbs:
            with self.subTest(id=c):
                for path in ("/_uprintd/downloads/%s?tempauthtoken=x" % c,
                             "/_uprintd/uploads/%s?tempauthtoken=x" % c,
                             "%s/documents/%s/$value" % (t.job(jid), c),
                             "/v1.0/print/printers/%s/jobs/%s/documents/%s/$value" % (c, jid, did)):
                    r = self.get(path, token=t.token)
                    self.assertIn(r.status, (400, 401, 404), r)
                    self.assertNotIn(b"outside the data folder", r.body)
                    if r.status in (400, 401, 404):
                        self.assert_error(r, r.status)
        # The document itself is still served.
        self.assertEqual(self.download(t, jid, did).body, b"%PDF inside")
