"""JSON batching (POST /{version}/$batch): requests run in-process with the batch's token, in
dependsOn order; their responses come back together in request order, with a 424 for the
dependents of a failed request; malformed batches are a 400 of their own. Every embedded 2xx
JSON body is validated against the schema of its request's URL (when the conformance material
is present)."""

import json
import tempfile
import urllib.parse
import uuid

from harness import (CONFIG, GUID_RE, INNER_DATE_RE, JSON_CONTENT_TYPE, check_body_conformance,
                     mint_token, raw_request, uniq)
from jobkit import JobTestCase


def req(rid, method, url, body=None, depends=None, headers=None):
    """One request of a batch (Content-Type application/json added with a body)."""
    out = {"id": rid, "method": method, "url": url}
    h = dict(headers or {})
    if body is not None:
        out["body"] = body
        h.setdefault("Content-Type", "application/json")
    if h:
        out["headers"] = h
    if depends:
        out["dependsOn"] = list(depends)
    return out


class BatchTestCase(JobTestCase):

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.pid = h.create_printer()["id"]

    def batch(self, requests, version="v1.0", token=None, **kw):
        """POSTs the batch; returns the Response."""
        return self.post("/%s/$batch" % version, {"requests": requests},
                         token=self.admin if token is None else token, **kw)

    def sub_path(self, version, url):
        """The path a request of a batch in version addresses (for its schema)."""
        if url.lower().startswith(("http://", "https://")):
            return urllib.parse.urlsplit(url).path
        return "/%s/%s" % (version, url.lstrip("/"))

    def run_batch(self, requests, version="v1.0", token=None):
        """Sends the batch, checks its shape and every response in it; returns {id: response}.
        """
        r = self.batch(requests, version, token)
        out = self.assert_json_response(r, 200)
        self.assert_graph_headers(r)
        self.assertEqual(list(out.keys()), ["responses"], r)
        responses = out["responses"]
        self.assertEqual([x.get("id") for x in responses], [q["id"] for q in requests],
                         "responses in request order")
        by_id = {}
        batch_request_id = r.header("request-id")
        for q, x in zip(requests, responses):
            self.check_response(version, q, x, batch_request_id)
            by_id[q["id"]] = x
        return by_id

    def check_response(self, version, q, x, batch_request_id):
        what = "%s %s (request %s)" % (q["method"], q["url"], q["id"])
        self.assertIsInstance(x.get("status"), int, what)
        self.assertTrue(set(x.keys()) <= {"id", "status", "headers", "body"}, x)
        headers = x.get("headers")
        self.assertIsInstance(headers, dict, what)
        for k, v in headers.items():
            self.assertIsInstance(v, str, "%s: header %s" % (what, k))
        rid = headers.get("request-id")
        self.assertRegex(rid or "", GUID_RE, what)
        self.assertNotEqual(rid, batch_request_id, "%s: its own request id" % what)
        self.assertEqual(headers.get("OData-Version"), "4.0", what)
        crid = (q.get("headers") or {}).get("client-request-id")
        self.assertEqual(headers.get("client-request-id"), crid or rid, what)
        if "body" in x:
            self.assertEqual(headers.get("Content-Type"), JSON_CONTENT_TYPE, what)
        else:
            self.assertNotIn("Content-Type", headers, what)
        if x["status"] >= 400:
            err = x.get("body", {}).get("error")
            self.assertIsInstance(err, dict, "%s: a Graph error body: %r" % (what, x))
            self.assertEqual(list(x["body"].keys()), ["error"], what)
            self.assertIsInstance(err.get("code"), str, what)
            self.assertIsInstance(err.get("message"), str, what)
            inner = err.get("innerError") or {}
            self.assertEqual(inner.get("request-id"), rid, what)
            self.assertEqual(inner.get("client-request-id"), headers.get("client-request-id"))
            self.assertRegex(inner.get("date") or "", INNER_DATE_RE, what)
        elif "body" in x:
            check_body_conformance(q["method"].upper(), self.sub_path(version, q["url"]),
                                   x["status"], headers.get("Content-Type"), x["body"])

    def assert_sub_error(self, x, status, code=None, mentions=()):
        self.assertEqual(x["status"], status, x)
        err = x["body"]["error"]
        if code is not None:
            self.assertEqual(err["code"], code, x)
        for m in mentions:
            self.assertIn(m.lower(), err["message"].lower(), x)
        return err

    def assert_batch_refused(self, r, *mentions):
        err = self.assert_error(r, 400, "BadRequest", mentions=mentions)
        self.assertIn("batch", err["message"].lower())
        return err


class BatchTests(BatchTestCase):

    def test_create_a_share_and_read_it_back(self):
        pid = self.create_printer()["id"]
        name = uniq("Batch share")
        got = self.run_batch([
            req("create", "POST", "/print/shares",
                {"displayName": name, "allowAllUsers": True,
                 "printer@odata.bind": self.bind(pid)}),
            req("list", "GET", "print/printers/%s/shares" % pid, depends=["create"]),
            req("printer", "GET", "/print/printers/%s?$select=id,isShared" % pid,
                depends=["create"]),
        ])
        created = got["create"]
        self.assertEqual(created["status"], 201, created)
        share = created["body"]
        self.assertEqual(share["displayName"], name)
        self.assertEqual(created["headers"].get("Location"),
                         "%s/v1.0/print/shares/%s" % (self.server.base, share["id"]))
        self.assertEqual(got["list"]["status"], 200, got["list"])
        self.assertEqual([s["id"] for s in got["list"]["body"]["value"]], [share["id"]])
        self.assertEqual(got["printer"]["body"].get("isShared"), True, got["printer"])
        # The share exists outside the batch too.
        direct = self.assert_json_response(self.get("/v1.0/print/shares/%s" % share["id"]))
        self.assertEqual(direct["displayName"], name)

    def test_mixed_successes_failures_and_failed_dependencies(self):
        missing = str(uuid.uuid4())
        got = self.run_batch([
            req("ok", "GET", "/print/printers/%s" % self.pid),
            req("missing", "GET", "/print/printers/%s" % missing),
            req("after-missing", "GET", "/print/shares", depends=["missing"]),
            req("after-424", "GET", "/print/shares", depends=["after-missing"]),
            req("after-ok", "GET", "/print/operations", depends=["ok"]),
            req("bad-patch", "PATCH", "/print/printers/%s" % self.pid, {"bogus": 1}),
            req("after-both", "DELETE", "/print/printers/%s" % self.pid,
                depends=["ok", "bad-patch"]),
            req("no-segment", "GET", "/print/nothing"),
        ])
        self.assertEqual(got["ok"]["status"], 200)
        self.assertEqual(got["ok"]["body"]["id"], self.pid)
        self.assert_sub_error(got["missing"], 404, "itemNotFound", mentions=(missing,))
        self.assert_sub_error(got["after-missing"], 424, "failedDependency",
                              mentions=("'missing'", "404"))
        self.assert_sub_error(got["after-424"], 424, "failedDependency",
                              mentions=("'after-missing'", "424"))
        self.assertEqual(got["after-ok"]["status"], 200, got["after-ok"])
        self.assert_sub_error(got["bad-patch"], 400, mentions=("bogus",))
        self.assert_sub_error(got["after-both"], 424, mentions=("'bad-patch'",))
        self.assert_sub_error(got["no-segment"], 400, "BadRequest", mentions=("nothing",))
        # The DELETE did not run.
        self.assert_json_response(self.get("/v1.0/print/printers/%s" % self.pid))

    def test_dependency_order_not_batch_order(self):
        pid = self.create_printer()["id"]
        got = self.run_batch([
            req("read", "GET", "/print/printers/%s/shares" % pid, depends=["share"]),
            req("share", "POST", "/print/shares",
                {"displayName": uniq("S"), "printer@odata.bind": self.bind(pid)}),
        ])
        self.assertEqual(got["share"]["status"], 201, got["share"])
        self.assertEqual(len(got["read"]["body"]["value"]), 1, got["read"])

    def test_per_request_403_when_the_token_lacks_a_scope(self):
        reader = mint_token(self.data, user="reader@contoso.com",
                            scopes="PrinterShare.ReadBasic.All")
        got = self.run_batch([
            req("shares", "GET", "/print/shares"),
            req("printers", "GET", "/print/printers"),
            req("create", "POST", "/print/shares",
                {"displayName": "x", "printer@odata.bind": self.bind(self.pid)}),
            # A request's own Authorization header is ignored: the batch's token counts.
            req("forged", "GET", "/print/printers",
                headers={"Authorization": "Bearer " + self.admin}),
        ], token=reader)
        self.assertEqual(got["shares"]["status"], 200, got["shares"])
        self.assert_sub_error(got["printers"], 403, "accessDenied",
                              mentions=("Printer.Read.All",))
        self.assert_sub_error(got["create"], 403, "accessDenied")
        self.assert_sub_error(got["forged"], 403, "accessDenied")
        # An application token: the batch passes, the requests are judged one by one.
        app = mint_token(self.data, app=str(uuid.uuid4()), scopes="Printer.Read.All")
        got = self.run_batch([req("p", "GET", "/print/printers/%s" % self.pid),
                              req("list", "GET", "/print/printers")], token=app)
        self.assertEqual(got["p"]["status"], 200, got["p"])
        self.assert_sub_error(got["list"], 403, "accessDenied", mentions=("application",))

    def test_404s(self):
        g = str(uuid.uuid4())
        got = self.run_batch([
            req("share", "GET", "/print/shares/%s" % g),
            req("job", "GET", "/print/printers/%s/jobs/999999" % self.pid),
            req("op", "GET", "/print/operations/%s" % g),
            req("delete", "DELETE", "/print/shares/%s" % g),
        ])
        for rid in ("share", "job", "op", "delete"):
            self.assert_sub_error(got[rid], 404, "itemNotFound")

    def test_beta_batch(self):
        pid, sid = self.printer_and_share()
        got = self.run_batch([
            req("alias", "GET", "/print/printerShares/%s" % sid),
            req("single", "GET", "/print/printers/%s/share" % pid),
            req("v1", "GET", "/v1.0/print/shares/%s" % sid),
            req("explicit", "GET", "/beta/print/shares/%s" % sid),
        ], version="beta")
        self.assertEqual(got["alias"]["status"], 200, got["alias"])
        self.assertEqual(got["alias"]["body"]["id"], sid)
        self.assertTrue(got["alias"]["body"]["@odata.context"].startswith(
            self.server.base + "/beta/"), got["alias"])
        self.assertEqual(got["single"]["body"]["id"], sid, got["single"])
        self.assert_sub_error(got["v1"], 400, "BadRequest", mentions=("v1.0", "beta"))
        self.assertEqual(got["explicit"]["status"], 200, got["explicit"])
        # beta's routes are not v1.0's.
        got = self.run_batch([req("alias", "GET", "/print/printerShares/%s" % sid)])
        self.assert_sub_error(got["alias"], 400, "BadRequest", mentions=("printerShares",))

    def test_twenty_requests_and_not_twenty_one(self):
        reqs = [req(str(i), "GET", "/print/printers/%s?$select=id" % self.pid)
                for i in range(20)]
        got = self.run_batch(reqs)
        self.assertEqual(len(got), 20)
        self.assertTrue(all(x["status"] == 200 for x in got.values()))
        reqs.append(req("20", "GET", "/print/printers"))
        self.assert_batch_refused(self.batch(reqs), "at most 20", "21")

    def test_malformed_batches(self):
        one = req("1", "GET", "/print/printers")
        cases = [
            ([one, dict(one)], ("'1'", "more than one")),
            ([req("1", "GET", "/print/printers", depends=["nope"])], ("'nope'",)),
            ([req("1", "GET", "/print/printers", depends=["1"])], ("itself",)),
            ([req("1", "GET", "/x", depends=["2"]), req("2", "GET", "/y", depends=["1"])],
             ("cycle",)),
            ([{"id": "1", "method": "POST", "url": "/print/shares", "body": {"a": 1}}],
             ("Content-Type",)),
            ([{"id": "1", "method": "POST", "url": "/print/shares", "body": {"a": 1},
               "headers": {"Accept": "application/json"}}], ("Content-Type",)),
            ([{"id": "", "method": "GET", "url": "/print/printers"}], ("id",)),
            ([{"id": 1, "method": "GET", "url": "/print/printers"}], ("id",)),
            ([{"id": "1", "method": "HEAD", "url": "/print/printers"}], ("method",)),
            ([{"id": "1", "method": "GET"}], ("url",)),
            ([{"id": "1", "method": "GET", "url": "/print/printers", "headers": {"a": 1}}],
             ("header",)),
            ([{"id": "1", "method": "GET", "url": "/print/printers", "extra": 1}], ("extra",)),
            ([], ("empty",)),
            (["x"], ("object",)),
        ]
        for requests, mentions in cases:
            with self.subTest(requests=requests):
                self.assert_batch_refused(self.batch(requests), *mentions)
        for body, mentions in (({}, ("requests",)), ({"requests": {}}, ("requests",)),
                               ({"requests": [one], "more": 1}, ("more",))):
            with self.subTest(body=body):
                self.assert_batch_refused(self.post("/v1.0/$batch", body), *mentions)
        # Not JSON, and not an object: the pipeline's own refusals.
        r = self.post("/v1.0/$batch", raw=b'{"requests": [', token=self.admin)
        self.assert_error(r, 400, "invalidRequest", mentions=("position",))
        self.assert_error(self.post("/v1.0/$batch", raw=b"[]"), 400)
        r = self.post("/v1.0/$batch", {"requests": [one]}, content_type="text/plain")
        self.assert_error(r, 415)
        self.assert_error(self.get("/v1.0/$batch"), 405)

    def test_the_batch_needs_a_valid_token(self):
        for token in (None, "not-a-token"):
            with self.subTest(token=token):
                r = self.post("/v1.0/$batch", {"requests": [req("1", "GET", "/print/shares")]},
                              token=token)
                self.assert_error(r, 401, "InvalidAuthenticationToken")
        with tempfile.TemporaryDirectory(prefix="uprintd-it-") as other:
            foreign = mint_token(other, user="admin@contoso.com", scopes="User.Read")
        self.assert_error(self.batch([req("1", "GET", "/print/shares")], token=foreign), 401,
                          "InvalidAuthenticationToken")
        # Any valid token will do for the batch itself.
        nobody = mint_token(self.data, user="nobody@contoso.com", scopes="User.Read")
        got = self.run_batch([req("1", "GET", "/print/shares")], token=nobody)
        self.assert_sub_error(got["1"], 403, "accessDenied")

    def test_urls(self):
        base = self.server.base
        evil = "https://example.com/v1.0/print/printers/%s" % self.pid
        got = self.run_batch([
            req("relative", "GET", "print/printers/%s" % self.pid),
            req("ours", "GET", "%s/v1.0/print/printers/%s" % (base, self.pid)),
            req("graph", "GET", "https://graph.microsoft.com/v1.0/print/printers/%s" % self.pid),
            req("case", "GET", "/PRINT/Printers/%s" % self.pid.upper()),
            req("query", "GET", "/print/printers/%s?$select=id,displayName" % self.pid),
            req("evil", "GET", evil),
            req("other-version", "GET", "https://graph.microsoft.com/beta/print/shares"),
            req("no-version", "GET", "https://graph.microsoft.com/print/shares"),
            req("nested", "POST", "/$batch", {"requests": [req("x", "GET", "/print/shares")]}),
            req("nested-encoded", "POST", "%24batch", {"requests": []}),
            req("upload", "PUT", "/_uprintd/uploads/%s" % uuid.uuid4()),
            req("control", "POST", "/_uprintd/printers/%s/hold" % self.pid),
            req("lower", "get", "/print/printers/%s" % self.pid),
            req("put", "PUT", "/print/printers/%s" % self.pid, {}),
        ])
        for rid in ("relative", "ours", "graph", "case", "lower"):
            self.assertEqual(got[rid]["status"], 200, got[rid])
            self.assertEqual(got[rid]["body"]["id"], self.pid)
        self.assertEqual(set(got["query"]["body"]) - {"@odata.context"}, {"id", "displayName"})
        self.assert_sub_error(got["evil"], 400, "BadRequest", mentions=("example.com",))
        self.assert_sub_error(got["other-version"], 400, "BadRequest", mentions=("beta",))
        self.assert_sub_error(got["no-version"], 400, "BadRequest", mentions=("version",))
        self.assert_sub_error(got["nested"], 400, "BadRequest", mentions=("another batch",))
        self.assert_sub_error(got["nested-encoded"], 400, "BadRequest",
                              mentions=("another batch",))
        self.assert_sub_error(got["upload"], 400, "BadRequest",
                              mentions=("not reachable through a batch",))
        self.assert_sub_error(got["control"], 400, "BadRequest",
                              mentions=("not reachable through a batch",))
        self.assert_sub_error(got["put"], 405)
        self.assertIn("PATCH", got["put"]["headers"].get("Allow", ""))

    def test_headers_are_kept(self):
        got = self.run_batch([
            req("create", "POST", "/print/printers/create", self.printer_body(),
                headers={"client-request-id": "batch-create-1"}),
            req("ops", "GET", "/print/operations", depends=["create"]),
        ])
        c = got["create"]
        self.assertEqual(c["status"], 202, c)
        self.assertNotIn("body", c)
        self.assertEqual(c["headers"]["Retry-After"], "5")
        self.assertEqual(c["headers"]["client-request-id"], "batch-create-1")
        loc = c["headers"]["Operation-Location"]
        self.assertTrue(loc.startswith(self.server.base + "/v1.0/print/operations/"), loc)
        op_id = loc.rsplit("/", 1)[1]
        self.assertIn(op_id, [o["id"] for o in got["ops"]["body"]["value"]])
        # The operation can be polled through the URL it names, in a batch too.
        got = self.run_batch([req("poll", "GET", loc)])
        self.assertEqual(got["poll"]["body"]["status"]["state"], "succeeded", got["poll"])

    def test_jobs_documents_and_value_redirect(self):
        pid = self.create_printer()["id"]
        t = self.printer_target(pid)
        jid, did = self.ready_job(t)
        job_path = "/print/printers/%s/jobs/%s" % (pid, jid)
        got = self.run_batch([
            req("job", "GET", job_path + "?$expand=documents"),
            req("docs", "GET", job_path + "/documents"),
            req("value", "GET", job_path + "/documents/%s/$value" % did),
            req("session", "POST", job_path + "/documents/%s/createUploadSession" % did,
                {"properties": {"documentName": "b.pdf", "contentType": "application/pdf",
                                "size": 10}}),
            req("new-job", "POST", "/print/printers/%s/jobs" % pid, {"configuration": {}}),
        ])
        self.assertEqual(got["job"]["body"]["id"], jid, got["job"])
        self.assertEqual(got["docs"]["body"]["value"][0]["id"], did, got["docs"])
        v = got["value"]
        self.assertEqual(v["status"], 302, v)
        self.assertNotIn("body", v)
        loc = v["headers"].get("Location") or ""
        self.assertTrue(loc.startswith(self.server.base + "/_uprintd/downloads/"), v)
        # The download URL works outside the batch, and is not reachable inside one.
        parts = urllib.parse.urlsplit(loc)
        r = self.call("GET", parts.path + "?" + parts.query, token=None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.body.startswith(b"%PDF-1.7 job " + jid.encode()), r)
        again = self.run_batch([req("download", "GET", loc)])
        self.assert_sub_error(again["download"], 400, "BadRequest")
        # New content for a job not yet started: a new upload session.
        self.assertEqual(got["session"]["status"], 200, got["session"])
        self.assertIn("/_uprintd/uploads/", got["session"]["body"]["uploadUrl"])
        self.assertEqual(got["new-job"]["status"], 201, got["new-job"])
        self.assertIn("Location", got["new-job"]["headers"])

    def test_bodies_and_their_limits(self):
        got = self.run_batch([
            req("text", "POST", "/print/shares", "just text",
                headers={"Content-Type": "text/plain"}),
            req("array", "POST", "/print/shares", [1, 2]),
            req("big", "POST", "/print/shares/%s/allowedUsers/$ref" % uuid.uuid4(),
                {"@odata.id": "x" * (20 * 1024)}),
            req("ignored", "GET", "/print/printers/%s" % self.pid, {"ignored": True}),
        ])
        self.assert_sub_error(got["text"], 415)
        self.assert_sub_error(got["array"], 400, mentions=("object",))
        self.assert_sub_error(got["big"], 413, mentions=("16 KiB",))
        self.assertEqual(got["ignored"]["status"], 200, got["ignored"])
        # The batch itself is bounded by --max-json-kb (1024 KiB by default), its requests'
        # bodies by their routes' limits: a batch just under it is read ...
        under = [req(str(i), "POST", "/print/shares", {"displayName": "x" * (50 * 1024)})
                 for i in range(19)]
        raw = json.dumps({"requests": under}).encode()
        self.assertLess(len(raw), 1024 * 1024)
        got = self.run_batch(under)
        self.assert_sub_error(got["0"], 400, mentions=("displayName",))
        # ... and one over it is refused before it is read.
        big = json.dumps({"requests": [req("1", "POST", "/print/shares",
                                           {"displayName": "x" * (1100 * 1024)})]}).encode()
        head = ("POST /v1.0/$batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d" % (self.admin, len(big)))
        self.assert_error(raw_request(self.server, head, [big]), 413, "requestTooLarge")
        self.assert_still_answers()

    def test_embedded_bodies_are_validated(self):
        c = CONFIG.conformance
        if c is None or not c.available:
            self.skipTest("conformance material not available")
        before = c.validated
        pid, sid = self.printer_and_share()
        self.run_batch([
            req("printers", "GET", "/print/printers"),
            req("printer", "GET", "/print/printers/%s" % pid),
            req("share", "GET", "/print/shares/%s" % sid),
            req("shares", "GET", "/print/shares"),
            req("job", "POST", "/print/shares/%s/jobs" % sid, {"configuration": {"copies": 2}}),
        ])
        self.assertGreater(c.validated, before + 4)

