"""Jobs, queues and uploads across restarts (SIGKILL and SIGTERM)."""

import random
import signal

from jobkit import (MIB, TERMINAL, JobCliTestCase, document_bytes, random_fragments, sha256)
from test_device import DeviceMixin


class JobRestartTests(DeviceMixin, JobCliTestCase):
    # One --base-url for every run, so that bodies and upload URLs do not depend on the port.
    BASE = "http://jobs.example.test"

    def restart(self, sig=signal.SIGKILL, sim_ms=100):
        if sig == signal.SIGKILL:
            self.server.kill()
        else:
            self.assertEqual(self.server.stop(sig), 0, self.server.tail())
        return self.serve(base_url=self.BASE, args=["--sim-job-ms", str(sim_ms)])

    def test_acknowledged_jobs_survive_sigkill(self):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "100"])
        pid, sid = self.printer_and_share()
        pt, st = self.printer_target(pid), self.share_target(sid, "beta", token=self.admin)
        created = [self.create_job(pt, {"copies": 2, "colorMode": "color",
                                        "pageRanges": [{"start": 1, "end": 2}]}),
                   self.create_job(st, {})]
        done, _ = self.ready_job(pt, b"%PDF done")
        self.start_ok(pt, done)
        self.wait_state(pt, done, TERMINAL)
        canceled = self.create_job(st)["id"]
        self.assertEqual(self.cancel(st, canceled).status, 204)
        ids = [j["id"] for j in created] + [done, canceled]

        def everything():
            out = {}
            for t in (pt, st):
                out[t.jobs] = self.get(t.jobs + "?$expand=documents", token=t.token).json
                for jid in ids:
                    r = self.get(t.job(jid) + "?$expand=documents", token=t.token)
                    self.assertEqual(r.status, 200, r)
                    out[t.job(jid)] = r.json
            return out

        before = everything()
        self.restart(signal.SIGKILL)
        after = everything()
        for path in before:
            with self.subTest(path=path):
                self.assertEqual(after[path], before[path])
        # New jobs get new ids; the old ones still work.
        new = self.create_job(pt)
        self.assertNotIn(new["id"], ids)
        jid = created[0]["id"]
        self.upload(pt, jid, created[0]["documents"][0]["id"], b"%PDF later")
        self.start_ok(pt, jid)
        self.assertEqual(self.wait_state(pt, jid, TERMINAL)["status"]["details"],
                         ["completedSuccessfully"])

    def test_sigkill_in_the_middle_of_a_queue(self):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "1500"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jobs = [self.ready_job(t)[0] for _ in range(3)]
        answers = [self.start_ok(t, jid)["state"] for jid in jobs]
        self.assertEqual(answers, ["processing", "pending", "pending"])
        self.wait_job(t, jobs[0], lambda j: j["status"]["isAcquiredByPrinter"], "acquired")
        self.restart(signal.SIGKILL, sim_ms=100)
        final = self.watch_fifo(t, jobs)
        for job in final:
            self.assertEqual(job["status"]["state"], "completed", job)
            self.assertEqual(job["status"]["details"], ["completedSuccessfully"], job)
            self.assertIs(job["isFetchable"], False)
        self.assert_device(pid, held=False, currentJobId=None, queue=[])
        self.assertEqual(self.printer_state(pid), "idle")

    def test_sigterm_in_the_middle_of_a_queue(self):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "1500"])
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        jobs = [self.ready_job(t)[0] for _ in range(3)]
        for jid in jobs:
            self.start_ok(t, jid)
        self.restart(signal.SIGTERM, sim_ms=100)
        for job in self.watch_fifo(t, jobs):
            self.assertEqual(job["status"]["state"], "completed", job)

    def test_held_printer_with_a_queue_survives_a_restart(self):
        # Whether a hold outlives the process is not specified; the queue and its order are.
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "100"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jobs = [self.ready_job(t)[0] for _ in range(3)]
        self.control(pid, "hold")
        for jid in jobs:
            self.start_ok(t, jid)
        self.restart(signal.SIGKILL)
        for jid in jobs:
            self.assertIn(self.get_job(t, jid)["status"]["state"],
                          ("pending", "processing", "completed"))
        if self.device(pid)["held"]:
            self.control(pid, "release")
        for job in self.watch_fifo(t, jobs):
            self.assertEqual(job["status"]["state"], "completed", job)

    def test_stopped_job_across_a_restart(self):
        # Stopped (the device needs attention), then SIGKILL: after the restart nothing is
        # stuck; once released (when the device still waits), both jobs complete in order.
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "1500"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        a, b = self.ready_job(t)[0], self.ready_job(t)[0]
        self.start_ok(t, a)
        self.start_ok(t, b)
        self.control(pid, "fail", {"state": "stopped", "errorCode": 7})
        self.assertEqual(self.get_job(t, a)["status"]["state"], "stopped")
        self.restart(signal.SIGKILL)
        self.assertIn(self.get_job(t, a)["status"]["state"], ("stopped", "pending",
                                                              "processing", "completed"))
        self.assertIn(self.get_job(t, b)["status"]["state"], ("pending", "processing",
                                                              "completed"))
        self.control(pid, "release")
        for job in self.watch_fifo(t, [a, b]):
            self.assertEqual(job["status"]["state"], "completed", job)
        self.assertEqual(self.printer_state(pid), "idle")

    def test_job_canceled_while_printing_stays_canceled_after_sigkill(self):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "5000"])
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        a, b = self.ready_job(t)[0], self.ready_job(t)[0]
        self.start_ok(t, a)
        self.start_ok(t, b)
        self.assertEqual(self.cancel(t, a).status, 204)
        self.restart(signal.SIGKILL)
        self.watch_fifo(t, [a, b])
        self.assertEqual(self.get_job(t, a)["status"]["state"], "canceled")
        self.assertEqual(self.get_job(t, b)["status"]["state"], "completed")

    def half_upload(self, sig):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "100"])
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        job = self.create_job(t)
        jid, did = job["id"], job["documents"][0]["id"]
        size = 3 * MIB + 777
        data = document_bytes(size, 31)
        s = self.create_session(t, jid, did, size, "half.pdf", "application/oxps")
        path = self.upload_path(s["uploadUrl"])
        ranges = random_fragments(size, 32, low=200 * 1024, high=500 * 1024)
        random.Random(33).shuffle(ranges)
        first, rest = ranges[:len(ranges) // 2], ranges[len(ranges) // 2:]
        done = self.upload_parallel(path, data, first)
        self.assertEqual({r.status for _, r in done}, {202})
        holes_before = self.session_state(path)
        self.assertGreaterEqual(len(holes_before["nextExpectedRanges"]), 1)

        self.restart(sig)
        after = self.session_state(path)
        self.assertEqual(after["nextExpectedRanges"], holes_before["nextExpectedRanges"])
        self.assertEqual(after["expirationDateTime"], holes_before["expirationDateTime"])
        self.assertEqual(self.get_job(t, jid)["status"]["details"], ["uploadPending"])
        # A fragment received before the restart is still known as received.
        a, b = first[0]
        self.assert_error(self.put_range(path, data[a:b + 1], a, size), 416, "invalidRange")
        done = self.upload_parallel(path, data, rest)
        statuses = [r.status for _, r in done]
        self.assertEqual(statuses.count(201), 1, statuses)
        self.assertEqual(self.get_job(t, jid)["status"]["details"], [])
        r = self.download(t, jid, did)
        self.assertEqual(r.header("Content-Type"), "application/oxps")
        self.assertEqual(sha256(r.body), sha256(data))
        self.start_ok(t, jid)
        self.assertEqual(self.wait_state(t, jid, TERMINAL)["status"]["state"], "completed")

    def test_half_done_upload_is_finished_after_sigkill(self):
        self.half_upload(signal.SIGKILL)

    def test_half_done_upload_is_finished_after_sigterm(self):
        self.half_upload(signal.SIGTERM)

    def test_completed_upload_downloads_identically_after_restart(self):
        self.serve(base_url=self.BASE, args=["--sim-job-ms", "100"])
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        data = document_bytes(5 * MIB + 3, 41)
        jid, did = self.ready_job(t, data, ctype="image/jpeg", name="photo.jpg")
        doc_before = self.get_job(t, jid, expand=True)["documents"][0]
        self.restart(signal.SIGKILL)
        doc_after = self.get_job(t, jid, expand=True)["documents"][0]
        self.assertEqual(doc_after, doc_before)
        r = self.download(t, jid, did)
        self.assertEqual(r.header("Content-Type"), "image/jpeg")
        self.assertEqual(sha256(r.body), sha256(data))
        # And again after the job printed and another restart.
        self.start_ok(t, jid)
        self.wait_state(t, jid, TERMINAL)
        self.restart(signal.SIGTERM)
        self.assertEqual(sha256(self.download(self.share_target(sid, token=self.admin), jid,
                                              did).body),
                         sha256(data))
