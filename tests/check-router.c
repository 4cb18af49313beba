/* check-router.c - route table matching: versions, case, parameters, 400/405.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/app.h"
#include "uprintd/router.h"

#include <check.h>
#include <string.h>

static const struct {
  const char *method;
  const char *path;
  up_status_t expect;
  const char *pattern; /* matched route, for UP_OK */
  const char *param0;  /* first parameter, or NULL */
  const char *message; /* substring of the error message, or NULL */
} cases[] = {
    {"GET", "/v1.0/print/printers", UP_OK, "/print/printers", NULL, NULL},
    {"GET", "/beta/print/printers", UP_OK, "/print/printers", NULL, NULL},
    {"GET", "/V1.0/Print/PRINTERS", UP_OK, "/print/printers", NULL, NULL},
    {"GET", "/v1.0/print/printers/", UP_OK, "/print/printers", NULL, NULL},
    {"POST", "/v1.0/print/printers/create", UP_OK, "/print/printers/create", NULL, NULL},
    {"POST", "/v1.0/print/printers/CREATE", UP_OK, "/print/printers/create", NULL, NULL},
    {"GET", "/v1.0/print/printers/create", UP_OK, "/print/printers/{printerId}", "create", NULL},
    {"GET", "/v1.0/print/printers/abc", UP_OK, "/print/printers/{printerId}", "abc", NULL},
    {"GET", "/v1.0/print/printers/016B5565-3BBF-4067-B9FF-4D68167EB1A6", UP_OK,
     "/print/printers/{printerId}", "016b5565-3bbf-4067-b9ff-4d68167eb1a6", NULL},
    {"GET", "/v1.0/print/printers/ABC", UP_OK, "/print/printers/{printerId}", "ABC", NULL},
    {"GET", "/v1.0/print/printers/a%2Fb", UP_OK, "/print/printers/{printerId}", "a/b", NULL},
    {"PATCH", "/v1.0/print/printers/abc", UP_OK, "/print/printers/{printerId}", "abc", NULL},
    {"POST", "/v1.0/print/printers/abc/restorefactorydefaults", UP_OK,
     "/print/printers/{printerId}/restoreFactoryDefaults", "abc", NULL},
    {"GET", "/v1.0/print/printers/p/shares/s", UP_OK,
     "/print/printers/{printerId}/shares/{shareId}", "p", NULL},
    {"GET", "/v1.0/print/shares/s/printer", UP_OK, "/print/shares/{shareId}/printer", "s", NULL},
    {"GET", "/beta/print/printerShares/s", UP_OK, "/print/printerShares/{shareId}", "s", NULL},
    {"GET", "/v1.0/print/printerShares/s", UP_INVALID, NULL, NULL, "printerShares"},
    {"GET", "/beta/print/printers/p/share", UP_OK, "/print/printers/{printerId}/share", "p", NULL},
    {"GET", "/v1.0/print/printers/p/share", UP_INVALID, NULL, NULL, "share"},
    {"POST", "/v1.0/print/shares/s/jobs/12/START", UP_OK,
     "/print/shares/{shareId}/jobs/{jobId}/start", "s", NULL},
    {"GET", "/beta/print/printers/p/jobs/1/documents/d/$value", UP_OK,
     "/print/printers/{printerId}/jobs/{jobId}/documents/{documentId}/$value", "p", NULL},
    {"PUT", "/_uprintd/uploads/u", UP_OK, "/_uprintd/uploads/{uploadId}", "u", NULL},
    {"PUT", "/_UPRINTD/Uploads/u", UP_OK, "/_uprintd/uploads/{uploadId}", "u", NULL},
    {"POST", "/_uprintd/uploads/u", UP_METHOD_NOT_ALLOWED, NULL, NULL, NULL},
    {"GET", "/_uprintd/nothing", UP_INVALID, NULL, NULL, "nothing"},
    {"GET", "/v1.0/_uprintd/uploads/u", UP_INVALID, NULL, NULL, "_uprintd"},
    {"GET", "/v2.0/print/printers", UP_INVALID, NULL, NULL, "Invalid version"},
    {"GET", "/", UP_INVALID, NULL, NULL, "Invalid version"},
    {"GET", "/v1.0", UP_INVALID, NULL, NULL, "v1.0"},
    {"GET", "/v1.0/print/foo", UP_INVALID, NULL, NULL, "'foo'"},
    {"GET", "/v1.0/print/printers/x/bogus", UP_INVALID, NULL, NULL, "'bogus'"},
    {"GET", "/v1.0/print/printers/%zz", UP_INVALID, NULL, NULL, "malformed"},
    {"GET", "/v1.0/print/printers/%00", UP_INVALID, NULL, NULL, "malformed"},
    {"PUT", "/v1.0/print/printers", UP_METHOD_NOT_ALLOWED, NULL, NULL, "PUT"},
    {"DELETE", "/v1.0/print/printers", UP_METHOD_NOT_ALLOWED, NULL, NULL, NULL},
    {"BREW", "/v1.0/print/shares", UP_METHOD_NOT_ALLOWED, NULL, NULL, NULL},
    {"GET", "/v1.0/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", UP_INVALID, NULL, NULL, NULL},
};

START_TEST(test_match)
{
  up_route_match_t m;
  up_error_t err;
  up_error_clear(&err);
  up_status_t st =
      up_router_match(up_routes, cases[_i].path, up_method_parse(cases[_i].method), &m, &err);
  ck_assert_msg(st == cases[_i].expect, "%s %s: status %d, expected %d (%s)", cases[_i].method,
                cases[_i].path, st, cases[_i].expect, err.message);
  if (st == UP_OK) {
    ck_assert_str_eq(m.route->pattern, cases[_i].pattern);
    if (cases[_i].param0)
      ck_assert_str_eq(m.params.v[0], cases[_i].param0);
  } else if (cases[_i].message) {
    ck_assert_msg(strstr(err.message, cases[_i].message), "%s: message '%s' lacks '%s'",
                  cases[_i].path, err.message, cases[_i].message);
  }
  up_route_match_fini(&m);
}
END_TEST

START_TEST(test_method_not_allowed_lists_allowed)
{
  up_route_match_t m;
  up_error_t err;
  ck_assert_int_eq(up_router_match(up_routes, "/v1.0/print/shares/x", UP_METHOD_POST, &m, &err),
                   UP_METHOD_NOT_ALLOWED);
  ck_assert(m.allowed & (1u << UP_METHOD_GET));
  ck_assert(m.allowed & (1u << UP_METHOD_PATCH));
  ck_assert(m.allowed & (1u << UP_METHOD_DELETE));
  ck_assert(!(m.allowed & (1u << UP_METHOD_POST)));
  up_route_match_fini(&m);
}
END_TEST

/* Every route is reachable: its own pattern, with placeholders filled, matches it. */
START_TEST(test_every_route_reachable)
{
  for (const up_route_t *r = up_routes; r->pattern; r++) {
    char path[512] = "";
    const char *p = r->pattern;
    strcat(path, r->versions & UP_API_ROOT ? "" : r->versions & UP_API_V1 ? "/v1.0" : "/beta");
    while (*p) {
      if (*p == '{') {
        strcat(path, "00000000-0000-0000-0000-000000000001");
        p = strchr(p, '}') + 1;
      } else {
        strncat(path, p, 1);
        p++;
      }
    }
    up_route_match_t m;
    up_error_t err;
    ck_assert_msg(up_router_match(up_routes, path, r->method, &m, &err) == UP_OK, "%s %s",
                  up_method_name(r->method), path);
    ck_assert_ptr_eq(m.route, r);
    up_route_match_fini(&m);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("router");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_match, 0, sizeof(cases) / sizeof(cases[0]));
  tcase_add_test(tc, test_method_not_allowed_lists_allowed);
  tcase_add_test(tc, test_every_route_reachable);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
