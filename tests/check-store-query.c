/* check-store-query.c - OData queries run by the store: the $filter's SQL translation
 * (semantics, nulls, case, LIKE escaping, literals never pasted into SQL), orders, keyset pages
 * that stay exact while rows are inserted, counts, scopes.
 * SPDX-License-Identifier: Apache-2.0 */
#include "test-util.h"
#include "uprintd/query.h"
#include "uprintd/schema.h"
#include "uprintd/store.h"
#include "uprintd/util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-ids.h"

#define T0  ((up_time_t)16000000000000000LL)
#define SEC ((up_time_t)10000000LL)

static char dir[4096], db_path[4200];
static up_store_t *store;
static up_schema_t *schema;

static const char *const names[] = {"Floor 1", "floor 2", "Lobby", "100% Office", "a_b",
                                    "O'Brien", "Lab",     "lab",   "Zeta",        "Floor 10"};
#define NPRINTERS (sizeof(names) / sizeof(names[0]))
static char printer_ids[NPRINTERS][UP_ID_SIZE];

static void add_printer(const char *tenant, int i, const char *name)
{
  up_printer_t p;
  up_operation_t op;
  up_error_t err = {0};
  memset(&p, 0, sizeof(p));
  snprintf(p.id, sizeof(p.id), "10000000-0000-4000-8000-%012d", i);
  up_strlcpy(p.tenant_id, tenant, sizeof(p.tenant_id));
  p.display_name = (char *)name;
  p.manufacturer = i % 3 == 0 ? NULL : (char *)(i % 3 == 1 ? "Contoso" : "Fabrikam");
  p.model = i % 2 ? "LJ" : NULL;
  p.registered_at = T0 + (i % 4) * SEC; /* ties on purpose: the id breaks them */
  p.status_json = (char *)(i % 5 == 0 ? "{\"state\":\"stopped\",\"details\":[]}"
                                      : "{\"state\":\"idle\",\"details\":[]}");
  p.is_accepting_jobs = i % 2;
  memset(&op, 0, sizeof(op));
  up_uuid_new(op.id);
  up_strlcpy(op.tenant_id, tenant, sizeof(op.tenant_id));
  up_strlcpy(op.printer_id, p.id, sizeof(op.printer_id));
  op.created_at = p.registered_at;
  op.state = UP_OPERATION_SUCCEEDED;
  op.description = "registered";
  ck_assert_msg(up_store_printer_create(store, &p, &op, &err) == UP_OK, "%s", err.message);
  if (strcmp(tenant, TENANT_A) == 0)
    memcpy(printer_ids[i], p.id, UP_ID_SIZE);
}

static int64_t add_job(const char *printer, const char *upn, up_job_state_t state, up_time_t at)
{
  up_job_t j;
  up_error_t err = {0};
  memset(&j, 0, sizeof(j));
  up_strlcpy(j.tenant_id, TENANT_A, sizeof(j.tenant_id));
  up_strlcpy(j.printer_id, printer, sizeof(j.printer_id));
  j.configuration_json = "{}";
  j.created_at = at;
  j.state = state;
  if (upn) {
    j.created_by_upn = (char *)upn;
    up_uuid_from_name(TENANT_A, upn, j.created_by_id);
  }
  up_uuid_new(j.document.id);
  ck_assert_msg(up_store_job_create(store, &j, &err) == UP_OK, "%s", err.message);
  return j.id;
}

static void setup(void)
{
  up_error_t err = {0};
  snprintf(dir, sizeof(dir), "%s", up_test_tmpdir());
  snprintf(db_path, sizeof(db_path), "%s/uprintd.db", dir);
  ck_assert_int_eq(up_store_open(db_path, &store, &err), UP_OK);
  ck_assert_int_eq(up_schema_load(&schema, &err), UP_OK);
  for (size_t i = 0; i < NPRINTERS; i++)
    add_printer(TENANT_A, (int)i, names[i]);
  add_printer(TENANT_B, 99, "Floor 1"); /* another tenant's: never listed */
}

static void teardown(void)
{
  up_store_free(store);
  up_schema_free(schema);
  up_test_rmtree(dir);
}

/* Runs raw (query options) on coll in scope; the display names or ids, in order, into out. */
static up_status_t run(up_coll_t coll, const char *raw, const char *const *scope, int n_scope,
                       char *out, size_t len, up_store_page_t *page)
{
  up_query_t opts;
  up_list_query_t q;
  up_error_t err = {0};
  up_store_page_t local;
  page = page ? page : &local;
  out[0] = '\0';
  ck_assert_int_eq(up_query_parse(raw, &opts, &err), UP_OK);
  up_status_t st = up_list_query_prepare(coll, &opts, schema, &q, &err);
  up_query_fini(&opts);
  if (st != UP_OK)
    return st;
  st = up_store_query(store, &q, scope, n_scope, page, &err);
  ck_assert_msg(st == UP_OK, "%s: %s", raw, err.message);
  size_t n = 0;
  for (size_t i = 0; i < page->count && n < len; i++) {
    if (coll == UP_COLL_PRINTERS)
      n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "|" : "",
                            ((up_printer_t *)page->items)[i].display_name);
    else
      n += (size_t)snprintf(out + n, len - n, "%s%lld", i ? "|" : "",
                            (long long)((up_job_t *)page->items)[i].id);
  }
  up_list_query_fini(&q);
  if (page == &local)
    up_store_page_fini(&local);
  return st;
}

typedef struct pcase {
  const char *raw;
  const char *want;
} pcase_t;

/* Printers are registered at T0 + (i % 4) s, so the default order is by that, then id. */
static const pcase_t printer_cases[] = {
    {NULL, "Floor 1|a_b|Zeta|floor 2|O'Brien|Floor 10|Lobby|Lab|100% Office|lab"},
    {"$filter=displayName eq 'floor 1'", "Floor 1"}, /* eq ignores case */
    {"$filter=displayName ne 'Lab'", "Floor 1|a_b|Zeta|floor 2|O'Brien|Floor 10|Lobby|100% Office"},
    {"$filter=startswith(displayName,'Floor')", "Floor 1|floor 2|Floor 10"},
    {"$filter=endswith(displayName,'1')", "Floor 1"},
    {"$filter=contains(displayName,'%')", "100% Office"}, /* % is a literal */
    {"$filter=contains(displayName,'_')", "a_b"},         /* so is _ */
    {"$filter=contains(displayName,'''')", "O'Brien"},    /* a quote */
    {"$filter=displayName eq 'x'' or ''1''=''1'", ""},    /* injection is a value */
    {"$filter=manufacturer eq null", "Floor 1|Floor 10|Lab|100% Office"},
    {"$filter=manufacturer ne null and model eq null", "a_b|Zeta|Lobby"},
    {"$filter=manufacturer ne 'Contoso'",
     "Floor 1|Zeta|O'Brien|Floor 10|Lobby|Lab|100% Office"}, /* null ne 'x' is true */
    {"$filter=not (manufacturer eq 'Contoso')",
     "Floor 1|Zeta|O'Brien|Floor 10|Lobby|Lab|100% Office"},
    {"$filter=isAcceptingJobs", "floor 2|O'Brien|Floor 10|100% Office|lab"},
    {"$filter=isAcceptingJobs eq false or displayName eq 'Lab'", "Floor 1|a_b|Zeta|Lobby|Lab|lab"},
    {"$filter=status/state eq 'stopped'", "Floor 1|O'Brien"},
    {"$filter=isShared eq false and startswith(displayName,'L')", "Lobby|Lab|lab"},
    {"$filter=registeredDateTime ge 2020-09-13T12:26:42Z", "Lobby|Lab|100% Office|lab"},
    {"$orderby=displayName", "100% Office|Floor 1|Floor 10|Lab|Lobby|O'Brien|Zeta|a_b|floor 2|lab"},
    {"$orderby=displayName desc",
     "lab|floor 2|a_b|Zeta|O'Brien|Lobby|Lab|Floor 10|Floor 1|100% Office"},
    {"$orderby=manufacturer,displayName desc&$top=5", "Lab|Floor 10|Floor 1|100% Office|lab"},
    {"$top=3", "Floor 1|a_b|Zeta"},
    {"$top=3&$skip=2", "Zeta|floor 2|O'Brien"},
    {"$top=0", ""},
    {"$skip=50", ""},
};

START_TEST(test_printer_filters)
{
  char got[2048];
  const char *scope[] = {TENANT_A};
  const pcase_t *c = &printer_cases[_i];
  char raw[512] = "";
  /* The cases are written readable; the query string wants spaces encoded. */
  for (size_t i = 0, o = 0; c->raw && c->raw[i] && o + 4 < sizeof(raw); i++)
    o += (size_t)snprintf(raw + o, sizeof(raw) - o,
                          c->raw[i] == ' '   ? "%%20"
                          : c->raw[i] == '%' ? "%%25"
                                             : "%c",
                          c->raw[i]);
  ck_assert_int_eq(run(UP_COLL_PRINTERS, c->raw ? raw : NULL, scope, 1, got, sizeof(got), NULL),
                   UP_OK);
  ck_assert_msg(strcmp(got, c->want) == 0, "%s:\n  got  %s\n  want %s", c->raw ? c->raw : "-", got,
                c->want);
}
END_TEST

/* Pages in any order visit every row exactly once, in order, also with nullable keys. */
START_TEST(test_keyset_pages)
{
  static const char *const orders[] = {NULL, "$orderby=displayName", "$orderby=model%20desc",
                                       "$orderby=manufacturer,model%20desc",
                                       "$orderby=isAcceptingJobs,registeredDateTime%20desc"};
  const char *scope[] = {TENANT_A};
  for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
    char all[2048], page_names[2048], joined[4096] = "", raw[4096];
    up_store_page_t page;
    ck_assert_int_eq(run(UP_COLL_PRINTERS, orders[o], scope, 1, all, sizeof(all), NULL), UP_OK);
    /* Page by 3 with the tokens the store's keys give. */
    up_query_t opts;
    up_list_query_t q;
    up_error_t err = {0};
    snprintf(raw, sizeof(raw), "%s%s$top=3", orders[o] ? orders[o] : "", orders[o] ? "&" : "");
    for (int pages = 0;; pages++) {
      ck_assert_int_lt(pages, 10);
      ck_assert_int_eq(run(UP_COLL_PRINTERS, raw, scope, 1, page_names, sizeof(page_names), &page),
                       UP_OK);
      if (page_names[0])
        snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
                 joined[0] ? "|" : "", page_names);
      if (!page.more) {
        up_store_page_fini(&page);
        break;
      }
      char token[1024];
      ck_assert_int_eq(up_query_parse(raw, &opts, &err), UP_OK);
      ck_assert_int_eq(up_list_query_prepare(UP_COLL_PRINTERS, &opts, schema, &q, &err), UP_OK);
      up_query_fini(&opts);
      ck_assert(up_skiptoken_make(&q, page.last, page.n_last, token, sizeof(token)));
      up_list_query_fini(&q);
      up_store_page_fini(&page);
      char *at = strstr(raw, "&$skiptoken=");
      if (at)
        *at = '\0';
      snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw), "&$skiptoken=%s", token);
    }
    ck_assert_msg(strcmp(joined, all) == 0, "%s:\n  pages %s\n  all   %s",
                  orders[o] ? orders[o] : "-", joined, all);
  }
}
END_TEST

START_TEST(test_jobs_scope_filters_and_insertions)
{
  char got[8192], want[8192] = "";
  const char *p = printer_ids[0];
  const char *all[] = {TENANT_A, p, NULL};
  int64_t ids[40];
  up_error_t err = {0};
  for (int i = 0; i < 40; i++)
    ids[i] = add_job(p, i % 3 ? "ada@contoso.example" : "bob@contoso.example",
                     i % 4 ? UP_JOB_PAUSED : UP_JOB_COMPLETED, T0 + (i / 2) * SEC);
  /* Newest first: created_at desc, then id desc. */
  ck_assert_int_eq(run(UP_COLL_JOBS, "$top=100", all, 3, got, sizeof(got), NULL), UP_OK);
  for (int i = 39; i >= 0; i--)
    snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%lld", i == 39 ? "" : "|",
             (long long)ids[i]);
  ck_assert_str_eq(got, want);
  /* By user (either form of the property), by state, by date, by id. */
  ck_assert_int_eq(run(UP_COLL_JOBS,
                       "$filter=createdBy/userPrincipalName%20eq%20'BOB@contoso.example'%20and%20"
                       "status/state%20eq%20'completed'",
                       all, 3, got, sizeof(got), NULL),
                   UP_OK);
  snprintf(want, sizeof(want), "%lld|%lld|%lld|%lld", (long long)ids[36], (long long)ids[24],
           (long long)ids[12], (long long)ids[0]);
  ck_assert_str_eq(got, want);
  ck_assert_int_eq(run(UP_COLL_JOBS,
                       "$filter=createdDateTime%20lt%202020-09-13T12:26:42Z%20and%20id%20gt%20'0'",
                       all, 3, got, sizeof(got), NULL),
                   UP_OK);
  snprintf(want, sizeof(want), "%lld|%lld|%lld|%lld", (long long)ids[3], (long long)ids[2],
           (long long)ids[1], (long long)ids[0]);
  ck_assert_str_eq(got, want);
  /* The creator scope: only ada's. */
  char ada[UP_ID_SIZE];
  up_uuid_from_name(TENANT_A, "ada@contoso.example", ada);
  const char *own[] = {TENANT_A, p, ada};
  up_store_page_t page;
  ck_assert_int_eq(run(UP_COLL_JOBS, "$count=true&$top=2", own, 3, got, sizeof(got), &page), UP_OK);
  ck_assert_int_eq(page.total, 26);
  ck_assert(page.more);
  up_store_page_fini(&page);
  /* Pages of 7 while new jobs arrive: every old job exactly once. */
  char seen[64] = {0};
  char raw[2048] = "$top=7";
  for (int pages = 0;; pages++) {
    ck_assert_int_lt(pages, 20);
    ck_assert_int_eq(run(UP_COLL_JOBS, raw, all, 3, got, sizeof(got), &page), UP_OK);
    for (size_t i = 0; i < page.count; i++) {
      int64_t id = ((up_job_t *)page.items)[i].id;
      for (int k = 0; k < 40; k++)
        if (ids[k] == id)
          seen[k]++;
    }
    add_job(p, "new@contoso.example", UP_JOB_PAUSED, T0 + 1000 * SEC); /* newer than all */
    if (!page.more) {
      up_store_page_fini(&page);
      break;
    }
    up_query_t opts;
    up_list_query_t q;
    char token[512];
    ck_assert_int_eq(up_query_parse("$top=7", &opts, &err), UP_OK);
    ck_assert_int_eq(up_list_query_prepare(UP_COLL_JOBS, &opts, schema, &q, &err), UP_OK);
    up_query_fini(&opts);
    ck_assert(up_skiptoken_make(&q, page.last, page.n_last, token, sizeof(token)));
    up_list_query_fini(&q);
    up_store_page_fini(&page);
    snprintf(raw, sizeof(raw), "$top=7&$skiptoken=%s", token);
  }
  for (int k = 0; k < 40; k++)
    ck_assert_msg(seen[k] == 1, "job %d seen %d times", k, seen[k]);
  /* Another tenant's scope sees none of them. */
  const char *other[] = {TENANT_B, p, NULL};
  ck_assert_int_eq(run(UP_COLL_JOBS, NULL, other, 3, got, sizeof(got), NULL), UP_OK);
  ck_assert_str_eq(got, "");
}
END_TEST

/* Every field odata.c lets a request name has a column in the store. */
START_TEST(test_every_field_has_a_column)
{
  for (int c = 0; c < UP_COLL_COUNT; c++)
    for (const up_field_t *f = up_coll_fields((up_coll_t)c); f && f->path; f++)
      ck_assert_msg(up_store_field_sql((up_coll_t)c, f->path) != NULL, "%s.%s",
                    up_coll_type((up_coll_t)c), f->path);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("store-query");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_printer_filters, 0,
                      sizeof(printer_cases) / sizeof(printer_cases[0]));
  tcase_add_test(tc, test_keyset_pages);
  tcase_add_test(tc, test_jobs_scope_filters_and_insertions);
  tcase_add_test(tc, test_every_field_has_a_column);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
