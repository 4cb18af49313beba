"""Printer shares: create (printer@odata.bind), read, /shares/{id}/printer, PATCH, DELETE."""

import uuid

from harness import ServerTestCase, uniq

SHARE_PROPERTIES = ("id", "displayName", "allowAllUsers", "createdDateTime", "manufacturer",
                    "model", "isAcceptingJobs", "location", "status", "defaults", "viewPoint")


def strip_annotations(obj):
    return {k: v for k, v in obj.items() if not k.startswith("@")}


class ShareTestCase(ServerTestCase):

    def printer(self, pid):
        r = self.get("/v1.0/print/printers/%s" % pid)
        self.assertEqual(r.status, 200, r)
        return r.json

    def share_body(self, pid, name=None, **extra):
        body = {"displayName": name or uniq("Share"), "allowAllUsers": True,
                "printer@odata.bind": self.bind(pid)}
        body.update(extra)
        return body


class ShareCreateTests(ShareTestCase):

    def test_create(self):
        p = self.create_printer()
        name = uniq("Share 1")
        r = self.post("/v1.0/print/shares", self.share_body(p["id"], name))
        s = self.assert_json_response(r, 201)
        self.assert_graph_headers(r)
        self.assertEqual(s.get("@odata.context"),
                         self.server.base + "/v1.0/$metadata#print/shares/$entity")
        for prop in SHARE_PROPERTIES:
            self.assertIn(prop, s, "share lacks %s" % prop)
        self.assertEqual(s["displayName"], name)
        self.assertIs(s["allowAllUsers"], True)
        self.assert_datetime7(s["createdDateTime"], "createdDateTime")
        self.assertEqual(s["manufacturer"], p["manufacturer"])
        self.assertEqual(s["model"], p["model"])
        self.assertEqual(s["isAcceptingJobs"], p["isAcceptingJobs"])
        self.assertEqual(s["location"], p["location"])
        self.assertEqual(s["defaults"], p["defaults"])
        self.assertIsInstance(s["status"], dict)
        loc = r.header("Location")
        self.assertIsNotNone(loc, "201 without Location")
        self.assertTrue(loc.endswith("/print/shares/%s" % s["id"]), loc)
        self.assertTrue(loc.startswith(self.server.base + "/v1.0/"), loc)
        self.assertIs(self.printer(p["id"])["isShared"], True)

    def test_bind_forms(self):
        forms = {
            "own base": lambda pid: self.server.base + "/v1.0/print/printers/%s" % pid,
            "graph.microsoft.com": lambda pid: "https://graph.microsoft.com/v1.0/print/"
                                               "printers/%s" % pid,
            "other base": lambda pid: "https://elsewhere.example/v1.0/print/printers/%s" % pid,
            "relative with slash": lambda pid: "/print/printers/%s" % pid,
            "relative": lambda pid: "print/printers/%s" % pid,
        }
        for name, form in forms.items():
            with self.subTest(bind=name):
                p = self.create_printer()
                r = self.post("/v1.0/print/shares", {"displayName": uniq("Bind"),
                                                     "allowAllUsers": False,
                                                     "printer@odata.bind": form(p["id"])})
                s = self.assert_json_response(r, 201)
                self.assertIs(s["allowAllUsers"], False)
                sp = self.get("/v1.0/print/shares/%s/printer" % s["id"])
                self.assertEqual(sp.json["id"], p["id"])

    def test_display_name_length(self):
        for name, ok in (("a" * 50, True), ("é" * 50, True), ("€" * 50, True),
                         ("a" * 51, False), ("é" * 51, False)):
            with self.subTest(name="%s x %d" % (name[0], len(name))):
                p = self.create_printer()
                r = self.post("/v1.0/print/shares", self.share_body(p["id"], name))
                if ok:
                    s = self.assert_json_response(r, 201)
                    self.assertEqual(s["displayName"], name)
                    self.assertEqual(self.get("/v1.0/print/shares/%s" % s["id"])
                                     .json["displayName"], name)
                else:
                    self.assert_error(r, 400, "invalidRequest", mentions=["displayName"])
                    self.assertIs(self.printer(p["id"])["isShared"], False)

    def test_missing_display_name(self):
        p = self.create_printer()
        body = self.share_body(p["id"])
        del body["displayName"]
        self.assert_error(self.post("/v1.0/print/shares", body), 400, "invalidRequest",
                          mentions=["displayName"])
        self.assertIs(self.printer(p["id"])["isShared"], False)

    def test_missing_bind(self):
        self.assert_error(self.post("/v1.0/print/shares", {"displayName": uniq("NoBind"),
                                                           "allowAllUsers": True}),
                          400, "invalidRequest", mentions=["printer"])

    def test_bind_to_missing_printer(self):
        r = self.post("/v1.0/print/shares", self.share_body(str(uuid.uuid4())))
        self.assert_error(r, 400, "invalidRequest")

    def test_malformed_binds(self):
        p = self.create_printer()
        pid = p["id"]
        for bind in ("not a url", "", "https://", "https://graph.microsoft.com/v1.0/print/"
                     "shares/%s" % pid, "https://graph.microsoft.com/v1.0/print/printers/",
                     "https://graph.microsoft.com/v1.0/print/printers/%s/shares" % pid,
                     "https://graph.microsoft.com/v1.0/users/%s" % pid, 42, None, [pid]):
            with self.subTest(bind=bind):
                r = self.post("/v1.0/print/shares", self.share_body(pid, **{
                    "printer@odata.bind": bind}))
                self.assert_error(r, 400, "invalidRequest")
        self.assertIs(self.printer(pid)["isShared"], False)
        self.assertEqual(self.get("/v1.0/print/printers/%s/shares" % pid).json["value"], [])

    def test_wrong_types_and_unknown_properties(self):
        p = self.create_printer()
        for extra, prop in (({"allowAllUsers": "yes"}, "allowAllUsers"),
                            ({"displayName": 7}, "displayName"),
                            ({"createdDateTime": "2020-01-01T00:00:00.0000000Z"},
                             "createdDateTime"),
                            ({"sparkle": True}, "sparkle")):
            with self.subTest(prop=prop):
                r = self.post("/v1.0/print/shares", self.share_body(p["id"], **extra))
                self.assert_error(r, 400, "invalidRequest", mentions=[prop])
        self.assertIs(self.printer(p["id"])["isShared"], False)

    def test_second_share_of_a_printer_conflicts(self):
        p = self.create_printer()
        first = self.create_share(p["id"])
        r = self.post("/v1.0/print/shares", self.share_body(p["id"]))
        self.assert_error(r, 409, "conflict")
        ids = [s["id"] for s in self.get("/v1.0/print/printers/%s/shares" % p["id"])
               .json["value"]]
        self.assertEqual(ids, [first["id"]])


class ShareReadTests(ShareTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h = cls.helper()
        cls.p = h.create_printer()
        r = h.post("/v1.0/print/shares", h.share_body(cls.p["id"]))
        h.assertEqual(r.status, 201, r)
        cls.created = r.json

    def test_list(self):
        body = self.assert_json_response(self.get("/v1.0/print/shares"))
        self.assertEqual(body.get("@odata.context"),
                         self.server.base + "/v1.0/$metadata#print/shares")
        for item in body["value"]:
            self.assertNotIn("defaults", item)
            self.assertNotIn("capabilities", item)
        mine = [x for x in body["value"] if x["id"] == self.created["id"]]
        self.assertEqual(len(mine), 1)
        for k, v in strip_annotations(mine[0]).items():
            self.assertEqual(v, self.created.get(k), "list item differs on %s" % k)
        for prop in SHARE_PROPERTIES:
            if prop != "defaults":
                self.assertIn(prop, mine[0])

    def test_item(self):
        r = self.get("/v1.0/print/shares/%s" % self.created["id"])
        body = self.assert_json_response(r)
        self.assertEqual(body, self.created)
        self.assertNotIn("capabilities", body)

    def test_share_printer(self):
        r = self.get("/v1.0/print/shares/%s/printer" % self.created["id"])
        body = self.assert_json_response(r)
        self.assertEqual(body.get("@odata.context"),
                         self.server.base + "/v1.0/$metadata#print/printers/$entity")
        self.assertEqual(body, self.printer(self.p["id"]))
        self.assertIs(body["isShared"], True)

    def test_other_paths_to_the_share(self):
        pid, sid = self.p["id"], self.created["id"]
        r = self.get("/v1.0/print/printers/%s/shares/%s" % (pid, sid))
        self.assertEqual(strip_annotations(self.assert_json_response(r)),
                         strip_annotations(self.created))
        self.assert_error(self.get("/v1.0/print/printers/%s/shares/%s" % (pid, uuid.uuid4())),
                          404)
        for path in ("/beta/print/printers/%s/share" % pid, "/beta/print/printerShares/%s" % sid):
            with self.subTest(path=path):
                got = self.assert_json_response(self.get(path))
                self.assertEqual(got["id"], sid, got)
                self.assertEqual(got["displayName"], self.created["displayName"], got)
        listed = self.assert_json_response(self.get("/beta/print/printerShares"))["value"]
        self.assertIn(sid, [x["id"] for x in listed])
        self.assert_error(self.get("/v1.0/print/printers/%s/share" % pid), 400)  # beta only

    def test_operation_printer(self):
        _, op_id = self.start_create()
        r = self.get("/v1.0/print/operations/%s/printer" % op_id)
        got = self.assert_json_response(r)
        op = self.assert_json_response(self.get("/v1.0/print/operations/%s" % op_id))
        self.assertEqual(got["id"], op["printer"]["id"], got)
        self.assertEqual(got, self.printer(got["id"]))

    def test_missing_share(self):
        for path in ("/v1.0/print/shares/%s" % uuid.uuid4(),
                     "/v1.0/print/shares/%s/printer" % uuid.uuid4()):
            with self.subTest(path=path):
                self.assert_error(self.get(path), 404, "itemNotFound")


class SharePatchTests(ShareTestCase):

    def test_patch_display_name_and_allow_all_users(self):
        p = self.create_printer()
        s = self.create_share(p["id"])
        new = uniq("Renamed")
        r = self.patch("/v1.0/print/shares/%s" % s["id"], {"displayName": new,
                                                             "allowAllUsers": False})
        body = self.assert_json_response(r)
        for prop in SHARE_PROPERTIES:
            self.assertIn(prop, body, "PATCH response lacks %s" % prop)
        self.assertEqual(body["displayName"], new)
        self.assertIs(body["allowAllUsers"], False)
        self.assertEqual(body["createdDateTime"], s["createdDateTime"])
        cur = self.get("/v1.0/print/shares/%s" % s["id"]).json
        self.assertEqual(cur["displayName"], new)
        self.assertIs(cur["allowAllUsers"], False)

    def test_swap_printer(self):
        p1 = self.create_printer()
        p2 = self.create_printer(manufacturer="Fabrikam", model="Inkmaster 3000")
        s = self.create_share(p1["id"])
        r = self.patch("/v1.0/print/shares/%s" % s["id"],
                       {"printer@odata.bind": self.bind(p2["id"])})
        body = self.assert_json_response(r)
        self.assertEqual(body["manufacturer"], "Fabrikam")
        self.assertEqual(body["model"], "Inkmaster 3000")
        self.assertEqual(body["id"], s["id"])
        self.assertEqual(self.get("/v1.0/print/shares/%s/printer" % s["id"]).json["id"],
                         p2["id"])
        cur = self.get("/v1.0/print/shares/%s" % s["id"]).json
        self.assertEqual(cur["manufacturer"], "Fabrikam")
        self.assertIs(self.printer(p2["id"])["isShared"], True)
        self.assertIs(self.printer(p1["id"])["isShared"], False)
        self.assertEqual(self.get("/v1.0/print/printers/%s/shares" % p1["id"]).json["value"],
                         [])
        # p1 can be shared again.
        self.create_share(p1["id"])

    def test_swap_to_a_shared_printer_conflicts(self):
        p1 = self.create_printer()
        p2 = self.create_printer()
        s1 = self.create_share(p1["id"])
        self.create_share(p2["id"])
        before = self.get("/v1.0/print/shares/%s" % s1["id"]).json
        r = self.patch("/v1.0/print/shares/%s" % s1["id"],
                       {"printer@odata.bind": self.bind(p2["id"])})
        self.assert_error(r, 409, "conflict")
        self.assertEqual(self.get("/v1.0/print/shares/%s" % s1["id"]).json, before)

    def test_refused_patches(self):
        p = self.create_printer()
        s = self.create_share(p["id"])
        path = "/v1.0/print/shares/%s" % s["id"]
        for body, prop in (({"displayName": "x" * 51}, "displayName"),
                           ({"displayName": None}, "displayName"),
                           ({"allowAllUsers": "no"}, "allowAllUsers"),
                           ({"createdDateTime": "2020-01-01T00:00:00.0000000Z"},
                            "createdDateTime"),
                           ({"id": str(uuid.uuid4())}, "id"),
                           ({"displayName": uniq("Half"), "glitter": 1}, "glitter"),
                           ({"printer@odata.bind": self.bind(str(uuid.uuid4()))},
                            "printer"),
                           ({"printer@odata.bind": "nonsense"}, "printer")):
            with self.subTest(body=body):
                before = self.get(path).json
                r = self.patch(path, body)
                self.assert_error(r, 400, "invalidRequest", mentions=[prop])
                self.assertEqual(self.get(path).json, before)

    def test_patch_missing_share(self):
        r = self.patch("/v1.0/print/shares/%s" % uuid.uuid4(), {"displayName": "x"})
        self.assert_error(r, 404, "itemNotFound")


class ShareDeleteTests(ShareTestCase):

    def test_delete(self):
        p = self.create_printer()
        s = self.create_share(p["id"])
        r = self.delete("/v1.0/print/shares/%s" % s["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assert_error(self.get("/v1.0/print/shares/%s" % s["id"]), 404, "itemNotFound")
        self.assertNotIn(s["id"], [x["id"] for x in self.get("/v1.0/print/shares")
                                   .json["value"]])
        self.assertIs(self.printer(p["id"])["isShared"], False)
        self.assertEqual(self.get("/v1.0/print/printers/%s/shares" % p["id"]).json["value"],
                         [])
        self.assert_error(self.delete("/v1.0/print/shares/%s" % s["id"]), 404, "itemNotFound")
        # The printer survives and can be shared again.
        self.create_share(p["id"])

    def test_delete_missing_share(self):
        self.assert_error(self.delete("/v1.0/print/shares/%s" % uuid.uuid4()), 404,
                          "itemNotFound")
