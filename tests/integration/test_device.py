"""Starting, printing and canceling jobs on the simulated device; FIFO order; the refusals of
start and cancel; the control surface under /_uprintd/printers/{id} (hold, release, complete,
fail, state) and its authorization."""

import os
import time
import uuid

from harness import TENANT_B
from jobkit import (POLL_STEP, PAUSED_STATUS, TERMINAL, JobTestCase, job_admin_token,
                    user_token)

ACTIVE = ("processing", "stopped")


class DeviceMixin:

    def watch_fifo(self, t, jids, timeout=15.0):
        """Polls the jobs (reading them newest first, so that a snapshot cannot show an order
        the device never had) until all are terminal; checks at every snapshot that at most one
        is printing, that a printing job has only finished jobs before it and only pending (or
        canceled) ones after it, and that jobs finish in the order given (a canceled job may
        end at any time). Returns the final jobs."""
        deadline = time.monotonic() + timeout
        seen_processing = set()
        while True:
            snap = {}
            for jid in reversed(jids):
                snap[jid] = self.get_job(t, jid)
            states = [snap[j]["status"]["state"] for j in jids]
            what = "states %s of jobs %s" % (states, jids)
            self.assertLessEqual(sum(s in ACTIVE for s in states), 1, what)
            for i, s in enumerate(states):
                if s in ACTIVE:
                    seen_processing.add(jids[i])
                    self.assertTrue(all(x in TERMINAL for x in states[:i]), what)
                    self.assertTrue(all(x in ("pending", "canceled") for x in states[i + 1:]),
                                    what)
                if s in ("completed", "aborted"):
                    self.assertTrue(all(x in TERMINAL for x in states[:i]),
                                    "not FIFO: " + what)
                if s == "pending":
                    self.assertFalse(snap[jids[i]]["isFetchable"], snap[jids[i]])
            if all(s in TERMINAL for s in states):
                return [snap[j] for j in jids]
            if time.monotonic() > deadline:
                self.fail("jobs did not finish within %.0f s: %s" % (timeout, what))
            time.sleep(POLL_STEP)

    def assert_completed(self, job, detail="completedSuccessfully"):
        self.assertEqual(job["status"]["state"], "completed", job)
        self.assertEqual(job["status"]["details"], [detail], job)
        self.assertIs(job["isFetchable"], False, job)

    def assert_unchanged_after(self, t, jid, request, status=400):
        before = self.snapshot(t, jid)
        r = request()
        self.assert_error(r, status)
        self.assertEqual(self.snapshot(t, jid), before, "refused %s changed the job" % (
            r.method + " " + r.path))
        return r

    def assert_device(self, pid, **expected):
        d = self.device(pid)
        self.assertEqual(d.get("printerId"), pid, d)
        for k, v in expected.items():
            self.assertIn(k, d, d)
            self.assertEqual(d[k], v, "device %s: %r" % (k, d))
        return d

    def wait_device(self, pid, pred, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            d = self.device(pid)
            if pred(d):
                return d
            if time.monotonic() > deadline:
                self.fail("device of %s did not become %s: %r" % (pid, what, d))
            time.sleep(POLL_STEP)


class DeviceTests(DeviceMixin, JobTestCase):
    """--sim-job-ms 200."""

    def test_three_jobs_complete_in_fifo_order(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jobs = [self.ready_job(t)[0] for _ in range(3)]
        answers = [self.start_ok(t, jid) for jid in jobs]
        self.assertEqual(answers[0]["state"], "processing", answers)
        self.assertEqual(answers[0]["details"], ["interpreting"], answers)
        self.assertEqual([a["state"] for a in answers[1:]], ["pending", "pending"], answers)
        final = self.watch_fifo(t, jobs)
        for job in final:
            self.assert_completed(job)
        self.assertEqual(self.printer_state(pid), "idle")

    def test_fifo_is_the_order_of_start_not_of_creation(self):
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        a, b, c = (self.ready_job(t)[0] for _ in range(3))
        self.control(pid, "hold")
        for jid in (c, a, b):
            self.start_ok(t, jid)
        self.assertEqual(self.device(pid)["queue"], [c, a, b])
        self.control(pid, "release")
        for job in self.watch_fifo(t, [c, a, b]):
            self.assert_completed(job)

    def test_hold_keeps_started_jobs_pending(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jobs = [self.ready_job(t)[0] for _ in range(3)]
        self.control(pid, "hold")
        self.assert_device(pid, held=True, currentJobId=None, queue=[])
        for jid in jobs:
            self.start_ok(t, jid)
        time.sleep(0.6)  # three times --sim-job-ms: nothing may have been taken
        for jid in jobs:
            j = self.get_job(t, jid)
            self.assertEqual(j["status"]["state"], "pending", j)
            self.assertIs(j["isFetchable"], False)
            self.assertIs(j["status"]["isAcquiredByPrinter"], False)
        self.assert_device(pid, held=True, currentJobId=None, queue=jobs)
        self.assertEqual(self.printer_state(pid), "idle")
        # Holding twice is fine; releasing lets the queue run in order.
        self.control(pid, "hold")
        self.control(pid, "release")
        self.assertIs(self.device(pid)["held"], False)
        for job in self.watch_fifo(t, jobs):
            self.assert_completed(job)
        self.assert_device(pid, held=False, currentJobId=None, queue=[])
        self.control(pid, "release")  # releasing a free device is fine too

    def test_hold_lets_the_current_job_finish(self):
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        first, second = self.ready_job(t)[0], self.ready_job(t)[0]
        self.assertEqual(self.start_ok(t, first)["state"], "processing")
        self.control(pid, "hold")
        self.start_ok(t, second)
        self.assert_completed(self.wait_state(t, first, TERMINAL))
        time.sleep(0.4)
        self.assertEqual(self.get_job(t, second)["status"]["state"], "pending")
        self.control(pid, "release")
        self.assert_completed(self.wait_state(t, second, TERMINAL))

    def test_cancel_while_paused(self):
        pid, sid = self.printer_and_share()
        for t in (self.share_target(sid), self.printer_target(pid, "beta")):
            with self.subTest(target=repr(t), upload="pending"):
                job = self.create_job(t)
                r = self.cancel(t, job["id"])
                self.assertEqual(r.status, 204, r)
                self.assertEqual(r.body, b"")
                j = self.get_job(t, job["id"])
                self.assertEqual(j["status"]["state"], "canceled", j)
                self.assertIs(j["isFetchable"], False)
            with self.subTest(target=repr(t), upload="done"):
                jid, did = self.ready_job(t)
                self.assertEqual(self.cancel(t, jid).status, 204)
                self.assertEqual(self.get_job(t, jid)["status"]["state"], "canceled")
                # Still canceled a while later, and it cannot be started any more.
                self.assert_unchanged_after(t, jid, lambda: self.start(t, jid))
                self.assert_unchanged_after(t, jid, lambda: self.cancel(t, jid))
                time.sleep(0.3)
                self.assertEqual(self.get_job(t, jid)["status"]["state"], "canceled")

    def test_cancel_while_queued(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        a, b, c = (self.ready_job(t)[0] for _ in range(3))
        self.control(pid, "hold")
        for jid in (a, b, c):
            self.start_ok(t, jid)
        r = self.cancel(self.printer_target(pid), b)  # through the other path
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.get_job(t, b)["status"]["state"], "canceled")
        self.assertEqual(self.device(pid)["queue"], [a, c])
        self.control(pid, "release")
        final = self.watch_fifo(t, [a, b, c])
        self.assert_completed(final[0])
        self.assertEqual(final[1]["status"]["state"], "canceled", final[1])
        self.assert_completed(final[2])
        self.assertIsNone(final[1]["acknowledgedDateTime"], "a canceled queued job was never "
                          "acquired")

    def test_cancel_of_a_terminal_job_is_400(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        done, _ = self.ready_job(t)
        self.start_ok(t, done)
        self.assert_completed(self.wait_state(t, done, TERMINAL))
        self.assert_unchanged_after(t, done, lambda: self.cancel(t, done))
        canceled = self.create_job(t)["id"]
        self.assertEqual(self.cancel(t, canceled).status, 204)
        for path_t in (t, self.printer_target(pid)):
            with self.subTest(target=repr(path_t)):
                self.assert_unchanged_after(t, canceled, lambda: self.cancel(path_t, canceled))
                self.assert_unchanged_after(t, done, lambda: self.cancel(path_t, done))

    def test_start_before_the_upload_completed_is_400(self):
        pid, sid = self.printer_and_share()
        for t in (self.share_target(sid), self.printer_target(pid)):
            with self.subTest(target=repr(t)):
                job = self.create_job(t)
                jid, did = job["id"], job["documents"][0]["id"]
                self.assert_unchanged_after(t, jid, lambda: self.start(t, jid))
                s = self.create_session(t, jid, did, 100)
                path = self.upload_path(s["uploadUrl"])
                self.assertEqual(self.put_range(path, b"x" * 60, 0, 100).status, 202)
                self.assert_unchanged_after(t, jid, lambda: self.start(t, jid))
                self.assertEqual(self.get_job(t, jid)["status"], PAUSED_STATUS)
                self.assertEqual(self.put_range(path, b"y" * 40, 60, 100).status, 201)
                self.start_ok(t, jid)
                self.assert_completed(self.wait_state(t, jid, TERMINAL))

    def test_start_twice_is_400(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jid, _ = self.ready_job(t)
        self.control(pid, "hold")
        self.assertEqual(self.start_ok(t, jid)["state"], "pending")
        self.assert_unchanged_after(t, jid, lambda: self.start(t, jid))
        self.assert_unchanged_after(t, jid, lambda: self.start(self.printer_target(pid), jid))
        self.assertEqual(self.device(pid)["queue"], [jid])
        self.control(pid, "release")
        # While it prints, a second start is refused too, and the job goes on.
        j2, _ = self.ready_job(t)
        self.assertEqual(self.start_ok(t, j2)["state"], "pending")
        self.wait_state(t, j2, ("processing",) + TERMINAL)
        self.assert_error(self.start(t, j2), 400)
        self.assert_completed(self.wait_state(t, j2, TERMINAL))
        self.assert_completed(self.get_job(t, jid))

    def test_start_of_a_terminal_job_is_400(self):
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        done, _ = self.ready_job(t)
        self.start_ok(t, done)
        self.assert_completed(self.wait_state(t, done, TERMINAL))
        canceled, _ = self.ready_job(t)
        self.assertEqual(self.cancel(t, canceled).status, 204)
        for jid in (done, canceled):
            for path_t in (t, self.share_target(sid, "beta", token=self.admin)):
                with self.subTest(job=jid, target=repr(path_t)):
                    self.assert_unchanged_after(t, jid, lambda: self.start(path_t, jid))

    def test_start_and_cancel_of_unknown_jobs_are_404(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        for jid in ("999999", "424242"):
            self.assert_error(self.start(t, jid), 404)
            self.assert_error(self.cancel(t, jid), 404)


# Under valgrind (tests/valgrind.sh) the server runs many times slower: SlowDeviceTests then
# stretches its job time and every window measured against it by this factor.
SLOW = 3 if os.environ.get("UP_VALGRIND") else 1


class SlowDeviceTests(DeviceMixin, JobTestCase):
    """--sim-job-ms 1000 (times SLOW): long enough to watch a job print."""

    server_args = ("--sim-job-ms", str(1000 * SLOW))

    def test_lifecycle_of_one_job(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jid, did = self.ready_job(t)
        self.assertEqual(self.printer_state(pid), "idle")
        t0 = time.monotonic()
        status = self.start_ok(t, jid)
        self.assertEqual(status["state"], "processing")
        self.assertEqual(status["details"], ["interpreting"])
        self.assertIs(status["isAcquiredByPrinter"], False)
        j = self.get_job(t, jid)
        self.assertEqual(j["status"]["state"], "processing", j)
        self.assertIs(j["isFetchable"], True, "a job the device takes is fetchable")
        self.assertEqual(self.printer_state(pid), "processing")
        self.assertEqual(self.device(pid)["currentJobId"], jid)
        # Acquired while it still prints.
        j = self.wait_job(t, jid, lambda x: x["status"]["isAcquiredByPrinter"] or
                          x["status"]["state"] != "processing", "acquired")
        self.assertEqual(j["status"]["state"], "processing", "completed before it was "
                         "seen acquired: %r" % j)
        self.assertIs(j["status"]["isAcquiredByPrinter"], True)
        self.assert_datetime7(j["acknowledgedDateTime"], "acknowledgedDateTime")
        acknowledged = j["acknowledgedDateTime"]
        self.assertEqual(self.printer_state(pid), "processing")
        j = self.wait_state(t, jid, TERMINAL)
        elapsed = time.monotonic() - t0
        self.assert_completed(j)
        self.assertGreaterEqual(elapsed, 0.7 * SLOW,
                                "completed after %.2f s of %d s" % (elapsed, SLOW))
        self.assertLess(elapsed, 6.0 * SLOW)
        self.assertEqual(j["acknowledgedDateTime"], acknowledged)
        self.assertIsNone(j["errorCode"])
        self.assertEqual(self.printer_state(pid), "idle")
        self.assert_device(pid, held=False, currentJobId=None, queue=[])
        # The times line up: created <= uploaded <= acknowledged <= downloaded.
        j = self.get_job(t, jid, expand=True)
        doc = j["documents"][0]
        self.assertLessEqual(j["createdDateTime"], doc["uploadedDateTime"])
        self.assertLessEqual(doc["uploadedDateTime"], j["acknowledgedDateTime"])
        self.download(t, jid, did)
        doc = self.get_job(t, jid, expand=True)["documents"][0]
        self.assertLessEqual(j["acknowledgedDateTime"], doc["downloadedDateTime"])

    def test_cancel_while_printing_starts_the_next(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        a, b = self.ready_job(t)[0], self.ready_job(t)[0]
        self.assertEqual(self.start_ok(t, a)["state"], "processing")
        self.assertEqual(self.start_ok(t, b)["state"], "pending")
        t0 = time.monotonic()
        r = self.cancel(t, a)
        self.assertEqual(r.status, 204, r)
        j = self.get_job(t, a)
        self.assertEqual(j["status"]["state"], "canceled", j)
        self.assertIs(j["isFetchable"], False)
        # The next job starts now, not when the canceled one would have ended.
        self.wait_state(t, b, "processing", timeout=0.8 * SLOW)
        self.assertLess(time.monotonic() - t0, 0.8 * SLOW)
        self.assertEqual(self.device(pid)["currentJobId"], b)
        self.assert_completed(self.wait_state(t, b, TERMINAL))
        self.assertEqual(self.get_job(t, a)["status"]["state"], "canceled")
        self.assert_unchanged_after(t, a, lambda: self.cancel(t, a))
        self.assert_unchanged_after(t, a, lambda: self.start(t, a))

    def test_abort_moves_on_to_the_next_job(self):
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        a, b = self.ready_job(t)[0], self.ready_job(t)[0]
        self.start_ok(t, a)
        self.start_ok(t, b)
        self.control(pid, "fail", {"state": "aborted", "errorCode": 42})
        j = self.get_job(t, a)
        self.assertEqual(j["status"]["state"], "aborted", j)
        self.assertEqual(j["errorCode"], 42)
        self.assertIs(j["isFetchable"], False)
        self.wait_state(t, b, "processing", timeout=0.8 * SLOW)
        self.assert_completed(self.wait_state(t, b, TERMINAL))
        self.assertIsNone(self.get_job(t, b)["errorCode"])
        # Aborted is terminal.
        self.assert_unchanged_after(t, a, lambda: self.start(t, a))
        self.assert_unchanged_after(t, a, lambda: self.cancel(t, a))

    def test_stopped_job_waits_for_release(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        a, b = self.ready_job(t)[0], self.ready_job(t)[0]
        self.start_ok(t, a)
        self.start_ok(t, b)
        self.control(pid, "fail", {"state": "stopped", "errorCode": 7})
        j = self.get_job(t, a)
        self.assertEqual(j["status"]["state"], "stopped", j)
        self.assertEqual(j["errorCode"], 7)
        self.assertEqual(self.printer_state(pid), "stopped")
        time.sleep(1.3 * SLOW)  # longer than --sim-job-ms: the device really waits
        self.assertEqual(self.get_job(t, a)["status"]["state"], "stopped")
        self.assertEqual(self.get_job(t, b)["status"]["state"], "pending")
        self.assertEqual(self.printer_state(pid), "stopped")
        # A stopped job can still be refused a start, and is not terminal.
        self.assert_error(self.start(t, a), 400)
        self.control(pid, "release")
        self.wait_state(t, a, "processing", timeout=0.9 * SLOW)
        self.assertEqual(self.printer_state(pid), "processing")
        for job in self.watch_fifo(t, [a, b]):
            self.assert_completed(job)
        self.assertEqual(self.printer_state(pid), "idle")

    def test_cancel_of_a_stopped_job(self):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        a, b = self.ready_job(t)[0], self.ready_job(t)[0]
        self.start_ok(t, a)
        self.start_ok(t, b)
        self.control(pid, "fail", {"state": "stopped", "errorCode": 3})
        self.assertEqual(self.cancel(t, a).status, 204)
        self.assertEqual(self.get_job(t, a)["status"]["state"], "canceled")
        # Whether b runs before the release is not specified; after it, b completes.
        self.control(pid, "release")
        self.assert_completed(self.wait_state(t, b, TERMINAL))
        self.assertEqual(self.get_job(t, a)["status"]["state"], "canceled")


class ControlledDeviceTests(DeviceMixin, JobTestCase):
    """--sim-job-ms 60000: jobs end only when the control surface says so."""

    server_args = ("--sim-job-ms", "60000")

    def printing(self, n=1):
        pid, sid = self.printer_and_share()
        t = self.share_target(sid)
        jobs = [self.ready_job(t)[0] for _ in range(n)]
        for jid in jobs:
            self.start_ok(t, jid)
        self.wait_job(t, jobs[0], lambda j: j["status"]["isAcquiredByPrinter"], "acquired")
        return pid, t, jobs

    def test_complete_with_each_result(self):
        for body, detail in ((None, "completedSuccessfully"),
                             ({}, "completedSuccessfully"),
                             ({"result": "success"}, "completedSuccessfully"),
                             ({"result": "warnings"}, "completedWithWarnings"),
                             ({"result": "errors"}, "completedWithErrors")):
            with self.subTest(body=body):
                pid, t, (jid,) = self.printing()
                self.assertEqual(self.printer_state(pid), "processing")
                self.control(pid, "complete", body)
                self.assert_completed(self.get_job(t, jid), detail)
                self.assertEqual(self.printer_state(pid), "idle")
                self.assertIsNone(self.device(pid)["currentJobId"])

    def test_complete_moves_to_the_next_job(self):
        pid, t, jobs = self.printing(3)
        self.assert_device(pid, held=False, currentJobId=jobs[0], queue=jobs[1:])
        for i, jid in enumerate(jobs):
            self.wait_state(t, jid, "processing")
            for later in jobs[i + 1:]:
                self.assertEqual(self.get_job(t, later)["status"]["state"], "pending")
            self.control(pid, "complete", {"result": "success"})
            self.assert_completed(self.get_job(t, jid))
        self.assert_device(pid, held=False, currentJobId=None, queue=[])

    def test_complete_when_nothing_prints_is_409(self):
        pid, sid = self.printer_and_share()
        r = self.control(pid, "complete", None, status=409)
        self.assert_error(r, 409)
        # Held with a queue: still nothing prints.
        t = self.share_target(sid)
        jid, _ = self.ready_job(t)
        self.control(pid, "hold")
        self.start_ok(t, jid)
        self.assert_unchanged_after(t, jid, lambda: self.control(pid, "complete", {},
                                                                 status=None), 409)
        self.assert_error(self.control(pid, "fail", {"state": "aborted", "errorCode": 1},
                                       status=None), 409)
        self.control(pid, "release")
        self.wait_state(t, jid, "processing")
        self.control(pid, "complete")
        self.assert_completed(self.get_job(t, jid))

    def test_refused_control_bodies(self):
        pid, t, (jid,) = self.printing()
        for action, body in (("complete", {"result": "great"}),
                             ("fail", {"state": "completed", "errorCode": 1}),
                             ("fail", {"state": "exploded", "errorCode": 1}),
                             ("fail", {"state": "aborted", "errorCode": "x"}),
                             ("complete", [1])):
            with self.subTest(action=action, body=body):
                self.assert_unchanged_after(
                    t, jid, lambda: self.control(pid, action, body, status=None))
        self.control(pid, "complete")

    def test_fail_aborted_then_stopped(self):
        pid, t, jobs = self.printing(3)
        self.control(pid, "fail", {"state": "aborted", "errorCode": 42})
        j = self.get_job(t, jobs[0])
        self.assertEqual((j["status"]["state"], j["errorCode"]), ("aborted", 42), j)
        self.wait_state(t, jobs[1], "processing")
        self.control(pid, "fail", {"state": "stopped", "errorCode": 7})
        j = self.get_job(t, jobs[1])
        self.assertEqual((j["status"]["state"], j["errorCode"]), ("stopped", 7), j)
        self.assertEqual(self.printer_state(pid), "stopped")
        self.assertEqual(self.get_job(t, jobs[2])["status"]["state"], "pending")
        self.control(pid, "complete", status=409)  # nothing prints: it is stopped
        self.control(pid, "release")
        self.wait_state(t, jobs[1], "processing")
        self.assertEqual(self.printer_state(pid), "processing")
        self.control(pid, "complete", {"result": "warnings"})
        self.assert_completed(self.get_job(t, jobs[1]), "completedWithWarnings")
        self.wait_state(t, jobs[2], "processing")
        self.control(pid, "complete")
        self.assert_completed(self.get_job(t, jobs[2]))
        self.assertEqual(self.get_job(t, jobs[0])["status"]["state"], "aborted")

    def test_cancel_while_printing_starts_the_next(self):
        pid, t, (a, b) = self.printing(2)
        self.assertEqual(self.cancel(self.printer_target(pid, "beta"), a).status, 204)
        self.assertEqual(self.get_job(t, a)["status"]["state"], "canceled")
        self.wait_state(t, b, "processing")
        self.assertEqual(self.device(pid)["currentJobId"], b)
        self.control(pid, "complete")
        self.assert_completed(self.get_job(t, b))
        self.assertEqual(self.get_job(t, a)["status"]["state"], "canceled")

    def test_control_surface_authorization(self):
        pid, t, (jid,) = self.printing()
        user = user_token(self.data)
        other_admin = job_admin_token(self.data, tenant=TENANT_B)
        requests = [("GET", "", None), ("POST", "/hold", None), ("POST", "/release", None),
                    ("POST", "/complete", {"result": "success"}),
                    ("POST", "/fail", {"state": "aborted", "errorCode": 1})]
        for token, status in ((user, 403), (other_admin, 404), (None, 401)):
            for method, action, body in requests:
                with self.subTest(token=status, request=method + action):
                    path = "/_uprintd/printers/%s%s" % (pid, action)
                    if body is None:
                        r = self.call(method, path, token=token)
                    else:
                        r = self.call(method, path, body, token=token)
                    self.assert_error(r, status)
        for method, action, body in requests:
            with self.subTest(printer="unknown", request=method + action):
                path = "/_uprintd/printers/%s%s" % (uuid.uuid4(), action)
                r = self.call(method, path, token=self.admin) if body is None else \
                    self.call(method, path, body, token=self.admin)
                self.assert_error(r, 404)
        # Nothing happened to the device or the job.
        self.assert_device(pid, held=False, currentJobId=jid, queue=[])
        self.assertEqual(self.get_job(t, jid)["status"]["state"], "processing")
        self.control(pid, "complete")


class DeviceRaceTests(DeviceMixin, JobTestCase):
    server_args = ("--sim-job-ms", "300", "--threads", "4")

    def test_one_job_started_four_times_at_once(self):
        for attempt in range(4):
            with self.subTest(attempt=attempt):
                pid, sid = self.printer_and_share()
                t = self.share_target(sid)
                jid, _ = self.ready_job(t)
                res = self.race([lambda: self.start(t, jid)] * 4)
                self.assertEqual(sorted(r.status for r in res), [200, 400, 400, 400], res)
                self.assert_completed(self.wait_state(t, jid, TERMINAL))
                self.assert_device(pid, currentJobId=None, queue=[])

    def test_many_jobs_started_at_once_print_one_at_a_time(self):
        pid, sid = self.printer_and_share()
        t = self.printer_target(pid)
        jobs = [self.ready_job(t)[0] for _ in range(6)]
        res = self.race([(lambda j=j: self.start(t, j)) for j in jobs])
        self.assertEqual([r.status for r in res], [200] * 6, res)
        self.assertEqual([r.json["state"] for r in res].count("processing"), 1, res)
        # The order of start is the order the server saw; find it from the device's queue
        # and check that printing follows it.
        d = self.device(pid)
        order = ([d["currentJobId"]] if d["currentJobId"] else []) + d["queue"]
        done = [j for j in jobs if j not in order]
        for job in self.watch_fifo(t, done + order):
            self.assert_completed(job)

    def test_cancel_and_start_at_once(self):
        for attempt in range(6):
            with self.subTest(attempt=attempt):
                pid, sid = self.printer_and_share()
                t = self.share_target(sid)
                jid, _ = self.ready_job(t)
                res = self.race([lambda: self.start(t, jid), lambda: self.cancel(t, jid)])
                self.assertEqual(res[1].status, 204, res)
                self.assertIn(res[0].status, (200, 400), res)
                time.sleep(0.3)
                j = self.get_job(t, jid)
                self.assertEqual(j["status"]["state"], "canceled", j)
                # The device is not stuck.
                nxt, _ = self.ready_job(t)
                self.start_ok(t, nxt)
                self.assert_completed(self.wait_state(t, nxt, TERMINAL))
                self.assert_device(pid, currentJobId=None, queue=[])

    def test_parallel_creates_get_distinct_ids(self):
        pid, sid = self.printer_and_share()
        ts = [self.share_target(sid), self.printer_target(pid)] * 4
        res = self.race([(lambda x=x: self.post(x.jobs, {"configuration": {}}, token=x.token))
                         for x in ts])
        self.assertEqual([r.status for r in res], [201] * 8, res)
        ids = [r.json["id"] for r in res]
        docs = [r.json["documents"][0]["id"] for r in res]
        self.assertEqual(len(set(ids)), 8, ids)
        self.assertEqual(len(set(docs)), 8, docs)
        self.assertEqual(sorted(self.job_ids(ts[1]), key=int), sorted(ids, key=int))
