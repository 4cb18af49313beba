/* check-store-tasks.c - unit tests of the store's pull printing (task definitions, triggers,
 * tasks), the job id sequence and the job-change effects that create jobs and tasks.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"
#include "test-util.h"

#include "uprintd/embedded.h"
#include "uprintd/log.h"
#include "uprintd/store.h"
#include "uprintd/util.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-ids.h"

#define DOC_5     "40000000-0000-4000-8000-000000000005"
#define DEF_1     "a0000000-0000-4000-8000-000000000001"
#define DEF_2     "a0000000-0000-4000-8000-000000000002"
#define DEF_3     "a0000000-0000-4000-8000-000000000003"
#define DEF_4     "a0000000-0000-4000-8000-000000000004"
#define DEF_B     "a0000000-0000-4000-8000-00000000000b" /* tenant B's */
#define TRIGGER_1 "b0000000-0000-4000-8000-000000000001"
#define TRIGGER_2 "b0000000-0000-4000-8000-000000000002"
#define TRIGGER_B "b0000000-0000-4000-8000-00000000000b" /* tenant B's */
#define TASK_1    "c0000000-0000-4000-8000-000000000001"
#define TASK_2    "c0000000-0000-4000-8000-000000000002"
#define TASK_3    "c0000000-0000-4000-8000-000000000003"
#define TASK_4    "c0000000-0000-4000-8000-000000000004"
#define TASK_B    "c0000000-0000-4000-8000-00000000000b" /* tenant B's */
#define APP_1     "80000000-0000-4000-8000-000000000001"
#define APP_2     "80000000-0000-4000-8000-000000000002"
#define MISSING   "99999999-0000-4000-8000-000000000000"
#define URL       "https://graph.example/v1.0/print/printers/p/jobs/1"

#define T0 ((up_time_t)16000000000000000LL) /* 2020-09-13, in ticks */

#define STATUS_IDLE "{\"state\":\"idle\",\"details\":[],\"description\":\"\"}"

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

/* A paused job with its document (not heap-owned); id 0 lets the store pick it. */
static void make_job(up_job_t *j, const char *tenant, const char *printer, const char *doc,
                     int64_t id)
{
  memset(j, 0, sizeof(*j));
  j->id = id;
  up_strlcpy(j->tenant_id, tenant, sizeof(j->tenant_id));
  up_strlcpy(j->printer_id, printer, sizeof(j->printer_id));
  j->configuration_json = "{\"copies\":1}";
  j->created_at = T0;
  j->state = UP_JOB_PAUSED;
  up_strlcpy(j->document.id, doc, sizeof(j->document.id));
}

/* Creates a job (id 0: the store's); returns its id. */
static int64_t add_job_id(const char *tenant, const char *printer, const char *doc, int64_t id)
{
  up_job_t j;
  up_error_t err = {0};

  make_job(&j, tenant, printer, doc, id);
  ck_assert_msg(up_store_job_create(store, &j, &err) == UP_OK, "job: %s", err.message);
  ck_assert_int_gt(j.id, 0);
  ck_assert_int_eq(j.document.job_id, j.id);
  return j.id;
}

static int64_t add_job(const char *tenant, const char *printer, const char *doc)
{
  return add_job_id(tenant, printer, doc, 0);
}

static bool job_exists(const char *tenant, int64_t id)
{
  up_job_t j;
  up_error_t err = {0};
  up_status_t st = up_store_job_get(store, tenant, NULL, id, &j, &err);

  ck_assert(st == UP_OK || st == UP_NOT_FOUND);
  up_job_fini(&j);
  return st == UP_OK;
}

/* A definition with every member set (full) or the nullable ones null. Not heap-owned. */
static void make_definition(up_task_definition_t *d, const char *tenant, const char *id,
                            const char *app, up_time_t at, bool full)
{
  memset(d, 0, sizeof(*d));
  up_strlcpy(d->id, id, sizeof(d->id));
  up_strlcpy(d->tenant_id, tenant, sizeof(d->tenant_id));
  d->display_name = "Release station – ü";
  d->created_at = at;
  if (!full)
    return;
  d->app_id = (char *)app;
  d->app_name = "Pull \"print\" app";
}

static void add_definition(const char *tenant, const char *id, const char *app, up_time_t at)
{
  up_task_definition_t d;
  up_error_t err = {0};

  make_definition(&d, tenant, id, app, at, true);
  ck_assert_msg(up_store_task_definition_create(store, &d, &err) == UP_OK, "definition %s: %s", id,
                err.message);
}

static void make_trigger(up_task_trigger_t *t, const char *tenant, const char *id,
                         const char *printer, const char *definition, up_time_t at)
{
  memset(t, 0, sizeof(*t));
  up_strlcpy(t->id, id, sizeof(t->id));
  up_strlcpy(t->tenant_id, tenant, sizeof(t->tenant_id));
  up_strlcpy(t->printer_id, printer, sizeof(t->printer_id));
  up_strlcpy(t->definition_id, definition, sizeof(t->definition_id));
  t->created_at = at;
}

static void add_trigger(const char *tenant, const char *id, const char *printer,
                        const char *definition, up_time_t at)
{
  up_task_trigger_t t;
  up_error_t err = {0};

  make_trigger(&t, tenant, id, printer, definition, at);
  ck_assert_msg(up_store_task_trigger_create(store, &t, &err) == UP_OK, "trigger %s: %s", id,
                err.message);
}

/* A task (not heap-owned); trigger NULL: none. */
static void make_task(up_task_t *t, const char *tenant, const char *id, const char *definition,
                      const char *trigger, int64_t job, up_task_state_t state, up_time_t at)
{
  memset(t, 0, sizeof(*t));
  up_strlcpy(t->id, id, sizeof(t->id));
  up_strlcpy(t->tenant_id, tenant, sizeof(t->tenant_id));
  up_strlcpy(t->definition_id, definition, sizeof(t->definition_id));
  if (trigger)
    up_strlcpy(t->trigger_id, trigger, sizeof(t->trigger_id));
  t->job_id = job;
  t->parent_url = URL;
  t->state = state;
  t->description = "waiting for release";
  t->created_at = at;
}

/* What apply_change does to the job and asks for. */
typedef struct change {
  int job_state;                  /* the job's new state, or -1 to keep it */
  const up_job_t *create_job;     /* fx.create_job */
  const up_task_t *create_task;   /* fx.create_task */
  const char *update_task;        /* fx.update_task_id, or NULL */
  int update_state;               /* fx.update_task_state */
  const char *update_description; /* fx.update_task_description */
  up_status_t result;             /* what fn returns */
} change_t;

static int calls;

static up_status_t apply_change(up_job_t *job, void *ctx, up_job_effects_t *fx, up_error_t *err)
{
  const change_t *c = ctx;

  calls++;
  if (c->job_state >= 0)
    job->state = (up_job_state_t)c->job_state;
  fx->create_job = c->create_job;
  fx->create_task = c->create_task;
  if (c->update_task)
    up_strlcpy(fx->update_task_id, c->update_task, sizeof(fx->update_task_id));
  fx->update_task_state = (up_task_state_t)c->update_state;
  fx->update_task_description = c->update_description;
  if (c->result != UP_OK)
    return up_error_set(err, c->result, NULL, "refused by the change");
  return UP_OK;
}

/* Creates task t through a change of its job that does nothing else. */
static void add_task_struct(const up_task_t *t)
{
  change_t c = {.job_state = -1, .create_task = t};
  up_error_t err = {0};

  ck_assert_msg(up_store_job_change(store, t->tenant_id, t->job_id, apply_change, &c, NULL, &err) ==
                    UP_OK,
                "task %s: %s", t->id, err.message);
}

static void add_task(const char *tenant, const char *id, const char *definition,
                     const char *trigger, int64_t job, up_task_state_t state, up_time_t at)
{
  up_task_t t;

  make_task(&t, tenant, id, definition, trigger, job, state, at);
  add_task_struct(&t);
}

static void assert_definition_eq(const up_task_definition_t *a, const up_task_definition_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_pstr_eq(a->display_name, b->display_name);
  ck_assert_pstr_eq(a->app_id, b->app_id);
  ck_assert_pstr_eq(a->app_name, b->app_name);
  ck_assert_int_eq(a->created_at, b->created_at);
}

static void assert_trigger_eq(const up_task_trigger_t *a, const up_task_trigger_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_str_eq(a->printer_id, b->printer_id);
  ck_assert_str_eq(a->definition_id, b->definition_id);
  ck_assert_int_eq(a->created_at, b->created_at);
}

static void assert_task_eq(const up_task_t *a, const up_task_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_str_eq(a->definition_id, b->definition_id);
  ck_assert_str_eq(a->trigger_id, b->trigger_id);
  ck_assert_int_eq(a->job_id, b->job_id);
  ck_assert_pstr_eq(a->parent_url, b->parent_url);
  ck_assert_int_eq(a->state, b->state);
  ck_assert_pstr_eq(a->description, b->description);
  ck_assert_int_eq(a->created_at, b->created_at);
}

/* The stored task id of tenant A (any definition); caller fini's it. */
static void get_task(const char *id, up_task_t *out)
{
  up_error_t err = {0};
  ck_assert_msg(up_store_task_get(store, TENANT_A, NULL, id, out, &err) == UP_OK, "task %s: %s", id,
                err.message);
}

static bool task_exists(const char *tenant, const char *id)
{
  up_task_t t;
  up_error_t err = {0};
  up_status_t st = up_store_task_get(store, tenant, NULL, id, &t, &err);

  ck_assert(st == UP_OK || st == UP_NOT_FOUND);
  up_task_fini(&t);
  return st == UP_OK;
}

static bool trigger_exists(const char *tenant, const char *id)
{
  up_task_trigger_t t;
  up_error_t err = {0};
  up_status_t st = up_store_task_trigger_get(store, tenant, NULL, id, &t, &err);

  ck_assert(st == UP_OK || st == UP_NOT_FOUND);
  return st == UP_OK;
}

/* Asserts that the items of list have exactly the ids given, in that order. */
#define ASSERT_IDS(list, ...)                                                                      \
  do {                                                                                             \
    const char *want_[] = {__VA_ARGS__};                                                           \
    ck_assert_uint_eq((list).count, COUNT(want_));                                                 \
    for (size_t i_ = 0; i_ < COUNT(want_); i_++)                                                   \
      ck_assert_str_eq((list).items[i_].id, want_[i_]);                                            \
  } while (0)

/* --- task definitions --- */

START_TEST(test_definition_roundtrip)
{
  bool full = _i == 1;
  up_task_definition_t d, got;
  up_task_definition_list_t list;
  up_error_t err = {0};

  make_definition(&d, TENANT_A, DEF_1, APP_1, T0, full);
  ck_assert_msg(up_store_task_definition_create(store, &d, &err) == UP_OK, "%s", err.message);

  memset(&got, 0x5a, sizeof(got)); /* zeroed by the store */
  ck_assert_int_eq(up_store_task_definition_get(store, TENANT_A, DEF_1, &got, &err), UP_OK);
  assert_definition_eq(&got, &d);
  if (!full) {
    ck_assert_ptr_null(got.app_id);
    ck_assert_ptr_null(got.app_name);
  }
  up_task_definition_fini(&got);

  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_A, NULL, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  assert_definition_eq(&list.items[0], &d);
  up_task_definition_list_fini(&list);

  /* And after reopening. */
  reopen();
  ck_assert_int_eq(up_store_task_definition_get(store, TENANT_A, DEF_1, &got, &err), UP_OK);
  assert_definition_eq(&got, &d);
  up_task_definition_fini(&got);
}
END_TEST

START_TEST(test_definition_create_fails)
{
  up_task_definition_t d;
  up_task_definition_list_t list;
  up_error_t err = {0};

  add_definition(TENANT_A, DEF_1, APP_1, T0);

  /* The id is taken (also from another tenant). */
  make_definition(&d, TENANT_B, DEF_1, APP_1, T0, true);
  ck_assert_int_eq(up_store_task_definition_create(store, &d, &err), UP_CONFLICT);
  /* displayName is required. */
  make_definition(&d, TENANT_A, DEF_2, APP_1, T0, true);
  d.display_name = NULL;
  ck_assert_int_eq(up_store_task_definition_create(store, &d, &err), UP_DB);

  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_A, NULL, &list, &err), UP_OK);
  ASSERT_IDS(list, DEF_1);
  up_task_definition_list_fini(&list);
  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_B, NULL, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_definition_list_fini(&list);
}
END_TEST

START_TEST(test_definition_list_filter_and_order)
{
  up_task_definition_list_t list;
  up_error_t err = {0};

  /* Oldest first, ties by id; inserted out of order. */
  add_definition(TENANT_A, DEF_3, APP_1, T0 + 2);
  add_definition(TENANT_A, DEF_2, APP_2, T0 + 1);
  add_definition(TENANT_A, DEF_4, APP_1, T0 + 1);
  add_definition(TENANT_A, DEF_1, APP_1, T0 + 3);
  add_definition(TENANT_B, DEF_B, APP_1, T0);

  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_A, NULL, &list, &err), UP_OK);
  ASSERT_IDS(list, DEF_2, DEF_4, DEF_3, DEF_1);
  up_task_definition_list_fini(&list);

  /* By application. */
  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_A, APP_1, &list, &err), UP_OK);
  ASSERT_IDS(list, DEF_4, DEF_3, DEF_1);
  up_task_definition_list_fini(&list);
  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_A, APP_2, &list, &err), UP_OK);
  ASSERT_IDS(list, DEF_2);
  up_task_definition_list_fini(&list);
  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_A, MISSING, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_definition_list_fini(&list);

  /* Each tenant its own. */
  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_B, NULL, &list, &err), UP_OK);
  ASSERT_IDS(list, DEF_B);
  up_task_definition_list_fini(&list);
  ck_assert_int_eq(up_store_task_definition_list(store, TENANT_B, APP_2, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_definition_list_fini(&list);
  ck_assert_int_eq(up_store_task_definition_list(store, MISSING, NULL, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_definition_list_fini(&list);
}
END_TEST

START_TEST(test_definition_update)
{
  up_task_definition_t d, got;
  up_error_t err = {0};

  add_definition(TENANT_A, DEF_1, APP_1, T0);

  /* display_name and app_name change; app_id and created_at do not. */
  make_definition(&d, TENANT_A, DEF_1, APP_2, T0 + 99, true);
  d.display_name = "Renamed";
  d.app_name = NULL;
  ck_assert_msg(up_store_task_definition_update(store, &d, &err) == UP_OK, "%s", err.message);
  ck_assert_int_eq(up_store_task_definition_get(store, TENANT_A, DEF_1, &got, &err), UP_OK);
  ck_assert_str_eq(got.display_name, "Renamed");
  ck_assert_ptr_null(got.app_name);
  ck_assert_pstr_eq(got.app_id, APP_1);
  ck_assert_int_eq(got.created_at, T0);
  up_task_definition_fini(&got);

  /* The same values again: still found. */
  ck_assert_int_eq(up_store_task_definition_update(store, &d, &err), UP_OK);

  /* Another tenant's, or a missing one. */
  up_strlcpy(d.tenant_id, TENANT_B, sizeof(d.tenant_id));
  d.display_name = "Stolen";
  ck_assert_int_eq(up_store_task_definition_update(store, &d, &err), UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  make_definition(&d, TENANT_A, MISSING, APP_1, T0, true);
  ck_assert_int_eq(up_store_task_definition_update(store, &d, &err), UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_definition_get(store, TENANT_A, DEF_1, &got, &err), UP_OK);
  ck_assert_str_eq(got.display_name, "Renamed");
  up_task_definition_fini(&got);
}
END_TEST

START_TEST(test_definition_get_not_found)
{
  static const struct {
    const char *tenant, *id;
  } misses[] = {{TENANT_B, DEF_1}, {TENANT_A, MISSING}, {NULL, DEF_1}, {TENANT_A, NULL}};
  up_task_definition_t got;
  up_error_t err = {0};

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  for (size_t i = 0; i < COUNT(misses); i++) {
    memset(&got, 0x5a, sizeof(got));
    ck_assert_int_eq(
        up_store_task_definition_get(store, misses[i].tenant, misses[i].id, &got, &err),
        UP_NOT_FOUND);
    ck_assert_int_eq(err.status, UP_NOT_FOUND);
    /* out is zeroed, and fini-safe. */
    ck_assert_ptr_null(got.display_name);
    ck_assert_str_eq(got.id, "");
    up_task_definition_fini(&got);
  }
}
END_TEST

START_TEST(test_definition_delete_cascades)
{
  up_task_trigger_t trig;
  up_task_list_t list;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1);
  int64_t j2 = add_job(TENANT_A, PRINTER_2, DOC_2);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_A, DEF_2, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_trigger(TENANT_A, TRIGGER_2, PRINTER_2, DEF_2, T0);
  add_task(TENANT_A, TASK_1, DEF_1, TRIGGER_1, j1, UP_TASK_PROCESSING, T0);
  add_task(TENANT_A, TASK_2, DEF_1, NULL, j2, UP_TASK_PENDING, T0);
  add_task(TENANT_A, TASK_3, DEF_2, TRIGGER_2, j2, UP_TASK_PROCESSING, T0);

  /* Not by another tenant. */
  ck_assert_int_eq(up_store_task_definition_delete(store, TENANT_B, DEF_1, &err), UP_NOT_FOUND);
  ck_assert(task_exists(TENANT_A, TASK_1));

  ck_assert_int_eq(up_store_task_definition_delete(store, TENANT_A, DEF_1, &err), UP_OK);
  ck_assert_int_eq(
      up_store_task_definition_get(store, TENANT_A, DEF_1, &(up_task_definition_t){0}, &err),
      UP_NOT_FOUND);
  ck_assert(!trigger_exists(TENANT_A, TRIGGER_1));
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_A, PRINTER_1, &trig, &err),
                   UP_NOT_FOUND);
  ck_assert(!task_exists(TENANT_A, TASK_1));
  ck_assert(!task_exists(TENANT_A, TASK_2));
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);

  /* The other definition's and the jobs stay. */
  ck_assert(trigger_exists(TENANT_A, TRIGGER_2));
  ck_assert(task_exists(TENANT_A, TASK_3));
  ck_assert(job_exists(TENANT_A, j1));
  ck_assert(job_exists(TENANT_A, j2));

  /* Twice: gone. */
  ck_assert_int_eq(up_store_task_definition_delete(store, TENANT_A, DEF_1, &err), UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
}
END_TEST

/* --- triggers --- */

START_TEST(test_trigger_roundtrip)
{
  up_task_trigger_t t, got;
  up_task_trigger_list_t list;
  up_error_t err = {0};

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  make_trigger(&t, TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0 + 7);
  ck_assert_msg(up_store_task_trigger_create(store, &t, &err) == UP_OK, "%s", err.message);

  /* Through its printer, any printer, the printer's trigger and the printer's list. */
  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_A, PRINTER_1, TRIGGER_1, &got, &err),
                   UP_OK);
  assert_trigger_eq(&got, &t);
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_A, NULL, TRIGGER_1, &got, &err), UP_OK);
  assert_trigger_eq(&got, &t);
  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_A, PRINTER_1, &got, &err), UP_OK);
  assert_trigger_eq(&got, &t);
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  assert_trigger_eq(&list.items[0], &t);
  up_task_trigger_list_fini(&list);

  /* The other printer has none. */
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_A, PRINTER_2, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_trigger_list_fini(&list);

  reopen();
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_A, PRINTER_1, TRIGGER_1, &got, &err),
                   UP_OK);
  assert_trigger_eq(&got, &t);
}
END_TEST

/* Trigger creations that fail (TRIGGER_1 on PRINTER_1 with DEF_1 exists). */
static const struct {
  const char *name;
  const char *tenant, *id, *printer, *definition;
  up_status_t want;
} trigger_fails[] = {
    {"missing printer", TENANT_A, TRIGGER_2, MISSING, DEF_2, UP_NOT_FOUND},
    {"other tenant's printer", TENANT_A, TRIGGER_2, PRINTER_3, DEF_2, UP_NOT_FOUND},
    {"missing definition", TENANT_A, TRIGGER_2, PRINTER_2, MISSING, UP_NOT_FOUND},
    {"other tenant's definition", TENANT_A, TRIGGER_2, PRINTER_2, DEF_B, UP_NOT_FOUND},
    {"printer of tenant A under tenant B", TENANT_B, TRIGGER_2, PRINTER_2, DEF_B, UP_NOT_FOUND},
    {"printer has a trigger", TENANT_A, TRIGGER_2, PRINTER_1, DEF_2, UP_CONFLICT},
    {"printer has a trigger, same definition", TENANT_A, TRIGGER_2, PRINTER_1, DEF_1, UP_CONFLICT},
    {"id taken", TENANT_A, TRIGGER_1, PRINTER_2, DEF_2, UP_CONFLICT},
};

START_TEST(test_trigger_create_fails)
{
  up_task_trigger_t t;
  up_task_trigger_list_t list;
  up_error_t err = {0};

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_A, DEF_2, APP_1, T0);
  add_definition(TENANT_B, DEF_B, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);

  make_trigger(&t, trigger_fails[_i].tenant, trigger_fails[_i].id, trigger_fails[_i].printer,
               trigger_fails[_i].definition, T0);
  ck_assert_msg(up_store_task_trigger_create(store, &t, &err) == trigger_fails[_i].want, "%s: %s",
                trigger_fails[_i].name, err.message);
  ck_assert_int_eq(err.status, trigger_fails[_i].want);

  /* Nothing was left. */
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ASSERT_IDS(list, TRIGGER_1);
  ck_assert_str_eq(list.items[0].definition_id, DEF_1);
  up_task_trigger_list_fini(&list);
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_A, PRINTER_2, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_trigger_list_fini(&list);
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_B, PRINTER_3, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_trigger_list_fini(&list);
}
END_TEST

START_TEST(test_trigger_scope)
{
  up_task_trigger_t got;
  up_task_trigger_list_t list;
  up_error_t err = {0};

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_B, DEF_B, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_trigger(TENANT_B, TRIGGER_B, PRINTER_3, DEF_B, T0);

  /* Reads through another tenant, another printer or a missing id find nothing; out is zeroed. */
  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_B, NULL, TRIGGER_1, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_str_eq(got.id, "");
  ck_assert_int_eq(got.created_at, 0);
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_B, PRINTER_1, TRIGGER_1, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_A, PRINTER_2, TRIGGER_1, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_trigger_get(store, TENANT_A, NULL, MISSING, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_B, PRINTER_1, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_str_eq(got.printer_id, "");
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_A, PRINTER_2, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_A, PRINTER_3, &got, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_B, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_trigger_list_fini(&list);
  ck_assert_int_eq(up_store_task_trigger_list(store, TENANT_A, PRINTER_3, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_trigger_list_fini(&list);

  /* Each tenant sees its own. */
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_B, PRINTER_3, &got, &err), UP_OK);
  ck_assert_str_eq(got.id, TRIGGER_B);

  /* Deletes through another tenant or printer delete nothing. */
  ck_assert_int_eq(up_store_task_trigger_delete(store, TENANT_B, NULL, TRIGGER_1, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_trigger_delete(store, TENANT_B, PRINTER_1, TRIGGER_1, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_trigger_delete(store, TENANT_A, PRINTER_2, TRIGGER_1, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  ck_assert(trigger_exists(TENANT_A, TRIGGER_1));
  ck_assert(trigger_exists(TENANT_B, TRIGGER_B));
}
END_TEST

START_TEST(test_trigger_delete_keeps_tasks)
{
  up_task_t t;
  up_task_list_t list;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1);
  int64_t j2 = add_job(TENANT_A, PRINTER_2, DOC_2);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_trigger(TENANT_A, TRIGGER_2, PRINTER_2, DEF_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, TRIGGER_1, j1, UP_TASK_PROCESSING, T0);
  add_task(TENANT_A, TASK_2, DEF_1, TRIGGER_2, j2, UP_TASK_PROCESSING, T0 + 1);

  /* Through its printer (the first) and through any printer (the second, below). */
  ck_assert_int_eq(up_store_task_trigger_delete(store, TENANT_A, PRINTER_1, TRIGGER_1, &err),
                   UP_OK);
  ck_assert(!trigger_exists(TENANT_A, TRIGGER_1));
  get_task(TASK_1, &t);
  ck_assert_str_eq(t.trigger_id, "");
  ck_assert_str_eq(t.definition_id, DEF_1);
  ck_assert_int_eq(t.state, UP_TASK_PROCESSING);
  up_task_fini(&t);
  get_task(TASK_2, &t);
  ck_assert_str_eq(t.trigger_id, TRIGGER_2);
  up_task_fini(&t);

  ck_assert_int_eq(up_store_task_trigger_delete(store, TENANT_A, NULL, TRIGGER_2, &err), UP_OK);
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_1, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_2, TASK_1);
  ck_assert_str_eq(list.items[0].trigger_id, "");
  ck_assert_str_eq(list.items[1].trigger_id, "");
  up_task_list_fini(&list);

  /* Twice: gone; and the printer takes a new trigger. */
  ck_assert_int_eq(up_store_task_trigger_delete(store, TENANT_A, PRINTER_1, TRIGGER_1, &err),
                   UP_NOT_FOUND);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0 + 5);
}
END_TEST

START_TEST(test_printer_delete_cascades)
{
  up_task_trigger_t trig;
  up_task_definition_t d;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1);
  int64_t j2 = add_job(TENANT_A, PRINTER_2, DOC_2);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_trigger(TENANT_A, TRIGGER_2, PRINTER_2, DEF_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, TRIGGER_1, j1, UP_TASK_PROCESSING, T0);
  add_task(TENANT_A, TASK_2, DEF_1, NULL, j1, UP_TASK_COMPLETED, T0);
  add_task(TENANT_A, TASK_3, DEF_1, TRIGGER_1, j2, UP_TASK_PROCESSING, T0);
  add_task(TENANT_A, TASK_4, DEF_1, TRIGGER_2, j2, UP_TASK_PROCESSING, T0);

  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);

  /* Its trigger and (through its jobs) their tasks went... */
  ck_assert(!trigger_exists(TENANT_A, TRIGGER_1));
  ck_assert_int_eq(up_store_task_trigger_of_printer(store, TENANT_A, PRINTER_1, &trig, &err),
                   UP_NOT_FOUND);
  ck_assert(!job_exists(TENANT_A, j1));
  ck_assert(!task_exists(TENANT_A, TASK_1));
  ck_assert(!task_exists(TENANT_A, TASK_2));

  /* ...a task of another printer's job made by its trigger stays without it... */
  up_task_t t;
  get_task(TASK_3, &t);
  ck_assert_str_eq(t.trigger_id, "");
  up_task_fini(&t);

  /* ...and the rest stays. */
  get_task(TASK_4, &t);
  ck_assert_str_eq(t.trigger_id, TRIGGER_2);
  up_task_fini(&t);
  ck_assert(trigger_exists(TENANT_A, TRIGGER_2));
  ck_assert_int_eq(up_store_task_definition_get(store, TENANT_A, DEF_1, &d, &err), UP_OK);
  up_task_definition_fini(&d);
}
END_TEST

/* --- tasks --- */

START_TEST(test_task_roundtrip)
{
  /* Every state, with and without a description and a trigger. */
  up_task_state_t state = (up_task_state_t)(_i % 4);
  bool nulls = _i >= 4;
  up_task_t t, got;
  up_task_list_t list;
  up_error_t err = {0};
  int64_t job = add_job(TENANT_A, PRINTER_1, DOC_1);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  make_task(&t, TENANT_A, TASK_1, DEF_1, nulls ? NULL : TRIGGER_1, job, state, T0 + 3);
  if (nulls)
    t.description = NULL;
  add_task_struct(&t);

  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_task_get(store, TENANT_A, DEF_1, TASK_1, &got, &err), UP_OK);
  assert_task_eq(&got, &t);
  if (nulls)
    ck_assert_ptr_null(got.description);
  up_task_fini(&got);
  ck_assert_int_eq(up_store_task_get(store, TENANT_A, NULL, TASK_1, &got, &err), UP_OK);
  assert_task_eq(&got, &t);
  up_task_fini(&got);

  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  assert_task_eq(&list.items[0], &t);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_A, job, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  assert_task_eq(&list.items[0], &t);
  up_task_list_fini(&list);

  reopen();
  ck_assert_int_eq(up_store_task_get(store, TENANT_A, DEF_1, TASK_1, &got, &err), UP_OK);
  assert_task_eq(&got, &t);
  up_task_fini(&got);
}
END_TEST

START_TEST(test_task_status_update)
{
  static const up_task_state_t states[] = {UP_TASK_PROCESSING, UP_TASK_COMPLETED, UP_TASK_ABORTED,
                                           UP_TASK_PENDING};
  up_task_t t;
  up_error_t err = {0};
  int64_t job = add_job(TENANT_A, PRINTER_1, DOC_1);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, NULL, job, UP_TASK_PENDING, T0);
  add_task(TENANT_A, TASK_2, DEF_1, NULL, job, UP_TASK_PENDING, T0);

  for (size_t i = 0; i < COUNT(states); i++) {
    change_t c = {.job_state = -1,
                  .update_task = TASK_1,
                  .update_state = (int)states[i],
                  .update_description = i % 2 ? NULL : "released"};
    ck_assert_msg(up_store_job_change(store, TENANT_A, job, apply_change, &c, NULL, &err) == UP_OK,
                  "%s", err.message);
    get_task(TASK_1, &t);
    ck_assert_int_eq(t.state, states[i]);
    ck_assert_pstr_eq(t.description, i % 2 ? NULL : "released");
    /* The rest of it stays. */
    ck_assert_pstr_eq(t.parent_url, URL);
    ck_assert_int_eq(t.created_at, T0);
    up_task_fini(&t);
  }
  /* The other task is untouched. */
  get_task(TASK_2, &t);
  ck_assert_int_eq(t.state, UP_TASK_PENDING);
  ck_assert_pstr_eq(t.description, "waiting for release");
  up_task_fini(&t);
}
END_TEST

START_TEST(test_task_scope)
{
  up_task_t got;
  up_task_list_t list;
  up_error_t err = {0};
  int64_t ja = add_job(TENANT_A, PRINTER_1, DOC_1);
  int64_t jb = add_job(TENANT_B, PRINTER_3, DOC_2);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_A, DEF_2, APP_1, T0);
  add_definition(TENANT_B, DEF_B, APP_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, NULL, ja, UP_TASK_PROCESSING, T0);
  add_task(TENANT_B, TASK_B, DEF_B, NULL, jb, UP_TASK_PROCESSING, T0);

  /* Gets through another tenant, another definition or a missing id find nothing. */
  static const struct {
    const char *tenant, *definition, *id;
  } misses[] = {{TENANT_B, NULL, TASK_1},  {TENANT_B, DEF_1, TASK_1}, {TENANT_B, DEF_B, TASK_1},
                {TENANT_A, DEF_2, TASK_1}, {TENANT_A, NULL, MISSING}, {TENANT_A, NULL, TASK_B},
                {NULL, NULL, TASK_1}};
  for (size_t i = 0; i < COUNT(misses); i++) {
    memset(&got, 0x5a, sizeof(got));
    ck_assert_msg(up_store_task_get(store, misses[i].tenant, misses[i].definition, misses[i].id,
                                    &got, &err) == UP_NOT_FOUND,
                  "miss %zu", i);
    ck_assert_int_eq(err.status, UP_NOT_FOUND);
    ck_assert_ptr_null(got.parent_url);
    ck_assert_str_eq(got.id, "");
    up_task_fini(&got);
  }

  /* Lists of another tenant's definition or job are empty. */
  ck_assert_int_eq(up_store_task_list(store, TENANT_B, DEF_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_B, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_B, ja, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_for_job(store, NULL, ja, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_B, jb, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_B);
  up_task_list_fini(&list);

  /* A change of tenant A's job cannot set tenant B's task. */
  change_t c = {.job_state = -1, .update_task = TASK_B, .update_state = UP_TASK_COMPLETED};
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, ja, apply_change, &c, NULL, &err),
                   UP_NOT_FOUND);
  ck_assert_int_eq(up_store_task_get(store, TENANT_B, NULL, TASK_B, &got, &err), UP_OK);
  ck_assert_int_eq(got.state, UP_TASK_PROCESSING);
  up_task_fini(&got);
}
END_TEST

START_TEST(test_task_list_orders)
{
  up_task_list_t list;
  up_error_t err = {0};
  int64_t j1 = add_job(TENANT_A, PRINTER_1, DOC_1);
  int64_t j2 = add_job(TENANT_A, PRINTER_2, DOC_2);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_A, DEF_2, APP_1, T0);
  add_task(TENANT_A, TASK_3, DEF_1, NULL, j1, UP_TASK_PENDING, T0 + 1);
  add_task(TENANT_A, TASK_1, DEF_1, NULL, j2, UP_TASK_PENDING, T0 + 2);
  add_task(TENANT_A, TASK_2, DEF_1, NULL, j1, UP_TASK_PENDING, T0 + 1);
  add_task(TENANT_A, TASK_4, DEF_2, NULL, j1, UP_TASK_PENDING, T0);

  /* A definition's: newest first, ties by id descending. */
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_1, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_1, TASK_3, TASK_2);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_2, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_4);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, MISSING, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);

  /* A job's (of any definition): oldest first, ties by id. */
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_A, j1, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_4, TASK_2, TASK_3);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_A, j2, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_1);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_A, j2 + 100, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);
}
END_TEST

START_TEST(test_task_processing_before)
{
  up_task_list_t list;
  up_error_t err = {0};
  int64_t ja = add_job(TENANT_A, PRINTER_1, DOC_1);
  int64_t jb = add_job(TENANT_B, PRINTER_3, DOC_2);

  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_B, DEF_B, APP_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, NULL, ja, UP_TASK_PROCESSING, T0 + 5);
  add_task(TENANT_A, TASK_2, DEF_1, NULL, ja, UP_TASK_PROCESSING, T0 + 10); /* at the cutoff */
  add_task(TENANT_A, TASK_3, DEF_1, NULL, ja, UP_TASK_PENDING, T0);
  add_task(TENANT_A, TASK_4, DEF_1, NULL, ja, UP_TASK_COMPLETED, T0);
  add_task(TENANT_B, TASK_B, DEF_B, NULL, jb, UP_TASK_PROCESSING, T0 + 1);

  /* Every tenant's processing tasks created before the cutoff, oldest first. */
  ck_assert_int_eq(up_store_task_list_processing_before(store, T0 + 10, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_B, TASK_1);
  ck_assert_str_eq(list.items[0].tenant_id, TENANT_B);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_processing_before(store, T0 + 11, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_B, TASK_1, TASK_2);
  up_task_list_fini(&list);
  ck_assert_int_eq(up_store_task_list_processing_before(store, T0 + 1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_task_list_fini(&list);

  /* A task that completes leaves the list. */
  change_t c = {.job_state = -1, .update_task = TASK_1, .update_state = UP_TASK_ABORTED};
  ck_assert_int_eq(up_store_job_change(store, TENANT_A, ja, apply_change, &c, NULL, &err), UP_OK);
  ck_assert_int_eq(up_store_task_list_processing_before(store, T0 + 11, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_B, TASK_2);
  up_task_list_fini(&list);
}
END_TEST

/* --- job changes creating jobs and tasks --- */

START_TEST(test_change_effects_together)
{
  up_job_t next, out, got;
  up_task_t task, t;
  up_task_list_t list;
  up_error_t err = {0};
  int64_t id, reserved;

  /* A job redirected from PRINTER_1 to PRINTER_2, whose trigger makes a task for the new job;
   * the old job's task completes. */
  id = add_job(TENANT_A, PRINTER_1, DOC_1);
  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_trigger(TENANT_A, TRIGGER_2, PRINTER_2, DEF_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, TRIGGER_1, id, UP_TASK_PROCESSING, T0);

  ck_assert_int_eq(up_store_job_reserve_id(store, &reserved, &err), UP_OK);
  ck_assert_int_gt(reserved, id);
  make_job(&next, TENANT_A, PRINTER_2, DOC_2, reserved);
  next.state = UP_JOB_PENDING;
  next.redirected_from = "https://graph.example/v1.0/print/printers/1/jobs/1";
  make_task(&task, TENANT_A, TASK_2, DEF_1, TRIGGER_2, reserved, UP_TASK_PROCESSING, T0 + 1);

  change_t c = {.job_state = UP_JOB_ABORTED,
                .create_job = &next,
                .create_task = &task,
                .update_task = TASK_1,
                .update_state = UP_TASK_COMPLETED,
                .update_description = "redirected"};
  calls = 0;
  ck_assert_msg(up_store_job_change(store, TENANT_A, id, apply_change, &c, &out, &err) == UP_OK,
                "%s", err.message);
  ck_assert_int_eq(calls, 1);
  ck_assert_int_eq(out.state, UP_JOB_ABORTED);
  up_job_fini(&out);

  /* All of it was written. */
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, PRINTER_1, id, &got, &err), UP_OK);
  ck_assert_int_eq(got.state, UP_JOB_ABORTED);
  up_job_fini(&got);
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, PRINTER_2, reserved, &got, &err), UP_OK);
  ck_assert_int_eq(got.state, UP_JOB_PENDING);
  ck_assert_str_eq(got.document.id, DOC_2);
  ck_assert_int_eq(got.document.job_id, reserved);
  ck_assert_pstr_eq(got.redirected_from, next.redirected_from);
  up_job_fini(&got);
  get_task(TASK_2, &t);
  assert_task_eq(&t, &task);
  up_task_fini(&t);
  get_task(TASK_1, &t);
  ck_assert_int_eq(t.state, UP_TASK_COMPLETED);
  ck_assert_pstr_eq(t.description, "redirected");
  up_task_fini(&t);
  ck_assert_int_eq(up_store_task_list_for_job(store, TENANT_A, reserved, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_2);
  up_task_list_fini(&list);

  /* The new job's id stays used. */
  ck_assert_int_gt(add_job(TENANT_A, PRINTER_1, DOC_3), reserved);
}
END_TEST

/* Changes that fail, each of them leaving nothing behind. The job changed is JOB (PRINTER_1);
 * TASK_1 is its task (DEF_1, TRIGGER_1, processing); DEF_2 has no trigger; tenant B has DEF_B,
 * TRIGGER_B and TASK_B. */
enum {
  NEW_JOB_OK,
  NEW_JOB_MISSING_PRINTER,
  NEW_JOB_OTHER_PRINTER,
  NEW_JOB_ID_TAKEN,
  NEW_JOB_OTHER_TENANT,
  NEW_JOB_DOC_TAKEN,
  NEW_JOB_NONE
};
enum {
  NEW_TASK_OK,
  NEW_TASK_MISSING_DEF,
  NEW_TASK_OTHER_DEF,
  NEW_TASK_MISSING_TRIGGER,
  NEW_TASK_OTHER_TRIGGER,
  NEW_TASK_TRIGGER_OF_OTHER_DEF,
  NEW_TASK_MISSING_JOB,
  NEW_TASK_OTHER_JOB,
  NEW_TASK_ID_TAKEN,
  NEW_TASK_BAD_STATE,
  NEW_TASK_OTHER_TENANT,
  NEW_TASK_NONE
};
static const struct {
  const char *name;
  int new_job, new_task;
  const char *update_task;
  int update_state;
  up_status_t result; /* fn's */
  up_status_t want;
} change_fails[] = {
    {"fn refuses", NEW_JOB_OK, NEW_TASK_OK, TASK_1, UP_TASK_COMPLETED, UP_FORBIDDEN, UP_FORBIDDEN},
    {"update of a missing task", NEW_JOB_OK, NEW_TASK_OK, MISSING, UP_TASK_COMPLETED, UP_OK,
     UP_NOT_FOUND},
    {"update of another tenant's task", NEW_JOB_OK, NEW_TASK_OK, TASK_B, UP_TASK_COMPLETED, UP_OK,
     UP_NOT_FOUND},
    {"update to a bad state", NEW_JOB_OK, NEW_TASK_OK, TASK_1, 4, UP_OK, UP_INTERNAL},
    {"new job on a missing printer", NEW_JOB_MISSING_PRINTER, NEW_TASK_NONE, TASK_1,
     UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new job on another tenant's printer", NEW_JOB_OTHER_PRINTER, NEW_TASK_NONE, TASK_1,
     UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new job of another tenant", NEW_JOB_OTHER_TENANT, NEW_TASK_NONE, TASK_1, UP_TASK_COMPLETED,
     UP_OK, UP_INTERNAL},
    {"new job's id taken", NEW_JOB_ID_TAKEN, NEW_TASK_NONE, TASK_1, UP_TASK_COMPLETED, UP_OK,
     UP_CONFLICT},
    {"new job's document id taken", NEW_JOB_DOC_TAKEN, NEW_TASK_NONE, TASK_1, UP_TASK_COMPLETED,
     UP_OK, UP_CONFLICT},
    {"new task of a missing definition", NEW_JOB_OK, NEW_TASK_MISSING_DEF, TASK_1,
     UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new task of another tenant's definition", NEW_JOB_OK, NEW_TASK_OTHER_DEF, TASK_1,
     UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new task of a missing trigger", NEW_JOB_OK, NEW_TASK_MISSING_TRIGGER, TASK_1,
     UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new task of another tenant's trigger", NEW_JOB_OK, NEW_TASK_OTHER_TRIGGER, TASK_1,
     UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new task of a trigger of another definition", NEW_JOB_OK, NEW_TASK_TRIGGER_OF_OTHER_DEF,
     TASK_1, UP_TASK_COMPLETED, UP_OK, UP_NOT_FOUND},
    {"new task of a missing job", NEW_JOB_NONE, NEW_TASK_MISSING_JOB, TASK_1, UP_TASK_COMPLETED,
     UP_OK, UP_NOT_FOUND},
    {"new task of another tenant's job", NEW_JOB_OK, NEW_TASK_OTHER_JOB, TASK_1, UP_TASK_COMPLETED,
     UP_OK, UP_NOT_FOUND},
    {"new task's id taken", NEW_JOB_OK, NEW_TASK_ID_TAKEN, TASK_1, UP_TASK_COMPLETED, UP_OK,
     UP_CONFLICT},
    {"new task in a bad state", NEW_JOB_OK, NEW_TASK_BAD_STATE, TASK_1, UP_TASK_COMPLETED, UP_OK,
     UP_INTERNAL},
    {"new task of another tenant", NEW_JOB_OK, NEW_TASK_OTHER_TENANT, TASK_1, UP_TASK_COMPLETED,
     UP_OK, UP_INTERNAL},
};

START_TEST(test_change_effects_rolled_back)
{
  up_job_t next, before, after;
  up_task_t task, t;
  up_task_list_t list;
  up_error_t err = {0};
  int64_t id, jb, reserved, later;

  id = add_job(TENANT_A, PRINTER_1, DOC_1);
  jb = add_job(TENANT_B, PRINTER_3, DOC_3);
  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_definition(TENANT_A, DEF_2, APP_1, T0);
  add_definition(TENANT_B, DEF_B, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_trigger(TENANT_A, TRIGGER_2, PRINTER_2, DEF_2, T0);
  add_trigger(TENANT_B, TRIGGER_B, PRINTER_3, DEF_B, T0);
  add_task(TENANT_A, TASK_1, DEF_1, TRIGGER_1, id, UP_TASK_PROCESSING, T0);
  add_task(TENANT_B, TASK_B, DEF_B, TRIGGER_B, jb, UP_TASK_PROCESSING, T0);
  ck_assert_int_eq(up_store_job_reserve_id(store, &reserved, &err), UP_OK);

  /* The new job (on PRINTER_1, its trigger's definition DEF_1) and its task, then the case's
   * fault. */
  make_job(&next, TENANT_A, PRINTER_1, DOC_2, reserved);
  switch (change_fails[_i].new_job) {
  case NEW_JOB_MISSING_PRINTER:
    up_strlcpy(next.printer_id, MISSING, sizeof(next.printer_id));
    break;
  case NEW_JOB_OTHER_PRINTER:
    up_strlcpy(next.printer_id, PRINTER_3, sizeof(next.printer_id));
    break;
  case NEW_JOB_ID_TAKEN:
    next.id = jb; /* tenant B's job: taken all the same */
    break;
  case NEW_JOB_OTHER_TENANT:
    up_strlcpy(next.tenant_id, TENANT_B, sizeof(next.tenant_id));
    up_strlcpy(next.printer_id, PRINTER_3, sizeof(next.printer_id));
    break;
  case NEW_JOB_DOC_TAKEN:
    up_strlcpy(next.document.id, DOC_3, sizeof(next.document.id));
    break;
  }
  make_task(&task, TENANT_A, TASK_2, DEF_1, TRIGGER_1, reserved, UP_TASK_PROCESSING, T0);
  switch (change_fails[_i].new_task) {
  case NEW_TASK_MISSING_DEF:
    up_strlcpy(task.definition_id, MISSING, sizeof(task.definition_id));
    task.trigger_id[0] = '\0';
    break;
  case NEW_TASK_OTHER_DEF:
    up_strlcpy(task.definition_id, DEF_B, sizeof(task.definition_id));
    task.trigger_id[0] = '\0';
    break;
  case NEW_TASK_MISSING_TRIGGER:
    up_strlcpy(task.trigger_id, MISSING, sizeof(task.trigger_id));
    break;
  case NEW_TASK_OTHER_TRIGGER:
    up_strlcpy(task.trigger_id, TRIGGER_B, sizeof(task.trigger_id));
    break;
  case NEW_TASK_TRIGGER_OF_OTHER_DEF:
    up_strlcpy(task.trigger_id, TRIGGER_2, sizeof(task.trigger_id));
    break;
  case NEW_TASK_MISSING_JOB:
    task.job_id = reserved; /* with no new job: it does not exist */
    break;
  case NEW_TASK_OTHER_JOB:
    task.job_id = jb;
    break;
  case NEW_TASK_ID_TAKEN:
    up_strlcpy(task.id, TASK_B, sizeof(task.id));
    break;
  case NEW_TASK_BAD_STATE:
    task.state = (up_task_state_t)7;
    break;
  case NEW_TASK_OTHER_TENANT:
    up_strlcpy(task.tenant_id, TENANT_B, sizeof(task.tenant_id));
    break;
  }

  change_t c = {.job_state = UP_JOB_ABORTED,
                .create_job = change_fails[_i].new_job == NEW_JOB_NONE ? NULL : &next,
                .create_task = change_fails[_i].new_task == NEW_TASK_NONE ? NULL : &task,
                .update_task = change_fails[_i].update_task,
                .update_state = change_fails[_i].update_state,
                .update_description = "done",
                .result = change_fails[_i].result};
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, NULL, id, &before, &err), UP_OK);
  calls = 0;
  ck_assert_msg(up_store_job_change(store, TENANT_A, id, apply_change, &c, &after, &err) ==
                    change_fails[_i].want,
                "%s: %s", change_fails[_i].name, err.message);
  ck_assert_int_eq(err.status, change_fails[_i].want);
  ck_assert_int_eq(calls, 1);
  ck_assert_int_eq(after.id, 0); /* out stays zeroed */

  /* Nothing of it was written: the job, no new job, no new task, the task unchanged. */
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, NULL, id, &after, &err), UP_OK);
  ck_assert_int_eq(after.state, before.state);
  up_job_fini(&after);
  up_job_fini(&before);
  ck_assert(!job_exists(TENANT_A, reserved));
  ck_assert(!job_exists(TENANT_B, reserved));
  ck_assert_int_eq(up_store_job_get(store, TENANT_B, NULL, jb, &after, &err), UP_OK);
  ck_assert_str_eq(after.document.id, DOC_3);
  up_job_fini(&after);
  ck_assert(!task_exists(TENANT_A, TASK_2));
  ck_assert(!task_exists(TENANT_B, TASK_2));
  get_task(TASK_1, &t);
  ck_assert_int_eq(t.state, UP_TASK_PROCESSING);
  ck_assert_pstr_eq(t.description, "waiting for release");
  up_task_fini(&t);
  ck_assert_int_eq(up_store_task_get(store, TENANT_B, NULL, TASK_B, &t, &err), UP_OK);
  ck_assert_int_eq(t.state, UP_TASK_PROCESSING);
  ck_assert_int_eq(t.job_id, jb);
  up_task_fini(&t);
  ck_assert_int_eq(up_store_task_list(store, TENANT_A, DEF_1, &list, &err), UP_OK);
  ASSERT_IDS(list, TASK_1);
  up_task_list_fini(&list);

  /* The store goes on: the next id is above the reserved one. */
  later = add_job(TENANT_A, PRINTER_2, DOC_4);
  ck_assert_int_gt(later, reserved);
}
END_TEST

/* --- the job id sequence --- */

START_TEST(test_reserve_id)
{
  int64_t ids[6], a, b, c;
  up_error_t err = {0};

  /* Increasing, whether reserved or given to new jobs. */
  ck_assert_int_eq(up_store_job_reserve_id(store, &ids[0], &err), UP_OK);
  ck_assert_int_gt(ids[0], 0);
  ck_assert_int_eq(up_store_job_reserve_id(store, &ids[1], &err), UP_OK);
  ids[2] = add_job(TENANT_A, PRINTER_1, DOC_1);
  ck_assert_int_eq(up_store_job_reserve_id(store, &ids[3], &err), UP_OK);
  for (int i = 1; i < 4; i++)
    ck_assert_int_gt(ids[i], ids[i - 1]);

  /* Across a reopen. */
  reopen();
  ck_assert_int_eq(up_store_job_reserve_id(store, &ids[4], &err), UP_OK);
  ck_assert_int_gt(ids[4], ids[3]);

  /* A reserved id used later, then deleted with its printer (the newest job gone): not handed
   * out again, not even after a reopen with no job left. */
  a = add_job_id(TENANT_A, PRINTER_2, DOC_2, ids[4]);
  ck_assert_int_eq(a, ids[4]);
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_2, &err), UP_OK);
  ck_assert_int_eq(up_store_job_reserve_id(store, &ids[5], &err), UP_OK);
  ck_assert_int_gt(ids[5], a);
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);
  reopen();
  add_printer(TENANT_A, PRINTER_1);
  b = add_job(TENANT_A, PRINTER_1, DOC_3);
  ck_assert_int_gt(b, ids[5]);
  ck_assert_int_eq(up_store_job_reserve_id(store, &c, &err), UP_OK);
  ck_assert_int_gt(c, b);

  /* A reserved id never used is skipped: ids[0], ids[1] and ids[3] name no job. */
  ck_assert(!job_exists(TENANT_A, ids[0]));
  ck_assert(!job_exists(TENANT_A, ids[1]));
  ck_assert(!job_exists(TENANT_A, ids[3]));
}
END_TEST

START_TEST(test_job_create_explicit_id)
{
  up_job_t j, got;
  up_job_list_t list;
  up_error_t err = {0};
  int64_t reserved, first, next;

  first = add_job(TENANT_A, PRINTER_1, DOC_1);
  ck_assert_int_eq(up_store_job_reserve_id(store, &reserved, &err), UP_OK);

  /* Created under the reserved id. */
  make_job(&j, TENANT_A, PRINTER_2, DOC_2, reserved);
  j.document.job_id = 999; /* set by the store */
  ck_assert_msg(up_store_job_create(store, &j, &err) == UP_OK, "%s", err.message);
  ck_assert_int_eq(j.id, reserved);
  ck_assert_int_eq(j.document.job_id, reserved);
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, PRINTER_2, reserved, &got, &err), UP_OK);
  ck_assert_str_eq(got.document.id, DOC_2);
  ck_assert_int_eq(got.document.job_id, reserved);
  up_job_fini(&got);

  /* A taken id (also by another tenant's job) is a conflict, leaving nothing behind. */
  make_job(&j, TENANT_A, PRINTER_1, DOC_3, reserved);
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_CONFLICT);
  ck_assert_int_eq(err.status, UP_CONFLICT);
  ck_assert_int_eq(j.id, reserved); /* untouched */
  make_job(&j, TENANT_B, PRINTER_3, DOC_3, first);
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_CONFLICT);
  ck_assert_int_eq(up_store_job_list(store, TENANT_A, PRINTER_1, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  ck_assert_int_eq(list.items[0].id, first);
  up_job_list_fini(&list);
  ck_assert_int_eq(up_store_job_list(store, TENANT_B, PRINTER_3, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_job_list_fini(&list);

  /* Missing printer, negative id. */
  make_job(&j, TENANT_A, MISSING, DOC_3, reserved + 1000);
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_NOT_FOUND);
  make_job(&j, TENANT_A, PRINTER_1, DOC_3, -5);
  ck_assert_int_eq(up_store_job_create(store, &j, &err), UP_INTERNAL);

  /* The sequence goes on above the reserved id. */
  next = add_job(TENANT_A, PRINTER_1, DOC_3);
  ck_assert_int_gt(next, reserved);
}
END_TEST

/* --- migrations --- */

START_TEST(test_migration_from_v2)
{
  up_embedded_file_t files[16];
  size_t n = 0;
  up_job_t j;
  up_task_t t;
  up_error_t err = {0};
  int64_t reserved, created;

  /* A database at version 2 with jobs 3 and 7 on PRINTER_1 and 50 (deleted with PRINTER_2):
   * the largest id ever used is above the largest existing one. */
  memset(files, 0, sizeof(files));
  for (const up_embedded_file_t *f = up_embedded_files; f->name; f++) {
    ck_assert_uint_lt(n, COUNT(files) - 1);
    if (up_store_migration_number(f->name) <= 2)
      files[n++] = *f;
  }
  ck_assert_int_eq(up_store_open_files(db_path, files, &store, &err), UP_OK);
  ck_assert_int_eq(up_store_schema_version(store), 2);
  add_printers();
  add_job_id(TENANT_A, PRINTER_1, DOC_1, 3);
  add_job_id(TENANT_A, PRINTER_1, DOC_2, 7);
  add_job_id(TENANT_A, PRINTER_2, DOC_3, 50);
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_2, &err), UP_OK);

  /* Opened normally, it is upgraded in place, its jobs kept. */
  reopen();
  ck_assert_int_eq(up_store_schema_version(store), up_store_schema_latest());
  ck_assert_int_ge(up_store_schema_latest(), 3);
  ck_assert_int_eq(up_store_job_get(store, TENANT_A, PRINTER_1, 7, &j, &err), UP_OK);
  ck_assert_str_eq(j.document.id, DOC_2);
  up_job_fini(&j);
  ck_assert(job_exists(TENANT_A, 3));
  ck_assert(!job_exists(TENANT_A, 50));

  /* New ids go above every id ever used. */
  ck_assert_int_eq(up_store_job_reserve_id(store, &reserved, &err), UP_OK);
  ck_assert_int_gt(reserved, 50);
  created = add_job(TENANT_A, PRINTER_1, DOC_4);
  ck_assert_int_gt(created, reserved);
  reopen();
  ck_assert_int_gt(add_job(TENANT_A, PRINTER_1, DOC_5), created);

  /* The new tables work with the old jobs. */
  add_definition(TENANT_A, DEF_1, APP_1, T0);
  add_trigger(TENANT_A, TRIGGER_1, PRINTER_1, DEF_1, T0);
  add_task(TENANT_A, TASK_1, DEF_1, TRIGGER_1, 7, UP_TASK_PROCESSING, T0);
  get_task(TASK_1, &t);
  ck_assert_int_eq(t.job_id, 7);
  up_task_fini(&t);
}
END_TEST

START_TEST(test_migration_fresh)
{
  up_error_t err = {0};
  int64_t id;

  /* A new database starts the sequence at 1. */
  reopen();
  ck_assert_int_eq(up_store_schema_version(store), up_store_schema_latest());
  ck_assert_int_eq(up_store_job_reserve_id(store, &id, &err), UP_OK);
  ck_assert_int_eq(id, 1);
}
END_TEST

static Suite *store_tasks_suite(void)
{
  Suite *s = suite_create("store-tasks");
  TCase *tc;

  tc = tcase_create("definitions");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_loop_test(tc, test_definition_roundtrip, 0, 2);
  tcase_add_test(tc, test_definition_create_fails);
  tcase_add_test(tc, test_definition_list_filter_and_order);
  tcase_add_test(tc, test_definition_update);
  tcase_add_test(tc, test_definition_get_not_found);
  tcase_add_test(tc, test_definition_delete_cascades);
  suite_add_tcase(s, tc);

  tc = tcase_create("triggers");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_trigger_roundtrip);
  tcase_add_loop_test(tc, test_trigger_create_fails, 0, COUNT(trigger_fails));
  tcase_add_test(tc, test_trigger_scope);
  tcase_add_test(tc, test_trigger_delete_keeps_tasks);
  tcase_add_test(tc, test_printer_delete_cascades);
  suite_add_tcase(s, tc);

  tc = tcase_create("tasks");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_loop_test(tc, test_task_roundtrip, 0, 8);
  tcase_add_test(tc, test_task_status_update);
  tcase_add_test(tc, test_task_scope);
  tcase_add_test(tc, test_task_list_orders);
  tcase_add_test(tc, test_task_processing_before);
  suite_add_tcase(s, tc);

  tc = tcase_create("change");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_change_effects_together);
  tcase_add_loop_test(tc, test_change_effects_rolled_back, 0, COUNT(change_fails));
  suite_add_tcase(s, tc);

  tc = tcase_create("job ids");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_reserve_id);
  tcase_add_test(tc, test_job_create_explicit_id);
  suite_add_tcase(s, tc);

  tc = tcase_create("migrations");
  tcase_add_checked_fixture(tc, setup_dir, teardown);
  tcase_add_test(tc, test_migration_from_v2);
  tcase_add_test(tc, test_migration_fresh);
  suite_add_tcase(s, tc);

  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(store_tasks_suite());
  int failed;

  up_log_set_level(UP_LOG_WARN);

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
