"""Shared machinery of the pull-printing tests (test_pull, test_pull_refusals): the tokens of
the pull-print application, of the administrator who creates triggers and of the user who
prints; task definitions, triggers and tasks; a held job and its snapshot.

The cast (all of the default tenant unless said otherwise):
  self.app        the pull-print application APP (application token)
  self.other_app  another application OTHER_APP with the same permissions
  self.trigger_admin
                  a Printer Administrator, delegated, whose token was issued to APP
  self.admin      a job administrator (delegated, the default app): creates printers, shares
                  and reads jobs and the simulated devices
  self.user       the user who prints (delegated)
"""

import time
import types
import uuid

from harness import GUID_RE, mint_token, uniq
from jobkit import (POLL_STEP, POLL_TIMEOUT, TERMINAL, JobCliTestCase, JobTestCase, Target,
                    user_token)

APP = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
OTHER_APP = "0a9b8c7d-6e5f-4a3b-9c1d-2e3f4a5b6c7d"
APP_SCOPES = "PrintTaskDefinition.ReadWrite.All PrintJob.Manage.All PrintJob.ReadWrite.All " \
             "Printer.Read.All"
TRIGGER_ADMIN_SCOPES = "Printer.ReadWrite.All Printer.FullControl.All " \
                       "PrinterShare.ReadWrite.All PrintJob.ReadWrite.All"
PULL_USER = "user@contoso.com"

HELD = {"state": "paused", "details": ["releaseWait"]}


def pull_app_token(data_dir, app=APP, tenant=None):
    return mint_token(data_dir, app=app, tenant=tenant, scopes=APP_SCOPES)


def trigger_admin_token(data_dir, app=APP, tenant=None):
    return mint_token(data_dir, user="admin@contoso.com", name="Printer Admin", app=app,
                      tenant=tenant, roles="PrinterAdministrator", scopes=TRIGGER_ADMIN_SCOPES)


def pull_user_token(data_dir, tenant=None):
    return user_token(data_dir, user=PULL_USER, name="Pull User", tenant=tenant)


def strip(value):
    """value without @odata.* annotations (recursively)."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if not k.startswith("@")}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


class PullMixin:
    """Helpers over JobMixin; the tokens above must be set (see PullTestCase.setUpClass)."""

    # --- tokens ---------------------------------------------------------------------------

    def make_tokens(self):
        self.app = pull_app_token(self.data)
        self.other_app = pull_app_token(self.data, app=OTHER_APP)
        self.trigger_admin = trigger_admin_token(self.data)
        self.other_trigger_admin = trigger_admin_token(self.data, app=OTHER_APP)
        self.user = pull_user_token(self.data)

    # --- paths ----------------------------------------------------------------------------

    @staticmethod
    def definitions_path(version="v1.0"):
        return "/%s/print/taskDefinitions" % version

    def definition_path(self, def_id, version="v1.0"):
        return "%s/%s" % (self.definitions_path(version), def_id)

    def tasks_path(self, def_id, version="v1.0"):
        return self.definition_path(def_id, version) + "/tasks"

    def task_path(self, def_id, task_id, version="v1.0"):
        return "%s/%s" % (self.tasks_path(def_id, version), task_id)

    @staticmethod
    def triggers_path(pid, version="v1.0"):
        return "/%s/print/printers/%s/taskTriggers" % (version, pid)

    def trigger_path(self, pid, trigger_id, version="v1.0"):
        return "%s/%s" % (self.triggers_path(pid, version), trigger_id)

    def context(self, version, what):
        return "%s/%s/$metadata#%s" % (self.server.base, version, what)

    def job_url(self, pid, jid, version="v1.0"):
        return "%s/%s/print/printers/%s/jobs/%s" % (self.server.base, version, pid, jid)

    def assert_job_url(self, value, pid, jid, version="v1.0", what="url"):
        """value names the job under its printer: <base>/v1.0/print/printers/{pid}/jobs/{jid}
        (a request made through beta may name the beta URL)."""
        allowed = [self.job_url(pid, jid, "v1.0")]
        if version == "beta":
            allowed.append(self.job_url(pid, jid, "beta"))
        self.assertIn(value, allowed, "%s %r" % (what, value))

    def app_printer(self, pid, version="v1.0", token=None):
        """The printer path of jobs, as the application addresses them."""
        return Target("printers", pid, version, token or self.app)

    def app_share(self, sid, version="v1.0", token=None):
        return Target("shares", sid, version, token or self.app)

    # --- definitions ----------------------------------------------------------------------

    def create_definition(self, name=None, app_name="Contoso Pull", version="v1.0",
                          token=None, app_id=APP):
        """POST /print/taskDefinitions (as app_id's token); checks the 201; returns the
        definition."""
        tok = token or self.app
        name = name or uniq("Pull")
        r = self.post(self.definitions_path(version),
                      {"displayName": name, "createdBy": {"displayName": app_name}}, token=tok)
        d = self.assert_json_response(r, 201)
        self.assertEqual(d.get("@odata.context"),
                         self.context(version, "print/taskDefinitions/$entity"), r)
        self.assertRegex(d.get("id", ""), GUID_RE, r)
        self.assertEqual(d.get("displayName"), name, r)
        self.assertIsInstance(d.get("createdBy"), dict, r)
        self.assertEqual(d["createdBy"].get("appId"), app_id, r)
        self.assertEqual(d["createdBy"].get("displayName"), app_name, r)
        loc = r.header("Location")
        self.assertIsNotNone(loc, "201 without Location")
        self.assertTrue(loc.endswith("/print/taskDefinitions/%s" % d["id"]), loc)
        return d

    def get_definition(self, def_id, version="v1.0", token=None):
        r = self.get(self.definition_path(def_id, version), token=token or self.app)
        return self.assert_json_response(r)

    # --- printers and triggers ------------------------------------------------------------

    def virtual_printer(self):
        """A virtual printer (hasPhysicalDevice false) and a share of it; (pid, sid)."""
        p = self.create_printer(hasPhysicalDevice=False, physicalDeviceId=None)
        self.assertIs(p.get("hasPhysicalDevice"), False, p)
        s = self.create_share(p["id"])
        return p["id"], s["id"]

    def physical_printer(self, token=None, server=None):
        """A printer with a (simulated) device and a share of it; (pid, sid)."""
        tok = token or self.admin
        p = self.create_printer(token=tok, server=server, hasPhysicalDevice=True,
                                physicalDeviceId=str(uuid.uuid4()))
        s = self.create_share(p["id"], token=tok, server=server)
        return p["id"], s["id"]

    def definition_bind(self, def_id, version="v1.0", relative=False):
        if relative:
            return "print/taskDefinitions/%s" % def_id
        return "https://graph.microsoft.com/%s/print/taskDefinitions/%s" % (version, def_id)

    def create_trigger(self, pid, def_id, version="v1.0", relative=False, token=None):
        """POST /print/printers/{pid}/taskTriggers; checks the 201; returns the trigger."""
        r = self.post(self.triggers_path(pid, version),
                      {"event": "jobStarted",
                       "definition@odata.bind": self.definition_bind(def_id, version, relative)},
                      token=token or self.trigger_admin)
        t = self.assert_json_response(r, 201)
        self.assertEqual(t.get("@odata.context"), self.context(
            version, "print/printers('%s')/taskTriggers/$entity" % pid), r)
        self.assertIsInstance(t.get("id"), str, r)
        self.assertTrue(t["id"], r)
        self.assertEqual(t.get("event"), "jobStarted", r)
        return t

    def pull_queue(self, version="v1.0", definition=None):
        """A definition (new unless given), a virtual printer with a share and a trigger on
        it."""
        d = definition or self.create_definition(version=version)
        pid, sid = self.virtual_printer()
        trig = self.create_trigger(pid, d["id"], version)
        return types.SimpleNamespace(definition=d, def_id=d["id"], pid=pid, sid=sid,
                                     trigger=trig, version=version)

    # --- held jobs and tasks --------------------------------------------------------------

    def user_job(self, q, configuration=None, data=None, version=None):
        """The user creates a job on the share of q and uploads its document (not started);
        returns (job id, document id, data)."""
        t = self.share_target(q.sid, version or q.version, token=self.user)
        job = self.create_job(t, configuration)
        jid, did = job["id"], job["documents"][0]["id"]
        data = data if data is not None else b"%PDF-1.7 pull job " + jid.encode() + b"\n"
        self.upload(t, jid, did, data, "pull.pdf", "application/pdf")
        return jid, did, data

    def held_job(self, q, configuration=None, data=None, version=None):
        """A job the user printed through the share of q: created, uploaded and started; the
        trigger holds it. Returns (job id, document id, data, task)."""
        version = version or q.version
        jid, did, data = self.user_job(q, configuration, data, version)
        t = self.share_target(q.sid, version, token=self.user)
        r = self.start(t, jid)
        status = self.assert_json_response(r, 200)
        self.assertEqual(status.get("state"), "paused", r)
        self.assertEqual(status.get("details"), ["releaseWait"], r)
        task = self.task_of_job(q.def_id, q.pid, jid, version=version)
        return jid, did, data, task

    def list_tasks(self, def_id, version="v1.0", token=None):
        r = self.get(self.tasks_path(def_id, version), token=token or self.app)
        body = self.assert_json_response(r)
        self.assertEqual(body.get("@odata.context"), self.context(
            version, "print/taskDefinitions('%s')/tasks" % def_id), r)
        self.assertIsInstance(body.get("value"), list, r)
        return body["value"]

    def task_of_job(self, def_id, pid, jid, version="v1.0"):
        """The one task of the definition whose parentUrl names the job."""
        tasks = self.list_tasks(def_id, version)
        mine = []
        for t in tasks:
            url = t.get("parentUrl") or ""
            if url.endswith("/print/printers/%s/jobs/%s" % (pid, jid)):
                mine.append(t)
        self.assertEqual(len(mine), 1, "tasks of job %s in %r" % (jid, tasks))
        task = mine[0]
        self.assertIsInstance(task.get("id"), str, task)
        self.assertTrue(task["id"], task)
        self.assert_job_url(task["parentUrl"], pid, jid, version, "parentUrl")
        self.assertIsInstance(task.get("status"), dict, task)
        self.assertIsInstance(task["status"].get("description"), str, task)
        return task

    def get_task(self, def_id, task_id, version="v1.0", token=None):
        r = self.get(self.task_path(def_id, task_id, version), token=token or self.app)
        task = self.assert_json_response(r)
        self.assertEqual(task.get("@odata.context"), self.context(
            version, "print/taskDefinitions('%s')/tasks/$entity" % def_id), r)
        return task

    def task_state(self, def_id, task_id, version="v1.0"):
        return self.get_task(def_id, task_id, version)["status"]["state"]

    def patch_task(self, def_id, task_id, state, description="done", version="v1.0",
                   token=None):
        return self.patch(self.task_path(def_id, task_id, version),
                          {"status": {"state": state, "description": description}},
                          token=token or self.app)

    def complete_task(self, def_id, task_id, version="v1.0"):
        r = self.patch_task(def_id, task_id, "completed", "done", version)
        task = self.assert_json_response(r)
        self.assertEqual(task["status"]["state"], "completed", r)
        return task

    def assert_held(self, t, jid, pid):
        """The job waits for its task and the device has not taken it."""
        j = self.get_job(t, jid)
        self.assertEqual(j["status"]["state"], "paused", j)
        self.assertEqual(j["status"]["details"], ["releaseWait"], j)
        d = self.device(pid)
        self.assertIsNone(d.get("currentJobId"), d)
        self.assertEqual(d.get("queue"), [], d)
        return j

    def assert_device_empty(self, pid):
        """The simulated device of the printer prints nothing and has nothing queued."""
        d = self.device(pid)
        self.assertIsNone(d.get("currentJobId"), d)
        self.assertEqual(d.get("queue"), [], d)
        return d

    def wait_task(self, def_id, task_id, state, timeout=POLL_TIMEOUT, version="v1.0"):
        deadline = time.monotonic() + timeout
        while True:
            task = self.get_task(def_id, task_id, version)
            if task["status"]["state"] == state:
                return task
            if time.monotonic() > deadline:
                self.fail("task %s did not become %s within %.0f s; last: %r" % (
                    task_id, state, timeout, task))
            time.sleep(POLL_STEP)

    # --- before/after ---------------------------------------------------------------------

    def pull_snapshot(self, q, jid, task_id=None):
        """The job (as the job administrator reads it, with its documents), the device of its
        printer, and its task: to compare before and after a refused request."""
        out = {"job": self.snapshot(self.printer_target(q.pid), jid),
               "device": self.device(q.pid)}
        if task_id is not None:
            out["task"] = strip(self.get_task(q.def_id, task_id))
        return out

    def assert_refused_unchanged(self, q, jid, task_id, request, status, mentions=(),
                                 code=None):
        """request() is refused with status (and a Graph error); nothing changed."""
        before = self.pull_snapshot(q, jid, task_id)
        r = request()
        self.assert_error(r, status, code, mentions=mentions)
        after = self.pull_snapshot(q, jid, task_id)
        self.assertEqual(after, before, "refused %s %s changed something" % (r.method, r.path))
        return r


class PullTestCase(PullMixin, JobTestCase):
    """One server per class, --sim-job-ms 100."""

    server_args = ("--sim-job-ms", "100")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            h = cls.helper()
            h.make_tokens()
            for k in ("app", "other_app", "trigger_admin", "other_trigger_admin", "user"):
                setattr(cls, k, getattr(h, k))
            cls.prepare_pull()
        except BaseException:
            cls.server.kill()
            cls._cleanup_tmp()
            raise

    @classmethod
    def prepare_pull(cls):
        """Class-wide pull objects (override)."""


class PullCliTestCase(PullMixin, JobCliTestCase):
    """Tests that start their own servers (timeouts, restarts)."""

    def setUp(self):
        super().setUp()
        self.make_tokens()

    @property
    def user(self):  # the pull user, not JobCliTestCase's
        return self._pull_user

    @user.setter
    def user(self, value):
        self._pull_user = value


__all__ = [n for n in dir() if not n.startswith("_")] + ["TERMINAL", "uniq", "uuid"]
