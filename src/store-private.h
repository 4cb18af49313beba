/* store-private.h - the SQLite store's internals shared by store*.c (and check-store.c).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_STORE_PRIVATE_H
#define UPRINTD_STORE_PRIVATE_H

#include "uprintd/embedded.h"
#include "uprintd/store.h"

#include <pthread.h>

/* Declared, not included: only store*.c include <sqlite3.h>. */
struct sqlite3;
struct sqlite3_stmt;

/** Every prepared statement, one slot in up_store.stmts each. Each store*.c file owns a block
 *  and gives the SQL text of its block in a table indexed by these ids. */
typedef enum up_stmt_id {
  /* store.c (no schema needed; prepared before the migrations) */
  UP_STMT_USER_VERSION,     /**< PRAGMA user_version (read) */
  UP_STMT_JOURNAL_WAL,      /**< PRAGMA journal_mode=WAL, returns the mode */
  UP_STMT_SYNC_NORMAL,      /**< PRAGMA synchronous=NORMAL */
  UP_STMT_SYNC_GET,         /**< PRAGMA synchronous (read) */
  UP_STMT_FOREIGN_KEYS_ON,  /**< PRAGMA foreign_keys=ON */
  UP_STMT_FOREIGN_KEYS_GET, /**< PRAGMA foreign_keys (read) */
  UP_STMT_BEGIN,            /**< BEGIN IMMEDIATE */
  UP_STMT_COMMIT,           /**< COMMIT */
  UP_STMT_ROLLBACK,         /**< ROLLBACK */
  UP_STMT_CORE_END,         /**< end of store.c's block; not a statement */
  /* store-printers.c */
  UP_STMT_PRINTER_INSERT = UP_STMT_CORE_END,
  UP_STMT_PRINTER_GET,
  UP_STMT_PRINTER_LIST,
  UP_STMT_PRINTER_UPDATE,
  UP_STMT_PRINTER_DELETE,
  UP_STMT_PRINTER_EXISTS,
  UP_STMT_OPERATION_INSERT,
  UP_STMT_OPERATION_GET,
  UP_STMT_OPERATION_LIST,
  UP_STMT_SHARE_INSERT,
  UP_STMT_SHARE_GET,
  UP_STMT_SHARE_LIST,
  UP_STMT_SHARE_UPDATE,
  UP_STMT_SHARE_DELETE,
  UP_STMT_SHARE_EXISTS,
  UP_STMT_SHARE_OF_PRINTER,
  UP_STMT_QUEUE_OF_PRINTER,
  UP_STMT_QUEUE_OF_SHARE,
  UP_STMT_SHARE_MEMBER_ADD,
  UP_STMT_SHARE_MEMBER_REMOVE,
  UP_STMT_SHARE_MEMBER_LIST,
  UP_STMT_SHARE_MEMBER_HAS,
  /* store-jobs.c */
  UP_STMT_JOB_INSERT,
  UP_STMT_DOCUMENT_INSERT,
  UP_STMT_JOB_GET,
  UP_STMT_JOB_LIST,
  UP_STMT_JOB_UPDATE,
  UP_STMT_DOCUMENT_UPDATE,
  UP_STMT_JOB_SET_PRINTER_STATUS,
  UP_STMT_JOB_DELETE_UPLOAD,
  UP_STMT_JOB_NEXT,
  UP_STMT_JOB_LIST_PRINTING,
  UP_STMT_PRINTERS_WITH_PENDING,
  UP_STMT_DOCUMENT_GET,
  UP_STMT_DOCUMENT_SET_DOWNLOADED,
  UP_STMT_PRINTER_DOCUMENTS,
  UP_STMT_UPLOAD_DELETE_OF_DOCUMENT,
  UP_STMT_UPLOAD_INSERT,
  UP_STMT_UPLOAD_GET,
  UP_STMT_UPLOAD_EXISTS,
  UP_STMT_UPLOAD_SET_RECEIVED,
  UP_STMT_UPLOAD_DELETE,
  UP_STMT_UPLOAD_DELETE_EXPIRED,
  UP_STMT_JOB_COUNT_BY_STATE,
  UP_STMT_QUEUE_DEPTHS,
  UP_STMT_UPLOADS_ACTIVE,
  UP_STMT_UPLOADS_ALL,
  UP_STMT_DOCUMENT_EXISTS,
  UP_STMT_JOB_QUOTA_COUNT,
  UP_STMT_JOB_QUOTA_OLDEST,
  UP_STMT_UPLOADS_OF_USER,
  /* store-jobs.c, written for 0003-pull-printing.sql: the job id sequence */
  UP_STMT_JOB_ID_MAX,
  UP_STMT_JOB_ID_TAKE,
  UP_STMT_JOB_ID_RELEASE,
  /* store-tasks.c */
  UP_STMT_TASK_DEFINITION_INSERT,
  UP_STMT_TASK_DEFINITION_GET,
  UP_STMT_TASK_DEFINITION_LIST,
  UP_STMT_TASK_DEFINITION_UPDATE,
  UP_STMT_TASK_DEFINITION_DELETE,
  UP_STMT_TASK_DEFINITION_EXISTS,
  UP_STMT_TASK_TRIGGER_INSERT,
  UP_STMT_TASK_TRIGGER_GET,
  UP_STMT_TASK_TRIGGER_OF_PRINTER,
  UP_STMT_TASK_TRIGGER_LIST,
  UP_STMT_TASK_TRIGGER_DELETE,
  UP_STMT_TASK_INSERT,
  UP_STMT_TASK_SET_STATUS,
  UP_STMT_TASK_ABORT_OF_JOB,
  UP_STMT_TASK_GET,
  UP_STMT_TASK_LIST,
  UP_STMT_TASK_LIST_FOR_JOB,
  UP_STMT_TASK_LIST_PROCESSING_BEFORE,
  UP_STMT_COUNT
} up_stmt_id_t;

/** SQL text of store-printers.c's statements, indexed by id; NULL outside its block. */
extern const char *const up_store_printers_sql[UP_STMT_COUNT];

/** SQL text of store-jobs.c's statements, indexed by id; NULL outside its block. */
extern const char *const up_store_jobs_sql[UP_STMT_COUNT];

/** SQL text of store-jobs.c's statements of the job id sequence (0003-pull-printing.sql). */
extern const char *const up_store_job_ids_sql[UP_STMT_COUNT];

/** SQL text of store-tasks.c's statements, indexed by id; NULL outside its block. */
extern const char *const up_store_tasks_sql[UP_STMT_COUNT];
extern const char *const up_store_share_members_sql[UP_STMT_COUNT];

/** A collection as up_store_query reads it (store-query.c): the store file that owns the
 *  table describes it. */
typedef up_status_t (*up_store_row_reader_t)(struct sqlite3_stmt *stmt, void *out, up_error_t *err);
/** A field of a collection: its OData path, its SQL expression, and whether that is never NULL
 *  (an order key on such a column can use its index as it is). */
typedef struct up_store_field {
  const char *path;
  const char *sql;
  bool not_null;
} up_store_field_t;
typedef struct up_store_coll {
  const char *select; /**< "SELECT <the reader's columns> FROM ..." */
  const char *where;  /**< "WHERE ..." with the scope's ?1..?n_scope */
  int n_scope;        /**< scope parameters (tenant, then the parent's id, ...) */
  int n_cols;         /**< columns the reader reads; the page's keys follow them */
  /** every field of odata.c's collection, NULL-path-terminated */
  const up_store_field_t *fields;
  up_store_row_reader_t reader;
  size_t item_size;
  void (*item_fini)(void *item);
} up_store_coll_t;

extern const up_store_coll_t up_store_coll_printers, up_store_coll_shares, up_store_coll_operations,
    up_store_coll_jobs, up_store_coll_definitions, up_store_coll_tasks, up_store_coll_triggers;

/** The store: one connection (opened SQLITE_OPEN_NOMUTEX) guarded by lock. */
struct up_store {
  struct sqlite3 *db;                        /**< the connection */
  pthread_mutex_t lock;                      /**< held by every public function */
  bool lock_ready;                           /**< lock was initialized */
  struct sqlite3_stmt *stmts[UP_STMT_COUNT]; /**< the registry, prepared at open */
  /* WAL checkpoints run off the request path (store.c): SQLite's automatic checkpoint, which
   * copies pages back and fsyncs the database inside whichever commit crosses the threshold, is
   * off; a thread with its own connection checkpoints when the WAL has grown and every few
   * hundred milliseconds, without the store's lock. */
  struct sqlite3 *ckpt_db; /**< the checkpointer's connection (NULL: none, e.g. :memory:) */
  pthread_t ckpt_thread;
  bool ckpt_running;
  bool ckpt_stop; /**< guarded by ckpt_lock */
  bool ckpt_kick; /**< the WAL grew past the threshold: checkpoint now */
  int wal_pages;  /**< frames in the WAL after the last commit (wal hook) */
  pthread_mutex_t ckpt_lock;
  pthread_cond_t ckpt_cond;
  bool ckpt_ready;
  /* Statements of collection queries (store-query.c), kept by their text: a query's text
   * depends on its shape only, so the same kinds of request reuse them. */
  struct {
    char *sql;
    struct sqlite3_stmt *stmt;
    unsigned long used;
  } qcache[32];
  unsigned long qtick;
  int64_t last_job_id; /**< the largest job id handed out (read at the first need) */
  /* Durability (up_store_sync): commits are counted by a commit hook; a caller that must not
   * answer before its writes are on disk waits until the WAL has been fsynced after them. One
   * fsync serves every commit made before it started (group commit). */
  unsigned long commit_seq; /**< commits so far (atomic) */
  unsigned long synced_seq; /**< commits known on disk (sync_lock) */
  unsigned long fsyncs;     /**< fsyncs done (sync_lock; tests) */
  bool sync_busy;           /**< a caller is fsyncing (sync_lock) */
  pthread_mutex_t sync_lock;
  pthread_cond_t sync_cond;
  bool sync_ready;
  int wal_fd; /**< the WAL file, opened at the first sync (-1: not yet) */
  char *wal_path;
  bool job_ids_loaded;       /**< ckpt_lock and ckpt_cond were initialized */
  unsigned long checkpoints; /**< checkpoints run (tests) */
  double checkpoint_seconds; /**< time they took (ckpt_lock) */
  unsigned long commits;     /**< commits of the main connection (store lock) */
  double commit_seconds;     /**< time they took (store lock) */
  int latest;                /**< the newest schema version this build has */
  /* A read-only connection for long reads (the counts of /metrics): in WAL mode it reads
   * beside the main connection, so a scan of every job holds up no request. NULL in memory. */
  struct sqlite3 *reader;
  pthread_mutex_t reader_lock;
  bool reader_ready;
};

/** Finalizes the cached statements of collection queries (store-query.c). */
void up_store_qcache_free(up_store_t *store);

/** Takes / releases the store's mutex. */
void up_store_lock(up_store_t *store);
void up_store_unlock(up_store_t *store);

/** The registry's statement id (prepared, reset, no bindings). Caller holds the lock and calls
 *  up_store_stmt_done when finished with it, on every path. */
struct sqlite3_stmt *up_store_stmt(up_store_t *store, up_stmt_id_t id);

/** Resets a registry statement and clears its bindings; NULL is a no-op. */
void up_store_stmt_done(struct sqlite3_stmt *stmt);

/** Fills err from a SQLite result code rc and the connection's message, prefixed by what, and
 *  returns the status: UP_NOMEM; UP_CONFLICT for a UNIQUE or PRIMARY KEY violation;
 *  UP_NOT_FOUND for a FOREIGN KEY violation (a reference to a missing row); UP_DB else. */
up_status_t up_store_fail(up_store_t *store, int rc, const char *what, up_error_t *err);

/** BEGIN IMMEDIATE / COMMIT / ROLLBACK under the caller's lock. Rollback is a no-op outside a
 *  transaction and never fails visibly. */
up_status_t up_store_begin(up_store_t *store, up_error_t *err);
up_status_t up_store_commit(up_store_t *store, up_error_t *err);
void up_store_rollback(up_store_t *store);

/* --- helpers of the store-*.c files (caller holds the lock unless said otherwise) --- */

/** Binders: each does nothing once *rc is an error, else sets *rc to the bind's result.
 *  Strings are bound SQLITE_STATIC: they must outlive the statement's run. bind_text binds NULL
 *  as SQL NULL; bind_ref binds NULL and "" as SQL NULL (no reference); bind_time binds
 *  UP_TIME_NULL as SQL NULL. */
void up_store_bind_text(struct sqlite3_stmt *stmt, int i, const char *v, int *rc);
void up_store_bind_ref(struct sqlite3_stmt *stmt, int i, const char *v, int *rc);
void up_store_bind_int(struct sqlite3_stmt *stmt, int i, int v, int *rc);
void up_store_bind_int64(struct sqlite3_stmt *stmt, int i, int64_t v, int *rc);
void up_store_bind_time(struct sqlite3_stmt *stmt, int i, up_time_t v, int *rc);

/** Column readers: each does nothing once *st is an error. col_text copies a text column into
 *  a new string (*out stays NULL for SQL NULL); col_buf copies it into out of size bytes ("" for
 *  SQL NULL; UP_DB when too long); col_id is col_buf of UP_ID_SIZE. */
void up_store_col_text(struct sqlite3_stmt *stmt, int col, char **out, up_status_t *st,
                       up_error_t *err);
void up_store_col_buf(struct sqlite3_stmt *stmt, int col, char *out, size_t size, up_status_t *st,
                      up_error_t *err);
void up_store_col_id(struct sqlite3_stmt *stmt, int col, char out[UP_ID_SIZE], up_status_t *st,
                     up_error_t *err);

/** A time column; SQL NULL reads as UP_TIME_NULL. */
up_time_t up_store_col_time(struct sqlite3_stmt *stmt, int col);

/** Steps a bound statement (bind_rc: the binding's result) that returns no row, then resets
 *  it. */
up_status_t up_store_run(up_store_t *store, struct sqlite3_stmt *stmt, int bind_rc,
                         const char *what, up_error_t *err);

/** Steps a bound statement to its first row: UP_OK on a row (the caller reads it, then resets),
 *  UP_NOT_FOUND without one ("<what> <id> not found"), or the failure. */
up_status_t up_store_first_row(up_store_t *store, struct sqlite3_stmt *stmt, int bind_rc,
                               const char *what, const char *id, up_error_t *err);

/** Makes room for one more item of size bytes in *items (capacity *cap, count used); new slots
 *  are zeroed. */
up_status_t up_store_grow(void **items, size_t *cap, size_t count, size_t size, up_error_t *err);

/** Steps a bound statement (bind_rc: the binding's result) and reads every row with reader into
 *  a growing array of size-byte items at *items (*count includes a half-read item, so that the
 *  list's fini releases it), then resets it. */
up_status_t up_store_read_rows(up_store_t *store, struct sqlite3_stmt *stmt, int bind_rc,
                               const char *what, up_store_row_reader_t reader, void **items,
                               size_t *count, size_t size, up_error_t *err);

/** Runs statement sid bound to (?1 tenant, ?2 id) and reads its row into out with reader;
 *  UP_NOT_FOUND when there is none. Takes the store mutex. */
up_status_t up_store_get_one(up_store_t *store, up_stmt_id_t sid, const char *tenant,
                             const char *id, const char *what, up_store_row_reader_t reader,
                             void *out, up_error_t *err);

/** Runs statement sid with nkeys parameters bound (0: none; 1: ?1 tenant; 2: also ?2 key) and
 *  reads every row with reader into a growing array of size-byte items at *items. *count
 *  includes a half-read item, so that the list's fini releases it. Takes the store mutex. */
up_status_t up_store_get_list(up_store_t *store, up_stmt_id_t sid, const char *tenant, int nkeys,
                              const char *key, const char *what, up_store_row_reader_t reader,
                              void **items, size_t *count, size_t size, up_error_t *err);

/** Runs the delete statement sid bound to (?1 tenant, ?2 id); UP_NOT_FOUND when no row went.
 *  Takes the store mutex. */
up_status_t up_store_delete_one(up_store_t *store, up_stmt_id_t sid, const char *tenant,
                                const char *id, const char *what, up_error_t *err);

/** Inserts task t (store-tasks.c, for the effects of a job change; caller holds the lock inside
 *  a transaction). UP_NOT_FOUND unless its definition, its trigger (when t->trigger_id is not "")
 *  of that definition and its job are all of t->tenant_id; UP_CONFLICT when the id is taken;
 *  UP_INTERNAL for a state out of range. */
up_status_t up_store_task_insert_locked(up_store_t *store, const up_task_t *t, up_error_t *err);

/** Sets the status (state and description, NULL = null) of task id of tenant (store-tasks.c;
 *  caller holds the lock inside a transaction). UP_NOT_FOUND when the tenant has no such task;
 *  UP_INTERNAL for a state out of range. */
up_status_t up_store_task_set_status_locked(up_store_t *store, const char *tenant, const char *id,
                                            up_task_state_t state, const char *description,
                                            up_error_t *err);

/** Ends what the caller began with up_store_lock and (when in_tx) up_store_begin: commits when
 *  st is UP_OK, rolls back otherwise (also when the commit fails), then unlocks. */
up_status_t up_store_end_tx(up_store_t *store, bool in_tx, up_status_t st, up_error_t *err);

/** The number of a migration file name "NNNN-*.sql" (0..9999), or -1 when name is not one. */
int up_store_migration_number(const char *name);

/** Checks the migrations among files (a table ended by a NULL name): their numbers must be
 *  1, 2, 3... without gaps or repeats, whatever the table's order.
 *  Returns the newest number (0 when none), or -1 with err filled. */
int up_store_migrations_check(const up_embedded_file_t *files, up_error_t *err);

/** up_store_open with another migration set than the embedded schema/ (tests). The statements
 *  of a store-*.c file are prepared only when files holds the migration they are written for
 *  (by name); the functions of the others must not be called. */
up_status_t up_store_open_files(const char *path, const up_embedded_file_t *files, up_store_t **out,
                                up_error_t *err);

/** The connection for long reads, locked: the reader, or the main connection under the
 *  store's lock when there is none. Give it back with up_store_reader_release. */
struct sqlite3 *up_store_reader_acquire(up_store_t *store);
void up_store_reader_release(up_store_t *store, struct sqlite3 *db);

#endif
