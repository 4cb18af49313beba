"""Graph conventions: headers, error bodies, routing, request bodies, limits, keep-alive."""

import json
import socket
import threading
import uuid

from harness import (GUID_RE, JSON_CONTENT_TYPE, ServerTestCase, http_request, raw_request,
                     uniq)


class HeaderTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tc = cls.helper()
        cls.printer = tc.create_printer()

    def test_headers_on_every_kind_of_response(self):
        pid = self.printer["id"]
        spare = self.create_printer()
        share_r = self.post("/v1.0/print/shares", {
            "displayName": uniq("S"), "allowAllUsers": True,
            "printer@odata.bind": self.bind(spare["id"])})
        self.assertEqual(share_r.status, 201, share_r)
        cases = [
            ("200 list", self.get("/v1.0/print/printers"), 200),
            ("200 item", self.get("/v1.0/print/printers/%s" % pid), 200),
            ("202 create", self.post("/v1.0/print/printers/create", self.printer_body()), 202),
            ("201 share", share_r, 201),
            ("204 delete", self.delete("/v1.0/print/shares/%s" % share_r.json["id"]), 204),
            ("400 path", self.get("/v1.0/print/nosuchthing"), 400),
            ("401", self.get("/v1.0/print/printers", token=None), 401),
            ("404", self.get("/v1.0/print/printers/%s" % uuid.uuid4()), 404),
            ("405", self.call("PUT", "/v1.0/print/printers", {}), 405),
            ("415", self.patch("/v1.0/print/printers/%s" % pid, raw=b'{"displayName":"x"}',
                               content_type="text/plain"), 415),
        ]
        for name, r, status in cases:
            with self.subTest(response=name):
                self.assertEqual(r.status, status, r)
                self.assert_graph_headers(r)

    def test_client_request_id_is_echoed(self):
        crid = str(uuid.uuid4())
        r = self.get("/v1.0/print/printers/%s" % self.printer["id"],
                     headers={"client-request-id": crid})
        self.assertEqual(r.status, 200, r)
        self.assert_graph_headers(r, client_request_id=crid)
        self.assertNotEqual(r.header("request-id"), crid)

    def test_client_request_id_is_echoed_in_errors(self):
        crid = str(uuid.uuid4())
        r = self.get("/v1.0/print/printers/%s" % uuid.uuid4(),
                     headers={"client-request-id": crid})
        self.assert_graph_headers(r, client_request_id=crid)
        err = self.assert_error(r, 404, "itemNotFound")
        self.assertEqual(err["innerError"]["client-request-id"], crid)

    def test_request_ids_differ(self):
        a = self.get("/v1.0/print/printers")
        b = self.get("/v1.0/print/printers")
        self.assertRegex(a.header("request-id") or "", GUID_RE)
        self.assertNotEqual(a.header("request-id"), b.header("request-id"))

    def test_json_content_type(self):
        pid = self.printer["id"]
        for path in ("/v1.0/print/printers", "/v1.0/print/printers/%s" % pid,
                     "/v1.0/print/shares", "/v1.0/print/operations",
                     "/v1.0/print/printers/%s/shares" % pid):
            with self.subTest(path=path):
                r = self.get(path)
                self.assert_json_response(r, 200)

    def test_error_content_type(self):
        r = self.get("/v1.0/print/printers/%s" % uuid.uuid4())
        self.assertEqual(r.header("Content-Type"), JSON_CONTENT_TYPE)

    def test_registered_date_time_has_seven_fraction_digits(self):
        self.assert_datetime7(self.printer["registeredDateTime"], "registeredDateTime")


class RoutingTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.printer = cls.helper().create_printer()

    def test_unknown_version(self):
        for path in ("/v2.0/print/printers", "/v1/print/printers", "/alpha/print/printers"):
            with self.subTest(path=path):
                self.assert_error(self.get(path), 400, "BadRequest")

    def test_unknown_segment(self):
        pid = self.printer["id"]
        for path, seg in (("/v1.0/print/foo", "foo"),
                          ("/v1.0/print/printers/%s/bogus" % pid, "bogus"),
                          ("/beta/print/zebra", "zebra"),
                          ("/v1.0/imaginary", "imaginary")):
            with self.subTest(path=path):
                self.assert_error(self.get(path), 400, "BadRequest", mentions=[seg])

    def test_segments_match_case_insensitively(self):
        pid = self.printer["id"]
        for path in ("/V1.0/Print/Printers", "/BETA/PRINT/PRINTERS", "/Beta/print/printers",
                     "/v1.0/print/Printers/%s" % pid, "/v1.0/PRINT/SHARES",
                     "/v1.0/print/printers/%s/SHARES" % pid, "/v1.0/Print/Operations"):
            with self.subTest(path=path):
                r = self.get(path)
                self.assertEqual(r.status, 200, r)

    def test_method_not_allowed(self):
        pid = self.printer["id"]
        for method, path in (("PUT", "/v1.0/print/printers"),
                             ("DELETE", "/v1.0/print/printers"),
                             ("PATCH", "/v1.0/print/printers"),
                             ("PUT", "/v1.0/print/shares"),
                             ("DELETE", "/v1.0/print/shares"),
                             ("PUT", "/v1.0/print/printers/%s" % pid),
                             ("POST", "/v1.0/print/printers/%s" % pid)):
            with self.subTest(request="%s %s" % (method, path)):
                r = self.call(method, path, {})
                self.assert_error(r, 405, "methodNotAllowed")
        # The printer is untouched.
        self.assertEqual(self.get("/v1.0/print/printers/%s" % pid).status, 200)

    def test_missing_item(self):
        for path in ("/v1.0/print/printers/%s" % uuid.uuid4(),
                     "/v1.0/print/shares/%s" % uuid.uuid4(),
                     "/v1.0/print/operations/%s" % uuid.uuid4()):
            with self.subTest(path=path):
                self.assert_error(self.get(path), 404, "itemNotFound")


class RequestBodyTests(ServerTestCase):
    server_args = ("--threads", "4")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.printer = cls.helper().create_printer()

    def bodies_refused(self, raw, status, code=None, mentions=(), content_type="application/json"):
        pid = self.printer["id"]
        for method, path in (("POST", "/v1.0/print/printers/create"),
                             ("PATCH", "/v1.0/print/printers/%s" % pid),
                             ("POST", "/v1.0/print/shares")):
            with self.subTest(request="%s %s" % (method, path), body=raw[:40]):
                r = self.call(method, path, raw=raw, content_type=content_type)
                self.assert_error(r, status, code, mentions)
        self.assert_still_answers()

    def test_malformed_json_names_the_position(self):
        for raw in (b'{"displayName": "x",', b'{"displayName" "x"}', b'{\n  "a": 1,\n  oops\n}',
                    b'{"displayName": "x"} trailing'):
            r = self.call("POST", "/v1.0/print/printers/create", raw=raw)
            with self.subTest(body=raw):
                err = self.assert_error(r, 400, "invalidRequest")
                msg = err["message"].lower()
                self.assertTrue("line" in msg or "position" in msg,
                                "message %r names no position" % err["message"])
        self.bodies_refused(b'{"displayName": ', 400, "invalidRequest")

    def test_json_that_is_not_an_object(self):
        for raw in (b"[]", b'"x"', b"42", b"null", b"true"):
            with self.subTest(body=raw):
                self.bodies_refused(raw, 400, "invalidRequest")

    def test_empty_body(self):
        self.bodies_refused(b"", 400)

    def test_wrong_content_type(self):
        body = json.dumps(self.printer_body()).encode()
        self.bodies_refused(body, 415, "unsupportedMediaType", content_type="text/plain")
        # Nothing was created by the refused create.
        names = [p["displayName"] for p in self.get("/v1.0/print/printers").json["value"]]
        self.assertNotIn(json.loads(body)["displayName"], names)

    def test_content_type_with_charset_is_json(self):
        r = self.call("POST", "/v1.0/print/printers/create",
                      raw=json.dumps(self.printer_body()).encode(),
                      content_type="application/json; charset=utf-8")
        self.assertEqual(r.status, 202, r)

    def test_body_of_a_few_kilobytes_is_fine_by_default(self):
        body = self.printer_body(certificateSigningRequest={"content": "M" * 5000,
                                                            "transportKey": "MIIB..."})
        r = self.post("/v1.0/print/printers/create", body)
        self.assertEqual(r.status, 202, r)

    def test_keep_alive(self):
        conn = self.server.connection()
        try:
            r1 = http_request(self.server, "GET", "/v1.0/print/printers", token=self.admin,
                              conn=conn)
            self.assertEqual(r1.status, 200, r1)
            self.assertNotEqual((r1.header("Connection") or "").lower(), "close")
            sock = conn.sock
            self.assertIsNotNone(sock, "the client closed the connection after response 1")
            r2 = http_request(self.server, "GET", "/v1.0/print/printers", token=self.admin,
                              conn=conn)
            self.assertEqual(r2.status, 200, r2)
            self.assertIs(conn.sock, sock, "the second request opened a new connection")
            self.assertNotEqual((r2.header("Connection") or "").lower(), "close")
            self.assertEqual(r1.json["value"], r2.json["value"])
        finally:
            conn.close()

    def test_keep_alive_after_an_error(self):
        conn = self.server.connection()
        try:
            r1 = http_request(self.server, "GET", "/v1.0/print/printers/%s" % uuid.uuid4(),
                              token=self.admin, conn=conn)
            self.assertEqual(r1.status, 404, r1)
            sock = conn.sock
            r2 = http_request(self.server, "GET", "/v1.0/print/printers", token=self.admin,
                              conn=conn)
            self.assertEqual(r2.status, 200, r2)
            if sock is not None:
                self.assertIs(conn.sock, sock)
        finally:
            conn.close()

    def test_connection_usable_after_refused_bodies(self):
        # After a refused request that carried a body, the same connection either serves the
        # next request or was closed cleanly (http.client then reconnects); the body of the
        # refused request must never be read as the next request.
        conn = self.server.connection()
        try:
            for raw, ctype, status in ((b'{"displayName": ', "application/json", 400),
                                       (b'{"displayName": 5}', "application/json", 400),
                                       (b'{"displayName": "x"}', "text/plain", 415),
                                       (b"[1, 2, 3]", "application/json", 400)):
                with self.subTest(body=raw, content_type=ctype):
                    r = http_request(self.server, "POST", "/v1.0/print/printers/create",
                                     raw=raw, content_type=ctype, token=self.admin, conn=conn)
                    self.assert_error(r, status)
                    r2 = http_request(self.server, "GET", "/v1.0/print/printers",
                                      token=self.admin, conn=conn)
                    self.assertEqual(r2.status, 200, r2)
        finally:
            conn.close()

    def test_default_json_limit_is_1024_kb(self):
        # Just under 1024 KiB is accepted ...
        body = self.printer_body(certificateSigningRequest={"content": "M" * (1000 * 1024),
                                                            "transportKey": "MIIB..."})
        raw = json.dumps(body).encode()
        self.assertLess(len(raw), 1024 * 1024)
        r = self.call("POST", "/v1.0/print/printers/create", raw=raw)
        self.assertEqual(r.status, 202, r)
        # ... and 1.5 MiB is refused with 413 (readable by the client even when the server
        # stops reading the body early).
        n = 1536 * 1024
        head = ("POST /v1.0/print/printers/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d" % (self.admin, n))
        chunk = b'{"displayName": "' + b"x" * (n - 19) + b'"}'
        self.assertEqual(len(chunk), n)
        r = raw_request(self.server, head, [chunk])
        self.assert_error(r, 413, "requestTooLarge")
        self.assert_graph_headers(r)
        self.assert_still_answers()

    def test_chunked_body(self):
        conn = self.server.connection()
        try:
            data = json.dumps(self.printer_body()).encode()
            conn.request("POST", "/v1.0/print/printers/create",
                         body=iter([data[:20], data[20:]]), encode_chunked=True,
                         headers={"Authorization": "Bearer " + self.admin,
                                  "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 202)
        finally:
            conn.close()

    def test_concurrent_creates(self):
        n = 12
        results = [None] * n
        names = [uniq("Conc") for _ in range(n)]

        def worker(i):
            try:
                results[i] = http_request(self.server, "POST", "/v1.0/print/printers/create",
                                          self.printer_body(names[i]), token=self.admin)
            except BaseException as e:  # reported below
                results[i] = e

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        ops = set()
        for i, r in enumerate(results):
            self.assertNotIsInstance(r, BaseException, r)
            self.assertEqual(r.status, 202, r)
            ops.add(r.header("Operation-Location"))
        self.assertEqual(len(ops), n, "operation ids are not distinct")
        listed = self.get("/v1.0/print/printers").json["value"]
        got = [p for p in listed if p["displayName"] in names]
        self.assertEqual(sorted(p["displayName"] for p in got), sorted(names))
        self.assertEqual(len({p["id"] for p in got}), n)


class LimitTests(ServerTestCase):
    server_args = ("--max-json-kb", "4", "--max-url-kb", "1")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.printer = cls.helper().create_printer()

    def test_json_body_over_the_limit(self):
        big = self.printer_body(certificateSigningRequest={"content": "M" * 5120,
                                                           "transportKey": "MIIB..."})
        raw = json.dumps(big).encode()
        self.assertGreater(len(raw), 5 * 1024)
        r = self.call("POST", "/v1.0/print/printers/create", raw=raw)
        self.assert_error(r, 413, "requestTooLarge")
        self.assert_graph_headers(r)
        self.assert_still_answers()
        names = [p["displayName"] for p in self.get("/v1.0/print/printers").json["value"]]
        self.assertNotIn(big["displayName"], names)

    def test_patch_body_over_the_limit(self):
        pid = self.printer["id"]
        raw = json.dumps({"location": {"roomDescription": "r" * 5200}}).encode()
        self.assert_error(self.call("PATCH", "/v1.0/print/printers/%s" % pid, raw=raw), 413,
                          "requestTooLarge")
        self.assert_still_answers()
        self.assertEqual(self.get("/v1.0/print/printers/%s" % pid).json, self.printer)

    def test_json_body_under_the_limit(self):
        body = self.printer_body(certificateSigningRequest={"content": "M" * 3000,
                                                            "transportKey": "MIIB..."})
        self.assertEqual(self.post("/v1.0/print/printers/create", body).status, 202)

    def test_declared_length_over_the_limit_is_refused_before_the_body(self):
        head = ("PATCH /v1.0/print/printers/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d" % (self.printer["id"], self.admin, 8 * 1024))
        r = raw_request(self.server, head, [], timeout=5)  # the body is never sent
        self.assert_error(r, 413, "requestTooLarge")
        self.assert_still_answers()

    def test_chunked_body_over_the_limit(self):
        conn = self.server.connection()
        try:
            data = json.dumps(self.printer_body(certificateSigningRequest={
                "content": "M" * 5120, "transportKey": "MIIB..."})).encode()
            chunks = [data[i:i + 1000] for i in range(0, len(data), 1000)]
            try:
                conn.request("POST", "/v1.0/print/printers/create", body=iter(chunks),
                             encode_chunked=True,
                             headers={"Authorization": "Bearer " + self.admin,
                                      "Content-Type": "application/json"})
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = conn.getresponse()
            body = r.read()
            self.assertEqual(r.status, 413, body)
            self.assertEqual(json.loads(body)["error"]["code"], "requestTooLarge")
        finally:
            conn.close()
        self.assert_still_answers()

    def test_url_over_the_limit(self):
        r = self.get("/v1.0/print/printers?q=" + "a" * 2000)
        self.assert_error(r, 414, "requestUriTooLong")
        self.assert_graph_headers(r)
        self.assert_still_answers()
        r = self.get("/v1.0/print/printers/%s/%s" % (self.printer["id"], "x" * 1100))
        self.assert_error(r, 414, "requestUriTooLong")
        self.assert_still_answers()

    def test_keep_alive_after_414(self):
        conn = self.server.connection()
        try:
            r1 = http_request(self.server, "GET", "/v1.0/print/printers?q=" + "a" * 2000,
                              token=self.admin, conn=conn)
            self.assert_error(r1, 414, "requestUriTooLong")
            self.assertNotEqual((r1.header("Connection") or "").lower(), "close", r1)
            sock = conn.sock
            self.assertIsNotNone(sock, "the connection was closed after the 414")
            r2 = http_request(self.server, "GET", "/v1.0/print/printers", token=self.admin,
                              conn=conn)
            self.assertEqual(r2.status, 200, r2)
            self.assertIs(conn.sock, sock, "the second request opened a new connection")
        finally:
            conn.close()


class RobustnessTests(ServerTestCase):
    """Odd requests get a Graph error (4xx) and the server keeps answering."""

    def test_odd_urls(self):
        for path in ("/v1.0/print/printers/%zz", "/v1.0/print/printers/%00",
                     "/v1.0/print/printers/%s%%2Fshares" % uuid.uuid4(),
                     "/v1.0//print/printers", "/v1.0/print/../print/printers", "/", "/v1.0",
                     "/v1.0/print", "/v1.0/print/printers/" + "z" * 500,
                     "/v1.0/print/printers?$top=abc", "/v1.0/print/printers?$select=id,,",
                     "/v1.0/print/shares/%s/printer/extra" % uuid.uuid4(),
                     "/v1.0/print/printers/%C3%A9%E2%82%AC"):
            with self.subTest(path=path):
                r = self.get(path)
                self.assertTrue(400 <= r.status < 500, r)
                self.assert_error(r, r.status)
                self.assert_graph_headers(r)
        self.assert_still_answers()

    def test_odd_bodies(self):
        p = self.create_printer()
        path = "/v1.0/print/printers/%s" % p["id"]
        for raw in (b"\xff\xfe{}", b'{"displayName": "\xc3"}', b'{"displayName": "a\u0000b"}',
                    b"{" * 5000 + b"}" * 5000, b'{"location": ' * 300 + b"1" + b"}" * 300,
                    b'{"displayName": 1e999}', b'{"defaults": {"copiesPerJob": 99999999999999}}',
                    b'{"displayName": "x", "displayName": 5}'):
            with self.subTest(body=raw[:40]):
                r = self.call("PATCH", path, raw=raw)
                if r.status == 200:
                    continue  # e.g. an accepted NUL-free duplicate; not this test's concern
                self.assertTrue(400 <= r.status < 500, r)
                self.assert_error(r, r.status)
        self.assert_still_answers()
        self.assertEqual(self.get(path).status, 200)

    def test_garbage_on_the_socket(self):
        for data in (b"HELLO\r\n\r\n", b"GET\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00",
                     b"GET /v1.0/print/printers HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n"):
            with self.subTest(data=data):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                    try:
                        while s.recv(4096):
                            pass
                    except OSError:
                        pass
                finally:
                    s.close()
        self.assert_still_answers()
