/* check-store.c - unit tests of the SQLite store (store.c, store-printers.c).
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"
#include "test-util.h"

#include "uprintd/embedded.h"
#include "uprintd/log.h"
#include "uprintd/store.h"
#include "uprintd/util.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-ids.h"

#define PRINTER_4 "10000000-0000-4000-8000-000000000004"
#define SHARE_1   "20000000-0000-4000-8000-000000000001"
#define SHARE_2   "20000000-0000-4000-8000-000000000002"
#define SHARE_3   "20000000-0000-4000-8000-000000000003"
#define OP_1      "30000000-0000-4000-8000-000000000001"
#define MISSING   "99999999-0000-4000-8000-000000000000"

#define T0 ((up_time_t)16000000000000000LL) /* 2020-09-13, in ticks */

/* --- fixture: a fresh data directory and an open store per test --- */

static char dir[4096];
static char db_path[4200];
static up_store_t *store;

static void set_paths(void)
{
  snprintf(dir, sizeof(dir), "%s", up_test_tmpdir());
  snprintf(db_path, sizeof(db_path), "%s/uprintd.db", dir);
}

static void reopen(void)
{
  up_error_t err = {0};
  up_store_free(store);
  store = NULL;
  ck_assert_int_eq(up_store_open(db_path, &store, &err), UP_OK);
  ck_assert_ptr_nonnull(store);
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
}

static void teardown(void)
{
  up_store_free(store);
  store = NULL;
  up_test_rmtree(dir);
}

/* --- helpers --- */

/* Reads a whole file (NUL-terminated); caller frees. */
static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  ck_assert_int_ge(n, 0);
  rewind(f);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void spill(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

static bool file_exists(const char *path)
{
  return access(path, F_OK) == 0;
}

/* A printer with every member set (full) or every nullable member NULL. */
static void make_printer(up_printer_t *p, const char *tenant, const char *id, up_time_t at,
                         bool full)
{
  memset(p, 0, sizeof(*p));
  up_strlcpy(p->id, id, sizeof(p->id));
  up_strlcpy(p->tenant_id, tenant, sizeof(p->tenant_id));
  p->display_name = "Printer \"one\" – 2nd floor";
  p->registered_at = at;
  p->status_json = "{\"state\":\"idle\",\"details\":[],\"description\":\"\"}";
  p->is_accepting_jobs = UP_BOOL_NULL;
  if (!full)
    return;
  p->manufacturer = "Contoso";
  p->model = "Laser 9000";
  p->is_accepting_jobs = 1;
  p->has_physical_device = true;
  p->physical_device_id = "8b1f3c2d-1111-4000-8000-000000000001";
  p->connector_id = "8b1f3c2d-2222-4000-8000-000000000002";
  p->registered_by_app = "8b1f3c2d-3333-4000-8000-000000000003";
  p->registered_by_user = "8b1f3c2d-4444-4000-8000-000000000004";
  p->last_seen_at = at + 12345678;
  p->location_json = "{\"building\":\"A\",\"floor\":\"2\"}";
  p->defaults_json = "{\"copiesPerJob\":1}";
  p->factory_defaults_json = "{\"copiesPerJob\":2}";
  p->capabilities_json = "{\"colorModes\":[\"color\"]}";
}

static void make_operation(up_operation_t *op, const char *tenant, const char *id,
                           const char *printer_id, up_time_t at)
{
  memset(op, 0, sizeof(*op));
  up_strlcpy(op->id, id, sizeof(op->id));
  up_strlcpy(op->tenant_id, tenant, sizeof(op->tenant_id));
  up_strlcpy(op->printer_id, printer_id, sizeof(op->printer_id));
  op->created_at = at;
  op->state = UP_OPERATION_SUCCEEDED;
  op->description = "The printer was registered.";
  op->certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
}

static void make_share(up_share_t *s, const char *tenant, const char *id, const char *printer_id,
                       up_time_t at)
{
  memset(s, 0, sizeof(*s));
  up_strlcpy(s->id, id, sizeof(s->id));
  up_strlcpy(s->tenant_id, tenant, sizeof(s->tenant_id));
  up_strlcpy(s->printer_id, printer_id, sizeof(s->printer_id));
  s->display_name = "Shared printer";
  s->allow_all_users = true;
  s->created_at = at;
}

/* Creates printer id (full) in tenant, with a fresh operation. */
static void add_printer(const char *tenant, const char *id, up_time_t at)
{
  up_printer_t p;
  up_operation_t op;
  char op_id[UP_ID_SIZE];
  up_error_t err = {0};
  up_uuid_new(op_id);
  make_printer(&p, tenant, id, at, true);
  make_operation(&op, tenant, op_id, id, at);
  ck_assert_msg(up_store_printer_create(store, &p, &op, &err) == UP_OK, "create %s: %s", id,
                err.message);
}

static void add_share(const char *tenant, const char *id, const char *printer_id, up_time_t at)
{
  up_share_t s;
  up_error_t err = {0};
  make_share(&s, tenant, id, printer_id, at);
  ck_assert_msg(up_store_share_create(store, &s, &err) == UP_OK, "share %s: %s", id, err.message);
}

/* Every stored member of a equals b's (derived members not compared). */
static void assert_printer_stored_eq(const up_printer_t *a, const up_printer_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_pstr_eq(a->display_name, b->display_name);
  ck_assert_pstr_eq(a->manufacturer, b->manufacturer);
  ck_assert_pstr_eq(a->model, b->model);
  ck_assert_int_eq(a->is_accepting_jobs, b->is_accepting_jobs);
  ck_assert_int_eq(a->has_physical_device, b->has_physical_device);
  ck_assert_pstr_eq(a->physical_device_id, b->physical_device_id);
  ck_assert_pstr_eq(a->connector_id, b->connector_id);
  ck_assert_pstr_eq(a->registered_by_app, b->registered_by_app);
  ck_assert_pstr_eq(a->registered_by_user, b->registered_by_user);
  ck_assert_int_eq(a->registered_at, b->registered_at);
  ck_assert_int_eq(a->last_seen_at, b->last_seen_at);
  ck_assert_pstr_eq(a->status_json, b->status_json);
  ck_assert_pstr_eq(a->location_json, b->location_json);
  ck_assert_pstr_eq(a->defaults_json, b->defaults_json);
  ck_assert_pstr_eq(a->factory_defaults_json, b->factory_defaults_json);
  ck_assert_pstr_eq(a->capabilities_json, b->capabilities_json);
}

static void assert_operation_eq(const up_operation_t *a, const up_operation_t *b)
{
  ck_assert_str_eq(a->id, b->id);
  ck_assert_str_eq(a->tenant_id, b->tenant_id);
  ck_assert_int_eq(a->created_at, b->created_at);
  ck_assert_int_eq(a->state, b->state);
  ck_assert_pstr_eq(a->description, b->description);
  ck_assert_str_eq(a->printer_id, b->printer_id);
  ck_assert_pstr_eq(a->certificate, b->certificate);
}

/* The share of printer_id as the printer reads see it ("" = not shared). */
static void assert_printer_share(const char *tenant, const char *printer_id, const char *share_id)
{
  up_printer_t p;
  up_error_t err = {0};
  ck_assert_int_eq(up_store_printer_get(store, tenant, printer_id, &p, &err), UP_OK);
  ck_assert_int_eq(p.is_shared, share_id[0] != '\0');
  ck_assert_str_eq(p.share_id, share_id);
  up_printer_fini(&p);
}

/* --- open and migrations --- */

START_TEST(test_open_fresh)
{
  size_t len;
  char *bytes;
  int latest = up_store_schema_latest();

  ck_assert_int_ge(latest, 1);
  ck_assert_int_eq(up_store_schema_version(store), latest);
  /* Header bytes 18 and 19 (write/read format version) are 2 in WAL mode. */
  bytes = slurp(db_path, &len);
  ck_assert_uint_ge(len, 100);
  ck_assert_int_eq(bytes[18], 2);
  ck_assert_int_eq(bytes[19], 2);
  free(bytes);
  ck_assert(file_exists(db_path));
}
END_TEST

START_TEST(test_open_reopen_noop)
{
  size_t len1, len2;
  char *before, *after;
  int latest = up_store_schema_latest();

  up_store_free(store);
  store = NULL;
  before = slurp(db_path, &len1);
  reopen();
  ck_assert_int_eq(up_store_schema_version(store), latest);
  up_store_free(store);
  store = NULL;
  after = slurp(db_path, &len2);
  ck_assert_uint_eq(len1, len2);
  ck_assert(memcmp(before, after, len1) == 0);
  free(before);
  free(after);
}
END_TEST

START_TEST(test_open_newer_refused)
{
  up_store_t *s = (up_store_t *)&s; /* must come back NULL */
  up_error_t err = {0};
  size_t len, len2;
  char *bytes, *after, wal[4300];
  unsigned v = (unsigned)up_store_schema_latest() + 5;
  char expect[160];

  /* A closed database in rollback-journal mode (bytes 18/19 = 1) with user_version latest+5
   * (big-endian at offset 60), so a WAL switch would show in the bytes. */
  up_store_free(store);
  store = NULL;
  bytes = slurp(db_path, &len);
  bytes[18] = 1;
  bytes[19] = 1;
  bytes[60] = (char)(v >> 24);
  bytes[61] = (char)(v >> 16);
  bytes[62] = (char)(v >> 8);
  bytes[63] = (char)v;
  spill(db_path, bytes, len);

  ck_assert_int_eq(up_store_open(db_path, &s, &err), UP_INVALID);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(err.status, UP_INVALID);
  snprintf(expect, sizeof(expect),
           "database schema version %u is newer than this uprintd supports (%d); refusing to "
           "modify it",
           v, up_store_schema_latest());
  ck_assert_str_eq(err.message, expect);

  after = slurp(db_path, &len2);
  ck_assert_uint_eq(len, len2);
  ck_assert(memcmp(bytes, after, len) == 0);
  snprintf(wal, sizeof(wal), "%s-wal", db_path);
  ck_assert(!file_exists(wal));
  free(bytes);
  free(after);
}
END_TEST

START_TEST(test_open_not_a_database)
{
  static const char junk[] = "this is not an SQLite database, just some text long enough..."
                             "........................................................";
  up_store_t *s = NULL;
  up_error_t err = {0};
  size_t len;
  char *after;

  spill(db_path, junk, sizeof(junk) - 1);
  ck_assert_int_eq(up_store_open(db_path, &s, &err), UP_DB);
  ck_assert_ptr_null(s);
  ck_assert_str_ne(err.message, "");
  after = slurp(db_path, &len);
  ck_assert_uint_eq(len, sizeof(junk) - 1);
  ck_assert(memcmp(after, junk, len) == 0);
  free(after);
}
END_TEST

START_TEST(test_open_missing_directory)
{
  up_store_t *s = NULL;
  up_error_t err = {0};
  char path[4300];

  snprintf(path, sizeof(path), "%s/no/such/dir/uprintd.db", dir);
  ck_assert_int_eq(up_store_open(path, &s, &err), UP_DB);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(err.message, "cannot open database"));
}
END_TEST

START_TEST(test_open_in_memory)
{
  up_store_t *s = NULL;
  up_error_t err = {0};

  ck_assert_int_eq(up_store_open(":memory:", &s, &err), UP_OK);
  ck_assert_int_eq(up_store_schema_version(s), up_store_schema_latest());
  up_store_free(s);
  up_store_free(NULL);
  ck_assert_int_eq(up_store_schema_version(NULL), -1);
}
END_TEST

static const struct {
  const char *name;
  int number;
} migration_names[] = {
    {"0001-init.sql", 1},
    {"0012-jobs.sql", 12},
    {"0000-x.sql", 0},
    {"0001-.sql", 1},
    {"models.json", -1},
    {"0001-init.txt", -1},
    {"001-init.sql", -1},
    {"00a1-init.sql", -1},
    {"0001_init.sql", -1},
    {"0001.sql", -1},
    {"", -1},
    {"0001-init.sql.bak", -1},
};

START_TEST(test_migration_number)
{
  ck_assert_int_eq(up_store_migration_number(migration_names[_i].name), migration_names[_i].number);
}
END_TEST

/* clang-format off */
#define FILE_OF(n, text) {n, text, sizeof(text) - 1}
#define F(n) FILE_OF(n, "SELECT 1;")
#define END {NULL, NULL, 0}
/* clang-format on */
static const up_embedded_file_t set_none[] = {FILE_OF("models.json", "{}"), END};
static const up_embedded_file_t set_ok[] = {F("0001-a.sql"), FILE_OF("models.json", "{}"),
                                            F("0002-b.sql"), F("0003-c.sql"), END};
static const up_embedded_file_t set_unsorted[] = {F("0002-b.sql"), F("0001-a.sql"), END};
static const up_embedded_file_t set_gap[] = {F("0001-a.sql"), F("0003-c.sql"), END};
static const up_embedded_file_t set_repeat[] = {F("0001-a.sql"), F("0002-b.sql"), F("0002-c.sql"),
                                                END};
static const up_embedded_file_t set_zero[] = {F("0000-a.sql"), F("0001-b.sql"), END};
static const up_embedded_file_t set_late_start[] = {F("0002-a.sql"), END};
#undef F
#undef END
#undef FILE_OF

static const struct {
  const up_embedded_file_t *files;
  int latest;
} migration_sets[] = {
    {set_none, 0},    {set_ok, 3},    {set_unsorted, 2},    {set_gap, -1},
    {set_repeat, -1}, {set_zero, -1}, {set_late_start, -1},
};

START_TEST(test_migrations_check)
{
  up_error_t err = {0};
  int latest = up_store_migrations_check(migration_sets[_i].files, &err);

  ck_assert_int_eq(latest, migration_sets[_i].latest);
  if (latest < 0) {
    ck_assert_int_eq(err.status, UP_INTERNAL);
    ck_assert_str_ne(err.message, "");
  }
}
END_TEST

START_TEST(test_migrations_bad_set_refused)
{
  up_store_t *s = NULL;
  up_error_t err = {0};

  ck_assert_int_eq(up_store_open_files(db_path, set_gap, &s, &err), UP_INTERNAL);
  ck_assert_ptr_null(s);
  ck_assert(!file_exists(db_path));
}
END_TEST

/* The real first migration (so that every statement prepares), then m2 and m3. */
static void migration_set(up_embedded_file_t out[4], const char *m2, const char *m3)
{
  memset(out, 0, 4 * sizeof(out[0]));
  for (const up_embedded_file_t *f = up_embedded_files; f->name; f++)
    if (up_store_migration_number(f->name) == 1)
      out[0] = *f;
  ck_assert_ptr_nonnull(out[0].name);
  if (m2)
    out[1] = (up_embedded_file_t){"0002-b.sql", m2, strlen(m2)};
  if (m3)
    out[2] = (up_embedded_file_t){"0003-c.sql", m3, strlen(m3)};
}

START_TEST(test_migrations_stepwise_and_rollback)
{
  up_embedded_file_t files[4];
  up_store_t *s = NULL;
  up_error_t err = {0};

  /* One migration, then a failing second one: rolled back, the version stays 1. */
  migration_set(files, NULL, NULL);
  ck_assert_int_eq(up_store_open_files(db_path, files, &s, &err), UP_OK);
  ck_assert_int_eq(up_store_schema_version(s), 1);
  up_store_free(s);
  s = NULL;

  migration_set(files, "CREATE TABLE b (x); INSERT INTO b VALUES (1); CREATE TABLE (;", NULL);
  ck_assert_int_eq(up_store_open_files(db_path, files, &s, &err), UP_DB);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(err.message, "schema migration 0002-b.sql failed"));
  ck_assert_ptr_nonnull(strstr(err.message, "syntax error"));

  migration_set(files, NULL, NULL);
  ck_assert_int_eq(up_store_open_files(db_path, files, &s, &err), UP_OK);
  ck_assert_int_eq(up_store_schema_version(s), 1);
  up_store_free(s);
  s = NULL;

  /* Now 2 and 3 apply in order; CREATE TABLE b would fail had the failed attempt left it. */
  migration_set(files, "CREATE TABLE b (x); INSERT INTO b VALUES (1);",
                "CREATE TABLE c (x); INSERT INTO c SELECT x FROM b;");
  ck_assert_int_eq(up_store_open_files(db_path, files, &s, &err), UP_OK);
  ck_assert_int_eq(up_store_schema_version(s), 3);
  up_store_free(s);
  s = NULL;

  /* While the real schema has fewer than 3 migrations, this database is too new for it. */
  if (up_store_schema_latest() < 3) {
    ck_assert_int_eq(up_store_open(db_path, &s, &err), UP_INVALID);
    ck_assert_ptr_null(s);
  }
}
END_TEST

/* --- printers and operations --- */

static const struct {
  bool full;
  int accepting;
} printer_variants[] = {
    {true, 1}, {true, 0}, {true, UP_BOOL_NULL}, {false, UP_BOOL_NULL}, {false, 0}};

START_TEST(test_printer_roundtrip)
{
  up_printer_t p, got;
  up_operation_t op;
  up_error_t err = {0};

  make_printer(&p, TENANT_A, PRINTER_1, T0, printer_variants[_i].full);
  p.is_accepting_jobs = printer_variants[_i].accepting;
  /* Derived members are ignored on write. */
  p.is_shared = true;
  up_strlcpy(p.share_id, SHARE_1, sizeof(p.share_id));
  make_operation(&op, TENANT_A, OP_1, PRINTER_1, T0);
  ck_assert_int_eq(up_store_printer_create(store, &p, &op, &err), UP_OK);

  memset(&got, 0x5a, sizeof(got)); /* zeroed by the store */
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &got, &err), UP_OK);
  assert_printer_stored_eq(&got, &p);
  ck_assert(!got.is_shared);
  ck_assert_str_eq(got.share_id, "");
  if (!printer_variants[_i].full) {
    ck_assert_ptr_null(got.manufacturer);
    ck_assert_ptr_null(got.location_json);
    ck_assert_int_eq(got.last_seen_at, UP_TIME_NULL);
  }
  up_printer_fini(&got);
}
END_TEST

START_TEST(test_printer_get_missing)
{
  up_printer_t got;
  up_error_t err = {0};

  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, MISSING, &got, &err), UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  ck_assert_ptr_null(got.display_name); /* zeroed, fini-safe */
  up_printer_fini(&got);
}
END_TEST

START_TEST(test_printer_create_atomic)
{
  up_printer_t p;
  up_operation_t op;
  up_operation_list_t ops;
  up_printer_list_t list;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);

  /* The same printer id again: conflict, and its operation is not stored either. */
  make_printer(&p, TENANT_A, PRINTER_1, T0, false);
  make_operation(&op, TENANT_A, OP_1, PRINTER_1, T0);
  ck_assert_int_eq(up_store_printer_create(store, &p, &op, &err), UP_CONFLICT);

  /* A new printer with an operation id already used: the printer is rolled back. */
  ck_assert_int_eq(up_store_operation_list(store, TENANT_A, &ops, &err), UP_OK);
  ck_assert_uint_eq(ops.count, 1);
  make_printer(&p, TENANT_A, PRINTER_2, T0, false);
  make_operation(&op, TENANT_A, ops.items[0].id, PRINTER_2, T0);
  ck_assert_int_eq(up_store_printer_create(store, &p, &op, &err), UP_CONFLICT);
  up_operation_list_fini(&ops);

  /* A printer without its required display name fails in the database. */
  make_printer(&p, TENANT_A, PRINTER_3, T0, false);
  p.display_name = NULL;
  make_operation(&op, TENANT_A, OP_1, PRINTER_3, T0);
  ck_assert_int_eq(up_store_printer_create(store, &p, &op, &err), UP_DB);

  ck_assert_int_eq(up_store_printer_list(store, TENANT_A, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  ck_assert_str_eq(list.items[0].id, PRINTER_1);
  up_printer_list_fini(&list);
  ck_assert_int_eq(up_store_operation_list(store, TENANT_A, &ops, &err), UP_OK);
  ck_assert_uint_eq(ops.count, 1);
  up_operation_list_fini(&ops);

  /* The store is usable after the failures (no transaction left open). */
  add_printer(TENANT_A, PRINTER_2, T0);
}
END_TEST

START_TEST(test_printer_list_order)
{
  up_printer_list_t list;
  up_error_t err = {0};

  /* registered_at first, id breaks ties; created out of order. */
  add_printer(TENANT_A, PRINTER_3, T0 + 20);
  add_printer(TENANT_A, PRINTER_4, T0 + 10);
  add_printer(TENANT_B, PRINTER_1, T0);
  add_printer(TENANT_A, PRINTER_2, T0 + 10);
  add_share(TENANT_A, SHARE_1, PRINTER_4, T0);

  ck_assert_int_eq(up_store_printer_list(store, TENANT_A, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 3);
  ck_assert_str_eq(list.items[0].id, PRINTER_2);
  ck_assert_str_eq(list.items[1].id, PRINTER_4);
  ck_assert_str_eq(list.items[2].id, PRINTER_3);
  ck_assert(!list.items[0].is_shared);
  ck_assert(list.items[1].is_shared);
  ck_assert_str_eq(list.items[1].share_id, SHARE_1);
  ck_assert_pstr_eq(list.items[2].model, "Laser 9000");
  up_printer_list_fini(&list);

  ck_assert_int_eq(up_store_printer_list(store, MISSING, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  ck_assert_ptr_null(list.items);
  up_printer_list_fini(&list);
}
END_TEST

START_TEST(test_printer_list_many)
{
  up_printer_list_t list;
  up_error_t err = {0};
  char id[UP_ID_SIZE];

  /* Enough rows to grow the array several times. */
  for (int i = 0; i < 40; i++) {
    snprintf(id, sizeof(id), "10000000-0000-4000-8000-%012d", 100 - i);
    add_printer(TENANT_A, id, T0);
  }
  ck_assert_int_eq(up_store_printer_list(store, TENANT_A, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 40);
  for (size_t i = 1; i < list.count; i++)
    ck_assert_int_lt(strcmp(list.items[i - 1].id, list.items[i].id), 0);
  up_printer_list_fini(&list);
}
END_TEST

START_TEST(test_printer_update)
{
  up_printer_t p, got;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);

  /* Everything changes, several members to NULL; registered_at is not written. */
  make_printer(&p, TENANT_A, PRINTER_1, T0 + 999, false);
  p.display_name = "Renamed";
  p.model = "Laser 9001";
  p.is_accepting_jobs = 0;
  p.has_physical_device = false;
  p.last_seen_at = T0 + 5;
  p.status_json = "{\"state\":\"stopped\"}";
  p.capabilities_json = "{}";
  ck_assert_int_eq(up_store_printer_update(store, &p, &err), UP_OK);

  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &got, &err), UP_OK);
  p.registered_at = T0;
  assert_printer_stored_eq(&got, &p);
  ck_assert(got.is_shared);
  ck_assert_str_eq(got.share_id, SHARE_1);
  up_printer_fini(&got);

  /* Back to every member set. */
  make_printer(&p, TENANT_A, PRINTER_1, T0, true);
  ck_assert_int_eq(up_store_printer_update(store, &p, &err), UP_OK);
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &got, &err), UP_OK);
  assert_printer_stored_eq(&got, &p);
  up_printer_fini(&got);

  make_printer(&p, TENANT_A, MISSING, T0, true);
  ck_assert_int_eq(up_store_printer_update(store, &p, &err), UP_NOT_FOUND);
}
END_TEST

START_TEST(test_printer_delete_cascades)
{
  up_printer_t p;
  up_operation_t op;
  up_share_t s;
  up_share_list_t shares;
  up_error_t err = {0};

  make_printer(&p, TENANT_A, PRINTER_1, T0, true);
  make_operation(&op, TENANT_A, OP_1, PRINTER_1, T0);
  ck_assert_int_eq(up_store_printer_create(store, &p, &op, &err), UP_OK);
  add_printer(TENANT_A, PRINTER_2, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
  add_share(TENANT_A, SHARE_2, PRINTER_2, T0);

  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &p, &err), UP_NOT_FOUND);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &s, &err), UP_NOT_FOUND);
  ck_assert_int_eq(up_store_share_list(store, TENANT_A, NULL, &shares, &err), UP_OK);
  ck_assert_uint_eq(shares.count, 1);
  ck_assert_str_eq(shares.items[0].id, SHARE_2);
  up_share_list_fini(&shares);

  /* The operation stays, without its printer. */
  ck_assert_int_eq(up_store_operation_get(store, TENANT_A, OP_1, &op, &err), UP_OK);
  ck_assert_str_eq(op.printer_id, "");
  ck_assert_int_eq(op.state, UP_OPERATION_SUCCEEDED);
  up_operation_fini(&op);

  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  assert_printer_share(TENANT_A, PRINTER_2, SHARE_2);
}
END_TEST

START_TEST(test_operation_get_list)
{
  static const struct {
    const char *id, *printer;
    up_time_t at;
    up_operation_state_t state;
    bool nulls;
  } ops[] = {
      {"30000000-0000-4000-8000-000000000003", PRINTER_1, T0 + 2, UP_OPERATION_NOT_STARTED, true},
      {"30000000-0000-4000-8000-000000000002", PRINTER_2, T0 + 1, UP_OPERATION_RUNNING, false},
      {"30000000-0000-4000-8000-000000000001", PRINTER_3, T0 + 2, UP_OPERATION_FAILED, true},
      {"30000000-0000-4000-8000-000000000004", PRINTER_4, T0, UP_OPERATION_SUCCEEDED, false},
  };
  static const size_t order[] = {3, 1, 2, 0}; /* created_at, then id */
  up_operation_t want[4], got;
  up_operation_list_t list;
  up_printer_t p;
  up_error_t err = {0};

  for (size_t i = 0; i < 4; i++) {
    make_printer(&p, TENANT_A, ops[i].printer, T0, false);
    make_operation(&want[i], TENANT_A, ops[i].id, ops[i].printer, ops[i].at);
    want[i].state = ops[i].state;
    if (ops[i].nulls) {
      want[i].description = NULL;
      want[i].certificate = NULL;
    }
    ck_assert_int_eq(up_store_printer_create(store, &p, &want[i], &err), UP_OK);
  }

  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(up_store_operation_get(store, TENANT_A, ops[i].id, &got, &err), UP_OK);
    assert_operation_eq(&got, &want[i]);
    up_operation_fini(&got);
  }
  ck_assert_int_eq(up_store_operation_get(store, TENANT_A, MISSING, &got, &err), UP_NOT_FOUND);
  up_operation_fini(&got);

  ck_assert_int_eq(up_store_operation_list(store, TENANT_A, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 4);
  for (size_t i = 0; i < 4; i++)
    assert_operation_eq(&list.items[i], &want[order[i]]);
  up_operation_list_fini(&list);

  /* An invalid state is refused before the database. */
  make_printer(&p, TENANT_A, MISSING, T0, false);
  make_operation(&got, TENANT_A, OP_1, MISSING, T0);
  got.state = (up_operation_state_t)42;
  ck_assert_int_eq(up_store_printer_create(store, &p, &got, &err), UP_INTERNAL);
}
END_TEST

/* --- shares --- */

START_TEST(test_share_create_get)
{
  up_share_t s, got;
  up_printer_t p;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);
  make_share(&s, TENANT_A, SHARE_1, PRINTER_1, T0 + 7);
  s.printer.display_name = "ignored on write";
  ck_assert_int_eq(up_store_share_create(store, &s, &err), UP_OK);

  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &got, &err), UP_OK);
  ck_assert_str_eq(got.id, SHARE_1);
  ck_assert_str_eq(got.tenant_id, TENANT_A);
  ck_assert_str_eq(got.printer_id, PRINTER_1);
  ck_assert_pstr_eq(got.display_name, "Shared printer");
  ck_assert(got.allow_all_users);
  ck_assert_int_eq(got.created_at, T0 + 7);
  /* The joined printer, with its derived members. */
  make_printer(&p, TENANT_A, PRINTER_1, T0, true);
  assert_printer_stored_eq(&got.printer, &p);
  ck_assert(got.printer.is_shared);
  ck_assert_str_eq(got.printer.share_id, SHARE_1);
  up_share_fini(&got);

  assert_printer_share(TENANT_A, PRINTER_1, SHARE_1);

  /* NULL display name and allow_all_users false round-trip too. */
  add_printer(TENANT_A, PRINTER_2, T0);
  make_share(&s, TENANT_A, SHARE_2, PRINTER_2, T0);
  s.display_name = NULL;
  s.allow_all_users = false;
  ck_assert_int_eq(up_store_share_create(store, &s, &err), UP_OK);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_2, &got, &err), UP_OK);
  ck_assert_ptr_null(got.display_name);
  ck_assert(!got.allow_all_users);
  up_share_fini(&got);

  memset(&got, 0x5a, sizeof(got));
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, MISSING, &got, &err), UP_NOT_FOUND);
  ck_assert_ptr_null(got.printer.display_name);
  up_share_fini(&got);
}
END_TEST

static const struct {
  const char *name, *tenant, *id, *printer_id;
  up_status_t want;
} share_create_cases[] = {
    {"second share of a printer", TENANT_A, SHARE_2, PRINTER_1, UP_CONFLICT},
    {"share id already used", TENANT_A, SHARE_1, PRINTER_2, UP_CONFLICT},
    {"missing printer", TENANT_A, SHARE_2, MISSING, UP_NOT_FOUND},
    {"printer of another tenant", TENANT_A, SHARE_2, PRINTER_3, UP_NOT_FOUND},
    {"other tenant, shared printer", TENANT_B, SHARE_2, PRINTER_1, UP_NOT_FOUND},
    {"empty printer id", TENANT_A, SHARE_2, "", UP_NOT_FOUND},
    {"free printer", TENANT_A, SHARE_2, PRINTER_2, UP_OK},
};

START_TEST(test_share_create_cases)
{
  up_share_t s;
  up_share_list_t list;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);
  add_printer(TENANT_A, PRINTER_2, T0);
  add_printer(TENANT_B, PRINTER_3, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);

  make_share(&s, share_create_cases[_i].tenant, share_create_cases[_i].id,
             share_create_cases[_i].printer_id, T0);
  ck_assert_msg(up_store_share_create(store, &s, &err) == share_create_cases[_i].want, "%s: %s",
                share_create_cases[_i].name, err.message);
  if (share_create_cases[_i].want != UP_OK)
    ck_assert_int_eq(err.status, share_create_cases[_i].want);

  /* Failures change nothing. */
  ck_assert_int_eq(up_store_share_list(store, TENANT_A, NULL, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, share_create_cases[_i].want == UP_OK ? 2 : 1);
  up_share_list_fini(&list);
  assert_printer_share(TENANT_A, PRINTER_1, SHARE_1);
}
END_TEST

START_TEST(test_share_update)
{
  up_share_t s, got;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);
  add_printer(TENANT_A, PRINTER_2, T0);
  add_printer(TENANT_A, PRINTER_3, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
  add_share(TENANT_A, SHARE_2, PRINTER_3, T0);

  /* Same printer, new name and flag. */
  make_share(&s, TENANT_A, SHARE_1, PRINTER_1, T0 + 100);
  s.display_name = "Renamed share";
  s.allow_all_users = false;
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_OK);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &got, &err), UP_OK);
  ck_assert_pstr_eq(got.display_name, "Renamed share");
  ck_assert(!got.allow_all_users);
  ck_assert_int_eq(got.created_at, T0); /* not written */
  up_share_fini(&got);

  /* Moved to the free printer 2: printer 1 is no longer shared. */
  make_share(&s, TENANT_A, SHARE_1, PRINTER_2, T0);
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_OK);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &got, &err), UP_OK);
  ck_assert_str_eq(got.printer_id, PRINTER_2);
  ck_assert_str_eq(got.printer.id, PRINTER_2);
  up_share_fini(&got);
  assert_printer_share(TENANT_A, PRINTER_1, "");
  assert_printer_share(TENANT_A, PRINTER_2, SHARE_1);

  /* Onto printer 3, which has share 2: conflict, nothing changes. */
  make_share(&s, TENANT_A, SHARE_1, PRINTER_3, T0);
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_CONFLICT);
  ck_assert_int_eq(err.status, UP_CONFLICT);
  assert_printer_share(TENANT_A, PRINTER_2, SHARE_1);
  assert_printer_share(TENANT_A, PRINTER_3, SHARE_2);

  /* Swap: share 2 to the now free printer 1, then share 1 to printer 3. */
  make_share(&s, TENANT_A, SHARE_2, PRINTER_1, T0);
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_OK);
  make_share(&s, TENANT_A, SHARE_1, PRINTER_3, T0);
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_OK);
  assert_printer_share(TENANT_A, PRINTER_1, SHARE_2);
  assert_printer_share(TENANT_A, PRINTER_2, "");
  assert_printer_share(TENANT_A, PRINTER_3, SHARE_1);

  /* Missing share, missing printer. */
  make_share(&s, TENANT_A, MISSING, PRINTER_2, T0);
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_NOT_FOUND);
  make_share(&s, TENANT_A, SHARE_1, MISSING, T0);
  ck_assert_int_eq(up_store_share_update(store, &s, &err), UP_NOT_FOUND);
  assert_printer_share(TENANT_A, PRINTER_3, SHARE_1);
}
END_TEST

START_TEST(test_share_list)
{
  up_share_list_t list;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);
  add_printer(TENANT_A, PRINTER_2, T0);
  add_printer(TENANT_A, PRINTER_3, T0);
  add_printer(TENANT_B, PRINTER_4, T0);
  add_share(TENANT_A, SHARE_3, PRINTER_1, T0 + 1);
  add_share(TENANT_A, SHARE_2, PRINTER_2, T0 + 2);
  add_share(TENANT_A, SHARE_1, PRINTER_3, T0 + 1);
  add_share(TENANT_B, "20000000-0000-4000-8000-000000000009", PRINTER_4, T0);

  ck_assert_int_eq(up_store_share_list(store, TENANT_A, NULL, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 3);
  ck_assert_str_eq(list.items[0].id, SHARE_1);
  ck_assert_str_eq(list.items[1].id, SHARE_3);
  ck_assert_str_eq(list.items[2].id, SHARE_2);
  for (size_t i = 0; i < list.count; i++) {
    ck_assert_str_eq(list.items[i].printer.id, list.items[i].printer_id);
    ck_assert(list.items[i].printer.is_shared);
    ck_assert_str_eq(list.items[i].printer.share_id, list.items[i].id);
    ck_assert_pstr_eq(list.items[i].printer.manufacturer, "Contoso");
  }
  up_share_list_fini(&list);

  ck_assert_int_eq(up_store_share_list(store, TENANT_A, PRINTER_2, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  ck_assert_str_eq(list.items[0].id, SHARE_2);
  up_share_list_fini(&list);

  ck_assert_int_eq(up_store_share_list(store, TENANT_A, MISSING, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_share_list_fini(&list);
}
END_TEST

START_TEST(test_share_delete)
{
  up_share_t got;
  up_error_t err = {0};

  add_printer(TENANT_A, PRINTER_1, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
  ck_assert_int_eq(up_store_share_delete(store, TENANT_A, SHARE_1, &err), UP_OK);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &got, &err), UP_NOT_FOUND);
  up_share_fini(&got);
  assert_printer_share(TENANT_A, PRINTER_1, "");
  ck_assert_int_eq(up_store_share_delete(store, TENANT_A, SHARE_1, &err), UP_NOT_FOUND);
  ck_assert_int_eq(err.status, UP_NOT_FOUND);
  /* The printer can be shared again. */
  add_share(TENANT_A, SHARE_2, PRINTER_1, T0);
  assert_printer_share(TENANT_A, PRINTER_1, SHARE_2);
}
END_TEST

/* --- tenancy: tenant B sees none of tenant A's objects --- */

/* Tenant A has printer 1 (operation OP_1) shared as share 1, and free printer 2; tenant B has
 * printer 3. Each case acts as tenant B on tenant A's objects. */
static void tenancy_fixture(void)
{
  up_printer_t p;
  up_operation_t op;
  up_error_t err = {0};

  make_printer(&p, TENANT_A, PRINTER_1, T0, true);
  make_operation(&op, TENANT_A, OP_1, PRINTER_1, T0);
  ck_assert_int_eq(up_store_printer_create(store, &p, &op, &err), UP_OK);
  add_printer(TENANT_A, PRINTER_2, T0);
  add_printer(TENANT_B, PRINTER_3, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
}

static up_status_t as_b_printer_get(up_error_t *err)
{
  up_printer_t p;
  up_status_t st = up_store_printer_get(store, TENANT_B, PRINTER_1, &p, err);
  up_printer_fini(&p);
  return st;
}

static up_status_t as_b_printer_update(up_error_t *err)
{
  up_printer_t p;
  make_printer(&p, TENANT_B, PRINTER_1, T0, false);
  return up_store_printer_update(store, &p, err);
}

static up_status_t as_b_printer_delete(up_error_t *err)
{
  return up_store_printer_delete(store, TENANT_B, PRINTER_1, err);
}

static up_status_t as_b_operation_get(up_error_t *err)
{
  up_operation_t op;
  up_status_t st = up_store_operation_get(store, TENANT_B, OP_1, &op, err);
  up_operation_fini(&op);
  return st;
}

static up_status_t as_b_share_get(up_error_t *err)
{
  up_share_t s;
  up_status_t st = up_store_share_get(store, TENANT_B, SHARE_1, &s, err);
  up_share_fini(&s);
  return st;
}

static up_status_t as_b_share_create_on_a_printer(up_error_t *err)
{
  up_share_t s;
  make_share(&s, TENANT_B, SHARE_2, PRINTER_2, T0);
  return up_store_share_create(store, &s, err);
}

static up_status_t as_b_share_update(up_error_t *err)
{
  up_share_t s;
  make_share(&s, TENANT_B, SHARE_1, PRINTER_3, T0);
  return up_store_share_update(store, &s, err);
}

static up_status_t as_a_share_update_to_b_printer(up_error_t *err)
{
  up_share_t s;
  make_share(&s, TENANT_A, SHARE_1, PRINTER_3, T0);
  return up_store_share_update(store, &s, err);
}

static up_status_t as_b_share_delete(up_error_t *err)
{
  return up_store_share_delete(store, TENANT_B, SHARE_1, err);
}

/* Lists answer "nothing" rather than UP_NOT_FOUND: mapped here to UP_NOT_FOUND when empty. */
static up_status_t as_b_printer_list(up_error_t *err)
{
  up_printer_list_t l;
  up_status_t st = up_store_printer_list(store, TENANT_B, &l, err);
  bool only_own = st == UP_OK && l.count == 1 && strcmp(l.items[0].id, PRINTER_3) == 0;
  up_printer_list_fini(&l);
  return st != UP_OK ? st : only_own ? UP_NOT_FOUND : UP_OK;
}

static up_status_t as_b_operation_list(up_error_t *err)
{
  up_operation_list_t l;
  up_status_t st = up_store_operation_list(store, TENANT_B, &l, err);
  bool only_own = st == UP_OK && l.count == 1 && strcmp(l.items[0].printer_id, PRINTER_3) == 0;
  up_operation_list_fini(&l);
  return st != UP_OK ? st : only_own ? UP_NOT_FOUND : UP_OK;
}

static up_status_t as_b_share_list(up_error_t *err)
{
  up_share_list_t l;
  up_status_t st = up_store_share_list(store, TENANT_B, NULL, &l, err);
  size_t n = l.count;
  up_share_list_fini(&l);
  if (st == UP_OK)
    st = up_store_share_list(store, TENANT_B, PRINTER_1, &l, err);
  n += l.count;
  up_share_list_fini(&l);
  return st != UP_OK ? st : n == 0 ? UP_NOT_FOUND : UP_OK;
}

static const struct {
  const char *name;
  up_status_t (*run)(up_error_t *err);
} tenancy_cases[] = {
    {"printer get", as_b_printer_get},
    {"printer update", as_b_printer_update},
    {"printer delete", as_b_printer_delete},
    {"printer list", as_b_printer_list},
    {"operation get", as_b_operation_get},
    {"operation list", as_b_operation_list},
    {"share get", as_b_share_get},
    {"share create on A's printer", as_b_share_create_on_a_printer},
    {"share update", as_b_share_update},
    {"share update onto B's printer", as_a_share_update_to_b_printer},
    {"share delete", as_b_share_delete},
    {"share list", as_b_share_list},
};

START_TEST(test_tenant_isolation)
{
  up_error_t err = {0};
  up_printer_t p, want;
  up_share_t s;

  tenancy_fixture();
  ck_assert_msg(tenancy_cases[_i].run(&err) == UP_NOT_FOUND, "%s: %s", tenancy_cases[_i].name,
                err.message);

  /* Tenant A's objects are untouched. */
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &p, &err), UP_OK);
  make_printer(&want, TENANT_A, PRINTER_1, T0, true);
  assert_printer_stored_eq(&p, &want);
  ck_assert_str_eq(p.share_id, SHARE_1);
  up_printer_fini(&p);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &s, &err), UP_OK);
  ck_assert_str_eq(s.printer_id, PRINTER_1);
  ck_assert_pstr_eq(s.display_name, "Shared printer");
  up_share_fini(&s);
  assert_printer_share(TENANT_A, PRINTER_2, "");
}
END_TEST

/* --- persistence and threads --- */

START_TEST(test_survives_reopen)
{
  up_printer_t p, want;
  up_operation_t op, want_op;
  up_share_t s;
  up_error_t err = {0};

  make_printer(&want, TENANT_A, PRINTER_1, T0, true);
  make_operation(&want_op, TENANT_A, OP_1, PRINTER_1, T0);
  ck_assert_int_eq(up_store_printer_create(store, &want, &want_op, &err), UP_OK);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
  reopen();

  ck_assert_int_eq(up_store_schema_version(store), up_store_schema_latest());
  ck_assert_int_eq(up_store_printer_get(store, TENANT_A, PRINTER_1, &p, &err), UP_OK);
  assert_printer_stored_eq(&p, &want);
  ck_assert_str_eq(p.share_id, SHARE_1);
  up_printer_fini(&p);
  ck_assert_int_eq(up_store_operation_get(store, TENANT_A, OP_1, &op, &err), UP_OK);
  assert_operation_eq(&op, &want_op);
  up_operation_fini(&op);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &s, &err), UP_OK);
  ck_assert_str_eq(s.printer.id, PRINTER_1);
  up_share_fini(&s);

  /* Foreign keys are on again after reopening: the cascade still works. */
  ck_assert_int_eq(up_store_printer_delete(store, TENANT_A, PRINTER_1, &err), UP_OK);
  ck_assert_int_eq(up_store_share_get(store, TENANT_A, SHARE_1, &s, &err), UP_NOT_FOUND);
  up_share_fini(&s);
}
END_TEST

#define THREADS    4
#define PER_THREAD 25

static void *create_many(void *arg)
{
  int t = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    up_printer_t p, got;
    up_operation_t op;
    up_error_t err = {0};
    char id[UP_ID_SIZE], op_id[UP_ID_SIZE];
    up_uuid_new(id);
    up_uuid_new(op_id);
    make_printer(&p, TENANT_A, id, T0 + t, i % 2 == 0);
    make_operation(&op, TENANT_A, op_id, id, T0);
    if (up_store_printer_create(store, &p, &op, &err) != UP_OK ||
        up_store_printer_get(store, TENANT_A, id, &got, &err) != UP_OK)
      return (void *)1;
    up_printer_fini(&got);
  }
  return NULL;
}

START_TEST(test_threads)
{
  pthread_t th[THREADS];
  up_printer_list_t list;
  up_error_t err = {0};

  for (int t = 0; t < THREADS; t++)
    ck_assert_int_eq(pthread_create(&th[t], NULL, create_many, (void *)(intptr_t)t), 0);
  for (int t = 0; t < THREADS; t++) {
    void *ret = (void *)1;
    ck_assert_int_eq(pthread_join(th[t], &ret), 0);
    ck_assert_ptr_null(ret);
  }
  ck_assert_int_eq(up_store_printer_list(store, TENANT_A, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, THREADS * PER_THREAD);
  up_printer_list_fini(&list);
}
END_TEST

#define USER_1  "40000000-0000-4000-8000-000000000001"
#define USER_2  "40000000-0000-4000-8000-000000000002"
#define GROUP_1 "50000000-0000-4000-8000-000000000001"

START_TEST(test_share_members)
{
  up_error_t err = {0};
  up_member_list_t list;
  bool has = true;
  add_printer(TENANT_A, PRINTER_1, T0);
  add_printer(TENANT_A, PRINTER_2, T0);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
  add_share(TENANT_A, SHARE_2, PRINTER_2, T0);
  /* Users and groups are separate lists, in the order added; a second add is a conflict. */
  ck_assert_int_eq(
      up_store_share_member_add(store, TENANT_A, SHARE_1, UP_MEMBER_USER, USER_2, &err), UP_OK);
  ck_assert_int_eq(
      up_store_share_member_add(store, TENANT_A, SHARE_1, UP_MEMBER_USER, USER_1, &err), UP_OK);
  ck_assert_int_eq(
      up_store_share_member_add(store, TENANT_A, SHARE_1, UP_MEMBER_GROUP, GROUP_1, &err), UP_OK);
  ck_assert_int_eq(
      up_store_share_member_add(store, TENANT_A, SHARE_1, UP_MEMBER_USER, USER_1, &err),
      UP_CONFLICT);
  ck_assert_int_eq(
      up_store_share_member_list(store, TENANT_A, SHARE_1, UP_MEMBER_USER, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 2);
  ck_assert_str_eq(list.items[0].id, USER_2);
  ck_assert_str_eq(list.items[1].id, USER_1);
  up_member_list_fini(&list);
  ck_assert_int_eq(
      up_store_share_member_list(store, TENANT_A, SHARE_1, UP_MEMBER_GROUP, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 1);
  up_member_list_fini(&list);
  ck_assert_int_eq(
      up_store_share_member_has(store, TENANT_A, SHARE_1, UP_MEMBER_USER, USER_1, &has, &err),
      UP_OK);
  ck_assert(has);
  ck_assert_int_eq(
      up_store_share_member_has(store, TENANT_A, SHARE_1, UP_MEMBER_GROUP, USER_1, &has, &err),
      UP_OK);
  ck_assert(!has);
  ck_assert_int_eq(
      up_store_share_member_has(store, TENANT_A, SHARE_2, UP_MEMBER_USER, USER_1, &has, &err),
      UP_OK);
  ck_assert(!has);
  /* Another tenant neither sees nor changes them; an unknown share is not found. */
  ck_assert_int_eq(
      up_store_share_member_has(store, TENANT_B, SHARE_1, UP_MEMBER_USER, USER_1, &has, &err),
      UP_OK);
  ck_assert(!has);
  ck_assert_int_eq(
      up_store_share_member_add(store, TENANT_B, SHARE_1, UP_MEMBER_USER, USER_1, &err),
      UP_NOT_FOUND);
  ck_assert_int_eq(
      up_store_share_member_remove(store, TENANT_B, SHARE_1, UP_MEMBER_USER, USER_1, &err),
      UP_NOT_FOUND);
  ck_assert_int_eq(
      up_store_share_member_list(store, TENANT_B, SHARE_1, UP_MEMBER_USER, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_member_list_fini(&list);
  ck_assert_int_eq(
      up_store_share_member_add(store, TENANT_A, MISSING, UP_MEMBER_USER, USER_1, &err),
      UP_NOT_FOUND);
  /* Removal, then gone with the share. */
  ck_assert_int_eq(
      up_store_share_member_remove(store, TENANT_A, SHARE_1, UP_MEMBER_USER, USER_2, &err), UP_OK);
  ck_assert_int_eq(
      up_store_share_member_remove(store, TENANT_A, SHARE_1, UP_MEMBER_USER, USER_2, &err),
      UP_NOT_FOUND);
  ck_assert_int_eq(up_store_share_delete(store, TENANT_A, SHARE_1, &err), UP_OK);
  add_share(TENANT_A, SHARE_1, PRINTER_1, T0);
  ck_assert_int_eq(
      up_store_share_member_list(store, TENANT_A, SHARE_1, UP_MEMBER_USER, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 0);
  up_member_list_fini(&list);
}
END_TEST

/* Checkpoints run beside the requests: with SQLite's automatic checkpoint off, the database
 * file still receives the WAL's pages, from the checkpointer's own connection. */
START_TEST(test_checkpoints_off_the_request_path)
{
  struct stat before, after;
  char id[UP_ID_SIZE];
  ck_assert_int_eq(stat(db_path, &before), 0);
  for (int i = 0; i < 2000; i++) {
    snprintf(id, sizeof(id), "10000000-0000-4000-8000-%012d", 100000 + i);
    add_printer(TENANT_A, id, T0 + i);
  }
  /* Within a few checkpoint intervals the pages are in the database file. */
  for (int waited = 0; waited < 5000; waited += 50) {
    ck_assert_int_eq(stat(db_path, &after), 0);
    if (up_store_checkpoints(store) > 0 && after.st_size > before.st_size + 1024 * 1024)
      break;
    usleep(50 * 1000);
  }
  ck_assert_uint_gt(up_store_checkpoints(store), 0);
  ck_assert_int_gt(after.st_size, before.st_size + 1024 * 1024);
  /* And everything is there after a reopen. */
  reopen();
  up_printer_list_t list;
  up_error_t err = {0};
  ck_assert_int_eq(up_store_printer_list(store, TENANT_A, &list, &err), UP_OK);
  ck_assert_uint_eq(list.count, 2000);
  up_printer_list_fini(&list);
}
END_TEST

/* up_store_sync: one fsync covers every commit made before it; without new commits, none. */
typedef struct sync_arg {
  int n;
  up_status_t st;
} sync_arg_t;

static void *commit_and_sync(void *p)
{
  sync_arg_t *a = p;
  char id[UP_ID_SIZE];
  up_error_t err = {0};
  snprintf(id, sizeof(id), "10000000-0000-4000-8000-%012d", 200000 + a->n);
  add_printer(TENANT_A, id, T0 + a->n);
  a->st = up_store_sync(store, &err);
  return NULL;
}

START_TEST(test_group_commit)
{
  up_error_t err = {0};
  unsigned long before = up_store_fsyncs(store);
  add_printer(TENANT_A, PRINTER_1, T0);
  ck_assert_int_eq(up_store_sync(store, &err), UP_OK);
  ck_assert_uint_eq(up_store_fsyncs(store), before + 1);
  ck_assert_int_eq(up_store_sync(store, &err), UP_OK); /* nothing new: no fsync */
  ck_assert_uint_eq(up_store_fsyncs(store), before + 1);
  /* Sixteen writers at once: all durable, in at most sixteen fsyncs (usually far fewer). */
  pthread_t t[16];
  sync_arg_t a[16];
  for (int i = 0; i < 16; i++) {
    a[i].n = i;
    a[i].st = UP_INTERNAL;
    ck_assert_int_eq(pthread_create(&t[i], NULL, commit_and_sync, &a[i]), 0);
  }
  for (int i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(a[i].st, UP_OK);
  }
  ck_assert_uint_le(up_store_fsyncs(store), before + 1 + 16);
  ck_assert_uint_gt(up_store_fsyncs(store), before + 1);
}
END_TEST

/* Statements that may read a whole table or index: each runs at start, in housekeeping or for
 * /metrics, never per request. */
static const char *const full_scans_allowed[] = {
    "SELECT DISTINCT printer_id FROM jobs WHERE state = 'pending'",  /* devices, at start */
    "WHERE j.state IN ('processing', 'stopped')",                    /* devices, at start */
    "SELECT state, count(*) FROM jobs",                              /* /metrics */
    "SELECT printer_id, count(*) FROM jobs WHERE state = 'pending'", /* /metrics */
    "FROM uploads ORDER BY id",                                      /* recovery at start */
    "SELECT count(*) FROM uploads WHERE expires_at",                 /* /metrics */
    NULL};

static void check_plan(void *ctx, const char *sql, const char *plan)
{
  int *n = ctx;
  (*n)++;
  for (const char *const *a = full_scans_allowed; *a; a++)
    if (strstr(sql, *a))
      return;
  /* A full scan of a table that grows with use, or a list built from one, per request. */
  static const char *const big[] = {"jobs", "documents", "uploads", "downloads", "tasks", NULL};
  for (const char *const *t = big; *t; t++) {
    char scan[64];
    snprintf(scan, sizeof(scan), "SCAN %s", *t);
    const char *p = strstr(plan, scan);
    bool whole = p && (p[strlen(scan)] == '\0' || p[strlen(scan)] == ';' || p[strlen(scan)] == ' ');
    char alias[64];
    snprintf(alias, sizeof(alias), "SCAN %c ", (*t)[0]);
    ck_assert_msg(!whole && !strstr(plan, alias), "full scan in \"%s\": %s", sql, plan);
  }
  ck_assert_msg(!strstr(plan, "LIST SUBQUERY"), "a list built per call in \"%s\": %s", sql, plan);
  /* Every job a user ever created: only the quota's count (bounded by its LIMIT) may read them. */
  if (strstr(plan, "jobs_creator"))
    ck_assert_msg(strstr(sql, "created_at >= ?3"), "all of a user's jobs read in \"%s\": %s", sql,
                  plan);
}

/* No statement of the registry reads a whole growing table (the plans of an empty store:
 * SQLite's choice of index does not depend on the data without ANALYZE). */
START_TEST(test_no_full_scans)
{
  up_error_t err = {0};
  int n = 0;
  ck_assert_int_eq(up_store_plans(store, check_plan, &n, &err), UP_OK);
  ck_assert_int_gt(n, 60);
}
END_TEST

static Suite *store_suite(void)
{
  Suite *s = suite_create("store");
  TCase *tc;

  tc = tcase_create("open");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_open_fresh);
  tcase_add_test(tc, test_open_reopen_noop);
  tcase_add_test(tc, test_open_newer_refused);
  tcase_add_test(tc, test_survives_reopen);
  tcase_add_test(tc, test_no_full_scans);
  suite_add_tcase(s, tc);

  tc = tcase_create("migrations");
  tcase_add_checked_fixture(tc, setup_dir, teardown);
  tcase_add_test(tc, test_open_not_a_database);
  tcase_add_test(tc, test_open_missing_directory);
  tcase_add_test(tc, test_open_in_memory);
  tcase_add_loop_test(tc, test_migration_number, 0,
                      sizeof(migration_names) / sizeof(migration_names[0]));
  tcase_add_loop_test(tc, test_migrations_check, 0,
                      sizeof(migration_sets) / sizeof(migration_sets[0]));
  tcase_add_test(tc, test_migrations_bad_set_refused);
  tcase_add_test(tc, test_migrations_stepwise_and_rollback);
  suite_add_tcase(s, tc);

  tc = tcase_create("printers");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_loop_test(tc, test_printer_roundtrip, 0,
                      sizeof(printer_variants) / sizeof(printer_variants[0]));
  tcase_add_test(tc, test_printer_get_missing);
  tcase_add_test(tc, test_printer_create_atomic);
  tcase_add_test(tc, test_printer_list_order);
  tcase_add_test(tc, test_printer_list_many);
  tcase_add_test(tc, test_printer_update);
  tcase_add_test(tc, test_printer_delete_cascades);
  tcase_add_test(tc, test_checkpoints_off_the_request_path);
  tcase_add_test(tc, test_group_commit);
  tcase_add_test(tc, test_operation_get_list);
  suite_add_tcase(s, tc);

  tc = tcase_create("shares");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_test(tc, test_share_create_get);
  tcase_add_loop_test(tc, test_share_create_cases, 0,
                      sizeof(share_create_cases) / sizeof(share_create_cases[0]));
  tcase_add_test(tc, test_share_update);
  tcase_add_test(tc, test_share_list);
  tcase_add_test(tc, test_share_delete);
  tcase_add_test(tc, test_share_members);
  suite_add_tcase(s, tc);

  tc = tcase_create("tenancy");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_add_loop_test(tc, test_tenant_isolation, 0,
                      sizeof(tenancy_cases) / sizeof(tenancy_cases[0]));
  suite_add_tcase(s, tc);

  tc = tcase_create("threads");
  tcase_add_checked_fixture(tc, setup_store, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_threads);
  suite_add_tcase(s, tc);

  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(store_suite());
  int failed;

  up_log_set_level(UP_LOG_WARN);

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
