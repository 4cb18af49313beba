/* check-model.c - JSON rendering of printers, shares and operations; binds; body checks;
 * $select and @odata.context.
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <check.h>
#include <string.h>

static const struct {
  const char *url;
  const char *id; /* NULL: refused */
} binds[] = {
    {"https://graph.microsoft.com/v1.0/print/printers/016B5565-3BBF-4067-B9FF-4D68167EB1A6",
     "016b5565-3bbf-4067-b9ff-4d68167eb1a6"},
    {"http://127.0.0.1:8080/beta/print/printers/016b5565-3bbf-4067-b9ff-4d68167eb1a6",
     "016b5565-3bbf-4067-b9ff-4d68167eb1a6"},
    {"/print/printers/016b5565-3bbf-4067-b9ff-4d68167eb1a6",
     "016b5565-3bbf-4067-b9ff-4d68167eb1a6"},
    {"print/printers/016b5565-3bbf-4067-b9ff-4d68167eb1a6", "016b5565-3bbf-4067-b9ff-4d68167eb1a6"},
    {"/v1.0/Print/Printers/016b5565-3bbf-4067-b9ff-4d68167eb1a6",
     "016b5565-3bbf-4067-b9ff-4d68167eb1a6"},
    {"/print/shares/016b5565-3bbf-4067-b9ff-4d68167eb1a6", NULL},
    {"/print/printers/016b5565-3bbf-4067-b9ff-4d68167eb1a6/jobs", NULL},
    {"/print/printers/not-a-guid", NULL},
    {"/print/printers/", NULL},
    {"https://graph.microsoft.com", NULL},
    {"https:/", NULL},
    {"", NULL},
};

START_TEST(test_bind)
{
  char id[UP_ID_SIZE] = "";
  bool ok = up_model_bind_printer_id(binds[_i].url, id);
  ck_assert_msg(ok == (binds[_i].id != NULL), "%s", binds[_i].url);
  if (ok)
    ck_assert_str_eq(id, binds[_i].id);
}
END_TEST

static void sample_printer(up_printer_t *p)
{
  memset(p, 0, sizeof(*p));
  strcpy(p->id, "016b5565-3bbf-4067-b9ff-4d68167eb1a6");
  p->display_name = strdup("P");
  p->is_accepting_jobs = UP_BOOL_NULL;
  p->registered_at = 1592260023LL * UP_TIME_TICKS_PER_SECOND;
  p->status_json = strdup("{\"state\":\"idle\",\"details\":[],\"description\":\"\"}");
  p->defaults_json = strdup("{\"copiesPerJob\":1}");
  p->capabilities_json = strdup("{\"dpis\":[600]}");
}

START_TEST(test_render_printer)
{
  up_printer_t p;
  sample_printer(&p);
  json_t *o = up_printer_render(&p, 0);
  ck_assert(json_is_null(json_object_get(o, "manufacturer")));
  ck_assert(json_is_null(json_object_get(o, "isAcceptingJobs")));
  ck_assert(json_is_null(json_object_get(o, "location")));
  ck_assert(json_is_null(json_object_get(o, "lastSeenDateTime")));
  ck_assert_str_eq(json_string_value(json_object_get(o, "registeredDateTime")),
                   "2020-06-15T22:27:03.0000000Z");
  ck_assert_ptr_null(json_object_get(o, "defaults"));
  ck_assert_ptr_null(json_object_get(o, "capabilities"));
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "status"), "state")),
                   "idle");
  /* id comes first, as Graph writes it. */
  ck_assert_str_eq(json_object_iter_key(json_object_iter(o)), "id");
  json_decref(o);
  o = up_printer_render(&p, UP_RENDER_DEFAULTS | UP_RENDER_CAPABILITIES);
  ck_assert_int_eq(
      json_integer_value(json_object_get(json_object_get(o, "defaults"), "copiesPerJob")), 1);
  ck_assert(json_is_array(json_object_get(json_object_get(o, "capabilities"), "dpis")));
  json_decref(o);
  up_printer_fini(&p);
}
END_TEST

START_TEST(test_render_share_and_operation)
{
  up_share_t s;
  up_operation_t op;
  memset(&s, 0, sizeof(s));
  memset(&op, 0, sizeof(op));
  sample_printer(&s.printer);
  strcpy(s.id, "11111111-3bbf-4067-b9ff-4d68167eb1a6");
  s.display_name = strdup("S");
  s.allow_all_users = true;
  s.created_at = 1;
  json_t *o = up_share_render(&s, 0);
  ck_assert_str_eq(json_string_value(json_object_get(o, "displayName")), "S");
  ck_assert(json_is_true(json_object_get(o, "allowAllUsers")));
  ck_assert_str_eq(json_string_value(json_object_get(o, "createdDateTime")),
                   "1970-01-01T00:00:00.0000001Z");
  ck_assert(json_is_null(json_object_get(o, "viewPoint")));
  ck_assert_ptr_null(json_object_get(o, "isShared"));
  json_decref(o);
  op.state = UP_OPERATION_FAILED;
  o = up_operation_render(&op, NULL);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "status"), "state")),
                   "failed");
  ck_assert(json_is_null(json_object_get(o, "printer")));
  ck_assert(json_is_null(json_object_get(o, "certificate")));
  json_decref(o);
  o = up_operation_render(&op, &s.printer);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "printer"), "id")),
                   s.printer.id);
  json_decref(o);
  up_share_fini(&s);
  up_operation_fini(&op);
}
END_TEST

static const struct {
  const char *body;
  bool ok;
  const char *target;  /* expected err.target when refused */
  const char *message; /* substring */
} bodies[] = {
    {"{\"displayName\":\"x\"}", true, NULL, NULL},
    {"{\"@odata.type\":\"#microsoft.graph.printer\",\"displayName\":\"x\"}", true, NULL, NULL},
    {"{\"defaults\":{\"colorMode\":\"color\",\"finishings\":[\"staple\",\"bindLeft\"]}}", true,
     NULL, NULL},
    {"{\"location\":null}", true, NULL, NULL},
    {"{\"@odata.type\":\"#microsoft.graph.printerShare\"}", false, "@odata.type", "printer"},
    {"{\"displayName\":null}", false, "displayName", "null"},
    {"{\"displayName\":7}", false, "displayName", "String"},
    {"{\"defaults\":{\"colorMode\":\"rainbow\"}}", false, "defaults.colorMode", "blackAndWhite"},
    {"{\"defaults\":{\"copiesPerJob\":3000000000}}", false, "defaults.copiesPerJob", "Int32"},
    {"{\"location\":{\"organization\":[\"a\",5]}}", false, "location.organization[1]", NULL},
    {"{\"status\":{\"state\":\"idle\"}}", false, "status", "read-only"},
    {"{\"manufacturer\":\"m\"}", false, "manufacturer", "cannot be set"},
    {"{\"name\":\"beta only\"}", false, "name", "does not exist"},
    {"{\"bogus\":1}", false, "bogus", "does not exist on type 'microsoft.graph.printer'"},
    {"{\"printer@odata.bind\":\"x\"}", false, "printer@odata.bind", "annotation"},
};

START_TEST(test_check_body)
{
  static const char *const allowed[] = {"displayName", "location", "defaults", NULL};
  up_app_t app;
  up_error_t err;
  json_error_t jerr;
  memset(&app, 0, sizeof(app));
  ck_assert_int_eq(up_schema_load(&app.schema, &err), UP_OK);
  json_t *body = json_loads(bodies[_i].body, 0, &jerr);
  ck_assert_ptr_nonnull(body);
  up_error_clear(&err);
  up_status_t st = up_model_check_body(&app, "printer", body, UP_API_V1, allowed, &err);
  ck_assert_msg((st == UP_OK) == bodies[_i].ok, "%s: %s", bodies[_i].body, err.message);
  if (!bodies[_i].ok) {
    ck_assert_int_eq(err.status, UP_INVALID);
    ck_assert_str_eq(err.target, bodies[_i].target);
    if (bodies[_i].message)
      ck_assert_msg(strstr(err.message, bodies[_i].message), "%s: '%s'", bodies[_i].body,
                    err.message);
  }
  json_decref(body);
  up_schema_free(app.schema);
}
END_TEST

START_TEST(test_select_and_context)
{
  up_query_t q;
  up_error_t err;
  char ctx[256];
  up_app_t app;
  unsigned flags;
  memset(&app, 0, sizeof(app));
  ck_assert_int_eq(up_schema_load(&app.schema, &err), UP_OK);
  ck_assert_int_eq(up_query_parse("$select=id,capabilities", &q, &err), UP_OK);
  ck_assert_int_eq(up_model_check_select(&app, "printer", &q, UP_API_V1, &flags, &err), UP_OK);
  ck_assert_uint_eq(flags, UP_RENDER_CAPABILITIES);
  up_model_entity_context("print/printers", &q, ctx, sizeof(ctx));
  ck_assert_str_eq(ctx, "print/printers(id,capabilities)/$entity");
  json_t *o = json_pack("{s:s, s:s, s:{}}", "id", "x", "displayName", "y", "capabilities");
  up_model_apply_select(o, &q);
  ck_assert_uint_eq(json_object_size(o), 2);
  ck_assert_ptr_null(json_object_get(o, "displayName"));
  json_decref(o);
  up_query_fini(&q);
  /* Unknown properties and navigation properties are not selectable. */
  ck_assert_int_eq(up_query_parse("$select=id,jobs", &q, &err), UP_OK);
  ck_assert_int_eq(up_model_check_select(&app, "printer", &q, UP_API_V1, &flags, &err), UP_INVALID);
  up_query_fini(&q);
  ck_assert_int_eq(up_query_parse("$select=allowAllUsers", &q, &err), UP_OK);
  ck_assert_int_eq(up_model_check_select(&app, "printer", &q, UP_API_V1, &flags, &err), UP_INVALID);
  ck_assert_int_eq(up_model_check_select(&app, "printerShare", &q, UP_API_V1, &flags, &err), UP_OK);
  up_query_fini(&q);
  up_model_entity_context("print/shares", NULL, ctx, sizeof(ctx));
  ck_assert_str_eq(ctx, "print/shares/$entity");
  up_schema_free(app.schema);
}
END_TEST

START_TEST(test_parse_body)
{
  json_t *v;
  up_error_t err;
  ck_assert_int_eq(up_json_parse_body("{\"a\":[1,{\"b\":null}]}", 20, &v, &err), UP_OK);
  json_decref(v);
  static const char *const bad[] = {
      "", "{", "[]", "1", "null", "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{'a':1}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_msg(up_json_parse_body(bad[i], strlen(bad[i]), &v, &err) == UP_INVALID, "%s", bad[i]);
    ck_assert_ptr_null(v);
  }
  ck_assert_int_eq(up_json_parse_body("{\"a\":", 5, &v, &err), UP_INVALID);
  ck_assert(strstr(err.message, "line 1"));
  ck_assert(strstr(err.message, "position"));
}
END_TEST

/* Job create bodies: NULL target = accepted; "*" = refused, any target; else the target. */
static const struct {
  const char *body;
  const char *target;
  const char *message;
} job_bodies[] = {
    {"{\"configuration\":{\"colorMode\":\"blackAndWhite\"}}", NULL, NULL},
    {"{\"configuration\":{\"colorMode\":\"grayscale\"}}", NULL, NULL},
    {"{\"configuration\":{\"colorMode\":\"color\"}}", NULL, NULL},
    {"{\"configuration\":{\"colorMode\":\"auto\"}}", NULL, NULL},
    {"{\"configuration\":{\"colorMode\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"duplexMode\":\"flipOnLongEdge\"}}", NULL, NULL},
    {"{\"configuration\":{\"duplexMode\":\"flipOnShortEdge\"}}", NULL, NULL},
    {"{\"configuration\":{\"duplexMode\":\"oneSided\"}}", NULL, NULL},
    {"{\"configuration\":{\"duplexMode\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"feedOrientation\":\"longEdgeFirst\"}}", NULL, NULL},
    {"{\"configuration\":{\"feedOrientation\":\"shortEdgeFirst\"}}", NULL, NULL},
    {"{\"configuration\":{\"feedOrientation\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"orientation\":\"portrait\"}}", NULL, NULL},
    {"{\"configuration\":{\"orientation\":\"landscape\"}}", NULL, NULL},
    {"{\"configuration\":{\"orientation\":\"reverseLandscape\"}}", NULL, NULL},
    {"{\"configuration\":{\"orientation\":\"reversePortrait\"}}", NULL, NULL},
    {"{\"configuration\":{\"orientation\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"quality\":\"low\"}}", NULL, NULL},
    {"{\"configuration\":{\"quality\":\"medium\"}}", NULL, NULL},
    {"{\"configuration\":{\"quality\":\"high\"}}", NULL, NULL},
    {"{\"configuration\":{\"quality\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"scaling\":\"auto\"}}", NULL, NULL},
    {"{\"configuration\":{\"scaling\":\"shrinkToFit\"}}", NULL, NULL},
    {"{\"configuration\":{\"scaling\":\"fill\"}}", NULL, NULL},
    {"{\"configuration\":{\"scaling\":\"fit\"}}", NULL, NULL},
    {"{\"configuration\":{\"scaling\":\"none\"}}", NULL, NULL},
    {"{\"configuration\":{\"scaling\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"clockwiseFromTopLeft\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"counterclockwiseFromTopLeft\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"counterclockwiseFromTopRight\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"clockwiseFromTopRight\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"counterclockwiseFromBottomLeft\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"clockwiseFromBottomLeft\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"counterclockwiseFromBottomRight\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"clockwiseFromBottomRight\"}}", NULL, NULL},
    {"{\"configuration\":{\"multipageLayout\":\"unknownFutureValue\"}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"none\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"staple\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punch\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"cover\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bind\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"saddleStitch\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stitchEdge\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleTopLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleBottomLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleTopRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleBottomRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stitchLeftEdge\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stitchTopEdge\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stitchRightEdge\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stitchBottomEdge\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleDualLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleDualTop\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleDualRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleDualBottom\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"unknownFutureValue\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleTripleLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleTripleTop\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleTripleRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"stapleTripleBottom\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bindLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bindTop\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bindRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bindBottom\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldAccordion\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldDoubleGate\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldGate\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldHalf\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldHalfZ\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldLeftGate\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldLetter\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldParallel\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldPoster\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldRightGate\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldZ\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"foldEngineeringZ\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchTopLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchBottomLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchTopRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchBottomRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchDualLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchDualTop\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchDualRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchDualBottom\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchTripleLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchTripleTop\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchTripleRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchTripleBottom\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchQuadLeft\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchQuadTop\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchQuadRight\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"punchQuadBottom\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"fold\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"trim\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bale\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"bookletMaker\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"coat\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"laminate\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"trimAfterPages\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"trimAfterDocuments\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"trimAfterCopies\"]}}", NULL, NULL},
    {"{\"configuration\":{\"finishings\":[\"trimAfterJob\"]}}", NULL, NULL},
    {"{\"configuration\":{\"colorMode\":\"rainbow\"}}", "configuration.colorMode", "blackAndWhite"},
    {"{\"configuration\":{\"colorMode\":\"Color\"}}", "configuration.colorMode", NULL},
    {"{\"configuration\":{\"duplexMode\":\"twoSided\"}}", "configuration.duplexMode",
     "flipOnLongEdge"},
    {"{\"configuration\":{\"orientation\":3}}", "configuration.orientation", NULL},
    {"{\"configuration\":{\"quality\":\"best\"}}", "configuration.quality", "medium"},
    {"{\"configuration\":{\"scaling\":\"stretch\"}}", "configuration.scaling", "shrinkToFit"},
    {"{\"configuration\":{\"multipageLayout\":\"counterClockwiseFromTopLeft\"}}",
     "configuration.multipageLayout", NULL},
    {"{\"configuration\":{\"feedOrientation\":\"sideways\"}}", "configuration.feedOrientation",
     "longEdgeFirst"},
    {"{\"configuration\":{\"finishings\":[\"staple\",\"glue\"]}}", "configuration.finishings[1]",
     NULL},
    {"{\"configuration\":{\"finishings\":\"staple\"}}", "configuration.finishings", NULL},
    {"{\"configuration\":{\"copies\":\"two\"}}", "configuration.copies", "Int32"},
    {"{\"configuration\":{\"copies\":0}}", "configuration.copies", "at least 1"},
    {"{\"configuration\":{\"copies\":-1}}", "configuration.copies", NULL},
    {"{\"configuration\":{\"copies\":2.5}}", "configuration.copies", NULL},
    {"{\"configuration\":{\"copies\":4294967296}}", "configuration.copies", NULL},
    {"{\"configuration\":{\"dpi\":0}}", "configuration.dpi", NULL},
    {"{\"configuration\":{\"pagesPerSheet\":0}}", "configuration.pagesPerSheet", NULL},
    {"{\"configuration\":{\"pageRanges\":[{\"start\":0,\"end\":1}]}}",
     "configuration.pageRanges[0]", NULL},
    {"{\"configuration\":{\"pageRanges\":[{\"start\":1,\"end\":2},{\"start\":3,\"end\":2}]}}",
     "configuration.pageRanges[1]", NULL},
    {"{\"configuration\":{\"pageRanges\":{\"start\":1}}}", "configuration.pageRanges", NULL},
    {"{\"configuration\":{\"margin\":{\"top\":-1}}}", "configuration.margin.top", NULL},
    {"{\"configuration\":{\"margin\":\"x\"}}", "configuration.margin", NULL},
    {"{\"configuration\":{\"collate\":\"yes\"}}", "configuration.collate", NULL},
    {"{\"configuration\":{\"mediaSize\":4}}", "configuration.mediaSize", NULL},
    {"{\"configuration\":{\"foo\":1}}", "configuration.foo", "does not exist"},
    {"{\"configuration\":{\"@odata.type\":\"#microsoft.graph.printJob\"}}", "*", NULL},
    {"{\"configuration\":[]}", "configuration", NULL},
    {"{\"configuration\":null}", "configuration", NULL},
    {"{}", "configuration", "required"},
    {"{\"configuration\":{},\"foo\":1}", "foo", "does not exist"},
    {"{\"configuration\":{},\"status\":{}}", "status", "read-only"},
    {"{\"configuration\":{},\"id\":\"1\"}", "id", "read-only"},
    {"{\"configuration\":{},\"documents\":[]}", "documents", NULL},
    {"{\"configuration\":{},\"createdBy\":{}}", "createdBy", NULL},
    {"{\"configuration\":{},\"isFetchable\":true}", "isFetchable", NULL},
    {"{\"configuration\":{},\"displayName\":\"beta only\"}", "displayName", NULL},
    {"{\"configuration\":{}}", NULL, NULL},
    {"{\"configuration\":{\"@odata.type\":\"microsoft.graph.printJobConfiguration\",\"copies\":1,"
     "\"pageRanges\":[{\"@odata.type\":\"#microsoft.graph.integerRange\",\"start\":1,\"end\":1}],"
     "\"margin\":{\"top\":0,\"bottom\":0,\"left\":0,\"right\":0},\"finishings\":null,\"collate\":"
     "false,\"dpi\":600,\"mediaSize\":\"A4\",\"inputBin\":\"by-pass-tray\",\"fitPdfToPage\":false,"
     "\"pagesPerSheet\":1,\"mediaType\":\"stationery\",\"outputBin\":\"output-tray\"}}",
     NULL, NULL},
    {"{\"configuration\":{\"colorMode\":null,\"copies\":null,\"margin\":null,\"pageRanges\":null}}",
     NULL, NULL},
    {"{\"configuration\":{\"pageRanges\":[{\"start\":2},{\"end\":null,\"start\":3}]}}", NULL, NULL},
};

START_TEST(test_job_configuration)
{
  up_app_t app;
  up_error_t err;
  up_job_t j;
  memset(&app, 0, sizeof(app));
  memset(&j, 0, sizeof(j));
  ck_assert_int_eq(up_schema_load(&app.schema, &err), UP_OK);
  json_t *body = json_loads(job_bodies[_i].body, 0, NULL);
  ck_assert_ptr_nonnull(body);
  up_error_clear(&err);
  up_status_t st = up_job_from_create(&app, body, UP_API_V1, &j, &err);
  if (!job_bodies[_i].target) {
    ck_assert_msg(st == UP_OK, "%s: %s", job_bodies[_i].body, err.message);
    /* Stored without annotations, null collections as []. */
    ck_assert_ptr_nonnull(j.configuration_json);
    ck_assert_ptr_null(strchr(j.configuration_json, '@'));
    ck_assert_ptr_null(strstr(j.configuration_json, "\"finishings\":null"));
    ck_assert_ptr_null(strstr(j.configuration_json, "\"pageRanges\":null"));
  } else {
    ck_assert_msg(st == UP_INVALID, "%s accepted", job_bodies[_i].body);
    if (strcmp(job_bodies[_i].target, "*") != 0)
      ck_assert_msg(strcmp(err.target, job_bodies[_i].target) == 0, "%s: target '%s', message '%s'",
                    job_bodies[_i].body, err.target, err.message);
    if (job_bodies[_i].message)
      ck_assert_msg(strstr(err.message, job_bodies[_i].message), "%s: '%s'", job_bodies[_i].body,
                    err.message);
  }
  up_job_fini(&j);
  json_decref(body);
  up_schema_free(app.schema);
}
END_TEST

/* beta's integerRange has minimum and maximum too: checked like start and end. */
static const struct {
  const char *body;
  bool ok;
} beta_ranges[] = {
    {"{\"configuration\":{\"pageRanges\":[{\"minimum\":1,\"maximum\":3}]}}", true},
    {"{\"configuration\":{\"pageRanges\":[{\"minimum\":2}]}}", true},
    {"{\"configuration\":{\"pageRanges\":[{\"start\":1,\"end\":4,\"minimum\":1,\"maximum\":4}]}}",
     true},
    {"{\"configuration\":{\"pageRanges\":[{\"minimum\":5,\"maximum\":1}]}}", false},
    {"{\"configuration\":{\"pageRanges\":[{\"minimum\":0,\"maximum\":1}]}}", false},
    {"{\"configuration\":{\"pageRanges\":[{\"minimum\":-3}]}}", false},
    {"{\"configuration\":{\"pageRanges\":[{\"start\":1,\"end\":2},{\"maximum\":0}]}}", false},
};

START_TEST(test_job_configuration_beta_ranges)
{
  up_app_t app;
  up_error_t err;
  up_job_t j;
  memset(&app, 0, sizeof(app));
  memset(&j, 0, sizeof(j));
  ck_assert_int_eq(up_schema_load(&app.schema, &err), UP_OK);
  json_t *body = json_loads(beta_ranges[_i].body, 0, NULL);
  ck_assert_ptr_nonnull(body);
  up_status_t st = up_job_from_create(&app, body, UP_API_BETA, &j, &err);
  if (beta_ranges[_i].ok) {
    ck_assert_msg(st == UP_OK, "%s: %s", beta_ranges[_i].body, err.message);
  } else {
    ck_assert_msg(st == UP_INVALID, "%s accepted", beta_ranges[_i].body);
    ck_assert_msg(strncmp(err.target, "configuration.pageRanges[", 25) == 0, "%s: target '%s'",
                  beta_ranges[_i].body, err.target);
  }
  /* v1.0 has no minimum and maximum at all. */
  up_job_fini(&j);
  memset(&j, 0, sizeof(j));
  if (strstr(beta_ranges[_i].body, "minimum") || strstr(beta_ranges[_i].body, "maximum"))
    ck_assert_int_eq(up_job_from_create(&app, body, UP_API_V1, &j, &err), UP_INVALID);
  up_job_fini(&j);
  json_decref(body);
  up_schema_free(app.schema);
}
END_TEST

int main(void)
{
  up_log_set_level(UP_LOG_ERROR);
  Suite *s = suite_create("model");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_bind, 0, sizeof(binds) / sizeof(binds[0]));
  tcase_add_test(tc, test_render_printer);
  tcase_add_loop_test(tc, test_job_configuration_beta_ranges, 0,
                      sizeof(beta_ranges) / sizeof(beta_ranges[0]));
  tcase_add_test(tc, test_render_share_and_operation);
  tcase_add_loop_test(tc, test_check_body, 0, sizeof(bodies) / sizeof(bodies[0]));
  tcase_add_test(tc, test_select_and_context);
  tcase_add_test(tc, test_parse_body);
  tcase_add_loop_test(tc, test_job_configuration, 0, sizeof(job_bodies) / sizeof(job_bodies[0]));
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
