"""Bearer tokens and tenant isolation."""

import base64
import hashlib
import hmac
import json
import os
import tempfile
import time
import uuid

from harness import (ADMIN, ServerTestCase, admin_token, mint_token, uniq)


def _b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class AuthenticationTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.printer = cls.helper().create_printer()

    def requests(self):
        pid = self.printer["id"]
        return [("GET", "/v1.0/print/printers", None),
                ("GET", "/v1.0/print/printers/%s" % pid, None),
                ("GET", "/v1.0/print/shares", None),
                ("GET", "/v1.0/print/operations", None),
                ("POST", "/v1.0/print/printers/create", self.printer_body()),
                ("PATCH", "/v1.0/print/printers/%s" % pid, {"displayName": "hacked"}),
                ("GET", "/beta/print/printers", None)]

    def assert_refused(self, token=None, headers=None):
        for method, path, body in self.requests():
            with self.subTest(request="%s %s" % (method, path)):
                kw = {"token": token, "headers": headers}
                r = self.call(method, path, body, **kw) if body is not None else \
                    self.call(method, path, **kw)
                self.assert_error(r, 401, "InvalidAuthenticationToken")
        # Nothing changed.
        r = self.get("/v1.0/print/printers/%s" % self.printer["id"])
        self.assertEqual(r.json["displayName"], self.printer["displayName"])

    def test_valid_token_is_accepted(self):
        self.assertEqual(self.get("/v1.0/print/printers").status, 200)

    def test_missing_token(self):
        self.assert_refused()

    def test_garbage_tokens(self):
        for value in ("Bearer", "Bearer ", "Bearer not-a-token", "Bearer a.b.c",
                      "Basic dXNlcjpwYXNz", self.admin, "Bearer " + self.admin + "x"):
            with self.subTest(authorization=value[:30]):
                self.assert_refused(headers={"Authorization": value})

    def test_token_of_another_data_folder(self):
        with tempfile.TemporaryDirectory() as other:
            tok = admin_token(other)
        self.assert_refused(token=tok)

    def test_tampered_signature(self):
        parts = self.admin.split(".")
        if len(parts) != 3:
            self.skipTest("token is not a JWS")
        sig = parts[2]
        flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
        self.assert_refused(token=".".join(parts[:2] + [flipped]))

    def test_tampered_payload(self):
        parts = self.admin.split(".")
        if len(parts) != 3:
            self.skipTest("token is not a JWS")
        claims = json.loads(_b64url_decode(parts[1]))
        claims["tid"] = str(uuid.uuid4())
        claims["exp"] = int(claims.get("exp", time.time())) + 86400
        forged = ".".join([parts[0], _b64url_encode(json.dumps(claims).encode()), parts[2]])
        self.assert_refused(token=forged)

    def test_unsigned_token(self):
        parts = self.admin.split(".")
        if len(parts) != 3:
            self.skipTest("token is not a JWS")
        header = {"alg": "none", "typ": "JWT"}
        forged = _b64url_encode(json.dumps(header).encode()) + "." + parts[1] + "."
        self.assert_refused(token=forged)

    def resigned(self, **changes):
        """The admin token with changed claims, signed again with the data folder's key."""
        head, payload, _ = self.admin.split(".")
        claims = json.loads(_b64url_decode(payload))
        claims.update(changes)
        signing_input = head + "." + _b64url_encode(json.dumps(claims).encode())
        with open(os.path.join(self.data, "signing.key"), "rb") as f:
            key = f.read()
        mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64url_encode(mac)

    def test_resigned_token_is_accepted(self):
        # The re-signing below is sound: an unchanged token signed again is accepted.
        self.assertEqual(self.get("/v1.0/print/printers", token=self.resigned()).status, 200)

    def test_expired_token(self):
        now = int(time.time())
        self.assert_refused(token=self.resigned(iat=now - 7200, nbf=now - 7200, exp=now - 120))
        err = self.assert_error(self.get("/v1.0/print/printers",
                                         token=self.resigned(exp=now - 120)),
                                401, "InvalidAuthenticationToken", mentions=("expired",))
        self.assertEqual(err["message"], "Lifetime validation failed, the token is expired.")

    def test_not_yet_valid_token(self):
        now = int(time.time())
        self.assert_refused(token=self.resigned(nbf=now + 120))

    def test_clock_skew_leeway(self):
        # Expired or not yet valid by less than --clock-skew (default 30 s): accepted.
        now = int(time.time())
        for changes in ({"exp": now - 10}, {"nbf": now + 10}):
            with self.subTest(**changes):
                r = self.get("/v1.0/print/printers", token=self.resigned(**changes))
                self.assertEqual(r.status, 200, r)

    def test_auth_is_checked_before_the_object_lookup(self):
        missing = uuid.uuid4()
        for method, path in (("GET", "/v1.0/print/printers/%s" % missing),
                             ("DELETE", "/v1.0/print/printers/%s" % missing),
                             ("GET", "/v1.0/print/shares/%s" % missing),
                             ("GET", "/v1.0/print/operations/%s" % missing)):
            with self.subTest(request="%s %s" % (method, path)):
                self.assert_error(self.call(method, path, token=None), 401,
                                  "InvalidAuthenticationToken")

    def test_application_token_is_accepted(self):
        tok = mint_token(self.data, app=str(uuid.uuid4()), scopes="Printer.ReadWrite.All")
        # Applications may get a printer (an unknown one: 404, authenticated), not list them.
        self.assert_error(self.get("/v1.0/print/printers/%s" % uuid.uuid4(), token=tok), 404)
        self.assert_error(self.get("/v1.0/print/printers", token=tok), 403)


class TenantIsolationTests(ServerTestCase):
    """Objects of tenant A are invisible to tokens of other tenants."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tenant_a = str(uuid.uuid4())
        cls.token_a = admin_token(cls.data, tenant=cls.tenant_a)
        h = cls.helper()
        cls.printer = h.create_printer(token=cls.token_a)
        cls.spare = h.create_printer(token=cls.token_a)
        cls.share = h.create_share(cls.printer["id"], token=cls.token_a)
        ops = h.get("/v1.0/print/operations", token=cls.token_a)
        h.assertEqual(ops.status, 200, ops)
        cls.op_ids = [o["id"] for o in ops.json["value"]]

    def other(self):
        """An admin token of a fresh tenant."""
        return admin_token(self.data, tenant=str(uuid.uuid4()))

    def snapshot(self):
        return [self.get(p, token=self.token_a).json for p in (
            "/v1.0/print/printers/%s" % self.printer["id"],
            "/v1.0/print/printers/%s" % self.spare["id"],
            "/v1.0/print/shares/%s" % self.share["id"])]

    def test_owner_sees_its_objects(self):
        ids = [p["id"] for p in self.get("/v1.0/print/printers", token=self.token_a)
               .json["value"]]
        self.assertIn(self.printer["id"], ids)
        self.assertIn(self.spare["id"], ids)
        self.assertEqual(len(self.op_ids), 2)

    def test_other_tenant_sees_empty_lists(self):
        tok = self.other()
        for path in ("/v1.0/print/printers", "/v1.0/print/shares", "/v1.0/print/operations",
                     "/beta/print/printers", "/beta/print/shares"):
            with self.subTest(path=path):
                r = self.get(path, token=tok)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["value"], [], r)

    def test_default_tenant_sees_nothing_of_tenant_a(self):
        tok = self.admin  # no --tenant: the default tenant
        for path in ("/v1.0/print/printers", "/v1.0/print/shares", "/v1.0/print/operations"):
            with self.subTest(path=path):
                r = self.get(path, token=tok)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json["value"], [], r)

    def test_other_tenant_gets_404(self):
        tok = self.other()
        before = self.snapshot()
        pid, sid = self.printer["id"], self.share["id"]
        cases = [
            ("GET", "/v1.0/print/printers/%s" % pid, None),
            ("PATCH", "/v1.0/print/printers/%s" % pid, {"displayName": "stolen"}),
            ("GET", "/v1.0/print/printers/%s/shares" % pid, None),
            ("POST", "/v1.0/print/printers/%s/restoreFactoryDefaults" % pid, None),
            ("GET", "/v1.0/print/shares/%s" % sid, None),
            ("GET", "/v1.0/print/shares/%s/printer" % sid, None),
            ("PATCH", "/v1.0/print/shares/%s" % sid, {"displayName": "stolen"}),
            ("DELETE", "/v1.0/print/shares/%s" % sid, None),
            ("DELETE", "/v1.0/print/printers/%s" % pid, None),
            ("GET", "/beta/print/printers/%s" % pid, None),
        ] + [("GET", "/v1.0/print/operations/%s" % o, None) for o in self.op_ids]
        for method, path, body in cases:
            with self.subTest(request="%s %s" % (method, path)):
                r = self.call(method, path, body, token=tok) if body is not None else \
                    self.call(method, path, token=tok)
                self.assert_error(r, 404, "itemNotFound")
        self.assertEqual(self.snapshot(), before)

    def test_other_tenant_cannot_share_or_bind_to_our_printer(self):
        tok = self.other()
        r = self.post("/v1.0/print/shares", {"displayName": uniq("S"), "allowAllUsers": True,
                                             "printer@odata.bind": self.bind(self.spare["id"])},
                      token=tok)
        self.assert_error(r, 400)
        # Swapping their own share onto our printer is refused too.
        their_printer = self.create_printer(token=tok)
        their_share = self.create_share(their_printer["id"], token=tok)
        r = self.patch("/v1.0/print/shares/%s" % their_share["id"],
                       {"printer@odata.bind": self.bind(self.spare["id"])}, token=tok)
        self.assert_error(r, 400)
        spare = self.get("/v1.0/print/printers/%s" % self.spare["id"], token=self.token_a).json
        self.assertFalse(spare["isShared"])
        # And tenant A does not see their objects.
        ids = [p["id"] for p in self.get("/v1.0/print/printers", token=self.token_a)
               .json["value"]]
        self.assertNotIn(their_printer["id"], ids)
        r = self.get("/v1.0/print/shares/%s" % their_share["id"], token=self.token_a)
        self.assert_error(r, 404, "itemNotFound")

    def test_same_user_name_in_two_tenants(self):
        # Tenancy comes from the token's tid, not from the user name.
        tok = mint_token(self.data, tenant=str(uuid.uuid4()), **ADMIN)
        r = self.get("/v1.0/print/printers/%s" % self.printer["id"], token=tok)
        self.assert_error(r, 404, "itemNotFound")
