"""Pull printing: what is refused, and that a refusal changes nothing (the job with its
documents, the device of its printer, its task, the definitions, the triggers).

Task definitions: application tokens only; another application's definition is 404.
Triggers: a delegated Printer Administrator whose token was issued to the definition's
application; one per printer; event jobStarted; a definition that exists.
Job operations of the application (PATCH, abort, redirect): not for delegated tokens nor
another application (403), only on a job held by a processing task of the caller's trigger
(400), PATCH only of a valid configuration, redirect only to a printer of the tenant.
Tasks: only completed or aborted, only while processing."""

import types
import uuid

from harness import TENANT_B, mint_token
from jobkit import TERMINAL, USER_SCOPES, Target, job_admin_token
from pullkit import APP, OTHER_APP, PullTestCase, pull_app_token, strip


class PullDefinitionRefusalTests(PullTestCase):

    def definition_ids(self, token=None):
        r = self.get(self.definitions_path(), token=token or self.app)
        self.assertEqual(r.status, 200, r)
        return sorted(x["id"] for x in r.json["value"])

    def test_create_refusals(self):
        before = self.definition_ids()
        cases = [({"createdBy": {"displayName": "Contoso Pull"}}, ["displayName"]),
                 ({"displayName": "Pull", "createdBy": {"displayName": "Contoso Pull",
                                                        "appId": APP}}, ["appId"]),
                 ({"displayName": "Pull", "createdBy": {"appId": OTHER_APP}}, ["appId"]),
                 ({"displayName": "Pull", "createdBy": {"displayName": "C"}, "bogus": 1},
                  ["bogus"]),
                 ({"displayName": "Pull", "color": "red"}, ["color"])]
        for version in ("v1.0", "beta"):
            for body, mentions in cases:
                with self.subTest(version=version, body=body):
                    r = self.post(self.definitions_path(version), body, token=self.app)
                    self.assert_error(r, 400, mentions=mentions)
            for raw in (b"[]", b"{", b""):
                with self.subTest(version=version, raw=raw):
                    r = self.post(self.definitions_path(version), raw=raw, token=self.app)
                    self.assert_error(r, 400)
        self.assertEqual(self.definition_ids(), before, "a refused create left a definition")

    def test_patch_refusals(self):
        d = self.create_definition()
        path = self.definition_path(d["id"])
        for body, mentions in (({"createdBy": {"appId": OTHER_APP}}, ["appId"]),
                               ({"bogus": 1}, ["bogus"]),
                               ({"displayName": "X", "tasks": []}, ["tasks"])):
            with self.subTest(body=body):
                self.assert_error(self.patch(path, body, token=self.app), 400,
                                  mentions=mentions)
        self.assertEqual(strip(self.get_definition(d["id"])), strip(d))

    def test_delegated_tokens_are_403(self):
        d = self.create_definition()
        q = self.pull_queue(definition=d)
        jid, _, _, task = self.held_job(q)
        before = self.definition_ids()
        delegated = {"user": self.user, "admin": self.admin,
                     "trigger admin (same app)": self.trigger_admin}
        requests = [("POST", self.definitions_path(), {"displayName": "X",
                                                       "createdBy": {"displayName": "X"}}),
                    ("GET", self.definitions_path(), None),
                    ("GET", self.definition_path(d["id"]), None),
                    ("PATCH", self.definition_path(d["id"]), {"displayName": "Stolen"}),
                    ("DELETE", self.definition_path(d["id"]), None),
                    ("GET", self.tasks_path(d["id"]), None),
                    ("GET", self.task_path(d["id"], task["id"]), None),
                    ("PATCH", self.task_path(d["id"], task["id"]),
                     {"status": {"state": "completed", "description": "x"}}),
                    ("GET", "/beta/print/taskDefinitions", None)]
        for who, tok in delegated.items():
            for method, path, body in requests:
                with self.subTest(token=who, request=method + " " + path):
                    r = self.call(method, path, body, token=tok) if body is not None else \
                        self.call(method, path, token=tok)
                    self.assert_error(r, 403)
        self.assertEqual(self.definition_ids(), before)
        self.assertEqual(strip(self.get_definition(d["id"])), strip(d))
        self.assertEqual(self.task_state(d["id"], task["id"]), "processing")
        self.assert_held(self.share_target(q.sid), jid, q.pid)

    def test_no_token_is_401(self):
        d = self.create_definition()
        for method, path in (("GET", self.definitions_path()),
                             ("GET", self.definition_path(d["id"])),
                             ("GET", self.tasks_path(d["id"]))):
            with self.subTest(request=method + " " + path):
                self.assert_error(self.call(method, path, token=None), 401)

    def test_unknown_definition_is_404(self):
        for path in (self.definition_path(str(uuid.uuid4())),
                     self.tasks_path(str(uuid.uuid4())),
                     self.task_path(str(uuid.uuid4()), str(uuid.uuid4()))):
            with self.subTest(path=path):
                self.assert_error(self.get(path, token=self.app), 404)
        self.assert_error(self.patch(self.definition_path(str(uuid.uuid4())),
                                     {"displayName": "x"}, token=self.app), 404)
        self.assert_error(self.delete(self.definition_path(str(uuid.uuid4())),
                                      token=self.app), 404)

    def test_another_tenant_does_not_see_the_definition(self):
        d = self.create_definition()
        other = pull_app_token(self.data, tenant=TENANT_B)  # the same application elsewhere
        self.assert_error(self.get(self.definition_path(d["id"]), token=other), 404)
        r = self.get(self.definitions_path(), token=other)
        self.assertNotIn(d["id"], [x["id"] for x in self.assert_json_response(r)["value"]])
        self.assert_error(self.delete(self.definition_path(d["id"]), token=other), 404)
        self.assertEqual(strip(self.get_definition(d["id"])), strip(d))


class PullTriggerRefusalTests(PullTestCase):

    @classmethod
    def prepare_pull(cls):
        h = cls.helper()
        cls.d = h.create_definition()
        cls.other_d = h.create_definition(token=cls.other_app, app_id=OTHER_APP)

    def state_of(self, pid):
        r = self.get(self.triggers_path(pid), token=self.trigger_admin)
        self.assertEqual(r.status, 200, r)
        return [strip(x) for x in r.json["value"]]

    def test_bad_requests(self):
        pid, _ = self.virtual_printer()
        bind = self.definition_bind(self.d["id"])
        cases = [("jobFinished", {"event": "jobFinished", "definition@odata.bind": bind}, 400),
                 ("event bad", {"event": 3, "definition@odata.bind": bind}, 400),
                 ("no event", {"definition@odata.bind": bind}, 400),
                 ("unknown definition", {"event": "jobStarted", "definition@odata.bind":
                                         self.definition_bind(str(uuid.uuid4()))}, 400),
                 ("bind not a URL", {"event": "jobStarted", "definition@odata.bind": "x y"},
                  400),
                 ("bind to a printer", {"event": "jobStarted", "definition@odata.bind":
                                        self.bind(pid)}, 400),
                 ("bind not a string", {"event": "jobStarted", "definition@odata.bind": 7},
                  400),
                 ("no bind", {"event": "jobStarted"}, 400),
                 ("unknown property", {"event": "jobStarted", "definition@odata.bind": bind,
                                       "bogus": 1}, 400)]
        for version in ("v1.0", "beta"):
            for what, body, status in cases:
                with self.subTest(version=version, case=what):
                    r = self.post(self.triggers_path(pid, version), body,
                                  token=self.trigger_admin)
                    self.assert_error(r, status)
        self.assertEqual(self.state_of(pid), [])
        # Still possible afterwards.
        self.create_trigger(pid, self.d["id"])

    def test_wrong_callers(self):
        pid, _ = self.virtual_printer()
        body = {"event": "jobStarted",
                "definition@odata.bind": self.definition_bind(self.d["id"])}
        user_of_app = self.mint_user_of_app()
        cases = [("admin of another app", self.other_trigger_admin, 403),
                 ("admin of the default app", self.admin, 403),
                 ("the application itself", self.app, 403),
                 ("a user signed in to the app", user_of_app, 403),
                 ("no token", None, 401)]
        for what, tok, status in cases:
            with self.subTest(caller=what):
                self.assert_error(self.post(self.triggers_path(pid), body, token=tok), status)
        # The definition of another application, bound by this application's admin.
        r = self.post(self.triggers_path(pid), {
            "event": "jobStarted",
            "definition@odata.bind": self.definition_bind(self.other_d["id"])},
            token=self.trigger_admin)
        self.assertIn(r.status, (400, 403), r)
        self.assert_error(r, r.status)
        self.assertEqual(self.state_of(pid), [])

    def mint_user_of_app(self):
        return mint_token(self.data, user="carol@contoso.com", app=APP, scopes=USER_SCOPES)

    def test_unknown_printer_is_404(self):
        body = {"event": "jobStarted",
                "definition@odata.bind": self.definition_bind(self.d["id"])}
        for version in ("v1.0", "beta"):
            with self.subTest(version=version):
                r = self.post(self.triggers_path(str(uuid.uuid4()), version), body,
                              token=self.trigger_admin)
                self.assert_error(r, 404)
                self.assert_error(self.get(self.triggers_path(str(uuid.uuid4()), version),
                                           token=self.trigger_admin), 404)

    def test_second_trigger_and_unknown_trigger(self):
        q = self.pull_queue(definition=self.d)
        before = self.state_of(q.pid)
        d2 = self.create_definition()
        for bind in (self.definition_bind(self.d["id"]), self.definition_bind(d2["id"]),
                     self.definition_bind(d2["id"], relative=True)):
            with self.subTest(bind=bind):
                r = self.post(self.triggers_path(q.pid),
                              {"event": "jobStarted", "definition@odata.bind": bind},
                              token=self.trigger_admin)
                self.assert_error(r, 409)
        for path in (self.trigger_path(q.pid, str(uuid.uuid4())),):
            self.assert_error(self.get(path, token=self.trigger_admin), 404)
            self.assert_error(self.delete(path, token=self.trigger_admin), 404)
        # Another printer's trigger id under this printer.
        q2 = self.pull_queue(definition=self.d)
        self.assert_error(self.get(self.trigger_path(q.pid, q2.trigger["id"]),
                                   token=self.trigger_admin), 404)
        self.assert_error(self.delete(self.trigger_path(q.pid, q2.trigger["id"]),
                                      token=self.trigger_admin), 404)
        self.assertEqual(self.state_of(q.pid), before)
        self.assertEqual(len(self.state_of(q2.pid)), 1)

    def test_delete_by_another_app_is_refused(self):
        q = self.pull_queue(definition=self.d)
        before = self.state_of(q.pid)
        r = self.delete(self.trigger_path(q.pid, q.trigger["id"]),
                        token=self.other_trigger_admin)
        self.assertIn(r.status, (403, 404), r)
        self.assert_error(r, r.status)
        self.assertEqual(self.state_of(q.pid), before)


class PullJobRefusalTests(PullTestCase):

    @classmethod
    def prepare_pull(cls):
        h = cls.helper()
        cls.q = h.pull_queue()
        cls.phys, cls.phys_sid = h.physical_printer()

    # --- the three operations -------------------------------------------------------------

    def ops(self, jid, dest=None):
        """name -> function(target) doing the operation on job jid through target."""
        dest = dest or self.phys
        return {
            "PATCH": lambda t: self.patch(t.job(jid), {"configuration": {"copies": 3}},
                                          token=t.token),
            "abort": lambda t: self.post(t.job(jid) + "/abort", {"reason": "no"},
                                         token=t.token),
            "redirect": lambda t: self.post(t.job(jid) + "/redirect",
                                            {"destinationPrinterId": dest}, token=t.token),
        }

    def base_redirect(self, jid, token, version="v1.0", dest=None):
        return self.post("/%s/printerBase/jobs/%s/redirect" % (version, jid),
                         {"destinationPrinterId": dest or self.phys}, token=token)

    def targets(self, q, token, all_four=False):
        ts = [self.app_printer(q.pid, "v1.0", token), self.app_share(q.sid, "beta", token)]
        if all_four:
            ts += [self.app_printer(q.pid, "beta", token), self.app_share(q.sid, "v1.0", token)]
        return ts

    def all_refused(self, q, jid, task_id, token, status, all_four=False, base=True):
        for name, op in self.ops(jid).items():
            for t in self.targets(q, token, all_four):
                with self.subTest(op=name, target=repr(t)):
                    self.assert_refused_unchanged(q, jid, task_id, lambda: op(t), status)
        if base:
            for version in ("v1.0", "beta"):
                with self.subTest(op="printerBase redirect", version=version):
                    self.assert_refused_unchanged(
                        q, jid, task_id, lambda: self.base_redirect(jid, token, version),
                        status)

    # --- who ------------------------------------------------------------------------------

    def test_delegated_tokens_are_403(self):
        jid, _, _, task = self.held_job(self.q)
        for who, tok in (("user", self.user), ("admin", self.admin),
                         ("trigger admin of the app", self.trigger_admin)):
            with self.subTest(token=who):
                self.all_refused(self.q, jid, task["id"], tok, 403)
        self.assert_held(self.share_target(self.q.sid), jid, self.q.pid)

    def test_another_application_is_403(self):
        jid, _, _, task = self.held_job(self.q)
        self.all_refused(self.q, jid, task["id"], self.other_app, 403, all_four=True)
        # Even one with a trigger of its own on another printer.
        od = self.create_definition(token=self.other_app, app_id=OTHER_APP)
        pid, _ = self.virtual_printer()
        self.create_trigger(pid, od["id"], token=self.other_trigger_admin)
        self.all_refused(self.q, jid, task["id"], self.other_app, 403, base=False)
        self.assert_held(self.share_target(self.q.sid), jid, self.q.pid)

    def test_another_tenant_does_not_find_the_job(self):
        jid, _, _, task = self.held_job(self.q)
        other = pull_app_token(self.data, tenant=TENANT_B)
        for name, op in self.ops(jid).items():
            with self.subTest(op=name):
                self.assert_refused_unchanged(
                    self.q, jid, task["id"], lambda: op(self.app_printer(self.q.pid,
                                                                         token=other)), 404)
        self.assert_refused_unchanged(self.q, jid, task["id"],
                                      lambda: self.base_redirect(jid, other), 404)

    def test_no_token_is_401(self):
        jid, _, _, task = self.held_job(self.q)
        for name, op in self.ops(jid).items():
            with self.subTest(op=name):
                self.assert_refused_unchanged(
                    self.q, jid, task["id"],
                    lambda: op(Target("printers", self.q.pid, "v1.0", None)), 401)

    # --- which jobs -----------------------------------------------------------------------

    def test_jobs_not_held_by_a_task_are_400(self):
        pid, sid = self.printer_and_share()  # no trigger
        plain = types.SimpleNamespace(pid=pid, sid=sid, def_id=None)
        ready = self.user_job(plain, version="v1.0")[0]
        self.control(pid, "hold")
        pending = self.user_job(plain, version="v1.0")[0]
        self.start_ok(self.share_target(sid), pending)
        not_started = self.user_job(self.q)[0]  # on the printer with the trigger
        for what, q, jid in (("uploaded, no trigger", plain, ready),
                             ("pending, no trigger", plain, pending),
                             ("not started yet", self.q, not_started)):
            with self.subTest(job=what):
                self.all_refused(q, jid, None, self.app, 400)
        self.assertEqual([x for x in self.list_tasks(self.q.def_id)
                          if x["parentUrl"].endswith("/jobs/%s" % not_started)], [])

    def test_jobs_whose_task_is_over_are_400(self):
        q = self.q
        # Task completed: the job printed.
        a, _, _, ta = self.held_job(q)
        self.complete_task(q.def_id, ta["id"])
        self.wait_state(self.share_target(q.sid), a, TERMINAL)
        # Task aborted through the task: the job is aborted.
        b, _, _, tb = self.held_job(q)
        r = self.patch_task(q.def_id, tb["id"], "aborted", "no")
        self.assertEqual(self.assert_json_response(r)["status"]["state"], "aborted")
        self.assertEqual(self.get_job(self.share_target(q.sid), b)["status"]["state"],
                         "aborted")
        # Aborted through the job.
        c, _, _, tc = self.held_job(q)
        self.assertEqual(self.post(self.app_printer(q.pid).job(c) + "/abort",
                                   token=self.app).status, 204)
        # Redirected: its task was completed by the redirect.
        d, _, _, td = self.held_job(q)
        r = self.post(self.app_printer(q.pid).job(d) + "/redirect",
                      {"destinationPrinterId": self.phys}, token=self.app)
        new = self.assert_json_response(r)
        self.wait_state(self.printer_target(self.phys), new["id"], TERMINAL)
        for what, jid, task in (("task completed", a, ta), ("task aborted", b, tb),
                                ("job aborted", c, tc), ("job redirected", d, td)):
            with self.subTest(job=what):
                self.all_refused(q, jid, task["id"], self.app, 400)
        # The new job of the redirect is on a printer without a trigger: not held either.
        phys_q = types.SimpleNamespace(pid=self.phys, sid=self.phys_sid, def_id=None)
        self.all_refused(phys_q, new["id"], None, self.app, 400, base=False)

    # --- what -----------------------------------------------------------------------------

    def test_patch_of_other_properties_is_400(self):
        jid, _, _, task = self.held_job(self.q)
        t = self.app_printer(self.q.pid)
        cases = [({"configuration": {"copies": 2}, "status": {"state": "completed"}},
                  ["status"]),
                 ({"redirectedTo": "http://x/"}, ["redirectedTo"]),
                 ({"configuration": {"copies": 2}, "bogus": 1}, ["bogus"]),
                 ({"isFetchable": True}, ["isFetchable"]),
                 ({"createdBy": {"id": "x"}}, ["createdBy"]),
                 ({"documents": []}, ["documents"]),
                 ({"id": "1"}, ["id"])]
        for body, mentions in cases:
            for target in (t, self.app_share(self.q.sid, "beta")):
                with self.subTest(body=body, target=repr(target)):
                    self.assert_refused_unchanged(
                        self.q, jid, task["id"],
                        lambda: self.patch(target.job(jid), body, token=self.app), 400,
                        mentions=mentions)

    def test_patch_of_a_bad_configuration_is_400(self):
        jid, _, _, task = self.held_job(self.q, configuration={"copies": 1,
                                                               "colorMode": "color"})
        cases = [({"colorMode": "rainbow"}, ["configuration.colorMode"]),
                 ({"copies": 0}, ["configuration.copies"]),
                 ({"copies": 2, "duplexMode": "twoSided"}, ["configuration.duplexMode"]),
                 ({"margin": {"top": -1}}, ["configuration.margin.top"]),
                 ({"pageRanges": [{"start": 3, "end": 2}]}, ["configuration.pageRanges"]),
                 ({"foo": 1}, ["configuration.foo"])]
        for cfg, mentions in cases:
            for target in (self.app_printer(self.q.pid), self.app_share(self.q.sid, "beta")):
                with self.subTest(configuration=cfg, target=repr(target)):
                    self.assert_refused_unchanged(
                        self.q, jid, task["id"],
                        lambda: self.patch(target.job(jid), {"configuration": cfg},
                                           token=self.app), 400, mentions=mentions)
        for cfg in ("x", 1, []):
            with self.subTest(configuration=cfg):
                self.assert_refused_unchanged(
                    self.q, jid, task["id"],
                    lambda: self.patch(self.app_printer(self.q.pid).job(jid),
                                       {"configuration": cfg}, token=self.app), 400,
                    mentions=["configuration"])
        for raw in (b"[]", b"{", b""):
            with self.subTest(raw=raw):
                self.assert_refused_unchanged(
                    self.q, jid, task["id"],
                    lambda: self.patch(self.app_printer(self.q.pid).job(jid), raw=raw,
                                       token=self.app), 400)

    def test_redirect_refusals(self):
        jid, _, _, task = self.held_job(self.q)
        # Other tests of the class may have redirected jobs to the same physical printer.
        phys_before = self.job_ids(self.printer_target(self.phys))
        foreign = self.create_printer(token=job_admin_token(self.data, tenant=TENANT_B))
        cases = [("no destination", {}, ["destinationPrinterId"]),
                 ("only a configuration", {"configuration": {"copies": 2}},
                  ["destinationPrinterId"]),
                 ("destination null", {"destinationPrinterId": None}, []),
                 ("destination not a string", {"destinationPrinterId": 5}, []),
                 ("unknown printer", {"destinationPrinterId": str(uuid.uuid4())}, []),
                 ("printer of another tenant", {"destinationPrinterId": foreign["id"]}, []),
                 ("a share id", {"destinationPrinterId": self.phys_sid}, []),
                 ("bad configuration", {"destinationPrinterId": self.phys,
                                        "configuration": {"colorMode": "rainbow"}},
                  ["configuration.colorMode"]),
                 ("unknown parameter", {"destinationPrinterId": self.phys, "bogus": 1},
                  ["bogus"])]
        paths = [self.app_printer(self.q.pid).job(jid) + "/redirect",
                 self.app_share(self.q.sid, "beta").job(jid) + "/redirect",
                 "/v1.0/printerBase/jobs/%s/redirect" % jid]
        for what, body, mentions in cases:
            for path in paths:
                with self.subTest(case=what, path=path):
                    self.assert_refused_unchanged(
                        self.q, jid, task["id"],
                        lambda: self.post(path, body, token=self.app), 400, mentions=mentions)
        self.assertEqual(self.job_ids(self.printer_target(self.phys)), phys_before)

    def test_unknown_jobs_are_404(self):
        for jid in ("999999", "424242"):
            for name, op in self.ops(jid).items():
                for t in self.targets(self.q, self.app):
                    with self.subTest(op=name, job=jid, target=repr(t)):
                        self.assert_error(op(t), 404)
            with self.subTest(op="printerBase redirect", job=jid):
                self.assert_error(self.base_redirect(jid, self.app), 404)

    def test_job_of_another_printer_is_404(self):
        jid, _, _, task = self.held_job(self.q)
        pid, sid = self.printer_and_share()
        other_q = types.SimpleNamespace(pid=pid, sid=sid)
        for name, op in self.ops(jid).items():
            for t in self.targets(other_q, self.app):
                with self.subTest(op=name, target=repr(t)):
                    self.assert_refused_unchanged(self.q, jid, task["id"], lambda: op(t), 404)

    def test_the_user_may_not_change_a_held_job(self):
        jid, did, _, task = self.held_job(self.q)
        t = self.share_target(self.q.sid)
        body = {"properties": {"documentName": "x.pdf", "contentType": "application/pdf",
                               "size": 10}}
        for target in (t, self.share_target(self.q.sid, "beta")):
            with self.subTest(target=repr(target)):
                self.assert_refused_unchanged(
                    self.q, jid, task["id"],
                    lambda: self.post(target.document(jid, did) + "/createUploadSession", body,
                                      token=self.user), 400)
        # Nor start it again.
        self.assert_refused_unchanged(self.q, jid, task["id"], lambda: self.start(t, jid), 400)


class PullTaskRefusalTests(PullTestCase):

    @classmethod
    def prepare_pull(cls):
        h = cls.helper()
        cls.q = h.pull_queue()

    def test_bad_states_are_400(self):
        q = self.q
        jid, _, _, task = self.held_job(q)
        path = self.task_path(q.def_id, task["id"])
        cases = [({"status": {"state": "processing", "description": "x"}}, ["state"]),
                 ({"status": {"state": "pending", "description": "x"}}, ["state"]),
                 ({"status": {"state": "finished", "description": "x"}}, ["state"]),
                 ({"status": {"state": 2, "description": "x"}}, ["state"]),
                 ({"status": {"description": "x"}}, ["state"]),
                 ({"status": "completed"}, ["status"]),
                 ({}, [])]
        for body, mentions in cases:
            for version in ("v1.0", "beta"):
                with self.subTest(body=body, version=version):
                    self.assert_refused_unchanged(
                        q, jid, task["id"],
                        lambda: self.patch(self.task_path(q.def_id, task["id"], version), body,
                                           token=self.app), 400, mentions=mentions)
        for raw in (b"[]", b"{"):
            with self.subTest(raw=raw):
                self.assert_refused_unchanged(
                    q, jid, task["id"], lambda: self.patch(path, raw=raw, token=self.app), 400)
        self.assert_held(self.share_target(q.sid), jid, q.pid)

    def test_tasks_no_longer_processing_are_400(self):
        q = self.q
        a, _, _, ta = self.held_job(q)
        self.complete_task(q.def_id, ta["id"])
        self.wait_state(self.share_target(q.sid), a, TERMINAL)
        b, _, _, tb = self.held_job(q)
        self.assertEqual(self.assert_json_response(self.patch_task(q.def_id, tb["id"],
                                                                   "aborted"))
                         ["status"]["state"], "aborted")
        for what, jid, task in (("completed", a, ta), ("aborted", b, tb)):
            for state in ("completed", "aborted"):
                with self.subTest(task=what, to=state):
                    self.assert_refused_unchanged(
                        q, jid, task["id"],
                        lambda: self.patch_task(q.def_id, task["id"], state), 400)

    def test_another_application_gets_404(self):
        q = self.q
        jid, _, _, task = self.held_job(q)
        for method, path, body in (("GET", self.tasks_path(q.def_id), None),
                                   ("GET", self.task_path(q.def_id, task["id"]), None),
                                   ("GET", self.task_path(q.def_id, task["id"]) + "/definition",
                                    None),
                                   ("GET", self.task_path(q.def_id, task["id"]) + "/trigger",
                                    None),
                                   ("PATCH", self.task_path(q.def_id, task["id"]),
                                    {"status": {"state": "completed", "description": "x"}})):
            with self.subTest(request=method + " " + path):
                self.assert_refused_unchanged(
                    q, jid, task["id"],
                    lambda: self.call(method, path, body, token=self.other_app)
                    if body is not None else self.call(method, path, token=self.other_app),
                    404)

    def test_unknown_tasks_are_404(self):
        q = self.q
        jid, _, _, task = self.held_job(q)
        other_def = self.create_definition()
        for path in (self.task_path(q.def_id, str(uuid.uuid4())),
                     self.task_path(other_def["id"], task["id"])):  # under another definition
            with self.subTest(path=path):
                self.assert_error(self.get(path, token=self.app), 404)
                self.assert_refused_unchanged(
                    q, jid, task["id"],
                    lambda: self.patch(path, {"status": {"state": "completed",
                                                         "description": "x"}},
                                       token=self.app), 404)
        self.assertEqual(self.list_tasks(other_def["id"]), [])
