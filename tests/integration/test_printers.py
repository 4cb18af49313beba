"""Printers: registration (printers/create + operations), reading, $select, PATCH, DELETE,
restoreFactoryDefaults, /printers/{id}/shares, beta and --base-url."""

import uuid

from harness import ServerTestCase, admin_token, app_token, uniq

PRINTER_PROPERTIES = ("id", "displayName", "manufacturer", "model", "isAcceptingJobs",
                      "hasPhysicalDevice", "isShared", "registeredDateTime", "lastSeenDateTime",
                      "status", "location", "defaults")


def strip_annotations(obj):
    return {k: v for k, v in obj.items() if not k.startswith("@")}


class PrinterCreateTests(ServerTestCase):

    def test_create_answers_202_with_operation_location(self):
        r = self.post("/v1.0/print/printers/create", self.printer_body())
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.body, b"", "202 must have an empty body")
        loc = r.header("Operation-Location")
        self.assertIsNotNone(loc)
        prefix = self.server.base + "/v1.0/print/operations/"
        self.assertTrue(loc.startswith(prefix), "Operation-Location %r, expected %s{id}" % (
            loc, prefix))
        self.assertRegex(loc[len(prefix):], r"^[^/?#]+$")
        ra = r.header("Retry-After")
        self.assertIsNotNone(ra, "no Retry-After header")
        self.assertRegex(ra.strip(), r"^\d+$")
        self.assert_graph_headers(r)

    def test_operation(self):
        body = self.printer_body(uniq("Op"))
        _, op_id = self.start_create(body["displayName"], **{
            k: v for k, v in body.items() if k != "displayName"})
        r = self.get("/v1.0/print/operations/%s" % op_id)
        op = self.assert_json_response(r)
        self.assertEqual(op.get("@odata.context"),
                         self.server.base + "/v1.0/$metadata#print/operations/$entity")
        self.assertEqual(op.get("@odata.type"), "#microsoft.graph.printerCreateOperation")
        self.assertEqual(op["id"], op_id)
        self.assert_datetime7(op.get("createdDateTime"), "createdDateTime")
        self.assertEqual(op["status"]["state"], "succeeded")
        self.assertIsInstance(op["status"].get("description"), str)
        self.assertIsInstance(op.get("certificate"), str)
        printer = op.get("printer")
        self.assertIsInstance(printer, dict)
        self.assertEqual(printer["displayName"], body["displayName"])
        self.assertEqual(printer["manufacturer"], "Contoso")
        self.assertEqual(printer["model"], "LaserJet 9")
        self.assertIs(printer["hasPhysicalDevice"], False)
        # The printer in the operation is the registered printer.
        p = self.get("/v1.0/print/printers/%s" % printer["id"])
        self.assertEqual(p.status, 200, p)
        self.assertEqual(p.json["displayName"], body["displayName"])

    def test_operations_list(self):
        _, op_id = self.start_create()
        r = self.get("/v1.0/print/operations")
        body = self.assert_json_response(r)
        self.assertIsInstance(body.get("value"), list)
        ids = [o["id"] for o in body["value"]]
        self.assertIn(op_id, ids)
        self.assertEqual(len(ids), len(set(ids)))

    def test_printer_entity(self):
        name = uniq("Ent")
        p = self.create_printer(name)
        r = self.get("/v1.0/print/printers/%s" % p["id"])
        body = self.assert_json_response(r)
        self.assertEqual(body.get("@odata.context"),
                         self.server.base + "/v1.0/$metadata#print/printers/$entity")
        for prop in PRINTER_PROPERTIES:
            self.assertIn(prop, body, "printer lacks %s" % prop)
        self.assertNotIn("capabilities", body)
        self.assertEqual(body["displayName"], name)
        self.assertEqual(body["manufacturer"], "Contoso")
        self.assertEqual(body["model"], "LaserJet 9")
        self.assertIs(body["hasPhysicalDevice"], False)
        self.assertIs(body["isShared"], False)
        self.assertIsInstance(body["isAcceptingJobs"], bool)
        self.assert_datetime7(body["registeredDateTime"], "registeredDateTime")
        if body["lastSeenDateTime"] is not None:
            self.assert_datetime7(body["lastSeenDateTime"], "lastSeenDateTime")
        st = body["status"]
        self.assertIsInstance(st, dict)
        self.assertIsInstance(st.get("state"), str)
        self.assertIsInstance(st.get("details"), list)
        self.assertIn("description", st)
        self.assertTrue(body["location"] is None or isinstance(body["location"], dict))
        self.assertTrue(body["defaults"] is None or isinstance(body["defaults"], dict))

    def test_printer_in_list(self):
        p = self.create_printer()
        r = self.get("/v1.0/print/printers")
        body = self.assert_json_response(r)
        self.assertEqual(body.get("@odata.context"),
                         self.server.base + "/v1.0/$metadata#print/printers")
        self.assertIsInstance(body.get("value"), list)
        for item in body["value"]:
            self.assertNotIn("defaults", item)
            self.assertNotIn("capabilities", item)
        mine = [x for x in body["value"] if x.get("id") == p["id"]]
        self.assertEqual(len(mine), 1)
        item = mine[0]
        for k, v in strip_annotations(item).items():
            self.assertEqual(v, p.get(k), "list item and entity differ on %s" % k)
        for prop in PRINTER_PROPERTIES:
            if prop != "defaults":
                self.assertIn(prop, item)

    def test_select(self):
        p = self.create_printer()
        r = self.get("/v1.0/print/printers/%s?$select=id,displayName,capabilities" % p["id"])
        body = self.assert_json_response(r)
        self.assertEqual(set(strip_annotations(body)), {"id", "displayName", "capabilities"})
        self.assertEqual(body["@odata.context"], self.server.base +
                         "/v1.0/$metadata#print/printers(id,displayName,capabilities)/$entity")
        self.assertEqual(body["id"], p["id"])
        self.assertEqual(body["displayName"], p["displayName"])
        self.assertTrue(body["capabilities"] is None or isinstance(body["capabilities"], dict))

    def test_select_percent_encoded(self):
        p = self.create_printer()
        r = self.get("/v1.0/print/printers/%s?%%24select=id%%2CdisplayName" % p["id"])
        body = self.assert_json_response(r)
        self.assertEqual(set(strip_annotations(body)), {"id", "displayName"})

    def test_select_without_dollar(self):
        p = self.create_printer()
        r = self.get("/v1.0/print/printers/%s?select=id,displayName" % p["id"])
        body = self.assert_json_response(r)
        self.assertEqual(set(strip_annotations(body)), {"id", "displayName"})
        self.assertEqual(body["@odata.context"], self.server.base +
                         "/v1.0/$metadata#print/printers(id,displayName)/$entity")

    def test_select_unknown_property(self):
        p = self.create_printer()
        r = self.get("/v1.0/print/printers/%s?$select=id,frobnication" % p["id"])
        self.assert_error(r, 400, mentions=["frobnication"])  # the contract names no code

    def test_missing_required_property(self):
        for prop in ("displayName", "manufacturer", "model", "certificateSigningRequest"):
            body = self.printer_body()
            del body[prop]
            with self.subTest(missing=prop):
                r = self.post("/v1.0/print/printers/create", body)
                self.assert_error(r, 400, "invalidRequest", mentions=[prop])

    def test_wrong_types(self):
        for prop, value in (("displayName", 5), ("manufacturer", True), ("model", ["x"]),
                            ("hasPhysicalDevice", "no"), ("certificateSigningRequest", "MIIC")):
            with self.subTest(prop=prop, value=value):
                r = self.post("/v1.0/print/printers/create", self.printer_body(**{prop: value}))
                self.assert_error(r, 400, "invalidRequest", mentions=[prop])

    def test_unknown_property(self):
        r = self.post("/v1.0/print/printers/create", self.printer_body(colourDepth=24))
        self.assert_error(r, 400, "invalidRequest", mentions=["colourDepth"])

    def test_refused_create_creates_nothing(self):
        before_p = len(self.get("/v1.0/print/printers").json["value"])
        before_o = len(self.get("/v1.0/print/operations").json["value"])
        body = self.printer_body(displayName=5)
        self.assert_error(self.post("/v1.0/print/printers/create", body), 400)
        body = self.printer_body()
        del body["model"]
        self.assert_error(self.post("/v1.0/print/printers/create", body), 400)
        self.assertEqual(len(self.get("/v1.0/print/printers").json["value"]), before_p)
        self.assertEqual(len(self.get("/v1.0/print/operations").json["value"]), before_o)

    def test_physical_device(self):
        dev = str(uuid.uuid4())
        p = self.create_printer(hasPhysicalDevice=True, physicalDeviceId=dev)
        self.assertIs(p["hasPhysicalDevice"], True)

    def test_missing_printer(self):
        self.assert_error(self.get("/v1.0/print/printers/%s" % uuid.uuid4()), 404,
                          "itemNotFound")


class PrinterPatchTests(ServerTestCase):

    def path(self, p):
        return "/v1.0/print/printers/%s" % p["id"]

    def current(self, p):
        r = self.get(self.path(p))
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_patch_display_name(self):
        p = self.create_printer()
        new = uniq("Renamed")
        r = self.patch(self.path(p), {"displayName": new})
        body = self.assert_json_response(r)
        self.assertEqual(body["displayName"], new)
        for prop in PRINTER_PROPERTIES:
            self.assertIn(prop, body, "PATCH response lacks %s" % prop)
        self.assertEqual(body["id"], p["id"])
        self.assertEqual(body["manufacturer"], p["manufacturer"])
        self.assertEqual(body["registeredDateTime"], p["registeredDateTime"])
        self.assertEqual(self.current(p)["displayName"], new)

    def test_patch_location(self):
        p = self.create_printer()
        loc = {"building": "B1", "floor": "3", "latitude": 1.5,
               "organization": ["Contoso", "IT"]}
        r = self.patch(self.path(p), {"location": loc})
        body = self.assert_json_response(r)
        for src in (body, self.current(p)):
            got = src["location"]
            self.assertIsInstance(got, dict)
            for k, v in loc.items():
                self.assertEqual(got.get(k), v, "location.%s" % k)
        self.assertEqual(body["displayName"], p["displayName"])

    def test_patch_defaults(self):
        p = self.create_printer()
        d = {"colorMode": "color", "duplexMode": "oneSided", "copiesPerJob": 2}
        r = self.patch(self.path(p), {"defaults": d})
        body = self.assert_json_response(r)
        for src in (body, self.current(p)):
            got = src["defaults"]
            self.assertIsInstance(got, dict)
            for k, v in d.items():
                self.assertEqual(got.get(k), v, "defaults.%s" % k)

    def test_patch_several_at_once(self):
        p = self.create_printer()
        new = uniq("Multi")
        r = self.patch(self.path(p), {"displayName": new, "location": {"roomName": "R2"},
                                      "defaults": {"copiesPerJob": 3}})
        body = self.assert_json_response(r)
        cur = self.current(p)
        for src in (body, cur):
            self.assertEqual(src["displayName"], new)
            self.assertEqual(src["location"]["roomName"], "R2")
            self.assertEqual(src["defaults"]["copiesPerJob"], 3)

    def test_empty_patch_changes_nothing(self):
        p = self.create_printer()
        r = self.patch(self.path(p), {})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.current(p), p)

    def assert_refused_patch(self, p, body, mentions, status=400, code="invalidRequest"):
        before = self.current(p)
        r = self.patch(self.path(p), body)
        self.assert_error(r, status, code, mentions=mentions)
        self.assertEqual(self.current(p), before, "a refused PATCH changed the printer")

    def test_bad_values(self):
        p = self.create_printer()
        for body, prop in (({"defaults": {"colorMode": "rainbow"}}, "defaults.colorMode"),
                           ({"defaults": {"copiesPerJob": "two"}}, "defaults.copiesPerJob"),
                           ({"defaults": "color"}, "defaults"),
                           ({"location": {"latitude": "north"}}, "location.latitude"),
                           ({"location": {"organization": "Contoso"}}, "location.organization"),
                           ({"location": 7}, "location"),
                           ({"displayName": None}, "displayName"),
                           ({"displayName": 5}, "displayName")):
            with self.subTest(body=body):
                self.assert_refused_patch(p, body, [prop])

    def test_read_only_properties(self):
        p = self.create_printer()
        for prop, value in (("id", str(uuid.uuid4())),
                            ("registeredDateTime", "2020-01-01T00:00:00.0000000Z"),
                            ("isShared", True),
                            ("status", {"state": "idle", "details": [], "description": ""}),
                            ("hasPhysicalDevice", True)):
            with self.subTest(prop=prop):
                self.assert_refused_patch(p, {prop: value}, [prop])

    def test_unknown_property(self):
        p = self.create_printer()
        self.assert_refused_patch(p, {"paperColour": "pink"}, ["paperColour"])

    def test_refused_patch_is_atomic(self):
        p = self.create_printer()
        self.assert_refused_patch(p, {"displayName": uniq("Half"),
                                      "defaults": {"colorMode": "rainbow"}},
                                  ["defaults.colorMode"])
        self.assert_refused_patch(p, {"location": {"building": "B9"}, "bogus": 1}, ["bogus"])

    def test_delegated_token_cannot_change_manufacturer(self):
        p = self.create_printer()
        for prop, value in (("manufacturer", "Fabrikam"), ("model", "X1"),
                            ("isAcceptingJobs", False),
                            ("capabilities", {"colorModes": ["color"]})):
            with self.subTest(prop=prop):
                self.assert_refused_patch(p, {prop: value}, [prop])

    def test_missing_printer(self):
        r = self.patch("/v1.0/print/printers/%s" % uuid.uuid4(), {"displayName": "x"})
        self.assert_error(r, 404, "itemNotFound")


class PrinterApplicationPatchTests(ServerTestCase):
    """Application tokens of the registering app may update device properties of printers
    without a physical device."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.app_id = str(uuid.uuid4())
        # Registered by an admin through the app (the delegated token's appid).
        cls.admin_via_app = admin_token(cls.data, app=cls.app_id)
        cls.app = app_token(cls.data, cls.app_id)
        cls.other_app = app_token(cls.data, str(uuid.uuid4()))

    def path(self, p):
        return "/v1.0/print/printers/%s" % p["id"]

    def current(self, p):
        return self.get(self.path(p) + "?$select=" + ",".join(
            PRINTER_PROPERTIES + ("capabilities",))).json

    def test_app_updates_device_properties(self):
        p = self.create_printer(token=self.admin_via_app)
        caps = {"colorModes": ["color", "blackAndWhite"], "duplexModes": ["oneSided"],
                "copiesPerJob": {"start": 1, "end": 99}, "isColorPrintingSupported": True}
        body = {"manufacturer": "Fabrikam", "model": "Inkmaster 3000", "isAcceptingJobs": False,
                "status": {"state": "stopped", "details": ["paused"],
                           "description": "Paused by the test"},
                "capabilities": caps}
        r = self.patch(self.path(p), body, token=self.app)
        got = self.assert_json_response(r)
        self.assertEqual(got["manufacturer"], "Fabrikam")
        cur = self.current(p)
        self.assertEqual(cur["manufacturer"], "Fabrikam")
        self.assertEqual(cur["model"], "Inkmaster 3000")
        self.assertIs(cur["isAcceptingJobs"], False)
        self.assertEqual(cur["status"]["state"], "stopped")
        self.assertEqual(cur["status"]["details"], ["paused"])
        self.assertEqual(cur["status"]["description"], "Paused by the test")
        self.assertIsInstance(cur["capabilities"], dict)
        self.assertEqual(cur["capabilities"]["colorModes"], ["color", "blackAndWhite"])
        self.assertIs(cur["capabilities"]["isColorPrintingSupported"], True)
        # A delegated token sees the change as well.
        self.assertEqual(self.get(self.path(p)).json["model"], "Inkmaster 3000")

    def test_app_may_also_update_delegated_properties(self):
        p = self.create_printer(token=self.admin_via_app)
        new = uniq("AppName")
        r = self.patch(self.path(p), {"displayName": new}, token=self.app)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.current(p)["displayName"], new)

    def test_app_bad_status_value(self):
        p = self.create_printer(token=self.admin_via_app)
        before = self.current(p)
        r = self.patch(self.path(p), {"status": {"state": "exploded"}}, token=self.app)
        self.assert_error(r, 400, "invalidRequest", mentions=["status.state"])
        self.assertEqual(self.current(p), before)

    def assert_app_refused(self, p, token):
        before = self.current(p)
        r = self.patch(self.path(p), {"manufacturer": "Evil Corp"}, token=token)
        self.assertIn(r.status, (400, 403), r)
        self.assert_error(r, r.status)
        self.assertEqual(self.current(p), before)

    def test_other_app_is_refused(self):
        p = self.create_printer(token=self.admin_via_app)
        self.assert_app_refused(p, self.other_app)

    def test_printer_registered_by_another_app_is_refused(self):
        p = self.create_printer()  # default client app
        self.assert_app_refused(p, self.app)

    def test_physical_device_is_refused(self):
        p = self.create_printer(token=self.admin_via_app, hasPhysicalDevice=True,
                                physicalDeviceId=str(uuid.uuid4()))
        self.assert_app_refused(p, self.app)


class PrinterDeleteAndRestoreTests(ServerTestCase):

    def test_delete(self):
        p = self.create_printer()
        s = self.create_share(p["id"])
        r = self.delete("/v1.0/print/printers/%s" % p["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assert_graph_headers(r)
        self.assert_error(self.get("/v1.0/print/printers/%s" % p["id"]), 404, "itemNotFound")
        self.assert_error(self.get("/v1.0/print/shares/%s" % s["id"]), 404, "itemNotFound")
        self.assertNotIn(p["id"], [x["id"] for x in
                                   self.get("/v1.0/print/printers").json["value"]])
        self.assertNotIn(s["id"], [x["id"] for x in
                                   self.get("/v1.0/print/shares").json["value"]])
        self.assert_error(self.delete("/v1.0/print/printers/%s" % p["id"]), 404,
                          "itemNotFound")
        self.assert_error(self.patch("/v1.0/print/printers/%s" % p["id"],
                                     {"displayName": "ghost"}), 404, "itemNotFound")

    def test_delete_leaves_other_printers(self):
        a = self.create_printer()
        b = self.create_printer()
        self.assertEqual(self.delete("/v1.0/print/printers/%s" % a["id"]).status, 204)
        self.assertEqual(self.get("/v1.0/print/printers/%s" % b["id"]).json, b)

    def test_restore_factory_defaults(self):
        p = self.create_printer()
        original = p["defaults"]
        path = "/v1.0/print/printers/%s" % p["id"]
        r = self.patch(path, {"defaults": {"colorMode": "blackAndWhite", "copiesPerJob": 7,
                                           "duplexMode": "flipOnLongEdge"}})
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(self.get(path).json["defaults"], original)
        r = self.post(path + "/restoreFactoryDefaults")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        after = self.get(path).json
        self.assertEqual(after["defaults"], original)
        self.assertEqual(after["displayName"], p["displayName"])

    def test_restore_factory_defaults_of_missing_printer(self):
        r = self.post("/v1.0/print/printers/%s/restoreFactoryDefaults" % uuid.uuid4())
        self.assert_error(r, 404, "itemNotFound")

    def test_printer_shares(self):
        p = self.create_printer()
        path = "/v1.0/print/printers/%s/shares" % p["id"]
        body = self.assert_json_response(self.get(path))
        self.assertEqual(body.get("@odata.context"), self.server.base +
                         "/v1.0/$metadata#print/printers('%s')/shares" % p["id"])
        self.assertEqual(body["value"], [])
        s = self.create_share(p["id"])
        body = self.assert_json_response(self.get(path))
        self.assertEqual([x["id"] for x in body["value"]], [s["id"]])
        self.assertEqual(body["value"][0]["displayName"], s["displayName"])

    def test_printer_shares_of_missing_printer(self):
        r = self.get("/v1.0/print/printers/%s/shares" % uuid.uuid4())
        self.assert_error(r, 404, "itemNotFound")


class BetaTests(ServerTestCase):
    """The same calls under /beta; contexts name /beta."""

    def test_printer_calls_under_beta(self):
        base = self.server.base
        r, op_id = self.start_create(version="beta")
        self.assertEqual(r.header("Operation-Location"),
                         base + "/beta/print/operations/%s" % op_id)
        op = self.assert_json_response(self.get("/beta/print/operations/%s" % op_id))
        self.assertEqual(op["@odata.context"], base + "/beta/$metadata#print/operations/$entity")
        pid = op["printer"]["id"]
        p = self.assert_json_response(self.get("/beta/print/printers/%s" % pid))
        self.assertEqual(p["@odata.context"], base + "/beta/$metadata#print/printers/$entity")
        lst = self.assert_json_response(self.get("/beta/print/printers"))
        self.assertEqual(lst["@odata.context"], base + "/beta/$metadata#print/printers")
        self.assertIn(pid, [x["id"] for x in lst["value"]])
        sel = self.assert_json_response(self.get("/beta/print/printers/%s?$select=id" % pid))
        self.assertEqual(sel["@odata.context"],
                         base + "/beta/$metadata#print/printers(id)/$entity")
        new = uniq("BetaName")
        r = self.patch("/beta/print/printers/%s" % pid, {"displayName": new})
        self.assertEqual(self.assert_json_response(r)["displayName"], new)
        # v1.0 sees the same printer.
        self.assertEqual(self.get("/v1.0/print/printers/%s" % pid).json["displayName"], new)
        self.assertEqual(self.post("/beta/print/printers/%s/restoreFactoryDefaults" % pid)
                         .status, 204)

        r = self.post("/beta/print/shares", {"displayName": uniq("BS"), "allowAllUsers": True,
                                             "printer@odata.bind": base +
                                             "/beta/print/printers/%s" % pid})
        if r.status == 400:
            # A /beta bind is not promised by the contract; use the v1.0 form.
            r = self.post("/beta/print/shares", {"displayName": uniq("BS"),
                                                 "allowAllUsers": True,
                                                 "printer@odata.bind": self.bind(pid)})
        s = self.assert_json_response(r, 201)
        self.assertEqual(s["@odata.context"], base + "/beta/$metadata#print/shares/$entity")
        sid = s["id"]
        g = self.assert_json_response(self.get("/beta/print/shares/%s" % sid))
        self.assertEqual(g["@odata.context"], base + "/beta/$metadata#print/shares/$entity")
        sl = self.assert_json_response(self.get("/beta/print/shares"))
        self.assertEqual(sl["@odata.context"], base + "/beta/$metadata#print/shares")
        sp = self.assert_json_response(self.get("/beta/print/shares/%s/printer" % sid))
        self.assertEqual(sp["@odata.context"], base + "/beta/$metadata#print/printers/$entity")
        self.assertEqual(sp["id"], pid)
        ps = self.assert_json_response(self.get("/beta/print/printers/%s/shares" % pid))
        self.assertEqual(ps["@odata.context"],
                         base + "/beta/$metadata#print/printers('%s')/shares" % pid)
        r = self.patch("/beta/print/shares/%s" % sid, {"allowAllUsers": False})
        self.assertIs(self.assert_json_response(r)["allowAllUsers"], False)
        self.assertEqual(self.delete("/beta/print/shares/%s" % sid).status, 204)
        self.assertEqual(self.delete("/beta/print/printers/%s" % pid).status, 204)
        self.assert_error(self.get("/v1.0/print/printers/%s" % pid), 404, "itemNotFound")

    def test_beta_errors(self):
        self.assert_error(self.get("/beta/print/printers/%s" % uuid.uuid4()), 404,
                          "itemNotFound")
        self.assert_error(self.post("/beta/print/printers/create", {"displayName": "x"}), 400,
                          "invalidRequest")


class BaseUrlTests(ServerTestCase):
    base_url = "https://print.example.test"

    def test_operation_location_and_contexts_use_base_url(self):
        r, op_id = self.start_create()
        self.assertEqual(r.header("Operation-Location"),
                         "https://print.example.test/v1.0/print/operations/%s" % op_id)
        op = self.get("/v1.0/print/operations/%s" % op_id).json
        self.assertEqual(op["@odata.context"],
                         "https://print.example.test/v1.0/$metadata#print/operations/$entity")
        pid = op["printer"]["id"]
        p = self.get("/v1.0/print/printers/%s" % pid).json
        self.assertEqual(p["@odata.context"],
                         "https://print.example.test/v1.0/$metadata#print/printers/$entity")
        lst = self.get("/v1.0/print/printers").json
        self.assertEqual(lst["@odata.context"],
                         "https://print.example.test/v1.0/$metadata#print/printers")

    def test_share_location_and_bind_with_base_url(self):
        p = self.create_printer()
        r = self.post("/v1.0/print/shares", {
            "displayName": uniq("S"), "allowAllUsers": True,
            "printer@odata.bind": "https://print.example.test/v1.0/print/printers/%s" % p["id"]})
        s = self.assert_json_response(r, 201)
        self.assertEqual(s["@odata.context"],
                         "https://print.example.test/v1.0/$metadata#print/shares/$entity")
        loc = r.header("Location") or ""
        self.assertTrue(loc.startswith("https://print.example.test/"), loc)
        self.assertTrue(loc.endswith("/print/shares/%s" % s["id"]), loc)
