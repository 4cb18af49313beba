"""OData queries over HTTP: paging with @odata.nextLink while rows arrive, $filter by user, state
and date, $orderby, $select and $expand shapes, $count, evolvable enums, and every option a
collection does not support (400 naming it)."""

import urllib.parse
import uuid

from harness import mint_token
from jobkit import JobTestCase, user_token
from pullkit import PullTestCase

Q = urllib.parse.quote


class JobPagingTests(JobTestCase):

    def test_pages_of_7_through_1000_jobs_while_jobs_arrive(self):
        pid, _ = self.printer_and_share()
        t = self.printer_target(pid)
        old = [self.create_job(t)["id"] for _ in range(1000)]
        seen = []
        path = t.jobs + "?$top=7"
        pages = 0
        while path:
            pages += 1
            self.assertLess(pages, 200)
            r = self.get(path, token=t.token)
            body = self.assert_json_response(r)
            self.assertLessEqual(len(body["value"]), 7)
            seen += [j["id"] for j in body["value"]]
            self.create_job(t)  # a new job arrives between two pages
            link = body.get("@odata.nextLink")
            if link:
                self.assertTrue(link.startswith(self.server.base + "/v1.0/print/printers/"), link)
                self.assertIn("$top=7", link)
                self.assertIn("$skiptoken=", link)
                u = urllib.parse.urlsplit(link)
                path = u.path + "?" + u.query
            else:
                path = None
        # Every job that existed before the first page, exactly once, newest first.
        got_old = [i for i in seen if i in set(old)]
        self.assertEqual(got_old, old[::-1])
        self.assertEqual(len(seen), len(set(seen)))

    def test_default_and_largest_page_is_100(self):
        pid, _ = self.printer_and_share()
        t = self.printer_target(pid)
        for _ in range(105):
            self.create_job(t)
        for query in ("", "?$top=500"):
            with self.subTest(query=query):
                body = self.assert_json_response(self.get(t.jobs + query, token=t.token))
                self.assertEqual(len(body["value"]), 100)
                self.assertIn("@odata.nextLink", body)
                u = urllib.parse.urlsplit(body["@odata.nextLink"])
                rest = self.assert_json_response(self.get(u.path + "?" + u.query, token=t.token))
                self.assertEqual(len(rest["value"]), 5)
                self.assertNotIn("@odata.nextLink", rest)

    def test_a_token_belongs_to_its_query(self):
        pid, _ = self.printer_and_share()
        t = self.printer_target(pid)
        for _ in range(3):
            self.create_job(t)
        body = self.assert_json_response(self.get(t.jobs + "?$top=1", token=t.token))
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(body["@odata.nextLink"]).query)[
            "$skiptoken"][0]
        for query in ("$skiptoken=garbage", "$filter=id%20gt%20'0'&$skiptoken=" + token,
                      "$orderby=createdDateTime&$skiptoken=" + token):
            with self.subTest(query=query):
                err = self.assert_error(self.get(t.jobs + "?" + query, token=t.token), 400)
                self.assertIn("$skiptoken", err["message"])


class JobFilterTests(JobTestCase):

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.pid, cls.sid = h.printer_and_share()
        cls.ada = user_token(cls.data, user="ada@contoso.com", name="Ada")
        cls.bob = user_token(cls.data, user="bob@contoso.com", name="Bob")
        ta = h.share_target(cls.sid, token=cls.ada)
        tb = h.share_target(cls.sid, token=cls.bob)
        cls.ada_jobs = [h.create_job(ta)["id"] for _ in range(3)]
        cls.bob_jobs = [h.create_job(tb)["id"] for _ in range(2)]
        cls.canceled = cls.ada_jobs[1]
        h.assertEqual(h.cancel(ta, cls.canceled).status, 204)

    def ids(self, query, token=None):
        t = self.printer_target(self.pid)
        r = self.get(t.jobs + "?" + query, token=token or t.token)
        return [j["id"] for j in self.assert_json_response(r)["value"]]

    def test_by_user_state_date_and_id(self):
        upn = "$filter=" + Q("createdBy/userPrincipalName eq 'ADA@contoso.com'")
        self.assertEqual(self.ids(upn), self.ada_jobs[::-1])
        self.assertEqual(self.ids("$filter=" + Q("status/state eq 'canceled'")), [self.canceled])
        self.assertEqual(
            self.ids("$filter=" + Q("status/state ne 'canceled' and startswith("
                                    "createdBy/userPrincipalName,'bob')")), self.bob_jobs[::-1])
        self.assertEqual(self.ids("$filter=" + Q("createdDateTime gt 2000-01-01T00:00:00Z")),
                         (self.ada_jobs + self.bob_jobs)[::-1])
        self.assertEqual(self.ids("$filter=" + Q("createdDateTime lt 2000-01-01T00:00:00Z")), [])
        self.assertEqual(self.ids("$filter=" + Q("id eq '%s'" % self.bob_jobs[0])),
                         [self.bob_jobs[0]])
        self.assertEqual(
            self.ids("$filter=" + Q("status/state eq microsoft.graph.printJobProcessingState"
                                    "'paused' and not (createdBy/displayName eq 'Bob')")),
            [self.ada_jobs[2], self.ada_jobs[0]])
        # The same filter through the share, as the user: still only the user's own jobs.
        t = self.share_target(self.sid, token=self.bob)
        r = self.get(t.jobs + "?$filter=" + Q("status/state eq 'paused'"), token=self.bob)
        self.assertEqual([j["id"] for j in self.assert_json_response(r)["value"]],
                         self.bob_jobs[::-1])

    def test_order_and_select(self):
        query = "$orderby=" + Q("createdBy/userPrincipalName desc,createdDateTime") + \
                "&$select=id,createdBy"
        t = self.printer_target(self.pid)
        body = self.assert_json_response(self.get(t.jobs + "?" + query, token=t.token))
        self.assertEqual([j["id"] for j in body["value"]], self.bob_jobs + self.ada_jobs)
        self.assertTrue(body["@odata.context"].endswith("/jobs(id,createdBy)"), body)
        for j in body["value"]:
            self.assertEqual(set(j), {"id", "createdBy"}, j)

    def test_bad_queries_are_400_naming_the_option(self):
        t = self.printer_target(self.pid)
        cases = [("$filter=" + Q("bogus eq 1"), "$filter"),
                 ("$filter=" + Q("status/state eq 'queued'"), "$filter"),
                 ("$filter=" + Q("createdDateTime gt 'yesterday'"), "$filter"),
                 ("$filter=" + Q("(id eq '1'"), "$filter"),
                 ("$orderby=" + Q("configuration"), "$orderby"),
                 ("$orderby=" + Q("id sideways"), "$orderby"),
                 ("$top=-1", "$top"), ("$top=x", "$top"), ("$skip=x", "$skip"),
                 ("$count=true", "$count"), ("$search=" + Q('"x"'), "$search"),
                 ("$expand=bogus", "$expand"), ("$select=bogus", "$select")]
        for query, option in cases:
            with self.subTest(query=query):
                err = self.assert_error(self.get(t.jobs + "?" + query, token=t.token), 400)
                self.assertIn(option, err["message"] + err.get("target", ""), err)


class CollectionQueryTests(JobTestCase):

    def test_printers_and_shares(self):
        a = self.create_printer(name="Alpha " + uuid.uuid4().hex[:6])
        b = self.create_printer(name="Beta " + uuid.uuid4().hex[:6])
        share = self.create_share(b["id"])
        r = self.get("/v1.0/print/printers?$filter=" + Q("displayName eq '%s'" % a["displayName"]))
        self.assertEqual([p["id"] for p in self.assert_json_response(r)["value"]], [a["id"]])
        r = self.get("/v1.0/print/printers?$filter=isShared&$expand=shares&$select=id,isShared")
        body = self.assert_json_response(r)
        mine = [p for p in body["value"] if p["id"] == b["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(set(mine[0]), {"id", "isShared", "shares"}, mine[0])
        self.assertEqual([s["id"] for s in mine[0]["shares"]], [share["id"]])
        self.assertNotIn(a["id"], [p["id"] for p in body["value"]])
        r = self.get("/v1.0/print/printers/%s?$expand=shares" % a["id"])
        self.assertEqual(self.assert_json_response(r)["shares"], [])
        r = self.get("/v1.0/print/shares/%s?$expand=printer" % share["id"])
        self.assertEqual(self.assert_json_response(r)["printer"]["id"], b["id"])
        r = self.get("/v1.0/print/shares?$orderby=" + Q("displayName desc") + "&$top=1&"
                     "$expand=printer")
        body = self.assert_json_response(r)
        self.assertEqual(len(body["value"]), 1)
        self.assertIn("printer", body["value"][0])
        r = self.get("/v1.0/print/printers?$top=1&$skip=1")
        self.assertEqual(len(self.assert_json_response(r)["value"]), 1)
        for path, option in (("/v1.0/print/printers?$count=true", "$count"),
                             ("/v1.0/print/shares?$search=x", "$search"),
                             ("/v1.0/print/printers?$expand=jobs", "$expand"),
                             ("/v1.0/print/shares?$expand=shares", "$expand"),
                             ("/v1.0/print/printers?$filter=" + Q("capabilities eq null"),
                              "$filter")):
            with self.subTest(path=path):
                err = self.assert_error(self.get(path), 400)
                self.assertIn(option, err["message"] + err.get("target", ""))

    def test_operations_count(self):
        for _ in range(3):
            self.create_printer()
        r = self.get("/v1.0/print/operations?$count=true&$top=2&$filter=" +
                     Q("status/state eq 'succeeded'"))
        body = self.assert_json_response(r)
        self.assertGreaterEqual(body["@odata.count"], 3)
        self.assertEqual(len(body["value"]), 2)
        self.assertEqual(list(body)[:3], ["@odata.context", "@odata.count", "value"])
        r = self.get("/v1.0/print/operations?$count=true&$filter=" +
                     Q("status/state eq 'failed'"))
        body = self.assert_json_response(r)
        self.assertEqual(body["@odata.count"], 0)
        self.assertEqual(body["value"], [])
        # /$count: the number alone, as text.
        total = self.assert_json_response(self.get("/v1.0/print/operations?$count=true"))
        r = self.get("/v1.0/print/operations/$count")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"), r)
        self.assertEqual(r.body.decode(), str(total["@odata.count"]))
        r = self.get("/beta/print/operations/$count?$filter=" + Q("status/state eq 'failed'"))
        self.assertEqual(r.body, b"0")
        self.assert_error(self.get("/v1.0/print/operations/$count?$top=1"), 400)
        self.assert_error(self.get("/v1.0/print/printers/$count"), 404)


class PullQueryTests(PullTestCase):
    """Task definitions, tasks and triggers: $filter, $orderby, $expand; no $select, $top."""

    def test_filter_order_expand(self):
        q = self.pull_queue()
        _, _, _, task = self.held_job(q)
        base = "/v1.0/print/taskDefinitions"
        r = self.get(base + "?$filter=" + Q("displayName eq '%s'" % q.definition["displayName"]),
                     token=self.app)
        self.assertEqual([d["id"] for d in self.assert_json_response(r)["value"]], [q.def_id])
        r = self.get(base + "/%s?$expand=tasks" % q.def_id, token=self.app)
        self.assertEqual([t["id"] for t in self.assert_json_response(r)["tasks"]], [task["id"]])
        r = self.get(base + "/%s/tasks?$filter=" % q.def_id + Q("status/state eq 'processing'") +
                     "&$expand=definition,trigger", token=self.app)
        got = self.assert_json_response(r)["value"]
        self.assertEqual([t["id"] for t in got], [task["id"]])
        self.assertEqual(got[0]["definition"]["id"], q.def_id)
        self.assertEqual(got[0]["trigger"]["id"], q.trigger["id"])
        r = self.get(base + "/%s/tasks/%s?$expand=trigger" % (q.def_id, task["id"]),
                     token=self.app)
        self.assertEqual(self.assert_json_response(r)["trigger"]["event"], "jobStarted")
        r = self.get("/v1.0/print/printers/%s/taskTriggers?$expand=definition&$filter=" % q.pid +
                     Q("event eq 'jobStarted'"), token=self.trigger_admin)
        got = self.assert_json_response(r)["value"]
        self.assertEqual(got[0]["definition"]["id"], q.def_id)
        for path in (base + "?$top=1", base + "?$select=id", base + "?$count=true",
                     base + "/%s/tasks?$skip=1" % q.def_id, base + "?$expand=bogus"):
            with self.subTest(path=path):
                self.assert_error(self.get(path, token=self.app), 400)


class MatrixTokenTests(JobTestCase):
    """A user's token without the Get share permission cannot page through anything."""

    def test_paging_keeps_permissions(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        for _ in range(3):
            self.create_job(t)
        body = self.assert_json_response(self.get(t.jobs + "?$top=1", token=t.token))
        u = urllib.parse.urlsplit(body["@odata.nextLink"])
        weak = mint_token(self.data, user="alice@contoso.com", scopes="PrintJob.ReadBasic")
        self.assert_error(self.get(u.path + "?" + u.query, token=weak), 403)
