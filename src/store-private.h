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
  UP_STMT_COUNT
} up_stmt_id_t;

/** SQL text of store-printers.c's statements, indexed by id; NULL outside its block. */
extern const char *const up_store_printers_sql[UP_STMT_COUNT];

/** The store: one connection (opened SQLITE_OPEN_NOMUTEX) guarded by lock. */
struct up_store {
  struct sqlite3 *db;                        /**< the connection */
  pthread_mutex_t lock;                      /**< held by every public function */
  bool lock_ready;                           /**< lock was initialized */
  struct sqlite3_stmt *stmts[UP_STMT_COUNT]; /**< the registry, prepared at open */
};

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

/** The number of a migration file name "NNNN-*.sql" (0..9999), or -1 when name is not one. */
int up_store_migration_number(const char *name);

/** Checks the migrations among files (a table ended by a NULL name): their numbers must be
 *  1, 2, 3... without gaps or repeats, whatever the table's order.
 *  Returns the newest number (0 when none), or -1 with err filled. */
int up_store_migrations_check(const up_embedded_file_t *files, up_error_t *err);

/** up_store_open with another migration set than the embedded schema/ (tests). */
up_status_t up_store_open_files(const char *path, const up_embedded_file_t *files, up_store_t **out,
                                up_error_t *err);

#endif
