/* store.c - the SQLite store: open, pragmas, migrations, the mutex, the statement registry.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"

#include "uprintd/log.h"
#include "uprintd/util.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>

#define BUSY_TIMEOUT_MS  5000
#define READY_TIMEOUT_MS 200 /* up_store_ready's wait for the write lock */

/* SQL text of store.c's own statements (the pragmas and transaction control). */
static const char *const core_sql[UP_STMT_COUNT] = {
    [UP_STMT_USER_VERSION] = "PRAGMA user_version",
    [UP_STMT_JOURNAL_WAL] = "PRAGMA journal_mode = WAL",
    [UP_STMT_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [UP_STMT_SYNC_GET] = "PRAGMA synchronous",
    [UP_STMT_FOREIGN_KEYS_ON] = "PRAGMA foreign_keys = ON",
    [UP_STMT_FOREIGN_KEYS_GET] = "PRAGMA foreign_keys",
    [UP_STMT_BEGIN] = "BEGIN IMMEDIATE",
    [UP_STMT_COMMIT] = "COMMIT",
    [UP_STMT_ROLLBACK] = "ROLLBACK",
};

/* Every file's table, with the migration its statements are written for (NULL: none); each
 * statement id has its text in exactly one of them. */
static const struct {
  const char *const *sql;
  const char *migration;
} sql_tables[] = {
    {core_sql, NULL},
    {up_store_printers_sql, "0001-init.sql"},
    {up_store_jobs_sql, "0002-jobs.sql"},
    {up_store_job_ids_sql, "0003-pull-printing.sql"},
    {up_store_tasks_sql, "0003-pull-printing.sql"},
    {up_store_share_members_sql, "0004-share-access.sql"},
};

void up_store_lock(up_store_t *store)
{
  pthread_mutex_lock(&store->lock);
}

void up_store_unlock(up_store_t *store)
{
  pthread_mutex_unlock(&store->lock);
}

sqlite3_stmt *up_store_stmt(up_store_t *store, up_stmt_id_t id)
{
  assert(id >= 0 && id < UP_STMT_COUNT && store->stmts[id]);
  return store->stmts[id];
}

void up_store_stmt_done(sqlite3_stmt *stmt)
{
  if (!stmt)
    return;
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

up_status_t up_store_fail(up_store_t *store, int rc, const char *what, up_error_t *err)
{
  up_status_t st = UP_DB;
  const char *msg = sqlite3_errstr(rc);

  if ((rc & 0xff) == SQLITE_NOMEM)
    st = UP_NOMEM;
  else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    st = UP_CONFLICT;
  else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    st = UP_NOT_FOUND;
  else if ((rc & 0xff) == SQLITE_FULL)
    st = UP_NO_SPACE; /* the disk is full: nothing was written */
  /* The connection's message is more precise, when it is about this failure. */
  if (store && store->db && sqlite3_extended_errcode(store->db) == rc)
    msg = sqlite3_errmsg(store->db);
  return up_error_set(err, st, NULL, "%s: %s", what, msg);
}

/* Steps a statement that returns no row (or whose rows are not wanted) and resets it. */
static up_status_t run_stmt(up_store_t *store, up_stmt_id_t id, const char *what, up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, id);
  up_status_t st = UP_OK;
  int rc;

  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    st = up_store_fail(store, rc, what, err);
  up_store_stmt_done(stmt);
  return st;
}

/* Steps a pragma that returns one integer into *out and resets it. */
static up_status_t read_int(up_store_t *store, up_stmt_id_t id, int *out, const char *what,
                            up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, id);
  up_status_t st = UP_OK;
  int rc = sqlite3_step(stmt);

  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int(stmt, 0);
  else if (rc == SQLITE_DONE)
    st = up_error_set(err, UP_DB, NULL, "%s: no value", what);
  else
    st = up_store_fail(store, rc, what, err);
  up_store_stmt_done(stmt);
  return st;
}

up_status_t up_store_begin(up_store_t *store, up_error_t *err)
{
  return run_stmt(store, UP_STMT_BEGIN, "beginning a transaction", err);
}

static double seconds_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

up_status_t up_store_commit(up_store_t *store, up_error_t *err)
{
  double t0 = seconds_now();
  up_status_t st = run_stmt(store, UP_STMT_COMMIT, "committing", err);
  store->commits++;
  store->commit_seconds += seconds_now() - t0;
  return st;
}

void up_store_rollback(up_store_t *store)
{
  /* Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled back. */
  if (sqlite3_get_autocommit(store->db))
    return;
  if (run_stmt(store, UP_STMT_ROLLBACK, "rolling back", NULL) != UP_OK)
    up_log(UP_LOG_ERROR, "store: rollback failed: %s", sqlite3_errmsg(store->db));
}

/* True when files holds a file named name. */
static bool has_file(const up_embedded_file_t *files, const char *name)
{
  for (const up_embedded_file_t *f = files; f->name; f++)
    if (strcmp(f->name, name) == 0)
      return true;
  return false;
}

/* --- helpers of the store-*.c files --- */

/* For messages: never a NULL %s. */
static const char *nz(const char *s)
{
  return s ? s : "";
}

void up_store_bind_text(sqlite3_stmt *stmt, int i, const char *v, int *rc)
{
  if (*rc == SQLITE_OK)
    *rc = sqlite3_bind_text(stmt, i, v, -1, SQLITE_STATIC);
}

void up_store_bind_ref(sqlite3_stmt *stmt, int i, const char *v, int *rc)
{
  up_store_bind_text(stmt, i, v && *v ? v : NULL, rc);
}

void up_store_bind_int(sqlite3_stmt *stmt, int i, int v, int *rc)
{
  if (*rc == SQLITE_OK)
    *rc = sqlite3_bind_int(stmt, i, v);
}

void up_store_bind_int64(sqlite3_stmt *stmt, int i, int64_t v, int *rc)
{
  if (*rc == SQLITE_OK)
    *rc = sqlite3_bind_int64(stmt, i, v);
}

void up_store_bind_time(sqlite3_stmt *stmt, int i, up_time_t v, int *rc)
{
  if (*rc != SQLITE_OK)
    return;
  *rc = v == UP_TIME_NULL ? sqlite3_bind_null(stmt, i) : sqlite3_bind_int64(stmt, i, v);
}

void up_store_col_text(sqlite3_stmt *stmt, int col, char **out, up_status_t *st, up_error_t *err)
{
  const unsigned char *text;

  if (*st != UP_OK || sqlite3_column_type(stmt, col) == SQLITE_NULL)
    return;
  text = sqlite3_column_text(stmt, col);
  if (!text || !(*out = strdup((const char *)text)))
    *st = up_error_set(err, UP_NOMEM, NULL, "out of memory reading the database");
}

void up_store_col_buf(sqlite3_stmt *stmt, int col, char *out, size_t size, up_status_t *st,
                      up_error_t *err)
{
  const unsigned char *text;

  out[0] = '\0';
  if (*st != UP_OK || sqlite3_column_type(stmt, col) == SQLITE_NULL)
    return;
  text = sqlite3_column_text(stmt, col);
  if (!text)
    *st = up_error_set(err, UP_NOMEM, NULL, "out of memory reading the database");
  else if (!up_strlcpy(out, (const char *)text, size))
    *st = up_error_set(err, UP_DB, NULL, "stored value is too long: %.40s...", (const char *)text);
}

void up_store_col_id(sqlite3_stmt *stmt, int col, char out[UP_ID_SIZE], up_status_t *st,
                     up_error_t *err)
{
  up_store_col_buf(stmt, col, out, UP_ID_SIZE, st, err);
}

up_time_t up_store_col_time(sqlite3_stmt *stmt, int col)
{
  return sqlite3_column_type(stmt, col) == SQLITE_NULL ? UP_TIME_NULL
                                                       : (up_time_t)sqlite3_column_int64(stmt, col);
}

up_status_t up_store_run(up_store_t *store, sqlite3_stmt *stmt, int bind_rc, const char *what,
                         up_error_t *err)
{
  up_status_t st = UP_OK;
  int rc = bind_rc;

  if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_DONE)
    rc = SQLITE_OK;
  if (rc != SQLITE_OK)
    st = up_store_fail(store, rc, what, err);
  up_store_stmt_done(stmt);
  return st;
}

up_status_t up_store_first_row(up_store_t *store, sqlite3_stmt *stmt, int bind_rc, const char *what,
                               const char *id, up_error_t *err)
{
  int rc = bind_rc;

  if (rc == SQLITE_OK)
    rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW)
    return UP_OK;
  if (rc == SQLITE_DONE) {
    up_error_set(err, UP_NOT_FOUND, NULL, "%s %s not found", what, nz(id));
    return UP_NOT_FOUND;
  }
  return up_store_fail(store, rc, what, err);
}

up_status_t up_store_grow(void **items, size_t *cap, size_t count, size_t size, up_error_t *err)
{
  size_t new_cap;
  void *tmp;

  if (count < *cap)
    return UP_OK;
  new_cap = *cap ? *cap * 2 : 8;
  if (new_cap < *cap || new_cap > SIZE_MAX / size)
    return up_error_set(err, UP_NOMEM, NULL, "too many rows");
  tmp = realloc(*items, new_cap * size);
  if (!tmp)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory reading the database");
  memset((char *)tmp + *cap * size, 0, (new_cap - *cap) * size);
  *items = tmp;
  *cap = new_cap;
  return UP_OK;
}

up_status_t up_store_get_one(up_store_t *store, up_stmt_id_t sid, const char *tenant,
                             const char *id, const char *what, up_store_row_reader_t reader,
                             void *out, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, sid);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, id, &rc);
  st = up_store_first_row(store, stmt, rc, what, id, err);
  if (st == UP_OK)
    st = reader(stmt, out, err);
  up_store_stmt_done(stmt);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_read_rows(up_store_t *store, sqlite3_stmt *stmt, int bind_rc, const char *what,
                               up_store_row_reader_t reader, void **items, size_t *count,
                               size_t size, up_error_t *err)
{
  up_status_t st = UP_OK;
  size_t cap = *count;
  int rc = bind_rc;

  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    st = up_store_grow(items, &cap, *count, size, err);
    if (st != UP_OK)
      goto out;
    st = reader(stmt, (char *)*items + (*count)++ * size, err);
    if (st != UP_OK)
      goto out;
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE)
    st = up_store_fail(store, rc, what, err);

out:
  up_store_stmt_done(stmt);
  return st;
}

up_status_t up_store_get_list(up_store_t *store, up_stmt_id_t sid, const char *tenant, int nkeys,
                              const char *key, const char *what, up_store_row_reader_t reader,
                              void **items, size_t *count, size_t size, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, sid);
  if (nkeys >= 1)
    up_store_bind_text(stmt, 1, tenant, &rc);
  if (nkeys >= 2)
    up_store_bind_text(stmt, 2, key, &rc);
  st = up_store_read_rows(store, stmt, rc, what, reader, items, count, size, err);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_delete_one(up_store_t *store, up_stmt_id_t sid, const char *tenant,
                                const char *id, const char *what, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, sid);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, id, &rc);
  st = up_store_run(store, stmt, rc, what, err);
  /* sqlite3_changes counts the row itself, not the foreign keys' actions. */
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "%s: %s not found", what, nz(id));
  up_store_unlock(store);
  return st;
}

up_status_t up_store_end_tx(up_store_t *store, bool in_tx, up_status_t st, up_error_t *err)
{
  if (in_tx && st == UP_OK)
    st = up_store_commit(store, err);
  if (in_tx && st != UP_OK)
    up_store_rollback(store);
  up_store_unlock(store);
  return st;
}

/* Prepares the registry's statements with ids in [from, to), but those written for a migration
 * that files lacks (tests open with fewer or other migrations). */
static up_status_t prepare_range(up_store_t *store, const up_embedded_file_t *files, int from,
                                 int to, up_error_t *err)
{
  for (int id = from; id < to; id++) {
    const char *sql = NULL, *migration = NULL;
    int texts = 0, rc;

    for (size_t t = 0; t < sizeof(sql_tables) / sizeof(sql_tables[0]); t++) {
      if (sql_tables[t].sql[id]) {
        sql = sql_tables[t].sql[id];
        migration = sql_tables[t].migration;
        texts++;
      }
    }
    if (texts != 1)
      return up_error_set(err, UP_INTERNAL, NULL, "store statement %d has %d SQL texts", id, texts);
    if (migration && !has_file(files, migration))
      continue;
    rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &store->stmts[id], NULL);
    if (rc != SQLITE_OK)
      return up_store_fail(store, rc, "preparing a statement", err);
    if (!store->stmts[id])
      return up_error_set(err, UP_INTERNAL, NULL, "store statement %d is empty", id);
  }
  return UP_OK;
}

int up_store_migration_number(const char *name)
{
  size_t len = name ? strlen(name) : 0;
  int n = 0;

  /* "NNNN-" + anything + ".sql" */
  if (len < 9 || name[4] != '-' || strcmp(name + len - 4, ".sql") != 0)
    return -1;
  for (int i = 0; i < 4; i++) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

/* The migration numbered n in files, or NULL. */
static const up_embedded_file_t *find_migration(const up_embedded_file_t *files, int n)
{
  for (const up_embedded_file_t *f = files; f->name; f++)
    if (up_store_migration_number(f->name) == n)
      return f;
  return NULL;
}

int up_store_migrations_check(const up_embedded_file_t *files, up_error_t *err)
{
  int count = 0, newest = 0;

  for (const up_embedded_file_t *f = files; f->name; f++) {
    int n = up_store_migration_number(f->name);
    if (n < 0)
      continue;
    if (n == 0) {
      up_error_set(err, UP_INTERNAL, NULL, "schema migration %s: numbers start at 0001", f->name);
      return -1;
    }
    count++;
    if (n > newest)
      newest = n;
  }
  /* count == newest and every number 1..newest present: each exactly once. */
  for (int n = 1; n <= newest; n++) {
    if (!find_migration(files, n)) {
      up_error_set(err, UP_INTERNAL, NULL, "schema migration %04d is missing", n);
      return -1;
    }
  }
  if (count != newest) {
    up_error_set(err, UP_INTERNAL, NULL, "schema migrations repeat a number");
    return -1;
  }
  return newest;
}

int up_store_schema_latest(void)
{
  return up_store_migrations_check(up_embedded_files, NULL);
}

/* Sets WAL, synchronous=NORMAL and foreign keys, and checks that each took. */
static up_status_t set_pragmas(up_store_t *store, up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_JOURNAL_WAL);
  up_status_t st = UP_OK;
  int rc, value = -1;

  /* journal_mode answers with the mode now in effect. An in-memory database (tests) stays
   * "memory"; anything else must become "wal". */
  rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    st = up_store_fail(store, rc, "setting journal_mode=WAL", err);
  } else {
    const char *mode = (const char *)sqlite3_column_text(stmt, 0);
    const char *file = sqlite3_db_filename(store->db, "main");
    bool in_memory = !file || !*file;
    if (!mode)
      st = up_error_set(err, UP_NOMEM, NULL, "setting journal_mode=WAL: out of memory");
    else if (!up_str_ieq(mode, "wal") && !(in_memory && up_str_ieq(mode, "memory")))
      st = up_error_set(err, UP_DB, NULL, "journal_mode is %s, not wal", mode);
  }
  up_store_stmt_done(stmt);
  if (st != UP_OK)
    return st;

  /* Set synchronous after WAL: some builds default WAL databases to FULL. NORMAL is 1. */
  st = run_stmt(store, UP_STMT_SYNC_NORMAL, "setting synchronous=NORMAL", err);
  if (st == UP_OK)
    st = read_int(store, UP_STMT_SYNC_GET, &value, "reading synchronous", err);
  if (st == UP_OK && value != 1)
    st = up_error_set(err, UP_DB, NULL, "synchronous is %d, not NORMAL (1)", value);
  if (st != UP_OK)
    return st;

  st = run_stmt(store, UP_STMT_FOREIGN_KEYS_ON, "setting foreign_keys=ON", err);
  if (st == UP_OK)
    st = read_int(store, UP_STMT_FOREIGN_KEYS_GET, &value, "reading foreign_keys", err);
  if (st == UP_OK && value != 1)
    st = up_error_set(err, UP_DB, NULL, "foreign keys are not supported by this SQLite");
  return st;
}

/* Applies migration file f (number n) in its own transaction. */
static up_status_t apply_migration(up_store_t *store, const up_embedded_file_t *f, int n,
                                   up_error_t *err)
{
  char *msg = NULL;
  char set_version[48];
  up_status_t st;
  bool in_tx = false;
  int rc;

  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;

  /* The file may hold many statements: sqlite3_exec runs them in order. */
  rc = sqlite3_exec(store->db, f->data, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    st = up_error_set(err, (rc & 0xff) == SQLITE_NOMEM ? UP_NOMEM : UP_DB, NULL,
                      "schema migration %s failed: %s", f->name, msg ? msg : sqlite3_errstr(rc));
    goto out;
  }

  /* PRAGMA takes no bound parameters: the only SQL assembled at run time, from the validated
   * migration number (an int 1..9999), never from outside input. */
  snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", n);
  rc = sqlite3_exec(store->db, set_version, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    st = up_store_fail(store, rc, "setting user_version", err);
    goto out;
  }

  st = up_store_commit(store, err);
  if (st == UP_OK) {
    in_tx = false;
    up_log(UP_LOG_INFO, "store: applied schema migration %s", f->name);
  }

out:
  if (in_tx)
    up_store_rollback(store);
  sqlite3_free(msg);
  return st;
}

/* --- checkpoints off the request path --- */

#define CKPT_PAGES       1000 /* a WAL of this many frames wakes the checkpointer (SQLite's default) */
#define CKPT_INTERVAL_MS 250 /* and it looks anyway this often */

/* Runs after every commit of the main connection, under the store's lock: notes the WAL's size
 * and wakes the checkpointer when it has grown. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
  up_store_t *store = arg;
  (void)db;
  (void)name;
  pthread_mutex_lock(&store->ckpt_lock);
  store->wal_pages = pages;
  if (pages >= CKPT_PAGES) {
    store->ckpt_kick = true;
    pthread_cond_signal(&store->ckpt_cond);
  }
  pthread_mutex_unlock(&store->ckpt_lock);
  return SQLITE_OK;
}

/* Checkpoints when kicked by a large WAL, or every CKPT_INTERVAL_MS when the WAL has frames. */
static void *checkpointer(void *arg)
{
  up_store_t *store = arg;
  pthread_mutex_lock(&store->ckpt_lock);
  while (!store->ckpt_stop) {
    if (!store->ckpt_kick) {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
      until.tv_sec += until.tv_nsec / 1000000000L;
      until.tv_nsec %= 1000000000L;
      pthread_cond_timedwait(&store->ckpt_cond, &store->ckpt_lock, &until);
    }
    if (store->ckpt_stop)
      break;
    store->ckpt_kick = false;
    if (store->wal_pages == 0)
      continue;
    pthread_mutex_unlock(&store->ckpt_lock);
    /* PASSIVE: copies what no reader still needs and never waits for the writer, so requests
     * go on meanwhile (WAL mode lets a checkpoint run beside one writer). Once everything is
     * copied, the next commit starts the WAL over. */
    int log = 0, done = 0;
    double t0 = seconds_now();
    int rc =
        sqlite3_wal_checkpoint_v2(store->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    double took = seconds_now() - t0;
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      up_log(UP_LOG_WARN, "store: checkpoint failed: %s", sqlite3_errmsg(store->ckpt_db));
    pthread_mutex_lock(&store->ckpt_lock);
    if (rc == SQLITE_OK) {
      store->checkpoints++;
      store->checkpoint_seconds += took;
      if (done >= log)
        store->wal_pages = 0; /* until the next commit reports the WAL again */
    }
  }
  pthread_mutex_unlock(&store->ckpt_lock);
  return NULL;
}

/* Starts the checkpointer for a database file (not an in-memory one). */
static up_status_t start_checkpointer(up_store_t *store, const char *path, up_error_t *err)
{
  const char *file = sqlite3_db_filename(store->db, "main");
  if (!file || !*file)
    return UP_OK;
  if (pthread_mutex_init(&store->ckpt_lock, NULL) != 0)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the checkpoint mutex");
  if (pthread_cond_init(&store->ckpt_cond, NULL) != 0) {
    pthread_mutex_destroy(&store->ckpt_lock);
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the checkpoint condition");
  }
  store->ckpt_ready = true;
  if (sqlite3_open_v2(path, &store->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK)
    return up_error_set(err, UP_DB, NULL, "cannot open the checkpoint connection: %s",
                        store->ckpt_db ? sqlite3_errmsg(store->ckpt_db) : "out of memory");
  sqlite3_busy_timeout(store->ckpt_db, BUSY_TIMEOUT_MS);
  /* Checkpoints fsync the database before the WAL is reused (synchronous=NORMAL). */
  sqlite3_exec(store->ckpt_db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
  if (sqlite3_exec(store->db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL) != SQLITE_OK)
    return up_error_set(err, UP_DB, NULL, "cannot turn automatic checkpoints off: %s",
                        sqlite3_errmsg(store->db));
  sqlite3_wal_hook(store->db, wal_hook, store);
  if (pthread_create(&store->ckpt_thread, NULL, checkpointer, store) != 0)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot start the checkpoint thread");
  store->ckpt_running = true;
  return UP_OK;
}

/* Opens the read-only connection for long reads; without one (in memory, or it cannot be
 * opened) they use the main connection. */
static void open_reader(up_store_t *store, const char *path)
{
  const char *file = sqlite3_db_filename(store->db, "main");
  if (!file || !*file || pthread_mutex_init(&store->reader_lock, NULL) != 0)
    return;
  store->reader_ready = true;
  if (sqlite3_open_v2(path, &store->reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    up_log(UP_LOG_WARN, "store: no reader connection (%s); long reads use the main one",
           store->reader ? sqlite3_errmsg(store->reader) : "out of memory");
    sqlite3_close(store->reader);
    store->reader = NULL;
    return;
  }
  sqlite3_busy_timeout(store->reader, BUSY_TIMEOUT_MS);
}

sqlite3 *up_store_reader_acquire(up_store_t *store)
{
  if (store->reader) {
    pthread_mutex_lock(&store->reader_lock);
    return store->reader;
  }
  up_store_lock(store);
  return store->db;
}

void up_store_reader_release(up_store_t *store, sqlite3 *db)
{
  if (db == store->reader)
    pthread_mutex_unlock(&store->reader_lock);
  else
    up_store_unlock(store);
}

static void stop_checkpointer(up_store_t *store)
{
  if (store->ckpt_running) {
    pthread_mutex_lock(&store->ckpt_lock);
    store->ckpt_stop = true;
    pthread_cond_signal(&store->ckpt_cond);
    pthread_mutex_unlock(&store->ckpt_lock);
    pthread_join(store->ckpt_thread, NULL);
    store->ckpt_running = false;
  }
  if (store->db)
    sqlite3_wal_hook(store->db, NULL, NULL);
  if (store->ckpt_db)
    sqlite3_close(store->ckpt_db);
  store->ckpt_db = NULL;
  if (store->ckpt_ready) {
    pthread_cond_destroy(&store->ckpt_cond);
    pthread_mutex_destroy(&store->ckpt_lock);
    store->ckpt_ready = false;
  }
}

unsigned long up_store_checkpoints(up_store_t *store)
{
  unsigned long n = 0;
  if (store && store->ckpt_ready) {
    pthread_mutex_lock(&store->ckpt_lock);
    n = store->checkpoints;
    pthread_mutex_unlock(&store->ckpt_lock);
  }
  return n;
}

/* --- durability: group commit --- */

static int commit_hook(void *arg)
{
  up_store_t *store = arg;
  __atomic_add_fetch(&store->commit_seq, 1, __ATOMIC_SEQ_CST);
  return 0; /* the commit goes ahead */
}

static up_status_t start_sync(up_store_t *store, const char *path, up_error_t *err)
{
  const char *file = sqlite3_db_filename(store->db, "main");
  if (!file || !*file)
    return UP_OK; /* in memory: nothing to make durable */
  if (pthread_mutex_init(&store->sync_lock, NULL) != 0)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the sync mutex");
  if (pthread_cond_init(&store->sync_cond, NULL) != 0) {
    pthread_mutex_destroy(&store->sync_lock);
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the sync condition");
  }
  store->sync_ready = true;
  if (asprintf(&store->wal_path, "%s-wal", path) < 0) {
    store->wal_path = NULL;
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  }
  sqlite3_commit_hook(store->db, commit_hook, store);
  return UP_OK;
}

static void stop_sync(up_store_t *store)
{
  if (store->db)
    sqlite3_commit_hook(store->db, NULL, NULL);
  if (store->wal_fd >= 0)
    close(store->wal_fd);
  store->wal_fd = -1;
  free(store->wal_path);
  store->wal_path = NULL;
  if (store->sync_ready) {
    pthread_cond_destroy(&store->sync_cond);
    pthread_mutex_destroy(&store->sync_lock);
    store->sync_ready = false;
  }
}

up_status_t up_store_sync(up_store_t *store, up_error_t *err)
{
  if (!store || !store->sync_ready)
    return UP_OK;
  unsigned long target = __atomic_load_n(&store->commit_seq, __ATOMIC_SEQ_CST);
  up_status_t st = UP_OK;
  pthread_mutex_lock(&store->sync_lock);
  while (store->synced_seq < target && st == UP_OK) {
    if (store->sync_busy) {
      /* Someone fsyncs: it may cover this caller's commits too. */
      pthread_cond_wait(&store->sync_cond, &store->sync_lock);
      continue;
    }
    store->sync_busy = true;
    /* Everything committed up to now is in the WAL file: one fsync makes it all durable. */
    unsigned long upto = __atomic_load_n(&store->commit_seq, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&store->sync_lock);
    int rc = 0;
    if (store->wal_fd < 0)
      store->wal_fd = open(store->wal_path, O_RDONLY | O_CLOEXEC);
    if (store->wal_fd < 0 && errno != ENOENT)
      rc = -1;
    else if (store->wal_fd >= 0)
      rc = fdatasync(store->wal_fd);
    int saved = errno;
    pthread_mutex_lock(&store->sync_lock);
    store->sync_busy = false;
    if (rc == 0) {
      store->fsyncs++;
      if (upto > store->synced_seq)
        store->synced_seq = upto;
    } else {
      st = up_error_set(err, UP_DB, NULL, "cannot make the writes durable: %s", strerror(saved));
    }
    pthread_cond_broadcast(&store->sync_cond);
  }
  pthread_mutex_unlock(&store->sync_lock);
  return st;
}

unsigned long up_store_fsyncs(up_store_t *store)
{
  unsigned long n = 0;
  if (store && store->sync_ready) {
    pthread_mutex_lock(&store->sync_lock);
    n = store->fsyncs;
    pthread_mutex_unlock(&store->sync_lock);
  }
  return n;
}

up_status_t up_store_set_synchronous_full(up_store_t *store, up_error_t *err)
{
  up_store_lock(store);
  int rc = sqlite3_exec(store->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
  up_status_t st = rc == SQLITE_OK ? UP_OK : up_store_fail(store, rc, "setting synchronous", err);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_open_files(const char *path, const up_embedded_file_t *files, up_store_t **out,
                                up_error_t *err)
{
  up_store_t *store = NULL;
  up_status_t st = UP_OK;
  int latest, version = 0, rc;

  *out = NULL;
  latest = up_store_migrations_check(files, err);
  if (latest < 0) {
    st = UP_INTERNAL;
    goto out;
  }

  store = calloc(1, sizeof(*store));
  if (!store) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory opening the database");
    goto out;
  }
  store->latest = latest;
  store->wal_fd = -1;
  if (pthread_mutex_init(&store->lock, NULL) != 0) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot create the store mutex");
    goto out;
  }
  store->lock_ready = true;

  /* One connection, serialized by store->lock rather than by SQLite. */
  rc = sqlite3_open_v2(path, &store->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    if (store->db)
      st = up_error_set(err, UP_DB, NULL, "cannot open database %s: %s", path,
                        sqlite3_errmsg(store->db));
    else
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory opening the database");
    goto out;
  }
  sqlite3_extended_result_codes(store->db, 1);
  sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);

  st = prepare_range(store, files, 0, UP_STMT_CORE_END, err);
  if (st != UP_OK)
    goto out;

  /* Check the version before anything that writes (even the WAL switch writes the header). */
  st = read_int(store, UP_STMT_USER_VERSION, &version, "reading the schema version", err);
  if (st != UP_OK)
    goto out;
  if (version > latest) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "database schema version %d is newer than this uprintd supports (%d); "
                      "refusing to modify it",
                      version, latest);
    goto out;
  }
  if (version < 0) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "database schema version %d is not valid; refusing to modify it", version);
    goto out;
  }

  st = set_pragmas(store, err);
  if (st != UP_OK)
    goto out;

  /* Apply the pending migrations in order, one transaction each. */
  for (int n = version + 1; n <= latest; n++) {
    st = apply_migration(store, find_migration(files, n), n, err);
    if (st != UP_OK)
      goto out;
  }

  /* The rest of the registry needs the schema. */
  st = prepare_range(store, files, UP_STMT_CORE_END, UP_STMT_COUNT, err);
  if (st != UP_OK)
    goto out;
  open_reader(store, path);
  st = start_checkpointer(store, path, err);
  if (st == UP_OK)
    st = start_sync(store, path, err);
  if (st != UP_OK)
    goto out;

  *out = store;
  store = NULL;

out:
  up_store_free(store);
  return st;
}

up_status_t up_store_open(const char *path, up_store_t **out, up_error_t *err)
{
  return up_store_open_files(path, up_embedded_files, out, err);
}

void up_store_free(up_store_t *store)
{
  if (!store)
    return;
  stop_checkpointer(store);
  stop_sync(store);
  if (store->reader)
    sqlite3_close(store->reader);
  if (store->reader_ready)
    pthread_mutex_destroy(&store->reader_lock);
  up_store_qcache_free(store);
  for (int id = 0; id < UP_STMT_COUNT; id++)
    sqlite3_finalize(store->stmts[id]);
  if (store->db && sqlite3_close(store->db) != SQLITE_OK)
    up_log(UP_LOG_ERROR, "store: closing the database failed: %s", sqlite3_errmsg(store->db));
  if (store->lock_ready)
    pthread_mutex_destroy(&store->lock);
  free(store);
}

void up_store_stats(up_store_t *store, up_store_stats_t *out)
{
  memset(out, 0, sizeof(*out));
  if (!store)
    return;
  up_store_lock(store);
  out->commits = store->commits;
  out->commit_seconds = store->commit_seconds;
  up_store_unlock(store);
  if (store->ckpt_ready) {
    pthread_mutex_lock(&store->ckpt_lock);
    out->checkpoints = store->checkpoints;
    out->checkpoint_seconds = store->checkpoint_seconds;
    out->wal_pages = store->wal_pages;
    pthread_mutex_unlock(&store->ckpt_lock);
  }
  out->fsyncs = up_store_fsyncs(store);
}

up_status_t up_store_ready(up_store_t *store, up_error_t *err)
{
  int version = -1;
  up_status_t st;
  up_error_t e;

  up_error_clear(&e);
  up_store_lock(store);
  st = read_int(store, UP_STMT_USER_VERSION, &version, "reading the schema version", &e);
  if (st == UP_OK && version != store->latest)
    st =
        up_error_set(&e, UP_UNAVAILABLE, NULL, "schema version %d, not %d", version, store->latest);
  else if (st == UP_OK && sqlite3_db_readonly(store->db, "main") == 1)
    st = up_error_set(&e, UP_UNAVAILABLE, NULL, "the database is read-only");
  /* The write lock: taken and given back, nothing written. Another process holding it makes
   * the probe fail fast rather than wait out the busy timeout. */
  if (st == UP_OK) {
    sqlite3_busy_timeout(store->db, READY_TIMEOUT_MS);
    if ((st = up_store_begin(store, &e)) == UP_OK)
      up_store_rollback(store);
    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
  }
  up_store_unlock(store);
  if (st != UP_OK)
    return up_error_set(err, UP_UNAVAILABLE, NULL, "The store cannot take writes: %s.", e.message);
  return UP_OK;
}

int up_store_schema_version(up_store_t *store)
{
  int version = -1;

  if (!store)
    return -1;
  up_store_lock(store);
  if (read_int(store, UP_STMT_USER_VERSION, &version, "reading the schema version", NULL) != UP_OK)
    version = -1;
  up_store_unlock(store);
  return version;
}

up_status_t up_store_plans(up_store_t *store, up_store_plan_fn fn, void *ctx, up_error_t *err)
{
  up_status_t st = UP_OK;
  up_store_lock(store);
  for (int id = UP_STMT_CORE_END; id < UP_STMT_COUNT && st == UP_OK; id++) {
    if (!store->stmts[id])
      continue; /* written for a migration this store lacks */
    const char *sql = sqlite3_sql(store->stmts[id]);
    char *explain = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *q = NULL;
    char plan[2048] = "";
    size_t len = 0;
    int rc = explain ? sqlite3_prepare_v2(store->db, explain, -1, &q, NULL) : SQLITE_NOMEM;
    while (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
      const char *detail = (const char *)sqlite3_column_text(q, 3);
      int n =
          snprintf(plan + len, sizeof(plan) - len, "%s%s", len ? "; " : "", detail ? detail : "");
      if (n > 0)
        len = len + (size_t)n < sizeof(plan) ? len + (size_t)n : sizeof(plan) - 1;
    }
    if (rc != SQLITE_OK)
      st = up_error_set(err, UP_DB, NULL, "explaining %s: %s", sql, sqlite3_errmsg(store->db));
    else
      fn(ctx, sql, plan);
    sqlite3_finalize(q);
    sqlite3_free(explain);
  }
  up_store_unlock(store);
  return st;
}
