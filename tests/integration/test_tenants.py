"""Tenant isolation across every kind of object: tenant A (the default tenant) sets up a printer
with a share, an uploaded job, a job with a partly uploaded document, a pull-print queue
(definition, trigger, a held job and its task) and a physical printer; tenant B, with tokens of
every kind (a Printer Administrator with all printer, share and job scopes, a user with the
usual print scopes and the same user principal name as tenant A's user, and the very same
pull-print application), never sees nor changes any of them:

* lists of tenant B never name an object of tenant A;
* every request naming an object of tenant A by id answers as for an id that does not exist
  (404, or 400 when a bind or a parameter names it; 405 for a method the resource does not
  have), with the Graph error envelope; also with the GUIDs in upper case and the job ids
  written with a leading zero, and while tenant A's tokens of the same kind reach them;
* upload and download URLs only reach what they were made for: a URL naming tenant A's
  session or download with the tempauthtoken of tenant B's own is 404, as for an unknown id;
* tenant A's objects are unchanged afterwards.

Each request is made with a token that holds the permissions Graph requires for it, so the
expected answers do not depend on whether the server enforces scopes."""

import re
import types
import urllib.parse
import uuid

from harness import TENANT_B, http_request, jwt_claims, mint_token
from jobkit import Target
from pullkit import APP, PULL_USER, PullTestCase, pull_app_token, pull_user_token, strip

# A Printer Administrator of tenant B holding every printer, share and job scope; its token is
# issued to the pull-print application so that it may also create triggers in tenant B.
B_ADMIN_SCOPES = "Printer.FullControl.All Printer.ReadWrite.All PrinterShare.ReadWrite.All " \
                 "PrintJob.ReadWrite.All"

VERSIONS = ("v1.0", "beta")
JOB_ID_KEYS = ("jid", "ujid", "hjid", "b_hjid")  # the keys of ids that are job ids (digits)

CFG = {"configuration": {"copies": 3}}
UPLOAD_BODY = {"properties": {"documentName": "x.pdf", "contentType": "application/pdf",
                              "size": 10}}
TASK_BODY = {"status": {"state": "completed", "description": "done"}}


def b_admin_token(data_dir):
    return mint_token(data_dir, user="admin@contoso.com", name="Printer Admin", app=APP,
                      tenant=TENANT_B, roles="PrinterAdministrator", scopes=B_ADMIN_SCOPES)


def fill(value, ids):
    """value (a JSON value or a path) with {key} placeholders of its strings replaced."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def placeholders(*values):
    """The {key} placeholders used in values (strings, or JSON values holding strings)."""
    out = set()
    for v in values:
        if isinstance(v, str):
            out.update(re.findall(r"\{(\w+)\}", v))
        elif isinstance(v, dict):
            out.update(placeholders(*v.values()))
        elif isinstance(v, list):
            out.update(placeholders(*v))
    return out


class CrossTenantTests(PullTestCase):
    """self.a: tenant A's objects; self.b: tenant B's own objects and tokens."""

    @classmethod
    def prepare_pull(cls):
        h = cls.helper()
        a = types.SimpleNamespace()
        # --- tenant A (the default tenant), with tenant A's tokens ------------------------
        a.pid, a.sid = h.printer_and_share()
        a.spare = h.create_printer()["id"]          # no share: only tenancy may refuse a bind
        a.phys, a.phys_sid = h.physical_printer()   # a possible redirect destination
        ops = h.get("/v1.0/print/operations", token=cls.admin)
        h.assertEqual(ops.status, 200, ops)
        a.op_ids = [o["id"] for o in ops.json["value"]]
        a.op = a.op_ids[0]
        share_t = h.share_target(a.sid, token=cls.user)
        # A job with its document uploaded (not started) and its download URL.
        a.jid, a.did = h.ready_job(share_t, b"%PDF-1.7 tenant A\n")
        r = h.get(share_t.document(a.jid, a.did) + "/$value", token=cls.user)
        h.assertEqual(r.status, 302, r)
        a.download = h.local_path(r.header("Location"))
        # A job whose document is partly uploaded: its session stays open.
        job = h.create_job(share_t)
        a.ujid, a.udid = job["id"], job["documents"][0]["id"]
        s = h.create_session(share_t, a.ujid, a.udid, 1000)
        a.upload = h.upload_path(s["uploadUrl"])
        r = h.put_range(a.upload, b"a" * 400, 0, 1000)
        h.assertEqual(r.status, 202, r)
        a.upload_id = urllib.parse.urlsplit(a.upload).path.rsplit("/", 1)[1]
        # A pull-print queue with a held job and its task.
        a.q = h.pull_queue()
        a.hjid, a.hdid, _, task = h.held_job(a.q)
        a.task = task["id"]
        cls.a = a

        # --- tenant B: tokens of every kind, and objects of its own ----------------------
        b = types.SimpleNamespace()
        b.admin = b_admin_token(cls.data)
        b.user = pull_user_token(cls.data, tenant=TENANT_B)   # tenant A's user's UPN
        b.app = pull_app_token(cls.data, tenant=TENANT_B)     # tenant A's application
        b.tokens = {"admin": b.admin, "user": b.user, "app": b.app}
        hb = cls.helper()
        hb.admin, hb.trigger_admin, hb.app, hb.user = b.admin, b.admin, b.app, b.user
        b.q = hb.pull_queue()
        b.phys, b.phys_sid = hb.physical_printer()
        b_share_t = hb.share_target(b.q.sid, token=b.user)
        # A job uploaded (not started) and its download URL; a session partly uploaded.
        b.jid, b.did = hb.ready_job(b_share_t, b"%PDF-1.7 tenant B\n")
        r = hb.get(b_share_t.document(b.jid, b.did) + "/$value", token=b.user)
        hb.assertEqual(r.status, 302, r)
        b.download = hb.local_path(r.header("Location"))
        job = hb.create_job(b_share_t)
        s = hb.create_session(b_share_t, job["id"], job["documents"][0]["id"], 1000)
        b.upload = hb.upload_path(s["uploadUrl"])
        hb.assertEqual(hb.put_range(b.upload, b"b" * 100, 0, 1000).status, 202)
        # A held job of its own, with its task.
        b.hjid, _, _, task = hb.held_job(b.q)
        b.task = task["id"]
        cls.b = b

        # The ids requests are made with: tenant A's (and B's own), or none that exist.
        cls.ids = {"pid": a.pid, "sid": a.sid, "spare": a.spare, "aphys": a.phys,
                   "op": a.op, "jid": a.jid, "did": a.did, "ujid": a.ujid, "udid": a.udid,
                   "qpid": a.q.pid, "qsid": a.q.sid, "def": a.q.def_id,
                   "trig": a.q.trigger["id"], "hjid": a.hjid, "hdid": a.hdid,
                   "task": a.task,
                   # Tenant B's own objects (the same in both sets).
                   "b_pid": b.q.pid, "b_sid": b.q.sid, "b_phys": b.phys, "b_def": b.q.def_id,
                   "b_hjid": b.hjid, "b_task": b.task}
        n = iter(range(900000001, 900000100))
        cls.missing = {k: (str(next(n)) if k in JOB_ID_KEYS else str(uuid.uuid4()))
                       for k in cls.ids if not k.startswith("b_")}
        for k in cls.ids:
            if k.startswith("b_"):
                cls.missing[k] = cls.ids[k]

    # --- helpers --------------------------------------------------------------------------

    def local_path(self, url):
        """The request target (path and query) of a URL on this server."""
        self.assertTrue(url.startswith(self.server.base + "/"), url)
        parts = urllib.parse.urlsplit(url)
        return parts.path + "?" + parts.query

    def a_guid_ids(self):
        """Every GUID that names an object of tenant A."""
        a = self.a
        return {"printer": a.pid, "share": a.sid, "spare printer": a.spare,
                "physical printer": a.phys, "physical printer's share": a.phys_sid,
                "document": a.did, "document being uploaded": a.udid,
                "pull printer": a.q.pid, "pull share": a.q.sid, "definition": a.q.def_id,
                "trigger": a.q.trigger["id"], "held document": a.hdid, "task": a.task,
                "upload session": a.upload_id,
                **{"operation %d" % i: o for i, o in enumerate(a.op_ids)}}

    def a_job_ids(self):
        return {self.a.jid, self.a.ujid, self.a.hjid}

    def a_snapshot(self):
        """Tenant A's objects as tenant A's tokens read them."""
        a = self.a
        out = {}
        for pid in (a.pid, a.spare, a.phys, a.q.pid):
            out["printer " + pid] = strip(self.get_ok("/v1.0/print/printers/%s" % pid))
            out["jobs of " + pid] = strip(self.get_ok(
                "/v1.0/print/printers/%s/jobs?$expand=documents" % pid)["value"])
            out["device " + pid] = self.device(pid)
            out["triggers of " + pid] = strip(self.get_ok(self.triggers_path(pid),
                                                          token=self.trigger_admin)["value"])
        for sid in (a.sid, a.phys_sid, a.q.sid):
            out["share " + sid] = strip(self.get_ok("/v1.0/print/shares/%s" % sid))
        out["shares"] = sorted(s["id"] for s in self.get_ok("/v1.0/print/shares")["value"])
        out["printers"] = sorted(p["id"] for p in self.get_ok("/v1.0/print/printers")["value"])
        out["operations"] = strip(self.get_ok("/v1.0/print/operations")["value"])
        out["definitions"] = strip(self.get_ok(self.definitions_path(), token=self.app)["value"])
        out["tasks"] = strip(self.list_tasks(a.q.def_id))
        out["upload session"] = self.session_state(a.upload)
        return out

    def get_ok(self, path, token=None):
        r = self.get(path, token=token or self.admin)
        return self.assert_json_response(r)

    def assert_a_unchanged(self, before):
        after = self.a_snapshot()
        for k in before:
            self.assertEqual(after[k], before[k], "tenant A's %s changed" % k)

    def request(self, method, path, body, token):
        if body is None:
            return self.call(method, path, token=token)
        return self.call(method, path, body, token=token)

    @staticmethod
    def normalized(message, used, *id_sets):
        """message with the ids of id_sets replaced by <key>."""
        for k in sorted(used, key=lambda k: -max(len(ids[k]) for ids in id_sets)):
            for v in {ids[k] for ids in id_sets}:
                if v.isdigit():
                    message = re.sub(r"(?<![0-9])%s(?![0-9])" % re.escape(v), "<%s>" % k,
                                     message)
                else:
                    message = re.sub(re.escape(v), "<%s>" % k, message, flags=re.I)
        return message

    def variants(self):
        """(name, tenant A's ids, ids that do not exist): as they are, with GUIDs in upper
        case, and with job ids written with a leading zero (tenant B's ids as they are)."""
        def upper(ids):
            return {k: v if k.startswith("b_") else v.upper() for k, v in ids.items()}

        def zero(ids):
            return {k: "0" + v if k in JOB_ID_KEYS and not k.startswith("b_") else v
                    for k, v in ids.items()}
        return [("ids", self.ids, self.missing),
                ("upper-case GUIDs", upper(self.ids), upper(self.missing)),
                ("job ids with a leading zero", zero(self.ids), zero(self.missing))]

    def assert_as_missing(self, method, template, body, who, status=404, mentions=()):
        """method template (ids of tenant A) with each token of who answers status with the
        Graph error envelope, exactly as the same request naming objects that do not exist."""
        used = placeholders(template, body)
        for name in who.split():
            token = self.b.tokens[name]
            for variant, ids, missing in self.variants():
                if variant != "ids" and not any(ids[k] != self.ids[k] for k in used):
                    continue  # the same request again
                with self.subTest(token=name, request="%s %s" % (method, template),
                                  variant=variant):
                    r = self.request(method, fill(template, ids), fill(body, ids), token)
                    err = self.assert_error(r, status, mentions=mentions)
                    m = self.request(method, fill(template, missing), fill(body, missing),
                                     token)
                    self.assert_error(m, status)
                    self.assertEqual(r.json["error"]["code"], m.json["error"]["code"],
                                     "%r vs the missing id's %r" % (r, m))
                    self.assertEqual(self.normalized(err["message"], used, ids, missing),
                                     self.normalized(m.json["error"]["message"], used, ids,
                                                     missing),
                                     "%r vs the missing id's %r" % (r, m))
                    self.assertEqual(set(err["innerError"]), set(m.json["error"]["innerError"]))

    def run_cases(self, cases):
        """cases: (method, path template, body or None, tokens, status[, mentions])."""
        before = self.a_snapshot()
        for case in cases:
            method, template, body, who, status = case[:5]
            mentions = case[5] if len(case) > 5 else ()
            self.assert_as_missing(method, template, body, who, status, mentions)
        self.assert_a_unchanged(before)

    # --- the set-up itself ----------------------------------------------------------------

    def test_setup_is_what_the_tests_assume(self):
        a = self.a
        self.assertEqual(jwt_claims(self.admin).get("tid"), jwt_claims(self.user).get("tid"))
        for tok in self.b.tokens.values():
            self.assertEqual(jwt_claims(tok).get("tid"), TENANT_B)
            self.assertNotEqual(jwt_claims(tok).get("tid"), jwt_claims(self.admin).get("tid"))
        self.assertEqual(jwt_claims(self.b.app).get("appid"), APP)
        self.assertEqual(jwt_claims(self.app).get("appid"), APP)
        j = self.get_job(self.share_target(a.sid), a.jid, expand=True)
        self.assertEqual(j["status"]["state"], "paused", j)
        self.assertIsNotNone(j["documents"][0].get("size"), j)
        self.assertEqual(self.session_state(a.upload)["nextExpectedRanges"], ["400-999"])
        self.assertEqual(self.task_state(a.q.def_id, a.task), "processing")
        self.assert_held(self.share_target(a.q.sid), a.hjid, a.q.pid)
        self.assertEqual(self.get_task(self.b.q.def_id, self.b.task, token=self.b.app)
                         ["status"]["state"], "processing")

    # --- lists ----------------------------------------------------------------------------

    def test_lists_never_name_tenant_a_objects(self):
        b = self.b
        before = self.a_snapshot()
        guids = self.a_guid_ids()
        jobs = self.a_job_ids()
        lists = []
        for v in VERSIONS:
            lists += [
                ("admin", "/%s/print/printers" % v, "id", [b.q.pid, b.phys]),
                ("admin user", "/%s/print/shares" % v, "id", [b.q.sid, b.phys_sid]),
                ("admin", "/%s/print/operations" % v, "id", []),
                ("app", "/%s/print/taskDefinitions" % v, "id", [b.q.def_id]),
                ("app", "/%s/print/taskDefinitions/%s/tasks" % (v, b.q.def_id), "id",
                 [b.task]),
                ("admin app", "/%s/print/printers/%s/jobs" % (v, b.q.pid), "id",
                 [b.jid, b.hjid]),
                ("admin app", "/%s/print/printers/%s/jobs?$expand=documents" % (v, b.q.pid),
                 "id", [b.jid, b.hjid]),
                ("admin app", "/%s/print/printers/%s/jobs?$expand=tasks" % (v, b.q.pid),
                 "id", [b.jid, b.hjid]),
                ("admin user", "/%s/print/shares/%s/jobs" % (v, b.q.sid), "id",
                 [b.jid, b.hjid]),
                ("admin app", "/%s/print/printers/%s/jobs" % (v, b.phys), "id", []),
                ("admin", "/%s/print/printers/%s/taskTriggers" % (v, b.q.pid), "id",
                 [b.q.trigger["id"]]),
                ("admin user", "/%s/print/printers/%s/shares" % (v, b.q.pid), "id",
                 [b.q.sid]),
            ]
        lists.append(("admin user", "/beta/print/printerShares", "id", [b.q.sid, b.phys_sid]))
        for who, path, key, own in lists:
            for name in who.split():
                with self.subTest(token=name, path=path):
                    r = self.get(path, token=b.tokens[name])
                    body = self.assert_json_response(r)
                    self.assertIsInstance(body.get("value"), list, r)
                    ids = [x.get(key) for x in body["value"]]
                    for what, oid in guids.items():
                        self.assertNotIn(oid.lower(), r.text.lower(),
                                         "tenant A's %s %s in %s" % (what, oid, path))
                    for jid in jobs:
                        self.assertNotIn(jid, ids, "tenant A's job %s in %s" % (jid, path))
                    for oid in own:  # tenant B's own objects are there: the token works
                        self.assertIn(oid, ids, "tenant B's %s missing from %s" % (oid, path))
        self.assert_a_unchanged(before)

    # --- by id: printers, shares, operations ------------------------------------------------

    def printer_cases(self):
        cases = []
        for v in VERSIONS:
            p, s, o = ("/%s/print/printers/{pid}" % v, "/%s/print/shares/{sid}" % v,
                       "/%s/print/operations/{op}" % v)
            cases += [
                ("GET", p, None, "admin app", 404),
                ("GET", p + "?$select=id,displayName", None, "admin app", 404),
                ("PATCH", p, {"displayName": "stolen"}, "admin", 404),
                ("PATCH", "/%s/print/printers/{spare}" % v, {"location": {"city": "X"}},
                 "admin", 404),
                ("DELETE", "/%s/print/printers/{spare}" % v, None, "admin", 404),
                ("POST", p + "/restoreFactoryDefaults", None, "admin", 404),
                ("GET", p + "/shares", None, "admin user", 404),
                ("GET", p + "/shares/{sid}", None, "admin user", 404),
                ("GET", "/%s/print/printers/{b_pid}/shares/{sid}" % v, None, "admin user",
                 404),
                ("GET", s, None, "admin user", 404),
                ("GET", s + "/printer", None, "admin app", 404),
                ("PATCH", s, {"displayName": "stolen"}, "admin", 404),
                ("PATCH", s, {"allowAllUsers": False}, "admin", 404),
                ("DELETE", s, None, "admin", 404),
                ("GET", o, None, "admin", 404),
                ("GET", o + "/printer", None, "admin", 404),
                # Operations have no PATCH nor DELETE: 405, as for an id that does not exist.
                ("PATCH", o, {"status": {"state": "failed"}}, "admin", 405),
                ("DELETE", o, None, "admin", 405),
            ]
        cases += [
            ("GET", "/beta/print/printers/{pid}/share", None, "admin user", 404),
            ("GET", "/beta/print/printerShares/{sid}", None, "admin user", 404),
            ("GET", "/beta/print/printerShares/{sid}/printer", None, "admin", 404),
            ("PATCH", "/beta/print/printerShares/{sid}", {"displayName": "stolen"}, "admin",
             404),
            ("DELETE", "/beta/print/printerShares/{sid}", None, "admin", 404),
            ("DELETE", "/beta/print/printers/{pid}/share", None, "admin", 405),
        ]
        return cases

    def test_printers_shares_operations_by_id(self):
        self.run_cases(self.printer_cases())

    # --- by id: jobs and documents ----------------------------------------------------------

    @staticmethod
    def job_cases(root, jid, did):
        """The requests on a job of tenant A under root (a printer or share path template)."""
        j = root + "/jobs/" + jid
        d = j + "/documents/" + did
        return [
            ("GET", root + "/jobs", None),
            ("GET", root + "/jobs?$expand=documents", None),
            ("POST", root + "/jobs", {"configuration": {}}),
            ("GET", j, None),
            ("GET", j + "?$expand=documents", None),
            ("GET", j + "?$expand=tasks", None),
            ("GET", j + "/documents", None),
            ("GET", d, None),
            ("GET", d + "/$value", None),
            ("POST", d + "/createUploadSession", UPLOAD_BODY),
            ("POST", j + "/start", None),
            ("POST", j + "/cancel", None),
        ]

    def jobs_cases(self):
        cases = []
        for v in VERSIONS:
            for kind, who, own in (("printers", "admin app", "{b_pid}"),
                                   ("shares", "admin user", "{b_sid}")):
                a_root = "/%s/print/%s/%s" % (v, kind, "{pid}" if kind == "printers"
                                              else "{sid}")
                q_root = "/%s/print/%s/%s" % (v, kind, "{qpid}" if kind == "printers"
                                              else "{qsid}")
                b_root = "/%s/print/%s/%s" % (v, kind, own)
                for root, jid, did in ((a_root, "{jid}", "{did}"),
                                       (a_root, "{ujid}", "{udid}"),
                                       (q_root, "{hjid}", "{hdid}"),
                                       # Tenant B's own printer or share, tenant A's job.
                                       (b_root, "{jid}", "{did}"),
                                       (b_root, "{hjid}", "{hdid}")):
                    for method, path, body in self.job_cases(root, jid, did):
                        if method == "POST" and path.endswith("/jobs") and root == b_root:
                            continue  # creating a job in B's own queue is allowed
                        if path.endswith("/jobs") or "/jobs?" in path:
                            if root == b_root:
                                continue  # B's own lists: test_lists_never_name_...
                        # Graph has no application start/cancel: those are delegated only.
                        tokens = who
                        if path.endswith(("/start", "/cancel", "/jobs")) and method == "POST":
                            tokens = " ".join(t for t in who.split() if t != "app")
                        cases.append((method, path, body, tokens, 404))
                # Jobs have no DELETE: 405, as for an id that does not exist.
                cases += [("DELETE", a_root + "/jobs/{jid}", None, who, 405),
                          ("DELETE", q_root + "/jobs/{hjid}", None, who, 405)]
        return cases

    def test_jobs_by_id(self):
        self.run_cases(self.jobs_cases())

    # --- by id: pull printing ---------------------------------------------------------------

    def pull_cases(self):
        cases = []
        for v in VERSIONS:
            d = "/%s/print/taskDefinitions/{def}" % v
            t = d + "/tasks/{task}"
            bt = "/%s/print/taskDefinitions/{b_def}/tasks/{task}" % v
            cases += [
                ("GET", d, None, "app", 404),
                ("PATCH", d, {"displayName": "stolen"}, "app", 404),
                ("GET", d + "/tasks", None, "app", 404),
                ("GET", t, None, "app", 404),
                ("PATCH", t, TASK_BODY, "app", 404),
                ("PATCH", t, {"status": {"state": "aborted", "description": "no"}}, "app",
                 404),
                ("GET", t + "/definition", None, "app", 404),
                ("GET", t + "/trigger", None, "app", 404),
                # Tenant B's own definition, tenant A's task.
                ("GET", bt, None, "app", 404),
                ("PATCH", bt, TASK_BODY, "app", 404),
                ("GET", bt + "/definition", None, "app", 404),
                ("GET", bt + "/trigger", None, "app", 404),
                # Triggers of tenant A's printer, and tenant A's trigger under B's printer.
                ("GET", "/%s/print/printers/{qpid}/taskTriggers" % v, None, "admin", 404),
                ("GET", "/%s/print/printers/{qpid}/taskTriggers/{trig}" % v, None, "admin",
                 404),
                ("DELETE", "/%s/print/printers/{qpid}/taskTriggers/{trig}" % v, None, "admin",
                 404),
                ("GET", "/%s/print/printers/{b_pid}/taskTriggers/{trig}" % v, None, "admin",
                 404),
                ("DELETE", "/%s/print/printers/{b_pid}/taskTriggers/{trig}" % v, None,
                 "admin", 404),
                # A trigger on tenant A's printers, bound to tenant B's own definition.
                ("POST", "/%s/print/printers/{spare}/taskTriggers" % v,
                 {"event": "jobStarted", "definition@odata.bind":
                  "https://graph.microsoft.com/v1.0/print/taskDefinitions/{b_def}"},
                 "admin", 404),
                ("POST", "/%s/print/printers/{qpid}/taskTriggers" % v,
                 {"event": "jobStarted",
                  "definition@odata.bind": "print/taskDefinitions/{b_def}"}, "admin", 404),
            ]
            # The application's operations on tenant A's held job, on the printer path.
            for root in ("/%s/print/printers/{qpid}" % v, "/%s/print/printers/{b_pid}" % v):
                j = root + "/jobs/{hjid}"
                cases += [
                    ("PATCH", j, CFG, "app", 404),
                    ("POST", j + "/abort", {"reason": "no"}, "app", 404),
                    ("POST", j + "/abort", None, "app", 404),
                    ("POST", j + "/redirect", {"destinationPrinterId": "{b_phys}"}, "app",
                     404),
                    ("POST", j + "/redirect", {"destinationPrinterId": "{b_phys}",
                                               "configuration": {"copies": 2}}, "app", 404),
                    ("POST", j + "/documents/{hdid}/createUploadSession", UPLOAD_BODY, "app",
                     404),
                ]
            cases += [
                ("POST", "/%s/printerBase/jobs/{hjid}/redirect" % v,
                 {"destinationPrinterId": "{b_phys}"}, "app", 404),
                ("POST", "/%s/printerBase/jobs/{hjid}/redirect" % v,
                 {"destinationPrinterId": "{aphys}"}, "app", 404),
            ]
        return cases

    def test_pull_objects_by_id(self):
        self.run_cases(self.pull_cases())
        # Tenant A's definition is still there, unchanged, for tenant A's application.
        d = self.get_definition(self.a.q.def_id)
        self.assertEqual(d["id"], self.a.q.def_id)

    def test_definition_delete_is_404(self):
        # Apart from the other pull requests: were it not refused, the queue would be gone.
        cases = [("DELETE", "/%s/print/taskDefinitions/{def}" % v, None, "app", 404)
                 for v in VERSIONS]
        self.run_cases(cases)

    # --- binds and parameters naming tenant A's objects -------------------------------------

    def test_binds_naming_tenant_a_objects_are_400(self):
        b = self.b
        bind = "https://graph.microsoft.com/v1.0/print/printers/{spare}"
        trig_bind = "https://graph.microsoft.com/v1.0/print/taskDefinitions/{def}"
        cases = []
        for v in VERSIONS:
            cases += [
                ("POST", "/%s/print/shares" % v, {"displayName": "stolen", "allowAllUsers": True,
                                                  "printer@odata.bind": bind}, "admin", 400),
                ("POST", "/%s/print/shares" % v,
                 {"displayName": "stolen", "allowAllUsers": True,
                  "printer@odata.bind": "https://graph.microsoft.com/%s/print/printers/{pid}"
                  % v}, "admin", 400),
                ("POST", "/%s/print/shares" % v, {"displayName": "stolen", "allowAllUsers": True,
                                                  "printer@odata.bind": "print/printers/{aphys}"},
                 "admin", 400),
                ("PATCH", "/%s/print/shares/{b_sid}" % v, {"printer@odata.bind": bind},
                 "admin", 400),
                ("PATCH", "/%s/print/shares/{b_sid}" % v,
                 {"displayName": "stolen", "printer@odata.bind": "print/printers/{spare}"},
                 "admin", 400),
                # A trigger on tenant B's printer bound to tenant A's definition.
                ("POST", "/%s/print/printers/{b_phys}/taskTriggers" % v,
                 {"event": "jobStarted", "definition@odata.bind": trig_bind}, "admin", 400),
                ("POST", "/%s/print/printers/{b_phys}/taskTriggers" % v,
                 {"event": "jobStarted", "definition@odata.bind": "print/taskDefinitions/{def}"},
                 "admin", 400),
            ]
            # Tenant B's own held job redirected to a printer of tenant A.
            for path in ("/%s/print/printers/{b_pid}/jobs/{b_hjid}/redirect" % v,
                         "/%s/printerBase/jobs/{b_hjid}/redirect" % v):
                for dest in ("{aphys}", "{pid}", "{qpid}"):
                    cases.append(("POST", path, {"destinationPrinterId": dest}, "app", 400,
                                  ["destinationPrinterId"]))
                cases.append(("POST", path, {"destinationPrinterId": "{aphys}",
                                             "configuration": {"copies": 2}}, "app", 400,
                              ["destinationPrinterId"]))
        cases.append(("POST", "/beta/print/printerShares",
                      {"displayName": "stolen", "allowAllUsers": True,
                       "printer@odata.bind": bind}, "admin", 400))
        b_share = strip(self.get_ok("/v1.0/print/shares/%s" % b.q.sid, token=b.admin))
        b_triggers = strip(self.get_ok(self.triggers_path(b.phys), token=b.admin)["value"])
        b_shares = sorted(s["id"] for s in self.get_ok("/v1.0/print/shares",
                                                       token=b.admin)["value"])
        self.run_cases(cases)
        # Tenant B's objects did not change either, and its held job is still held.
        self.assertEqual(strip(self.get_ok("/v1.0/print/shares/%s" % b.q.sid,
                                           token=b.admin)), b_share)
        self.assertEqual(strip(self.get_ok(self.triggers_path(b.phys), token=b.admin)["value"]),
                         b_triggers)
        self.assertEqual(sorted(s["id"] for s in self.get_ok("/v1.0/print/shares",
                                                             token=b.admin)["value"]), b_shares)
        self.assertEqual(self.get_task(b.q.def_id, b.task, token=b.app)["status"]["state"],
                         "processing")
        j = self.get_job(Target("printers", b.q.pid, "v1.0", b.admin), b.hjid)
        self.assertEqual(j["status"]["state"], "paused", j)
        self.assertEqual(j["status"]["details"], ["releaseWait"], j)
        self.assertFalse(self.get_ok("/v1.0/print/printers/%s" % self.a.spare)["isShared"])

    # --- the control surface of the simulated devices ---------------------------------------

    def control_cases(self):
        cases = []
        for pid in ("{pid}", "{aphys}", "{qpid}"):
            root = "/_uprintd/printers/" + pid
            cases += [
                ("GET", root, None, "admin", 404),
                ("POST", root + "/hold", None, "admin", 404),
                ("POST", root + "/release", None, "admin", 404),
                ("POST", root + "/complete", {"result": "success"}, "admin", 404),
                ("POST", root + "/fail", {"state": "aborted", "errorCode": 1}, "admin", 404),
            ]
        return cases

    def test_control_surface_is_404(self):
        self.run_cases(self.control_cases())

    # --- upload and download URLs -----------------------------------------------------------

    def test_upload_url_works_only_as_it_says(self):
        before = self.a_snapshot()
        a, b = self.a, self.b
        own = http_request(self.server, "GET", a.upload)
        self.assertEqual(own.status, 200, own)
        self.assertEqual(own.json["nextExpectedRanges"], ["400-999"], own)
        # A bearer token of tenant B changes nothing: the URL's tempauthtoken decides.
        for name, tok in b.tokens.items():
            with self.subTest(bearer=name):
                r = http_request(self.server, "GET", a.upload, token=tok)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json, own.json, r)
        # The URL's token names its session only: with the ids of tenant A's other objects
        # in place of the session id, nothing is found.
        query = a.upload.split("?", 1)[1]
        for what, oid in (("document", a.udid), ("uploaded document", a.did),
                          ("job", a.ujid), ("printer", a.pid), ("unknown", str(uuid.uuid4()))):
            for method in ("GET", "DELETE"):
                with self.subTest(id=what, method=method):
                    r = http_request(self.server, method, "/_uprintd/uploads/%s?%s" % (
                        oid, query))
                    self.assert_error(r, 404)
            with self.subTest(id=what, method="PUT"):
                r = self.put_range("/_uprintd/uploads/%s?%s" % (oid, query), b"x" * 100, 400,
                                   1000)
                self.assert_error(r, 404)
        self.assert_a_unchanged(before)

    def test_upload_url_with_tenant_b_tempauthtoken_is_404(self):
        before = self.a_snapshot()
        a, b = self.a, self.b
        b_token = urllib.parse.parse_qs(b.upload.split("?", 1)[1])["tempauthtoken"][0]
        path = "/_uprintd/uploads/%s?tempauthtoken=%s" % (
            a.upload_id, urllib.parse.quote(b_token, safe=""))
        missing = "/_uprintd/uploads/%s?tempauthtoken=%s" % (
            uuid.uuid4(), urllib.parse.quote(b_token, safe=""))
        for method in ("GET", "PUT", "DELETE"):
            with self.subTest(method=method):
                if method == "PUT":
                    r = self.put_range(path, b"x" * 100, 400, 1000)
                    m = self.put_range(missing, b"x" * 100, 400, 1000)
                else:
                    r = http_request(self.server, method, path, token=b.user)
                    m = http_request(self.server, method, missing, token=b.user)
                self.assert_error(m, 404)
                self.assert_error(r, 404)
                self.assertEqual(r.json["error"]["code"], m.json["error"]["code"], r)
        self.assert_a_unchanged(before)
        # Tenant B's own session is untouched as well.
        self.assertEqual(self.session_state(b.upload)["nextExpectedRanges"], ["100-999"])

    def test_download_url_with_tenant_a_ids_is_404(self):
        before = self.a_snapshot()
        a, b = self.a, self.b
        b_query = b.download.split("?", 1)[1]
        for what, oid in (("document", a.did), ("job", a.jid), ("upload session",
                                                                 a.upload_id),
                          ("held document", a.hdid)):
            with self.subTest(id=what):
                r = http_request(self.server, "GET", "/_uprintd/downloads/%s?%s" % (
                    oid, b_query), token=b.user)
                self.assert_error(r, 404)
                self.assertNotIn(b"tenant A", r.body)
        # Tenant B's own download URL still gives tenant B's document, and no other.
        r = http_request(self.server, "GET", b.download)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"%PDF-1.7 tenant B\n")
        self.assert_a_unchanged(before)

    def test_download_url_with_tenant_b_tempauthtoken_is_404(self):
        before = self.a_snapshot()
        a, b = self.a, self.b
        b_token = urllib.parse.parse_qs(b.download.split("?", 1)[1])["tempauthtoken"][0]
        a_download_id = urllib.parse.urlsplit(a.download).path.rsplit("/", 1)[1]
        query = "tempauthtoken=" + urllib.parse.quote(b_token, safe="")
        m = http_request(self.server, "GET", "/_uprintd/downloads/%s?%s" % (uuid.uuid4(), query))
        self.assert_error(m, 404)
        r = http_request(self.server, "GET", "/_uprintd/downloads/%s?%s" % (a_download_id,
                                                                            query),
                         token=b.user)
        self.assert_error(r, 404)
        self.assertEqual(r.json["error"]["code"], m.json["error"]["code"], r)
        self.assertNotIn(b"tenant A", r.body)
        self.assert_a_unchanged(before)

    # --- the same user name in tenant B -----------------------------------------------------

    def test_same_user_name_is_another_user(self):
        a, b = self.a, self.b
        ca, cb = jwt_claims(self.user), jwt_claims(b.user)
        self.assertEqual(ca.get("upn"), PULL_USER, ca)
        self.assertEqual(cb.get("upn"), ca.get("upn"), cb)
        self.assertNotEqual(cb.get("tid"), ca.get("tid"))
        self.assertTrue(ca.get("oid") and cb.get("oid"), (ca, cb))
        self.assertNotEqual(cb.get("oid"), ca.get("oid"))
        before = self.a_snapshot()
        # Tenant A's jobs belong to tenant A's user, not to the namesake of tenant B.
        for pid, jid in ((a.pid, a.jid), (a.pid, a.ujid), (a.q.pid, a.hjid)):
            j = self.get_job(self.printer_target(pid), jid)
            self.assertEqual(j["createdBy"]["id"], ca["oid"], j)
            self.assertEqual(j["createdBy"]["userPrincipalName"], PULL_USER, j)
        for sid, jid in ((a.sid, a.jid), (a.sid, a.ujid), (a.q.sid, a.hjid)):
            for v in VERSIONS:
                with self.subTest(share=sid, job=jid, version=v):
                    self.assert_error(self.get(Target("shares", sid, v, b.user).job(jid),
                                               token=b.user), 404)
        # The namesake's own job is theirs, and tenant A's user does not see it.
        t = self.share_target(b.q.sid, token=b.user)
        job = self.create_job(t)
        self.assertEqual(job["createdBy"]["id"], cb["oid"], job)
        self.assertEqual(job["createdBy"]["userPrincipalName"], PULL_USER, job)
        mine = self.list_jobs(t)
        self.assertIn(job["id"], [x["id"] for x in mine])
        for x in mine:
            self.assertNotEqual(x["createdBy"]["id"], ca["oid"], x)
            self.assertNotIn(x["id"], self.a_job_ids())
        self.assert_error(self.get(self.share_target(a.sid).job(job["id"]), token=self.user),
                          404)
        self.assertNotIn(job["id"], self.job_ids(self.share_target(a.sid)))
        self.assertEqual(self.cancel(t, job["id"]).status, 204)
        self.assert_a_unchanged(before)

    def test_tenant_a_reaches_what_tenant_b_does_not(self):
        """The GET requests tenant B is refused answer tenant A's tokens of the same kind: the
        refusals are about tenancy, not about a path or an id that is wrong."""
        a_tokens = {"admin": self.admin, "user": self.user, "app": self.app}
        n = 0
        for method, template, body, who, status in (
                c[:5] for c in self.printer_cases() + self.jobs_cases() + self.pull_cases()
                + self.control_cases()):
            if method != "GET" or any(k.startswith("b_") for k in placeholders(template)):
                continue
            for name in who.split():
                with self.subTest(token=name, request=template):
                    r = self.get(fill(template, self.ids), token=a_tokens[name])
                    if template.endswith("{udid}/$value"):  # no content yet, for anyone
                        self.assert_error(r, 404)
                    else:
                        self.assertEqual(r.status, 302 if template.endswith("/$value") else 200,
                                         r)
                    n += 1
        self.assertGreater(n, 100)

    # --- tenant A, afterwards -----------------------------------------------------------------

    def test_zz_tenant_a_objects_still_work(self):
        """Last: tenant A's queue still does what it did before all the refusals."""
        a = self.a
        before = self.a_snapshot()
        self.assertEqual(self.task_state(a.q.def_id, a.task), "processing")
        self.assert_held(self.share_target(a.q.sid), a.hjid, a.q.pid)
        r = self.download(self.share_target(a.sid), a.jid, a.did)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"%PDF-1.7 tenant A\n")
        self.assertEqual(self.session_state(a.upload)["nextExpectedRanges"], ["400-999"])
        after = self.a_snapshot()
        # The download stamps the document; everything else is as it was.
        for k in before:
            if not k.startswith("jobs of"):
                self.assertEqual(after[k], before[k], k)
