"""Self-test of the conformance checker (so that a silent validator cannot hide anything)."""

import copy
import unittest

import conformance as conf
from harness import CONFIG

PRINTER = {
    "@odata.context": "http://127.0.0.1:1/v1.0/$metadata#print/printers/$entity",
    "id": "016b5565-3bbf-4067-b9ff-4d68167eb1a6",
    "displayName": "P1",
    "manufacturer": "Contoso",
    "model": "LaserJet 9",
    "isAcceptingJobs": True,
    "hasPhysicalDevice": False,
    "isShared": False,
    "registeredDateTime": "2026-11-21T14:00:00.1234567Z",
    "lastSeenDateTime": None,
    "status": {"state": "idle", "details": [], "description": ""},
    "location": None,
    "defaults": {"colorMode": "color", "duplexMode": "oneSided", "copiesPerJob": 1},
}


class ConformanceSelfTests(unittest.TestCase):

    def setUp(self):
        self.c = CONFIG.conformance
        if self.c is None or not self.c.available:
            self.skipTest("conformance material not available")

    def errors(self, name, obj):
        before = self.c.validated
        errs = self.c.errors(name, obj)
        self.c.validated = before  # self-tests do not count as validated responses
        return errs

    def test_valid_printer(self):
        self.assertEqual(self.errors(conf.PRINTER, PRINTER), [])

    def test_nullable_allof_is_accepted(self):
        p = copy.deepcopy(PRINTER)
        p["defaults"] = None
        p["manufacturer"] = None
        self.assertEqual(self.errors(conf.PRINTER, p), [])

    def test_bad_enum_is_rejected(self):
        p = copy.deepcopy(PRINTER)
        p["status"]["state"] = "queued"
        self.assertTrue(self.errors(conf.PRINTER, p))
        p = copy.deepcopy(PRINTER)
        p["defaults"]["colorMode"] = "rainbow"
        self.assertTrue(self.errors(conf.PRINTER, p))

    def test_bad_types_are_rejected(self):
        for prop, value in (("displayName", 5), ("isShared", "no"), ("status", None),
                            ("registeredDateTime", "yesterday"), ("defaults", "color")):
            with self.subTest(prop=prop):
                p = copy.deepcopy(PRINTER)
                p[prop] = value
                self.assertTrue(self.errors(conf.PRINTER, p))

    def test_operation_and_share(self):
        op = {"@odata.type": "#microsoft.graph.printerCreateOperation",
              "id": "x", "createdDateTime": "2026-11-21T14:00:00.1234567Z",
              "status": {"state": "succeeded", "description": "done"},
              "certificate": "MIIC", "printer": copy.deepcopy(PRINTER)}
        self.assertEqual(self.errors(conf.CREATE_OPERATION, op), [])
        op["status"]["state"] = "finished"
        self.assertTrue(self.errors(conf.CREATE_OPERATION, op))
        share = {"id": "s", "displayName": "S", "allowAllUsers": True,
                 "createdDateTime": "2026-11-21T14:00:00.1234567Z", "viewPoint": None,
                 "location": {"latitude": 1.5, "organization": ["a"]}, "printer": None}
        self.assertEqual(self.errors(conf.SHARE, share), [])
        share["location"]["latitude"] = "north"
        self.assertTrue(self.errors(conf.SHARE, share))


JOB = {
    "@odata.context": "http://127.0.0.1:1/v1.0/$metadata#print/printers('p')/jobs/$entity",
    "id": "1", "createdDateTime": "2026-11-21T14:00:00.1234567Z",
    "createdBy": {"id": "b06b3d42-ae22-5d88-bc3b-9564ace7f728", "displayName": "A",
                  "userPrincipalName": "a@b.com", "ipAddress": None},
    "status": {"state": "paused", "description": "x", "isAcquiredByPrinter": False,
               "details": ["uploadPending"]},
    "configuration": {"copies": 1, "colorMode": None, "pageRanges": [{"start": 1, "end": 2}]},
    "isFetchable": False, "redirectedFrom": None, "redirectedTo": None,
    "acknowledgedDateTime": None, "errorCode": None,
    "documents": [{"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "displayName": "",
                   "contentType": "", "size": 0, "uploadedDateTime": None,
                   "downloadedDateTime": None}],
}


class JobConformanceSelfTests(unittest.TestCase):

    setUp = ConformanceSelfTests.setUp
    errors = ConformanceSelfTests.errors

    def test_valid_job_document_status_session(self):
        self.assertEqual(self.errors(conf.PRINT_JOB, JOB), [])
        self.assertEqual(self.errors(conf.PRINT_DOCUMENT, JOB["documents"][0]), [])
        self.assertEqual(self.errors(conf.PRINT_JOB_STATUS, JOB["status"]), [])
        self.assertEqual(self.errors(conf.UPLOAD_SESSION, {
            "uploadUrl": "http://x/_uprintd/uploads/1?tempauthtoken=t",
            "expirationDateTime": "2026-11-22T14:00:00.1234567Z",
            "nextExpectedRanges": ["0-99"]}), [])

    def test_bad_job_values_are_rejected(self):
        for path, value in ((("status", "state"), "queued"), (("status", "details"), ["oops"]),
                            (("configuration", "colorMode"), "rainbow"),
                            (("isFetchable",), "no"), (("errorCode",), "x"),
                            (("createdDateTime",), "yesterday")):
            with self.subTest(path=path):
                j = copy.deepcopy(JOB)
                node = j
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
                self.assertTrue(self.errors(conf.PRINT_JOB, j))
        self.assertTrue(self.errors(conf.UPLOAD_SESSION, {"nextExpectedRanges": "0-99"}))

    def test_path_mapping(self):
        from harness import schema_for_response as m
        P = "/v1.0/print/printers/p/jobs"
        S = "/beta/print/shares/s/jobs"
        cases = [("GET", P, 200, (conf.PRINT_JOB, True)),
                 ("POST", S, 201, (conf.PRINT_JOB, True)),
                 ("GET", P + "/1?$expand=documents", 200, (conf.PRINT_JOB, False)),
                 ("POST", S + "/1/start", 200, (conf.PRINT_JOB_STATUS, False)),
                 ("GET", P + "/1/documents", 200, (conf.PRINT_DOCUMENT, True)),
                 ("GET", S + "/1/documents/d", 200, (conf.PRINT_DOCUMENT, False)),
                 ("POST", P + "/1/documents/d/createUploadSession", 200,
                  (conf.UPLOAD_SESSION, False)),
                 ("GET", P + "/1/documents/d/$value", 302, None),
                 ("GET", "/_uprintd/uploads/abc?tempauthtoken=x", 200,
                  (conf.UPLOAD_SESSION, False)),
                 ("PUT", "/_uprintd/uploads/abc?tempauthtoken=x", 202,
                  (conf.UPLOAD_SESSION, False)),
                 ("PUT", "/_uprintd/uploads/abc?tempauthtoken=x", 201,
                  (conf.PRINT_DOCUMENT, False)),
                 ("GET", "/_uprintd/downloads/abc?tempauthtoken=x", 200, None),
                 ("GET", "/_uprintd/printers/p", 200, None),
                 ("GET", "/v1.0/print/printers/p", 200, (conf.PRINTER, False))]
        for method, path, status, expected in cases:
            with self.subTest(request="%s %s %d" % (method, path, status)):
                self.assertEqual(m(method, path, status), expected)


class PullConformanceSelfTests(unittest.TestCase):
    """Pull printing: task definitions, triggers and tasks."""

    setUp = ConformanceSelfTests.setUp
    errors = ConformanceSelfTests.errors

    TASK = {"id": "3b1c8e1e-1111-4222-8333-444455556666",
            "parentUrl": "http://x/v1.0/print/printers/p/jobs/7",
            "status": {"state": "processing", "description": "Held for the application."}}

    def test_valid_definition_trigger_task(self):
        self.assertEqual(self.errors(conf.PRINT_TASK_DEFINITION, {
            "id": "d", "displayName": "Pull",
            "createdBy": {"appId": "a", "displayName": "Contoso Pull"}}), [])
        self.assertEqual(self.errors(conf.PRINT_TASK_TRIGGER, {"id": "t", "event": "jobStarted"}),
                         [])
        self.assertEqual(self.errors(conf.PRINT_TASK, self.TASK), [])
        job = copy.deepcopy(JOB)
        job["tasks"] = [self.TASK]
        self.assertEqual(self.errors(conf.PRINT_JOB, job), [])

    def test_bad_values_are_rejected(self):
        self.assertTrue(self.errors(conf.PRINT_TASK_TRIGGER, {"id": "t", "event": "jobFinished"}))
        self.assertTrue(self.errors(conf.PRINT_TASK_DEFINITION, {"id": "d", "displayName": 3}))
        self.assertTrue(self.errors(conf.PRINT_TASK_DEFINITION, {"createdBy": {"appId": 3}}))
        for state in ("done", None, 1):
            with self.subTest(state=state):
                task = copy.deepcopy(self.TASK)
                task["status"]["state"] = state
                self.assertTrue(self.errors(conf.PRINT_TASK, task))
        job = copy.deepcopy(JOB)
        job["tasks"] = [{"status": {"state": "finished"}}]
        self.assertTrue(self.errors(conf.PRINT_JOB, job))

    def test_path_mapping(self):
        from harness import schema_for_response as m
        D = "/v1.0/print/taskDefinitions"
        T = "/beta/print/printers/p/taskTriggers"
        cases = [("GET", D, 200, (conf.PRINT_TASK_DEFINITION, True)),
                 ("POST", D, 201, (conf.PRINT_TASK_DEFINITION, True)),
                 ("PATCH", D + "/d", 200, (conf.PRINT_TASK_DEFINITION, False)),
                 ("GET", D + "/d/tasks", 200, (conf.PRINT_TASK, True)),
                 ("PATCH", D + "/d/tasks/t", 200, (conf.PRINT_TASK, False)),
                 ("GET", D + "/d/tasks/t/definition", 200, (conf.PRINT_TASK_DEFINITION, False)),
                 ("GET", D + "/d/tasks/t/trigger", 200, (conf.PRINT_TASK_TRIGGER, False)),
                 ("GET", T, 200, (conf.PRINT_TASK_TRIGGER, True)),
                 ("POST", T, 201, (conf.PRINT_TASK_TRIGGER, True)),
                 ("GET", T + "/t", 200, (conf.PRINT_TASK_TRIGGER, False)),
                 ("PATCH", "/v1.0/print/printers/p/jobs/1", 200, (conf.PRINT_JOB, False)),
                 ("POST", "/v1.0/print/shares/s/jobs/1/redirect", 200, (conf.PRINT_JOB, False)),
                 ("POST", "/beta/printerBase/jobs/1/redirect", 200, (conf.PRINT_JOB, False)),
                 ("GET", "/v1.0/printerBase/jobs/1", 200, None),
                 ("POST", "/v1.0/print/printers/p/jobs/1/abort", 204, None)]
        for method, path, status, expected in cases:
            with self.subTest(request="%s %s %d" % (method, path, status)):
                self.assertEqual(m(method, path, status), expected)
