"""Print jobs: create (POST .../jobs) under printers and shares, v1.0 and beta; the
configuration and its refusals; reading jobs and their documents; visibility across the two
paths; 404s."""

import uuid

from harness import TENANT_B
from jobkit import (DOC_ID_RE, JOB_ID_RE, PAUSED_STATUS, JobTestCase, claims, enum_members,
                    evolvable_members, job_admin_token, user_token)

FULL_CONFIGURATION = {
    "copies": 2, "colorMode": "color", "duplexMode": "flipOnLongEdge",
    "orientation": "landscape", "quality": "high", "dpi": 600, "mediaSize": "A4",
    "mediaType": "stationery", "inputBin": "tray-1", "outputBin": "auto", "collate": True,
    "fitPdfToPage": False, "scaling": "fit", "multipageLayout": "clockwiseFromTopLeft",
    "pagesPerSheet": 2, "feedOrientation": "longEdgeFirst", "finishings": ["staple", "punch"],
    "margin": {"top": 0, "bottom": 100, "left": 5, "right": 5},
    "pageRanges": [{"start": 1, "end": 3}, {"start": 5, "end": 5}],
}

JOB_PROPERTIES = ("id", "createdDateTime", "createdBy", "status", "configuration",
                  "isFetchable", "redirectedFrom", "redirectedTo", "acknowledgedDateTime",
                  "errorCode")


def strip_odata(value):
    """value without @odata.* annotations (recursively)."""
    if isinstance(value, dict):
        return {k: strip_odata(v) for k, v in value.items() if not k.startswith("@")}
    if isinstance(value, list):
        return [strip_odata(v) for v in value]
    return value


class JobCreateTests(JobTestCase):

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.pid, cls.sid = h.printer_and_share()

    def assert_configuration_echo(self, sent, got):
        sent = strip_odata(sent)
        got = strip_odata(got)
        for key, value in sent.items():
            self.assertIn(key, got, "configuration.%s not echoed: %r" % (key, got))
            if key == "pageRanges" and value is not None:
                self.assertEqual([(int(r["start"]), int(r["end"])) for r in got[key]],
                                 [(int(r["start"]), int(r["end"])) for r in value],
                                 "configuration.pageRanges")
            elif key == "margin" and isinstance(value, dict):
                for side, v in value.items():
                    self.assertEqual(got[key].get(side), v, "configuration.margin.%s" % side)
            else:
                self.assertEqual(got[key], value, "configuration.%s" % key)

    def assert_new_job(self, r, t, token, configuration):
        job = self.assert_json_response(r, 201)
        self.assert_graph_headers(r)
        base = self.server.base
        self.assertEqual(job.get("@odata.context"), t.context(base) + "/$entity")
        for prop in JOB_PROPERTIES + ("documents",):
            self.assertIn(prop, job, "job lacks %s" % prop)
        jid = job["id"]
        self.assertRegex(jid, JOB_ID_RE)
        loc = r.header("Location")
        self.assertIsNotNone(loc, "201 without Location")
        self.assertTrue(loc.startswith(base + "/%s/" % t.version), loc)
        self.assertTrue(loc.endswith("/print/%s/%s/jobs/%s" % (t.kind, t.id, jid)), loc)
        self.assert_datetime7(job["createdDateTime"], "createdDateTime")
        c = claims(token)
        cb = job["createdBy"]
        self.assertIsInstance(cb, dict)
        self.assertEqual(cb.get("id"), c["oid"], "createdBy.id is the token's oid")
        self.assertEqual(cb.get("userPrincipalName"), c["upn"], "createdBy.userPrincipalName")
        self.assertIn("displayName", cb)
        self.assertIsInstance(cb["displayName"], str)
        self.assertIn("ipAddress", cb)
        self.assertIsNone(cb["ipAddress"])
        self.assertEqual(job["status"], PAUSED_STATUS)
        self.assertIs(job["isFetchable"], False)
        for prop in ("redirectedFrom", "redirectedTo", "acknowledgedDateTime", "errorCode"):
            self.assertIsNone(job[prop], prop)
        self.assert_configuration_echo(configuration, job["configuration"])
        docs = job["documents"]
        self.assertIsInstance(docs, list)
        self.assertEqual(len(docs), 1, docs)
        d = docs[0]
        self.assertRegex(d.get("id", ""), DOC_ID_RE, "document id %r" % d.get("id"))
        self.assertEqual(d.get("displayName"), "")
        self.assertEqual(d.get("contentType"), "")
        self.assertEqual(int(d.get("size", -1)), 0)
        self.assertIn("uploadedDateTime", d)
        self.assertIsNone(d["uploadedDateTime"])
        self.assertIn("downloadedDateTime", d)
        self.assertIsNone(d["downloadedDateTime"])
        return job

    def test_create_under_printers_and_shares_v1_and_beta(self):
        ids = set()
        for t in self.all_targets(self.pid, self.sid):
            with self.subTest(target=repr(t)):
                cfg = {"copies": 1, "colorMode": "blackAndWhite"}
                r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
                job = self.assert_new_job(r, t, t.token, cfg)
                self.assertNotIn(job["id"], ids, "job ids must be unique")
                ids.add(job["id"])
                self.assertNotIn(job["documents"][0]["id"], ids)
                ids.add(job["documents"][0]["id"])

    def test_empty_configuration(self):
        for t in self.all_targets(self.pid, self.sid)[:2]:
            with self.subTest(target=repr(t)):
                r = self.post(t.jobs, {"configuration": {}}, token=t.token)
                self.assert_new_job(r, t, t.token, {})

    def test_full_configuration_is_echoed(self):
        t = self.share_target(self.sid)
        r = self.post(t.jobs, {"configuration": FULL_CONFIGURATION}, token=t.token)
        job = self.assert_new_job(r, t, t.token, FULL_CONFIGURATION)
        # And it is stored, not only echoed.
        got = self.get_job(t, job["id"])
        self.assert_configuration_echo(FULL_CONFIGURATION, got["configuration"])

    def test_null_members_are_accepted(self):
        cfg = {k: None for k in ("copies", "colorMode", "duplexMode", "orientation", "quality",
                                 "dpi", "mediaSize", "mediaType", "inputBin", "outputBin",
                                 "collate", "fitPdfToPage", "scaling", "multipageLayout",
                                 "pagesPerSheet", "feedOrientation", "margin")}
        t = self.printer_target(self.pid)
        r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
        self.assert_new_job(r, t, t.token, cfg)
        r = self.post(t.jobs, {"configuration": {"margin": {"top": None, "left": 3}}},
                      token=t.token)
        self.assertEqual(r.status, 201, r)

    def test_null_collections_are_accepted(self):
        # finishings and pageRanges are nullable on input like every member; the answer must
        # still conform (in the published schema both are arrays that are never null).
        pid, sid = self.printer_and_share()  # a printer of its own: its jobs stay apart
        t = self.share_target(sid)
        for cfg in ({"finishings": None}, {"pageRanges": None},
                    {"finishings": None, "pageRanges": None, "copies": 1}):
            with self.subTest(configuration=cfg):
                r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
                job = self.assert_json_response(r, 201)
                for key in ("finishings", "pageRanges"):
                    self.assertIn(job["configuration"].get(key), (None, []))
                self.get_job(t, job["id"])  # conformance of the stored job

    def test_odata_type_annotations_are_tolerated(self):
        cfg = {"@odata.type": "microsoft.graph.printJobConfiguration", "copies": 3,
               "pageRanges": [{"@odata.type": "#microsoft.graph.integerRange", "start": 2,
                               "end": 4}],
               "margin": {"@odata.type": "#microsoft.graph.printMargin", "top": 10}}
        for t in (self.printer_target(self.pid), self.share_target(self.sid, "beta")):
            with self.subTest(target=repr(t)):
                r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
                self.assert_new_job(r, t, t.token, cfg)
        r = self.post(self.share_target(self.sid).jobs, {"configuration": {
            "@odata.type": "#microsoft.graph.printJobConfiguration"}}, token=self.user)
        self.assertEqual(r.status, 201, r)

    def test_every_enum_member_is_accepted(self):
        t = self.share_target(self.sid)
        for prop in ("colorMode", "duplexMode", "orientation", "quality", "scaling",
                     "multipageLayout", "feedOrientation"):
            members = enum_members(prop)
            self.assertGreaterEqual(len(members), 2, prop)
            for m in members:
                with self.subTest(prop=prop, member=m):
                    r = self.post(t.jobs, {"configuration": {prop: m}}, token=t.token)
                    job = self.assert_json_response(r, 201)
                    self.assertEqual(job["configuration"].get(prop), m)
        finishings = enum_members("finishings")
        self.assertIn("bindLeft", finishings)
        # Members after unknownFutureValue are accepted always, and answered only to clients
        # that prefer include-unknown-enum-members (reference 10.9).
        evolvable = set(evolvable_members("printFinishing"))
        self.assertIn("bindLeft", evolvable)
        self.assertNotIn("staple", evolvable)
        prefer = {"Prefer": "odata.maxpagesize=5, include-unknown-enum-members"}
        for chunk in (finishings, ["bindLeft"], ["none"], []):
            with self.subTest(finishings=chunk[:3]):
                r = self.post(t.jobs, {"configuration": {"finishings": chunk}}, token=t.token,
                              headers=prefer)
                job = self.assert_json_response(r, 201)
                self.assertEqual(job["configuration"].get("finishings"), chunk)
                hidden = ["unknownFutureValue" if m in evolvable else m for m in chunk]
                self.assertEqual(self.get_job(t, job["id"])["configuration"].get("finishings"),
                                 hidden)
                r = self.get(t.job(job["id"]), token=t.token, headers=prefer)
                self.assertEqual(self.assert_json_response(r)["configuration"]["finishings"],
                                 chunk)

    def test_refusals_name_the_property(self):
        t = self.printer_target(self.pid)
        cases = [
            ({"colorMode": "rainbow"}, ["configuration.colorMode", "blackAndWhite"]),
            ({"colorMode": 3}, ["configuration.colorMode"]),
            ({"duplexMode": "twoSided"}, ["configuration.duplexMode"]),
            ({"orientation": "diagonal"}, ["configuration.orientation"]),
            ({"quality": "best"}, ["configuration.quality"]),
            ({"scaling": "zoom"}, ["configuration.scaling"]),
            ({"multipageLayout": "spiral"}, ["configuration.multipageLayout"]),
            ({"feedOrientation": "sideways"}, ["configuration.feedOrientation"]),
            ({"finishings": ["staple", "glitter"]}, ["configuration.finishings"]),
            ({"finishings": "staple"}, ["configuration.finishings"]),
            ({"copies": "two"}, ["configuration.copies"]),
            ({"copies": 0}, ["configuration.copies"]),
            ({"copies": -1}, ["configuration.copies"]),
            ({"copies": 1.5}, ["configuration.copies"]),
            ({"dpi": 0}, ["configuration.dpi"]),
            ({"pageRanges": [{"start": 0, "end": 1}]}, ["configuration.pageRanges"]),
            ({"pageRanges": [{"start": 3, "end": 2}]}, ["configuration.pageRanges"]),
            ({"pageRanges": "1-2"}, ["configuration.pageRanges"]),
            ({"margin": {"top": -1}}, ["configuration.margin.top"]),
            ({"margin": "x"}, ["configuration.margin"]),
            ({"collate": "yes"}, ["configuration.collate"]),
            ({"foo": 1}, ["configuration.foo"]),
        ]
        before = self.job_ids(t)
        for cfg, mentions in cases:
            with self.subTest(configuration=cfg):
                r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
                self.assert_error(r, 400, "invalidRequest", mentions=mentions)
        self.assertEqual(self.job_ids(t), before, "a refused create left a job behind")

    def test_refusals_through_the_share_path(self):
        t = self.share_target(self.sid, "beta")
        before = self.job_ids(t)
        for cfg, mention in (({"colorMode": "rainbow"}, "configuration.colorMode"),
                             ({"copies": 0}, "configuration.copies"),
                             ({"margin": {"top": -1}}, "configuration.margin.top")):
            with self.subTest(configuration=cfg):
                r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
                self.assert_error(r, 400, "invalidRequest", mentions=[mention])
        self.assertEqual(self.job_ids(t), before)

    def test_unknown_and_read_only_top_level_properties(self):
        t = self.share_target(self.sid)
        before = self.job_ids(t)
        cases = [("bogus", 1), ("id", "77"), ("status", {"state": "completed"}),
                 ("createdBy", {"id": "x"}), ("createdDateTime", "2026-01-01T00:00:00Z"),
                 ("documents", []), ("isFetchable", True)]
        for prop, value in cases:
            with self.subTest(prop=prop):
                r = self.post(t.jobs, {"configuration": {}, prop: value}, token=t.token)
                self.assert_error(r, 400, "invalidRequest", mentions=[prop])
        self.assertEqual(self.job_ids(t), before)

    def test_body_not_an_object_or_missing(self):
        t = self.printer_target(self.pid)
        before = self.job_ids(t)
        for raw in (b"[]", b'"x"', b"42", b"null", b'{"configuration": ', b""):
            with self.subTest(body=raw):
                r = self.post(t.jobs, raw=raw, token=t.token)
                self.assert_error(r, 400)
        r = self.post(t.jobs, token=t.token)  # no body at all
        self.assert_error(r, 400)
        for cfg in ("x", 1, [], True):
            with self.subTest(configuration=cfg):
                r = self.post(t.jobs, {"configuration": cfg}, token=t.token)
                self.assert_error(r, 400, "invalidRequest", mentions=["configuration"])
        self.assertEqual(self.job_ids(t), before)

    def test_create_on_missing_printer_or_share(self):
        for t in (self.printer_target(str(uuid.uuid4())), self.share_target(str(uuid.uuid4()))):
            with self.subTest(target=repr(t)):
                r = self.post(t.jobs, {"configuration": {}}, token=t.token)
                self.assert_error(r, 404)


class JobReadTests(JobTestCase):

    def test_list_newest_first_without_documents(self):
        pid, sid = self.printer_and_share()
        pt, st = self.printer_target(pid), self.share_target(sid)
        created = [self.create_job(pt)["id"], self.create_job(st)["id"],
                   self.create_job(pt, {"copies": 2})["id"]]
        # The user who printed one of them lists that one alone.
        self.assertEqual(self.job_ids(st), [created[1]])
        self.assertEqual(self.job_ids(self.share_target(sid, "beta")), [created[1]])
        for t in self.all_targets(pid, sid):
            with self.subTest(target=repr(t)):
                r = self.get(t.jobs, token=t.token)
                body = self.assert_json_response(r)
                self.assertEqual(body.get("@odata.context"), t.context(self.server.base))
                jobs = body["value"]
                self.assertEqual([j["id"] for j in jobs], created[::-1], "newest first")
                for j in jobs:
                    self.assertNotIn("documents", j)
                    for prop in JOB_PROPERTIES:
                        self.assertIn(prop, j)
                    self.assertEqual(j["status"], PAUSED_STATUS)
                self.assertEqual(jobs[0]["configuration"].get("copies"), 2)
                r = self.get(t.jobs + "?$expand=documents", token=t.token)
                exp = self.assert_json_response(r)["value"]
                self.assertEqual([j["id"] for j in exp], created[::-1])
                for j in exp:
                    self.assertEqual(len(j.get("documents", [])), 1, j)
                    self.assertRegex(j["documents"][0]["id"], DOC_ID_RE)

    def test_entity_and_expand(self):
        pid, sid = self.printer_and_share()
        for t in (self.printer_target(pid), self.share_target(sid, "beta")):
            with self.subTest(target=repr(t)):
                job = self.create_job(t, {"copies": 4})
                r = self.get(t.job(job["id"]), token=t.token)
                got = self.assert_json_response(r)
                self.assertEqual(got.get("@odata.context"),
                                 t.context(self.server.base) + "/$entity")
                self.assertNotIn("documents", got)
                expect = {k: v for k, v in job.items()
                          if not k.startswith("@") and k != "documents"}
                self.assertEqual({k: v for k, v in got.items() if not k.startswith("@")},
                                 expect)
                r = self.get(t.job(job["id"]) + "?$expand=documents", token=t.token)
                got = self.assert_json_response(r)
                self.assertTrue(got.get("@odata.context", "").startswith(
                    t.context(self.server.base)), got.get("@odata.context"))
                self.assertEqual(got.get("documents"), job["documents"])

    def test_documents_collection_and_entity(self):
        pid, sid = self.printer_and_share()
        for t in (self.printer_target(pid), self.share_target(sid),
                  self.printer_target(pid, "beta")):
            with self.subTest(target=repr(t)):
                job = self.create_job(t)
                doc = job["documents"][0]
                r = self.get(t.documents(job["id"]), token=t.token)
                body = self.assert_json_response(r)
                self.assertTrue(body.get("@odata.context", "").startswith(
                    self.server.base + "/%s/$metadata#" % t.version), body)
                self.assertEqual([{k: v for k, v in d.items() if not k.startswith("@")}
                                  for d in body["value"]], [doc])
                r = self.get(t.document(job["id"], doc["id"]), token=t.token)
                got = self.assert_json_response(r)
                self.assertEqual({k: v for k, v in got.items() if not k.startswith("@")}, doc)
                self.assert_error(self.get(t.document(job["id"], str(uuid.uuid4())),
                                           token=t.token), 404)

    def test_job_is_visible_through_both_paths(self):
        pid, sid = self.printer_and_share()
        pt, st = self.printer_target(pid), self.share_target(sid)
        a = self.create_job(pt, {"copies": 2})
        b = self.create_job(st, {"copies": 3})
        for job in (a, b):
            for t in self.all_targets(pid, sid):
                with self.subTest(job=job["id"], target=repr(t)):
                    got = self.get_job(t, job["id"], expand=True)
                    # (beta may show more properties than v1.0: compare those of v1.0)
                    expect = {k: v for k, v in job.items() if not k.startswith("@")}
                    self.assertEqual({k: v for k, v in got.items() if k in expect}, expect)
        self.assertEqual(self.job_ids(pt), [b["id"], a["id"]])
        self.assertEqual(self.job_ids(self.share_target(sid, token=self.admin)),
                         [b["id"], a["id"]])
        # The user reaches the job the user printed, not the administrator's.
        self.assertEqual(self.job_ids(st), [b["id"]])
        self.assertEqual(self.get_job(st, b["id"])["id"], b["id"])
        self.assert_error(self.get(st.job(a["id"]), token=st.token), 404)

    def test_jobs_of_another_printer_are_404(self):
        pid, sid = self.printer_and_share()
        other_pid, other_sid = self.printer_and_share()
        job = self.create_job(self.printer_target(pid))
        did = job["documents"][0]["id"]
        for t in (self.printer_target(other_pid), self.share_target(other_sid)):
            with self.subTest(target=repr(t)):
                self.assertEqual(self.list_jobs(t), [])
                for path in (t.job(job["id"]), t.documents(job["id"]),
                             t.document(job["id"], did)):
                    self.assert_error(self.get(path, token=t.token), 404)
                self.assert_error(self.start(t, job["id"]), 404)
                self.assert_error(self.cancel(t, job["id"]), 404)
        self.assertEqual(self.get_job(self.printer_target(pid), job["id"])["status"],
                         PAUSED_STATUS)

    def test_unknown_job_ids_are_404(self):
        pid, sid = self.printer_and_share()
        self.create_job(self.printer_target(pid))
        for t in (self.printer_target(pid), self.share_target(sid, "beta")):
            for jid in ("999999", "0", "abc", str(uuid.uuid4())):
                with self.subTest(target=repr(t), job=jid):
                    r = self.get(t.job(jid), token=t.token)
                    self.assertIn(r.status, (400, 404), r)
                    self.assert_error(r, r.status)
                    if jid.isdigit():
                        self.assertEqual(r.status, 404, r)

    def test_other_tenant_gets_404(self):
        pid, sid = self.printer_and_share()
        job = self.create_job(self.share_target(sid))
        did = job["documents"][0]["id"]
        other_admin = job_admin_token(self.data, tenant=TENANT_B)
        other_user = user_token(self.data, tenant=TENANT_B)
        for t in (self.printer_target(pid, token=other_admin),
                  self.share_target(sid, token=other_user)):
            with self.subTest(target=repr(t)):
                for path in (t.jobs, t.job(job["id"]), t.documents(job["id"]),
                             t.document(job["id"], did)):
                    self.assert_error(self.get(path, token=t.token), 404)
                self.assert_error(self.post(t.jobs, {"configuration": {}}, token=t.token), 404)
                self.assert_error(self.start(t, job["id"]), 404)
                self.assert_error(self.cancel(t, job["id"]), 404)
        # Tenant B's own printer does not show tenant A's job either.
        other_printer = self.create_printer(token=other_admin)
        t = self.printer_target(other_printer["id"], token=other_admin)
        self.assertEqual(self.list_jobs(t), [])
        self.assert_error(self.get(t.job(job["id"]), token=other_admin), 404)
        self.assertEqual(self.get_job(self.share_target(sid), job["id"])["status"],
                         PAUSED_STATUS)

    def test_created_by_follows_the_token(self):
        pid, sid = self.printer_and_share()
        bob = user_token(self.data, user="bob@contoso.com", name="Bob")
        for tok in (self.user, bob, self.admin):
            with self.subTest(user=claims(tok)["upn"]):
                job = self.create_job(self.share_target(sid, token=tok))
                self.assertEqual(job["createdBy"]["id"], claims(tok)["oid"])
                self.assertEqual(job["createdBy"]["userPrincipalName"], claims(tok)["upn"])
