"""Permissions over HTTP: a matrix generated from the server's own permission table
(`uprintd permissions --json`), then own-vs-all jobs, Basic-vs-content scopes, who may print to a
share (allowedUsers / allowedGroups) and `--permissions off`."""

import json
import re
import uuid

from harness import CliTestCase, mint_token, run_cli
from jobkit import JobTestCase, document_bytes, sha256

ADMIN_ROLE = "PrinterAdministrator"
GUID_PARAM = re.compile(r"\{[A-Za-z]+\}")


def permission_table():
    p = run_cli("permissions", "--json", check=True)
    return json.loads(p.stdout)


class TokenCache:
    """Mints tokens once per (kind, scopes, admin)."""

    def __init__(self, data_dir):
        self.data = data_dir
        self.tokens = {}

    def get(self, app, scopes, admin=False, user="matrix@contoso.com"):
        key = (app, tuple(scopes), admin, user)
        if key not in self.tokens:
            if app:
                self.tokens[key] = mint_token(self.data, app=str(uuid.uuid5(
                    uuid.NAMESPACE_URL, "matrix-app")), scopes=" ".join(scopes))
            else:
                self.tokens[key] = mint_token(self.data, user=user, scopes=" ".join(scopes),
                                              roles=ADMIN_ROLE if admin else None)
        return self.tokens[key]


class PermissionMatrixTests(JobTestCase):
    """For every route of the table: the least privileged permission gets past the check (any
    answer but 401/403), none of them is 403, the other kind of token is 403, and a required
    administrator role is required."""

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.table = permission_table()
        cls.pid, cls.sid = h.printer_and_share()
        cls.tokens = TokenCache(cls.data)

    def url(self, row, version):
        """The route with real printer and share ids (GETs only: nothing is changed by them)
        and unknown ids elsewhere."""
        path = row["pattern"]
        real = row["method"] == "GET"
        path = path.replace("{printerId}", self.pid if real else str(uuid.uuid4()))
        path = path.replace("{shareId}", self.sid if real else str(uuid.uuid4()))
        path = path.replace("{jobId}", "999999")
        path = GUID_PARAM.sub(lambda m: str(uuid.uuid4()), path)
        return path if version is None else "/%s%s" % (version, path)

    def send(self, row, token):
        # versions: 1 v1.0, 2 beta, 3 both, 4 this server's own URLs (no version segment)
        version = {2: "beta", 4: None}.get(row["versions"], "v1.0")
        body = {} if row["method"] in ("POST", "PATCH") else None
        kw = {"token": token}
        if body is not None:
            kw["body"] = body
        return self.call(row["method"], self.url(row, version), **kw)

    def least(self, row, app):
        """The least privileged permissions a caller of this kind needs for the row."""
        main = row["application" if app else "delegated"]
        also = row["applicationAlso" if app else "delegatedAlso"]
        return [main[0]] + ([also[0]] if also else [])

    def test_the_table_covers_every_route(self):
        self.assertGreater(len(self.table), 70)
        for row in self.table:
            with self.subTest(route="%s %s" % (row["method"], row["pattern"])):
                if row["open"]:
                    # Upload and download URLs (their own token), and the operations URLs.
                    self.assertTrue(row["pattern"].startswith("/_uprintd/uploads") or
                                    row["pattern"].startswith("/_uprintd/downloads") or
                                    row["pattern"] in ("/healthz", "/readyz", "/metrics"), row)
                elif row["anyCaller"]:
                    # Only the batch, whose requests are each judged on their own.
                    self.assertEqual(row["pattern"], "/$batch", row)
                    self.assertFalse(row["delegated"] or row["application"], row)
                else:
                    self.assertTrue(row["delegated"] or row["application"], row)

    def test_matrix(self):
        checked = 0
        for row in self.table:
            if row["open"]:
                continue
            name = "%s %s" % (row["method"], row["pattern"])
            if row["anyCaller"]:
                # Any valid token gets past the check (the empty body is then a 400); none is
                # a 401.
                for app in (False, True):
                    with self.subTest(route=name, case="any valid token", app=app):
                        r = self.send(row, self.tokens.get(app, ["User.Read"]))
                        self.assert_error(r, 400)
                with self.subTest(route=name, case="no token"):
                    self.assert_error(self.send(row, None), 401)
                continue
            for app in (False, True):
                accepted = row["application" if app else "delegated"]
                kind = "application" if app else "delegated"
                if not accepted:
                    # The other kind of token, with every permission the route names: 403.
                    other = row["delegated" if app else "application"] or []
                    also = row["delegatedAlso" if app else "applicationAlso"] or []
                    tok = self.tokens.get(app, other + also, admin=True)
                    with self.subTest(route=name, case="wrong caller type", caller=kind):
                        r = self.send(row, tok)
                        self.assert_error(r, 403, "accessDenied")
                    continue
                least = self.least(row, app)
                admin = bool(row["admin"]) and not app
                with self.subTest(route=name, case="least privileged", caller=kind):
                    r = self.send(row, self.tokens.get(app, least, admin=admin))
                    self.assertNotIn(r.status, (401, 403), r)
                    if r.status >= 400:
                        self.assert_error(r, r.status)
                    checked += 1
                # Without the main permission (keeping the "also" one): 403 naming it.
                rest = least[1:] or ["User.Read"]
                with self.subTest(route=name, case="missing permission", caller=kind):
                    r = self.send(row, self.tokens.get(app, rest, admin=admin))
                    err = self.assert_error(r, 403, "accessDenied")
                    self.assertIn(accepted[0], err["message"])
                if len(least) > 1:
                    with self.subTest(route=name, case="missing Get printer/share", caller=kind):
                        r = self.send(row, self.tokens.get(app, least[:1], admin=admin))
                        self.assert_error(r, 403, "accessDenied")
                if admin:
                    with self.subTest(route=name, case="not an administrator", caller=kind):
                        r = self.send(row, self.tokens.get(app, least, admin=False))
                        err = self.assert_error(r, 403, "accessDenied")
                        self.assertIn("Printer Administrator", err["message"])
        self.assertGreater(checked, 60)

    def test_least_privileged_reads_succeed_on_real_objects(self):
        # A few GETs whose least privileged permission must give a 200, not only "not 403".
        cases = [("/v1.0/print/printers", False, ["Printer.Read.All"], True),
                 ("/v1.0/print/printers/%s" % self.pid, True, ["Printer.Read.All"], False),
                 ("/v1.0/print/shares", False, ["PrinterShare.ReadBasic.All"], False),
                 ("/v1.0/print/shares/%s" % self.sid, False, ["PrinterShare.ReadBasic.All"], False),
                 ("/v1.0/print/shares/%s/jobs" % self.sid, False,
                  ["PrintJob.ReadBasic", "PrinterShare.ReadBasic.All"], False),
                 ("/v1.0/print/printers/%s/jobs" % self.pid, True,
                  ["PrintJob.ReadBasic.All", "Printer.Read.All"], False),
                 ("/v1.0/print/printers/%s/taskTriggers" % self.pid, False,
                  ["Printer.Read.All"], True),
                 ("/v1.0/print/shares/%s/allowedUsers" % self.sid, False,
                  ["PrinterShare.Read.All"], True),
                 ("/v1.0/print/taskDefinitions", True, ["PrintTaskDefinition.ReadWrite.All"],
                  False)]
        for path, app, scopes, admin in cases:
            with self.subTest(path=path, scopes=scopes):
                r = self.get(path, token=self.tokens.get(app, scopes, admin=admin))
                self.assert_json_response(r)


class JobOwnershipTests(JobTestCase):
    """Own vs All (reference 11.2)."""

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.pid, cls.sid = h.printer_and_share()
        share_scope = "PrinterShare.ReadBasic.All"
        cls.alice = mint_token(cls.data, user="alice@contoso.com",
                               scopes="PrintJob.ReadWrite PrintJob.Create " + share_scope)
        cls.bob = mint_token(cls.data, user="bob@contoso.com",
                             scopes="PrintJob.ReadWrite PrintJob.Create " + share_scope)
        # .All without the role, the role without .All, and both.
        cls.all_no_role = mint_token(cls.data, user="carol@contoso.com",
                                     scopes="PrintJob.ReadWrite.All " + share_scope)
        cls.role_no_all = mint_token(cls.data, user="dave@contoso.com", roles=ADMIN_ROLE,
                                     scopes="PrintJob.ReadWrite " + share_scope)
        cls.admin_all = mint_token(cls.data, user="erin@contoso.com", roles=ADMIN_ROLE,
                                   scopes="PrintJob.ReadWrite.All " + share_scope)
        cls.global_all = mint_token(cls.data, user="gail@contoso.com", roles="GlobalAdministrator",
                                    scopes="PrintJob.Read.All " + share_scope)
        cls.app = mint_token(cls.data, app=str(uuid.uuid4()),
                             scopes="PrintJob.Read.All Printer.Read.All")
        cls.data_bytes = document_bytes(3000, 5)
        t = h.share_target(cls.sid, token=cls.alice)
        cls.jid, cls.did = h.ready_job(t, cls.data_bytes)

    def t(self, token, version="v1.0"):
        return self.share_target(self.sid, version, token=token)

    def test_the_owner_and_those_who_reach_all_jobs(self):
        for name, tok in (("owner", self.alice), ("administrator with .All", self.admin_all),
                          ("global administrator with .All", self.global_all)):
            with self.subTest(caller=name):
                t = self.t(tok)
                self.assertIn(self.jid, self.job_ids(t))
                self.assertEqual(self.get_job(t, self.jid)["id"], self.jid)
                self.assertEqual(sha256(self.download(t, self.jid, self.did).body),
                                 sha256(self.data_bytes))
        # An application with a .All permission, through the printer.
        pt = self.printer_target(self.pid, token=self.app)
        self.assertIn(self.jid, self.job_ids(pt))
        self.assertEqual(sha256(self.download(pt, self.jid, self.did).body),
                         sha256(self.data_bytes))

    def test_others_do_not_see_the_job(self):
        for name, tok in (("another user", self.bob), ("a .All scope without the role",
                                                       self.all_no_role),
                          ("the role without a .All scope", self.role_no_all)):
            for version in ("v1.0", "beta"):
                with self.subTest(caller=name, version=version):
                    t = self.t(tok, version)
                    before = self.get_job(self.t(self.alice), self.jid)
                    self.assertNotIn(self.jid, self.job_ids(t))
                    for r in (self.get(t.job(self.jid), token=tok),
                              self.get(t.job(self.jid) + "/documents", token=tok),
                              self.get(t.document(self.jid, self.did) + "/$value", token=tok),
                              self.start(t, self.jid), self.cancel(t, self.jid),
                              self.post(t.document(self.jid, self.did) + "/createUploadSession",
                                        {"properties": {"documentName": "x.pdf",
                                                        "contentType": "application/pdf",
                                                        "size": 10}}, token=tok)):
                        self.assert_error(r, 404, "itemNotFound")
                    self.assertEqual(self.get_job(self.t(self.alice), self.jid), before)

    def test_own_jobs_are_listed_alone(self):
        t = self.t(self.bob)
        mine = self.create_job(t)["id"]
        self.assertEqual(self.job_ids(t)[0], mine)
        self.assertNotIn(self.jid, self.job_ids(t))
        self.assertIn(mine, self.job_ids(self.t(self.admin_all)))
        self.assertEqual(self.cancel(t, mine).status, 204)
        # The administrator may cancel another user's job too.
        other = self.create_job(t)["id"]
        self.assertEqual(self.cancel(self.t(self.admin_all), other).status, 204)


class BasicScopeTests(JobTestCase):
    """...Basic... scopes never reach document content (reference 11.2)."""

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.pid, cls.sid = h.printer_and_share()
        cls.basic = mint_token(cls.data, user="basic@contoso.com",
                               scopes="PrintJob.ReadWriteBasic PrinterShare.ReadBasic.All")
        cls.full = mint_token(cls.data, user="basic@contoso.com",
                              scopes="PrintJob.ReadWrite PrinterShare.ReadBasic.All")

    def test_basic_creates_starts_and_cancels_but_never_touches_content(self):
        bt = self.share_target(self.sid, token=self.basic)
        ft = self.share_target(self.sid, token=self.full)  # the same user, full scope
        job = self.create_job(bt)
        jid, did = job["id"], job["documents"][0]["id"]
        r = self.post(bt.document(jid, did) + "/createUploadSession",
                      {"properties": {"documentName": "a.pdf", "contentType": "application/pdf",
                                      "size": 10}}, token=self.basic)
        err = self.assert_error(r, 403, "accessDenied")
        self.assertIn("PrintJob.Create", err["message"])
        # The full scope of the same user uploads; Basic still reads no content.
        self.upload(ft, jid, did, b"%PDF-basic")
        for path in (bt.document(jid, did) + "/$value", bt.job(jid) + "/documents",
                     bt.document(jid, did)):
            with self.subTest(path=path):
                self.assert_error(self.get(path, token=self.basic), 403, "accessDenied")
        # Metadata is fine, and so are start and cancel.
        self.assertEqual(self.get_job(bt, jid)["id"], jid)
        self.assertIn(jid, self.job_ids(bt))
        self.assertEqual(self.start(bt, jid).status, 200)
        self.assertEqual(self.download(ft, jid, did).body, b"%PDF-basic")


class ShareAccessTests(JobTestCase):
    """Who may print to a share: allowAllUsers, allowedUsers, allowedGroups (reference 2.3)."""

    @classmethod
    def prepare_class(cls):
        h = cls.helper()
        cls.group = str(uuid.uuid4())
        cls.scopes = "PrintJob.ReadWrite PrintJob.Create PrinterShare.ReadBasic.All"
        cls.frank = mint_token(cls.data, user="frank@contoso.com", scopes=cls.scopes)
        cls.grace = mint_token(cls.data, user="grace@contoso.com", scopes=cls.scopes,
                               groups=cls.group)
        cls.frank_oid = h.oid_of(cls.frank)
        cls.reader = mint_token(cls.data, user="reader@contoso.com", roles=ADMIN_ROLE,
                                scopes="PrinterShare.Read.All")

    def oid_of(self, token):
        from harness import jwt_claims
        return jwt_claims(token)["oid"]

    def closed_share(self):
        p = self.create_printer()
        return self.create_share(p["id"], allow_all=False)["id"]

    def users(self, sid, token=None):
        r = self.get("/v1.0/print/shares/%s/allowedUsers" % sid, token=token or self.admin)
        body = self.assert_json_response(r)
        self.assertTrue(body["@odata.context"].endswith("$metadata#Collection(microsoft.graph.user)"),
                        body)
        return [u["id"] for u in body["value"]]

    def groups(self, sid):
        r = self.get("/v1.0/print/shares/%s/allowedGroups" % sid)
        body = self.assert_json_response(r)
        return [g["id"] for g in body["value"]]

    def print_to(self, sid, token):
        return self.post(self.share_target(sid, token=token).jobs, {"configuration": {}},
                         token=token)

    def test_a_closed_share_admits_its_members_only(self):
        sid = self.closed_share()
        for tok in (self.frank, self.grace):
            self.assert_error(self.print_to(sid, tok), 403, "accessDenied")
        # Frank as a user, Grace through her group.
        r = self.post("/v1.0/print/shares/%s/allowedUsers/$ref" % sid,
                      {"@odata.id": "https://graph.microsoft.com/v1.0/users/%s" % self.frank_oid})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        r = self.post("/beta/print/shares/%s/allowedGroups/$ref" % sid,
                      {"@odata.id": "groups/%s" % self.group.upper()})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.users(sid), [self.frank_oid])
        self.assertEqual(self.users(sid, token=self.reader), [self.frank_oid])
        self.assertEqual(self.groups(sid), [self.group])
        self.assertEqual(self.print_to(sid, self.frank).status, 201)
        self.assertEqual(self.print_to(sid, self.grace).status, 201)
        # Removed again: refused again.
        r = self.delete("/v1.0/print/shares/%s/allowedUsers/%s/$ref" % (sid, self.frank_oid))
        self.assertEqual(r.status, 204, r)
        r = self.delete("/v1.0/print/shares/%s/allowedGroups/%s/$ref" % (sid, self.group))
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.users(sid), [])
        self.assertEqual(self.groups(sid), [])
        for tok in (self.frank, self.grace):
            self.assert_error(self.print_to(sid, tok), 403, "accessDenied")
        # Opening the share to all users admits everyone.
        r = self.patch("/v1.0/print/shares/%s" % sid, {"allowAllUsers": True})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.print_to(sid, self.frank).status, 201)

    def test_member_refusals(self):
        sid = self.closed_share()
        base = "/v1.0/print/shares/%s" % sid
        user = str(uuid.uuid4())
        r = self.post(base + "/allowedUsers/$ref", {"@odata.id": "users/%s" % user})
        self.assertEqual(r.status, 204, r)
        cases = [("twice", {"@odata.id": "users/%s" % user}, 400),
                 ("a group as a user", {"@odata.id": "groups/%s" % uuid.uuid4()}, 400),
                 ("not a GUID", {"@odata.id": "users/someone"}, 400),
                 ("no @odata.id", {}, 400),
                 ("another member", {"@odata.id": "users/%s" % uuid.uuid4(), "x": 1}, 400),
                 ("not a string", {"@odata.id": 5}, 400)]
        for what, body, status in cases:
            with self.subTest(case=what):
                self.assert_error(self.post(base + "/allowedUsers/$ref", body), status)
        self.assertEqual(self.users(sid), [user])
        missing = "/v1.0/print/shares/%s" % uuid.uuid4()
        self.assert_error(self.post(missing + "/allowedUsers/$ref",
                                    {"@odata.id": "users/%s" % user}), 404)
        self.assert_error(self.get(missing + "/allowedGroups"), 404)
        self.assert_error(self.delete(base + "/allowedUsers/%s/$ref" % uuid.uuid4()), 404)
        self.assert_error(self.delete(base + "/allowedGroups/%s/$ref" % user), 404)
        # Members are managed by administrators with PrinterShare.ReadWrite.All only.
        for tok in (self.frank, self.reader):
            with self.subTest(token=tok[:12]):
                self.assert_error(self.post(base + "/allowedUsers/$ref",
                                            {"@odata.id": "users/%s" % uuid.uuid4()},
                                            token=tok), 403)
        self.assert_error(self.get(base + "/allowedUsers", token=self.frank), 403)
        self.assertEqual(self.users(sid), [user])

    def test_members_go_with_the_share(self):
        sid = self.closed_share()
        r = self.post("/v1.0/print/shares/%s/allowedUsers/$ref" % sid,
                      {"@odata.id": "users/%s" % self.frank_oid})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.delete("/v1.0/print/shares/%s" % sid).status, 204)
        self.assert_error(self.get("/v1.0/print/shares/%s/allowedUsers" % sid), 404)


class PermissionsOffTests(CliTestCase):

    def test_off_lets_any_valid_token_do_anything(self):
        srv = self.serve(args=["--permissions", "off"])
        self.assertTrue(srv.wait_stderr("PERMISSIONS ARE OFF"), srv.tail())
        nobody = mint_token(self.data, user="nobody@contoso.com", scopes="User.Read")
        app = mint_token(self.data, app=str(uuid.uuid4()), scopes="")
        self.assertEqual(self.get("/v1.0/print/printers", token=nobody, server=srv).status, 200)
        self.assertEqual(self.get("/v1.0/print/printers", token=app, server=srv).status, 200)
        r = self.post("/v1.0/print/taskDefinitions", {"displayName": "d",
                                                      "createdBy": {"displayName": "x"}},
                      token=nobody, server=srv)
        self.assertEqual(r.status, 201, r)
        # Tokens are still checked, and tenants still apart.
        self.assert_error(self.get("/v1.0/print/printers", token="garbage", server=srv), 401)
        self.assert_error(self.get("/v1.0/print/printers", token=None, server=srv), 401)

    def test_enforce_is_the_default_and_a_bad_value_exits_2(self):
        srv = self.serve(args=["--permissions", "enforce"])
        nobody = mint_token(self.data, user="nobody@contoso.com", scopes="User.Read")
        self.assert_error(self.get("/v1.0/print/printers", token=nobody, server=srv), 403)
        # The warning would come before the "data folder" line.
        self.assertTrue(srv.wait_stderr("data folder"), srv.tail())
        self.assertFalse(any("PERMISSIONS ARE OFF" in line for line in srv.stderr_lines))
        p = run_cli("serve", "--permissions", "maybe", "--data", self.data)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("enforce or off", p.stderr)
