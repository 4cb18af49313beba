#!/usr/bin/env python3
"""Crash safety: a mixed load against the real server, SIGKILL at random moments, restarts on
the same data folder, and a check that nothing acknowledged was lost.

    crash.py --binary build/uprintd [--kills 20] [--workers 6] [--seed N] [--durability MODE]
             [--keep] [--json FILE]

Workers create jobs on three printers with simulated devices and on one printer held by a
pull-print trigger, upload their documents (random bytes, in 1 to 3 fragments), start them,
cancel some, and (as the pull-print application) release or abort held ones. Every answer is
recorded: 2xx (acknowledged), 4xx (refused: the expected outcome when, say, a cancel comes
after the job completed) or unknown (the connection broke: the server was killed). A job is
left alone after its first unknown step. Meanwhile the server is killed with SIGKILL at random
moments and restarted on the same folder. Afterwards, on a last restart:

- every acknowledged job exists, in a state its acknowledged steps (and an unknown last step)
  allow; started jobs reach it (completed, canceled, aborted, or held by their task): none is
  stuck;
- every acknowledged upload has its exact bytes (SHA-256 of $value);
- with the server stopped: PRAGMA integrity_check and foreign_key_check pass; the data folder
  holds nothing but the database, the key, one file per uploaded document (of the document's
  size) and one spool file per open upload session.

Exit status 0 when all of it holds, 1 otherwise. Standard library only.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Server, mint_token  # noqa: E402

BASE = "http://crash.example.test"
APP = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ADMIN_SCOPES = "Printer.FullControl.All PrinterShare.ReadWrite.All PrintJob.ReadWrite.All"
APP_SCOPES = ("PrintTaskDefinition.ReadWrite.All PrintJob.Manage.All PrintJob.ReadWrite.All "
              "Printer.Read.All")
SIM_JOB_MS = 5
TERMINAL = ("completed", "canceled", "aborted")


class Unknown(Exception):
    """The request's outcome is unknown: the connection broke."""


class Client:
    """One keep-alive connection to the current server; reconnects after a failure."""

    def __init__(self, driver):
        self.driver = driver
        self.conn = None

    def call(self, method, path, body=None, token=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            if self.conn is None:
                port = self.driver.port
                if port is None:
                    raise Unknown("no server")
                self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Unknown(repr(e))
        ctype = r.getheader("Content-Type") or ""
        parsed = None
        if data and "json" in ctype:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
        return r.status, r, parsed, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class JobRecord:
    def __init__(self, printer, pull):
        self.printer = printer
        self.pull = pull
        self.id = None
        self.document = None
        self.steps = []      # (step, outcome): acked | refused | unknown
        self.sha256 = None   # of the acknowledged upload
        self.size = None

    def path(self):
        return "/v1.0/print/printers/%s/jobs/%s" % (self.printer, self.id)

    def allowed(self):
        """(states the job may end in, whether it must reach one of them by itself)."""
        states, settle = {"paused"}, False
        for step, outcome in self.steps:
            if outcome == "refused":
                continue
            if step == "start":
                new = {"paused"} if self.pull else {"completed"}
                settle = not self.pull
            elif step == "cancel":
                new = {"canceled"}
                settle = False
            elif step == "release":
                new, settle = {"completed"}, True
            elif step == "abort":
                new, settle = {"aborted"}, False
            else:
                continue
            states = new if outcome == "acked" else states | new
            if outcome == "unknown":
                settle = False
        return states, settle


class Driver:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.tmp = tempfile.mkdtemp(prefix="uprintd-crash-")
        self.data = os.path.join(self.tmp, "data")
        self.image = os.path.join(self.tmp, "image")
        self.server = None
        self.port = None
        self.up = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.jobs = []
        self.problems = []
        self.counts = {"acked": 0, "refused": 0, "unknown": 0, "kills": 0, "requests": 0,
                       "recovered_at_start": 0}

    # --- the server -------------------------------------------------------------------------

    def start(self):
        # No quotas: one user creates thousands of jobs and abandons upload sessions on purpose.
        args = ["--sim-job-ms", str(SIM_JOB_MS), "--access-log", "off", "--job-quota", "0",
                "--max-upload-sessions", "0",
                "--durability", self.args.durability]
        self.server = Server(self.data, args=args, base_url=BASE).start()
        self.port = self.server.port
        self.up.set()

    def kill(self):
        self.up.clear()
        self.port = None
        self.server.kill()
        self.note_recoveries()
        if self.args.powercut:
            self.power_cut()
        report = self.server.sanitizer_report()
        if report:
            self.problem("sanitizer report:\n" + report)

    # --- power cuts (--powercut LIB: tests/crash/powercut.c) -----------------------------------

    def image_entries(self):
        return os.path.join(self.image, "entries")

    def reset_image(self):
        """The image becomes the data folder as it is (all of it durable)."""
        shutil.rmtree(self.image, ignore_errors=True)
        os.makedirs(os.path.join(self.image, "inodes"))
        os.makedirs(self.image_entries())
        for root, _, files in os.walk(self.data):
            for name in files:
                path = os.path.join(root, name)
                ino = os.stat(path).st_ino
                snap = os.path.join(self.image, "inodes", str(ino))
                shutil.copyfile(path, snap)
                rel = os.path.relpath(path, self.data)
                os.symlink(snap, os.path.join(self.image_entries(), rel.replace("/", "%")))

    def power_cut(self):
        """After the kill, the data folder becomes what the image says survived: only what was
        fsynced (powercut.c's model)."""
        lost = 0
        kept = {}
        for name in os.listdir(self.image_entries()):
            if name.endswith(".tmp"):
                continue
            kept[name.replace("%", "/")] = os.readlink(os.path.join(self.image_entries(), name))
        for root, _, files in os.walk(self.data):
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), self.data)
                if rel not in kept:
                    lost += 1
        shutil.rmtree(self.data)
        for sub in ("", "documents", "uploads"):
            os.makedirs(os.path.join(self.data, sub), exist_ok=True)
        for rel, snap in kept.items():
            os.makedirs(os.path.dirname(os.path.join(self.data, rel)), exist_ok=True)
            shutil.copyfile(snap, os.path.join(self.data, rel))
        self.counts["files_lost_to_power_cuts"] = self.counts.get(
            "files_lost_to_power_cuts", 0) + lost
        self.reset_image()

    def note_recoveries(self):
        """Counts what the server repaired at its start (its log says so)."""
        self.counts["recovered_at_start"] += sum(
            1 for l in self.server.stderr_lines
            if "published but not recorded" in l or "of no document removed" in l)

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    # --- set-up -----------------------------------------------------------------------------

    def setup(self):
        os.makedirs(self.data)
        if self.args.powercut:
            # Every uprintd (and uprintd token) runs with the library; the image starts empty.
            self.reset_image()
            os.environ.update(LD_PRELOAD=os.path.abspath(self.args.powercut),
                              POWERCUT_DIR=os.path.realpath(self.data),
                              POWERCUT_IMAGE=os.path.realpath(self.image),
                              ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                              ":verify_asan_link_order=0")
        self.admin = mint_token(self.data, user="admin@contoso.com", name="Printer Admin",
                                roles="PrinterAdministrator", scopes=ADMIN_SCOPES,
                                expires_in=86400)
        self.app = mint_token(self.data, app=APP, scopes=APP_SCOPES, expires_in=86400)
        self.trigger_admin = mint_token(self.data, user="admin@contoso.com", app=APP,
                                        roles="PrinterAdministrator", scopes=ADMIN_SCOPES,
                                        expires_in=86400)
        self.start()
        c = Client(self)
        self.printers = []
        for i in range(4):
            st, r, body, _ = c.call("POST", "/v1.0/print/printers/create", {
                "displayName": "Crash %d" % i, "manufacturer": "Contoso", "model": "C1",
                "hasPhysicalDevice": i < 3,
                "physicalDeviceId": "00000000-0000-4000-8000-00000000000%d" % i if i < 3 else None,
                "certificateSigningRequest": {"content": "MIIC", "transportKey": "MIIB"}},
                token=self.admin)
            assert st == 202, (st, body)
            op = urllib.parse.urlsplit(r.getheader("Operation-Location")).path
            st, _, body, _ = c.call("GET", op, token=self.admin)
            assert st == 200 and body.get("printer"), (st, body)
            self.printers.append(body["printer"]["id"])
        st, _, d, _ = c.call("POST", "/v1.0/print/taskDefinitions", {
            "displayName": "Crash pull", "createdBy": {"displayName": "Crash"}}, token=self.app)
        assert st == 201, (st, d)
        self.definition = d["id"]
        st, _, t, _ = c.call("POST", "/v1.0/print/printers/%s/taskTriggers" % self.printers[3], {
            "event": "jobStarted",
            "definition@odata.bind": "https://graph.microsoft.com/v1.0/print/taskDefinitions/"
                                     + d["id"]}, token=self.trigger_admin)
        assert st == 201, (st, t)
        c.close()

    # --- the load ---------------------------------------------------------------------------

    def step(self, job, name, fn):
        """Runs fn() -> 'acked' | 'refused'; records the outcome. False: stop this job."""
        try:
            outcome = fn()
        except Unknown:
            outcome = "unknown"
        with self.lock:
            self.counts[outcome] += 1
        job.steps.append((name, outcome))
        return outcome != "unknown"

    def expect(self, job, what, status, ok, refused=()):
        self.counts["requests"] += 1
        if status in ok:
            return "acked"
        if status in refused:
            return "refused"
        self.problem("job %s: %s answered %d (expected %s)" % (job.id, what, status, ok))
        return "refused"

    def run_job(self, c, rng):
        pull = rng.random() < 0.25
        job = JobRecord(self.printers[3] if pull else rng.choice(self.printers[:3]), pull)
        st, _, body, _ = c.call("POST", "/v1.0/print/printers/%s/jobs" % job.printer,
                                {"configuration": {"copies": rng.randint(1, 3)}},
                                token=self.admin)
        if st != 201:
            self.problem("create answered %d: %r" % (st, body))
            return
        job.id, job.document = body["id"], body["documents"][0]["id"]
        job.steps.append(("create", "acked"))
        with self.lock:
            self.jobs.append(job)
            self.counts["acked"] += 1
            self.counts["requests"] += 1

        size = rng.choice((1, 100, 4096, 65536, rng.randint(1, 300000)))
        data = rng.randbytes(size)

        def upload():
            st, _, s, _ = c.call("POST", "%s/documents/%s/createUploadSession" % (
                job.path(), job.document), {"properties": {
                    "documentName": "c.pdf", "contentType": "application/pdf", "size": size}},
                token=self.admin)
            if self.expect(job, "createUploadSession", st, (200,)) != "acked":
                return "refused"
            up = urllib.parse.urlsplit(s["uploadUrl"])
            path = up.path + "?" + up.query
            cuts = sorted(rng.sample(range(1, size), min(size - 1, rng.randint(0, 2))))
            bounds = [0] + cuts + [size]
            for a, b in zip(bounds, bounds[1:]):
                st, _, _, _ = c.call("PUT", path, data[a:b], headers={
                    "Content-Range": "bytes %d-%d/%d" % (a, b - 1, size),
                    "Content-Type": "application/octet-stream"})
                last = b == size
                if self.expect(job, "PUT", st, (201,) if last else (202,)) != "acked":
                    return "refused"
            job.sha256, job.size = hashlib.sha256(data).hexdigest(), size
            return "acked"

        if not self.step(job, "upload", upload) or job.steps[-1][1] != "acked":
            return
        if rng.random() < 0.15:
            return  # left paused
        if not self.step(job, "start", lambda: self.expect(
                job, "start", c.call("POST", job.path() + "/start", token=self.admin)[0],
                (200,))):
            return
        if not job.pull and rng.random() < 0.3:
            self.step(job, "cancel", lambda: self.expect(
                job, "cancel", c.call("POST", job.path() + "/cancel", token=self.admin)[0],
                (204,), (400, 409)))
            return
        if job.pull:
            r = rng.random()
            if r < 0.2:
                return  # stays held
            st, _, j, _ = c.call("GET", job.path() + "?$expand=tasks", token=self.app)
            self.counts["requests"] += 1
            tasks = [t for t in (j or {}).get("tasks", []) if t["status"]["state"] == "processing"]
            if st != 200 or len(tasks) != 1:
                self.problem("job %s: held, but its tasks are %r (%d)" % (job.id, j, st))
                return
            name, state = ("release", "completed") if r < 0.8 else ("abort", "aborted")
            self.step(job, name, lambda: self.expect(job, name, c.call(
                "PATCH", "/v1.0/print/taskDefinitions/%s/tasks/%s" % (
                    self.definition, tasks[0]["id"]),
                {"status": {"state": state, "description": "crash test"}},
                token=self.app)[0], (200,)))

    def worker(self, seed):
        rng = random.Random(seed)
        c = Client(self)
        while not self.stop.is_set():
            if not self.up.wait(0.1):
                continue
            try:
                self.run_job(c, rng)
            except Unknown:
                pass  # the create's outcome is unknown: that job is not ours to check
            except Exception as e:  # a bug of the driver or a malformed answer
                self.problem("worker: %r" % e)
                time.sleep(0.1)
        c.close()

    def load(self):
        threads = [threading.Thread(target=self.worker, args=(self.args.seed * 100 + i,),
                                    daemon=True) for i in range(self.args.workers)]
        for t in threads:
            t.start()
        for _ in range(self.args.kills):
            time.sleep(self.rng.uniform(0.2, 1.2))
            self.kill()
            self.counts["kills"] += 1
            time.sleep(self.rng.uniform(0, 0.1))
            self.start()
        time.sleep(0.5)
        self.stop.set()
        for t in threads:
            t.join(30)
        # One more kill with everything quiet, then the server that is checked.
        self.kill()
        self.start()

    # --- the check --------------------------------------------------------------------------

    def check_jobs(self):
        c = Client(self)
        deadline = time.monotonic() + 60
        pending = list(self.jobs)
        settled = 0
        while pending:
            later = []
            for job in pending:
                st, _, j, _ = c.call("GET", job.path(), token=self.admin)
                if st != 200:
                    self.problem("acknowledged job %s answers %d: %r (steps %s)" % (
                        job.id, st, j, job.steps))
                    continue
                states, settle = job.allowed()
                state = j["status"]["state"]
                if state in states:
                    settled += 1
                    continue
                if time.monotonic() < deadline and (settle or state not in TERMINAL):
                    later.append(job)
                    continue
                self.problem("job %s is %s %s, expected %s (steps %s)%s" % (
                    job.id, state, j["status"].get("details"), sorted(states), job.steps,
                    " - stuck" if settle else ""))
            pending = later
            if pending:
                time.sleep(0.2)
        uploads = 0
        for job in self.jobs:
            if not job.sha256:
                continue
            st, r, _, _ = c.call("GET", "%s/documents/%s/$value" % (job.path(), job.document),
                                 token=self.admin)
            if st != 302:
                self.problem("job %s: $value answered %d" % (job.id, st))
                continue
            loc = urllib.parse.urlsplit(r.getheader("Location"))
            st, _, _, data = c.call("GET", loc.path + "?" + loc.query)
            if st != 200 or hashlib.sha256(data).hexdigest() != job.sha256:
                self.problem("job %s: document of %d bytes came back as %d bytes (status %d), "
                             "SHA-256 %s" % (job.id, job.size, len(data), st,
                                             "differs" if st == 200 else "-"))
            uploads += 1
        c.close()
        return settled, uploads

    def check_files(self):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data, "uprintd.db"), uri=True)
        try:
            ok = db.execute("PRAGMA integrity_check").fetchall()
            if ok != [("ok",)]:
                self.problem("integrity_check: %r" % ok[:5])
            fk = db.execute("PRAGMA foreign_key_check").fetchall()
            if fk:
                self.problem("foreign_key_check: %r" % fk[:5])
            docs = dict(db.execute(
                "SELECT id, size FROM documents WHERE uploaded_at IS NOT NULL").fetchall())
            sessions = {r[0] for r in db.execute("SELECT id FROM uploads")}
        finally:
            db.close()
        allowed = {"uprintd.db", "uprintd.db-wal", "uprintd.db-shm", "signing.key", "documents",
                   "uploads"}
        extra = set(os.listdir(self.data)) - allowed
        if extra:
            self.problem("unexpected files in the data folder: %s" % sorted(extra))
        files = os.listdir(os.path.join(self.data, "documents"))
        for name in files:
            p = os.path.join(self.data, "documents", name)
            if name not in docs:
                self.problem("documents/%s belongs to no uploaded document" % name)
            elif os.path.getsize(p) != docs[name]:
                self.problem("documents/%s has %d bytes, its document %d" % (
                    name, os.path.getsize(p), docs[name]))
        for d, size in docs.items():
            if size and d not in files:
                self.problem("uploaded document %s has no file" % d)
        spools = os.listdir(os.path.join(self.data, "uploads"))
        for name in spools:
            if not name.endswith(".part") or name[:-5] not in sessions:
                self.problem("uploads/%s belongs to no upload session" % name)
        return len(files), len(spools)

    def run(self):
        t0 = time.monotonic()
        self.setup()
        self.load()
        settled, uploads = self.check_jobs()
        rc = self.server.stop()
        self.note_recoveries()
        if rc != 0:
            self.problem("uprintd exited %s on SIGTERM" % rc)
        report = self.server.sanitizer_report()
        if report:
            self.problem("sanitizer report:\n" + report)
        files, spools = self.check_files()
        result = dict(self.counts, jobs=len(self.jobs), settled=settled, uploads_checked=uploads,
                      document_files=files, spool_files=spools, problems=len(self.problems),
                      durability=self.args.durability, power_cuts=bool(self.args.powercut),
                      seconds=round(time.monotonic() - t0, 1),
                      seed=self.args.seed)
        print("crash: %s" % json.dumps(result))
        for p in self.problems[:40]:
            print("PROBLEM: " + p)
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump(dict(result, problem_list=self.problems), f, indent=1)
        return 1 if self.problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--durability", default="normal", choices=("normal", "full", "full-each"))
    ap.add_argument("--keep", action="store_true", help="keep the data folder")
    ap.add_argument("--powercut", metavar="LIB",
                    help="simulate power cuts: the server runs with this build of "
                         "tests/crash/powercut.c, and after each kill only what was fsynced "
                         "is kept")
    ap.add_argument("--json", help="write the figures and problems to this file")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 30)
    harness.CONFIG.binary = os.path.abspath(args.binary)
    d = Driver(args)
    try:
        return d.run()
    finally:
        if d.server and d.server.alive():
            d.server.kill()
        if args.keep:
            print("crash: data folder kept: " + d.data)
        else:
            import shutil
            shutil.rmtree(d.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
