"""Document uploads: createUploadSession, PUT of fragments to the uploadUrl (holes, any order,
in parallel, every refusal), GET/DELETE of a session, expiry, size limits, and downloads
through $value."""

import calendar
import os
import time
import urllib.parse
import uuid

from harness import admin_token, app_token, http_request, raw_request
from jobkit import (FRAGMENT_LIMIT, MIB, PAUSED_STATUS, SUPPORTED_CONTENT_TYPES,
                    JobCliTestCase, JobTestCase, document_bytes, parse_ranges,
                    random_fragments, sha256)


def epoch(dt):
    """Seconds since the epoch of a Graph date-time (UTC, 'Z')."""
    return calendar.timegm(time.strptime(dt[:19], "%Y-%m-%dT%H:%M:%S"))


class UploadTestCase(JobTestCase):

    @classmethod
    def prepare_class(cls):
        cls.pid, cls.sid = cls.helper().printer_and_share()

    def new_session(self, size, t=None, name="a.pdf", ctype="application/pdf"):
        """A fresh job and an upload session of size bytes for its document; returns
        (target, job id, document id, session, upload path)."""
        t = t or self.share_target(self.sid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        s = self.create_session(t, job["id"], did, size, name, ctype)
        return t, job["id"], did, s, self.upload_path(s["uploadUrl"])

    def assert_holes(self, path, expected):
        got = self.session_state(path)
        self.assertEqual(got.get("nextExpectedRanges"), expected, got)
        return got

    def assert_document_uploaded(self, doc, did, name, ctype, size):
        self.assertEqual(doc.get("id"), did)
        self.assertEqual(doc.get("displayName"), name)
        self.assertEqual(doc.get("contentType"), ctype)
        self.assertEqual(int(doc.get("size", -1)), size)
        self.assert_datetime7(doc.get("uploadedDateTime"), "uploadedDateTime")
        self.assertIsNone(doc.get("downloadedDateTime"))

    def assert_uploaded_job(self, t, jid, did, name, ctype, size):
        job = self.get_job(t, jid, expand=True)
        self.assertEqual(job["status"]["state"], "paused", job)
        self.assertEqual(job["status"]["details"], [], "uploadPending must be cleared")
        self.assertIs(job["status"]["isAcquiredByPrinter"], False)
        self.assertEqual(len(job["documents"]), 1)
        self.assert_document_uploaded(job["documents"][0], did, name, ctype, size)
        return job


class UploadSessionTests(UploadTestCase):

    def test_session_shape_on_every_path(self):
        for t in self.all_targets(self.pid, self.sid):
            with self.subTest(target=repr(t)):
                job = self.create_job(t)
                did = job["documents"][0]["id"]
                now = time.time()
                r = self.post(t.document(job["id"], did) + "/createUploadSession",
                              {"properties": {"documentName": "a.pdf",
                                              "contentType": "application/pdf",
                                              "size": 12345}}, token=t.token)
                s = self.assert_json_response(r, 200)
                self.assert_graph_headers(r)
                self.assertEqual(s.get("@odata.context"), "%s/%s/$metadata#microsoft.graph."
                                 "uploadSession" % (self.server.base, t.version))
                path = self.upload_path(s.get("uploadUrl", ""))
                self.assertEqual(s.get("nextExpectedRanges"), ["0-12344"])
                self.assert_datetime7(s.get("expirationDateTime"), "expirationDateTime")
                self.assertLess(abs(epoch(s["expirationDateTime"]) - (now + 86400)), 300,
                                "default expiry is a day: %s" % s["expirationDateTime"])
                got = self.session_state(path)
                self.assertEqual(got.get("nextExpectedRanges"), ["0-12344"])
                self.assertEqual(got.get("expirationDateTime"), s["expirationDateTime"])
                # Creating the session does not change the job.
                self.assertEqual(self.get_job(t, job["id"])["status"], PAUSED_STATUS)

    def test_each_session_has_its_own_url(self):
        urls = set()
        for _ in range(3):
            _, _, _, s, path = self.new_session(100)
            urls.add(path.split("?")[0])
        self.assertEqual(len(urls), 3)

    def test_every_supported_content_type(self):
        t = self.share_target(self.sid)
        for ctype in SUPPORTED_CONTENT_TYPES:
            with self.subTest(contentType=ctype):
                job = self.create_job(t)
                did = job["documents"][0]["id"]
                data = ("content of type %s" % ctype).encode()
                doc = self.upload(t, job["id"], did, data, "file.bin", ctype)
                self.assert_document_uploaded(doc, did, "file.bin", ctype, len(data))
                self.assert_uploaded_job(t, job["id"], did, "file.bin", ctype, len(data))

    def test_session_refusals(self):
        t = self.printer_target(self.pid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        path = t.document(job["id"], did) + "/createUploadSession"
        good = {"documentName": "a.pdf", "contentType": "application/pdf", "size": 100}
        before = self.snapshot(t, job["id"])
        cases = [("no properties", {}, []),
                 ("properties null", {"properties": None}, ["properties"]),
                 ("properties not an object", {"properties": "a.pdf"}, ["properties"])]
        for missing in good:
            props = dict(good)
            del props[missing]
            cases.append(("without " + missing, {"properties": props}, [missing]))
        for ctype in ("application/x-unknown", "text/plain", ""):
            cases.append(("contentType %r" % ctype,
                          {"properties": dict(good, contentType=ctype)}, ["contentType"]))
        for size in (0, -1, -100, "x", 1.5):
            cases.append(("size %r" % (size,), {"properties": dict(good, size=size)},
                          ["size"]))
        for what, body, mentions in cases:
            with self.subTest(case=what):
                r = self.post(path, body, token=t.token)
                self.assert_error(r, 400, mentions=mentions)
        for raw in (b"", b"[]", b"{"):
            with self.subTest(body=raw):
                self.assert_error(self.post(path, raw=raw, token=t.token), 400)
        self.assertEqual(self.snapshot(t, job["id"]), before, "a refused session changed the job")
        # The job can still get its document.
        self.upload(t, job["id"], did, b"x" * 100)

    def test_session_for_a_missing_job_or_document(self):
        t = self.share_target(self.sid)
        job = self.create_job(t)
        body = {"properties": {"documentName": "a.pdf", "contentType": "application/pdf",
                               "size": 10}}
        for path in (t.document(job["id"], str(uuid.uuid4())), t.document(
                "999999", job["documents"][0]["id"])):
            with self.subTest(path=path):
                self.assert_error(self.post(path + "/createUploadSession", body,
                                            token=t.token), 404)

    def test_session_refused_once_the_job_started(self):
        t = self.share_target(self.sid)
        jid, did = self.ready_job(t)
        self.start_ok(t, jid)
        before = self.get_job(t, jid, expand=True)["documents"]
        r = self.post(t.document(jid, did) + "/createUploadSession",
                      {"properties": {"documentName": "b.pdf", "contentType": "application/pdf",
                                      "size": 10}}, token=t.token)
        self.assert_error(r, 400)
        self.assertEqual(self.get_job(t, jid, expand=True)["documents"], before)
        self.wait_state(t, jid, "completed")


class UploadFragmentTests(UploadTestCase):

    def test_holes_in_any_order(self):
        size = 1000
        data = document_bytes(size, 1)
        t, jid, did, s, path = self.new_session(size, name="holes.pdf")
        steps = [((0, 99), ["100-999"]),
                 ((500, 599), ["100-499", "600-999"]),
                 ((900, 999), ["100-499", "600-899"]),
                 ((300, 300), ["100-299", "301-499", "600-899"]),
                 ((100, 299), ["301-499", "600-899"]),
                 ((301, 499), ["600-899"])]
        for (a, b), expected in steps:
            with self.subTest(fragment="%d-%d" % (a, b)):
                r = self.put_range(path, data[a:b + 1], a, size)
                body = self.assert_json_response(r, 202)
                self.assertEqual(body.get("nextExpectedRanges"), expected)
                self.assert_datetime7(body.get("expirationDateTime"), "expirationDateTime")
                self.assertEqual(body["expirationDateTime"], s["expirationDateTime"])
                self.assert_holes(path, expected)
                # Still uploading: the job waits for its document.
                self.assertEqual(self.get_job(t, jid)["status"], PAUSED_STATUS)
        r = self.put_range(path, data[600:900], 600, size)
        doc = self.assert_json_response(r, 201)
        self.assert_document_uploaded(doc, did, "holes.pdf", "application/pdf", size)
        self.assertEqual(doc.get("documentName"), "holes.pdf")
        self.assert_uploaded_job(t, jid, did, "holes.pdf", "application/pdf", size)
        # The session is gone.
        self.assert_error(http_request(self.server, "GET", path), 404)
        self.assert_error(self.put_range(path, data[0:10], 0, size), 404)
        self.assertEqual(sha256(self.download(t, jid, did).body), sha256(data))

    def test_every_hole_is_listed(self):
        size = 10000
        data = document_bytes(size, 11)
        t, jid, did, s, path = self.new_session(size)
        conn = self.server.connection()
        try:
            # Every other block of 10 bytes, from the end backwards: 500 holes.
            for a in range(size - 10, -1, -20):
                r = self.put_range(path, data[a:a + 10], a, size, conn=conn)
                self.assertEqual(r.status, 202, r)
        finally:
            conn.close()
        expected = ["%d-%d" % (a, a + 9) for a in range(0, size, 20)]
        self.assertEqual(r.json["nextExpectedRanges"], expected)
        self.assert_holes(path, expected)
        done = self.upload_parallel(path, data, [(a, a + 9) for a in range(0, size, 20)])
        self.assertEqual(sorted(r.status for _, r in done).count(201), 1)
        self.assertEqual(self.download(t, jid, did).body, data)

    def test_single_fragment_and_single_byte(self):
        for size in (1, 2, 4096):
            with self.subTest(size=size):
                data = document_bytes(size, size)
                t, jid, did, s, path = self.new_session(size, name="one.pdf")
                self.assertEqual(s["nextExpectedRanges"], ["0-%d" % (size - 1)])
                doc = self.assert_json_response(self.put_range(path, data, 0, size), 201)
                self.assertEqual(int(doc["size"]), size)
                self.assertEqual(self.download(t, jid, did).body, data)

    def test_bytes_equals_form_is_accepted(self):
        data = document_bytes(300, 2)
        t, jid, did, s, path = self.new_session(300)
        r = self.put_range(path, data[:100], 0, 300, form="bytes=")
        self.assertEqual(self.assert_json_response(r, 202)["nextExpectedRanges"], ["100-299"])
        r = self.put_range(path, data[200:], 200, 300, form="bytes ")
        self.assertEqual(self.assert_json_response(r, 202)["nextExpectedRanges"], ["100-199"])
        r = self.put_range(path, data[100:200], 100, 300, form="bytes=")
        self.assert_json_response(r, 201)
        self.assertEqual(self.download(t, jid, did).body, data)

    def test_authorization_header_is_ignored(self):
        data = document_bytes(200, 3)
        t, jid, did, s, path = self.new_session(200)
        for i, auth in enumerate(("Bearer garbage", "NotAScheme", "Bearer " + self.user)):
            with self.subTest(auth=auth[:20]):
                r = http_request(self.server, "GET", path, headers={"Authorization": auth})
                self.assertEqual(r.status, 200, r)
        r = self.put_range(path, data[:100], 0, 200, headers={"Authorization": "Bearer junk"})
        self.assert_json_response(r, 202)
        r = self.put_range(path, data[100:], 100, 200, headers={"Authorization": "x y z"})
        self.assert_json_response(r, 201)
        r = self.download(t, jid, did, auth="Bearer nonsense")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, data)

    def test_parallel_fragments_in_shuffled_order(self):
        import random
        size = 6 * MIB + 12345
        data = document_bytes(size, 4)
        t, jid, did, s, path = self.new_session(size, name="par.pdf")
        ranges = random_fragments(size, 5, low=100 * 1024, high=700 * 1024)
        random.Random(6).shuffle(ranges)
        done = self.upload_parallel(path, data, ranges, parallel=4)
        self.assertEqual(len(done), len(ranges))
        statuses = [r.status for _, r in done]
        self.assertEqual(sorted(set(statuses)), [201, 202], statuses)
        self.assertEqual(statuses.count(201), 1, "exactly one fragment completes the upload")
        for (a, b), r in done:
            if r.status == 202:
                for ha, hb in parse_ranges(r.json["nextExpectedRanges"]):
                    self.assertTrue(hb < a or ha > b, "hole %d-%d overlaps the fragment "
                                    "%d-%d just received" % (ha, hb, a, b))
        self.assert_uploaded_job(t, jid, did, "par.pdf", "application/pdf", size)
        self.assertEqual(sha256(self.download(t, jid, did).body), sha256(data))


class UploadRefusalTests(UploadTestCase):

    SIZE = 1000

    def setUp(self):
        super().setUp()
        self.content = document_bytes(self.SIZE, 7)
        self.t, self.jid, self.did, self.s, self.path = self.new_session(self.SIZE)
        r = self.put_range(self.path, self.content[:100], 0, self.SIZE)
        self.assertEqual(r.status, 202, r)
        self.job_before = self.snapshot(self.t, self.jid)

    def assert_unchanged(self):
        self.assert_holes(self.path, ["100-999"])
        self.assertEqual(self.snapshot(self.t, self.jid), self.job_before)

    def finish(self):
        """The upload can still be finished, with exactly the right bytes."""
        r = self.put_range(self.path, self.content[100:], 100, self.SIZE)
        self.assert_json_response(r, 201)
        self.assertEqual(self.download(self.t, self.jid, self.did).body, self.content)

    def put_raw(self, body, content_range, path=None):
        headers = {} if content_range is None else {"Content-Range": content_range}
        return http_request(self.server, "PUT", path or self.path, raw=body, headers=headers,
                            content_type="application/octet-stream")

    def test_total_other_than_the_session_size(self):
        for total in (999, 1001, 100):
            with self.subTest(total=total):
                r = self.put_raw(self.content[100:200], "bytes 100-199/%d" % total)
                self.assert_error(r, 400)
        self.assert_unchanged()
        self.finish()

    def test_content_length_other_than_the_range(self):
        # The HTTP framing is right (Content-Length = the bytes sent); the range disagrees.
        for n in (50, 99, 101, 150):
            with self.subTest(sent=n):
                r = self.put_raw(self.content[100:100 + n], "bytes 100-199/1000")
                self.assert_error(r, 400)
        r = self.put_raw(b"", "bytes 100-199/1000")
        self.assert_error(r, 400)
        self.assert_unchanged()
        self.finish()

    def test_range_beyond_the_document(self):
        for a, b in ((990, 1009), (1000, 1000), (1000, 1099), (5000, 5009)):
            with self.subTest(range="%d-%d" % (a, b)):
                r = self.put_raw(b"z" * (b - a + 1), "bytes %d-%d/1000" % (a, b))
                self.assert_error(r, 400)
        self.assert_unchanged()
        self.finish()

    def test_missing_or_malformed_content_range(self):
        chunk = self.content[100:200]
        for cr in (None, "", "bytes 100-199", "bytes 100-199/", "items 100-199/1000",
                   "100-199/1000", "bytes 199-100/1000", "bytes -100-199/1000",
                   "bytes */1000", "bytes 100-199/1000x", "bytes a-b/1000", "bytes 100-/1000",
                   "bytes 100-199/*", "bytes +100-199/1000"):
            with self.subTest(content_range=cr):
                self.assert_error(self.put_raw(chunk, cr), 400)
        self.assert_unchanged()
        self.finish()

    def test_range_already_received_is_416(self):
        for a, b in ((0, 99), (50, 149), (99, 99), (0, 999), (0, 0)):
            with self.subTest(range="%d-%d" % (a, b)):
                r = self.put_raw(self.content[a:b + 1], "bytes %d-%d/1000" % (a, b))
                self.assert_error(r, 416, "invalidRange")
        self.assert_unchanged()
        # Partly overlapping a later fragment too.
        r = self.put_range(self.path, self.content[500:600], 500, self.SIZE)
        self.assertEqual(r.json["nextExpectedRanges"], ["100-499", "600-999"])
        for a, b in ((450, 550), (599, 700), (400, 650)):
            with self.subTest(range="%d-%d" % (a, b)):
                r = self.put_raw(self.content[a:b + 1], "bytes %d-%d/1000" % (a, b))
                self.assert_error(r, 416, "invalidRange")
        self.assert_holes(self.path, ["100-499", "600-999"])
        r = self.put_range(self.path, self.content[100:500], 100, self.SIZE)
        self.assertEqual(r.status, 202, r)
        r = self.put_range(self.path, self.content[600:], 600, self.SIZE)
        self.assert_json_response(r, 201)
        self.assertEqual(self.download(self.t, self.jid, self.did).body, self.content)

    def test_wrong_tempauthtoken_is_404(self):
        # A wrong token answers like an unknown session (the URL tells nothing of sessions the
        # caller holds no token of); a URL without any token is 401.
        base, query = self.path.split("?", 1)
        token = urllib.parse.parse_qs(query)["tempauthtoken"][0]
        other = self.new_session(1000)[4]
        other_token = urllib.parse.parse_qs(other.split("?", 1)[1])["tempauthtoken"][0]
        flipped = ("A" if token[0] != "A" else "B") + token[1:]
        for what, bad in (("flipped", flipped), ("another session's", other_token),
                          ("garbage", "garbage"), ("longer", token + "x")):
            with self.subTest(token=what):
                path = base + "?tempauthtoken=" + urllib.parse.quote(bad, safe="")
                self.assert_error(self.put_raw(self.content[100:200], "bytes 100-199/1000",
                                               path=path), 404)
                self.assert_error(http_request(self.server, "GET", path), 404)
                self.assert_error(http_request(self.server, "DELETE", path), 404)
        for path in (base, base + "?other=1"):
            with self.subTest(token="none", path=path):
                self.assert_error(http_request(self.server, "GET", path), 401)
                self.assert_error(http_request(self.server, "DELETE", path), 401)
        self.assert_unchanged()
        self.finish()

    def test_unknown_session_is_404(self):
        query = self.path.split("?", 1)[1]
        for sid in (str(uuid.uuid4()), "nosuchsession", "999999"):
            with self.subTest(session=sid):
                path = "/_uprintd/uploads/%s?%s" % (sid, query)
                self.assert_error(self.put_raw(self.content[100:200], "bytes 100-199/1000",
                                               path=path), 404)
                self.assert_error(http_request(self.server, "GET", path), 404)
                self.assert_error(http_request(self.server, "DELETE", path), 404)
        self.assert_unchanged()
        self.finish()

    def test_delete_session(self):
        r = http_request(self.server, "DELETE", self.path)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assert_error(http_request(self.server, "GET", self.path), 404)
        self.assert_error(self.put_raw(self.content[100:200], "bytes 100-199/1000"), 404)
        self.assert_error(http_request(self.server, "DELETE", self.path), 404)
        # The job still waits for its document; nothing can be downloaded.
        self.assertEqual(self.snapshot(self.t, self.jid), self.job_before)
        self.assertEqual(self.get_job(self.t, self.jid)["status"], PAUSED_STATUS)
        r = self.get(self.t.document(self.jid, self.did) + "/$value", token=self.t.token)
        self.assert_error(r, 404)
        self.assert_error(self.start(self.t, self.jid), 400)


class FragmentSizeTests(UploadTestCase):

    def test_fragment_of_10_mib_is_413(self):
        size = FRAGMENT_LIMIT + MIB + 1
        data = document_bytes(size, 8)
        t, jid, did, s, path = self.new_session(size, name="big.pdf")
        for n in (FRAGMENT_LIMIT, FRAGMENT_LIMIT + MIB):
            with self.subTest(fragment=n):
                head = ("PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Range: bytes 0-%d/%d"
                        "\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n"
                        "Connection: close" % (path, self.server.port, n - 1, size, n))
                chunks = [data[i:min(i + MIB, n)] for i in range(0, n, MIB)]
                r = raw_request(self.server, head, chunks)
                self.assert_error(r, 413)
                self.assert_holes(path, ["0-%d" % (size - 1)])
        # Just below the limit is fine.
        r = self.put_range(path, data[:FRAGMENT_LIMIT - 1], 0, size)
        self.assertEqual(self.assert_json_response(r, 202)["nextExpectedRanges"],
                         ["%d-%d" % (FRAGMENT_LIMIT - 1, size - 1)])
        r = self.put_range(path, data[FRAGMENT_LIMIT - 1:], FRAGMENT_LIMIT - 1, size)
        self.assert_json_response(r, 201)
        self.assertEqual(sha256(self.download(t, jid, did).body), sha256(data))


class DownloadTests(UploadTestCase):

    def test_download_is_byte_exact_with_the_content_type(self):
        for t, ctype in ((self.share_target(self.sid), "image/jpeg"),
                         (self.printer_target(self.pid, "beta"), "application/oxps"),
                         (self.share_target(self.sid, "beta"), "application/pdf")):
            with self.subTest(target=repr(t), contentType=ctype):
                data = document_bytes(70000, ctype)
                jid, did = self.ready_job(t, data, ctype=ctype, name="pic")
                doc = self.get_job(t, jid, expand=True)["documents"][0]
                self.assertIsNone(doc["downloadedDateTime"])
                r = self.download(t, jid, did)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("Content-Type"), ctype)
                self.assertEqual(r.body, data)
                doc = self.get_job(t, jid, expand=True)["documents"][0]
                self.assert_datetime7(doc["downloadedDateTime"], "downloadedDateTime")
                r = self.get(t.document(jid, did), token=t.token)
                self.assert_datetime7(self.assert_json_response(r)["downloadedDateTime"],
                                      "downloadedDateTime")

    def test_download_through_the_other_path(self):
        pt, st = self.printer_target(self.pid), self.share_target(self.sid)
        data = document_bytes(5000, 9)
        jid, did = self.ready_job(st, data)
        self.assertEqual(self.download(pt, jid, did).body, data)
        self.assertEqual(self.download(self.printer_target(self.pid, "beta"), jid, did).body,
                         data)

    def test_value_before_upload_is_404(self):
        t = self.share_target(self.sid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        path = t.document(job["id"], did) + "/$value"
        self.assert_error(self.get(path, token=t.token), 404)
        s = self.create_session(t, job["id"], did, 100)
        up = self.upload_path(s["uploadUrl"])
        self.assertEqual(self.put_range(up, b"a" * 50, 0, 100).status, 202)
        self.assert_error(self.get(path, token=t.token), 404)  # half done
        self.assertEqual(self.put_range(up, b"b" * 50, 50, 100).status, 201)
        self.assertEqual(self.download(t, job["id"], did).body, b"a" * 50 + b"b" * 50)

    def test_download_url_needs_its_token(self):
        t = self.share_target(self.sid)
        jid, did = self.ready_job(t, b"secret bytes")
        r = self.get(t.document(jid, did) + "/$value", token=t.token)
        self.assertEqual(r.status, 302, r)
        parts = urllib.parse.urlsplit(r.header("Location"))
        for query in ("tempauthtoken=garbage", ""):
            with self.subTest(query=query):
                path = parts.path + ("?" + query if query else "")
                r = http_request(self.server, "GET", path)
                self.assertIn(r.status, (401, 403, 404), r)
                self.assertNotEqual(r.body, b"secret bytes")


class UploadLimitTests(JobCliTestCase):

    def test_the_printers_own_content_types(self):
        self.serve(args=["--sim-job-ms", "50"])
        # A printer without a physical device, registered by an administrator through an
        # application: that application sets its capabilities (reference 3.10).
        app_id = str(uuid.uuid4())
        p = self.create_printer(token=admin_token(self.data, app=app_id),
                                hasPhysicalDevice=False, physicalDeviceId=None)
        pid, app = p["id"], app_token(self.data, app_id)
        sid = self.create_share(pid)["id"]
        t = self.share_target(sid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        path = t.document(job["id"], did) + "/createUploadSession"

        def session(ctype):
            return self.post(path, {"properties": {"documentName": "a", "contentType": ctype,
                                                   "size": 10}}, token=t.token)
        # The default list takes image/urf; a printer whose capabilities say otherwise does not.
        self.assertEqual(session("image/urf").status, 200)
        r = self.patch("/v1.0/print/printers/%s" % pid,
                       {"capabilities": {"contentTypes": ["application/pdf"]}}, token=app)
        self.assertEqual(r.status, 200, r)
        err = self.assert_error(session("image/urf"), 400)
        self.assertIn("image/urf", err["message"])
        self.assertEqual(session("application/pdf").status, 200)
        r = self.patch("/v1.0/print/printers/%s" % pid,
                       {"capabilities": {"contentTypes": ["image/urf", "application/PDF"]}},
                       token=app)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(session("image/urf").status, 200)
        self.assertEqual(session("application/pdf").status, 200)  # media types ignore case
        self.assert_error(session("application/oxps"), 400)

    def test_deleted_session_leaves_no_spool_file(self):
        self.serve(args=["--sim-job-ms", "50"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        job = self.create_job(t)
        s = self.create_session(t, job["id"], job["documents"][0]["id"], 1000)
        up = self.upload_path(s["uploadUrl"])
        self.assertEqual(self.put_range(up, b"x" * 100, 0, 1000).status, 202)
        spools = os.listdir(os.path.join(self.data, "uploads"))
        self.assertEqual(len(spools), 1, spools)
        self.assertEqual(os.path.getsize(os.path.join(self.data, "uploads", spools[0])), 100)
        r = http_request(self.server, "DELETE", up)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(os.listdir(os.path.join(self.data, "uploads")), [])

    def test_last_fragment_after_a_crash_between_publish_and_record(self):
        # The last fragment renames the spool file to the document, then records the completion.
        # A server killed in between leaves the spool file gone and the session one hole short;
        # the client repeats that fragment and must get the whole content, not a sparse file.
        base = "http://uploads.example.test"
        self.serve(base_url=base, args=["--sim-job-ms", "50"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        job = self.create_job(t)
        jid, did = job["id"], job["documents"][0]["id"]
        data = document_bytes(300000, 11)
        s = self.create_session(t, jid, did, len(data))
        up = self.upload_path(s["uploadUrl"])
        self.assertEqual(self.put_range(up, data[:200000], 0, len(data)).status, 202)
        self.server.kill()
        spools = os.listdir(os.path.join(self.data, "uploads"))
        self.assertEqual(len(spools), 1, spools)
        spool = os.path.join(self.data, "uploads", spools[0])
        with open(spool, "r+b") as f:  # what the last fragment wrote before the crash
            f.seek(200000)
            f.write(data[200000:])
        os.rename(spool, os.path.join(self.data, "documents", did))
        srv = self.serve(base_url=base, args=["--sim-job-ms", "50"])
        # At its start, before any request, the server gave the content back to the session:
        # no document file without a recorded upload.
        self.assertTrue(srv.wait_stderr("published but not recorded"), srv.tail())
        self.assertEqual(os.listdir(os.path.join(self.data, "documents")), [])
        self.assertEqual(os.listdir(os.path.join(self.data, "uploads")), spools)
        self.assertEqual(self.get_job(t, jid)["status"]["details"], ["uploadPending"])
        self.assertEqual(self.session_state(up).get("nextExpectedRanges"), ["200000-299999"])
        r = self.put_range(up, data[200000:], 200000, len(data))
        self.assertEqual(r.status, 201, r)
        got = self.download(t, jid, did).body
        self.assertEqual(len(got), len(data))
        self.assertEqual(sha256(got), sha256(data))

    def test_replacing_upload_cut_between_publish_and_record_is_recorded_at_start(self):
        # A held job's content can be replaced by a new upload. Killed between publishing the
        # new content and recording it, the old content is gone: the new one, complete, is
        # recorded when the server starts again.
        base = "http://uploads.example.test"
        self.serve(base_url=base, args=["--sim-job-ms", "50"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jid, did = self.ready_job(t, b"%PDF old content")
        new = document_bytes(5000, 12)
        s = self.create_session(t, jid, did, len(new), name="new.pdf")
        up = self.upload_path(s["uploadUrl"])
        self.assertEqual(self.put_range(up, new[:1000], 0, len(new)).status, 202)
        self.server.kill()
        spool = os.path.join(self.data, "uploads", os.listdir(os.path.join(self.data,
                                                                           "uploads"))[0])
        with open(spool, "r+b") as f:
            f.seek(1000)
            f.write(new[1000:])
        os.rename(spool, os.path.join(self.data, "documents", did))
        srv = self.serve(base_url=base, args=["--sim-job-ms", "50"])
        self.assertTrue(srv.wait_stderr("recorded now"), srv.tail())
        doc = self.get(t.document(jid, did), token=t.token).json
        self.assertEqual(doc["size"], len(new), doc)
        self.assertEqual(sha256(self.download(t, jid, did).body), sha256(new))
        self.assertEqual(os.listdir(os.path.join(self.data, "uploads")), [])
        self.assert_error(self.put_range(up, new[1000:], 1000, len(new)), 404)

    def test_document_files_of_no_document_are_removed_at_start(self):
        # A redirect (hard link, then the transaction) or a printer's deletion (rows, then
        # files) cut short leaves a file no document names.
        self.serve(args=["--sim-job-ms", "50"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jid, did = self.ready_job(t, b"%PDF kept")
        self.server.kill()
        stray = os.path.join(self.data, "documents", "0f0e0d0c-0b0a-4909-8807-060504030201")
        with open(stray, "wb") as f:
            f.write(b"left over")
        other = os.path.join(self.data, "documents", "notes.txt")  # not a document id: kept
        with open(other, "wb") as f:
            f.write(b"x")
        srv = self.serve(args=["--sim-job-ms", "50"])
        self.assertTrue(srv.wait_stderr("of no document removed"), srv.tail())
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "documents"))),
                         sorted([did, "notes.txt"]))
        self.assertEqual(self.download(t, jid, did).body, b"%PDF kept")

    def test_max_document_mb(self):
        self.serve(args=["--sim-job-ms", "50", "--max-document-mb", "1"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        path = t.document(job["id"], did) + "/createUploadSession"
        before = self.snapshot(t, job["id"])
        for size in (2 * MIB, 100 * MIB, 2 ** 40):
            with self.subTest(size=size):
                r = self.post(path, {"properties": {"documentName": "big.pdf",
                                                    "contentType": "application/pdf",
                                                    "size": size}}, token=t.token)
                self.assert_error(r, 400)
        self.assertEqual(self.snapshot(t, job["id"]), before)
        data = document_bytes(1000 * 1000, 10)
        self.upload(t, job["id"], did, data, "fits.pdf")
        self.assertEqual(sha256(self.download(t, job["id"], did).body), sha256(data))

    def test_default_max_document_is_512_mb(self):
        self.serve(args=["--sim-job-ms", "50"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        job = self.create_job(t)
        did = job["documents"][0]["id"]
        path = t.document(job["id"], did) + "/createUploadSession"
        r = self.post(path, {"properties": {"documentName": "big.pdf",
                                            "contentType": "application/pdf",
                                            "size": 513 * MIB}}, token=t.token)
        self.assert_error(r, 400)
        s = self.create_session(t, job["id"], did, 20 * MIB)
        self.assertEqual(s["nextExpectedRanges"], ["0-%d" % (20 * MIB - 1)])

    def test_expired_session_is_404(self):
        self.serve(args=["--sim-job-ms", "50", "--upload-expiry-s", "1"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        made = []
        for _ in range(3):
            job = self.create_job(t)
            did = job["documents"][0]["id"]
            now = time.time()
            s = self.create_session(t, job["id"], did, 200)
            self.assertLess(abs(epoch(s["expirationDateTime"]) - (now + 1)), 3,
                            s["expirationDateTime"])
            path = self.upload_path(s["uploadUrl"])
            self.assertEqual(self.put_range(path, b"a" * 100, 0, 200).status, 202)
            made.append((job["id"], did, path))
        time.sleep(2.2)
        methods = ("PUT", "GET", "DELETE")
        for (jid, did, path), first in zip(made, methods):
            with self.subTest(first=first):
                order = [first] + [m for m in methods if m != first]
                for m in order:
                    if m == "PUT":
                        r = self.put_range(path, b"b" * 100, 100, 200)
                    else:
                        r = http_request(self.server, m, path)
                    self.assert_error(r, 404)
                job = self.get_job(t, jid, expand=True)
                self.assertEqual(job["status"], PAUSED_STATUS)
                self.assertIsNone(job["documents"][0]["uploadedDateTime"])
        # A new session for the same document works (and expires in turn).
        jid, did, _ = made[0]
        data = b"fresh" * 40
        self.upload(t, jid, did, data)
        self.assertEqual(self.download(t, jid, did).body, data)


class UploadRaceTests(UploadTestCase):
    server_args = ("--sim-job-ms", "200", "--threads", "4")

    def test_the_same_fragment_four_times_at_once(self):
        for attempt in range(5):
            with self.subTest(attempt=attempt):
                size = 400 * 1024
                data = document_bytes(size, 50 + attempt)
                t, jid, did, s, path = self.new_session(size)
                chunk = data[:256 * 1024]
                res = self.race([lambda: self.put_range(path, chunk, 0, size)] * 4)
                statuses = sorted(r.status for r in res)
                self.assertEqual(statuses, [202, 416, 416, 416], res)
                for r in res:
                    if r.status == 416:
                        self.assert_error(r, 416, "invalidRange")
                self.assert_holes(path, ["%d-%d" % (256 * 1024, size - 1)])
                r = self.put_range(path, data[256 * 1024:], 256 * 1024, size)
                self.assert_json_response(r, 201)
                self.assertEqual(self.download(t, jid, did).body, data)

    def test_overlapping_fragments_at_once(self):
        size = 300 * 1024
        data = document_bytes(size, 60)
        t, jid, did, s, path = self.new_session(size)
        # 0-149K and 100K-249K overlap: one of them wins, the other is 416.
        a = (0, 150 * 1024 - 1)
        b = (100 * 1024, 250 * 1024 - 1)
        res = self.race([lambda: self.put_range(path, data[a[0]:a[1] + 1], a[0], size),
                         lambda: self.put_range(path, data[b[0]:b[1] + 1], b[0], size)])
        self.assertEqual(sorted(r.status for r in res), [202, 416], res)
        won = a if res[0].status == 202 else b
        expect = []
        if won[0] > 0:
            expect.append("0-%d" % (won[0] - 1))
        expect.append("%d-%d" % (won[1] + 1, size - 1))
        self.assert_holes(path, expect)
        for hole in expect:
            x, y = map(int, hole.split("-"))
            r = self.put_range(path, data[x:y + 1], x, size)
        self.assert_json_response(r, 201)
        self.assertEqual(self.download(t, jid, did).body, data)

    def test_last_two_holes_filled_at_once(self):
        for attempt in range(5):
            with self.subTest(attempt=attempt):
                size = 200 * 1024
                data = document_bytes(size, 70 + attempt)
                t, jid, did, s, path = self.new_session(size)
                mid = (50 * 1024, 150 * 1024 - 1)
                self.assertEqual(self.put_range(path, data[mid[0]:mid[1] + 1], mid[0],
                                                size).status, 202)
                res = self.race([
                    lambda: self.put_range(path, data[:mid[0]], 0, size),
                    lambda: self.put_range(path, data[mid[1] + 1:], mid[1] + 1, size)])
                self.assertEqual(sorted(r.status for r in res), [201, 202], res)
                done = [r for r in res if r.status == 202][0].json
                self.assertEqual(len(done["nextExpectedRanges"]), 1, done)
                self.assert_uploaded_job(t, jid, did, "a.pdf", "application/pdf", size)
                self.assertEqual(self.download(t, jid, did).body, data)


class SignedDownloadUrlTests(UploadTestCase):
    """Download URLs are signed, not stored: the tempauthtoken is an HMAC under the data
    folder's key of tenant, document and expiry, so any change to the URL, or time, voids it."""

    def sign(self, tenant, document, expires):
        import base64
        import hashlib
        import hmac
        with open(os.path.join(self.server.data_dir, "signing.key"), "rb") as f:
            key = f.read()
        text = ("uprintd signed URL\ndownload\n%s\n%s\n%d" % (tenant, document, expires)).encode()
        mac = hmac.new(key, text, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def test_changed_or_expired_urls_are_404(self):
        t = self.share_target(self.sid)
        jid, did = self.ready_job(t, b"%PDF signed")
        r = self.call("GET", t.document(jid, did) + "/$value", token=t.token)
        self.assertEqual(r.status, 302, r)
        loc = urllib.parse.urlsplit(r.header("Location"))
        q = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual(set(q), {"tenant", "expires", "tempauthtoken"})
        self.assertEqual(len(q["tempauthtoken"]), 43)
        expires = int(q["expires"])
        self.assertTrue(0 < expires - time.time() <= 600, expires)
        # The URL is the one this test computes with the key: what it signs is exactly that.
        self.assertEqual(q["tempauthtoken"], self.sign(q["tenant"], did, expires))

        def get(doc, **changes):
            qq = dict(q, **changes)
            return http_request(self.server, "GET", "/_uprintd/downloads/%s?%s" % (
                doc, urllib.parse.urlencode(qq)))

        self.assertEqual(get(did).body, b"%PDF signed")
        for name, r in (("later expiry", get(did, expires=str(expires + 1))),
                        ("other tenant", get(did, tenant=str(uuid.uuid4()))),
                        ("other document", get(str(uuid.uuid4()))),
                        ("token cut", get(did, tempauthtoken=q["tempauthtoken"][:42])),
                        ("bad expiry", get(did, expires="soon")),
                        ("no tenant", get(did, tenant=""))):
            with self.subTest(name):
                self.assert_error(r, 404)
        # Signed by the key but expired: 404 too.
        past = int(time.time()) - 1
        self.assert_error(get(did, expires=str(past),
                              tempauthtoken=self.sign(q["tenant"], did, past)), 404)
        # No token at all: 401.
        r = http_request(self.server, "GET", "/_uprintd/downloads/%s?tenant=%s&expires=%d" % (
            did, q["tenant"], expires))
        self.assert_error(r, 401)
