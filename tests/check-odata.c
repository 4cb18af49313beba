/* check-odata.c - the $filter parser (every operator, precedence, literals, errors), $orderby,
 * page sizes and $skiptoken.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/odata.h"
#include "uprintd/query.h"
#include "uprintd/schema.h"
#include "uprintd/store.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static up_schema_t *schema;

/* A canonical text of an expression: (op a b), field op value. */
static void dump(const up_expr_t *e, char *out, size_t len)
{
  static const char *const cmp[] = {"eq", "ne", "gt", "ge", "lt", "le"};
  static const char *const fn[] = {"startswith", "endswith", "contains"};
  char a[512], b[512], v[128];
  switch (e->kind) {
  case UP_EX_AND:
  case UP_EX_OR:
    dump(e->a, a, sizeof(a));
    dump(e->b, b, sizeof(b));
    snprintf(out, len, "(%s %s %s)", e->kind == UP_EX_AND ? "and" : "or", a, b);
    return;
  case UP_EX_NOT:
    dump(e->a, a, sizeof(a));
    snprintf(out, len, "(not %s)", a);
    return;
  default:
    break;
  }
  switch (e->value.type) {
  case UP_V_NULL:
    snprintf(v, sizeof(v), "null");
    break;
  case UP_V_STRING:
    snprintf(v, sizeof(v), "'%s'", e->value.s);
    break;
  case UP_V_ENUM:
    snprintf(v, sizeof(v), "#%s", e->value.s);
    break;
  case UP_V_BOOL:
    snprintf(v, sizeof(v), "%s", e->value.i ? "true" : "false");
    break;
  case UP_V_DATETIME:
    snprintf(v, sizeof(v), "@%lld", (long long)e->value.i);
    break;
  default:
    snprintf(v, sizeof(v), "%lld", (long long)e->value.i);
  }
  if (e->kind == UP_EX_CMP)
    snprintf(out, len, "%s %s %s", e->field->path, cmp[e->cmp], v);
  else
    snprintf(out, len, "%s(%s, %s)", fn[e->fn], e->field->path, v);
}

typedef struct filter_case {
  up_coll_t coll;
  const char *text;
  const char *want; /* the dump, or NULL for a refusal */
  const char *err;  /* part of the refusal */
} filter_case_t;

static const filter_case_t filters[] = {
    /* Every comparison operator, both sides. */
    {UP_COLL_PRINTERS, "displayName eq 'A'", "displayName eq 'A'", NULL},
    {UP_COLL_PRINTERS, "displayName ne 'A'", "displayName ne 'A'", NULL},
    {UP_COLL_JOBS, "errorCode gt 5", "errorCode gt 5", NULL},
    {UP_COLL_JOBS, "errorCode ge -5", "errorCode ge -5", NULL},
    {UP_COLL_JOBS, "errorCode lt 5", "errorCode lt 5", NULL},
    {UP_COLL_JOBS, "errorCode le 5", "errorCode le 5", NULL},
    {UP_COLL_JOBS, "5 lt errorCode", "errorCode gt 5", NULL},
    {UP_COLL_JOBS, "'x@y' eq createdBy/userPrincipalName", "createdBy/userPrincipalName eq 'x@y'",
     NULL},
    {UP_COLL_PRINTERS, "displayName EQ 'A'", "displayName eq 'A'", NULL},
    /* Precedence: not binds tighter than and, and tighter than or; parentheses. */
    {UP_COLL_PRINTERS, "model eq 'a' or model eq 'b' and model eq 'c'",
     "(or model eq 'a' (and model eq 'b' model eq 'c'))", NULL},
    {UP_COLL_PRINTERS, "(model eq 'a' or model eq 'b') and model eq 'c'",
     "(and (or model eq 'a' model eq 'b') model eq 'c')", NULL},
    {UP_COLL_PRINTERS, "not model eq 'a' and model eq 'b'", "(and (not model eq 'a') model eq 'b')",
     NULL},
    {UP_COLL_PRINTERS, "not (model eq 'a' or model eq 'b')", "(not (or model eq 'a' model eq 'b'))",
     NULL},
    {UP_COLL_PRINTERS, "model eq 'a' and model eq 'b' and model eq 'c'",
     "(and (and model eq 'a' model eq 'b') model eq 'c')", NULL},
    /* Functions. */
    {UP_COLL_PRINTERS, "startswith(displayName,'Fl')", "startswith(displayName, 'Fl')", NULL},
    {UP_COLL_PRINTERS, "endswith( displayName , 'r 4' )", "endswith(displayName, 'r 4')", NULL},
    {UP_COLL_PRINTERS, "contains(manufacturer,'o''n')", "contains(manufacturer, 'o'n')", NULL},
    {UP_COLL_PRINTERS, "not startswith(displayName,'x')", "(not startswith(displayName, 'x'))",
     NULL},
    /* Literals: strings with '', null, Booleans, numbers, date-times, enums. */
    {UP_COLL_PRINTERS, "displayName eq 'it''s'", "displayName eq 'it's'", NULL},
    {UP_COLL_PRINTERS, "displayName eq ''", "displayName eq ''", NULL},
    {UP_COLL_PRINTERS, "model eq null", "model eq null", NULL},
    {UP_COLL_PRINTERS, "null ne model", "model ne null", NULL},
    {UP_COLL_PRINTERS, "isShared eq true", "isShared eq true", NULL},
    {UP_COLL_PRINTERS, "isShared eq false", "isShared eq false", NULL},
    {UP_COLL_PRINTERS, "isShared", "isShared eq true", NULL},
    {UP_COLL_PRINTERS, "not isShared", "(not isShared eq true)", NULL},
    {UP_COLL_JOBS, "id eq '42'", "id eq 42", NULL},
    {UP_COLL_JOBS, "id gt 42", "id gt 42", NULL},
    {UP_COLL_JOBS, "createdDateTime ge 1970-01-01T00:00:01Z", "createdDateTime ge @10000000", NULL},
    {UP_COLL_JOBS, "createdDateTime lt 1970-01-01T01:00:00.5+01:00", "createdDateTime lt @5000000",
     NULL},
    {UP_COLL_JOBS, "createdDateTime lt 2020-02-29T12:30:00.1234567Z",
     "createdDateTime lt @15829794001234567", NULL},
    {UP_COLL_JOBS, "createdDateTime gt 2020-01-01T00:00-02:00",
     "createdDateTime gt @15778440000000000", NULL},
    {UP_COLL_JOBS, "status/state eq 'completed'", "status/state eq #completed", NULL},
    {UP_COLL_JOBS, "status/state ne microsoft.graph.printJobProcessingState'aborted'",
     "status/state ne #aborted", NULL},
    {UP_COLL_PRINTERS, "status/state eq 'idle'", "status/state eq #idle", NULL},
    {UP_COLL_TRIGGERS, "event eq 'jobStarted'", "event eq #jobStarted", NULL},
    {UP_COLL_DEFINITIONS, "createdBy/appId eq 'x'", "createdBy/appId eq 'x'", NULL},
    {UP_COLL_TASKS, "status/state eq 'processing'", "status/state eq #processing", NULL},
    /* Refusals. */
    {UP_COLL_PRINTERS, "", NULL, "empty"},
    {UP_COLL_PRINTERS, "   ", NULL, "empty"},
    {UP_COLL_PRINTERS, "bogus eq 'x'", NULL, "could not find a property named 'bogus'"},
    {UP_COLL_PRINTERS, "capabilities eq 'x'", NULL, "capabilities"},
    {UP_COLL_PRINTERS, "@created eq 1", NULL, NULL},
    {UP_COLL_PRINTERS, "displayName eq", NULL, "quoted literal"},
    {UP_COLL_PRINTERS, "displayName eq 5", NULL, "quoted literal"},
    {UP_COLL_PRINTERS, "displayName eq 'x", NULL, NULL},
    {UP_COLL_PRINTERS, "displayName 'x'", NULL, "comparison operator"},
    {UP_COLL_PRINTERS, "displayName like 'x'", NULL, "comparison operator"},
    {UP_COLL_PRINTERS, "displayName eq 'x' and", NULL, NULL},
    {UP_COLL_PRINTERS, "displayName eq 'x' 'y'", NULL, "unexpected"},
    {UP_COLL_PRINTERS, "(displayName eq 'x'", NULL, "')' is expected"},
    {UP_COLL_PRINTERS, "displayName eq 'x')", NULL, "unexpected"},
    {UP_COLL_PRINTERS, "isShared gt true", NULL, "only be compared with eq or ne"},
    {UP_COLL_PRINTERS, "model gt null", NULL, "null can only be compared"},
    {UP_COLL_PRINTERS, "isShared eq 'yes'", NULL, "Boolean"},
    {UP_COLL_PRINTERS, "startswith(isShared,'x')", NULL, "String property"},
    {UP_COLL_PRINTERS, "startswith(displayName)", NULL, "','"},
    {UP_COLL_PRINTERS, "startswith(displayName,null)", NULL, "quoted string"},
    {UP_COLL_PRINTERS, "startswith displayName", NULL, "'('"},
    {UP_COLL_JOBS, "status/state eq 'queued'", NULL, "not a member of printJobProcessingState"},
    {UP_COLL_JOBS, "status/state gt 'completed'", NULL, "only be compared with eq or ne"},
    {UP_COLL_JOBS, "status/state eq microsoft.graph.colorMode'color'", NULL,
     "printJobProcessingState"},
    {UP_COLL_JOBS, "status/state eq completed", NULL, "quoted member name"},
    {UP_COLL_JOBS, "createdDateTime gt '2020-01-01T00:00:00Z'", NULL, "DateTimeOffset"},
    {UP_COLL_JOBS, "createdDateTime gt 2020-13-01T00:00:00Z", NULL, "DateTimeOffset"},
    {UP_COLL_JOBS, "createdDateTime gt 2020-01-01T00:00:00", NULL, "DateTimeOffset"},
    {UP_COLL_JOBS, "createdDateTime gt 2020-01-01", NULL, "DateTimeOffset"},
    {UP_COLL_JOBS, "errorCode eq 99999999999999999999", NULL, "not a valid value"},
    {UP_COLL_JOBS, "errorCode eq 'x'", NULL, "integer"},
    {UP_COLL_JOBS, "id eq 'x'", NULL, "not a valid value"},
    {UP_COLL_PRINTERS, "displayName eq 'x' ; drop table printers", NULL, NULL},
    {UP_COLL_PRINTERS, "displayName eq \"x\"", NULL, NULL},
};

START_TEST(test_filter)
{
  const filter_case_t *c = &filters[_i];
  up_expr_t *e = NULL;
  up_error_t err = {0};
  char got[2048];
  up_status_t st = up_filter_parse(c->coll, c->text, schema, &e, &err);
  if (c->want) {
    ck_assert_msg(st == UP_OK, "'%s': %s", c->text, err.message);
    dump(e, got, sizeof(got));
    ck_assert_msg(strcmp(got, c->want) == 0, "'%s' parsed as '%s', not '%s'", c->text, got,
                  c->want);
    /* The store has a column for every field a filter may name. */
    ck_assert_ptr_nonnull(up_store_field_sql(
        c->coll, e->kind == UP_EX_CMP || e->kind == UP_EX_FUNC ? e->field->path : "id"));
  } else {
    ck_assert_msg(st == UP_INVALID, "'%s' accepted", c->text);
    ck_assert_ptr_null(e);
    ck_assert_str_eq(err.code, "BadRequest");
    ck_assert_str_eq(err.target, "$filter");
    ck_assert_ptr_nonnull(strstr(err.message, "Invalid $filter"));
    if (c->err)
      ck_assert_msg(strstr(err.message, c->err), "'%s': '%s' lacks '%s'", c->text, err.message,
                    c->err);
  }
  up_expr_free(e);
}
END_TEST

/* Depth and size limits hold, so a hostile filter cannot exhaust the stack or the heap. */
START_TEST(test_filter_limits)
{
  char text[8192];
  up_expr_t *e = NULL;
  up_error_t err = {0};
  size_t n = 0;
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "(");
  n += (size_t)snprintf(text + n, sizeof(text) - n, "model eq 'a'");
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, ")");
  ck_assert_int_eq(up_filter_parse(UP_COLL_PRINTERS, text, schema, &e, &err), UP_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "nested"));
  n = 0;
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "not ");
  snprintf(text + n, sizeof(text) - n, "isShared");
  ck_assert_int_eq(up_filter_parse(UP_COLL_PRINTERS, text, schema, &e, &err), UP_INVALID);
  n = 0;
  for (int i = 0; i < 200; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "%smodel eq 'a'", i ? " or " : "");
  ck_assert_int_eq(up_filter_parse(UP_COLL_PRINTERS, text, schema, &e, &err), UP_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "operators"));
  /* Within the limits: fine. */
  n = 0;
  for (int i = 0; i < 30; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "%smodel eq 'a'", i ? " or " : "");
  ck_assert_int_eq(up_filter_parse(UP_COLL_PRINTERS, text, schema, &e, &err), UP_OK);
  up_expr_free(e);
}
END_TEST

static up_status_t prepare(up_coll_t coll, const char *raw, up_list_query_t *q, up_error_t *err)
{
  up_query_t opts;
  up_status_t st = up_query_parse(raw, &opts, err);
  if (st == UP_OK)
    st = up_list_query_prepare(coll, &opts, schema, q, err);
  up_query_fini(&opts);
  return st;
}

START_TEST(test_orderby_and_pages)
{
  up_list_query_t q;
  up_error_t err = {0};
  /* Defaults: pages of 100, the collection's own order (jobs newest first). */
  ck_assert_int_eq(prepare(UP_COLL_JOBS, NULL, &q, &err), UP_OK);
  ck_assert_uint_eq(q.page, UP_PAGE_SIZE);
  ck_assert(q.default_order);
  ck_assert_uint_eq(q.n_order, 1);
  ck_assert_str_eq(q.order[0].field->path, "createdDateTime");
  ck_assert(q.order[0].desc && q.id_desc);
  up_list_query_fini(&q);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, "$top=7&$skip=3&$count=true", &q, &err), UP_OK);
  ck_assert_uint_eq(q.page, 7);
  ck_assert_uint_eq(q.skip, 3);
  ck_assert(q.count);
  ck_assert(!q.order[0].desc && !q.id_desc);
  up_list_query_fini(&q);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, "$top=1000", &q, &err), UP_OK);
  ck_assert_uint_eq(q.page, UP_PAGE_SIZE);
  up_list_query_fini(&q);
  ck_assert_int_eq(
      prepare(UP_COLL_JOBS, "$orderby=status/state desc,createdBy/userPrincipalName", &q, &err),
      UP_OK);
  ck_assert(!q.default_order);
  ck_assert_uint_eq(q.n_order, 2);
  ck_assert_str_eq(q.order[0].field->path, "status/state");
  ck_assert(q.order[0].desc);
  ck_assert(!q.order[1].desc);
  up_list_query_fini(&q);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, "orderby=displayName%20ASC", &q, &err), UP_OK);
  up_list_query_fini(&q);
  static const char *const bad[] = {
      "$orderby=bogus",    "$orderby=displayName%20up", "$orderby=displayName%20asc%20desc",
      "$orderby=",         "$orderby=displayName,",     "$orderby=,displayName",
      "$orderby=@created", "$orderby=a,b,c,d,e",        "$orderby=capabilities"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_msg(prepare(UP_COLL_PRINTERS, bad[i], &q, &err) == UP_INVALID, "%s", bad[i]);
    ck_assert_str_eq(err.target, "$orderby");
  }
}
END_TEST

START_TEST(test_skiptoken)
{
  up_list_query_t q, q2;
  up_error_t err = {0};
  char token[512], raw[700];
  up_value_t keys[2] = {{UP_V_DATETIME, NULL, 12345}, {UP_V_STRING, strdup("ab|c:d"), 0}};
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, "$filter=model%20eq%20'x'", &q, &err), UP_OK);
  ck_assert(up_skiptoken_make(&q, keys, 2, token, sizeof(token)));
  /* base64url only: safe in a URL as it is. */
  for (const char *p = token; *p; p++)
    ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
  /* The same query continues from the keys. */
  snprintf(raw, sizeof(raw), "$filter=model%%20eq%%20'x'&$skiptoken=%s", token);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, raw, &q2, &err), UP_OK);
  ck_assert_uint_eq(q2.n_after, 2);
  ck_assert_int_eq(q2.after[0].i, 12345);
  ck_assert_str_eq(q2.after[1].s, "ab|c:d");
  up_list_query_fini(&q2);
  /* Another query, a tampered or foreign token: refused. */
  snprintf(raw, sizeof(raw), "$filter=model%%20eq%%20'y'&$skiptoken=%s", token);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, raw, &q2, &err), UP_INVALID);
  ck_assert_str_eq(err.target, "$skiptoken");
  snprintf(raw, sizeof(raw), "$filter=model%%20eq%%20'x'&$orderby=model&$skiptoken=%s", token);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, raw, &q2, &err), UP_INVALID);
  token[5] = token[5] == 'A' ? 'B' : 'A';
  snprintf(raw, sizeof(raw), "$filter=model%%20eq%%20'x'&$skiptoken=%s", token);
  ck_assert_int_eq(prepare(UP_COLL_PRINTERS, raw, &q2, &err), UP_INVALID);
  static const char *const junk[] = {"$skiptoken=", "$skiptoken=!!!", "$skiptoken=abc",
                                     "$skiptoken=" /* filled below */};
  for (size_t i = 0; i < 3; i++)
    ck_assert_int_eq(prepare(UP_COLL_PRINTERS, junk[i], &q2, &err), UP_INVALID);
  free(keys[1].s);
  up_list_query_fini(&q);
}
END_TEST

int main(void)
{
  up_error_t err;
  if (up_schema_load(&schema, &err) != UP_OK) {
    fprintf(stderr, "%s\n", err.message);
    return EXIT_FAILURE;
  }
  Suite *s = suite_create("odata");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_filter, 0, sizeof(filters) / sizeof(filters[0]));
  tcase_add_test(tc, test_filter_limits);
  tcase_add_test(tc, test_orderby_and_pages);
  tcase_add_test(tc, test_skiptoken);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  up_schema_free(schema);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
