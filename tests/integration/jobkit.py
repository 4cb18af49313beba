"""Shared machinery of the print job tests (test_jobs, test_uploads, test_device,
test_job_restart): tokens, the printer and share paths of a job, uploads (sequential and in
parallel), the simulated device's control surface and bounded polling.
"""

import base64
import hashlib
import json
import os
import random
import re
import threading
import time
import urllib.parse
import uuid

import conformance as conf
from harness import (CONFIG, CliTestCase, ServerTestCase, http_request, mint_token,
                     raw_request, uniq)

USER_SCOPES = "PrintJob.ReadWrite PrintJob.Create PrinterShare.ReadBasic.All"
JOB_ADMIN = dict(user="admin@contoso.com", name="Printer Admin", roles="PrinterAdministrator",
                 scopes="Printer.FullControl.All PrinterShare.ReadWrite.All "
                        "PrintJob.ReadWrite.All")

JOB_ID_RE = re.compile(r"^[1-9][0-9]*$")
DOC_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RANGE_RE = re.compile(r"^(\d+)-(\d+)$")

PAUSED_STATUS = {"state": "paused", "description": "The job is not a candidate for processing "
                 "yet.", "isAcquiredByPrinter": False, "details": ["uploadPending"]}
TERMINAL = ("completed", "canceled", "aborted")
SUPPORTED_CONTENT_TYPES = ("application/pdf", "application/oxps", "image/pwg-raster",
                           "image/urf", "application/PCLm", "image/jpeg",
                           "application/octet-stream")

MIB = 1024 * 1024
FRAGMENT_LIMIT = 10 * MIB   # a fragment of this size or more is 413

POLL_STEP = 0.02
POLL_TIMEOUT = 10.0

# Enumerations of printJobConfiguration (used when the conformance material is absent).
ENUMS = {
    "colorMode": ("microsoft.graph.printColorMode",
                  ["blackAndWhite", "grayscale", "color", "auto"]),
    "duplexMode": ("microsoft.graph.printDuplexMode",
                   ["flipOnLongEdge", "flipOnShortEdge", "oneSided"]),
    "feedOrientation": ("microsoft.graph.printerFeedOrientation",
                        ["longEdgeFirst", "shortEdgeFirst"]),
    "multipageLayout": ("microsoft.graph.printMultipageLayout",
                        ["clockwiseFromTopLeft", "counterclockwiseFromTopLeft",
                         "counterclockwiseFromTopRight", "clockwiseFromTopRight",
                         "counterclockwiseFromBottomLeft", "clockwiseFromBottomLeft",
                         "counterclockwiseFromBottomRight", "clockwiseFromBottomRight"]),
    "orientation": ("microsoft.graph.printOrientation",
                    ["portrait", "landscape", "reverseLandscape", "reversePortrait"]),
    "quality": ("microsoft.graph.printQuality", ["low", "medium", "high"]),
    "scaling": ("microsoft.graph.printScaling", ["auto", "shrinkToFit", "fill", "fit", "none"]),
    "finishings": ("microsoft.graph.printFinishing",
                   ["none", "staple", "punch", "cover", "bind", "saddleStitch", "stitchEdge",
                    "stapleTopLeft", "stapleDualLeft", "bindLeft", "bindTop", "foldHalf",
                    "punchQuadTop", "trimAfterJob"]),
}


def enum_members(prop):
    """The members of the enumeration of configuration.prop, without unknownFutureValue (the
    published list when the conformance material is loaded)."""
    schema, fallback = ENUMS[prop]
    c = CONFIG.conformance
    if c is not None and c.available and c.has_schema(schema):
        members = c.components["schemas"][schema]["enum"]
    else:
        members = fallback
    return [m for m in members if m not in ("unknownFutureValue", None)]


def evolvable_members(enum):
    """Members of enum declared after unknownFutureValue, from this server's own model data
    (schema/models.json): Graph sends them only with Prefer: include-unknown-enum-members."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema",
                        "models.json")
    with open(path) as f:
        names = [m[0] for m in json.load(f)["enums"][enum]["members"]]
    return names[names.index("unknownFutureValue") + 1:]


def user_token(data_dir, user="alice@contoso.com", name="Alice Example", tenant=None):
    return mint_token(data_dir, user=user, name=name, tenant=tenant, scopes=USER_SCOPES)


def job_admin_token(data_dir, tenant=None):
    return mint_token(data_dir, tenant=tenant, **JOB_ADMIN)


def claims(token):
    """The payload of a JWT (not verified)."""
    part = token.split(".")[1]
    part += "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(part.encode("ascii")))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def document_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def random_fragments(total, seed, low=1 * MIB, high=4 * MIB):
    """Consecutive (start, end) ranges covering [0, total - 1], of random sizes in [low, high]
    (the last one may be shorter)."""
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < total:
        n = min(rng.randint(low, high), total - pos)
        out.append((pos, pos + n - 1))
        pos += n
    return out


def parse_ranges(ranges):
    """["a-b", ...] -> [(a, b), ...]; raises AssertionError on another shape."""
    out = []
    for r in ranges:
        m = RANGE_RE.match(r) if isinstance(r, str) else None
        if not m:
            raise AssertionError("nextExpectedRanges member %r is not 'a-b'" % (r,))
        out.append((int(m.group(1)), int(m.group(2))))
    return out


def holes(size, received):
    """The missing ranges of [0, size - 1] given received (start, end) ranges, as 'a-b'."""
    out, pos = [], 0
    for a, b in sorted(received):
        if a > pos:
            out.append("%d-%d" % (pos, a - 1))
        pos = max(pos, b + 1)
    if pos < size:
        out.append("%d-%d" % (pos, size - 1))
    return out


class Target:
    """Where a job is addressed: /{version}/print/{printers|shares}/{id}, with the token used
    there (admin on printers, a user on shares)."""

    def __init__(self, kind, oid, version, token):
        assert kind in ("printers", "shares")
        self.kind = kind
        self.id = oid
        self.version = version
        self.token = token

    def __repr__(self):
        return "/%s/print/%s" % (self.version, self.kind)

    @property
    def root(self):
        return "/%s/print/%s/%s" % (self.version, self.kind, self.id)

    @property
    def jobs(self):
        return self.root + "/jobs"

    def job(self, jid):
        return "%s/%s" % (self.jobs, jid)

    def documents(self, jid):
        return self.job(jid) + "/documents"

    def document(self, jid, did):
        return "%s/%s" % (self.documents(jid), did)

    def context(self, base):
        """The @odata.context of the job collection (entities add /$entity)."""
        return "%s/%s/$metadata#print/%s('%s')/jobs" % (base, self.version, self.kind, self.id)


def race(requests):
    """Runs the callables at the same moment, one thread each; returns their results."""
    barrier = threading.Barrier(len(requests))
    out = [None] * len(requests)
    errors = []

    def run(i, fn):
        try:
            barrier.wait(10)
            out[i] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, fn), daemon=True)
               for i, fn in enumerate(requests)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    if errors:
        raise errors[0]
    return out


class JobMixin:
    """Helpers over GraphTestMixin: self.server, self.admin (a job administrator) and
    self.user (a delegated user) must be set."""

    race = staticmethod(race)

    # --- printers, shares, targets --------------------------------------------------------

    def printer_and_share(self, server=None, token=None):
        """A fresh printer (so that its queue is the test's alone) and a share of it."""
        token = token or self.admin
        p = self.create_printer(token=token, server=server)
        s = self.create_share(p["id"], token=token, server=server)
        return p["id"], s["id"]

    def printer_target(self, pid, version="v1.0", token=None):
        return Target("printers", pid, version, token or self.admin)

    def share_target(self, sid, version="v1.0", token=None):
        return Target("shares", sid, version, token or self.user)

    def all_targets(self, pid, sid):
        """The four paths to the same jobs, all as the administrator (a user reaches only the
        jobs the user created)."""
        return [self.printer_target(pid, "v1.0"), self.share_target(sid, "v1.0", self.admin),
                self.printer_target(pid, "beta"), self.share_target(sid, "beta", self.admin)]

    def tcall(self, t, method, path, body=None, **kw):
        if body is None:
            return self.call(method, path, token=t.token, **kw)
        return self.call(method, path, body, token=t.token, **kw)

    # --- jobs -----------------------------------------------------------------------------

    def create_job(self, t, configuration=None, server=None):
        """POST .../jobs; asserts 201; returns the job."""
        body = {"configuration": {} if configuration is None else configuration}
        r = self.call("POST", t.jobs, body, token=t.token, server=server)
        job = self.assert_json_response(r, 201)
        self.assertRegex(job.get("id", ""), JOB_ID_RE, "job id %r" % job.get("id"))
        return job

    def get_job(self, t, jid, expand=False, server=None):
        path = t.job(jid) + ("?$expand=documents" if expand else "")
        r = self.call("GET", path, token=t.token, server=server)
        self.assertEqual(r.status, 200, r)
        return r.json

    def list_jobs(self, t, expand=False, server=None):
        path = t.jobs + ("?$expand=documents" if expand else "")
        r = self.call("GET", path, token=t.token, server=server)
        self.assertEqual(r.status, 200, r)
        self.assertIsInstance(r.json.get("value"), list, r)
        return r.json["value"]

    def job_ids(self, t, server=None):
        return [j["id"] for j in self.list_jobs(t, server=server)]

    def snapshot(self, t, jid, server=None):
        """The job with its documents, without annotations: to compare before/after."""
        j = self.get_job(t, jid, expand=True, server=server)
        return {k: v for k, v in j.items() if not k.startswith("@")}

    def start(self, t, jid, server=None):
        return self.call("POST", t.job(jid) + "/start", token=t.token, server=server)

    def start_ok(self, t, jid, server=None):
        r = self.start(t, jid, server=server)
        status = self.assert_json_response(r, 200)
        self.assertIn(status.get("state"), ("processing", "pending"), r)
        return status

    def cancel(self, t, jid, server=None):
        return self.call("POST", t.job(jid) + "/cancel", token=t.token, server=server)

    def wait_job(self, t, jid, pred, what, timeout=POLL_TIMEOUT, server=None):
        """Polls the job every POLL_STEP until pred(job) holds; returns the job."""
        deadline = time.monotonic() + timeout
        while True:
            j = self.get_job(t, jid, server=server)
            if pred(j):
                return j
            if time.monotonic() > deadline:
                self.fail("job %s did not become %s within %.0f s; last: %r" % (
                    jid, what, timeout, j))
            time.sleep(POLL_STEP)

    def wait_state(self, t, jid, state, timeout=POLL_TIMEOUT, server=None):
        states = (state,) if isinstance(state, str) else tuple(state)
        return self.wait_job(t, jid, lambda j: j["status"]["state"] in states,
                             "/".join(states), timeout, server)

    def printer_state(self, pid, server=None):
        r = self.call("GET", "/v1.0/print/printers/%s" % pid, token=self.admin, server=server)
        self.assertEqual(r.status, 200, r)
        return r.json["status"]["state"]

    # --- documents and uploads ------------------------------------------------------------

    def create_session(self, t, jid, did, size, name="a.pdf", ctype="application/pdf",
                       server=None):
        """createUploadSession; asserts 200; returns the session."""
        r = self.call("POST", t.document(jid, did) + "/createUploadSession",
                      {"properties": {"documentName": name, "contentType": ctype,
                                      "size": size}}, token=t.token, server=server)
        s = self.assert_json_response(r, 200)
        self.assertIsInstance(s.get("uploadUrl"), str, r)
        return s

    def upload_path(self, url, server=None):
        """The request target of an uploadUrl (its path and query), checking its form."""
        srv = server or self.server
        prefix = srv.base + "/_uprintd/uploads/"
        self.assertTrue(url.startswith(prefix), "uploadUrl %r does not start with %s" % (
            url, prefix))
        parts = urllib.parse.urlsplit(url)
        self.assertRegex(parts.path, r"^/_uprintd/uploads/[^/]+$", url)
        q = urllib.parse.parse_qs(parts.query)
        self.assertEqual(len(q.get("tempauthtoken", [])), 1, "uploadUrl %r" % url)
        self.assertTrue(q["tempauthtoken"][0], url)
        return parts.path + "?" + parts.query

    def put_range(self, path, chunk, start, total, conn=None, form="bytes ", headers=None,
                  server=None):
        """PUT chunk as bytes start..start+len-1 of total (no bearer token)."""
        h = {"Content-Range": "%s%d-%d/%d" % (form, start, start + len(chunk) - 1, total)}
        if headers:
            h.update(headers)
        return http_request(server or self.server, "PUT", path, raw=chunk, token=None,
                            headers=h, content_type="application/octet-stream", conn=conn)

    def session_state(self, path, server=None):
        r = http_request(server or self.server, "GET", path)
        self.assertEqual(r.status, 200, r)
        return r.json

    def upload_parallel(self, path, data, ranges, parallel=4, server=None):
        """PUTs data[a..b] for each (a, b) in ranges (in that order), parallel at a time, one
        connection per worker; returns [(range, Response)] in completion order."""
        srv = server or self.server
        lock = threading.Lock()
        todo = list(ranges)
        done, errors = [], []

        def worker():
            conn = srv.connection()
            try:
                while True:
                    with lock:
                        if not todo or errors:
                            return
                        a, b = todo.pop(0)
                    try:
                        r = self.put_range(path, data[a:b + 1], a, len(data), conn=conn,
                                           server=srv)
                    except BaseException as e:  # noqa: BLE001 - reported by the caller
                        with lock:
                            errors.append(e)
                        return
                    with lock:
                        done.append(((a, b), r))
                    if r.status not in (201, 202) or (r.header("Connection") or "").lower() \
                            == "close":
                        conn.close()
                        conn = srv.connection()
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(parallel)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(300)
        if errors:
            raise errors[0]
        self.assertFalse(any(th.is_alive() for th in threads), "upload workers hung")
        return done

    def upload(self, t, jid, did, data, name="a.pdf", ctype="application/pdf",
               fragment=None, server=None):
        """createUploadSession and PUT data in order (one fragment when it is small enough);
        asserts the last answer is 201; returns that printDocument."""
        s = self.create_session(t, jid, did, len(data), name, ctype, server=server)
        path = self.upload_path(s["uploadUrl"], server=server)
        fragment = fragment or min(len(data), 4 * MIB)
        conn = (server or self.server).connection()
        try:
            pos = 0
            while pos < len(data):
                chunk = data[pos:pos + fragment]
                r = self.put_range(path, chunk, pos, len(data), conn=conn, server=server)
                pos += len(chunk)
                self.assertEqual(r.status, 201 if pos == len(data) else 202, r)
        finally:
            conn.close()
        return r.json

    def ready_job(self, t, data=None, ctype="application/pdf", name="doc.pdf",
                  configuration=None, server=None):
        """A created job whose document is uploaded (paused, no details); returns
        (job id, document id)."""
        job = self.create_job(t, configuration, server=server)
        did = job["documents"][0]["id"]
        data = data if data is not None else b"%PDF-1.7 job " + job["id"].encode() + b"\n"
        self.upload(t, job["id"], did, data, name, ctype, server=server)
        return job["id"], did

    def download(self, t, jid, did, server=None, auth=None):
        """GET $value (302) and then the Location (no bearer token); returns the final
        Response."""
        srv = server or self.server
        r = self.call("GET", t.document(jid, did) + "/$value", token=t.token, server=srv)
        self.assertEqual(r.status, 302, r)
        loc = r.header("Location")
        self.assertIsNotNone(loc, "302 without Location")
        prefix = srv.base + "/_uprintd/downloads/"
        self.assertTrue(loc.startswith(prefix), "Location %r, expected %s..." % (loc, prefix))
        parts = urllib.parse.urlsplit(loc)
        self.assertIn("tempauthtoken", urllib.parse.parse_qs(parts.query), loc)
        headers = {"Authorization": auth} if auth else None
        return http_request(srv, "GET", parts.path + "?" + parts.query, token=None,
                            headers=headers)

    # --- the control surface --------------------------------------------------------------

    def control(self, pid, action, body=None, token=None, server=None, status=204):
        path = "/_uprintd/printers/%s/%s" % (pid, action)
        tok = self.admin if token is None else token
        if body is None:
            r = self.call("POST", path, token=tok, server=server)
        else:
            r = self.call("POST", path, body, token=tok, server=server)
        if status is not None:
            self.assertEqual(r.status, status, r)
        return r

    def device(self, pid, server=None):
        r = self.call("GET", "/_uprintd/printers/%s" % pid, token=self.admin, server=server)
        self.assertEqual(r.status, 200, r)
        return r.json


class JobTestCase(JobMixin, ServerTestCase):
    """One server per class (--sim-job-ms 200 unless server_args says otherwise); self.admin
    is a job administrator, self.user a delegated user, both of the default tenant."""

    server_args = ("--sim-job-ms", "200")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.admin = job_admin_token(cls.data)
            cls.user = user_token(cls.data)
            cls.prepare_class()
        except BaseException:
            # tearDownClass does not run when setUpClass fails: do not leave a server behind.
            cls.server.kill()
            cls._cleanup_tmp()
            raise

    @classmethod
    def prepare_class(cls):
        """Class-wide objects (override; cls.helper() gives an instance for the helpers)."""


class JobCliTestCase(JobMixin, CliTestCase):
    """Tests that start their own servers; self.admin and self.user as in JobTestCase."""

    @property
    def admin(self):
        if self._admin is None:
            self._admin = job_admin_token(self.data)
        return self._admin

    @property
    def user(self):
        if getattr(self, "_user", None) is None:
            self._user = user_token(self.data)
        return self._user


__all__ = [n for n in dir() if not n.startswith("_")] + ["conf", "raw_request", "uniq",
                                                         "uuid"]
