"""HTTPS: --tls-cert and --tls-key, with a self-signed certificate made here (openssl), so that
clients that insist on https:// (the official Graph SDKs) work unmodified."""

import os
import shutil
import socket
import ssl
import subprocess
import urllib.parse

from harness import run_cli
from jobkit import JobCliTestCase, sha256, document_bytes


class TlsTests(JobCliTestCase):

    def setUp(self):
        super().setUp()
        if not shutil.which("openssl"):
            self.skipTest("openssl not found: HTTPS test skipped")
        d = self.new_dir()
        self.cert, self.key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", self.key, "-out", self.cert, "-days", "1",
                            "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.ctx = ssl.create_default_context(cafile=self.cert)

    def serve_tls(self, *extra):
        srv = self.serve(args=["--tls-cert", self.cert, "--tls-key", self.key,
                               "--sim-job-ms", "50"] + list(extra))
        srv.tls_context = self.ctx
        return srv

    def test_the_print_flow_over_https(self):
        srv = self.serve_tls()
        self.assertTrue(srv.origin.startswith("https://127.0.0.1:"), srv.origin)
        r = self.get("/v1.0/print/printers")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["@odata.context"].startswith(srv.origin + "/v1.0/"), r)
        pid, sid = self.printer_and_share()
        t = self.share_target(sid, token=self.user)
        job = self.create_job(t)
        data = document_bytes(300000, 5)
        s = self.create_session(t, job["id"], job["documents"][0]["id"], len(data))
        self.assertTrue(s["uploadUrl"].startswith(srv.origin + "/_uprintd/uploads/"), s)
        self.upload(t, job["id"], job["documents"][0]["id"], data, fragment=100000)
        got = self.download(t, job["id"], job["documents"][0]["id"])
        self.assertEqual(sha256(got.body), sha256(data))
        self.start_ok(t, job["id"])
        self.wait_state(t, job["id"], "completed")

    def test_certificate_checked_and_plain_http_refused(self):
        srv = self.serve_tls()
        # A client that does not trust the certificate stops at the handshake.
        strict = ssl.create_default_context()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLError):
                with strict.wrap_socket(raw, server_hostname="127.0.0.1"):
                    pass
        # Plain HTTP on the HTTPS port gets no HTTP answer.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                answer = raw.recv(100)
            except (ConnectionResetError, socket.timeout):
                answer = b""
            self.assertFalse(answer.startswith(b"HTTP/1.1 200"), answer)
        self.assertEqual(self.get("/healthz", token=None).status, 200)

    def test_options_go_together_and_bad_files_stop_the_start(self):
        p = run_cli("serve", "--data", self.data, "--tls-cert", self.cert)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--tls-cert needs --tls-key", p.stderr)
        missing = os.path.join(self.new_dir(), "none.pem")
        p = run_cli("serve", "--data", self.data, "--listen", "127.0.0.1:0", "--tls-cert",
                    missing, "--tls-key", self.key, timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("none.pem", p.stderr)
        # A key that is not the certificate's: libmicrohttpd refuses to start.
        d = self.new_dir()
        other = os.path.join(d, "other.pem")
        subprocess.run(["openssl", "genrsa", "-out", other, "2048"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        p = run_cli("serve", "--data", self.data, "--listen", "127.0.0.1:0", "--tls-cert",
                    self.cert, "--tls-key", other, timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr)
