/* check-store-jobs.c - unit tests of the store's print jobs, documents, uploads and downloads.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"
#include "test-util.h"

#include "uprintd/embedded.h"
#include "uprintd/log.h"
#include "uprintd/store.h"
#include "uprintd/util.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-ids.h"

#define UPLOAD_1 "50000000-0000-4000-8000-000000000001"
#define UPLOAD_2 "50000000-0000-4000-8000-000000000002"
#define UPLOAD_3 "50000000-0000-4000-8000-000000000003"
#define USER_1   "70000000-0000-4000-8000-000000000001"
#define APP_1    "80000000-0000-4000-8000-000000000001"
#define MISSING  "99999999-0000-4000-8000-000000000000"
#define TOKEN    "q7Yb1r0k2H5m8vZx3cL9nP4sT6wA0eG2iK5oR8uX1yB"

#define T0 ((up_time_t)16000000000000000LL) /* 2020-09-13, in ticks */

#define STATUS_IDLE "{\"state\":\"idle\",\"details\":[],\"description\":\"\"}"
#define STATUS_BUSY "{\"state\":\"processing\",\"details\":[],\"description\":\"Printing.\"}"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- fixture: a fresh data directory and an open store with three printers per test --- */

static char dir[4096];
static char db_path[4200];
static up_store_t *store;

static void set_paths(void)
{
  snprintf(dir, sizeof(dir), "%s", up_test_tmpdir());
  snprintf(db_path, sizeof(db_path), "%s/uprintd.db", dir);
}

static void close_store(void)
{
  up_store_free(store);
  store = NULL;
}

static void reopen(void)
{
  up_error_t err = {0};
  close_store();
  ck_assert_msg(up_store_open(db_path, &store, &err) == UP_OK, "open: %s", err.message);
  ck_assert_ptr_nonnull(store);
}

/* Creates printer id of tenant (with its registration operation). */
static void add_printer(const char *tenant, const char *id)
{
  up_printer_t p;
  up_operation_t op;
  up_error_t err = {0};

  memset(&p, 0, sizeof(p));
  up_strlcpy(p.id, id, sizeof(p.id));
  up_strlcpy(p.tenant_id, tenant, sizeof(p.tenant_id));
  p.display_name = "Printer";
  p.registered_at = T0;
  p.status_json = STATUS_IDLE;
  p.is_accepting_jobs = 1;
  memset(&op, 0, sizeof(op));
  up_uuid_new(op.id);
  up_strlcpy(op.tenant_id, tenant, sizeof(op.tenant_id));
  up_strlcpy(op.printer_id, id, sizeof(op.printer_id));
  op.created_at = T0;
  op.state = UP_OPERATION_SUCCEEDED;
  op.description = "registered";
  ck_assert_msg(up_store_printer_create(store, &p, &op, &err) == UP_OK, "printer %s: %s", id,
                err.message);
}

static void add_printers(void)
{
  add_printer(TENANT_A, PRINTER_1);
  add_printer(TENANT_A, PRINTER_2);
  add_printer(TENANT_B, PRINTER_3);
}

static void setup_dir(void)
{
  set_paths();
  store = NULL;
}

static void setup_store(void)
{
  set_paths();
  store = NULL;
  reopen();
  add_printers();
}

static void teardown(void)
{
  close_store();
  up_test_rmtree(dir);
}

/* --- helpers --- */

/* A job with every member set (full) or every nullable member null. Not heap-owned. */
static void make_job(up_job_t *j, const char *tenant, const char *printer, const char *doc,
                     up_time_t at, bool full)
{
  memset(j, 0, sizeof(*j));
  up_strlcpy(j->tenant_id, tenant, sizeof(j->tenant_id));
  up_strlcpy(j->printer_id, printer, sizeof(j->printer_id));
  j->configuration_json = "{\"copies\":1}";
  j->created_at = at;
  j->state = UP_JOB_PAUSED;
  j->details = UP_JOB_DETAIL_UPLOAD_PENDING;
  up_strlcpy(j->document.id, doc, sizeof(j->document.id));
  if (!full)
    return;
  up_strlcpy(j->created_by_id, USER_1, sizeof(j->created_by_id));
  j->created_by_name = "Ada \"the\" Lovelace – ü";
  j->created_by_upn = "ada@contoso.example";
  j->created_by_app = APP_1;
  j->started_at = at + 10;
  j->acknowledged_at = at + 20;
  j->completed_at = at + 30;
  j->is_acquired = true;
  j->is_fetchable = true;
  j->has_error_code = true;
  j->error_code = 7;
  j->redirected_from = "https://graph.example/v1.0/print/printers/x/jobs/1";
  j->redirected_to = "https://graph.example/v1.0/print/printers/y/jobs/2";
  j->document.display_name = "Quarterly report.pdf";
  j->document.content_type = "application/pdf";
  j->document.size = 123456789012LL;
  j->document.uploaded_at = at + 5;
  j->document.downloaded_at = at + 6;
}

/* Creates a job (not full) in state st, started at started (UP_TIME_NULL: not started);
 * returns its id. */
static int64_t add_job(const char *tenant, const char *printer, const char *doc, up_time_t at,
                       up_job_state_t st, up_time_t started)
{
  up_job_t j;
  up_error_t err = {0};

  make_job(&j, tenant, printer, doc, at, false);
  j.state = st;
  j.started_at = started;
  ck_assert_msg(up_store_job_create(store, &j, &err) == UP_OK, "job: %s", err.message);
  ck_assert_int_gt(j.id, 0);
  return j.id;
}

static void assert_document_eq(const up_document_t *a, const up_document_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_int_eq(a->job_id, b->job_id);
  ck_assert_pstr_eq(a->display_name, b->display_name);
  ck_assert_pstr_eq(a->content_type, b->content_type);
  ck_assert_int_eq(a->size, b->size);
  ck_assert_int_eq(a->uploaded_at, b->uploaded_at);
  ck_assert_int_eq(a->downloaded_at, b->downloaded_at);
}

static void assert_job_eq(const up_job_t *a, const up_job_t *b)
{
  ck_assert_int_eq(a->id, b->id);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_str_eq(a->printer_id, b->printer_id);
  ck_assert_pstr_eq(a->configuration_json, b->configuration_json);
  ck_assert_str_eq(a->created_by_id, b->created_by_id);
  ck_assert_pstr_eq(a->created_by_name, b->created_by_name);
  ck_assert_pstr_eq(a->created_by_upn, b->created_by_upn);
  ck_assert_pstr_eq(a->created_by_app, b->created_by_app);
  ck_assert_int_eq(a->created_at, b->created_at);
  ck_assert_int_eq(a->started_at, b->started_at);
  ck_assert_int_eq(a->acknowledged_at, b->acknowledged_at);
  ck_assert_int_eq(a->completed_at, b->completed_at);
  ck_assert_int_eq(a->state, b->state);
  ck_assert_uint_eq(a->details, b->details);
  ck_assert_int_eq(a->is_acquired, b->is_acquired);
  ck_assert_int_eq(a->is_fetchable, b->is_fetchable);
  ck_assert_int_eq(a->has_error_code, b->has_error_code);
  ck_assert_int_eq(a->error_code, b->error_code);
  ck_assert_pstr_eq(a->redirected_from, b->redirected_from);
  ck_assert_pstr_eq(a->redirected_to, b->redirected_to);
  assert_document_eq(&a->document, &b->document);
}

/* The job as stored, read back (with any printer of tenant A). Caller fini's it. */
static void get_job(int64_t id, up_job_t *out)
{
  up_error_t err = {0};
  ck_assert_msg(up_store_job_get(store, TENANT_A, NULL, id, out, &err) == UP_OK, "get %lld: %s",
                (long long)id, err.message);
}

static up_job_state_t get_state(int64_t id)
{
  up_job_t j;
  up_job_state_t st;
  get_job(id, &j);
  st = j.state;
  up_job_fini(&j);
  return st;
}

/* The stored status of a printer of tenant A (compared, then released). */
static void assert_printer_status(const char *printer, const char *want)
{
  up_printer_t p;
  up_error_t err = {0};
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, printer, &p, &err), UP_OK);
  ck_assert_pstr_eq(p.status_json, want);
  up_printer_fini(&p);
}

static void make_upload(up_upload_t *u, const char *id, const char *tenant, int64_t job,
                        const char *doc, up_time_t expires)
{
  memset(u, 0, sizeof(*u));
  up_strlcpy(u->id, id, sizeof(u->id));
  up_strlcpy(u->token, TOKEN, sizeof(u->token));
  up_strlcpy(u->tenant_id, tenant, sizeof(u->tenant_id));
  u->job_id = job;
  up_strlcpy(u->document_id, doc, sizeof(u->document_id));
  u->document_name = "report.pdf";
  u->content_type = "application/pdf";
  u->size = 4096;
  u->expires_at = expires;
  u->received = "";
}

static void add_upload(const char *id, int64_t job, const char *doc, up_time_t expires)
{
  up_upload_t u;
  up_error_t err = {0};
  make_upload(&u, id, TENANT_A, job, doc, expires);
  ck_assert_msg(up_store_upload_create(store, &u, &err) == UP_OK, "upload %s: %s", id, err.message);
}

/* --- job changes: a few fn's --- */

/* Sets the state in *ctx (an up_job_state_t) and counts its calls in calls. */
static int calls;

static up_status_t set_state(up_job_t *job, void *ctx, up_job_effects_t *fx, up_error_t *err)
{
  (void)fx;
  (void)err;
  calls++;
  job->state = *(const up_job_state_t *)ctx;
  return UP_OK;
}

/* --- create and get --- */

static const struct {
  up_job_state_t state;
  unsigned details;
  bool has_error_code;
  int32_t error_code;
  bool full;
} job_variants[] = {
    {UP_JOB_UNKNOWN, 0, false, 0, false},
    {UP_JOB_PENDING, UP_JOB_DETAIL_UPLOAD_PENDING, true, 0, true},
    {UP_JOB_PROCESSING, UP_JOB_DETAIL_INTERPRETING | UP_JOB_DETAIL_TRANSFORMING, true, -1, true},
    {UP_JOB_PAUSED, UP_JOB_DETAIL_RELEASE_WAIT | UP_JOB_DETAIL_UPLOAD_PENDING, false, 0, true},
    {UP_JOB_STOPPED, 0, true, INT32_MAX, false},
    {UP_JOB_COMPLETED, UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY | UP_JOB_DETAIL_COMPLETED_WITH_WARNINGS,
     true, INT32_MIN, true},
    {UP_JOB_CANCELED, 0, false, 0, true},
    {UP_JOB_ABORTED, 0x7f, true, 0, false},
};

START_TEST(test_job_roundtrip)
{
  up_job_t j, got;
  up_job_list_t list;
  up_error_t err = {0};

  make_job(&j, TENANT_A, PRINTER_1, DOC_1, T0, job_variants[_i].full);
  j.state = job_variants[_i].state;
  j.details = job_variants[_i].details;
  j.has_error_code = job_variants[_i].has_error_code;
  j.error_code = job_variants[_i].error_code;
  j.document.job_id = 12345; /* ignored: the store sets it */
  ck_assert_msg(up_store_job_create(store, &j, &err) == UP_OK, "%s", err.message);
  ck_assert_int_gt(j.id, 0);
  ck_assert_int_eq(j.document.job_id, j.id);

  /* Through its printer and through any printer of the tenant. */
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, PRINTER_1, j.id, &got, &err), UP_OK);
  assert_job_eq(&got, &j);
  up_job_fini(&got);
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, NULL, j.id, &got, &err), UP_OK);
  assert_job_eq(&got, &j);
  up_job_fini(&got);

  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  assert_job_eq(&list.items[0], &j);
  up_job_list_fini(&list);

  /* And after reopening. */
  reopen();
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, PRINTER_1, j.id, &got, &err), UP_OK);
  assert_job_eq(&got, &j);
  up_job_fini(&got);
}
END_TEST

START_TEST(test_job_strings_empty_vs_null)
{
  up_job_t j, got;
  up_error_t err = {0};

  /* "" stays "" (not null) where null is representable; created_by_id "" means none. */
  make_job(&j, TENANT_A, PRINTER_1, DOC_1, T0, false);
  j.created_by_name = "";
  j.redirected_to = "";
  j.document.display_name = "";
  j.document.content_type = "";
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_OK);
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, NULL, j.id, &got, &err), UP_OK);
  assert_job_eq(&got, &j);
  ck_assert_ptr_null(got.created_by_upn);
  ck_assert_ptr_nonnull(got.created_by_name);
  up_job_fini(&got);
}
END_TEST

/* Creations that fail, leaving nothing behind. */
static const struct {
  const char *name;
  const char *tenant;
  const char *printer;
  const char *doc; /* DOC_1 is taken by an existing job */
  int state;
  bool no_configuration;
  up_status_t want;
} create_cases[] = {
    {"missing printer", TENANT_A, MISSING, DOC_2, UP_JOB_PAUSED, false, UP_NOT_FOUND},
    {"other tenant's printer", TENANT_A, PRINTER_3, DOC_2, UP_JOB_PAUSED, false, UP_NOT_FOUND},
    {"printer under the wrong tenant", TENANT_B, PRINTER_1, DOC_2, UP_JOB_PAUSED, false,
     UP_NOT_FOUND},
    {"document id taken", TENANT_A, PRINTER_1, DOC_1, UP_JOB_PAUSED, false, UP_CONFLICT},
    {"state out of range", TENANT_A, PRINTER_1, DOC_2, UP_JOB_STATE_COUNT, false, UP_INTERNAL},
    {"negative state", TENANT_A, PRINTER_1, DOC_2, -1, false, UP_INTERNAL},
    {"no configuration", TENANT_A, PRINTER_1, DOC_2, UP_JOB_PAUSED, true, UP_DB},
};

START_TEST(test_job_create_fails)
{
  up_job_t j;
  up_job_list_t list;
  up_error_t err = {0};
  int64_t first = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  make_job(&j, create_cases[_i].tenant, create_cases[_i].printer, create_cases[_i].doc, T0, true);
  j.state = (up_job_state_t)create_cases[_i].state;
  if (create_cases[_i].no_configuration)
    j.configuration_json = NULL;
  ck_assert_msg(up_store_job_create(store, &j, &err) == create_cases[_i].want, "%s: %s",
                create_cases[_i].name, err.message);
  ck_assert_int_eq(err.status, create_cases[_i].want);
  ck_assert_int_eq(j.id, 0);

  /* Nothing was left: only the first job, and the next one follows it. */
  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  ck_assert_int_eq(list.items[0].id, first);
  up_job_list_fini(&list);
  ck_assert_int_eq(up_store_job_list(store, TENANT_B, PRINTER_3, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_job_list_fini(&list);
  ck_assert_int_gt(add_job(TENANT_A, PRINTER_1, DOC_3, T0, UP_JOB_PAUSED, UP_TIME_NULL), first);
}
END_TEST

START_TEST(test_job_ids_not_reused)
{
  int64_t a, b, c, d, e;
  up_job_t j;
  up_error_t err = {0};

  a = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  b = add_job(TENANT_A, PRINTER_2, DOC_2, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  c = add_job(TENANT_A, PRINTER_1, DOC_3, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  ck_assert_int_lt(a, b);
  ck_assert_int_lt(b, c);

  /* Deleting the printer deletes the newest job; its id is not handed out again. */
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, NULL, c, &j, &err), UP_NOT_FOUND);
  d = add_job(TENANT_A, PRINTER_2, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  ck_assert_int_gt(d, c);

  /* Nor after reopening, nor when every job is gone. */
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_2, &err), UP_OK);
  reopen();
  add_printer(TENANT_A, PRINTER_1);
  e = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  ck_assert_int_gt(e, d);
}
END_TEST

/* Reads of job 1 (on PRINTER_1 of TENANT_A) that must not find it. */
static const struct {
  const char *name;
  const char *tenant;
  const char *printer;
  int64_t id_offset;
} get_misses[] = {
    {"other printer of the tenant", TENANT_A, PRINTER_2, 0},
    {"other tenant, any printer", TENANT_B, NULL, 0},
    {"other tenant, the job's printer", TENANT_B, PRINTER_1, 0},
    {"other tenant's printer", TENANT_B, PRINTER_3, 0},
    {"missing printer", TENANT_A, MISSING, 0},
    {"missing id", TENANT_A, NULL, 1000},
    {"id 0", TENANT_A, NULL, -1},
    {"null tenant", NULL, NULL, 0},
};

START_TEST(test_job_get_not_found)
{
  up_job_t got;
  up_error_t err = {0};
  int64_t id = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  int64_t want = get_misses[_i].id_offset < 0 ? 0 : id + get_misses[_i].id_offset;

  memset(&got, 0x5a, sizeof(got));
  ck_assert_msg(up_store_job_get(store, get_misses[_i].tenant, get_misses[_i].printer, want, &got,
                                 &err) == UP_NOT_FOUND,
                "%s", get_misses[_i].name);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  /* out is zeroed, and fini-safe. */
  ck_assert_int_eq(got.id, 0);
  ck_assert_ptr_null(got.configuration_json);
  ck_assert_ptr_null(got.document.display_name);
  up_job_fini(&got);
}
END_TEST

START_TEST(test_job_list_order_and_scope)
{
  up_job_list_t list;
  up_error_t err = {0};
  int64_t a, b, c, d;

  /* created_at descending, then id descending. */
  a = add_job(TENANT_A, PRINTER_1, DOC_1, T0 + 2, UP_JOB_PAUSED, UP_TIME_NULL);
  b = add_job(TENANT_A, PRINTER_1, DOC_2, T0 + 1, UP_JOB_PAUSED, UP_TIME_NULL);
  c = add_job(TENANT_A, PRINTER_1, DOC_3, T0 + 2, UP_JOB_PAUSED, UP_TIME_NULL);
  d = add_job(TENANT_A, PRINTER_2, DOC_4, T0 + 9, UP_JOB_PAUSED, UP_TIME_NULL);
  add_job(TENANT_B, PRINTER_3, MISSING, T0 + 9, UP_JOB_PAUSED, UP_TIME_NULL);

  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 3);
  ck_assert_int_eq(list.items[0].id, c);
  ck_assert_int_eq(list.items[1].id, a);
  ck_assert_int_eq(list.items[2].id, b);
  for (size_t i = 0; i < list.count; i++) {
    ck_assert_str_eq(list.items[i].printer_id, PRINTER_1);
    ck_assert_str_eq(list.items[i].tenant_id, TENANT_A);
  }
  up_job_list_fini(&list);

  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_2, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  ck_assert_int_eq(list.items[0].id, d);
  up_job_list_fini(&list);

  /* Another tenant's printer, or a printer under another tenant: nothing. */
  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_3, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  ck_assert_ptr_null(list.items);
  up_job_list_fini(&list);
  ck_assert_int_eq(up_store_job_list(store, TENANT_B, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_job_list_fini(&list);
}
END_TEST

START_TEST(test_job_list_many)
{
  up_job_list_t list;
  up_error_t err = {0};
  char doc[UP_ID_SIZE];

  /* Enough to grow the array a few times. */
  for (int i = 0; i < 40; i++) {
    up_uuid_new(doc);
    add_job(TENANT_A, PRINTER_1, doc, T0 + i, UP_JOB_PAUSED, UP_TIME_NULL);
  }
  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 40);
  for (size_t i = 1; i < list.count; i++)
    ck_assert_int_gt(list.items[i - 1].created_at, list.items[i].created_at);
  up_job_list_fini(&list);
}
END_TEST

/* --- job changes --- */

/* Changes every mutable member. */
static up_status_t change_all(up_job_t *job, void *ctx, up_job_effects_t *fx, up_error_t *err)
{
  (void)ctx;
  (void)fx;
  calls++;
  if (!up_str_set(&job->configuration_json, "{\"copies\":3}") ||
      !up_str_set(&job->created_by_name, "Grace") || !up_str_set(&job->created_by_upn, NULL) ||
      !up_str_set(&job->created_by_app, "app") ||
      !up_str_set(&job->redirected_from, "https://a.example/") ||
      !up_str_set(&job->redirected_to, NULL) ||
      !up_str_set(&job->document.display_name, "new.pdf") ||
      !up_str_set(&job->document.content_type, "application/pdf"))
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  up_strlcpy(job->created_by_id, "", sizeof(job->created_by_id));
  job->created_at = T0 + 100;
  job->started_at = T0 + 101;
  job->acknowledged_at = UP_TIME_NULL;
  job->completed_at = T0 + 103;
  job->state = UP_JOB_COMPLETED;
  job->details = UP_JOB_DETAIL_COMPLETED_WITH_ERRORS;
  job->is_acquired = false;
  job->is_fetchable = true;
  job->has_error_code = false;
  job->error_code = 0;
  job->document.size = 77;
  job->document.uploaded_at = T0 + 104;
  job->document.downloaded_at = UP_TIME_NULL;
  return UP_OK;
}

START_TEST(test_job_change_writes)
{
  up_job_t j, out, got;
  up_error_t err = {0};
  bool with_out = _i == 0;

  make_job(&j, TENANT_A, PRINTER_1, DOC_1, T0, true);
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_OK);

  calls = 0;
  ck_assert_msg(up_store_job_change(store, TENANT_A, j.id, change_all, NULL, with_out ? &out : NULL,
                                    &err) == UP_OK,
                "%s", err.message);
  ck_assert_int_eq(calls, 1);
  get_job(j.id, &got);
  ck_assert_int_eq(got.state, UP_JOB_COMPLETED);
  ck_assert_str_eq(got.created_by_id, "");
  ck_assert_pstr_eq(got.created_by_upn, NULL);
  ck_assert_pstr_eq(got.redirected_from, "https://a.example/");
  ck_assert_int_eq(got.has_error_code, false);
  ck_assert_int_eq(got.acknowledged_at, UP_TIME_NULL);
  ck_assert_int_eq(got.created_at, T0 + 100);
  ck_assert_pstr_eq(got.document.display_name, "new.pdf");
  ck_assert_int_eq(got.document.size, 77);
  ck_assert_int_eq(got.document.downloaded_at, UP_TIME_NULL);
  /* The keys stay. */
  ck_assert_int_eq(got.id, j.id);
  ck_assert_str_eq(got.printer_id, PRINTER_1);
  ck_assert_str_eq(got.document.id, DOC_1);
  ck_assert_int_eq(got.document.job_id, j.id);
  if (with_out) {
    assert_job_eq(&out, &got);
    up_job_fini(&out);
  }
  up_job_fini(&got);
}
END_TEST

/* Changes the job and asks for both effects, then refuses. */
static up_status_t change_then_refuse(up_job_t *job, void *ctx, up_job_effects_t *fx,
                                      up_error_t *err)
{
  (void)ctx;
  calls++;
  job->state = UP_JOB_CANCELED;
  job->document.size = 1;
  fx->printer_status_json = strdup(STATUS_BUSY);
  up_strlcpy(fx->delete_upload_id, UPLOAD_1, sizeof(fx->delete_upload_id));
  return up_error_set(err, UP_INVALID, NULL, "not now");
}

/* Changes the keys it must not change (*ctx: which). */
static up_status_t change_key(up_job_t *job, void *ctx, up_job_effects_t *fx, up_error_t *err)
{
  (void)fx;
  (void)err;
  calls++;
  job->state = UP_JOB_CANCELED;
  switch (*(const int *)ctx) {
  case 0:
    job->id++;
    break;
  case 1:
    up_strlcpy(job->tenant_id, TENANT_B, sizeof(job->tenant_id));
    break;
  case 2:
    up_strlcpy(job->printer_id, PRINTER_2, sizeof(job->printer_id));
    break;
  case 3:
    up_strlcpy(job->document.id, DOC_2, sizeof(job->document.id));
    break;
  case 4:
    job->document.job_id = 0;
    break;
  default:
    job->state = (up_job_state_t)99;
    break;
  }
  return UP_OK;
}

START_TEST(test_job_change_refused)
{
  up_job_t j, before, after, out;
  up_upload_t u;
  up_error_t err = {0};

  make_job(&j, TENANT_A, PRINTER_1, DOC_1, T0, true);
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_OK);
  add_upload(UPLOAD_1, j.id, DOC_1, T0 + 1000);
  get_job(j.id, &before);

  /* fn's error rolls back: no member, no effect (and its status text is not leaked). */
  calls = 0;
  memset(&out, 0x5a, sizeof(out));
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, j.id, change_then_refuse, NULL, &out, &err),
                   UP_INVALID);
  ck_assert_str_eq(err.message, "not now");
  ck_assert_int_eq(calls, 1);
  ck_assert_int_eq(out.id, 0);
  ck_assert_ptr_null(out.configuration_json);
  up_job_fini(&out);
  get_job(j.id, &after);
  assert_job_eq(&after, &before);
  up_job_fini(&after);
  assert_printer_status(PRINTER_1, STATUS_IDLE);
  ck_assert(up_store_upload_exists(store, UPLOAD_1));

  /* Moving a key, or an invalid state, is refused the same way. */
  for (int k = 0; k <= 5; k++) {
    ck_assert_int_eq(up_store_job_change(store, TENANT_A, j.id, change_key, &k, NULL, &err),
                     UP_INTERNAL);
    get_job(j.id, &after);
    assert_job_eq(&after, &before);
    up_job_fini(&after);
  }
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_1, &u, &err), UP_OK);
  up_upload_fini(&u);
  up_job_fini(&before);
}
END_TEST

START_TEST(test_job_change_not_found)
{
  up_job_state_t to = UP_JOB_CANCELED;
  up_job_t out;
  up_error_t err = {0};
  int64_t id = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  calls = 0;
  ck_assert_int_eq(up_store_job_change(store, TENANT_B, id, set_state, &to, &out, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, id + 1, set_state, &to, &out, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(calls, 0);
  ck_assert_int_eq(out.id, 0);
  ck_assert_int_eq(get_state(id), UP_JOB_PAUSED);
}
END_TEST

/* What change_with_effects asks for. */
typedef struct effects {
  const char *status; /* the printer's new status */
  const char *upload; /* the session to delete */
} effects_t;

/* Takes the job to processing, with the effects in *ctx. */
static up_status_t change_with_effects(up_job_t *job, void *ctx, up_job_effects_t *fx,
                                       up_error_t *err)
{
  const effects_t *e = ctx;
  calls++;
  job->state = UP_JOB_PROCESSING;
  job->is_fetchable = true;
  fx->printer_status_json = strdup(e->status);
  if (!fx->printer_status_json)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  up_strlcpy(fx->delete_upload_id, e->upload, sizeof(fx->delete_upload_id));
  return UP_OK;
}

START_TEST(test_job_change_effects)
{
  effects_t e = {STATUS_BUSY, UPLOAD_1};
  up_job_t out;
  up_error_t err = {0};
  int64_t id = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PENDING, T0);
  int64_t other = add_job(TENANT_A, PRINTER_2, DOC_2, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  add_upload(UPLOAD_1, id, DOC_1, T0 + 1000);
  add_upload(UPLOAD_2, other, DOC_2, T0 + 1000);
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, id, change_with_effects, &e, &out, &err),
                   UP_OK);
  ck_assert_int_eq(out.state, UP_JOB_PROCESSING);
  up_job_fini(&out);
  ck_assert_int_eq(get_state(id), UP_JOB_PROCESSING);
  assert_printer_status(PRINTER_1, STATUS_BUSY);
  assert_printer_status(PRINTER_2, STATUS_IDLE);
  ck_assert(!up_store_upload_exists(store, UPLOAD_1));
  ck_assert(up_store_upload_exists(store, UPLOAD_2));

  /* The session is gone already: no error. */
  e.status = STATUS_IDLE;
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, id, change_with_effects, &e, NULL, &err),
                   UP_OK);
  assert_printer_status(PRINTER_1, STATUS_IDLE);

  /* Another job's session is not this change's to delete. */
  e.upload = UPLOAD_2;
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, id, change_with_effects, &e, NULL, &err),
                   UP_OK);
  ck_assert(up_store_upload_exists(store, UPLOAD_2));

  /* No effects: nothing but the job. */
  e.status = STATUS_BUSY;
  up_job_state_t to = UP_JOB_COMPLETED;
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, other, set_state, &to, NULL, &err), UP_OK);
  ck_assert_int_eq(get_state(other), UP_JOB_COMPLETED);
  assert_printer_status(PRINTER_2, STATUS_IDLE);
  ck_assert(up_store_upload_exists(store, UPLOAD_2));
}
END_TEST

/* The real schema plus a migration whose trigger refuses one printer status: a change whose
 * printer-status write fails leaves the job and the upload session as they were. */
START_TEST(test_job_change_effect_fails)
{
  static const char trigger[] =
      "CREATE TRIGGER refuse_status BEFORE UPDATE OF status_json ON printers "
      "WHEN NEW.status_json = 'refused' BEGIN SELECT RAISE(ABORT, 'status refused'); END;";
  effects_t e = {"refused", UPLOAD_1};
  up_embedded_file_t files[16];
  char name[32];
  size_t n = 0;
  up_job_t before, after;
  up_error_t err = {0};
  int64_t id;

  close_store();
  memset(files, 0, sizeof(files));
  for (const up_embedded_file_t *f = up_embedded_files; f->name; f++) {
    ck_assert_uint_lt(n, COUNT(files) - 2);
    files[n++] = *f;
  }
  snprintf(name, sizeof(name), "%04d-refuse.sql", up_store_schema_latest() + 1);
  files[n++] = (up_embedded_file_t){name, trigger, sizeof(trigger) - 1};
  /* The fixture's database gets the extra migration. */
  ck_assert_msg(up_store_open_files(db_path, files, &store, &err) == UP_OK, "%s", err.message);

  id = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PENDING, T0);
  add_upload(UPLOAD_1, id, DOC_1, T0 + 1000);
  get_job(id, &before);
  calls = 0;
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, id, change_with_effects, &e, NULL, &err),
                   UP_DB);
  ck_assert_int_eq(calls, 1);
  ck_assert_ptr_nonnull(strstr(err.message, "status refused"));

  /* The job change and the upload deletion went with it. */
  get_job(id, &after);
  assert_job_eq(&after, &before);
  ck_assert_int_eq(after.state, UP_JOB_PENDING);
  up_job_fini(&after);
  up_job_fini(&before);
  assert_printer_status(PRINTER_1, STATUS_IDLE);
  ck_assert(up_store_upload_exists(store, UPLOAD_1));

  /* Another status goes through. */
  e.status = STATUS_BUSY;
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, id, change_with_effects, &e, NULL, &err),
                   UP_OK);
  assert_printer_status(PRINTER_1, STATUS_BUSY);
  ck_assert(!up_store_upload_exists(store, UPLOAD_1));
}
END_TEST

/* --- the queue --- */

START_TEST(test_job_next_fifo)
{
  up_job_state_t processing = UP_JOB_PROCESSING;
  up_job_t j;
  up_error_t err = {0};
  int64_t j1, j2, j4, j6, j7;

  j1 = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PENDING, T0 + 5);
  j2 = add_job(TENANT_A, PRINTER_1, DOC_2, T0 + 1, UP_JOB_PENDING, T0 + 3);
  add_job(TENANT_A, PRINTER_1, DOC_3, T0 - 5, UP_JOB_PAUSED, UP_TIME_NULL);
  j4 = add_job(TENANT_A, PRINTER_1, DOC_4, T0 + 2, UP_JOB_PENDING, T0 + 3);
  add_job(TENANT_A, PRINTER_1, "41000000-0000-4000-8000-000000000005", T0, UP_JOB_PROCESSING,
          T0 + 1);
  add_job(TENANT_A, PRINTER_1, "41000000-0000-4000-8000-000000000006", T0, UP_JOB_COMPLETED,
          T0 + 1);
  j6 = add_job(TENANT_A, PRINTER_2, "41000000-0000-4000-8000-000000000007", T0, UP_JOB_PENDING,
               T0 + 9);
  j7 = add_job(TENANT_B, PRINTER_3, "41000000-0000-4000-8000-000000000008", T0, UP_JOB_PENDING,
               T0 + 1);

  /* PRINTER_1: by started_at, then id; each taken job leaves the queue. */
  const int64_t order[] = {j2, j4, j1};
  for (size_t i = 0; i < COUNT(order); i++) {
    ck_assert_int_eq(up_store_job_next(store, PRINTER_1, &j, &err), UP_OK);
    ck_assert_int_eq(j.id, order[i]);
    ck_assert_int_eq(j.state, UP_JOB_PENDING);
    ck_assert_str_eq(j.tenant_id, TENANT_A);
    up_job_fini(&j);
    ck_assert_int_eq(
        up_store_job_change(store, TENANT_A, order[i], set_state, &processing, NULL, &err), UP_OK);
  }
  ck_assert_int_eq(up_store_job_next(store, PRINTER_1, &j, &err), UP_NOT_FOUND);
  ck_assert_int_eq(j.id, 0);
  up_job_fini(&j);

  /* The other printers' queues, of any tenant. */
  ck_assert_int_eq(up_store_job_next(store, PRINTER_2, &j, &err), UP_OK);
  ck_assert_int_eq(j.id, j6);
  up_job_fini(&j);
  ck_assert_int_eq(up_store_job_next(store, PRINTER_3, &j, &err), UP_OK);
  ck_assert_int_eq(j.id, j7);
  ck_assert_str_eq(j.tenant_id, TENANT_B);
  ck_assert_str_eq(j.document.id, "41000000-0000-4000-8000-000000000008");
  up_job_fini(&j);
  ck_assert_int_eq(up_store_job_next(store, MISSING, &j, &err), UP_NOT_FOUND);
  up_job_fini(&j);
}
END_TEST

START_TEST(test_job_list_printing)
{
  up_job_list_t list;
  up_error_t err = {0};
  int64_t a, b, c;

  ck_assert_int_eq(up_store_job_list_printing(store, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_job_list_fini(&list);

  a = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PROCESSING, T0 + 7);
  add_job(TENANT_A, PRINTER_1, DOC_2, T0, UP_JOB_PENDING, T0 + 1);
  b = add_job(TENANT_B, PRINTER_3, DOC_3, T0, UP_JOB_STOPPED, T0 + 2);
  c = add_job(TENANT_A, PRINTER_2, DOC_4, T0, UP_JOB_PROCESSING, T0 + 7);
  add_job(TENANT_A, PRINTER_2, "41000000-0000-4000-8000-000000000005", T0, UP_JOB_COMPLETED,
          T0 + 1);
  add_job(TENANT_A, PRINTER_2, "41000000-0000-4000-8000-000000000006", T0, UP_JOB_PAUSED,
          UP_TIME_NULL);
  add_job(TENANT_A, PRINTER_2, "41000000-0000-4000-8000-000000000007", T0, UP_JOB_ABORTED, T0);

  ck_assert_int_eq(up_store_job_list_printing(store, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 3);
  ck_assert_int_eq(list.items[0].id, b);
  ck_assert_int_eq(list.items[0].state, UP_JOB_STOPPED);
  ck_assert_int_eq(list.items[1].id, a);
  ck_assert_int_eq(list.items[2].id, c);
  ck_assert_str_eq(list.items[2].document.id, DOC_4);
  up_job_list_fini(&list);
}
END_TEST

START_TEST(test_printers_with_pending)
{
  char(*ids)[UP_ID_SIZE] = (void *)1;
  size_t n = 99;
  up_error_t err = {0};

  ck_assert_int_eq(up_store_printers_with_pending(store, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(ids);

  add_job(TENANT_A, PRINTER_2, DOC_1, T0, UP_JOB_PENDING, T0);
  add_job(TENANT_A, PRINTER_2, DOC_2, T0, UP_JOB_PENDING, T0);
  add_job(TENANT_A, PRINTER_1, DOC_3, T0, UP_JOB_PROCESSING, T0);
  add_job(TENANT_B, PRINTER_3, DOC_4, T0, UP_JOB_PENDING, T0);
  ck_assert_int_eq(up_store_printers_with_pending(store, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(ids[0], PRINTER_2);
  ck_assert_str_eq(ids[1], PRINTER_3);
  free(ids);
}
END_TEST

/* --- documents --- */

START_TEST(test_document_get_and_downloaded)
{
  up_job_t j;
  up_document_t d;
  up_error_t err = {0};

  make_job(&j, TENANT_A, PRINTER_1, DOC_1, T0, true);
  j.document.downloaded_at = UP_TIME_NULL;
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_OK);

  ck_assert_int_eq(up_store_document_get(store, TENANT_A, DOC_1, &d, &err), UP_OK);
  assert_document_eq(&d, &j.document);
  up_document_fini(&d);

  /* Another tenant, or no such document: not found, out zeroed. */
  memset(&d, 0x5a, sizeof(d));
  ck_assert_int_eq(up_store_document_get(store, TENANT_B, DOC_1, &d, &err), UP_NOT_FOUND);
  ck_assert_ptr_null(d.display_name);
  ck_assert_int_eq(d.job_id, 0);
  up_document_fini(&d);
  ck_assert_int_eq(up_store_document_get(store, TENANT_A, MISSING, &d, &err), UP_NOT_FOUND);
  up_document_fini(&d);

  ck_assert_int_eq(up_store_document_set_downloaded(store, TENANT_B, DOC_1, T0 + 50, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_document_set_downloaded(store, TENANT_A, MISSING, T0 + 50, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_document_get(store, TENANT_A, DOC_1, &d, &err), UP_OK);
  ck_assert_int_eq(d.downloaded_at, UP_TIME_NULL);
  up_document_fini(&d);

  ck_assert_int_eq(up_store_document_set_downloaded(store, TENANT_A, DOC_1, T0 + 50, &err), UP_OK);
  j.document.downloaded_at = T0 + 50;
  ck_assert_int_eq(up_store_document_get(store, TENANT_A, DOC_1, &d, &err), UP_OK);
  assert_document_eq(&d, &j.document);
  up_document_fini(&d);
  /* The same time again is no "not found". */
  ck_assert_int_eq(up_store_document_set_downloaded(store, TENANT_A, DOC_1, T0 + 50, &err), UP_OK);
}
END_TEST

START_TEST(test_printer_documents)
{
  char(*ids)[UP_ID_SIZE] = NULL;
  size_t n = 0;
  up_error_t err = {0};

  add_job(TENANT_A, PRINTER_1, DOC_3, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  add_job(TENANT_A, PRINTER_2, DOC_2, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_COMPLETED, T0);
  add_job(TENANT_B, PRINTER_3, DOC_4, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  ck_assert_int_eq(up_store_printer_documents(store, TENANT_A, PRINTER_1, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(ids[0], DOC_3); /* job order */
  ck_assert_str_eq(ids[1], DOC_1);
  free(ids);

  /* Scoped by tenant. */
  ck_assert_int_eq(up_store_printer_documents(store, TENANT_B, PRINTER_1, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(ids);
  ck_assert_int_eq(up_store_printer_documents(store, TENANT_A, MISSING, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 0);
  ck_assert_int_eq(up_store_printer_documents(store, TENANT_B, PRINTER_3, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(ids[0], DOC_4);
  free(ids);
}
END_TEST

/* --- upload sessions --- */

static void assert_upload_eq(const up_upload_t *a, const up_upload_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_str_eq(a->token, b->token);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_int_eq(a->job_id, b->job_id);
  ck_assert_str_eq(a->document_id, b->document_id);
  ck_assert_pstr_eq(a->document_name, b->document_name);
  ck_assert_pstr_eq(a->content_type, b->content_type);
  ck_assert_int_eq(a->size, b->size);
  ck_assert_int_eq(a->expires_at, b->expires_at);
  ck_assert_pstr_eq(a->received, b->received);
}

START_TEST(test_upload_roundtrip)
{
  up_upload_t u, got;
  up_error_t err = {0};
  int64_t job = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  make_upload(&u, UPLOAD_1, TENANT_A, job, DOC_1, T0 + 1000);
  u.received = "0-99";
  ck_assert_int_eq(up_store_upload_create(store, &u, &err), UP_OK);
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_1, &got, &err), UP_OK);
  assert_upload_eq(&got, &u);
  up_upload_fini(&got);

  /* Null names; a null received reads as "". */
  make_upload(&u, UPLOAD_2, TENANT_A, job, DOC_1, T0 + 1000);
  u.document_name = NULL;
  u.content_type = NULL;
  u.received = NULL;
  ck_assert_int_eq(up_store_upload_create(store, &u, &err), UP_OK);
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_2, &got, &err), UP_OK);
  u.received = "";
  assert_upload_eq(&got, &u);
  up_upload_fini(&got);

  /* received: replaced, and back to "". */
  ck_assert_int_eq(up_store_upload_set_received(store, UPLOAD_2, "0-99,200-299", &err), UP_OK);
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_2, &got, &err), UP_OK);
  ck_assert_str_eq(got.received, "0-99,200-299");
  up_upload_fini(&got);
  ck_assert_int_eq(up_store_upload_set_received(store, UPLOAD_2, "", &err), UP_OK);
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_2, &got, &err), UP_OK);
  ck_assert_str_eq(got.received, "");
  up_upload_fini(&got);
  ck_assert_int_eq(up_store_upload_set_received(store, MISSING, "0-1", &err), UP_NOT_FOUND);

  /* Missing: not found, out zeroed. */
  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_upload_get(store, MISSING, &got, &err), UP_NOT_FOUND);
  ck_assert_ptr_null(got.received);
  ck_assert_str_eq(got.id, "");
  up_upload_fini(&got);
  ck_assert(!up_store_upload_exists(store, MISSING));

  /* Delete: once. */
  ck_assert_int_eq(up_store_upload_delete(store, UPLOAD_2, &err), UP_OK);
  ck_assert(!up_store_upload_exists(store, UPLOAD_2));
  ck_assert_int_eq(up_store_upload_delete(store, UPLOAD_2, &err), UP_NOT_FOUND);
}
END_TEST

START_TEST(test_upload_replaces_older)
{
  up_upload_t u, got;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  int64_t j2 = add_job(TENANT_A, PRINTER_1, DOC_2, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  add_upload(UPLOAD_1, j1, DOC_1, T0 + 1000);
  add_upload(UPLOAD_3, j2, DOC_2, T0 + 1000);
  ck_assert(up_store_upload_exists(store, UPLOAD_1));

  /* A new session of DOC_1 ends UPLOAD_1, not DOC_2's. */
  add_upload(UPLOAD_2, j1, DOC_1, T0 + 2000);
  ck_assert(!up_store_upload_exists(store, UPLOAD_1));
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_1, &got, &err), UP_NOT_FOUND);
  up_upload_fini(&got);
  ck_assert(up_store_upload_exists(store, UPLOAD_2));
  ck_assert(up_store_upload_exists(store, UPLOAD_3));

  /* A failing creation (its id is taken) keeps the older sessions. */
  make_upload(&u, UPLOAD_3, TENANT_A, j1, DOC_1, T0 + 3000);
  ck_assert_int_eq(up_store_upload_create(store, &u, &err), UP_CONFLICT);
  ck_assert(up_store_upload_exists(store, UPLOAD_2));
  ck_assert_int_eq(up_store_upload_get(store, UPLOAD_3, &got, &err), UP_OK);
  ck_assert_str_eq(got.document_id, DOC_2);
  up_upload_fini(&got);
}
END_TEST

/* Sessions whose tenant, job and document do not agree. */
static const struct {
  const char *name;
  const char *tenant;
  int job; /* 1: the job of DOC_1, 2: of DOC_2, 0: none */
  const char *doc;
} upload_mismatches[] = {
    {"other tenant", TENANT_B, 1, DOC_1},
    {"other job's document", TENANT_A, 2, DOC_1},
    {"missing job", TENANT_A, 0, DOC_1},
    {"missing document", TENANT_A, 1, MISSING},
};

START_TEST(test_upload_create_not_found)
{
  up_upload_t u;
  up_error_t err = {0};
  int64_t jobs[3] = {0};

  jobs[1] = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  jobs[2] = add_job(TENANT_A, PRINTER_1, DOC_2, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  jobs[0] = jobs[2] + 100;
  add_upload(UPLOAD_1, jobs[1], DOC_1, T0 + 1000);

  make_upload(&u, UPLOAD_2, upload_mismatches[_i].tenant, jobs[upload_mismatches[_i].job],
              upload_mismatches[_i].doc, T0 + 1000);
  ck_assert_msg(up_store_upload_create(store, &u, &err) == UP_NOT_FOUND, "%s: %s",
                upload_mismatches[_i].name, err.message);
  ck_assert(!up_store_upload_exists(store, UPLOAD_2));
  /* The rollback keeps the document's session. */
  ck_assert(up_store_upload_exists(store, UPLOAD_1));
}
END_TEST

START_TEST(test_upload_delete_expired)
{
  size_t deleted = 99;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  int64_t j2 = add_job(TENANT_A, PRINTER_1, DOC_2, T0, UP_JOB_PAUSED, UP_TIME_NULL);
  int64_t j3 = add_job(TENANT_A, PRINTER_2, DOC_3, T0, UP_JOB_PAUSED, UP_TIME_NULL);

  add_upload(UPLOAD_1, j1, DOC_1, T0 + 1);
  add_upload(UPLOAD_2, j2, DOC_2, T0 + 2);
  add_upload(UPLOAD_3, j3, DOC_3, T0 + 3);

  ck_assert_int_eq(up_store_upload_delete_expired(store, T0, &deleted, &err), UP_OK);
  ck_assert_uint_eq(deleted, 0);
  /* Expired before now: T0 + 2 itself stays. */
  ck_assert_int_eq(up_store_upload_delete_expired(store, T0 + 2, &deleted, &err), UP_OK);
  ck_assert_uint_eq(deleted, 1);
  ck_assert(!up_store_upload_exists(store, UPLOAD_1));
  ck_assert(up_store_upload_exists(store, UPLOAD_2));
  ck_assert_int_eq(up_store_upload_delete_expired(store, T0 + 10, NULL, &err), UP_OK);
  ck_assert(!up_store_upload_exists(store, UPLOAD_2));
  ck_assert(!up_store_upload_exists(store, UPLOAD_3));
  /* The jobs stay. */
  ck_assert_int_eq(get_state(j3), UP_JOB_PAUSED);
}
END_TEST

/* --- cascades --- */

START_TEST(test_printer_delete_cascades)
{
  up_job_t j;
  up_document_t doc;
  up_job_list_t list;
  char(*ids)[UP_ID_SIZE] = NULL;
  size_t n = 0;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PENDING, T0);
  int64_t j2 = add_job(TENANT_A, PRINTER_2, DOC_2, T0, UP_JOB_PENDING, T0);

  add_upload(UPLOAD_1, j1, DOC_1, T0 + 1000);
  add_upload(UPLOAD_2, j2, DOC_2, T0 + 1000);

  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);

  /* Everything of PRINTER_1 went... */
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, NULL, j1, &j, &err), UP_NOT_FOUND);
  ck_assert_int_eq(up_store_document_get(store, TENANT_A, DOC_1, &doc, &err), UP_NOT_FOUND);
  ck_assert(!up_store_upload_exists(store, UPLOAD_1));
  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_job_list_fini(&list);
  ck_assert_int_eq(up_store_printers_with_pending(store, &ids, &n, &err), UP_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(ids[0], PRINTER_2);
  free(ids);

  /* ...and PRINTER_2's stayed. */
  get_job(j2, &j);
  ck_assert_str_eq(j.document.id, DOC_2);
  up_job_fini(&j);
  ck_assert_int_eq(up_store_document_get(store, TENANT_A, DOC_2, &doc, &err), UP_OK);
  up_document_fini(&doc);
  ck_assert(up_store_upload_exists(store, UPLOAD_2));
}
END_TEST

/* --- migrations --- */

START_TEST(test_migration_upgrade)
{
  up_embedded_file_t files[16];
  size_t n = 0;
  up_printer_t p;
  up_error_t err = {0};
  int64_t id;

  /* A database made by the first migration only, with a printer. */
  memset(files, 0, sizeof(files));
  for (const up_embedded_file_t *f = up_embedded_files; f->name; f++) {
    ck_assert_uint_lt(n, COUNT(files) - 1);
    if (up_store_migration_number(f->name) <= 1)
      files[n++] = *f;
  }
  ck_assert_int_eq(up_store_open_files(db_path, files, &store, &err), UP_OK);
  ck_assert_int_eq(up_store_schema_version(store), 1);
  add_printer(TENANT_A, PRINTER_1);
  add_printer(TENANT_B, PRINTER_3);

  /* Opened normally, it is upgraded in place. */
  reopen();
  ck_assert_int_eq(up_store_schema_version(store), up_store_schema_latest());
  ck_assert_int_ge(up_store_schema_latest(), 2);
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &p, &err), UP_OK);
  ck_assert_pstr_eq(p.status_json, STATUS_IDLE);
  ck_assert_int_eq(p.registered_at, T0);
  up_printer_fini(&p);
  ck_assert_int_eq(up_store_printer_get(store, TENANT_B, PRINTER_3, &p, &err), UP_OK);
  up_printer_fini(&p);

  /* The new tables work, foreign keys included. */
  id = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PENDING, T0);
  ck_assert_int_eq(get_state(id), UP_JOB_PENDING);
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);
  ck_assert(up_store_job_get(store, TENANT_A, NULL, id, &(up_job_t){0}, &err) == UP_NOT_FOUND);
}
END_TEST

/* --- threads --- */

#define THREADS    4
#define PER_THREAD 25

/* Adds one to the job's error code. */
static up_status_t increment(up_job_t *job, void *ctx, up_job_effects_t *fx, up_error_t *err)
{
  (void)ctx;
  (void)fx;
  (void)err;
  job->has_error_code = true;
  job->error_code++;
  return UP_OK;
}

static void *change_many(void *arg)
{
  int64_t id = *(const int64_t *)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    up_error_t err = {0};
    if (up_store_job_change(store, TENANT_A, id, increment, NULL, NULL, &err) != UP_OK)
      return (void *)1;
  }
  return NULL;
}

START_TEST(test_job_change_threads)
{
  pthread_t th[THREADS];
  up_job_t j;
  int64_t id = add_job(TENANT_A, PRINTER_1, DOC_1, T0, UP_JOB_PENDING, T0);

  for (int t = 0; t < THREADS; t++)
    ck_assert_int_eq(pthread_create(&th[t], NULL, change_many, &id), 0);
  for (int t = 0; t < THREADS; t++) {
    void *ret = (void *)1;
    ck_assert_int_eq(pthread_join(th[t], &ret), 0);
    ck_assert_ptr_null(ret);
  }
  get_job(id, &j);
  ck_assert_int_eq(j.error_code, THREADS * PER_THREAD);
  up_job_fini(&j);
}
END_TEST

static Suite *store_jobs_suite(void)
{
  Suite *s = suite_create("store-jobs");
  TCase *tc;

  tc = tcase_create("jobs");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_loop_test(tc, test_job_roundtrip, 0, COUNT(job_variants));
  tcase_add_test(tc, test_job_strings_empty_vs_null);
  tcase_add_loop_test(tc, test_job_create_fails, 0, COUNT(create_cases));
  tcase_add_test(tc, test_job_ids_not_reused);
  tcase_add_loop_test(tc, test_job_get_not_found, 0, COUNT(get_misses));
  tcase_add_test(tc, test_job_list_order_and_scope);
  tcase_add_test(tc, test_job_list_many);
  suite_add_tcase(s, tc);

  tc = tcase_create("change");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_loop_test(tc, test_job_change_writes, 0, 2);
  tcase_add_test(tc, test_job_change_refused);
  tcase_add_test(tc, test_job_change_not_found);
  tcase_add_test(tc, test_job_change_effects);
  tcase_add_test(tc, test_job_change_effect_fails);
  suite_add_tcase(s, tc);

  tc = tcase_create("queue");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_job_next_fifo);
  tcase_add_test(tc, test_job_list_printing);
  tcase_add_test(tc, test_printers_with_pending);
  suite_add_tcase(s, tc);

  tc = tcase_create("documents");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_document_get_and_downloaded);
  tcase_add_test(tc, test_printer_documents);
  tcase_add_test(tc, test_upload_roundtrip);
  tcase_add_test(tc, test_upload_replaces_older);
  tcase_add_loop_test(tc, test_upload_create_not_found, 0, COUNT(upload_mismatches));
  tcase_add_test(tc, test_upload_delete_expired);
  tcase_add_test(tc, test_printer_delete_cascades);
  suite_add_tcase(s, tc);

  tc = tcase_create("migrations");
  tcase_add_checked_fixture(tc, setup_dir, teardown);
  tcase_add_test(tc, test_migration_upgrade);
  suite_add_tcase(s, tc);

  tc = tcase_create("threads");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_job_change_threads);
  suite_add_tcase(s, tc);

  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(store_jobs_suite());
  int failed;

  up_log_set_level(UP_LOG_WARN);

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
