/* store-tasks.c - pull printing in SQLite: task definitions, their triggers and tasks.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"

#include "uprintd/util.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The column lists, in the readers' orders. */
#define DEFINITION_COLS "id, tenant_id, display_name, app_id, app_name, created_at"
#define TRIGGER_COLS    "id, tenant_id, printer_id, definition_id, created_at"
#define TASK_COLS                                                                                  \
  "id, tenant_id, definition_id, trigger_id, job_id, parent_url, state, description, created_at"

const char *const up_store_tasks_sql[UP_STMT_COUNT] = {
    [UP_STMT_TASK_DEFINITION_INSERT] = "INSERT INTO task_definitions (" DEFINITION_COLS ") "
                                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [UP_STMT_TASK_DEFINITION_GET] = "SELECT " DEFINITION_COLS " FROM task_definitions "
                                    "WHERE tenant_id = ?1 AND id = ?2",
    /* ?2 NULL: every application's. */
    [UP_STMT_TASK_DEFINITION_LIST] = "SELECT " DEFINITION_COLS " FROM task_definitions "
                                     "WHERE tenant_id = ?1 AND (?2 IS NULL OR app_id = ?2) "
                                     "ORDER BY created_at, id",
    [UP_STMT_TASK_DEFINITION_UPDATE] = "UPDATE task_definitions SET display_name = ?3, "
                                       "app_name = ?4 WHERE tenant_id = ?1 AND id = ?2",
    /* The foreign keys delete its triggers and tasks. */
    [UP_STMT_TASK_DEFINITION_DELETE] = "DELETE FROM task_definitions "
                                       "WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_TASK_DEFINITION_EXISTS] = "SELECT 1 FROM task_definitions "
                                       "WHERE tenant_id = ?1 AND id = ?2",

    /* event keeps its default (jobStarted, the only printEvent). */
    [UP_STMT_TASK_TRIGGER_INSERT] = "INSERT INTO task_triggers (" TRIGGER_COLS ") "
                                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    /* ?2 NULL: any printer of the tenant. */
    [UP_STMT_TASK_TRIGGER_GET] = "SELECT " TRIGGER_COLS " FROM task_triggers "
                                 "WHERE tenant_id = ?1 AND (?2 IS NULL OR printer_id = ?2) "
                                 "AND id = ?3",
    [UP_STMT_TASK_TRIGGER_OF_PRINTER] = "SELECT " TRIGGER_COLS " FROM task_triggers "
                                        "WHERE tenant_id = ?1 AND printer_id = ?2",
    [UP_STMT_TASK_TRIGGER_LIST] = "SELECT " TRIGGER_COLS " FROM task_triggers "
                                  "WHERE tenant_id = ?1 AND printer_id = ?2 "
                                  "ORDER BY created_at, id",
    /* The foreign key clears the trigger_id of its tasks. ?2 NULL: any printer. */
    [UP_STMT_TASK_TRIGGER_DELETE] = "DELETE FROM task_triggers WHERE tenant_id = ?1 "
                                    "AND (?2 IS NULL OR printer_id = ?2) AND id = ?3",

    /* Inserts nothing unless the definition, the trigger (?4 NULL: none; of that definition)
     * and the job are the tenant's. */
    [UP_STMT_TASK_INSERT] =
        "INSERT INTO tasks (" TASK_COLS ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
        "WHERE EXISTS (SELECT 1 FROM task_definitions WHERE id = ?3 AND tenant_id = ?2) "
        "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM task_triggers "
        "WHERE id = ?4 AND tenant_id = ?2 AND definition_id = ?3)) "
        "AND EXISTS (SELECT 1 FROM jobs WHERE id = ?5 AND tenant_id = ?2)",
    [UP_STMT_TASK_SET_STATUS] = "UPDATE tasks SET state = ?3, description = ?4 "
                                "WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_TASK_ABORT_OF_JOB] = "UPDATE tasks SET state = 'aborted', description = ?3 "
                                  "WHERE tenant_id = ?1 AND job_id = ?2 AND state = 'processing'",
    /* ?2 NULL: any definition of the tenant. */
    [UP_STMT_TASK_GET] = "SELECT " TASK_COLS " FROM tasks WHERE tenant_id = ?1 "
                         "AND (?2 IS NULL OR definition_id = ?2) AND id = ?3",
    [UP_STMT_TASK_LIST] = "SELECT " TASK_COLS " FROM tasks "
                          "WHERE tenant_id = ?1 AND definition_id = ?2 "
                          "ORDER BY created_at DESC, id DESC",
    [UP_STMT_TASK_LIST_FOR_JOB] = "SELECT " TASK_COLS " FROM tasks "
                                  "WHERE tenant_id = ?1 AND job_id = ?2 ORDER BY created_at, id",
    [UP_STMT_TASK_LIST_PROCESSING_BEFORE] = "SELECT " TASK_COLS " FROM tasks "
                                            "WHERE state = 'processing' AND created_at < ?1 "
                                            "ORDER BY created_at, id",
};

/* printTaskProcessingState members, stored by name; index = up_task_state_t. */
static const char *const state_names[] = {
    [UP_TASK_PENDING] = "pending",
    [UP_TASK_PROCESSING] = "processing",
    [UP_TASK_COMPLETED] = "completed",
    [UP_TASK_ABORTED] = "aborted",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == UP_TASK_ABORTED + 1,
               "a name for every up_task_state_t");

/* The stored name of state, or NULL when it is out of range. */
static const char *state_name(up_task_state_t state)
{
  if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0]))
    return NULL;
  return state_names[state];
}

/* --- reading --- */

static up_status_t read_definition_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_task_definition_t *d = out;
  up_status_t st = UP_OK;

  up_store_col_id(stmt, 0, d->id, &st, err);
  up_store_col_id(stmt, 1, d->tenant_id, &st, err);
  up_store_col_text(stmt, 2, &d->display_name, &st, err);
  up_store_col_text(stmt, 3, &d->app_id, &st, err);
  up_store_col_text(stmt, 4, &d->app_name, &st, err);
  d->created_at = up_store_col_time(stmt, 5);
  return st;
}

static up_status_t read_trigger_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_task_trigger_t *t = out;
  up_status_t st = UP_OK;

  up_store_col_id(stmt, 0, t->id, &st, err);
  up_store_col_id(stmt, 1, t->tenant_id, &st, err);
  up_store_col_id(stmt, 2, t->printer_id, &st, err);
  up_store_col_id(stmt, 3, t->definition_id, &st, err);
  t->created_at = up_store_col_time(stmt, 4);
  return st;
}

/* A task; a NULL trigger_id (its trigger was deleted) reads as "". */
static up_status_t read_task_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_task_t *t = out;
  up_status_t st = UP_OK;
  const unsigned char *state;

  up_store_col_id(stmt, 0, t->id, &st, err);
  up_store_col_id(stmt, 1, t->tenant_id, &st, err);
  up_store_col_id(stmt, 2, t->definition_id, &st, err);
  up_store_col_id(stmt, 3, t->trigger_id, &st, err);
  t->job_id = sqlite3_column_int64(stmt, 4);
  up_store_col_text(stmt, 5, &t->parent_url, &st, err);
  up_store_col_text(stmt, 7, &t->description, &st, err);
  t->created_at = up_store_col_time(stmt, 8);
  if (st != UP_OK)
    return st;
  state = sqlite3_column_text(stmt, 6);
  if (!state)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory reading the database");
  for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
    if (strcmp((const char *)state, state_names[i]) == 0) {
      t->state = (up_task_state_t)i;
      return UP_OK;
    }
  }
  return up_error_set(err, UP_DB, NULL, "unknown task state in the database: %.40s",
                      (const char *)state);
}

/* --- running statements --- */

/* Runs statement sid bound to (?1 tenant, ?2 scope, ?3 id) and reads its row into out with
 * reader; UP_NOT_FOUND when there is none. Takes the store mutex. */
static up_status_t get_scoped(up_store_t *store, up_stmt_id_t sid, const char *tenant,
                              const char *scope, const char *id, const char *what,
                              up_store_row_reader_t reader, void *out, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, sid);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, scope, &rc);
  up_store_bind_text(stmt, 3, id, &rc);
  st = up_store_first_row(store, stmt, rc, what, id, err);
  if (st == UP_OK)
    st = reader(stmt, out, err);
  up_store_stmt_done(stmt);
  up_store_unlock(store);
  return st;
}

/* Runs statement sid bound to (?1 tenant, ?2 key) when by_tenant, else to (?1 key), and reads
 * every row into the task list out. Takes the store mutex. */
static up_status_t list_tasks(up_store_t *store, up_stmt_id_t sid, bool by_tenant,
                              const char *tenant, int64_t key, const char *what,
                              up_task_list_t *out, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  memset(out, 0, sizeof(*out));
  up_store_lock(store);
  stmt = up_store_stmt(store, sid);
  if (by_tenant)
    up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_int64(stmt, by_tenant ? 2 : 1, key, &rc);
  st = up_store_read_rows(store, stmt, rc, what, read_task_row, (void **)&out->items, &out->count,
                          sizeof(out->items[0]), err);
  up_store_unlock(store);
  if (st != UP_OK)
    up_task_list_fini(out);
  return st;
}

/* UP_OK when statement sid bound to (?1 tenant, ?2 id) has a row, else UP_NOT_FOUND ("<what>
 * <id> not found") or the failure. Caller holds the lock. */
static up_status_t exists(up_store_t *store, up_stmt_id_t sid, const char *tenant, const char *id,
                          const char *what, up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, sid);
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, id, &rc);
  st = up_store_first_row(store, stmt, rc, what, id, err);
  up_store_stmt_done(stmt);
  return st;
}

/* --- task definitions --- */

up_status_t up_store_task_definition_create(up_store_t *store, const up_task_definition_t *d,
                                            up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_TASK_DEFINITION_INSERT);
  up_store_bind_text(stmt, 1, d->id, &rc);
  up_store_bind_text(stmt, 2, d->tenant_id, &rc);
  up_store_bind_text(stmt, 3, d->display_name, &rc);
  up_store_bind_text(stmt, 4, d->app_id, &rc);
  up_store_bind_text(stmt, 5, d->app_name, &rc);
  up_store_bind_time(stmt, 6, d->created_at, &rc);
  st = up_store_run(store, stmt, rc, "creating the task definition", err);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_task_definition_get(up_store_t *store, const char *tenant, const char *id,
                                         up_task_definition_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_TASK_DEFINITION_GET, tenant, id,
                                    "task definition", read_definition_row, out, err);
  if (st != UP_OK)
    up_task_definition_fini(out);
  return st;
}

up_status_t up_store_task_definition_list(up_store_t *store, const char *tenant, const char *app_id,
                                          up_task_definition_list_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_TASK_DEFINITION_LIST, tenant, 2, app_id,
                                     "listing task definitions", read_definition_row,
                                     (void **)&out->items, &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_task_definition_list_fini(out);
  return st;
}

up_status_t up_store_task_definition_update(up_store_t *store, const up_task_definition_t *d,
                                            up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_TASK_DEFINITION_UPDATE);
  up_store_bind_text(stmt, 1, d->tenant_id, &rc);
  up_store_bind_text(stmt, 2, d->id, &rc);
  up_store_bind_text(stmt, 3, d->display_name, &rc);
  up_store_bind_text(stmt, 4, d->app_name, &rc);
  st = up_store_run(store, stmt, rc, "updating the task definition", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "task definition %s not found", d->id);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_task_definition_delete(up_store_t *store, const char *tenant, const char *id,
                                            up_error_t *err)
{
  return up_store_delete_one(store, UP_STMT_TASK_DEFINITION_DELETE, tenant, id,
                             "deleting the task definition", err);
}

/* --- triggers --- */

up_status_t up_store_task_trigger_create(up_store_t *store, const up_task_trigger_t *t,
                                         up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  bool in_tx = false;
  int rc = SQLITE_OK;

  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;

  /* The printer and the definition must be the tenant's, and the printer without a trigger (one
   * per printer). */
  st = exists(store, UP_STMT_PRINTER_EXISTS, t->tenant_id, t->printer_id, "printer", err);
  if (st == UP_OK)
    st = exists(store, UP_STMT_TASK_DEFINITION_EXISTS, t->tenant_id, t->definition_id,
                "task definition", err);
  if (st == UP_OK) {
    st = exists(store, UP_STMT_TASK_TRIGGER_OF_PRINTER, t->tenant_id, t->printer_id,
                "task trigger of printer", err);
    if (st == UP_OK)
      st = up_error_set(err, UP_CONFLICT, NULL, "printer %s already has a task trigger",
                        t->printer_id);
    else if (st == UP_NOT_FOUND)
      st = UP_OK;
  }
  if (st != UP_OK)
    goto out;

  /* A UNIQUE failure here (the same printer or id) maps to UP_CONFLICT as well. */
  stmt = up_store_stmt(store, UP_STMT_TASK_TRIGGER_INSERT);
  up_store_bind_text(stmt, 1, t->id, &rc);
  up_store_bind_text(stmt, 2, t->tenant_id, &rc);
  up_store_bind_text(stmt, 3, t->printer_id, &rc);
  up_store_bind_text(stmt, 4, t->definition_id, &rc);
  up_store_bind_time(stmt, 5, t->created_at, &rc);
  st = up_store_run(store, stmt, rc, "creating the task trigger", err);

out:
  return up_store_end_tx(store, in_tx, st, err);
}

up_status_t up_store_task_trigger_get(up_store_t *store, const char *tenant, const char *printer_id,
                                      const char *id, up_task_trigger_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = get_scoped(store, UP_STMT_TASK_TRIGGER_GET, tenant, printer_id, id,
                              "task trigger", read_trigger_row, out, err);
  if (st != UP_OK)
    memset(out, 0, sizeof(*out));
  return st;
}

up_status_t up_store_task_trigger_of_printer(up_store_t *store, const char *tenant,
                                             const char *printer_id, up_task_trigger_t *out,
                                             up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_TASK_TRIGGER_OF_PRINTER, tenant, printer_id,
                                    "task trigger of printer", read_trigger_row, out, err);
  if (st != UP_OK)
    memset(out, 0, sizeof(*out));
  return st;
}

up_status_t up_store_task_trigger_list(up_store_t *store, const char *tenant,
                                       const char *printer_id, up_task_trigger_list_t *out,
                                       up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_TASK_TRIGGER_LIST, tenant, 2, printer_id,
                                     "listing task triggers", read_trigger_row,
                                     (void **)&out->items, &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_task_trigger_list_fini(out);
  return st;
}

up_status_t up_store_task_trigger_delete(up_store_t *store, const char *tenant,
                                         const char *printer_id, const char *id, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_TASK_TRIGGER_DELETE);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, printer_id, &rc);
  up_store_bind_text(stmt, 3, id, &rc);
  st = up_store_run(store, stmt, rc, "deleting the task trigger", err);
  /* sqlite3_changes counts the row itself, not the foreign keys' actions. */
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "task trigger %s not found", id ? id : "");
  up_store_unlock(store);
  return st;
}

/* --- tasks --- */

up_status_t up_store_task_insert_locked(up_store_t *store, const up_task_t *t, up_error_t *err)
{
  sqlite3_stmt *stmt;
  const char *state = state_name(t->state);
  up_status_t st;
  int rc = SQLITE_OK;

  if (!state)
    return up_error_set(err, UP_INTERNAL, NULL, "invalid task state %d", (int)t->state);

  stmt = up_store_stmt(store, UP_STMT_TASK_INSERT);
  up_store_bind_text(stmt, 1, t->id, &rc);
  up_store_bind_text(stmt, 2, t->tenant_id, &rc);
  up_store_bind_text(stmt, 3, t->definition_id, &rc);
  up_store_bind_ref(stmt, 4, t->trigger_id, &rc);
  up_store_bind_int64(stmt, 5, t->job_id, &rc);
  up_store_bind_text(stmt, 6, t->parent_url, &rc);
  up_store_bind_text(stmt, 7, state, &rc);
  up_store_bind_text(stmt, 8, t->description, &rc);
  up_store_bind_time(stmt, 9, t->created_at, &rc);
  st = up_store_run(store, stmt, rc, "creating the task", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL,
                      "task %s: its definition, trigger or print job %" PRId64 " not found", t->id,
                      t->job_id);
  return st;
}

up_status_t up_store_task_set_status_locked(up_store_t *store, const char *tenant, const char *id,
                                            up_task_state_t state, const char *description,
                                            up_error_t *err)
{
  sqlite3_stmt *stmt;
  const char *name = state_name(state);
  up_status_t st;
  int rc = SQLITE_OK;

  if (!name)
    return up_error_set(err, UP_INTERNAL, NULL, "invalid task state %d", (int)state);

  stmt = up_store_stmt(store, UP_STMT_TASK_SET_STATUS);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, id, &rc);
  up_store_bind_text(stmt, 3, name, &rc);
  up_store_bind_text(stmt, 4, description, &rc);
  st = up_store_run(store, stmt, rc, "updating the task", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "task %s not found", id ? id : "");
  return st;
}

up_status_t up_store_task_get(up_store_t *store, const char *tenant, const char *definition_id,
                              const char *id, up_task_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = get_scoped(store, UP_STMT_TASK_GET, tenant, definition_id, id, "task",
                              read_task_row, out, err);
  if (st != UP_OK)
    up_task_fini(out);
  return st;
}

up_status_t up_store_task_list(up_store_t *store, const char *tenant, const char *definition_id,
                               up_task_list_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_TASK_LIST, tenant, 2, definition_id,
                                     "listing tasks", read_task_row, (void **)&out->items,
                                     &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_task_list_fini(out);
  return st;
}

up_status_t up_store_task_list_for_job(up_store_t *store, const char *tenant, int64_t job_id,
                                       up_task_list_t *out, up_error_t *err)
{
  return list_tasks(store, UP_STMT_TASK_LIST_FOR_JOB, true, tenant, job_id,
                    "listing the tasks of a print job", out, err);
}

up_status_t up_store_task_list_processing_before(up_store_t *store, up_time_t cutoff,
                                                 up_task_list_t *out, up_error_t *err)
{
  return list_tasks(store, UP_STMT_TASK_LIST_PROCESSING_BEFORE, false, NULL, cutoff,
                    "listing the processing tasks", out, err);
}

/* --- collections for up_store_query (store-query.c) --- */

static void definition_item_fini(void *d)
{
  up_task_definition_fini(d);
}

static void task_item_fini(void *t)
{
  up_task_fini(t);
}

static void trigger_item_fini(void *t)
{
  (void)t; /* no heap members */
}

static const up_store_field_t definition_fields[] = {{"id", "id", true},
                                                     {"displayName", "display_name", true},
                                                     {"createdBy/appId", "app_id", false},
                                                     {"createdBy/displayName", "app_name", false},
                                                     {"@created", "created_at", true},
                                                     {NULL, NULL, false}};

/* ?2 NULL: every application's definitions, else app ?2's. */
const up_store_coll_t up_store_coll_definitions = {
    "SELECT " DEFINITION_COLS " FROM task_definitions",
    "WHERE tenant_id = ?1 AND (?2 IS NULL OR app_id = ?2)",
    2,
    6,
    definition_fields,
    read_definition_row,
    sizeof(up_task_definition_t),
    definition_item_fini};

static const up_store_field_t task_fields[] = {{"id", "id", true},
                                               {"parentUrl", "parent_url", true},
                                               {"status/state", "state", true},
                                               {"status/description", "description", false},
                                               {"@created", "created_at", true},
                                               {NULL, NULL, false}};

const up_store_coll_t up_store_coll_tasks = {"SELECT " TASK_COLS " FROM tasks",
                                             "WHERE tenant_id = ?1 AND definition_id = ?2",
                                             2,
                                             9,
                                             task_fields,
                                             read_task_row,
                                             sizeof(up_task_t),
                                             task_item_fini};

static const up_store_field_t trigger_fields[] = {{"id", "id", true},
                                                  {"event", "event", true},
                                                  {"@created", "created_at", true},
                                                  {NULL, NULL, false}};

const up_store_coll_t up_store_coll_triggers = {"SELECT " TRIGGER_COLS " FROM task_triggers",
                                                "WHERE tenant_id = ?1 AND printer_id = ?2",
                                                2,
                                                5,
                                                trigger_fields,
                                                read_trigger_row,
                                                sizeof(up_task_trigger_t),
                                                trigger_item_fini};
