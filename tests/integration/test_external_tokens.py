"""Tokens of an external identity provider: `serve --trust-jwks FILE --issuer ISS --audience AUD`.

Keys are made and tokens signed with the `openssl` command line (RS256: PKCS #1 v1.5 signatures;
ES256: ECDSA signatures turned from DER into JWS's r || s), independently of the server's code.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import CliTestCase, ServerTestCase, admin_token, run_cli

PRINTER_ADMIN = "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"
TENANT = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ISS = "https://login.microsoftonline.com/%s/v2.0" % TENANT
AUD = "api://uprintd-tests"
CLIENT_APP = "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"
OPENSSL = shutil.which("openssl")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def openssl(*args, data=None):
    p = subprocess.run([OPENSSL] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise AssertionError("openssl %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout


def der_ecdsa_to_raw(der):
    """ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (DER) -> r || s, 32 bytes each."""
    def length(buf, i):
        n = buf[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7f
        return int.from_bytes(buf[i + 1:i + 1 + k], "big"), i + 1 + k

    assert der[0] == 0x30, der.hex()
    _, i = length(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02, der.hex()
        n, i = length(der, i + 1)
        out += int.from_bytes(der[i:i + n], "big").to_bytes(32, "big")
        i += n
    return out


class Keys:
    """An RSA key and an EC P-256 key in folder, with their JWKs."""

    def __init__(self, folder):
        self.rsa = os.path.join(folder, "rsa.pem")
        self.ec = os.path.join(folder, "ec.pem")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", self.rsa)
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.ec)
        self.rsa_public_pem = openssl("pkey", "-in", self.rsa, "-pubout")
        modulus = openssl("rsa", "-in", self.rsa, "-noout", "-modulus").decode()
        text = openssl("rsa", "-in", self.rsa, "-noout", "-text").decode()
        n = bytes.fromhex(modulus.strip().split("=", 1)[1])
        e = int(re.search(r"publicExponent: (\d+)", text).group(1))
        self.rsa_jwk = {"kty": "RSA", "use": "sig", "kid": "rsa-1", "n": b64url(n),
                        "e": b64url(e.to_bytes((e.bit_length() + 7) // 8, "big"))}
        spki = openssl("ec", "-in", self.ec, "-pubout", "-outform", "DER")
        point = spki[-65:]
        assert point[0] == 4, spki.hex()
        self.ec_jwk = {"kty": "EC", "crv": "P-256", "kid": "ec-1", "x": b64url(point[1:33]),
                       "y": b64url(point[33:])}

    def sign(self, claims, alg="RS256", kid="rsa-1", header=None):
        h = dict(header) if header is not None else {"alg": alg, "typ": "JWT"}
        if kid is not None and header is None:
            h["kid"] = kid
        signing_input = (b64url(json.dumps(h).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode("ascii")
        if alg == "RS256":
            sig = openssl("dgst", "-sha256", "-sign", self.rsa, data=signing_input)
        elif alg == "ES256":
            sig = der_ecdsa_to_raw(openssl("dgst", "-sha256", "-sign", self.ec,
                                           data=signing_input))
        else:
            raise ValueError(alg)
        return signing_input.decode("ascii") + "." + b64url(sig)


def user_claims(**changes):
    """An Entra ID v2 delegated token for AUD from ISS: a Printer Administrator with
    Printer.Read.All."""
    now = int(time.time())
    c = {"aud": AUD, "iss": ISS, "iat": now, "nbf": now, "exp": now + 3600, "tid": TENANT,
         "oid": "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "azp": CLIENT_APP,
         "preferred_username": "admin@fabrikam.example", "name": "Fabrikam Admin",
         "scp": "Printer.Read.All", "wids": [PRINTER_ADMIN], "ver": "2.0"}
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def write_jwks(folder, keys):
    path = os.path.join(folder, "jwks.json")
    with open(path, "w") as f:
        json.dump({"keys": keys}, f)
    return path


class ExternalTokenTests(ServerTestCase):
    """A server trusting a JWKS file, with an issuer and an audience."""

    @classmethod
    def setUpClass(cls):
        if not OPENSSL:
            raise unittest.SkipTest("openssl command not found")
        cls._keydir = tempfile.TemporaryDirectory(prefix="uprintd-keys-")
        cls.keys = Keys(cls._keydir.name)
        enc = dict(cls.keys.rsa_jwk, use="enc", kid="enc-1")
        cls.jwks = write_jwks(cls._keydir.name, [cls.keys.rsa_jwk, cls.keys.ec_jwk, enc])
        cls.server_args = ["--trust-jwks", cls.jwks, "--issuer", ISS, "--audience", AUD]
        try:
            super().setUpClass()
        except BaseException:
            cls._keydir.cleanup()
            raise
        # A printer of the external tenant, registered with a local token of that tenant.
        cls.printer = cls.helper().create_printer(token=admin_token(cls.data, tenant=TENANT))

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._keydir.cleanup()

    def assert_refused(self, token, *mentions):
        r = self.get("/v1.0/print/printers", token=token)
        return self.assert_error(r, 401, "InvalidAuthenticationToken", mentions=mentions)

    def test_keys_are_announced(self):
        self.assertTrue(self.server.wait_stderr("trusting 2 signing keys"), self.server.tail())
        self.assertTrue(any("trusting 2 signing keys" in line and self.jwks in line
                            for line in self.server.stderr_lines), self.server.tail())

    def test_rs256_token_lists_the_tenants_printers(self):
        tok = self.keys.sign(user_claims())
        r = self.get("/v1.0/print/printers", token=tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([p["id"] for p in r.json["value"]], [self.printer["id"]])

    def test_es256_application_token(self):
        claims = user_claims(scp=None, preferred_username=None, wids=None, name=None,
                             idtyp="app", roles=["Printer.Read.All"], aud=["api://x", AUD])
        tok = self.keys.sign(claims, alg="ES256", kid="ec-1")
        # Applications may get a printer (not list them): the app's roles reach it.
        r = self.get("/v1.0/print/printers/%s" % self.printer["id"], token=tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], self.printer["id"])

    def test_token_without_kid(self):
        r = self.get("/v1.0/print/printers", token=self.keys.sign(user_claims(), kid=None))
        self.assertEqual(r.status, 200, r)

    def test_local_tokens_still_work(self):
        r = self.get("/v1.0/print/printers", token=admin_token(self.data, tenant=TENANT))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([p["id"] for p in r.json["value"]], [self.printer["id"]])

    def test_wrong_audience(self):
        err = self.assert_refused(self.keys.sign(user_claims(aud="https://graph.microsoft.com")),
                                  "audience")
        self.assertEqual(err["message"], "Access token validation failure. Invalid audience.")
        self.assert_refused(self.keys.sign(user_claims(aud=["api://x"])), "audience")
        self.assert_refused(self.keys.sign(user_claims(aud=None)), "aud")

    def test_wrong_issuer(self):
        self.assert_refused(self.keys.sign(user_claims(iss="https://sts.windows.net/%s/" %
                                                       TENANT)), "issuer")
        self.assert_refused(self.keys.sign(user_claims(iss=None)), "iss")

    def test_lifetime_with_leeway(self):
        now = int(time.time())
        # Expired 10 s ago: within the default 30 s of leeway.
        r = self.get("/v1.0/print/printers",
                     token=self.keys.sign(user_claims(exp=now - 10, nbf=now - 600)))
        self.assertEqual(r.status, 200, r)
        self.assert_refused(self.keys.sign(user_claims(exp=now - 120, nbf=now - 600)), "expired")
        self.assert_refused(self.keys.sign(user_claims(nbf=now + 600)), "not yet valid")

    def test_unknown_or_unusable_key(self):
        self.assert_refused(self.keys.sign(user_claims(), kid="rotated-away"), "unknown")
        # The encryption key is the same RSA key, but it is not trusted to sign.
        self.assert_refused(self.keys.sign(user_claims(), kid="enc-1"), "unknown")
        self.assert_refused(self.keys.sign(user_claims(), kid="ec-1"), "RSA")

    def test_tampered_token(self):
        head, payload, sig = self.keys.sign(user_claims()).split(".")
        claims = user_claims(tid=str(uuid.uuid4()))
        forged = ".".join([head, b64url(json.dumps(claims).encode()), sig])
        self.assert_refused(forged, "signature")

    def test_unsigned_and_confused_algorithms(self):
        claims = b64url(json.dumps(user_claims()).encode())
        none = b64url(json.dumps({"alg": "none", "kid": "rsa-1"}).encode()) + "." + claims + "."
        self.assert_refused(none, "alg 'none'")
        # HS256 with the RSA public key (PEM, or the JWK's modulus) as the HMAC secret.
        for secret in (self.keys.rsa_public_pem, self.keys.rsa_jwk["n"].encode()):
            head = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
            signing_input = (head + "." + claims).encode()
            mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
            self.assert_refused(signing_input.decode() + "." + b64url(mac), "signature")
        head = b64url(json.dumps({"alg": "RS512", "kid": "rsa-1"}).encode())
        self.assert_refused(head + "." + claims + "." + b64url(b"x" * 256), "not supported")


class ExternalTokenStartTests(CliTestCase):
    """Starting with --trust-jwks: the file is read once, and refused when unusable."""

    def setUp(self):
        super().setUp()
        if not OPENSSL:
            self.skipTest("openssl command not found")

    def serve_fails(self, *args):
        p = run_cli("serve", "--listen", "127.0.0.1:0", "--data", self.data, *args, timeout=20)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        return p

    def test_unreadable_or_unusable_files_stop_the_server(self):
        folder = self.new_dir()
        missing = os.path.join(folder, "missing.json")
        p = self.serve_fails("--trust-jwks", missing)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--trust-jwks: JWKS file %s: cannot open it" % missing, p.stderr)
        cases = [("not json", "not valid JSON"),
                 ('{"keys": {}}', "not a JWK set"),
                 ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "no usable signing key"),
                 ('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}',
                  "not a valid RSA public key")]
        for text, message in cases:
            with self.subTest(text=text):
                path = os.path.join(folder, "jwks.json")
                with open(path, "w") as f:
                    f.write(text)
                p = self.serve_fails("--trust-jwks", path)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(message, p.stderr)
                self.assertIn(path, p.stderr)

    def test_issuer_and_audience_need_trusted_keys(self):
        for args in (["--issuer", ISS], ["--audience", AUD]):
            with self.subTest(args=args):
                p = self.serve_fails(*args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--trust-jwks", p.stderr)
        p = self.serve_fails("--clock-skew", "soon")
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_external_tokens_need_trusted_keys(self):
        keys = Keys(self.new_dir())
        self.serve()
        r = self.get("/v1.0/print/printers", token=keys.sign(user_claims()))
        self.assert_error(r, 401, "InvalidAuthenticationToken",
                          mentions=("RS256", "no keys of an identity provider"))

    def test_clock_skew_option(self):
        keys = Keys(self.new_dir())
        jwks = write_jwks(self.new_dir(), [keys.rsa_jwk])
        self.serve(args=["--trust-jwks", jwks, "--audience", AUD, "--clock-skew", "0"])
        now = int(time.time())
        r = self.get("/v1.0/print/printers",
                     token=keys.sign(user_claims(exp=now - 10, nbf=now - 600)))
        self.assert_error(r, 401, "InvalidAuthenticationToken", mentions=("expired",))
        # Any issuer without --issuer.
        r = self.get("/v1.0/print/printers",
                     token=keys.sign(user_claims(iss="https://issuer.example/")))
        self.assertEqual(r.status, 200, r)
