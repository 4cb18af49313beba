"""The whole life of a print job over HTTP, through printers and shares, v1.0 and beta:
create -> upload a 25 MB document in random fragments, 4 in parallel, shuffled -> start ->
completed -> byte-exact download."""

import random

from jobkit import (PAUSED_STATUS, JobTestCase, document_bytes, random_fragments, sha256)

SIZE = 25 * 1000 * 1000 + 4321
SEED = 20261121


class FullFlowTests(JobTestCase):

    @classmethod
    def prepare_class(cls):
        cls.content = document_bytes(SIZE, SEED)
        cls.digest = sha256(cls.content)

    def flow(self, create_t, upload_t, start_t, read_t, ctype="application/pdf",
             name="report.pdf", seed=1, pid=None):
        job = self.create_job(create_t, {"copies": 1, "colorMode": "grayscale"})
        jid, did = job["id"], job["documents"][0]["id"]
        self.assertEqual(job["status"], PAUSED_STATUS)

        s = self.create_session(upload_t, jid, did, SIZE, name, ctype)
        self.assertEqual(s["nextExpectedRanges"], ["0-%d" % (SIZE - 1)])
        path = self.upload_path(s["uploadUrl"])
        ranges = random_fragments(SIZE, seed)
        self.assertGreater(len(ranges), 6)
        random.Random(seed + 1).shuffle(ranges)
        done = self.upload_parallel(path, self.content, ranges, parallel=4)
        statuses = [r.status for _, r in done]
        self.assertEqual(len(done), len(ranges))
        self.assertEqual(statuses.count(201), 1, statuses)
        self.assertEqual(statuses.count(202), len(ranges) - 1, statuses)
        final = [r for _, r in done if r.status == 201][0].json
        self.assertEqual(final["id"], did)
        self.assertEqual(final["displayName"], name)
        self.assertEqual(final["contentType"], ctype)
        self.assertEqual(int(final["size"]), SIZE)
        self.assert_datetime7(final["uploadedDateTime"], "uploadedDateTime")

        j = self.get_job(read_t, jid, expand=True)
        self.assertEqual(j["status"]["state"], "paused")
        self.assertEqual(j["status"]["details"], [])
        self.assertEqual(int(j["documents"][0]["size"]), SIZE)

        status = self.start_ok(start_t, jid)
        self.assertEqual(status["state"], "processing", status)
        self.assertEqual(status["details"], ["interpreting"])
        self.assertIs(status["isAcquiredByPrinter"], False)
        self.assertIsInstance(status.get("description"), str)

        done = self.wait_state(read_t, jid, "completed")
        self.assertEqual(done["status"]["details"], ["completedSuccessfully"])
        self.assertIs(done["isFetchable"], False)
        self.assert_datetime7(done["acknowledgedDateTime"], "acknowledgedDateTime")
        self.assertIsNone(done["errorCode"])

        r = self.download(read_t, jid, did)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), ctype)
        self.assertEqual(len(r.body), SIZE)
        self.assertEqual(sha256(r.body), self.digest, "downloaded bytes differ")
        doc = self.get_job(read_t, jid, expand=True)["documents"][0]
        self.assert_datetime7(doc["downloadedDateTime"], "downloadedDateTime")
        if pid is not None:
            self.assertTrue(self.wait_printer_idle(pid))
        return jid

    def wait_printer_idle(self, pid):
        import time
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.printer_state(pid) == "idle":
                return True
            time.sleep(0.02)
        return False

    def test_flow_on_each_path_and_version(self):
        pid, sid = self.printer_and_share()
        for i, t in enumerate(self.all_targets(pid, sid)):
            with self.subTest(target=repr(t)):
                self.flow(t, t, t, t, seed=100 + i, pid=pid)

    def test_flow_across_paths(self):
        pid, sid = self.printer_and_share()
        p1, s1 = self.printer_target(pid), self.share_target(sid)
        pb, sb = self.printer_target(pid, "beta"), self.share_target(sid, "beta")
        # Created by a user on the share, uploaded through beta, started by the admin on the
        # printer, read back on the share; and the other way round.
        self.flow(s1, sb, p1, s1, ctype="application/oxps", name="x.oxps", seed=7, pid=pid)
        # The administrator's job: the user does not reach it, so the share is the admin's too.
        s1a, sba = self.share_target(sid, token=self.admin), self.share_target(sid, "beta",
                                                                               token=self.admin)
        self.flow(p1, s1a, sba, pb, ctype="image/pwg-raster", name="scan.pwg", seed=8, pid=pid)
