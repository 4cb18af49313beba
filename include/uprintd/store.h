/* store.h - the persistence interface. Handlers see only this header: plain structs in and
 * out, no SQL. The SQLite implementation is store*.c; another backend implements the same
 * functions.
 *
 * Threading: a store is one writer connection guarded by a mutex inside the store; every
 * function may be called from any thread. Each function is one transaction.
 * Tenancy: every function that reads or writes an object takes the tenant id, and an object
 * of another tenant behaves exactly like one that does not exist (UP_NOT_FOUND).
 * Errors: UP_OK; UP_NOT_FOUND; UP_CONFLICT (a uniqueness rule); UP_DB (the database failed;
 * err says why); UP_NOMEM.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_STORE_H
#define UPRINTD_STORE_H

#include "uprintd/base.h"
#include "uprintd/objects.h"
#include "uprintd/odata.h"

typedef struct up_store up_store_t;

/** Opens (creating when absent) the database at path, sets WAL, synchronous=NORMAL, foreign
 *  keys and a busy timeout, and applies the pending migrations of schema/ (one transaction
 *  each, version in PRAGMA user_version). A database whose user_version is newer than the
 *  newest migration is refused (UP_INVALID) and left untouched.
 *  @param[out] out the new store; caller frees with up_store_free. */
up_status_t up_store_open(const char *path, up_store_t **out, up_error_t *err);

/** Closes the database. NULL is a no-op. */
void up_store_free(up_store_t *store);

/** The schema version the database is at (PRAGMA user_version), or -1 on error. */
int up_store_schema_version(up_store_t *store);

/** The newest schema version this build knows (number of the last schema/NNNN-*.sql). */
int up_store_schema_latest(void);

/* --- printers and their registration operations --- */

/** Inserts printer p and operation op (which names p in printer_id) in one transaction. */
up_status_t up_store_printer_create(up_store_t *store, const up_printer_t *p,
                                    const up_operation_t *op, up_error_t *err);

/** Reads one printer (with is_shared/share_id). out is zeroed first; caller fini's it. */
up_status_t up_store_printer_get(up_store_t *store, const char *tenant, const char *id,
                                 up_printer_t *out, up_error_t *err);

/** All printers of tenant, ordered by registered_at then id. Caller fini's out. */
up_status_t up_store_printer_list(up_store_t *store, const char *tenant, up_printer_list_t *out,
                                  up_error_t *err);

/** Writes every stored member of p (looked up by tenant_id and id) except id, tenant_id,
 *  registered_at and the derived ones. */
up_status_t up_store_printer_update(up_store_t *store, const up_printer_t *p, up_error_t *err);

/** Deletes a printer and the shares that point at it. */
up_status_t up_store_printer_delete(up_store_t *store, const char *tenant, const char *id,
                                    up_error_t *err);

/** Reads one operation. */
up_status_t up_store_operation_get(up_store_t *store, const char *tenant, const char *id,
                                   up_operation_t *out, up_error_t *err);

/** All operations of tenant, ordered by created_at then id. */
up_status_t up_store_operation_list(up_store_t *store, const char *tenant, up_operation_list_t *out,
                                    up_error_t *err);

/* --- shares --- */

/** Inserts a share. UP_NOT_FOUND when s->printer_id is not a printer of s->tenant_id;
 *  UP_CONFLICT when that printer already has a share (one share per printer). */
up_status_t up_store_share_create(up_store_t *store, const up_share_t *s, up_error_t *err);

/** Reads one share with its printer joined into out->printer. */
up_status_t up_store_share_get(up_store_t *store, const char *tenant, const char *id,
                               up_share_t *out, up_error_t *err);

/** Shares of tenant (of one printer when printer_id is not NULL), ordered by created_at then
 *  id, each with its printer. */
up_status_t up_store_share_list(up_store_t *store, const char *tenant, const char *printer_id,
                                up_share_list_t *out, up_error_t *err);

/** Writes display_name, allow_all_users and printer_id of share s. UP_NOT_FOUND when the share
 *  or the new printer does not exist in the tenant; UP_CONFLICT when the new printer already
 *  has another share. */
up_status_t up_store_share_update(up_store_t *store, const up_share_t *s, up_error_t *err);

/** Adds user or group member_id to the allowed members of share_id: UP_NOT_FOUND when the
 *  tenant has no such share, UP_CONFLICT when it is a member already. */
up_status_t up_store_share_member_add(up_store_t *store, const char *tenant, const char *share_id,
                                      up_member_kind_t kind, const char *member_id,
                                      up_error_t *err);

/** Removes it: UP_NOT_FOUND when it is not a member. */
up_status_t up_store_share_member_remove(up_store_t *store, const char *tenant,
                                         const char *share_id, up_member_kind_t kind,
                                         const char *member_id, up_error_t *err);

/** The allowed users or groups of a share, in the order they were added. */
up_status_t up_store_share_member_list(up_store_t *store, const char *tenant, const char *share_id,
                                       up_member_kind_t kind, up_member_list_t *out,
                                       up_error_t *err);

/** *out: whether member_id is an allowed user (or group) of the share. */
up_status_t up_store_share_member_has(up_store_t *store, const char *tenant, const char *share_id,
                                      up_member_kind_t kind, const char *member_id, bool *out,
                                      up_error_t *err);

/** The printer of a job request's queue, read lightly: printer id (share false) or share id
 *  (share true) of tenant; printer_id receives the printer's id, allow_all_users (may be NULL)
 *  the share's allowAllUsers (true for a printer). UP_NOT_FOUND when the tenant has none. */
up_status_t up_store_queue_of(up_store_t *store, const char *tenant, bool share, const char *id,
                              char printer_id[UP_ID_SIZE], bool *allow_all_users, up_error_t *err);

/** Deletes a share. */
up_status_t up_store_share_delete(up_store_t *store, const char *tenant, const char *id,
                                  up_error_t *err);

/* --- print jobs and their documents --- */

/** Reserves a new job id (increasing, never reused; a reserved id that is never used is simply
 *  skipped). For operations that must know the id before the job exists (redirect). */
up_status_t up_store_job_reserve_id(up_store_t *store, int64_t *id, up_error_t *err);

/** Inserts job j with its document j->document (whose id the caller set). With j->id 0 the store
 *  assigns the job id (as up_store_job_reserve_id); j->id and j->document.job_id are set.
 *  UP_NOT_FOUND when j->printer_id is not a printer of j->tenant_id. */
up_status_t up_store_job_create(up_store_t *store, up_job_t *j, up_error_t *err);

/** Reads one job with its document. printer_id restricts it to that printer's queue (NULL: any
 *  printer of the tenant). */
up_status_t up_store_job_get(up_store_t *store, const char *tenant, const char *printer_id,
                             int64_t id, up_job_t *out, up_error_t *err);

/** The jobs of one printer of tenant, newest first (created_at, then id, descending). */
up_status_t up_store_job_list(up_store_t *store, const char *tenant, const char *printer_id,
                              up_job_list_t *out, up_error_t *err);

/** The same, only the jobs created by user created_by (an oid; NULL: every user's). */
up_status_t up_store_job_list_by(up_store_t *store, const char *tenant, const char *printer_id,
                                 const char *created_by, up_job_list_t *out, up_error_t *err);

/** Side effects a job change asks for, written in the same transaction. */
typedef struct up_job_effects {
  char *printer_status_json;           /**< new status of the job's printer (taken), or NULL */
  char delete_upload_id[UP_ID_SIZE];   /**< an upload session to delete, or "" */
  const up_job_t *create_job;          /**< a job to insert (with its id and document), or NULL */
  const up_task_t *create_task;        /**< a task to insert, or NULL */
  char update_task_id[UP_ID_SIZE];     /**< a task whose status to set, or "" ... */
  up_task_state_t update_task_state;   /**< ... to this state ... */
  const char *update_task_description; /**< ... with this description */
  /** When set, the job's tasks still processing become aborted with this description (a job
   *  ended by its user no longer waits for its application) */
  const char *abort_tasks_description;
} up_job_effects_t;

/** Decides a change of a job: gets the job as stored (with its document) and changes its
 *  members (not id, tenant_id, printer_id, document.id). UP_OK writes the job and document;
 *  any other status rolls back and is returned. It runs inside the store's transaction with
 *  the store's mutex held: it only computes and must not call the store. */
typedef up_status_t (*up_job_change_fn)(up_job_t *job, void *ctx, up_job_effects_t *fx,
                                        up_error_t *err);

/** Changes job id of tenant in one transaction: reads it, calls fn, writes it and fn's effects.
 *  out (may be NULL) receives the job as written. */
up_status_t up_store_job_change(up_store_t *store, const char *tenant, int64_t id,
                                up_job_change_fn fn, void *ctx, up_job_t *out, up_error_t *err);

/** The next job printer_id's device takes: its oldest pending job (started_at, then id).
 *  UP_NOT_FOUND when none. Any tenant (a printer belongs to one). */
up_status_t up_store_job_next(up_store_t *store, const char *printer_id, up_job_t *out,
                              up_error_t *err);

/** Every job in state processing or stopped, of every tenant, oldest started first (the jobs
 *  devices were printing when the server stopped). */
up_status_t up_store_job_list_printing(up_store_t *store, up_job_list_t *out, up_error_t *err);

/** Printer ids (of every tenant) that have at least one pending job. *out is a new array of
 *  count ids; caller frees it with free(). */
up_status_t up_store_printers_with_pending(up_store_t *store, char (**out)[UP_ID_SIZE],
                                           size_t *count, up_error_t *err);

/** Reads a document by id with its job's tenant check. */
up_status_t up_store_document_get(up_store_t *store, const char *tenant, const char *document_id,
                                  up_document_t *out, up_error_t *err);

/** Sets downloadedDateTime of a document. */
up_status_t up_store_document_set_downloaded(up_store_t *store, const char *tenant,
                                             const char *document_id, up_time_t at,
                                             up_error_t *err);

/** The ids of the documents of printer_id's jobs. Read them before deleting the printer (the
 *  delete cascades to its jobs), to remove their files after it. *out: new array (free()). */
up_status_t up_store_printer_documents(up_store_t *store, const char *tenant,
                                       const char *printer_id, char (**out)[UP_ID_SIZE],
                                       size_t *count, up_error_t *err);

/* --- upload sessions and downloads --- */

/** Inserts an upload session; other sessions of the same document are deleted (their ids are
 *  not returned: their spool files are found by up_store_upload_exists). */
up_status_t up_store_upload_create(up_store_t *store, const up_upload_t *u, up_error_t *err);

/** Reads a session by id (any tenant: the caller checks the token). */
up_status_t up_store_upload_get(up_store_t *store, const char *id, up_upload_t *out,
                                up_error_t *err);

/** True when session id exists (for sweeping spool files). */
bool up_store_upload_exists(up_store_t *store, const char *id);

/** Replaces the received ranges of session id. */
up_status_t up_store_upload_set_received(up_store_t *store, const char *id, const char *received,
                                         up_error_t *err);

/** Deletes session id. */
up_status_t up_store_upload_delete(up_store_t *store, const char *id, up_error_t *err);

/** Deletes sessions that expired before now; *deleted (may be NULL) counts them. */
up_status_t up_store_upload_delete_expired(up_store_t *store, up_time_t now, size_t *deleted,
                                           up_error_t *err);

/* --- pull printing: task definitions, triggers, tasks --- */

/** Inserts a task definition. */
up_status_t up_store_task_definition_create(up_store_t *store, const up_task_definition_t *d,
                                            up_error_t *err);

/** Reads one definition of tenant (any application: the caller checks ownership). */
up_status_t up_store_task_definition_get(up_store_t *store, const char *tenant, const char *id,
                                         up_task_definition_t *out, up_error_t *err);

/** The definitions of tenant created by application app_id (NULL: all), oldest first. */
up_status_t up_store_task_definition_list(up_store_t *store, const char *tenant, const char *app_id,
                                          up_task_definition_list_t *out, up_error_t *err);

/** Writes display_name and app_name of a definition. */
up_status_t up_store_task_definition_update(up_store_t *store, const up_task_definition_t *d,
                                            up_error_t *err);

/** Deletes a definition with its triggers and tasks. */
up_status_t up_store_task_definition_delete(up_store_t *store, const char *tenant, const char *id,
                                            up_error_t *err);

/** Inserts a trigger. UP_NOT_FOUND when the printer or the definition is not the tenant's;
 *  UP_CONFLICT when the printer has a trigger already (one per printer). */
up_status_t up_store_task_trigger_create(up_store_t *store, const up_task_trigger_t *t,
                                         up_error_t *err);

/** Reads one trigger of printer_id (NULL: any printer of the tenant). */
up_status_t up_store_task_trigger_get(up_store_t *store, const char *tenant, const char *printer_id,
                                      const char *id, up_task_trigger_t *out, up_error_t *err);

/** The trigger of a printer (UP_NOT_FOUND when it has none). */
up_status_t up_store_task_trigger_of_printer(up_store_t *store, const char *tenant,
                                             const char *printer_id, up_task_trigger_t *out,
                                             up_error_t *err);

/** The triggers of a printer. */
up_status_t up_store_task_trigger_list(up_store_t *store, const char *tenant,
                                       const char *printer_id, up_task_trigger_list_t *out,
                                       up_error_t *err);

/** Deletes a trigger of printer_id; its tasks stay (their trigger_id reads ""). */
up_status_t up_store_task_trigger_delete(up_store_t *store, const char *tenant,
                                         const char *printer_id, const char *id, up_error_t *err);

/** Reads one task of definition_id (NULL: any definition of the tenant). */
up_status_t up_store_task_get(up_store_t *store, const char *tenant, const char *definition_id,
                              const char *id, up_task_t *out, up_error_t *err);

/** The tasks of a definition, newest first. */
up_status_t up_store_task_list(up_store_t *store, const char *tenant, const char *definition_id,
                               up_task_list_t *out, up_error_t *err);

/** The tasks a job triggered, oldest first. */
up_status_t up_store_task_list_for_job(up_store_t *store, const char *tenant, int64_t job_id,
                                       up_task_list_t *out, up_error_t *err);

/** Tasks in state processing created before cutoff, of every tenant (for the task timeout). */
up_status_t up_store_task_list_processing_before(up_store_t *store, up_time_t cutoff,
                                                 up_task_list_t *out, up_error_t *err);

/* --- OData queries on collections (store-query.c) --- */

/** One page of a collection query. */
typedef struct up_store_page {
  up_coll_t coll;
  void *items;      /**< count items of the collection's type (up_printer_t, up_job_t, ...) */
  size_t item_size; /**< bytes of one item */
  size_t count;
  bool more;                   /**< another page follows */
  int64_t total;               /**< with q->count: the rows matching the filter, on every page */
  up_value_t last[UP_KEY_MAX]; /**< the keys of the page's last row (for the next $skiptoken) */
  size_t n_last;
} up_store_page_t;

/** Runs query q (odata.h) on its collection within scope: the scope's values bind the
 *  collection's parameters, in order (printers, operations: tenant; shares: tenant, printer or
 *  NULL; jobs: tenant, printer, creator or NULL; definitions: tenant, application or NULL; tasks:
 *  tenant, definition; triggers: tenant, printer). The $filter runs in SQL with bound
 *  parameters; pages are keyset pages in q's order. */
up_status_t up_store_query(up_store_t *store, const up_list_query_t *q, const char *const *scope,
                           int n_scope, up_store_page_t *out, up_error_t *err);

void up_store_page_fini(up_store_page_t *p);

/** Returns once every write committed before the call is on disk (the WAL fsynced). Callers
 *  that wait at the same time share one fsync (group commit). A no-op in memory. */
up_status_t up_store_sync(up_store_t *store, up_error_t *err);

/** fsyncs up_store_sync has done (tests and benchmarks). */
unsigned long up_store_fsyncs(up_store_t *store);

/** Every commit fsyncs the WAL itself (SQLite's synchronous=FULL): one fsync per write. */
up_status_t up_store_set_synchronous_full(up_store_t *store, up_error_t *err);

/** How many WAL checkpoints the store's checkpointer has run (off the request path). */
unsigned long up_store_checkpoints(up_store_t *store);

/** What the store has done since it was opened, for /metrics. */
typedef struct up_store_stats {
  unsigned long commits;     /**< write transactions committed */
  double commit_seconds;     /**< time spent committing them */
  unsigned long checkpoints; /**< WAL checkpoints */
  double checkpoint_seconds; /**< time spent checkpointing */
  unsigned long fsyncs;      /**< fsyncs of --durability full */
  int wal_pages;             /**< frames in the WAL after the last commit */
} up_store_stats_t;

void up_store_stats(up_store_t *store, up_store_stats_t *out);

/** UP_OK when the store can take writes: every migration applied and the write lock can be
 *  taken (nothing is written). Otherwise UP_UNAVAILABLE with the reason. */
up_status_t up_store_ready(up_store_t *store, up_error_t *err);

/** fn(ctx, key, n) for each row of a count. */
typedef void (*up_store_count_fn)(void *ctx, const char *key, int64_t n);

/** Jobs of every tenant by state name; a state may come more than once (add them up). */
up_status_t up_store_job_count_by_state(up_store_t *store, up_store_count_fn fn, void *ctx,
                                        up_error_t *err);

/** Pending jobs by printer id (printers with none are left out). */
up_status_t up_store_queue_depths(up_store_t *store, up_store_count_fn fn, void *ctx,
                                  up_error_t *err);

/** Upload sessions that have not expired at now. */
up_status_t up_store_uploads_active(up_store_t *store, up_time_t now, int64_t *n, up_error_t *err);

/** Jobs user created in tenant since then, counted up to limit; when count reaches limit,
 *  oldest is the creation time of the oldest of them (when the quota frees a place). */
up_status_t up_store_job_quota(up_store_t *store, const char *tenant, const char *user,
                               up_time_t since, int64_t limit, int64_t *count, up_time_t *oldest,
                               up_error_t *err);

/** Upload sessions still open at now of the jobs user created, but those of one document. */
up_status_t up_store_uploads_of_user(up_store_t *store, const char *tenant, const char *user,
                                     up_time_t now, const char *except_document, int64_t *count,
                                     up_error_t *err);

/** fn(ctx, session, document_uploaded) for every upload session of every tenant. */
typedef void (*up_store_upload_fn)(void *ctx, const up_upload_t *u, bool document_uploaded);
up_status_t up_store_uploads_each(up_store_t *store, up_store_upload_fn fn, void *ctx,
                                  up_error_t *err);

/** True when a document has this id (any tenant); also when the store cannot tell. */
bool up_store_document_exists(up_store_t *store, const char *id);

/** fn(ctx, sql, plan) for every statement of the registry: its text and SQLite's query plan
 *  (the detail lines of EXPLAIN QUERY PLAN joined by "; "). For tests that keep every
 *  statement off full scans. */
typedef void (*up_store_plan_fn)(void *ctx, const char *sql, const char *plan);
up_status_t up_store_plans(up_store_t *store, up_store_plan_fn fn, void *ctx, up_error_t *err);

/** The SQL expression of a collection's field (NULL: the store has none): for tests. */
const char *up_store_field_sql(up_coll_t coll, const char *path);

#endif
