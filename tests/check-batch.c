/* check-batch.c - JSON batching: reading the batch body (every refusal of the whole batch), the
 * rendering of its responses, and batches through up_dispatch() without a socket.
 * SPDX-License-Identifier: Apache-2.0 */
#include "dispatch.h"
#include "test-util.h"
#include "uprintd/app.h"
#include "uprintd/model.h"
#include "uprintd/response.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- the batch body (model-batch.c) --- */

static up_status_t parse(const char *text, up_batch_t *b, up_error_t *err)
{
  json_error_t jerr;
  json_t *v = json_loads(text, JSON_ALLOW_NUL, &jerr);
  ck_assert_msg(v != NULL, "test JSON: %s: %s", text, jerr.text);
  up_error_clear(err);
  up_status_t st = up_batch_from_body(v, b, err);
  json_decref(v);
  return st;
}

START_TEST(test_parse_full_request)
{
  up_batch_t b;
  up_error_t err;
  ck_assert_int_eq(parse("{\"requests\":["
                         "{\"id\":\"a\",\"method\":\"GET\",\"url\":\"/print/printers\"},"
                         "{\"id\":\"b\",\"method\":\"patch\",\"url\":\"print/shares/x\","
                         "\"headers\":{\"content-type\":\"application/json\",\"X-Y\":\"z\"},"
                         "\"body\":{\"displayName\":\"n\",\"allowAllUsers\":true},"
                         "\"dependsOn\":[\"a\",\"a\"]}]}",
                         &b, &err),
                   UP_OK);
  ck_assert_uint_eq(b.n, 2);
  ck_assert_str_eq(b.requests[0].id, "a");
  ck_assert_int_eq(b.requests[0].method, UP_METHOD_GET);
  ck_assert_ptr_null(b.requests[0].body);
  ck_assert_uint_eq(b.requests[0].n_headers, 0);
  ck_assert_int_eq(b.requests[1].method, UP_METHOD_PATCH);
  ck_assert_str_eq(b.requests[1].url, "print/shares/x");
  ck_assert_uint_eq(b.requests[1].n_headers, 2);
  ck_assert_str_eq(b.requests[1].headers[1].name, "X-Y");
  ck_assert_str_eq(b.requests[1].body, "{\"displayName\":\"n\",\"allowAllUsers\":true}");
  ck_assert_uint_eq(b.requests[1].body_len, strlen(b.requests[1].body));
  ck_assert_uint_eq(b.requests[1].n_depends, 1); /* repeats count once */
  ck_assert_uint_eq(b.requests[1].depends[0], 0);
  ck_assert_uint_eq(b.order[0], 0);
  ck_assert_uint_eq(b.order[1], 1);
  up_batch_fini(&b);
  up_batch_fini(&b); /* twice is harmless */
}
END_TEST

/* dependsOn may name a later request: it runs first; the rest keep the batch's order. */
START_TEST(test_parse_order)
{
  up_batch_t b;
  up_error_t err;
  ck_assert_int_eq(parse("{\"requests\":["
                         "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/a\",\"dependsOn\":[\"3\"]},"
                         "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/b\"},"
                         "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/c\",\"dependsOn\":[\"2\"]},"
                         "{\"id\":\"4\",\"method\":\"DELETE\",\"url\":\"/d\",\"body\":null}]}",
                         &b, &err),
                   UP_OK);
  size_t want[] = {1, 2, 0, 3};
  for (size_t i = 0; i < 4; i++)
    ck_assert_uint_eq(b.order[i], want[i]);
  ck_assert_ptr_null(b.requests[3].body); /* a null body is no body */
  up_batch_fini(&b);
}
END_TEST

/* A batch of n GET requests with ids 0..n-1 (new string). */
static char *batch_of(size_t n)
{
  size_t cap = 64 + n * 64;
  char *s = malloc(cap);
  ck_assert_ptr_nonnull(s);
  strcpy(s, "{\"requests\":[");
  for (size_t i = 0; i < n; i++)
    snprintf(s + strlen(s), cap - strlen(s),
             "%s{\"id\":\"%zu\",\"method\":\"GET\",\"url\":\"/print/printers\"}", i ? "," : "", i);
  strcat(s, "]}");
  return s;
}

START_TEST(test_parse_twenty_at_most)
{
  up_batch_t b;
  up_error_t err;
  char *twenty = batch_of(20), *more = batch_of(21);
  ck_assert_int_eq(parse(twenty, &b, &err), UP_OK);
  ck_assert_uint_eq(b.n, 20);
  up_batch_fini(&b);
  ck_assert_int_eq(parse(more, &b, &err), UP_INVALID);
  ck_assert_str_eq(err.code, "BadRequest");
  ck_assert_ptr_nonnull(strstr(err.message, "at most 20"));
  ck_assert_ptr_nonnull(strstr(err.message, "21"));
  up_batch_fini(&b);
  free(twenty);
  free(more);
}
END_TEST

#define REQ(extra) "{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\"" extra "}]}"

static const struct {
  const char *body, *says, *target;
} refusals[] = {
    {"[]", "JSON object", ""},
    {"{}", "\"requests\" array", "requests"},
    {"{\"requests\":{}}", "\"requests\" array", "requests"},
    {"{\"requests\":[]}", "empty", "requests"},
    {"{\"requests\":[],\"atomicityGroup\":1}", "'atomicityGroup' is not a member",
     "atomicityGroup"},
    {"{\"requests\":[1]}", "requests[0] must be an object", "requests[0]"},
    {REQ(",\"extra\":1"), "'extra' is not a member of a batch request", "requests[0].extra"},
    {"{\"requests\":[{\"method\":\"GET\",\"url\":\"/x\"}]}", "non-empty string", "requests[0].id"},
    {"{\"requests\":[{\"id\":\"\",\"method\":\"GET\",\"url\":\"/x\"}]}", "non-empty string",
     "requests[0].id"},
    {"{\"requests\":[{\"id\":1,\"method\":\"GET\",\"url\":\"/x\"}]}", "non-empty string",
     "requests[0].id"},
    {"{\"requests\":[{\"id\":\"a\\u0000b\",\"method\":\"GET\",\"url\":\"/x\"}]}",
     "non-empty string", "requests[0].id"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\"},"
     "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/y\"}]}",
     "'1' is used by more than one request", "requests[1].id"},
    {"{\"requests\":[{\"id\":\"1\",\"url\":\"/x\"}]}", "GET, POST, PATCH, PUT and DELETE",
     "requests[0].method"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"HEAD\",\"url\":\"/x\"}]}",
     "GET, POST, PATCH, PUT and DELETE", "requests[0].method"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"OPTIONS\",\"url\":\"/x\"}]}",
     "GET, POST, PATCH, PUT and DELETE", "requests[0].method"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"GETTING\",\"url\":\"/x\"}]}",
     "GET, POST, PATCH, PUT and DELETE", "requests[0].method"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":7,\"url\":\"/x\"}]}",
     "GET, POST, PATCH, PUT and DELETE", "requests[0].method"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"GET\"}]}", "url of request '1'", "requests[0].url"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"\"}]}", "non-empty string",
     "requests[0].url"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":[\"/x\"]}]}", "non-empty string",
     "requests[0].url"},
    {REQ(",\"headers\":[]"), "object of strings", "requests[0].headers"},
    {REQ(",\"headers\":{\"Prefer\":1}"), "header 'Prefer'", "requests[0].headers"},
    {REQ(",\"body\":{}"), "no Content-Type header", "requests[0].headers"},
    {REQ(",\"headers\":{\"Accept\":\"application/json\"},\"body\":{\"a\":1}"),
     "no Content-Type header", "requests[0].headers"},
    {REQ(",\"dependsOn\":\"2\""), "array of request ids", "requests[0].dependsOn"},
    {REQ(",\"dependsOn\":[2]"), "array of request ids", "requests[0].dependsOn"},
    {REQ(",\"dependsOn\":[\"2\"]"), "depends on '2', which is not a request of the batch",
     "requests[0].dependsOn"},
    {REQ(",\"dependsOn\":[\"1\"]"), "depends on itself", "requests[0].dependsOn"},
    {"{\"requests\":[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/x\"},"
     "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/y\",\"dependsOn\":[\"3\"]},"
     "{\"id\":\"3\",\"method\":\"GET\",\"url\":\"/z\",\"dependsOn\":[\"2\"]}]}",
     "cycle", "requests[1].dependsOn"},
};

START_TEST(test_parse_refusals)
{
  up_batch_t b;
  up_error_t err;
  ck_assert_int_eq(parse(refusals[_i].body, &b, &err), UP_INVALID);
  ck_assert_str_eq(err.code, "BadRequest");
  ck_assert_msg(strstr(err.message, "Invalid batch request") &&
                    strstr(err.message, refusals[_i].says),
                "case %d: '%s' lacks '%s'", _i, err.message, refusals[_i].says);
  ck_assert_str_eq(err.target, refusals[_i].target);
  up_batch_fini(&b);
}
END_TEST

/* --- rendering the responses --- */

START_TEST(test_render)
{
  const char *names[] = {"Content-Type", "Location"};
  const char *values[] = {"application/json;odata.metadata=minimal", "http://x/y"};
  const char *text_type[] = {"text/plain"};
  json_t *r[4];
  up_batch_answer_t json_answer = {"1", 201, names, values, 2, "{\"a\":[1,2]}", 11};
  up_batch_answer_t text_answer = {"2", 200, names, text_type, 1, "plain text", 10};
  up_batch_answer_t binary_answer = {"3", 200, NULL, NULL, 0, "\xff\x00\x01", 3};
  up_batch_answer_t empty_answer = {"4", 204, names + 1, values + 1, 1, NULL, 0};
  r[0] = up_batch_response_render(&json_answer);
  r[1] = up_batch_response_render(&text_answer);
  r[2] = up_batch_response_render(&binary_answer);
  r[3] = up_batch_response_render(&empty_answer);
  json_t *all = up_batch_render(r, 4);
  ck_assert_ptr_nonnull(all);
  for (size_t i = 0; i < 4; i++)
    ck_assert_ptr_null(r[i]);
  char *text = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
  ck_assert_str_eq(
      text, "{\"responses\":["
            "{\"id\":\"1\",\"status\":201,\"headers\":{\"Content-Type\":\"application/"
            "json;odata.metadata=minimal\",\"Location\":\"http://x/y\"},\"body\":{\"a\":[1,2]}},"
            "{\"id\":\"2\",\"status\":200,\"headers\":{\"Content-Type\":\"text/plain\"},"
            "\"body\":\"plain text\"},"
            "{\"id\":\"3\",\"status\":200,\"headers\":{},\"body\":\"/wAB\"},"
            "{\"id\":\"4\",\"status\":204,\"headers\":{\"Location\":\"http://x/y\"}}]}");
  free(text);
  json_decref(all);
  /* A missing response fails the whole (and releases the others). */
  r[0] = up_batch_response_render(&json_answer);
  r[1] = NULL;
  ck_assert_ptr_null(up_batch_render(r, 2));
  ck_assert_ptr_null(r[0]);
}
END_TEST

/* --- batches through the pipeline --- */

static up_app_t *app;
static char *admin, *reader, *app_token;

/* POSTs body to url with token; returns the status, the parsed answer in *out. */
static int post(const char *url, const char *token, const char *body, json_t **out)
{
  up_answer_t a;
  up_test_headers_t f = {token, "application/json", NULL, ""};
  up_body_t b = {.data = (char *)body, .len = strlen(body), .limit = SIZE_MAX};
  up_dispatch(app, &(up_dispatch_in_t){"POST", url, &b, up_test_header, &f, false}, &a);
  *out = a.body ? json_loads(a.body, 0, NULL) : NULL;
  free(a.body);
  return a.status;
}

static char *issue(const up_token_spec_t *spec)
{
  return up_test_issue(app->keys, spec);
}

static void setup(void)
{
  app = up_test_app_open(NULL);
  admin = issue(&(up_token_spec_t){.upn = "admin@contoso.com",
                                   .roles = "PrinterAdministrator",
                                   .scopes = "Printer.FullControl.All PrinterShare.ReadWrite.All "
                                             "PrintJob.ReadWrite.All"});
  reader = issue(
      &(up_token_spec_t){.upn = "reader@contoso.com", .scopes = "PrinterShare.ReadBasic.All"});
  app_token = issue(&(up_token_spec_t){.app_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                                       .scopes = "Printer.ReadWrite.All"});
}

static void teardown(void)
{
  free(admin);
  free(reader);
  free(app_token);
  up_test_app_close(app);
}

static json_t *response(json_t *batch, size_t i)
{
  return json_array_get(json_object_get(batch, "responses"), i);
}

static int status_of(json_t *batch, size_t i)
{
  return (int)json_integer_value(json_object_get(response(batch, i), "status"));
}

static const char *header_of(json_t *batch, size_t i, const char *name)
{
  return json_string_value(json_object_get(json_object_get(response(batch, i), "headers"), name));
}

static const char *error_of(json_t *batch, size_t i, const char *member)
{
  json_t *e = json_object_get(json_object_get(response(batch, i), "body"), "error");
  return json_string_value(json_object_get(e, member));
}

static const char printer_body[] =
    "{\"displayName\":\"P1\",\"manufacturer\":\"Contoso\",\"model\":\"LJ 9\","
    "\"hasPhysicalDevice\":false,"
    "\"certificateSigningRequest\":{\"content\":\"MIIC\",\"transportKey\":\"MIIB\"}}";

START_TEST(test_batch_through_the_pipeline)
{
  json_t *out;
  char body[8192];
  snprintf(body, sizeof(body),
           "{\"requests\":["
           /* 0: registration keeps its 202 headers */
           "{\"id\":\"create\",\"method\":\"POST\",\"url\":\"/print/printers/create\","
           "\"headers\":{\"Content-Type\":\"application/json\",\"client-request-id\":\"c-1\","
           "\"Authorization\":\"Bearer forged\"},\"body\":%s},"
           /* 1: after it, the list holds the printer */
           "{\"id\":\"list\",\"method\":\"GET\",\"url\":\"print/printers?$select=id,displayName\","
           "\"dependsOn\":[\"create\"]},"
           /* 2, 3, 4: a 404, its dependent 424, and that one's dependent 424 */
           "{\"id\":\"missing\",\"method\":\"GET\",\"url\":\"/print/shares/nope\"},"
           "{\"id\":\"after-missing\",\"method\":\"GET\",\"url\":\"/print/shares\","
           "\"dependsOn\":[\"missing\"]},"
           "{\"id\":\"after-after\",\"method\":\"GET\",\"url\":\"/print/shares\","
           "\"dependsOn\":[\"after-missing\"]},"
           /* 5-10: URLs */
           "{\"id\":\"beta\",\"method\":\"GET\",\"url\":\"/beta/print/shares\"},"
           "{\"id\":\"nested\",\"method\":\"POST\",\"url\":\"/%%24batch\","
           "\"headers\":{\"Content-Type\":\"application/json\"},\"body\":{\"requests\":[]}},"
           "{\"id\":\"upload\",\"method\":\"PUT\",\"url\":\"/_uprintd/uploads/x\"},"
           "{\"id\":\"ours\",\"method\":\"GET\",\"url\":\"http://TEST.local/v1.0/print/shares\"},"
           "{\"id\":\"graph\",\"method\":\"GET\","
           "\"url\":\"https://graph.microsoft.com/v1.0/print/shares\"},"
           "{\"id\":\"elsewhere\",\"method\":\"GET\","
           "\"url\":\"https://example.com/v1.0/print/shares\"},"
           /* 11-13: the pipeline's own refusals */
           "{\"id\":\"text\",\"method\":\"POST\",\"url\":\"/print/shares\","
           "\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":\"x\"},"
           "{\"id\":\"put\",\"method\":\"PUT\",\"url\":\"/print/printers\"},"
           "{\"id\":\"v1\",\"method\":\"GET\",\"url\":\"/V1.0/print/operations\"}"
           "]}",
           printer_body);
  ck_assert_int_eq(post("/v1.0/$batch", admin, body, &out), 200);
  ck_assert_uint_eq(json_array_size(json_object_get(out, "responses")), 14);
  /* Request order, ids echoed. */
  ck_assert_str_eq(json_string_value(json_object_get(response(out, 2), "id")), "missing");

  ck_assert_int_eq(status_of(out, 0), 202);
  ck_assert_ptr_nonnull(header_of(out, 0, "Operation-Location"));
  ck_assert_str_eq(header_of(out, 0, "Retry-After"), "5");
  ck_assert_str_eq(header_of(out, 0, "client-request-id"), "c-1");
  ck_assert_ptr_nonnull(header_of(out, 0, "request-id"));
  ck_assert_ptr_null(json_object_get(response(out, 0), "body")); /* a 202 without a body */
  ck_assert_int_eq(status_of(out, 1), 200);
  ck_assert_str_eq(header_of(out, 1, "Content-Type"), UP_JSON_CONTENT_TYPE);
  json_t *list = json_object_get(json_object_get(response(out, 1), "body"), "value");
  ck_assert_uint_eq(json_array_size(list), 1);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "displayName")),
                   "P1");

  ck_assert_int_eq(status_of(out, 2), 404);
  ck_assert_str_eq(error_of(out, 2, "code"), "itemNotFound");
  ck_assert_int_eq(status_of(out, 3), 424);
  ck_assert_str_eq(error_of(out, 3, "code"), "failedDependency");
  ck_assert_ptr_nonnull(strstr(error_of(out, 3, "message"), "'missing'"));
  ck_assert_int_eq(status_of(out, 4), 424);
  ck_assert_ptr_nonnull(strstr(error_of(out, 4, "message"), "status 424"));

  ck_assert_int_eq(status_of(out, 5), 400);
  ck_assert_ptr_nonnull(strstr(error_of(out, 5, "message"), "version beta"));
  ck_assert_int_eq(status_of(out, 6), 400);
  ck_assert_ptr_nonnull(strstr(error_of(out, 6, "message"), "another batch"));
  ck_assert_int_eq(status_of(out, 7), 400);
  ck_assert_ptr_nonnull(strstr(error_of(out, 7, "message"), "not reachable through a batch"));
  ck_assert_int_eq(status_of(out, 8), 200);
  ck_assert_int_eq(status_of(out, 9), 200);
  ck_assert_int_eq(status_of(out, 10), 400);
  ck_assert_ptr_nonnull(strstr(error_of(out, 10, "message"), "not relative"));

  ck_assert_int_eq(status_of(out, 11), 415);
  ck_assert_int_eq(status_of(out, 12), 405);
  ck_assert_str_eq(header_of(out, 12, "Allow"), "GET");
  ck_assert_int_eq(status_of(out, 13), 200);
  /* Every error envelope names its own request id. */
  json_t *inner = json_object_get(
      json_object_get(json_object_get(response(out, 3), "body"), "error"), "innerError");
  ck_assert_str_eq(json_string_value(json_object_get(inner, "request-id")),
                   header_of(out, 3, "request-id"));
  json_decref(out);
}
END_TEST

/* The batch needs a valid token and nothing more; each request is judged on its own. */
START_TEST(test_batch_permissions)
{
  json_t *out;
  const char *body = "{\"requests\":["
                     "{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/print/shares\"},"
                     "{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/print/printers\"}]}";
  ck_assert_int_eq(post("/v1.0/$batch", NULL, body, &out), 401);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "error"), "code")),
                   "InvalidAuthenticationToken");
  json_decref(out);
  ck_assert_int_eq(post("/beta/$batch", reader, body, &out), 200);
  ck_assert_int_eq(status_of(out, 0), 200);
  ck_assert_int_eq(status_of(out, 1), 403);
  ck_assert_str_eq(error_of(out, 1, "code"), "accessDenied");
  json_decref(out);
  /* An application: printers cannot be listed with application permissions. */
  ck_assert_int_eq(post("/v1.0/$batch", app_token, body, &out), 200);
  ck_assert_int_eq(status_of(out, 0), 403);
  ck_assert_int_eq(status_of(out, 1), 403);
  json_decref(out);
}
END_TEST

/* A request's body keeps its route's limit inside the batch; the batch is a JSON route. */
START_TEST(test_batch_limits)
{
  json_t *out;
  size_t n = 20 * 1024;
  char *body = malloc(n + 512);
  ck_assert_ptr_nonnull(body);
  strcpy(body, "{\"requests\":[{\"id\":\"1\",\"method\":\"POST\","
               "\"url\":\"/print/shares/x/allowedUsers/$ref\","
               "\"headers\":{\"Content-Type\":\"application/json\"},"
               "\"body\":{\"@odata.id\":\"");
  size_t off = strlen(body);
  memset(body + off, 'a', n);
  strcpy(body + off + n, "\"}}]}");
  ck_assert_int_eq(post("/v1.0/$batch", admin, body, &out), 200);
  ck_assert_int_eq(status_of(out, 0), 413);
  json_decref(out);
  free(body);
  /* Malformed JSON and another content type are the batch's own refusals. */
  ck_assert_int_eq(post("/v1.0/$batch", admin, "{\"requests\":[", &out), 400);
  ck_assert_ptr_nonnull(strstr(
      json_string_value(json_object_get(json_object_get(out, "error"), "message")), "position"));
  json_decref(out);
  ck_assert_int_eq(post("/v1.0/$batch", admin, "{\"requests\":[]}", &out), 400);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "error"), "code")),
                   "BadRequest");
  json_decref(out);
  up_answer_t a;
  up_test_headers_t f = {admin, "text/plain", NULL, ""};
  const char *text = "{\"requests\":[]}";
  up_body_t b = {.data = (char *)text, .len = strlen(text), .limit = SIZE_MAX};
  up_dispatch(app, &(up_dispatch_in_t){"POST", "/v1.0/$batch", &b, up_test_header, &f, false}, &a);
  ck_assert_int_eq(a.status, 415);
  free(a.body);
  up_dispatch(app, &(up_dispatch_in_t){"GET", "/v1.0/$batch", &b, up_test_header, &f, false}, &a);
  ck_assert_int_eq(a.status, 405);
  free(a.body);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("batch");
  TCase *model = tcase_create("model");
  tcase_add_test(model, test_parse_full_request);
  tcase_add_test(model, test_parse_order);
  tcase_add_test(model, test_parse_twenty_at_most);
  tcase_add_loop_test(model, test_parse_refusals, 0, sizeof(refusals) / sizeof(refusals[0]));
  tcase_add_test(model, test_render);
  suite_add_tcase(s, model);
  TCase *api = tcase_create("api");
  tcase_add_checked_fixture(api, setup, teardown);
  tcase_set_timeout(api, 60);
  tcase_add_test(api, test_batch_through_the_pipeline);
  tcase_add_test(api, test_batch_permissions);
  tcase_add_test(api, test_batch_limits);
  suite_add_tcase(s, api);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
