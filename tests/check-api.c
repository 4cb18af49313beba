/* check-api.c - the request pipeline and the printer/share handlers, without a socket:
 * requests go through up_dispatch() against a store in a temporary data folder.
 * SPDX-License-Identifier: Apache-2.0 */
#include "dispatch.h"
#include "test-util.h"
#include "uprintd/app.h"
#include "uprintd/response.h"
#include "uprintd/router.h"

#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static up_app_t *app;
static char *admin, *other_tenant, *app_token;

/* What a request sends: token, Content-Type, client-request-id (test-util.h). */
typedef up_test_headers_t call_opts_t;

/* Sends one request; returns the status and (new) parsed body in *out (NULL without one). */
static int call(const char *method, const char *url, const char *body, const call_opts_t *o,
                up_answer_t *a, json_t **out)
{
  up_test_headers_t f = *o;
  up_body_t b = {0};
  b.limit = (size_t)app->config.max_json_kb * 1024;
  if (body) {
    b.data = (char *)body;
    b.len = strlen(body);
  }
  up_dispatch(app, &(up_dispatch_in_t){method, url, &b, up_test_header, &f, false}, a);
  if (out)
    *out = a->body ? json_loads(a->body, 0, NULL) : NULL;
  return a->status;
}

static const char *answer_header(const up_answer_t *a, const char *name)
{
  for (size_t i = 0; i < a->n_headers; i++)
    if (strcasecmp(a->headers[i].name, name) == 0)
      return a->headers[i].value;
  return NULL;
}

/* A short form: JSON body with the admin token. */
static int req(const char *method, const char *url, const char *body, json_t **out)
{
  up_answer_t a;
  call_opts_t o = {admin, body ? "application/json" : NULL, NULL, ""};
  int st = call(method, url, body, &o, &a, out);
  free(a.body);
  return st;
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
  other_tenant =
      issue(&(up_token_spec_t){.upn = "admin@fabrikam.com",
                               .tenant_id = "11111111-2222-3333-4444-555555555555",
                               .roles = "PrinterAdministrator",
                               .scopes = "Printer.FullControl.All PrinterShare.ReadWrite.All"});
  app_token = issue(&(up_token_spec_t){.app_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                                       .scopes = "Printer.ReadWrite.All"});
}

static void teardown(void)
{
  free(admin);
  free(other_tenant);
  free(app_token);
  up_test_app_close(app);
}

static const char printer_body[] =
    "{\"displayName\":\"P1\",\"manufacturer\":\"Contoso\",\"model\":\"LJ "
    "9\",\"hasPhysicalDevice\":false,"
    "\"certificateSigningRequest\":{\"content\":\"MIIC\",\"transportKey\":\"MIIB\"}}";

/* Registers a printer with token; returns its id (static buffer). */
static const char *make_printer(const char *token)
{
  static char id[64];
  up_answer_t a;
  json_t *op;
  call_opts_t o = {token, "application/json", NULL, ""};
  ck_assert_int_eq(call("POST", "/v1.0/print/printers/create", printer_body, &o, &a, NULL), 202);
  const char *loc = answer_header(&a, "Operation-Location");
  ck_assert_ptr_nonnull(loc);
  ck_assert(strncmp(loc, "http://test.local/v1.0/print/operations/", 40) == 0);
  ck_assert_str_eq(answer_header(&a, "Retry-After"), "5");
  char url[256];
  snprintf(url, sizeof(url), "/v1.0/print/operations/%s", loc + 40);
  free(a.body);
  ck_assert_int_eq(call("GET", url, NULL, &o, &a, &op), 200);
  free(a.body);
  ck_assert_str_eq(json_string_value(json_object_get(op, "@odata.type")),
                   "#microsoft.graph.printerCreateOperation");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(op, "status"), "state")),
                   "succeeded");
  snprintf(id, sizeof(id), "%s",
           json_string_value(json_object_get(json_object_get(op, "printer"), "id")));
  json_decref(op);
  return id;
}

START_TEST(test_headers_and_envelope)
{
  up_answer_t a;
  json_t *body;
  call_opts_t o = {NULL, NULL, "my-correlation-1", ""};
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", NULL, &o, &a, &body), 401);
  ck_assert_str_eq(answer_header(&a, "client-request-id"), "my-correlation-1");
  ck_assert_str_eq(answer_header(&a, "OData-Version"), "4.0");
  ck_assert_str_eq(answer_header(&a, "Content-Type"), UP_JSON_CONTENT_TYPE);
  json_t *e = json_object_get(body, "error");
  ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "InvalidAuthenticationToken");
  json_t *inner = json_object_get(e, "innerError");
  ck_assert_str_eq(json_string_value(json_object_get(inner, "request-id")),
                   answer_header(&a, "request-id"));
  ck_assert_str_eq(json_string_value(json_object_get(inner, "client-request-id")),
                   "my-correlation-1");
  ck_assert_uint_eq(strlen(json_string_value(json_object_get(inner, "date"))), 19);
  json_decref(body);
  free(a.body);
}
END_TEST

START_TEST(test_request_errors)
{
  up_answer_t a;
  json_t *body;
  call_opts_t text = {admin, "text/plain", NULL, ""};
  ck_assert_int_eq(call("POST", "/v1.0/print/shares", "{}", &text, &a, NULL), 415);
  free(a.body);
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", "{\"displayName\":", &body), 400);
  ck_assert(strstr(json_string_value(json_object_get(json_object_get(body, "error"), "message")),
                   "position"));
  json_decref(body);
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", "[1,2]", NULL), 400);
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", "\"x\"", NULL), 400);
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", "{\"a\":1,\"a\":2}", NULL), 400);
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", "  ", NULL), 400);
  ck_assert_int_eq(req("GET", "/v2.0/print/printers", NULL, NULL), 400);
  ck_assert_int_eq(req("GET", "/v1.0/print/printers?$select=bogus", NULL, NULL), 400);
  ck_assert_int_eq(req("GET", "/v1.0/print/printers?$top=x", NULL, NULL), 400);
  /* Options a route does not support are refused, not ignored; an empty $select too. */
  ck_assert_int_eq(req("GET", "/v1.0/print/printers?$count=true", NULL, &body), 400);
  ck_assert(strstr(json_string_value(json_object_get(json_object_get(body, "error"), "message")),
                   "$count"));
  json_decref(body);
  ck_assert_int_eq(req("GET", "/v1.0/print/operations?$search=x", NULL, NULL), 400);
  ck_assert_int_eq(req("GET", "/v1.0/print/printers?$select=", NULL, NULL), 400);
  ck_assert_int_eq(req("GET", "/v1.0/print/printers?$format=json&unrelated=1", NULL, NULL), 200);
  ck_assert_int_eq(
      req("GET", "/v1.0/print/printers/00000000-0000-0000-0000-000000000000", NULL, NULL), 404);
  /* Client text that is not UTF-8, quoted in a message, still yields a Graph error envelope. */
  static const struct {
    const char *url, *says;
  } raw[] = {{"/\xff", "Invalid version"},
             {"/v1.0/print/\xc3", "segment '?'"},
             {"/v1.0/print/printers?$\xff=1", "not supported"},
             {"/v1.0/print/printers?$top=\xe2\x82", "$top"}};
  for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
    call_opts_t plain = {admin, NULL, NULL, ""};
    ck_assert_int_eq(call("GET", raw[i].url, NULL, &plain, &a, &body), 400);
    const char *msg = json_string_value(json_object_get(json_object_get(body, "error"), "message"));
    ck_assert_msg(msg && strstr(msg, raw[i].says), "%s: %s", raw[i].url,
                  msg ? msg : "(no message)");
    json_decref(body);
    free(a.body);
  }
  char key[400] = "{\"";
  for (int i = 0; i < 60; i++)
    strcat(key, "\xc3\xa9");
  strcat(key, "\":1}");
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", key, &body), 400);
  ck_assert_ptr_nonnull(json_object_get(body, "error"));
  json_decref(body);
  /* A client-request-id with a quote is not echoed (it would break headers and JSON). */
  call_opts_t quoted = {NULL, NULL, "a\"b", ""};
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", NULL, &quoted, &a, NULL), 401);
  ck_assert_str_eq(answer_header(&a, "client-request-id"), answer_header(&a, "request-id"));
  free(a.body);
  /* Deep nesting is refused before validation. */
  char deep[200] = "{\"location\":";
  for (int i = 0; i < 40; i++)
    strcat(deep, "[");
  for (int i = 0; i < 40; i++)
    strcat(deep, "]");
  strcat(deep, "}");
  ck_assert_int_eq(req("PATCH", "/v1.0/print/printers/x", deep, NULL), 400);
  /* 405 names the allowed methods. */
  call_opts_t o = {admin, NULL, NULL, ""};
  ck_assert_int_eq(call("PUT", "/v1.0/print/printers", NULL, &o, &a, NULL), 405);
  ck_assert_str_eq(answer_header(&a, "Allow"), "GET");
  free(a.body);
  /* An over-long body flagged by the HTTP layer is a 413. */
  up_body_t b = {.limit = 4, .too_large = true};
  up_test_headers_t f = {admin, "application/json", NULL, ""};
  up_dispatch(app, &(up_dispatch_in_t){"POST", "/v1.0/print/shares", &b, up_test_header, &f, false},
              &a);
  ck_assert_int_eq(a.status, 413);
  free(a.body);
  up_dispatch_too_long(app, 99999, up_test_header, &f, &a);
  ck_assert_int_eq(a.status, 414);
  free(a.body);
}
END_TEST

/* A route's body limit (the table's column) refuses bodies the global limit would take. */
START_TEST(test_route_body_limit)
{
  json_t *e;
  char url[256];
  const char *id = make_printer(admin);
  size_t n = 20 * 1024;
  char *big = malloc(n + 64);
  ck_assert_ptr_nonnull(big);
  /* A JSON object of 20 KiB: under --max-json-kb and the share route's 64 KiB, over
   * createUploadSession's 16 KiB. */
  strcpy(big, "{\"displayName\":\"");
  memset(big + strlen(big), 'a', n);
  strcpy(big + 16 + n, "\"}");
  ck_assert_uint_lt(strlen(big), (size_t)app->config.max_json_kb * 1024);
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s/jobs/1/documents/x/createUploadSession", id);
  ck_assert_int_eq(req("POST", url, big, &e), 413);
  ck_assert_ptr_nonnull(
      strstr(json_string_value(json_object_get(json_object_get(e, "error"), "message")), "16 KiB"));
  json_decref(e);
  /* The share route takes it (and refuses it for what it says: too long a name). */
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", big, &e), 400);
  json_decref(e);
  free(big);
  /* Routes without a JSON body have no limit of their own. */
  for (const up_route_t *r = up_routes; r->pattern; r++)
    if (r->body == UP_BODY_NONE || r->body == UP_BODY_STREAM)
      ck_assert_uint_eq(r->body_kb, 0);
}
END_TEST

START_TEST(test_printer_lifecycle)
{
  json_t *p;
  char url[256];
  const char *id = make_printer(admin);
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", id);
  ck_assert_int_eq(req("GET", url, NULL, &p), 200);
  ck_assert_str_eq(json_string_value(json_object_get(p, "@odata.context")),
                   "http://test.local/v1.0/$metadata#print/printers/$entity");
  ck_assert_str_eq(json_string_value(json_object_get(p, "displayName")), "P1");
  json_decref(p);
  /* GUIDs in URLs compare case-insensitively. */
  char upper[256];
  snprintf(upper, sizeof(upper), "/v1.0/print/printers/%s", id);
  for (char *c = upper + 21; *c; c++)
    *c = (char)toupper((unsigned char)*c);
  ck_assert_int_eq(req("GET", upper, NULL, &p), 200);
  ck_assert_str_eq(json_string_value(json_object_get(p, "id")), id);
  ck_assert(json_is_false(json_object_get(p, "isShared")));
  ck_assert(json_is_false(json_object_get(p, "hasPhysicalDevice")));
  ck_assert_ptr_nonnull(json_object_get(p, "defaults"));
  ck_assert_ptr_null(json_object_get(p, "capabilities"));
  ck_assert_uint_eq(strlen(json_string_value(json_object_get(p, "registeredDateTime"))), 28);
  json_decref(p);

  /* $select brings capabilities and nothing else. */
  snprintf(url, sizeof(url), "/beta/print/printers/%s?$select=id,capabilities", id);
  ck_assert_int_eq(req("GET", url, NULL, &p), 200);
  ck_assert_uint_eq(json_object_size(p), 3);
  ck_assert_str_eq(json_string_value(json_object_get(p, "@odata.context")),
                   "http://test.local/beta/$metadata#print/printers(id,capabilities)/$entity");
  ck_assert(json_is_array(json_object_get(json_object_get(p, "capabilities"), "contentTypes")));
  json_decref(p);

  /* PATCH: good values apply, bad ones are refused and change nothing. */
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", id);
  ck_assert_int_eq(
      req("PATCH", url,
          "{\"displayName\":\"P2\",\"location\":{\"building\":\"B1\",\"latitude\":1.5},"
          "\"defaults\":{\"colorMode\":\"color\",\"copiesPerJob\":2}}",
          &p),
      200);
  ck_assert_str_eq(json_string_value(json_object_get(p, "displayName")), "P2");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "location"), "building")),
                   "B1");
  ck_assert_int_eq(
      json_integer_value(json_object_get(json_object_get(p, "defaults"), "copiesPerJob")), 2);
  /* Complex values merge: members the body leaves out keep their values. */
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "defaults"), "duplexMode")),
                   "oneSided");
  json_decref(p);
  static const char *const bad[] = {"{\"defaults\":{\"colorMode\":\"rainbow\"}}",
                                    "{\"location\":{\"latitude\":\"n\"}}",
                                    "{\"displayName\":null}",
                                    "{\"id\":\"x\"}",
                                    "{\"isShared\":true}",
                                    "{\"status\":{\"state\":\"idle\"}}",
                                    "{\"manufacturer\":\"X\"}",
                                    "{\"bogus\":1}",
                                    "{\"displayName\":\"ok\",\"bogus\":1}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(req("PATCH", url, bad[i], NULL) == 400, "%s", bad[i]);
  ck_assert_int_eq(req("GET", url, NULL, &p), 200);
  ck_assert_str_eq(json_string_value(json_object_get(p, "displayName")), "P2");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "defaults"), "colorMode")),
                   "color");
  json_decref(p);

  /* restoreFactoryDefaults brings the registration defaults back. */
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s/restoreFactoryDefaults", id);
  ck_assert_int_eq(req("POST", url, NULL, NULL), 204);
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", id);
  ck_assert_int_eq(req("GET", url, NULL, &p), 200);
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "defaults"), "colorMode")),
                   "auto");
  json_decref(p);

  /* The list leaves out defaults and capabilities. */
  ck_assert_int_eq(req("GET", "/v1.0/print/printers", NULL, &p), 200);
  json_t *items = json_object_get(p, "value");
  ck_assert_uint_eq(json_array_size(items), 1);
  ck_assert_ptr_null(json_object_get(json_array_get(items, 0), "defaults"));
  json_decref(p);

  /* An oversize body is refused even where no body is expected, and nothing happens. */
  up_answer_t a;
  up_body_t big = {.limit = 4, .too_large = true};
  up_test_headers_t f = {admin, NULL, NULL, ""};
  up_dispatch(app, &(up_dispatch_in_t){"DELETE", url, &big, up_test_header, &f, false}, &a);
  ck_assert_int_eq(a.status, 413);
  free(a.body);
  ck_assert_int_eq(req("GET", url, NULL, NULL), 200);

  ck_assert_int_eq(req("DELETE", url, NULL, NULL), 204);
  ck_assert_int_eq(req("GET", url, NULL, NULL), 404);
  ck_assert_int_eq(req("DELETE", url, NULL, NULL), 404);
}
END_TEST

START_TEST(test_app_patch)
{
  char url[256];
  json_t *p;
  up_answer_t a;
  /* Registered by an administrator through the app (delegated: registration has no application
   * permission), without a physical device: the app may change device properties. */
  char *via_app =
      issue(&(up_token_spec_t){.upn = "admin@contoso.com",
                               .app_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                               .roles = "PrinterAdministrator",
                               .scopes = "Printer.FullControl.All PrinterShare.ReadWrite.All"});
  const char *id = make_printer(via_app);
  free(via_app);
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", id);
  call_opts_t o = {app_token, "application/json", NULL, ""};
  ck_assert_int_eq(call("PATCH", url,
                        "{\"manufacturer\":\"Fabrikam\",\"isAcceptingJobs\":false,"
                        "\"status\":{\"state\":\"stopped\",\"details\":[\"mediaJam\"]}}",
                        &o, &a, &p),
                   200);
  free(a.body);
  ck_assert_str_eq(json_string_value(json_object_get(p, "manufacturer")), "Fabrikam");
  ck_assert(json_is_false(json_object_get(p, "isAcceptingJobs")));
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "status"), "state")),
                   "stopped");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "status"), "description")),
                   "");
  json_decref(p);
  /* Another printer, registered by a user: the app may not. */
  const char *other = make_printer(admin);
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", other);
  ck_assert_int_eq(call("PATCH", url, "{\"model\":\"X\"}", &o, &a, NULL), 403);
  free(a.body);
}
END_TEST

START_TEST(test_shares)
{
  char url[256], bind[256], body[512], share[64];
  json_t *s;
  up_answer_t a;
  const char *p1 = strdup(make_printer(admin));
  const char *p2 = strdup(make_printer(admin));
  snprintf(bind, sizeof(bind), "https://graph.microsoft.com/v1.0/print/printers/%s", p1);
  snprintf(body, sizeof(body),
           "{\"displayName\":\"S1\",\"allowAllUsers\":true,\"printer@odata.bind\":\"%s\"}", bind);
  call_opts_t o = {admin, "application/json", NULL, ""};
  ck_assert_int_eq(call("POST", "/v1.0/print/shares", body, &o, &a, &s), 201);
  snprintf(share, sizeof(share), "%s", json_string_value(json_object_get(s, "id")));
  ck_assert(strstr(answer_header(&a, "Location"), share));
  free(a.body);
  ck_assert_str_eq(json_string_value(json_object_get(s, "manufacturer")), "Contoso");
  ck_assert(json_is_true(json_object_get(s, "allowAllUsers")));
  json_decref(s);
  /* One share per printer. */
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", body, NULL), 409);
  /* Name rules and binds. */
  static const char *const bad[] = {
      "{\"allowAllUsers\":true,\"printer@odata.bind\":\"/print/printers/%s\"}",
      "{\"displayName\":\"123456789012345678901234567890123456789012345678901\",\"printer@odata."
      "bind\":\"print/printers/%s\"}",
      "{\"displayName\":\"x\"}",
      "{\"displayName\":\"x\",\"printer@odata.bind\":\"/print/shares/%s\"}",
      "{\"displayName\":\"x\",\"printer@odata.bind\":\"/print/printers/"
      "00000000-0000-0000-0000-000000000000\"}",
      "{\"displayName\":\"x\",\"createdDateTime\":\"2020-01-01T00:00:00Z\",\"printer@odata.bind\":"
      "\"/print/printers/%s\"}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(body, sizeof(body), bad[i], p2);
    ck_assert_msg(req("POST", "/v1.0/print/shares", body, NULL) == 400, "%s", body);
  }
  /* 50 characters (not bytes) is fine. */
  char name[200] = "";
  for (int i = 0; i < 50; i++)
    strcat(name, "\xc3\xa9");
  snprintf(body, sizeof(body),
           "{\"displayName\":\"%s\",\"printer@odata.bind\":\"/v1.0/print/printers/%s\"}", name, p2);
  ck_assert_int_eq(req("POST", "/v1.0/print/shares", body, &s), 201);
  char share2[64];
  snprintf(share2, sizeof(share2), "%s", json_string_value(json_object_get(s, "id")));
  json_decref(s);

  /* The printer sees its share; the share sees its printer. */
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", p1);
  ck_assert_int_eq(req("GET", url, NULL, &s), 200);
  ck_assert(json_is_true(json_object_get(s, "isShared")));
  json_decref(s);
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s/shares", p1);
  ck_assert_int_eq(req("GET", url, NULL, &s), 200);
  ck_assert_uint_eq(json_array_size(json_object_get(s, "value")), 1);
  json_decref(s);
  snprintf(url, sizeof(url), "/v1.0/print/shares/%s/printer", share);
  ck_assert_int_eq(req("GET", url, NULL, &s), 200);
  ck_assert_str_eq(json_string_value(json_object_get(s, "id")), p1);
  json_decref(s);

  /* Swapping to a printer that is shared already conflicts; renaming works. */
  snprintf(url, sizeof(url), "/v1.0/print/shares/%s", share);
  snprintf(body, sizeof(body), "{\"printer@odata.bind\":\"/print/printers/%s\"}", p2);
  ck_assert_int_eq(req("PATCH", url, body, NULL), 409);
  ck_assert_int_eq(req("PATCH", url, "{\"displayName\":\"Renamed\",\"allowAllUsers\":false}", &s),
                   200);
  ck_assert_str_eq(json_string_value(json_object_get(s, "displayName")), "Renamed");
  ck_assert(json_is_false(json_object_get(s, "allowAllUsers")));
  json_decref(s);
  /* Delete the second share, then the swap succeeds. */
  snprintf(url, sizeof(url), "/v1.0/print/shares/%s", share2);
  ck_assert_int_eq(req("DELETE", url, NULL, NULL), 204);
  ck_assert_int_eq(req("GET", url, NULL, NULL), 404);
  snprintf(url, sizeof(url), "/v1.0/print/shares/%s", share);
  ck_assert_int_eq(req("PATCH", url, body, &s), 200);
  json_decref(s);
  snprintf(url, sizeof(url), "/v1.0/print/shares/%s/printer", share);
  ck_assert_int_eq(req("GET", url, NULL, &s), 200);
  ck_assert_str_eq(json_string_value(json_object_get(s, "id")), p2);
  json_decref(s);
  /* Deleting the printer deletes its share. */
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", p2);
  ck_assert_int_eq(req("DELETE", url, NULL, NULL), 204);
  snprintf(url, sizeof(url), "/v1.0/print/shares/%s", share);
  ck_assert_int_eq(req("GET", url, NULL, NULL), 404);
  free((void *)p1);
  free((void *)p2);
}
END_TEST

START_TEST(test_tenant_isolation)
{
  char url[256];
  up_answer_t a;
  json_t *list;
  const char *id = make_printer(admin);
  call_opts_t o = {other_tenant, "application/json", NULL, ""};
  snprintf(url, sizeof(url), "/v1.0/print/printers/%s", id);
  ck_assert_int_eq(call("GET", url, NULL, &o, &a, NULL), 404);
  free(a.body);
  ck_assert_int_eq(call("PATCH", url, "{\"displayName\":\"mine\"}", &o, &a, NULL), 404);
  free(a.body);
  ck_assert_int_eq(call("DELETE", url, NULL, &o, &a, NULL), 404);
  free(a.body);
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", NULL, &o, &a, &list), 200);
  free(a.body);
  ck_assert_uint_eq(json_array_size(json_object_get(list, "value")), 0);
  json_decref(list);
  char body[256];
  snprintf(body, sizeof(body),
           "{\"displayName\":\"steal\",\"printer@odata.bind\":\"/print/printers/%s\"}", id);
  ck_assert_int_eq(call("POST", "/v1.0/print/shares", body, &o, &a, NULL), 400);
  free(a.body);
  ck_assert_int_eq(req("GET", url, NULL, NULL), 200);
}
END_TEST

START_TEST(test_demo_idempotent)
{
  up_error_t err;
  json_t *list;
  ck_assert_int_eq(up_app_seed_demo(app, &err), UP_OK);
  ck_assert_int_eq(up_app_seed_demo(app, &err), UP_OK);
  char *user =
      issue(&(up_token_spec_t){.upn = "user@contoso.com", .scopes = "PrinterShare.ReadBasic.All"});
  up_answer_t a;
  call_opts_t o = {user, NULL, NULL, ""};
  ck_assert_int_eq(call("GET", "/v1.0/print/shares", NULL, &o, &a, &list), 200);
  free(a.body);
  ck_assert_uint_eq(json_array_size(json_object_get(list, "value")), 1);
  json_decref(list);
  free(user);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_headers_and_envelope);
  tcase_add_test(tc, test_request_errors);
  tcase_add_test(tc, test_route_body_limit);
  tcase_add_test(tc, test_printer_lifecycle);
  tcase_add_test(tc, test_app_patch);
  tcase_add_test(tc, test_shares);
  tcase_add_test(tc, test_tenant_isolation);
  tcase_add_test(tc, test_demo_idempotent);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
