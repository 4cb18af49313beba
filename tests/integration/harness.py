"""Shared machinery of the integration suite: running uprintd, minting tokens, making HTTP
requests, checking Graph conventions and schema conformance.

run.py fills CONFIG before the test modules are loaded.
"""

import base64
import email.utils
import http.client
import itertools
import json
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import types
import unittest
import urllib.parse
import uuid

import conformance as conf

CONFIG = types.SimpleNamespace(
    binary=None,            # path of uprintd
    conformance=None,       # conformance.Conformance
    keep=False,             # keep data folders (debugging)
)

JSON_CONTENT_TYPE = ("application/json;odata.metadata=minimal;odata.streaming=true;"
                     "IEEE754Compatible=false;charset=utf-8")
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}$")
DATETIME7_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")
INNER_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
# The line as text, or as the msg of a JSON line (--log-format json).
LISTEN_RE = re.compile(r"uprintd listening on (https?://127\.0\.0\.1:(\d+))(\s*|\"\})$")
LISTEN_ANY_RE = re.compile(r"uprintd listening on (\S*)")
# valgrind memcheck's report lines (tests/valgrind.sh --integration).
VALGRIND_RE = re.compile(r"^==\d+== ")
VALGRIND_ERROR_RE = re.compile(r"Invalid (read|write|free)|uninitialised|definitely lost in|"
                               r"indirectly lost in|Mismatched free|overlap")
# RFC 6750 b64token: what a bearer token may consist of.
TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 15.0

TENANT_A = "11111111-2222-4333-8444-555555555555"
TENANT_B = "99999999-8888-4777-8666-555555555555"

# A realistic Printer Administrator (delegated) token.
ADMIN = dict(user="admin@contoso.com", name="Printer Admin", roles="PrinterAdministrator",
             scopes="Printer.FullControl.All PrinterShare.ReadWrite.All")

_counter = itertools.count(1)


def uniq(prefix="P"):
    """A display name unique within the run (and short: well below 50 characters)."""
    return "%s-%d-%s" % (prefix, next(_counter), uuid.uuid4().hex[:6])


# --------------------------------------------------------------------------------------------
# The command line

def run_cli(*args, timeout=15, check=False):
    """Runs `uprintd args...`; returns the CompletedProcess (text mode)."""
    p = subprocess.run([CONFIG.binary] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("uprintd %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


def mint_token(data_dir, user=None, app=None, tenant=None, roles=None, groups=None,
               scopes="", name=None, expires_in=None):
    """`uprintd token ...`; returns the bearer token (stdout, stripped)."""
    args = ["token", "--data", data_dir]
    if user is not None:
        args += ["--user", user]
    if name is not None:
        args += ["--name", name]
    if app is not None:
        args += ["--app", app]
    if tenant is not None:
        args += ["--tenant", tenant]
    if roles is not None:
        args += ["--roles", roles]
    if groups is not None:
        args += ["--groups", groups]
    args += ["--scopes", scopes]
    if expires_in is not None:
        args += ["--expires-in", str(expires_in)]
    p = run_cli(*args, check=True)
    tok = p.stdout.strip()
    if not TOKEN_RE.match(tok) or p.stdout.count("\n") > 1:
        raise AssertionError("uprintd token printed %r, not a token alone" % p.stdout)
    return tok


def jwt_claims(token):
    """The payload of a JWT as a dict (decoded only, not verified)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AssertionError("%r is not a JWT (header.payload.signature)" % token[:80])
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))


def admin_token(data_dir, tenant=None, app=None):
    return mint_token(data_dir, tenant=tenant, app=app, **ADMIN)


def app_token(data_dir, app, tenant=None, scopes="Printer.ReadWrite.All"):
    return mint_token(data_dir, app=app, tenant=tenant, scopes=scopes)


# --------------------------------------------------------------------------------------------
# A running server

class Server:
    """One `uprintd serve` process on 127.0.0.1 with a kernel-chosen port."""

    def __init__(self, data_dir, args=(), base_url=None, port=0):
        self.data_dir = data_dir
        self.args = list(args)
        self.base_url = base_url
        self.listen_port = port
        self.bad_listen_line = None
        self.proc = None
        self.port = None
        self.origin = None
        self.stderr_lines = []
        self.stdout_lines = []
        self.listen_line_index = None
        self.tls_context = None  # an ssl.SSLContext for HTTPS servers (set by the test)
        self._ready = threading.Event()
        self._threads = []

    def command(self):
        cmd = [CONFIG.binary, "serve", "--listen", "127.0.0.1:%d" % self.listen_port,
               "--data", self.data_dir]
        if self.base_url:
            cmd += ["--base-url", self.base_url]
        return cmd + self.args

    def _reader(self, stream, sink, is_stderr):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            sink.append(line)
            if is_stderr and self.port is None:
                m = LISTEN_RE.search(line)
                if m:
                    self.port = int(m.group(2))
                    self.origin = m.group(1)
                    self.listen_line_index = len(sink) - 1
                    self._ready.set()
                elif LISTEN_ANY_RE.search(line) and self.bad_listen_line is None:
                    # Listening, but the line does not tell the port: fail at once.
                    self.bad_listen_line = line
                    self._ready.set()
        stream.close()

    def start(self):
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for stream, sink, is_err in ((self.proc.stderr, self.stderr_lines, True),
                                     (self.proc.stdout, self.stdout_lines, False)):
            t = threading.Thread(target=self._reader, args=(stream, sink, is_err), daemon=True)
            t.start()
            self._threads.append(t)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready.wait(0.05) or self.port is None:
            if self.bad_listen_line is not None and self.port is None:
                self.kill()
                raise RuntimeError("the listening line does not read 'uprintd listening on "
                                   "http://127.0.0.1:PORT': %r\n%s" % (self.bad_listen_line,
                                                                       self.tail()))
            if self.proc.poll() is not None:
                self._join_readers()
                raise RuntimeError("uprintd serve exited %d before listening\n%s" % (
                    self.proc.returncode, self.tail()))
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("uprintd serve did not print its listening line within "
                                   "%.0f s\n%s" % (START_TIMEOUT, self.tail()))
        return self

    @property
    def base(self):
        """The base URL the server puts in links."""
        return self.base_url or self.origin

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _join_readers(self):
        for t in self._threads:
            t.join(2)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig and waits; returns the exit status (negative: killed by a signal).
        Raises AssertionError (after SIGKILL) when it does not stop in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._join_readers()
                raise AssertionError("uprintd did not stop within %.0f s of signal %d" % (
                    timeout, sig))
        self._join_readers()
        return self.proc.returncode

    def kill(self):
        """SIGKILL, no chance to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._join_readers()
        return self.proc.returncode if self.proc else None

    def sanitizer_report(self):
        """The first lines of an AddressSanitizer/UBSan/LeakSanitizer (or valgrind memcheck)
        report, or None."""
        for i, line in enumerate(self.stderr_lines):
            if "Sanitizer" in line or "runtime error:" in line or (
                    VALGRIND_RE.match(line) and VALGRIND_ERROR_RE.search(line)):
                return "\n".join(self.stderr_lines[i:i + 40])
        return None

    def wait_stderr(self, text, timeout=5.0):
        """True once a stderr line contains text. The listening line is the first; lines
        logged after it reach the reader thread a little later, so tests wait for them."""
        deadline = time.monotonic() + timeout
        while True:
            if any(text in line for line in list(self.stderr_lines)):
                return True
            if time.monotonic() > deadline or (not self.alive() and
                                               not any(t.is_alive() for t in self._threads)):
                return False
            time.sleep(0.02)

    def tail(self, n=25):
        lines = self.stderr_lines[-n:]
        return "--- uprintd stderr (last %d lines) ---\n%s" % (len(lines), "\n".join(lines))

    def connection(self):
        if self.tls_context is not None:  # --tls-cert: HTTPS, trusting the test's certificate
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT,
                                               context=self.tls_context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)


# --------------------------------------------------------------------------------------------
# HTTP

class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers          # http.client.HTTPMessage (case-insensitive)
        self.body = body
        self._json = None
        self._parsed = False

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def json(self):
        if not self._parsed:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise AssertionError("%s %s -> %d: body is not JSON (%s): %r" % (
                    self.method, self.path, self.status, e, self.body[:300]))
            self._parsed = True
        return self._json

    def __repr__(self):
        return "<%s %s -> %d %s>" % (self.method, self.path, self.status, self.body[:400])


_NO_BODY = object()
_DEFAULT = object()


def schema_for_path(path):
    """(schema name, is_collection) of the 2xx JSON body a GET/PATCH/POST on path returns,
    or None when the suite has no schema for it."""
    p = urllib.parse.urlsplit(path).path
    segs = [urllib.parse.unquote(s).lower() for s in p.split("/") if s]
    if len(segs) < 3 or segs[0] not in ("v1.0", "beta"):
        return None
    # POST /{version}/printerBase/jobs/{jobId}/redirect answers with the new job.
    if len(segs) == 5 and segs[1] == "printerbase" and segs[2] == "jobs" and \
            segs[4] == "redirect":
        return (conf.PRINT_JOB, False)
    if segs[1] != "print" or segs[-1] == "$count":  # /$count answers a plain number
        return None
    s = segs[2:]
    if s == ["printers"]:
        return (conf.PRINTER, True)
    if len(s) == 2 and s[0] == "printers" and s[1] != "create":
        return (conf.PRINTER, False)
    if len(s) == 3 and s[0] == "printers" and s[2] == "shares":
        return (conf.SHARE, True)
    # A share of a printer (and beta's single-valued /share).
    if (len(s) == 4 and s[0] == "printers" and s[2] == "shares") or \
            (len(s) == 3 and s[0] == "printers" and s[2] == "share"):
        return (conf.SHARE, False)
    # beta's /print/printerShares is the same collection as /print/shares.
    if len(s) >= 1 and s[0] == "printershares":
        s = ["shares"] + s[1:]
    if s == ["shares"]:
        return (conf.SHARE, True)
    if len(s) == 2 and s[0] == "shares":
        return (conf.SHARE, False)
    if len(s) == 3 and s[0] == "shares" and s[2] == "printer":
        return (conf.PRINTER, False)
    if s == ["operations"]:
        return (conf.CREATE_OPERATION, True)
    if len(s) == 2 and s[0] == "operations":
        return (conf.CREATE_OPERATION, False)
    if len(s) == 3 and s[0] == "operations" and s[2] == "printer":
        return (conf.PRINTER, False)
    # Pull printing: task definitions, their tasks, and the triggers of a printer.
    if s == ["taskdefinitions"]:
        return (conf.PRINT_TASK_DEFINITION, True)
    if len(s) >= 2 and s[0] == "taskdefinitions":
        t = s[2:]
        if t == []:
            return (conf.PRINT_TASK_DEFINITION, False)
        if t == ["tasks"]:
            return (conf.PRINT_TASK, True)
        if len(t) == 2 and t[0] == "tasks":
            return (conf.PRINT_TASK, False)
        if len(t) == 3 and t[0] == "tasks" and t[2] == "definition":
            return (conf.PRINT_TASK_DEFINITION, False)
        if len(t) == 3 and t[0] == "tasks" and t[2] == "trigger":
            return (conf.PRINT_TASK_TRIGGER, False)
        return None
    if len(s) >= 3 and s[0] == "printers" and s[2] == "tasktriggers":
        t = s[3:]
        if t == []:
            return (conf.PRINT_TASK_TRIGGER, True)
        if len(t) == 1:
            return (conf.PRINT_TASK_TRIGGER, False)
        if len(t) == 2 and t[1] == "definition":
            return (conf.PRINT_TASK_DEFINITION, False)
        return None
    # Print jobs, under a printer or a share: .../{printers|shares}/{id}/jobs...
    if len(s) >= 3 and s[0] in ("printers", "shares") and s[2] == "jobs":
        j = s[3:]
        if j == []:
            return (conf.PRINT_JOB, True)
        if len(j) == 1:
            return (conf.PRINT_JOB, False)
        if len(j) == 2 and j[1] == "start":
            return (conf.PRINT_JOB_STATUS, False)
        if len(j) == 2 and j[1] == "redirect":
            return (conf.PRINT_JOB, False)
        if len(j) == 2 and j[1] == "tasks":
            return (conf.PRINT_TASK, True)
        if len(j) == 3 and j[1] == "tasks":
            return (conf.PRINT_TASK, False)
        if len(j) == 2 and j[1] == "documents":
            return (conf.PRINT_DOCUMENT, True)
        if len(j) == 3 and j[1] == "documents":
            return (conf.PRINT_DOCUMENT, False)
        if len(j) == 4 and j[1] == "documents" and j[3] == "createuploadsession":
            return (conf.UPLOAD_SESSION, False)
    return None


def schema_for_response(method, path, status):
    """(schema name, is_collection) of a 2xx JSON answer to method on path with that status,
    or None: schema_for_path for Graph paths, plus uprintd's upload URLs (GET and the 202 of
    a PUT: an uploadSession; the 201 of the PUT that completes the upload: a printDocument).
    """
    p = urllib.parse.urlsplit(path).path
    segs = [urllib.parse.unquote(s).lower() for s in p.split("/") if s]
    if len(segs) == 3 and segs[:2] == ["_uprintd", "uploads"]:
        if method == "GET" or (method == "PUT" and status == 202):
            return (conf.UPLOAD_SESSION, False)
        if method == "PUT" and status == 201:
            return (conf.PRINT_DOCUMENT, False)
        return None
    return schema_for_path(path)


def check_body_conformance(method, path, status, content_type, body):
    """Validates a 2xx JSON body (a parsed value; a callable is called for it) answered to
    method on path against the Graph schema of that path (when available). Returns True when
    it was validated."""
    c = CONFIG.conformance
    if c is None or not c.available:
        return False
    if not (200 <= status < 300) or body is None:
        return False
    if not (content_type or "").lower().startswith("application/json"):
        return False
    target = schema_for_response(method, path, status)
    if target is None:
        return False
    name, is_collection = target
    if method != "GET":
        is_collection = False  # POST to a collection answers with the new entity
    what = "%s %s" % (method, path)
    value = body() if callable(body) else body
    if is_collection:
        c.check_collection(name, value, what)
    else:
        c.check(name, value, what)
    return True


def check_conformance(resp):
    """Validates a 2xx JSON body against the Graph schema of its path (when available)."""
    check_body_conformance(resp.method, resp.path, resp.status, resp.header("Content-Type"),
                           (lambda: resp.json) if resp.body else None)


def http_request(server, method, path, body=_NO_BODY, token=None, headers=None,
                 content_type="application/json", raw=None, conn=None, validate=True):
    """One request. body: a JSON value (serialised); raw: bytes sent as they are.
    token: bearer token or None (no Authorization header). Returns a Response."""
    h = {}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    data = None
    if raw is not None:
        data = raw
    elif body is not _NO_BODY:
        data = json.dumps(body).encode("utf-8")
    if data is not None and content_type is not None:
        h["Content-Type"] = content_type
    if headers:
        h.update(headers)
    own = conn is None
    if own:
        conn = server.connection()
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        payload = r.read()
        resp = Response(method, path, r.status, r.reason, r.headers, payload)
    except (OSError, http.client.HTTPException) as e:
        raise AssertionError("%s %s failed: %r (server alive: %s)\n%s" % (
            method, path[:200], e, server.alive(), server.tail()))
    finally:
        if own:
            conn.close()
    if validate:
        check_conformance(resp)
    return resp


def raw_request(server, head, body_chunks=(), timeout=HTTP_TIMEOUT):
    """Sends a hand-made request (head: the request line and headers, without the blank
    line) and then body_chunks, ignoring a peer that stops reading (EPIPE/ECONNRESET), and
    reads the response. Returns a Response (method/path taken from the request line)."""
    method, path = head.split(" ", 2)[:2]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        try:
            sock.sendall(head.encode("latin-1") + b"\r\n\r\n")
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; its answer may still be readable
        r = http.client.HTTPResponse(sock, method=method)
        try:
            r.begin()
            payload = r.read()
        except (OSError, http.client.HTTPException) as e:
            raise AssertionError("%s %s: no readable response (%r); server alive: %s\n%s" % (
                method, path[:100], e, server.alive(), server.tail()))
        return Response(method, path, r.status, r.reason, r.headers, payload)
    finally:
        sock.close()


# --------------------------------------------------------------------------------------------
# Test case base classes

class GraphTestMixin:
    """Request helpers and Graph assertions; self.server and self.admin are the defaults."""

    maxDiff = None

    # --- requests -------------------------------------------------------------------------

    def call(self, method, path, body=_NO_BODY, token=_DEFAULT, server=None, **kw):
        if token is _DEFAULT:
            token = self.admin
        return http_request(server or self.server, method, path, body=body, token=token, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=_NO_BODY, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=_NO_BODY, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    # --- objects --------------------------------------------------------------------------

    @staticmethod
    def printer_body(name=None, **overrides):
        body = {
            "displayName": name or uniq("Printer"),
            "manufacturer": "Contoso",
            "model": "LaserJet 9",
            "physicalDeviceId": None,
            "hasPhysicalDevice": False,
            "certificateSigningRequest": {"content": "MIIC...", "transportKey": "MIIB..."},
            "connectorId": None,
        }
        body.update(overrides)
        return body

    def start_create(self, name=None, token=_DEFAULT, version="v1.0", server=None, **overrides):
        """POST .../printers/create; asserts 202; returns (response, operation id)."""
        srv = server or self.server
        r = self.call("POST", "/%s/print/printers/create" % version,
                      self.printer_body(name, **overrides), token=token, server=srv)
        self.assertEqual(r.status, 202, r)
        loc = r.header("Operation-Location")
        self.assertIsNotNone(loc, "202 without Operation-Location")
        m = re.search(r"/print/operations/([^/?#]+)$", loc)
        self.assertIsNotNone(m, "Operation-Location %r" % loc)
        return r, urllib.parse.unquote(m.group(1))

    def create_printer(self, name=None, token=_DEFAULT, version="v1.0", server=None,
                       **overrides):
        """Registers a printer; returns the printer as GET /printers/{id} shows it."""
        _, op_id = self.start_create(name, token=token, version=version, server=server,
                                     **overrides)
        op = self.call("GET", "/%s/print/operations/%s" % (version, op_id), token=token,
                       server=server)
        self.assertEqual(op.status, 200, op)
        self.assertEqual(op.json.get("status", {}).get("state"), "succeeded", op)
        pid = op.json["printer"]["id"]
        p = self.call("GET", "/%s/print/printers/%s" % (version, pid), token=token,
                      server=server)
        self.assertEqual(p.status, 200, p)
        return p.json

    def bind(self, printer_id, base="https://graph.microsoft.com", version="v1.0"):
        return "%s/%s/print/printers/%s" % (base, version, printer_id)

    def create_share(self, printer_id, name=None, token=_DEFAULT, version="v1.0", server=None,
                     allow_all=True):
        r = self.call("POST", "/%s/print/shares" % version,
                      {"displayName": name or uniq("Share"), "allowAllUsers": allow_all,
                       "printer@odata.bind": self.bind(printer_id)},
                      token=token, server=server)
        self.assertEqual(r.status, 201, r)
        return r.json

    # --- assertions -----------------------------------------------------------------------

    def assert_json_response(self, r, status=200):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("Content-Type"), JSON_CONTENT_TYPE, r)
        return r.json

    def assert_graph_headers(self, r, client_request_id=None):
        rid = r.header("request-id")
        self.assertIsNotNone(rid, "no request-id header: %r" % r)
        self.assertRegex(rid, GUID_RE, "request-id is not a GUID")
        crid = r.header("client-request-id")
        self.assertEqual(crid, client_request_id if client_request_id is not None else rid,
                         "client-request-id header")
        date = r.header("Date")
        self.assertIsNotNone(date, "no Date header")
        parsed = email.utils.parsedate_to_datetime(date)
        self.assertLess(abs(parsed.timestamp() - time.time()), 120, "Date %r" % date)
        self.assertEqual(r.header("OData-Version"), "4.0", "OData-Version header")

    def assert_error(self, r, status, code=None, mentions=()):
        """Checks a Graph error response; mentions: substrings the message must contain
        (case-insensitive)."""
        self.assertEqual(r.status, status, r)
        ctype = (r.header("Content-Type") or "").lower()
        self.assertTrue(ctype.startswith("application/json"), "error Content-Type %r" % ctype)
        body = r.json
        self.assertIsInstance(body, dict, r)
        self.assertEqual(list(body.keys()), ["error"], r)
        err = body["error"]
        self.assertIsInstance(err.get("code"), str, r)
        self.assertIsInstance(err.get("message"), str, r)
        if code is not None:
            self.assertEqual(err["code"], code, r)
        for m in mentions:
            self.assertIn(m.lower(), err["message"].lower(),
                          "error message %r does not name %r" % (err["message"], m))
        inner = err.get("innerError")
        self.assertIsInstance(inner, dict, r)
        self.assertRegex(inner.get("date") or "", INNER_DATE_RE, "innerError.date")
        self.assertEqual(inner.get("request-id"), r.header("request-id"),
                         "innerError.request-id vs header")
        self.assertEqual(inner.get("client-request-id"), r.header("client-request-id"),
                         "innerError.client-request-id vs header")
        return err

    def assert_datetime7(self, value, what="date-time"):
        self.assertIsInstance(value, str, what)
        self.assertRegex(value, DATETIME7_RE, "%s %r is not YYYY-MM-DDThh:mm:ss.fffffffZ" % (
            what, value))

    def assert_still_answers(self, server=None):
        r = self.call("GET", "/v1.0/print/printers", server=server)
        self.assertEqual(r.status, 200, "server no longer answers: %r" % r)



class ServerTestCase(GraphTestMixin, unittest.TestCase):
    """Starts one server per class (setUpClass) on a fresh data folder."""

    server_args = ()
    base_url = None

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="uprintd-it-")
        cls.data = cls._tmp.name
        if CONFIG.keep:
            print("\n[%s data: %s]" % (cls.__name__, cls.data))
        try:
            cls.server = Server(cls.data, cls.server_args, base_url=cls.base_url).start()
            cls.admin = admin_token(cls.data)
        except BaseException:
            cls._cleanup_tmp()
            raise

    @classmethod
    def helper(cls):
        """An instance for using the helpers from setUpClass."""
        return cls("run")

    @classmethod
    def _cleanup_tmp(cls):
        if CONFIG.keep:
            cls._tmp._finalizer.detach()  # leave it on disk
        else:
            cls._tmp.cleanup()

    @classmethod
    def tearDownClass(cls):
        try:
            alive = cls.server.alive()
            rc = cls.server.stop()
        finally:
            cls._cleanup_tmp()
        report = cls.server.sanitizer_report()
        if report:
            raise AssertionError("sanitizer report from uprintd during %s:\n%s" % (
                cls.__name__, report))
        if not alive:
            raise AssertionError("uprintd died during %s (exit %s)\n%s" % (
                cls.__name__, rc, cls.server.tail()))
        if rc != 0:
            raise AssertionError("uprintd exited %s on SIGTERM (expected 0)\n%s" % (
                rc, cls.server.tail()))

    def tearDown(self):
        srv = getattr(type(self), "server", None)
        if srv is None or srv.proc is None:
            return
        if not srv.alive():
            self.fail("uprintd is no longer running (exit %s)\n%s" % (
                srv.proc.returncode, srv.tail()))
        report = srv.sanitizer_report()
        if report and not getattr(type(self), "_reported", False):
            type(self)._reported = True
            self.fail("sanitizer report from uprintd:\n" + report)

class CliTestCase(GraphTestMixin, unittest.TestCase):
    """Tests that start their own processes (self.serve); self.data is a fresh folder."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="uprintd-it-")
        self.data = self.new_dir()
        self._servers = []
        self._admin = None

    def tearDown(self):
        problems = []
        try:
            for s in self._servers:
                if s.alive():
                    try:
                        rc = s.stop()
                    except AssertionError as e:  # did not stop; it was killed
                        problems.append(str(e))
                        continue
                    if rc != 0:
                        problems.append("uprintd exited %s on SIGTERM (expected 0)\n%s" % (
                            rc, s.tail()))
                report = s.sanitizer_report()
                if report:
                    problems.append("sanitizer report from uprintd:\n" + report)
        finally:
            if CONFIG.keep:
                self._tmp._finalizer.detach()
            else:
                self._tmp.cleanup()
        if problems:
            self.fail("\n".join(problems))

    @property
    def admin(self):
        if self._admin is None:
            self._admin = admin_token(self.data)
        return self._admin

    def serve(self, data=None, args=(), base_url=None, port=0):
        """Starts a server (killed at tearDown if still running); it becomes self.server."""
        s = Server(data or self.data, args, base_url=base_url, port=port)
        self._servers.append(s)
        s.start()
        self.server = s
        return s

    def new_dir(self):
        return tempfile.mkdtemp(prefix="d", dir=self._tmp.name)


def wait_until(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
