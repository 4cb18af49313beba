/* check-permissions.c - the permission table: it covers every route, and its check.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/app.h"
#include "uprintd/auth.h"
#include "uprintd/http.h"
#include "uprintd/permissions.h"
#include "uprintd/router.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRINTER_ADMIN "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"
#define GLOBAL_ADMIN  "62e90394-69f5-4237-9190-012177145e10"

/* A principal from space-separated scopes and role ids (the strings are split in place). */
typedef struct who {
  up_principal_t p;
  char buf[1024], rbuf[256];
  char *scopes[32], *wids[4];
} who_t;

static void make(who_t *w, bool is_app, const char *scopes, const char *wids)
{
  size_t n = 0;
  memset(w, 0, sizeof(*w));
  w->p.is_app = is_app;
  snprintf(w->buf, sizeof(w->buf), "%s", scopes);
  snprintf(w->rbuf, sizeof(w->rbuf), "%s", wids ? wids : "");
  for (char *t = strtok(w->buf, " "); t && n < 31; t = strtok(NULL, " "))
    w->scopes[n++] = t;
  n = 0;
  for (char *t = strtok(w->rbuf, " "); t && n < 3; t = strtok(NULL, " "))
    w->wids[n++] = t;
  size_t ns = 0;
  while (w->scopes[ns])
    ns++;
  if (is_app) {
    w->p.roles = w->scopes;
    w->p.n_roles = ns;
  } else {
    w->p.scopes = w->scopes;
    w->p.n_scopes = ns;
  }
  w->p.wids = w->wids;
  w->p.n_wids = n;
  strcpy(w->p.oid, "00000000-0000-4000-8000-000000000001");
}

START_TEST(test_every_route_has_a_set)
{
  size_t n = 0;
  for (const up_route_t *r = up_routes; r->pattern; r++, n++) {
    ck_assert_msg(r->perm >= 0 && r->perm < UP_PERM_COUNT, "%s %s", up_method_name(r->method),
                  r->pattern);
    const up_perm_t *p = &up_perms[r->perm];
    /* Routes without a bearer token, and only they, are open or public. */
    ck_assert_msg(r->anonymous == (r->perm == UP_PERM_OPEN || r->perm == UP_PERM_PUBLIC), "%s %s",
                  up_method_name(r->method), r->pattern);
    /* Public: the operations URLs only, outside every API version. */
    if (r->perm == UP_PERM_PUBLIC)
      ck_assert_msg(r->versions == UP_API_ROOT && r->method == UP_METHOD_GET, "%s", r->pattern);
    if (r->perm != UP_PERM_OPEN && r->perm != UP_PERM_PUBLIC && !p->any_caller)
      ck_assert_msg(p->delegated || p->application, "%s: nobody may call it", p->name);
    /* "Any valid token" names no scopes (they would never be checked). */
    if (p->any_caller)
      ck_assert_msg(!p->delegated && !p->application && !p->admin, "%s", p->name);
    /* Every list ends, and "also" lists only go with the caller kind they extend. */
    ck_assert(!p->delegated_also || p->delegated);
    ck_assert(!p->application_also || p->application);
    ck_assert(!p->admin || p->delegated);
  }
  ck_assert_uint_gt(n, 70);
  for (int i = 0; i < UP_PERM_COUNT; i++)
    ck_assert_msg(up_perms[i].name != NULL, "set %d has no name", i);
}
END_TEST

typedef struct check_case {
  up_perm_id_t set;
  bool is_app;
  const char *scopes, *wids;
  up_status_t want;
  bool all_jobs;
  const char *message; /* part of the refusal */
} check_case_t;

static const check_case_t cases[] = {
    /* Least privileged works; higher too; none is 403 naming the permissions. */
    {UP_PERM_PRINTER_LIST, false, "Printer.Read.All", PRINTER_ADMIN, UP_OK, false, NULL},
    {UP_PERM_PRINTER_LIST, false, "Printer.FullControl.All", GLOBAL_ADMIN, UP_OK, false, NULL},
    {UP_PERM_PRINTER_LIST, false, "PrintJob.ReadWrite.All", PRINTER_ADMIN, UP_FORBIDDEN, false,
     "Printer.Read.All, Printer.ReadWrite.All or Printer.FullControl.All"},
    /* The administrator role. */
    {UP_PERM_PRINTER_LIST, false, "Printer.Read.All", NULL, UP_FORBIDDEN, false,
     "Printer Administrator"},
    /* Caller types. */
    {UP_PERM_PRINTER_LIST, true, "Printer.Read.All", NULL, UP_FORBIDDEN, false,
     "does not support application permissions"},
    {UP_PERM_TASK_DEFINITIONS, false, "PrintTaskDefinition.ReadWrite.All", PRINTER_ADMIN,
     UP_FORBIDDEN, false, "does not support delegated permissions"},
    {UP_PERM_TASK_DEFINITIONS, true, "PrintTaskDefinition.ReadWrite.All", NULL, UP_OK, true, NULL},
    {UP_PERM_PRINTER_READ, true, "Printer.Read.All", NULL, UP_OK, true, NULL},
    {UP_PERM_PRINTER_UPDATE, true, "Printer.Read.All", NULL, UP_FORBIDDEN, false,
     "Printer.ReadWrite.All"},
    /* Jobs: own unless an administrator with a .All scope, or an application. */
    {UP_PERM_JOB_READ_SHARE, false, "PrintJob.ReadBasic PrinterShare.ReadBasic.All", NULL, UP_OK,
     false, NULL},
    {UP_PERM_JOB_READ_SHARE, false, "PrintJob.ReadBasic.All PrinterShare.ReadBasic.All", NULL,
     UP_OK, false, NULL},
    {UP_PERM_JOB_READ_SHARE, false, "PrintJob.ReadBasic PrinterShare.ReadBasic.All", PRINTER_ADMIN,
     UP_OK, false, NULL},
    {UP_PERM_JOB_READ_SHARE, false, "PrintJob.ReadBasic.All PrinterShare.ReadBasic.All",
     PRINTER_ADMIN, UP_OK, true, NULL},
    {UP_PERM_JOB_READ_PRINTER, true, "PrintJob.ReadBasic.All Printer.Read.All", NULL, UP_OK, true,
     NULL},
    /* The Get printer / Get share permission that goes with a job permission. */
    {UP_PERM_JOB_READ_SHARE, false, "PrintJob.ReadBasic", NULL, UP_FORBIDDEN, false,
     "PrinterShare.ReadBasic.All"},
    {UP_PERM_JOB_READ_PRINTER, true, "PrintJob.Read.All", NULL, UP_FORBIDDEN, false,
     "Printer.Read.All or Printer.ReadWrite.All"},
    /* Basic scopes never reach content. */
    {UP_PERM_JOB_CONTENT_SHARE, false, "PrintJob.ReadWriteBasic PrinterShare.ReadBasic.All", NULL,
     UP_FORBIDDEN, false, "PrintJob.Read"},
    {UP_PERM_JOB_CONTENT_SHARE, false, "PrintJob.Read PrinterShare.ReadBasic.All", NULL, UP_OK,
     false, NULL},
    {UP_PERM_JOB_UPLOAD_SHARE, false, "PrintJob.ReadWriteBasic.All PrinterShare.ReadBasic.All",
     PRINTER_ADMIN, UP_FORBIDDEN, false, "PrintJob.Create"},
    {UP_PERM_JOB_UPLOAD_SHARE, false, "PrintJob.Create PrinterShare.ReadBasic.All", NULL, UP_OK,
     false, NULL},
    {UP_PERM_JOB_UPLOAD_SHARE, true, "PrintJob.ReadWrite.All Printer.Read.All", NULL, UP_FORBIDDEN,
     false, "application"},
    /* The pull-print application's operations. */
    {UP_PERM_JOB_REDIRECT, true, "PrintJob.ReadWrite.All Printer.Read.All", NULL, UP_FORBIDDEN,
     false, "PrintJob.Manage.All"},
    {UP_PERM_JOB_REDIRECT, true, "PrintJob.Manage.All Printer.Read.All", NULL, UP_OK, true, NULL},
    {UP_PERM_JOB_UPDATE, false, "PrintJob.ReadWrite.All Printer.Read.All", PRINTER_ADMIN,
     UP_FORBIDDEN, false, "delegated"},
    /* Scope names are matched whole (case-insensitively, as Graph does). */
    {UP_PERM_PRINTER_LIST, false, "printer.read.all", PRINTER_ADMIN, UP_OK, true, NULL},
    {UP_PERM_PRINTER_LIST, false, "Printer.Read", PRINTER_ADMIN, UP_FORBIDDEN, false, NULL},
    {UP_PERM_OPEN, false, "", NULL, UP_OK, false, NULL},
    {UP_PERM_PUBLIC, false, "", NULL, UP_OK, false, NULL},
    /* The batch: any valid token, delegated or application, whatever its scopes. */
    {UP_PERM_BATCH, false, "", NULL, UP_OK, false, NULL},
    {UP_PERM_BATCH, true, "", NULL, UP_OK, false, NULL},
    {UP_PERM_BATCH, false, "User.Read", NULL, UP_OK, false, NULL},
};

START_TEST(test_check)
{
  const check_case_t *c = &cases[_i];
  who_t w;
  up_grant_t g = {.all_jobs = !c->all_jobs};
  up_error_t err = {0};
  make(&w, c->is_app, c->scopes, c->wids);
  up_status_t st = up_perm_check(c->set, &w.p, &g, &err);
  ck_assert_msg(st == c->want, "case %d (%s, %s): %d, %s", _i, up_perms[c->set].name, c->scopes,
                (int)st, err.message);
  if (st == UP_OK && strncmp(up_perms[c->set].name, "job.", 4) == 0)
    ck_assert_msg(g.all_jobs == c->all_jobs, "case %d: all_jobs %d", _i, g.all_jobs);
  else
    ck_assert_str_eq(err.code[0] ? err.code : "accessDenied", "accessDenied");
  if (c->message)
    ck_assert_msg(strstr(err.message, c->message), "case %d: '%s' lacks '%s'", _i, err.message,
                  c->message);
}
END_TEST

/* docs/PERMISSIONS.md ends with the table as the binary prints it. */
START_TEST(test_docs_match_the_table)
{
  char *text = NULL, *doc = NULL;
  size_t len = 0, dlen = 0;
  FILE *mem = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(mem);
  up_perm_write_markdown(mem, up_routes);
  fclose(mem);
  FILE *f = fopen(UP_SOURCE_DIR "/docs/PERMISSIONS.md", "r");
  ck_assert_msg(f != NULL, "docs/PERMISSIONS.md is missing");
  mem = open_memstream(&doc, &dlen);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    fwrite(buf, 1, n, mem);
  fclose(f);
  fclose(mem);
  ck_assert_msg(dlen >= len && memcmp(doc + dlen - len, text, len) == 0,
                "docs/PERMISSIONS.md does not end with the table `uprintd permissions` prints: "
                "regenerate it");
  free(text);
  free(doc);
}
END_TEST

/* The JSON form names every route once. */
START_TEST(test_json)
{
  char *text = NULL;
  size_t len = 0, routes = 0, objects = 0;
  FILE *mem = open_memstream(&text, &len);
  up_perm_write_json(mem, up_routes);
  fclose(mem);
  for (const up_route_t *r = up_routes; r->pattern; r++)
    routes++;
  for (const char *p = text; (p = strstr(p, "{\"method\":")); p++)
    objects++;
  ck_assert_uint_eq(objects, routes);
  ck_assert_ptr_nonnull(strstr(text, "\"set\":\"job.redirect\""));
  free(text);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("permissions");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_every_route_has_a_set);
  tcase_add_loop_test(tc, test_check, 0, sizeof(cases) / sizeof(cases[0]));
  tcase_add_test(tc, test_docs_match_the_table);
  tcase_add_test(tc, test_json);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
