"""Pull printing, as an application and a user run it: task definitions (the application's),
task triggers on a virtual printer (made by a Printer Administrator signed in to the same
application), jobs held by the trigger (paused/releaseWait) and their tasks; the application
then PATCHes a held job (its configuration merged member by member), redirects it to a
physical printer, aborts it, replaces its payload or completes its task, which releases the
job. Through v1.0 and beta, the printer and share paths and /printerBase. The task timeout of
`serve --task-timeout-s` and restarts (SIGKILL) at the end.

The refusals are in test_pull_refusals."""

import time

from jobkit import TERMINAL, sha256
from pullkit import APP, OTHER_APP, PULL_USER, PullCliTestCase, PullTestCase, strip, uuid
from test_jobs import FULL_CONFIGURATION


class PullDefinitionTests(PullTestCase):

    def definitions(self, version="v1.0", token=None):
        r = self.get(self.definitions_path(version), token=token or self.app)
        body = self.assert_json_response(r)
        self.assertEqual(body.get("@odata.context"), self.context(version,
                                                                  "print/taskDefinitions"), r)
        self.assertIsInstance(body.get("value"), list, r)
        return body["value"]

    def lifecycle(self, version):
        d = self.create_definition(name="Pull", app_name="Contoso Pull", version=version)
        self.assertEqual(set(strip(d)), {"id", "displayName", "createdBy"}, d)
        self.assertEqual(d["createdBy"].get("appId"), APP)
        other = self.create_definition(version=version, token=self.other_app,
                                       app_id=OTHER_APP)
        self.assertNotEqual(other["id"], d["id"])

        # The list holds the calling application's definitions only.
        mine = self.definitions(version)
        self.assertIn(d["id"], [x["id"] for x in mine])
        self.assertNotIn(other["id"], [x["id"] for x in mine])
        for x in mine:
            self.assertEqual(x.get("createdBy", {}).get("appId"), APP, x)
        self.assertEqual([strip(x) for x in mine if x["id"] == d["id"]], [strip(d)])
        theirs = self.definitions(version, token=self.other_app)
        self.assertIn(other["id"], [x["id"] for x in theirs])
        self.assertNotIn(d["id"], [x["id"] for x in theirs])

        r = self.get(self.definition_path(d["id"], version), token=self.app)
        got = self.assert_json_response(r)
        self.assertEqual(got.get("@odata.context"),
                         self.context(version, "print/taskDefinitions/$entity"), r)
        self.assertEqual(strip(got), strip(d))

        # PATCH: displayName, then createdBy.displayName; appId stays the server's.
        path = self.definition_path(d["id"], version)
        r = self.patch(path, {"displayName": "Pull renamed"}, token=self.app)
        got = self.assert_json_response(r)
        self.assertEqual(got["id"], d["id"])
        self.assertEqual(got["displayName"], "Pull renamed")
        self.assertEqual(got["createdBy"], d["createdBy"])
        r = self.patch(path, {"createdBy": {"displayName": "Contoso Release"}}, token=self.app)
        got = self.assert_json_response(r)
        self.assertEqual(got["displayName"], "Pull renamed")
        self.assertEqual(got["createdBy"].get("displayName"), "Contoso Release")
        self.assertEqual(got["createdBy"].get("appId"), APP)
        stored = self.get_definition(d["id"], version)
        self.assertEqual(strip(stored), strip(got))

        # Another application does not see it: 404 everywhere, nothing changes.
        for method, body in (("GET", None), ("PATCH", {"displayName": "Stolen"}),
                             ("DELETE", None)):
            with self.subTest(version=version, other_app=method):
                r = self.call(method, path, body, token=self.other_app) if body else \
                    self.call(method, path, token=self.other_app)
                self.assert_error(r, 404)
        self.assert_error(self.get(self.tasks_path(d["id"], version), token=self.other_app),
                          404)
        self.assertEqual(strip(self.get_definition(d["id"], version)), strip(stored))

        r = self.delete(path, token=self.app)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assert_error(self.get(path, token=self.app), 404)
        self.assert_error(self.delete(path, token=self.app), 404)
        self.assertNotIn(d["id"], [x["id"] for x in self.definitions(version)])
        self.assertEqual(self.delete(self.definition_path(other["id"], version),
                                     token=self.other_app).status, 204)

    def test_definition_lifecycle_v1(self):
        self.lifecycle("v1.0")

    def test_definition_lifecycle_beta(self):
        self.lifecycle("beta")

    def test_definition_seen_through_both_versions(self):
        d = self.create_definition(version="v1.0")
        self.assertEqual(strip(self.get_definition(d["id"], "beta")), strip(d))
        d2 = self.create_definition(version="beta")
        self.assertEqual(strip(self.get_definition(d2["id"], "v1.0")), strip(d2))

    def test_delete_takes_its_triggers_and_tasks(self):
        q = self.pull_queue()
        jid, did, data, task = self.held_job(q)
        r = self.delete(self.definition_path(q.def_id), token=self.app)
        self.assertEqual(r.status, 204, r)
        r = self.get(self.triggers_path(q.pid), token=self.trigger_admin)
        self.assertEqual(self.assert_json_response(r)["value"], [], r)
        self.assert_error(self.get(self.trigger_path(q.pid, q.trigger["id"]),
                                   token=self.trigger_admin), 404)
        self.assert_error(self.get(self.tasks_path(q.def_id), token=self.app), 404)
        self.assert_error(self.get(self.task_path(q.def_id, task["id"]), token=self.app), 404)
        # The held job is still there (what becomes of it is not specified) ...
        self.get_job(self.printer_target(q.pid), jid)
        # ... and the printer has no trigger any more: the next job is not held.
        nxt, _, _ = self.user_job(q)
        status = self.start_ok(self.share_target(q.sid), nxt)
        self.assertNotEqual(status.get("details"), ["releaseWait"], status)
        self.assertIn(self.wait_state(self.share_target(q.sid), nxt, TERMINAL)["status"]
                      ["state"], ("completed",))
        # A new trigger may be put on the printer again.
        d2 = self.create_definition()
        self.create_trigger(q.pid, d2["id"])


class PullTriggerTests(PullTestCase):

    def triggers(self, pid, version="v1.0"):
        r = self.get(self.triggers_path(pid, version), token=self.trigger_admin)
        body = self.assert_json_response(r)
        self.assertEqual(body.get("@odata.context"), self.context(
            version, "print/printers('%s')/taskTriggers" % pid), r)
        self.assertIsInstance(body.get("value"), list, r)
        return body["value"]

    def lifecycle(self, version, relative):
        d = self.create_definition(version=version)
        pid, sid = self.virtual_printer()
        self.assertEqual(self.triggers(pid, version), [])
        trig = self.create_trigger(pid, d["id"], version, relative=relative)
        self.assertEqual(set(strip(trig)), {"id", "event"}, trig)
        self.assertEqual([strip(x) for x in self.triggers(pid, version)], [strip(trig)])
        r = self.get(self.trigger_path(pid, trig["id"], version), token=self.trigger_admin)
        got = self.assert_json_response(r)
        self.assertEqual(strip(got), strip(trig))
        # One trigger per printer.
        r = self.post(self.triggers_path(pid, version),
                      {"event": "jobStarted",
                       "definition@odata.bind": self.definition_bind(d["id"], version)},
                      token=self.trigger_admin)
        self.assert_error(r, 409)
        self.assertEqual([strip(x) for x in self.triggers(pid, version)], [strip(trig)])
        # One definition, many printers.
        pid2, _ = self.virtual_printer()
        self.create_trigger(pid2, d["id"], version, relative=not relative)
        r = self.delete(self.trigger_path(pid, trig["id"], version), token=self.trigger_admin)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assert_error(self.get(self.trigger_path(pid, trig["id"], version),
                                   token=self.trigger_admin), 404)
        self.assertEqual(self.triggers(pid, version), [])
        self.assertEqual(len(self.triggers(pid2, version)), 1)
        again = self.create_trigger(pid, d["id"], version, relative=not relative)
        self.assertNotEqual(again["id"], trig["id"])

    def test_trigger_lifecycle_v1_absolute_bind(self):
        self.lifecycle("v1.0", relative=False)

    def test_trigger_lifecycle_beta_relative_bind(self):
        self.lifecycle("beta", relative=True)

    def test_trigger_after_delete_no_longer_holds(self):
        q = self.pull_queue()
        self.assertEqual(self.delete(self.trigger_path(q.pid, q.trigger["id"]),
                                     token=self.trigger_admin).status, 204)
        jid, _, _ = self.user_job(q)
        status = self.start_ok(self.share_target(q.sid), jid)
        self.assertNotEqual(status.get("details"), ["releaseWait"], status)
        self.assertEqual(self.wait_state(self.share_target(q.sid), jid, TERMINAL)["status"]
                         ["state"], "completed")
        self.assertEqual(self.list_tasks(q.def_id), [])


class PullWorkflowTests(PullTestCase):
    """--sim-job-ms 100."""

    def assert_merged(self, before, after, changes, what):
        """after is before with changes applied, member by member."""
        for key, value in before.items():
            if key in changes:
                continue
            self.assertIn(key, after, "%s: configuration.%s was dropped" % (what, key))
            self.assertEqual(after[key], value, "%s: configuration.%s changed" % (what, key))
        for key, value in changes.items():
            self.assertEqual(after.get(key), value, "%s: configuration.%s" % (what, key))
        self.assertEqual(set(after) - set(before) - set(changes), set(),
                         "%s: members appeared" % what)

    def test_cancel_by_the_user_ends_the_task(self):
        q = self.pull_queue()
        jid, _, _, task = self.held_job(q)
        other, _, _, other_task = self.held_job(q)
        user_t = self.share_target(q.sid)
        r = self.cancel(user_t, jid)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.get_job(user_t, jid)["status"]["state"], "canceled")
        got = self.get_task(q.def_id, task["id"])
        self.assertEqual(got["status"]["state"], "aborted", got)
        self.assertEqual(got["status"]["description"], "The job was canceled by its user.", got)
        # The application can no longer end it; the other held job keeps its task.
        self.assert_error(self.patch_task(q.def_id, task["id"], "completed"), 400)
        self.assertEqual(self.task_state(q.def_id, other_task["id"]), "processing")
        self.assert_held(user_t, other, q.pid)
        self.assert_device_empty(q.pid)

    def test_held_job_and_its_task_v1(self):
        self.held_job_and_task("v1.0")

    def test_held_job_and_its_task_beta(self):
        self.held_job_and_task("beta")

    def held_job_and_task(self, version):
        q = self.pull_queue(version)
        jid, did, data, task = self.held_job(q)
        user_t = self.share_target(q.sid, version)
        app_t = self.app_printer(q.pid, version)
        self.assert_held(user_t, jid, q.pid)
        self.assert_held(app_t, jid, q.pid)
        time.sleep(0.35)  # more than three times --sim-job-ms: the device would have taken it
        held = self.assert_held(self.printer_target(q.pid, version), jid, q.pid)
        self.assertIs(held["isFetchable"], False, held)
        self.assertIsNone(held["redirectedTo"])

        self.assertEqual(task["status"]["state"], "processing", task)
        self.assertEqual(set(strip(task)), {"id", "parentUrl", "status"}, task)
        got = self.get_task(q.def_id, task["id"], version)
        self.assertEqual(strip(got), strip(task))
        r = self.get(self.task_path(q.def_id, task["id"], version) + "/definition",
                     token=self.app)
        self.assertEqual(strip(self.assert_json_response(r)), strip(q.definition))
        r = self.get(self.task_path(q.def_id, task["id"], version) + "/trigger",
                     token=self.app)
        trig = self.assert_json_response(r)
        self.assertEqual(trig.get("id"), q.trigger["id"], r)
        self.assertEqual(trig.get("event"), "jobStarted", r)

        # $expand=tasks on the job, alone and with documents, on both paths.
        for t in (app_t, self.app_share(q.sid, version)):
            with self.subTest(version=version, target=repr(t)):
                r = self.get(t.job(jid) + "?$expand=tasks", token=self.app)
                j = self.assert_json_response(r)
                self.assertEqual([strip(x) for x in j.get("tasks", [])], [strip(task)], r)
                self.assertEqual(j["status"]["state"], "paused")
                r = self.get(t.job(jid) + "?$expand=documents,tasks", token=self.app)
                j = self.assert_json_response(r)
                self.assertEqual([strip(x) for x in j.get("tasks", [])], [strip(task)], r)
                self.assertEqual([x["id"] for x in j.get("documents", [])], [did], r)
                self.assertEqual(int(j["documents"][0]["size"]), len(data))
        # The job shows up in the application's view of the virtual printer's jobs, as the
        # user's.
        jobs = self.list_jobs(app_t)
        mine = [x for x in jobs if (x.get("createdBy") or {}).get("userPrincipalName") ==
                PULL_USER]
        self.assertIn(jid, [x["id"] for x in mine])

        # Done: completing the task lets it print.
        self.complete_task(q.def_id, task["id"], version)
        done = self.wait_state(user_t, jid, TERMINAL)
        self.assertEqual(done["status"]["state"], "completed", done)

    def workflow(self, version):
        """Three jobs of one user on a virtual printer: the first PATCHed and redirected to a
        physical printer, the second aborted, the third released by completing its task."""
        q = self.pull_queue(version)
        phys, phys_sid = self.physical_printer()
        user_t = self.share_target(q.sid, version)
        # On v1.0 the application goes through the printer path, on beta through the share.
        app_t = self.app_printer(q.pid, version) if version == "v1.0" else \
            self.app_share(q.sid, version)

        # --- 1: PATCH (merge), then redirect -----------------------------------------------
        original = dict(FULL_CONFIGURATION)
        jid, did, data, task = self.held_job(q, configuration=original,
                                             data=b"%PDF-1.7 first " + uuid.uuid4().bytes)
        self.assertIn(task["id"], [x["id"] for x in self.list_tasks(q.def_id, version)])
        before = self.get_job(app_t, jid)["configuration"]
        r = self.patch(app_t.job(jid), {"configuration": {"copies": 3}}, token=self.app)
        j = self.assert_json_response(r)
        self.assertEqual(j["id"], jid)
        self.assertTrue(j.get("@odata.context", "").startswith(self.context(version, "")), r)
        self.assert_merged(before, j["configuration"], {"copies": 3}, "PATCH copies")
        self.assertEqual(j["status"]["state"], "paused", j)
        self.assertEqual(j["status"]["details"], ["releaseWait"], j)
        for prop in ("createdBy", "createdDateTime", "isFetchable", "redirectedFrom",
                     "redirectedTo"):
            self.assertIn(prop, j, "PATCH answers the whole job: %s" % prop)
        stored = self.get_job(user_t, jid)
        self.assertEqual(stored["configuration"], j["configuration"])
        second = {"colorMode": "grayscale", "duplexMode": "oneSided", "quality": "low"}
        r = self.patch(app_t.job(jid), {"configuration": second}, token=self.app)
        j = self.assert_json_response(r)
        self.assert_merged(stored["configuration"], j["configuration"], second, "PATCH three")
        self.assertEqual(j["configuration"]["copies"], 3)
        patched = self.get_job(user_t, jid)["configuration"]
        self.assertEqual(patched, j["configuration"])
        self.assert_held(user_t, jid, q.pid)
        self.assertEqual(self.task_state(q.def_id, task["id"], version), "processing")

        new = self.redirect_ok(app_t.job(jid) + "/redirect", q, jid, phys, version, data,
                               expect_configuration=patched)
        self.assertEqual(self.task_state(q.def_id, task["id"], version), "completed")

        # --- 2: abort ---------------------------------------------------------------------
        jid2, _, _, task2 = self.held_job(q)
        r = self.post(app_t.job(jid2) + "/abort", {"reason": "Not allowed to print this."},
                      token=self.app)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        j = self.get_job(user_t, jid2)
        self.assertEqual(j["status"]["state"], "aborted", j)
        self.assertEqual(self.task_state(q.def_id, task2["id"], version), "aborted")
        time.sleep(0.3)
        self.assertEqual(self.get_job(user_t, jid2)["status"]["state"], "aborted")
        self.assert_device_empty(q.pid)

        # --- 3: complete the task ---------------------------------------------------------
        jid3, did3, data3, task3 = self.held_job(q)
        r = self.patch_task(q.def_id, task3["id"], "completed", "released", version)
        t = self.assert_json_response(r)
        self.assertEqual(t.get("@odata.context"), self.context(
            version, "print/taskDefinitions('%s')/tasks/$entity" % q.def_id), r)
        self.assertEqual(t["id"], task3["id"])
        self.assertEqual(t["status"]["state"], "completed", t)
        self.assertEqual(t["parentUrl"], task3["parentUrl"])
        j = self.wait_state(user_t, jid3, TERMINAL)
        self.assertEqual(j["status"]["state"], "completed", j)
        self.assertEqual(j["status"]["details"], ["completedSuccessfully"], j)
        self.assertEqual(sha256(self.download(self.printer_target(q.pid), jid3, did3).body),
                         sha256(data3))
        self.assertEqual(self.task_state(q.def_id, task3["id"], version), "completed")

        # The tasks of the three jobs, with their final states.
        states = {x["id"]: x["status"]["state"] for x in self.list_tasks(q.def_id, version)}
        for tid, state in ((task["id"], "completed"), (task2["id"], "aborted"),
                           (task3["id"], "completed")):
            if tid in states:  # "running and recently completed"
                self.assertEqual(states[tid], state, states)
        self.assertEqual(self.get_job(self.printer_target(phys), new["id"])["status"]["state"],
                         "completed")

    def redirect_ok(self, path, q, jid, dest, version, data, configuration=None,
                    expect_configuration=None, dest_held=False):
        """POSTs redirect (path) of q's job jid to the printer dest; checks the new job, that
        it completes there (unless dest_held) with the same document, and the source job.
        Returns the new job."""
        body = {"destinationPrinterId": dest}
        if configuration is not None:
            body["configuration"] = configuration
        source_before = self.get_job(self.printer_target(q.pid), jid)
        r = self.post(path, body, token=self.app)
        new = self.assert_json_response(r, 200)
        ctx_version = "beta" if path.startswith("/beta/") else "v1.0"
        self.assertEqual(new.get("@odata.context"), self.context(
            ctx_version, "print/printers('%s')/jobs/$entity" % dest), r)
        self.assertNotEqual(new["id"], jid)
        self.assert_job_url(new.get("redirectedFrom"), q.pid, jid, ctx_version,
                            "redirectedFrom")
        self.assertIsNone(new.get("redirectedTo"), r)
        if expect_configuration is not None:
            self.assertEqual(new["configuration"], expect_configuration, "new configuration")
        if dest_held:
            self.assertEqual(new["status"]["state"], "paused", r)
            self.assertEqual(new["status"]["details"], ["releaseWait"], r)
        else:
            self.assertIn(new["status"]["state"], ("processing", "pending", "completed"), r)

        # The new job on the destination: the same document, byte for byte.
        dest_t = self.printer_target(dest, ctx_version)
        stored = self.get_job(dest_t, new["id"], expand=True)
        self.assertEqual({k: v for k, v in strip(stored).items() if k not in (
            "documents", "status", "acknowledgedDateTime", "isFetchable")},
            {k: v for k, v in strip(new).items() if k not in (
                "documents", "status", "acknowledgedDateTime", "isFetchable")})
        docs = stored["documents"]
        self.assertEqual(len(docs), 1, docs)
        self.assertEqual(int(docs[0]["size"]), len(data))
        self.assertEqual(docs[0]["contentType"], "application/pdf")
        self.assertIsNotNone(docs[0]["uploadedDateTime"])
        if not dest_held:
            done = self.wait_state(dest_t, new["id"], TERMINAL)
            self.assertEqual(done["status"]["state"], "completed", done)
            self.assertEqual(done["status"]["details"], ["completedSuccessfully"], done)
        got = self.download(dest_t, new["id"], docs[0]["id"])
        self.assertEqual(len(got.body), len(data))
        self.assertEqual(sha256(got.body), sha256(data), "redirected document differs")

        # The source job: redirected, completed without details, not on any device.
        src = self.get_job(self.share_target(q.sid), jid)
        self.assert_job_url(src.get("redirectedTo"), dest, new["id"], ctx_version,
                            "redirectedTo")
        self.assertEqual(src["status"]["state"], "completed", src)
        self.assertEqual(src["status"]["details"], [], src)
        self.assertEqual(src["configuration"], source_before["configuration"])
        self.assert_device_empty(q.pid)
        return new

    def test_workflow_v1(self):
        self.workflow("v1.0")

    def test_workflow_beta(self):
        self.workflow("beta")

    def test_redirect_through_printer_base(self):
        for version in ("v1.0", "beta"):
            with self.subTest(version=version):
                q = self.pull_queue(version)
                phys, _ = self.physical_printer()
                jid, did, data, task = self.held_job(q, configuration={"copies": 2})
                cfg = self.get_job(self.printer_target(q.pid), jid)["configuration"]
                self.redirect_ok("/%s/printerBase/jobs/%s/redirect" % (version, jid), q, jid,
                                 phys, version, data, expect_configuration=cfg)
                self.assertEqual(self.task_state(q.def_id, task["id"]), "completed")

    def test_redirect_through_the_other_paths(self):
        # v1.0 share path and beta printer path (the workflow took the two others).
        for version, kind in (("v1.0", "shares"), ("beta", "printers")):
            with self.subTest(version=version, path=kind):
                q = self.pull_queue(version)
                phys, _ = self.physical_printer()
                jid, did, data, task = self.held_job(q)
                t = self.app_share(q.sid, version) if kind == "shares" else \
                    self.app_printer(q.pid, version)
                self.redirect_ok(t.job(jid) + "/redirect", q, jid, phys, version, data)

    def test_redirect_with_a_configuration_replaces_it(self):
        q = self.pull_queue()
        phys, phys_sid = self.physical_printer()
        jid, did, data, task = self.held_job(q, configuration=dict(FULL_CONFIGURATION))
        given = {"copies": 2, "colorMode": "blackAndWhite", "pageRanges": [{"start": 1,
                                                                           "end": 1}]}
        # What a job created with that configuration carries: the new job carries the same.
        ref = self.create_job(self.share_target(phys_sid), dict(given))["configuration"]
        new = self.redirect_ok(self.app_printer(q.pid).job(jid) + "/redirect", q, jid, phys,
                               "v1.0", data, configuration=given, expect_configuration=ref)
        self.assertNotEqual(new["configuration"].get("duplexMode"),
                            FULL_CONFIGURATION["duplexMode"], "not replaced")

    def test_redirect_to_a_printer_with_its_own_trigger(self):
        q1 = self.pull_queue()
        q2 = self.pull_queue()  # another definition of the same application
        jid, did, data, task = self.held_job(q1)
        new = self.redirect_ok(self.app_printer(q1.pid).job(jid) + "/redirect", q1, jid, q2.pid,
                               "v1.0", data, dest_held=True)
        self.assertEqual(self.task_state(q1.def_id, task["id"]), "completed")
        t2 = self.task_of_job(q2.def_id, q2.pid, new["id"])
        self.assertEqual(t2["status"]["state"], "processing")
        self.assertNotEqual(t2["id"], task["id"])
        dest_t = self.printer_target(q2.pid)
        time.sleep(0.3)
        self.assert_held(dest_t, new["id"], q2.pid)
        self.complete_task(q2.def_id, t2["id"])
        done = self.wait_state(dest_t, new["id"], TERMINAL)
        self.assertEqual(done["status"]["state"], "completed", done)
        self.assertEqual(done["status"]["details"], ["completedSuccessfully"], done)

    def test_application_replaces_the_payload(self):
        for version in ("v1.0", "beta"):
            with self.subTest(version=version):
                q = self.pull_queue(version)
                jid, did, data, task = self.held_job(q, data=b"%PDF-1.7 original\n")
                user_t = self.share_target(q.sid, version)
                # The user may not change a held job's content.
                self.assert_refused_unchanged(
                    q, jid, task["id"],
                    lambda: self.post(user_t.document(jid, did) + "/createUploadSession",
                                      {"properties": {"documentName": "x.pdf",
                                                      "contentType": "application/pdf",
                                                      "size": 10}}, token=self.user), 400)
                # The application may: new bytes, of another size.
                new_data = b"%PDF-1.7 rewritten by the application " + uuid.uuid4().bytes * 9
                app_t = self.app_printer(q.pid, version)
                doc = self.upload(app_t, jid, did, new_data, "rewritten.pdf", "application/pdf")
                self.assertEqual(int(doc["size"]), len(new_data))
                self.assert_held(user_t, jid, q.pid)
                self.assertEqual(self.task_state(q.def_id, task["id"]), "processing")
                self.complete_task(q.def_id, task["id"], version)
                done = self.wait_state(user_t, jid, TERMINAL)
                self.assertEqual(done["status"]["state"], "completed", done)
                got = self.download(self.printer_target(q.pid), jid, did)
                self.assertEqual(sha256(got.body), sha256(new_data))

    def test_one_definition_many_printers_and_users(self):
        d = self.create_definition()
        qa = self.pull_queue(definition=d)
        qb = self.pull_queue(definition=d)
        ja = self.held_job(qa)
        jb = self.held_job(qb)
        tasks = self.list_tasks(d["id"])
        ids = {x["id"] for x in tasks}
        self.assertTrue({ja[3]["id"], jb[3]["id"]} <= ids, tasks)
        self.assertNotEqual(ja[3]["id"], jb[3]["id"])
        r = self.get(self.task_path(d["id"], ja[3]["id"]) + "/trigger", token=self.app)
        self.assertEqual(self.assert_json_response(r)["id"], qa.trigger["id"])
        r = self.get(self.task_path(d["id"], jb[3]["id"]) + "/trigger", token=self.app)
        self.assertEqual(self.assert_json_response(r)["id"], qb.trigger["id"])
        for q, (jid, _, _, task) in ((qa, ja), (qb, jb)):
            self.complete_task(d["id"], task["id"])
            self.assertEqual(self.wait_state(self.share_target(q.sid), jid, TERMINAL)
                             ["status"]["state"], "completed")


class PullTimeoutTests(PullCliTestCase):

    def test_a_task_left_processing_is_aborted(self):
        self.serve(args=["--sim-job-ms", "100", "--task-timeout-s", "1"])
        q = self.pull_queue()
        t0 = time.monotonic()
        jid, _, _, task = self.held_job(q)
        keep, _, _, keep_task = self.held_job(q)
        # Completed in time: that one prints.
        self.complete_task(q.def_id, keep_task["id"])
        user_t = self.share_target(q.sid)
        j = self.wait_state(user_t, jid, TERMINAL, timeout=6.0)
        elapsed = time.monotonic() - t0
        self.assertEqual(j["status"]["state"], "aborted", j)
        self.assertGreaterEqual(elapsed, 0.9, "aborted after %.2f s of 1 s" % elapsed)
        self.assertEqual(self.task_state(q.def_id, task["id"]), "aborted")
        self.assertEqual(self.get_job(user_t, keep)["status"]["state"], "completed")
        self.assertEqual(self.task_state(q.def_id, keep_task["id"]), "completed")
        self.assert_device_empty(q.pid)
        # The application can no longer act on it.
        self.assert_error(self.patch_task(q.def_id, task["id"], "completed"), 400)
        self.assert_error(self.post(self.app_printer(q.pid).job(jid) + "/abort",
                                    token=self.app), 400)

    def test_default_timeout_keeps_the_job(self):
        self.serve(args=["--sim-job-ms", "100"])
        q = self.pull_queue()
        jid, _, _, task = self.held_job(q)
        time.sleep(2.5)
        self.assert_held(self.share_target(q.sid), jid, q.pid)
        self.assertEqual(self.task_state(q.def_id, task["id"]), "processing")


class PullRestartTests(PullCliTestCase):
    BASE = "http://pull.example.test"

    def restart(self):
        self.server.kill()
        return self.serve(base_url=self.BASE, args=["--sim-job-ms", "100"])

    def everything(self, q, jobs, tasks):
        out = {"definition": self.get_definition(q.def_id),
               "definitions": self.get(self.definitions_path(), token=self.app).json,
               "triggers": self.get(self.triggers_path(q.pid), token=self.trigger_admin).json,
               "trigger": self.get(self.trigger_path(q.pid, q.trigger["id"]),
                                   token=self.trigger_admin).json,
               "tasks": self.list_tasks(q.def_id),
               "device": self.device(q.pid)}
        for tid in tasks:
            out["task " + tid] = self.get_task(q.def_id, tid)
        for jid in jobs:
            out["job " + jid] = self.get_job(self.app_printer(q.pid), jid)
            r = self.get(self.app_printer(q.pid).job(jid) + "?$expand=documents,tasks",
                         token=self.app)
            self.assertEqual(r.status, 200, r)
            out["expanded " + jid] = r.json
        return out

    def test_held_jobs_and_tasks_survive_sigkill(self):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "100"])
        q = self.pull_queue()
        phys, _ = self.physical_printer()
        a, _, data_a, ta = self.held_job(q)
        b, _, _, tb = self.held_job(q)
        c, did_c, data_c, tc = self.held_job(q)
        before = self.everything(q, [a, b, c], [ta["id"], tb["id"], tc["id"]])
        self.restart()
        after = self.everything(q, [a, b, c], [ta["id"], tb["id"], tc["id"]])
        for key in before:
            with self.subTest(what=key):
                self.assertEqual(after[key], before[key])
        time.sleep(0.3)
        for jid in (a, b, c):
            self.assert_held(self.share_target(q.sid), jid, q.pid)
        # After the restart: complete one task, abort one job, redirect one.
        self.complete_task(q.def_id, ta["id"])
        j = self.wait_state(self.share_target(q.sid), a, TERMINAL)
        self.assertEqual(j["status"]["state"], "completed", j)
        self.assertEqual(j["status"]["details"], ["completedSuccessfully"], j)
        self.assertEqual(self.post(self.app_printer(q.pid).job(b) + "/abort",
                                   token=self.app).status, 204)
        self.assertEqual(self.get_job(self.share_target(q.sid), b)["status"]["state"],
                         "aborted")
        self.assertEqual(self.task_state(q.def_id, tb["id"]), "aborted")
        r = self.post(self.app_printer(q.pid).job(c) + "/redirect",
                      {"destinationPrinterId": phys}, token=self.app)
        new = self.assert_json_response(r)
        done = self.wait_state(self.printer_target(phys), new["id"], TERMINAL)
        self.assertEqual(done["status"]["state"], "completed", done)
        did = self.get_job(self.printer_target(phys), new["id"], expand=True)["documents"][0]
        self.assertEqual(sha256(self.download(self.printer_target(phys), new["id"],
                                              did["id"]).body), sha256(data_c))
        # And the trigger still holds new jobs.
        d, _, _, td = self.held_job(q)
        self.restart()
        self.assert_held(self.share_target(q.sid), d, q.pid)
        self.assertEqual(self.task_state(q.def_id, td["id"]), "processing")
        self.complete_task(q.def_id, td["id"])
        self.assertEqual(self.wait_state(self.share_target(q.sid), d, TERMINAL)["status"]
                         ["state"], "completed")
