/* store-jobs.c - print jobs, their documents and upload sessions in SQLite.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"

#include "uprintd/log.h"
#include "uprintd/util.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The job columns, in read_job's order (JOB_NCOLS of them). */
#define JOB_COLS                                                                                   \
  "j.id, j.tenant_id, j.printer_id, j.configuration_json, j.created_by_id, j.created_by_name, "    \
  "j.created_by_upn, j.created_by_app, j.created_at, j.started_at, j.acknowledged_at, "            \
  "j.completed_at, j.state, j.details, j.is_acquired, j.is_fetchable, j.error_code, "              \
  "j.redirected_from, j.redirected_to"
#define JOB_NCOLS      19
#define DOCUMENT_NCOLS 7

/* The document columns, in read_document's order. */
#define DOCUMENT_COLS                                                                              \
  "d.id, d.job_id, d.display_name, d.content_type, d.size, d.uploaded_at, d.downloaded_at"

/* A job row: the job, then its document. */
#define JOB_ROW                                                                                    \
  "SELECT " JOB_COLS ", " DOCUMENT_COLS " FROM jobs j JOIN documents d ON d.job_id = j.id "

#define UPLOAD_COLS                                                                                \
  "id, token, tenant_id, job_id, document_id, document_name, content_type, size, expires_at, "     \
  "received"

/* The document d.id = ?d of job j.id = ?j of tenant ?t exists. */
#define DOCUMENT_OF_TENANT(d, j, t)                                                                \
  "EXISTS (SELECT 1 FROM documents d JOIN jobs j ON j.id = d.job_id "                              \
  "WHERE d.id = " d " AND j.id = " j " AND j.tenant_id = " t ")"

const char *const up_store_jobs_sql[UP_STMT_COUNT] = {
    /* ?1..?19 are bound by bind_job, in JOB_COLS order; the id comes from the job id sequence. */
    [UP_STMT_JOB_INSERT] =
        "INSERT INTO jobs (id, tenant_id, printer_id, configuration_json, created_by_id, "
        "created_by_name, created_by_upn, created_by_app, created_at, started_at, "
        "acknowledged_at, completed_at, state, details, is_acquired, is_fetchable, error_code, "
        "redirected_from, redirected_to) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
        "?19)",
    /* ?1..?7 are bound by bind_document, in DOCUMENT_COLS order. */
    [UP_STMT_DOCUMENT_INSERT] = "INSERT INTO documents (id, job_id, display_name, content_type, "
                                "size, uploaded_at, downloaded_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* ?2 NULL: any printer of the tenant. */
    [UP_STMT_JOB_GET] = JOB_ROW "WHERE j.tenant_id = ?1 AND (?2 IS NULL OR j.printer_id = ?2) "
                                "AND j.id = ?3",
    /* ?3 NULL: every user's jobs; else those created by user ?3. */
    [UP_STMT_JOB_LIST] = JOB_ROW "WHERE j.tenant_id = ?1 AND j.printer_id = ?2 "
                                 "AND (?3 IS NULL OR j.created_by_id = ?3) "
                                 "ORDER BY j.created_at DESC, j.id DESC",
    /* Same numbering as the insert; id and tenant_id select the row, ?3 (printer_id) unused. */
    [UP_STMT_JOB_UPDATE] =
        "UPDATE jobs SET configuration_json = ?4, created_by_id = ?5, created_by_name = ?6, "
        "created_by_upn = ?7, created_by_app = ?8, created_at = ?9, started_at = ?10, "
        "acknowledged_at = ?11, completed_at = ?12, state = ?13, details = ?14, "
        "is_acquired = ?15, is_fetchable = ?16, error_code = ?17, redirected_from = ?18, "
        "redirected_to = ?19 WHERE id = ?1 AND tenant_id = ?2",
    /* Same numbering as the insert. */
    [UP_STMT_DOCUMENT_UPDATE] = "UPDATE documents SET display_name = ?3, content_type = ?4, "
                                "size = ?5, uploaded_at = ?6, downloaded_at = ?7 "
                                "WHERE id = ?1 AND job_id = ?2",
    /* The effects of a job change. */
    [UP_STMT_JOB_SET_PRINTER_STATUS] = "UPDATE printers SET status_json = ?2 WHERE id = ?1",
    [UP_STMT_JOB_DELETE_UPLOAD] = "DELETE FROM uploads WHERE id = ?1 AND job_id = ?2",
    /* Any tenant: ?1 unused. */
    [UP_STMT_JOB_NEXT] = JOB_ROW "WHERE j.printer_id = ?2 AND j.state = 'pending' "
                                 "ORDER BY j.started_at, j.id LIMIT 1",
    [UP_STMT_JOB_LIST_PRINTING] = JOB_ROW "WHERE j.state IN ('processing', 'stopped') "
                                          "ORDER BY j.started_at, j.id",
    [UP_STMT_PRINTERS_WITH_PENDING] =
        "SELECT DISTINCT printer_id FROM jobs WHERE state = 'pending' ORDER BY printer_id",

    [UP_STMT_DOCUMENT_GET] = "SELECT " DOCUMENT_COLS " FROM documents d "
                             "JOIN jobs j ON j.id = d.job_id WHERE j.tenant_id = ?1 AND d.id = ?2",
    [UP_STMT_DOCUMENT_SET_DOWNLOADED] =
        /* EXISTS, not "job_id IN (SELECT id FROM jobs WHERE tenant_id = ?1)": that builds the
         * list of every job of the tenant on each call. */
    "UPDATE documents SET downloaded_at = ?3 WHERE id = ?2 AND "
    "EXISTS (SELECT 1 FROM jobs j WHERE j.id = documents.job_id AND j.tenant_id = ?1)",
    [UP_STMT_PRINTER_DOCUMENTS] = "SELECT d.id FROM documents d JOIN jobs j ON j.id = d.job_id "
                                  "WHERE j.tenant_id = ?1 AND j.printer_id = ?2 ORDER BY j.id",

    [UP_STMT_UPLOAD_DELETE_OF_DOCUMENT] =
        "DELETE FROM uploads WHERE tenant_id = ?1 AND document_id = ?2",
    /* Inserts nothing unless the document is the job's and the job the tenant's. */
    [UP_STMT_UPLOAD_INSERT] = "INSERT INTO uploads (" UPLOAD_COLS ") "
                              "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, COALESCE(?10, '') "
                              "WHERE " DOCUMENT_OF_TENANT("?5", "?4", "?3"),
    /* Any tenant: ?1 unused. */
    [UP_STMT_UPLOAD_GET] = "SELECT " UPLOAD_COLS " FROM uploads WHERE id = ?2",
    [UP_STMT_UPLOAD_EXISTS] = "SELECT 1 FROM uploads WHERE id = ?1",
    [UP_STMT_UPLOAD_SET_RECEIVED] = "UPDATE uploads SET received = COALESCE(?2, '') WHERE id = ?1",
    /* Any tenant: ?1 unused. */
    [UP_STMT_UPLOAD_DELETE] = "DELETE FROM uploads WHERE id = ?2",
    [UP_STMT_UPLOAD_DELETE_EXPIRED] = "DELETE FROM uploads WHERE expires_at < ?1",

    /* For /metrics: every tenant's. */
    /* By printer and state: jobs_queue's order, no sort (the caller adds up the printers). */
    [UP_STMT_JOB_COUNT_BY_STATE] = "SELECT state, count(*) FROM jobs GROUP BY printer_id, state",
    [UP_STMT_QUEUE_DEPTHS] = "SELECT printer_id, count(*) FROM jobs WHERE state = 'pending' "
                             "GROUP BY printer_id ORDER BY printer_id",
    [UP_STMT_UPLOADS_ACTIVE] = "SELECT count(*) FROM uploads WHERE expires_at >= ?1",
    /* For the recovery at start: every session, and whether its document has content. */
    [UP_STMT_UPLOADS_ALL] = "SELECT " UPLOAD_COLS ", (SELECT d.uploaded_at IS NOT NULL "
                            "FROM documents d WHERE d.id = uploads.document_id) "
                            "FROM uploads ORDER BY id",
    [UP_STMT_DOCUMENT_EXISTS] = "SELECT 1 FROM documents WHERE id = ?1",
    /* Quotas (0005-quotas.sql's index): a user's jobs since ?3, counted up to ?4; the oldest. */
    [UP_STMT_JOB_QUOTA_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE tenant_id = ?1 "
                                "AND created_by_id = ?2 AND created_at >= ?3 LIMIT ?4)",
    [UP_STMT_JOB_QUOTA_OLDEST] = "SELECT min(created_at) FROM jobs WHERE tenant_id = ?1 "
                                 "AND created_by_id = ?2 AND created_at >= ?3",
    /* Open sessions of a user's jobs but those of document ?4 (a new session replaces them). */
    /* CROSS JOIN keeps uploads (the open sessions) outside: the other order reads every job
     * the user ever created. */
    [UP_STMT_UPLOADS_OF_USER] =
        "SELECT count(*) FROM uploads u CROSS JOIN jobs j ON j.id = u.job_id "
        "WHERE j.tenant_id = ?1 AND j.created_by_id = ?2 "
        "AND u.expires_at > ?3 AND u.document_id <> ?4",
};

/* The job id sequence: the largest id ever handed out, by jobs (AUTOINCREMENT: also the
 * deleted ones) or by job_ids (0003-pull-printing.sql, the sequence of earlier versions). Ids
 * are taken from it in memory by the single writer, so creating a job writes no sequence row. */
const char *const up_store_job_ids_sql[UP_STMT_COUNT] = {
    [UP_STMT_JOB_ID_MAX] = "SELECT max(m) FROM (SELECT max(id) AS m FROM jobs UNION ALL "
                           "SELECT seq FROM sqlite_sequence WHERE name IN ('jobs', 'job_ids'))",
    /* A reservation (redirection) is recorded in job_ids' sequence: inserted and deleted. */
    [UP_STMT_JOB_ID_TAKE] = "INSERT INTO job_ids (id) VALUES (?1)",
    [UP_STMT_JOB_ID_RELEASE] = "DELETE FROM job_ids WHERE id = ?1",
};

/* printJobProcessingState members, stored by name; index = up_job_state_t. */
static const char *const state_names[] = {
    [UP_JOB_UNKNOWN] = "unknown",       [UP_JOB_PENDING] = "pending",
    [UP_JOB_PROCESSING] = "processing", [UP_JOB_PAUSED] = "paused",
    [UP_JOB_STOPPED] = "stopped",       [UP_JOB_COMPLETED] = "completed",
    [UP_JOB_CANCELED] = "canceled",     [UP_JOB_ABORTED] = "aborted",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == UP_JOB_STATE_COUNT,
               "a name for every up_job_state_t");

/* --- binding: each helper does nothing once *rc is an error --- */

/* Binds ?1..?19 of the job insert and update; id replaces j->id. j->state must be valid. */
static void bind_job(sqlite3_stmt *stmt, const up_job_t *j, int64_t id, int *rc)
{
  up_store_bind_int64(stmt, 1, id, rc);
  up_store_bind_text(stmt, 2, j->tenant_id, rc);
  up_store_bind_text(stmt, 3, j->printer_id, rc);
  up_store_bind_text(stmt, 4, j->configuration_json, rc);
  up_store_bind_ref(stmt, 5, j->created_by_id, rc);
  up_store_bind_text(stmt, 6, j->created_by_name, rc);
  up_store_bind_text(stmt, 7, j->created_by_upn, rc);
  up_store_bind_text(stmt, 8, j->created_by_app, rc);
  up_store_bind_time(stmt, 9, j->created_at, rc);
  up_store_bind_time(stmt, 10, j->started_at, rc);
  up_store_bind_time(stmt, 11, j->acknowledged_at, rc);
  up_store_bind_time(stmt, 12, j->completed_at, rc);
  up_store_bind_text(stmt, 13, state_names[j->state], rc);
  up_store_bind_int64(stmt, 14, (int64_t)j->details, rc);
  up_store_bind_int(stmt, 15, j->is_acquired ? 1 : 0, rc);
  up_store_bind_int(stmt, 16, j->is_fetchable ? 1 : 0, rc);
  if (j->has_error_code)
    up_store_bind_int(stmt, 17, j->error_code, rc);
  else
    up_store_bind_text(stmt, 17, NULL, rc);
  up_store_bind_text(stmt, 18, j->redirected_from, rc);
  up_store_bind_text(stmt, 19, j->redirected_to, rc);
}

/* Binds ?1..?7 of the document insert and update; job_id replaces d->job_id. */
static void bind_document(sqlite3_stmt *stmt, const up_document_t *d, int64_t job_id, int *rc)
{
  up_store_bind_text(stmt, 1, d->id, rc);
  up_store_bind_int64(stmt, 2, job_id, rc);
  up_store_bind_text(stmt, 3, d->display_name, rc);
  up_store_bind_text(stmt, 4, d->content_type, rc);
  up_store_bind_int64(stmt, 5, d->size, rc);
  up_store_bind_time(stmt, 6, d->uploaded_at, rc);
  up_store_bind_time(stmt, 7, d->downloaded_at, rc);
}

/* --- reading --- */

/* Reads DOCUMENT_COLS starting at column c into d (zeroed). */
static up_status_t read_document(sqlite3_stmt *stmt, int c, up_document_t *d, up_error_t *err)
{
  up_status_t st = UP_OK;

  up_store_col_id(stmt, c + 0, d->id, &st, err);
  d->job_id = sqlite3_column_int64(stmt, c + 1);
  up_store_col_text(stmt, c + 2, &d->display_name, &st, err);
  up_store_col_text(stmt, c + 3, &d->content_type, &st, err);
  d->size = sqlite3_column_int64(stmt, c + 4);
  d->uploaded_at = up_store_col_time(stmt, c + 5);
  d->downloaded_at = up_store_col_time(stmt, c + 6);
  return st;
}

/* Reads the state name of column col into *out. */
static up_status_t read_state(sqlite3_stmt *stmt, int col, up_job_state_t *out, up_error_t *err)
{
  const unsigned char *name = sqlite3_column_text(stmt, col);

  if (!name)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory reading the database");
  for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
    if (strcmp((const char *)name, state_names[i]) == 0) {
      *out = (up_job_state_t)i;
      return UP_OK;
    }
  }
  return up_error_set(err, UP_DB, NULL, "unknown job state in the database: %.40s",
                      (const char *)name);
}

/* Reads a job row (JOB_COLS, then DOCUMENT_COLS) into out (an up_job_t, zeroed). */
static up_status_t read_job_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_job_t *j = out;
  up_status_t st = UP_OK;

  j->id = sqlite3_column_int64(stmt, 0);
  up_store_col_id(stmt, 1, j->tenant_id, &st, err);
  up_store_col_id(stmt, 2, j->printer_id, &st, err);
  up_store_col_text(stmt, 3, &j->configuration_json, &st, err);
  up_store_col_id(stmt, 4, j->created_by_id, &st, err);
  up_store_col_text(stmt, 5, &j->created_by_name, &st, err);
  up_store_col_text(stmt, 6, &j->created_by_upn, &st, err);
  up_store_col_text(stmt, 7, &j->created_by_app, &st, err);
  j->created_at = up_store_col_time(stmt, 8);
  j->started_at = up_store_col_time(stmt, 9);
  j->acknowledged_at = up_store_col_time(stmt, 10);
  j->completed_at = up_store_col_time(stmt, 11);
  j->details = (unsigned)sqlite3_column_int64(stmt, 13);
  j->is_acquired = sqlite3_column_int(stmt, 14) != 0;
  j->is_fetchable = sqlite3_column_int(stmt, 15) != 0;
  j->has_error_code = sqlite3_column_type(stmt, 16) != SQLITE_NULL;
  j->error_code = j->has_error_code ? (int32_t)sqlite3_column_int(stmt, 16) : 0;
  up_store_col_text(stmt, 17, &j->redirected_from, &st, err);
  up_store_col_text(stmt, 18, &j->redirected_to, &st, err);
  if (st == UP_OK)
    st = read_state(stmt, 12, &j->state, err);
  if (st == UP_OK)
    st = read_document(stmt, JOB_NCOLS, &j->document, err);
  return st;
}

static up_status_t read_document_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  return read_document(stmt, 0, out, err);
}

/* Reads the id in column 0 into out (a char[UP_ID_SIZE]). */
static up_status_t read_id_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_status_t st = UP_OK;

  up_store_col_id(stmt, 0, out, &st, err);
  return st;
}

static up_status_t read_upload_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_upload_t *u = out;
  up_status_t st = UP_OK;

  up_store_col_id(stmt, 0, u->id, &st, err);
  up_store_col_buf(stmt, 1, u->token, sizeof(u->token), &st, err);
  up_store_col_id(stmt, 2, u->tenant_id, &st, err);
  u->job_id = sqlite3_column_int64(stmt, 3);
  up_store_col_id(stmt, 4, u->document_id, &st, err);
  up_store_col_text(stmt, 5, &u->document_name, &st, err);
  up_store_col_text(stmt, 6, &u->content_type, &st, err);
  u->size = sqlite3_column_int64(stmt, 7);
  u->expires_at = up_store_col_time(stmt, 8);
  up_store_col_text(stmt, 9, &u->received, &st, err);
  return st;
}

/* --- helpers (the caller holds the lock) --- */

/* UP_INTERNAL unless j->state is an up_job_state_t. */
static up_status_t check_state(const up_job_t *j, up_error_t *err)
{
  if ((unsigned)j->state >= UP_JOB_STATE_COUNT)
    return up_error_set(err, UP_INTERNAL, NULL, "invalid job state %d", (int)j->state);
  return UP_OK;
}

/* Reads job id of tenant (of printer_id's queue when not NULL) with its document into out
 * (zeroed). */
static up_status_t read_job(up_store_t *store, const char *tenant, const char *printer_id,
                            int64_t id, up_job_t *out, up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_JOB_GET);
  char name[24];
  up_status_t st;
  int rc = SQLITE_OK;

  snprintf(name, sizeof(name), "%" PRId64, id);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, printer_id, &rc);
  up_store_bind_int64(stmt, 3, id, &rc);
  st = up_store_first_row(store, stmt, rc, "print job", name, err);
  if (st == UP_OK)
    st = read_job_row(stmt, out, err);
  up_store_stmt_done(stmt);
  return st;
}

/* Takes the next id of the job id sequence into *id (inside the caller's transaction). */
static up_status_t take_job_id(up_store_t *store, int64_t *id, up_error_t *err)
{
  *id = 0;
  if (!store->job_ids_loaded) {
    sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_JOB_ID_MAX);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
      up_store_stmt_done(stmt);
      return up_store_fail(store, rc, "reading the job id sequence", err);
    }
    store->last_job_id = sqlite3_column_int64(stmt, 0); /* NULL reads as 0 */
    up_store_stmt_done(stmt);
    store->job_ids_loaded = true;
  }
  *id = ++store->last_job_id;
  return UP_OK;
}

/* Inserts job j with its document under j->id, or under a new id of the sequence when j->id is
 * 0; *id receives the id. The printer must be j->tenant_id's. */
static up_status_t insert_job(up_store_t *store, const up_job_t *j, int64_t *id, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  *id = 0;
  st = check_state(j, err);
  if (st == UP_OK && j->id < 0)
    st = up_error_set(err, UP_INTERNAL, NULL, "invalid job id %" PRId64, j->id);
  if (st != UP_OK)
    return st;

  /* The printer must be the tenant's. */
  stmt = up_store_stmt(store, UP_STMT_PRINTER_EXISTS);
  up_store_bind_text(stmt, 1, j->tenant_id, &rc);
  up_store_bind_text(stmt, 2, j->printer_id, &rc);
  st = up_store_first_row(store, stmt, rc, "printer", j->printer_id, err);
  up_store_stmt_done(stmt);
  if (st != UP_OK)
    return st;

  /* The given id (a taken id is UP_CONFLICT through the primary key), or the next one. */
  *id = j->id;
  if (*id == 0)
    st = take_job_id(store, id, err);
  if (st != UP_OK)
    return st;

  /* The job, then its document under the job's id. */
  stmt = up_store_stmt(store, UP_STMT_JOB_INSERT);
  bind_job(stmt, j, *id, &rc);
  st = up_store_run(store, stmt, rc, "creating the print job", err);
  if (st != UP_OK)
    return st;
  if (store->job_ids_loaded && *id > store->last_job_id)
    store->last_job_id = *id; /* a given id: the sequence continues above it */
  stmt = up_store_stmt(store, UP_STMT_DOCUMENT_INSERT);
  bind_document(stmt, &j->document, *id, &rc);
  return up_store_run(store, stmt, rc, "creating the document", err);
}

/* Writes every mutable member of job j (looked up by id and tenant) and of its document. */
static up_status_t write_job(up_store_t *store, const up_job_t *j, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  stmt = up_store_stmt(store, UP_STMT_JOB_UPDATE);
  bind_job(stmt, j, j->id, &rc);
  st = up_store_run(store, stmt, rc, "updating the print job", err);
  if (st == UP_OK && sqlite3_changes(store->db) != 1)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "print job %" PRId64 " not found", j->id);
  if (st != UP_OK)
    return st;

  stmt = up_store_stmt(store, UP_STMT_DOCUMENT_UPDATE);
  bind_document(stmt, &j->document, j->id, &rc);
  st = up_store_run(store, stmt, rc, "updating the document", err);
  if (st == UP_OK && sqlite3_changes(store->db) != 1)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "document %s not found", j->document.id);
  return st;
}

/* Writes the effects of a change of a job of tenant that come before the job itself: the new job,
 * the new task, the task status. */
static up_status_t apply_creations(up_store_t *store, const char *tenant,
                                   const up_job_effects_t *fx, up_error_t *err)
{
  up_status_t st = UP_OK;
  int64_t id;

  /* Objects of another tenant are a programmer error, like moved keys. */
  if ((fx->create_job && strcmp(fx->create_job->tenant_id, tenant) != 0) ||
      (fx->create_task && strcmp(fx->create_task->tenant_id, tenant) != 0))
    return up_error_set(err, UP_INTERNAL, NULL, "a job change creates another tenant's object");

  if (fx->create_job)
    st = insert_job(store, fx->create_job, &id, err);
  if (st == UP_OK && fx->create_task)
    st = up_store_task_insert_locked(store, fx->create_task, err);
  if (st == UP_OK && fx->update_task_id[0])
    st = up_store_task_set_status_locked(store, tenant, fx->update_task_id, fx->update_task_state,
                                         fx->update_task_description, err);
  return st;
}

/* Writes the effects fx of a change of job j that come after the job: the printer's status, the
 * upload session's deletion. */
static up_status_t apply_effects(up_store_t *store, const up_job_t *j, const up_job_effects_t *fx,
                                 up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st = UP_OK;
  int rc = SQLITE_OK;

  if (fx->printer_status_json) {
    stmt = up_store_stmt(store, UP_STMT_JOB_SET_PRINTER_STATUS);
    up_store_bind_text(stmt, 1, j->printer_id, &rc);
    up_store_bind_text(stmt, 2, fx->printer_status_json, &rc);
    st = up_store_run(store, stmt, rc, "setting the printer's status", err);
    if (st == UP_OK && sqlite3_changes(store->db) != 1)
      st = up_error_set(err, UP_NOT_FOUND, NULL, "printer %s not found", j->printer_id);
  }
  if (st == UP_OK && fx->abort_tasks_description) {
    stmt = up_store_stmt(store, UP_STMT_TASK_ABORT_OF_JOB);
    up_store_bind_text(stmt, 1, j->tenant_id, &rc);
    up_store_bind_int64(stmt, 2, j->id, &rc);
    up_store_bind_text(stmt, 3, fx->abort_tasks_description, &rc);
    st = up_store_run(store, stmt, rc, "ending the job's tasks", err);
  }
  /* A session already swept (expired) is no error. */
  if (st == UP_OK && fx->delete_upload_id[0]) {
    stmt = up_store_stmt(store, UP_STMT_JOB_DELETE_UPLOAD);
    up_store_bind_text(stmt, 1, fx->delete_upload_id, &rc);
    up_store_bind_int64(stmt, 2, j->id, &rc);
    st = up_store_run(store, stmt, rc, "deleting the upload session", err);
  }
  return st;
}

/* --- jobs and documents --- */

up_status_t up_store_job_reserve_id(up_store_t *store, int64_t *id, up_error_t *err)
{
  up_status_t st;
  bool in_tx = false;

  *id = 0;
  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;
  st = take_job_id(store, id, err);
  /* Recorded, so that the id is not handed out again after a restart even if its job never
   * comes to exist. */
  for (int k = 0; k < 2 && st == UP_OK; k++) {
    int rc = SQLITE_OK;
    sqlite3_stmt *stmt = up_store_stmt(store, k ? UP_STMT_JOB_ID_RELEASE : UP_STMT_JOB_ID_TAKE);
    up_store_bind_int64(stmt, 1, *id, &rc);
    st = up_store_run(store, stmt, rc, "reserving a job id", err);
  }

out:
  st = up_store_end_tx(store, in_tx, st, err);
  if (st != UP_OK)
    *id = 0;
  return st;
}

up_status_t up_store_job_create(up_store_t *store, up_job_t *j, up_error_t *err)
{
  up_status_t st;
  int64_t id = 0;
  bool in_tx = false;

  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;
  st = insert_job(store, j, &id, err);

out:
  st = up_store_end_tx(store, in_tx, st, err);
  if (st == UP_OK) {
    j->id = id;
    j->document.job_id = id;
  }
  return st;
}

up_status_t up_store_job_get(up_store_t *store, const char *tenant, const char *printer_id,
                             int64_t id, up_job_t *out, up_error_t *err)
{
  up_status_t st;

  memset(out, 0, sizeof(*out));
  up_store_lock(store);
  st = read_job(store, tenant, printer_id, id, out, err);
  up_store_unlock(store);
  if (st != UP_OK)
    up_job_fini(out);
  return st;
}

up_status_t up_store_job_list(up_store_t *store, const char *tenant, const char *printer_id,
                              up_job_list_t *out, up_error_t *err)
{
  return up_store_job_list_by(store, tenant, printer_id, NULL, out, err);
}

up_status_t up_store_job_list_by(up_store_t *store, const char *tenant, const char *printer_id,
                                 const char *created_by, up_job_list_t *out, up_error_t *err)
{
  sqlite3_stmt *stmt;
  int rc = SQLITE_OK;
  memset(out, 0, sizeof(*out));
  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_JOB_LIST);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, printer_id, &rc);
  up_store_bind_text(stmt, 3, created_by, &rc);
  up_status_t st =
      up_store_read_rows(store, stmt, rc, "listing print jobs", read_job_row, (void **)&out->items,
                         &out->count, sizeof(out->items[0]), err);
  up_store_unlock(store);
  if (st != UP_OK)
    up_job_list_fini(out);
  return st;
}

/* fn runs with the store's mutex held and inside the transaction: it must not call the store. */
up_status_t up_store_job_change(up_store_t *store, const char *tenant, int64_t id,
                                up_job_change_fn fn, void *ctx, up_job_t *out, up_error_t *err)
{
  up_job_t job;
  up_job_effects_t fx;
  char printer_id[UP_ID_SIZE], document_id[UP_ID_SIZE];
  up_status_t st;
  bool in_tx = false;

  memset(&job, 0, sizeof(job));
  memset(&fx, 0, sizeof(fx));
  if (out)
    memset(out, 0, sizeof(*out));

  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;

  /* The job as stored; fn decides the change. */
  st = read_job(store, tenant, NULL, id, &job, err);
  if (st != UP_OK)
    goto out;
  memcpy(printer_id, job.printer_id, sizeof(printer_id));
  memcpy(document_id, job.document.id, sizeof(document_id));
  st = fn(&job, ctx, &fx, err);
  if (st != UP_OK)
    goto out;

  /* The keys stay: a change that moves them is a programmer error. */
  if (job.id != id || strcmp(job.tenant_id, tenant) != 0 ||
      strcmp(job.printer_id, printer_id) != 0 || strcmp(job.document.id, document_id) != 0 ||
      job.document.job_id != id) {
    st = up_error_set(err, UP_INTERNAL, NULL, "a change of print job %" PRId64 " moved its keys",
                      id);
    goto out;
  }
  /* The new objects first (a new task may be the new job's), then the job, then the rest. */
  st = check_state(&job, err);
  if (st == UP_OK)
    st = apply_creations(store, tenant, &fx, err);
  if (st == UP_OK)
    st = write_job(store, &job, err);
  if (st == UP_OK)
    st = apply_effects(store, &job, &fx, err);

out:
  st = up_store_end_tx(store, in_tx, st, err);
  free(fx.printer_status_json);
  if (st == UP_OK && out)
    *out = job; /* out takes the strings */
  else
    up_job_fini(&job);
  return st;
}

up_status_t up_store_job_next(up_store_t *store, const char *printer_id, up_job_t *out,
                              up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_JOB_NEXT, NULL, printer_id,
                                    "pending job of printer", read_job_row, out, err);
  if (st != UP_OK)
    up_job_fini(out);
  return st;
}

up_status_t up_store_job_list_printing(up_store_t *store, up_job_list_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_JOB_LIST_PRINTING, NULL, 0, NULL,
                                     "listing the jobs being printed", read_job_row,
                                     (void **)&out->items, &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_job_list_fini(out);
  return st;
}

up_status_t up_store_printers_with_pending(up_store_t *store, char (**out)[UP_ID_SIZE],
                                           size_t *count, up_error_t *err)
{
  *out = NULL;
  *count = 0;
  up_status_t st = up_store_get_list(store, UP_STMT_PRINTERS_WITH_PENDING, NULL, 0, NULL,
                                     "listing printers with pending jobs", read_id_row,
                                     (void **)out, count, sizeof((*out)[0]), err);
  if (st != UP_OK) {
    free(*out);
    *out = NULL;
    *count = 0;
  }
  return st;
}

up_status_t up_store_document_get(up_store_t *store, const char *tenant, const char *document_id,
                                  up_document_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_DOCUMENT_GET, tenant, document_id, "document",
                                    read_document_row, out, err);
  if (st != UP_OK)
    up_document_fini(out);
  return st;
}

up_status_t up_store_document_set_downloaded(up_store_t *store, const char *tenant,
                                             const char *document_id, up_time_t at, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_DOCUMENT_SET_DOWNLOADED);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, document_id, &rc);
  up_store_bind_time(stmt, 3, at, &rc);
  st = up_store_run(store, stmt, rc, "updating the document", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "document %s not found",
                      document_id ? document_id : "");
  up_store_unlock(store);
  return st;
}

up_status_t up_store_printer_documents(up_store_t *store, const char *tenant,
                                       const char *printer_id, char (**out)[UP_ID_SIZE],
                                       size_t *count, up_error_t *err)
{
  *out = NULL;
  *count = 0;
  up_status_t st = up_store_get_list(store, UP_STMT_PRINTER_DOCUMENTS, tenant, 2, printer_id,
                                     "listing the printer's documents", read_id_row, (void **)out,
                                     count, sizeof((*out)[0]), err);
  if (st != UP_OK) {
    free(*out);
    *out = NULL;
    *count = 0;
  }
  return st;
}

/* --- upload sessions --- */

up_status_t up_store_upload_create(up_store_t *store, const up_upload_t *u, up_error_t *err)
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

  /* One session per document: the new one replaces the others. */
  stmt = up_store_stmt(store, UP_STMT_UPLOAD_DELETE_OF_DOCUMENT);
  up_store_bind_text(stmt, 1, u->tenant_id, &rc);
  up_store_bind_text(stmt, 2, u->document_id, &rc);
  st = up_store_run(store, stmt, rc, "replacing the upload sessions", err);
  if (st != UP_OK)
    goto out;

  stmt = up_store_stmt(store, UP_STMT_UPLOAD_INSERT);
  up_store_bind_text(stmt, 1, u->id, &rc);
  up_store_bind_text(stmt, 2, u->token, &rc);
  up_store_bind_text(stmt, 3, u->tenant_id, &rc);
  up_store_bind_int64(stmt, 4, u->job_id, &rc);
  up_store_bind_text(stmt, 5, u->document_id, &rc);
  up_store_bind_text(stmt, 6, u->document_name, &rc);
  up_store_bind_text(stmt, 7, u->content_type, &rc);
  up_store_bind_int64(stmt, 8, u->size, &rc);
  up_store_bind_time(stmt, 9, u->expires_at, &rc);
  up_store_bind_text(stmt, 10, u->received, &rc);
  st = up_store_run(store, stmt, rc, "creating the upload session", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "document %s of print job %" PRId64 " not found",
                      u->document_id, u->job_id);

out:
  return up_store_end_tx(store, in_tx, st, err);
}

up_status_t up_store_upload_get(up_store_t *store, const char *id, up_upload_t *out,
                                up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_UPLOAD_GET, NULL, id, "upload session",
                                    read_upload_row, out, err);
  if (st != UP_OK)
    up_upload_fini(out);
  return st;
}

/* On a failure the session counts as existing: the caller would delete its spool file. */
bool up_store_upload_exists(up_store_t *store, const char *id)
{
  sqlite3_stmt *stmt;
  bool exists;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_UPLOAD_EXISTS);
  up_store_bind_text(stmt, 1, id, &rc);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(stmt);
  exists = rc != SQLITE_DONE;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    up_log(UP_LOG_ERROR, "store: looking up upload session %s: %s", id ? id : "",
           sqlite3_errstr(rc));
  up_store_stmt_done(stmt);
  up_store_unlock(store);
  return exists;
}

up_status_t up_store_upload_set_received(up_store_t *store, const char *id, const char *received,
                                         up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_UPLOAD_SET_RECEIVED);
  up_store_bind_text(stmt, 1, id, &rc);
  up_store_bind_text(stmt, 2, received, &rc);
  st = up_store_run(store, stmt, rc, "updating the upload session", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "upload session %s not found", id ? id : "");
  up_store_unlock(store);
  return st;
}

up_status_t up_store_upload_delete(up_store_t *store, const char *id, up_error_t *err)
{
  return up_store_delete_one(store, UP_STMT_UPLOAD_DELETE, NULL, id, "deleting the upload session",
                             err);
}

up_status_t up_store_upload_delete_expired(up_store_t *store, up_time_t now, size_t *deleted,
                                           up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  if (deleted)
    *deleted = 0;
  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_UPLOAD_DELETE_EXPIRED);
  up_store_bind_int64(stmt, 1, now, &rc);
  st = up_store_run(store, stmt, rc, "deleting expired upload sessions", err);
  if (st == UP_OK && deleted)
    *deleted = (size_t)sqlite3_changes(store->db);
  up_store_unlock(store);
  return st;
}

/* --- the jobs collection for up_store_query (store-query.c) --- */

static void job_item_fini(void *j)
{
  up_job_fini(j);
}

static const up_store_field_t job_fields[] = {
    {"id", "j.id", true},
    {"createdDateTime", "j.created_at", true},
    {"createdBy/userPrincipalName", "j.created_by_upn", false},
    {"createdBy/displayName", "j.created_by_name", false},
    {"createdBy/id", "j.created_by_id", false},
    {"status/state", "j.state", true},
    {"status/isAcquiredByPrinter", "j.is_acquired", true},
    {"isFetchable", "j.is_fetchable", true},
    {"acknowledgedDateTime", "j.acknowledged_at", false},
    {"errorCode", "j.error_code", false},
    {"redirectedFrom", "j.redirected_from", false},
    {"redirectedTo", "j.redirected_to", false},
    {NULL, NULL, false}};

/* ?3 NULL: every user's jobs, else those created by user ?3. */
const up_store_coll_t up_store_coll_jobs = {
    JOB_ROW,
    "WHERE j.tenant_id = ?1 AND j.printer_id = ?2 AND (?3 IS NULL OR j.created_by_id = ?3)",
    3,
    JOB_NCOLS + DOCUMENT_NCOLS,
    job_fields,
    read_job_row,
    sizeof(up_job_t),
    job_item_fini};

/* --- counts for /metrics: on the reader connection --- */

/* Runs registry statement id on the reader, handing each row's text key and count to fn. */
static up_status_t each_count(up_store_t *store, up_stmt_id_t id, int64_t bind1,
                              up_store_count_fn fn, void *ctx, const char *what, up_error_t *err)
{
  sqlite3 *db = up_store_reader_acquire(store);
  sqlite3_stmt *stmt = NULL;
  up_status_t st = UP_OK;
  int rc = sqlite3_prepare_v2(db, up_store_jobs_sql[id], -1, &stmt, NULL);
  if (rc == SQLITE_OK && sqlite3_bind_parameter_count(stmt) > 0)
    rc = sqlite3_bind_int64(stmt, 1, bind1);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const char *key = (const char *)sqlite3_column_text(stmt, 0);
      fn(ctx, key ? key : "", sqlite3_column_int64(stmt, sqlite3_column_count(stmt) - 1));
    }
  }
  if (rc != SQLITE_DONE)
    st = up_error_set(err, UP_DB, NULL, "%s: %s", what, sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  up_store_reader_release(store, db);
  return st;
}

up_status_t up_store_job_count_by_state(up_store_t *store, up_store_count_fn fn, void *ctx,
                                        up_error_t *err)
{
  return each_count(store, UP_STMT_JOB_COUNT_BY_STATE, 0, fn, ctx, "counting jobs by state", err);
}

up_status_t up_store_queue_depths(up_store_t *store, up_store_count_fn fn, void *ctx,
                                  up_error_t *err)
{
  return each_count(store, UP_STMT_QUEUE_DEPTHS, 0, fn, ctx, "counting pending jobs", err);
}

static void take_count(void *ctx, const char *key, int64_t n)
{
  (void)key;
  *(int64_t *)ctx = n;
}

up_status_t up_store_uploads_active(up_store_t *store, up_time_t now, int64_t *n, up_error_t *err)
{
  *n = 0;
  return each_count(store, UP_STMT_UPLOADS_ACTIVE, now, take_count, n, "counting upload sessions",
                    err);
}

/* --- recovery at start --- */

up_status_t up_store_uploads_each(up_store_t *store, up_store_upload_fn fn, void *ctx,
                                  up_error_t *err)
{
  up_upload_t *rows = NULL;
  bool *uploaded = NULL;
  size_t n = 0, cap = 0;
  up_status_t st = UP_OK;
  int rc;

  /* Read them all first: fn may call the store (whose lock is not recursive). */
  up_store_lock(store);
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_UPLOADS_ALL);
  while (st == UP_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      up_upload_t *r = realloc(rows, ncap * sizeof(*r));
      bool *u = r ? realloc(uploaded, ncap * sizeof(*u)) : NULL;
      if (r)
        rows = r;
      if (u)
        uploaded = u;
      if (!r || !u) {
        st = up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
        break;
      }
      cap = ncap;
    }
    memset(&rows[n], 0, sizeof(rows[n]));
    st = read_upload_row(stmt, &rows[n], err);
    uploaded[n] = sqlite3_column_int(stmt, 10) != 0;
    n++;
  }
  if (st == UP_OK && rc != SQLITE_DONE)
    st = up_store_fail(store, rc, "listing upload sessions", err);
  up_store_stmt_done(stmt);
  up_store_unlock(store);
  for (size_t i = 0; i < n; i++) {
    if (st == UP_OK)
      fn(ctx, &rows[i], uploaded[i]);
    up_upload_fini(&rows[i]);
  }
  free(rows);
  free(uploaded);
  return st;
}

/* On a failure the document counts as existing: the caller would delete its file. */
bool up_store_document_exists(up_store_t *store, const char *id)
{
  int rc = SQLITE_OK;
  up_store_lock(store);
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_DOCUMENT_EXISTS);
  up_store_bind_text(stmt, 1, id, &rc);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(stmt);
  bool exists = rc != SQLITE_DONE;
  up_store_stmt_done(stmt);
  up_store_unlock(store);
  return exists;
}

/* --- quotas --- */

/* Steps a one-integer statement (bound by the caller) into *out, under the store's lock. */
static up_status_t one_int64(up_store_t *store, sqlite3_stmt *stmt, int rc, int64_t *out,
                             const char *what, up_error_t *err)
{
  up_status_t st = UP_OK;
  if (rc == SQLITE_OK)
    rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64(stmt, 0);
  else
    st = up_store_fail(store, rc, what, err);
  up_store_stmt_done(stmt);
  return st;
}

up_status_t up_store_job_quota(up_store_t *store, const char *tenant, const char *user,
                               up_time_t since, int64_t limit, int64_t *count, up_time_t *oldest,
                               up_error_t *err)
{
  int rc = SQLITE_OK;
  *count = 0;
  *oldest = UP_TIME_NULL;
  up_store_lock(store);
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_JOB_QUOTA_COUNT);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, user, &rc);
  up_store_bind_int64(stmt, 3, since, &rc);
  up_store_bind_int64(stmt, 4, limit, &rc);
  up_status_t st = one_int64(store, stmt, rc, count, "counting a user's jobs", err);
  if (st == UP_OK && *count >= limit) {
    rc = SQLITE_OK;
    stmt = up_store_stmt(store, UP_STMT_JOB_QUOTA_OLDEST);
    up_store_bind_text(stmt, 1, tenant, &rc);
    up_store_bind_text(stmt, 2, user, &rc);
    up_store_bind_int64(stmt, 3, since, &rc);
    st = one_int64(store, stmt, rc, oldest, "finding a user's oldest job", err);
  }
  up_store_unlock(store);
  return st;
}

up_status_t up_store_uploads_of_user(up_store_t *store, const char *tenant, const char *user,
                                     up_time_t now, const char *except_document, int64_t *count,
                                     up_error_t *err)
{
  int rc = SQLITE_OK;
  *count = 0;
  up_store_lock(store);
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_UPLOADS_OF_USER);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, user, &rc);
  up_store_bind_int64(stmt, 3, now, &rc);
  up_store_bind_text(stmt, 4, except_document, &rc);
  up_status_t st = one_int64(store, stmt, rc, count, "counting a user's upload sessions", err);
  up_store_unlock(store);
  return st;
}
