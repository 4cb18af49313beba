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
