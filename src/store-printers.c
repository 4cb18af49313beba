/* store-printers.c - printers, printer-create operations and printer shares in SQLite.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"

#include "uprintd/util.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The stored printer columns, in read_printer's order (PRINTER_NCOLS of them). */
#define PRINTER_COLS                                                                               \
  "p.id, p.tenant_id, p.display_name, p.manufacturer, p.model, p.is_accepting_jobs, "              \
  "p.has_physical_device, p.physical_device_id, p.connector_id, p.registered_by_app, "             \
  "p.registered_by_user, p.registered_at, p.last_seen_at, p.status_json, p.location_json, "        \
  "p.defaults_json, p.factory_defaults_json, p.capabilities_json"
#define PRINTER_NCOLS 18

/* The share columns, in read_share's order (SHARE_NCOLS of them), followed by the printer's. */
#define SHARE_COLS                                                                                 \
  "s.id, s.tenant_id, s.printer_id, s.display_name, s.allow_all_users, s.created_at"
#define SHARE_NCOLS 6

#define OPERATION_COLS "id, tenant_id, created_at, state, description, printer_id, certificate"

const char *const up_store_printers_sql[UP_STMT_COUNT] = {
    /* ?1..?18 are bound by bind_printer, in PRINTER_COLS order. */
    [UP_STMT_PRINTER_INSERT] =
        "INSERT INTO printers (id, tenant_id, display_name, manufacturer, model, "
        "is_accepting_jobs, has_physical_device, physical_device_id, connector_id, "
        "registered_by_app, registered_by_user, registered_at, last_seen_at, status_json, "
        "location_json, defaults_json, factory_defaults_json, capabilities_json) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    /* The share's id (column PRINTER_NCOLS) gives is_shared and share_id. */
    [UP_STMT_PRINTER_GET] = "SELECT " PRINTER_COLS ", s.id FROM printers p "
                            "LEFT JOIN shares s ON s.printer_id = p.id "
                            "WHERE p.tenant_id = ?1 AND p.id = ?2",
    [UP_STMT_PRINTER_LIST] = "SELECT " PRINTER_COLS ", s.id FROM printers p "
                             "LEFT JOIN shares s ON s.printer_id = p.id "
                             "WHERE p.tenant_id = ?1 ORDER BY p.registered_at, p.id",
    /* Same numbering as the insert; id, tenant_id select the row, ?12 (registered_at) unused. */
    [UP_STMT_PRINTER_UPDATE] =
        "UPDATE printers SET display_name = ?3, manufacturer = ?4, model = ?5, "
        "is_accepting_jobs = ?6, has_physical_device = ?7, physical_device_id = ?8, "
        "connector_id = ?9, registered_by_app = ?10, registered_by_user = ?11, "
        "last_seen_at = ?13, status_json = ?14, location_json = ?15, defaults_json = ?16, "
        "factory_defaults_json = ?17, capabilities_json = ?18 "
        "WHERE id = ?1 AND tenant_id = ?2",
    /* The foreign keys delete the printer's share and clear its operations' printer_id. */
    [UP_STMT_PRINTER_DELETE] = "DELETE FROM printers WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_PRINTER_EXISTS] = "SELECT 1 FROM printers WHERE tenant_id = ?1 AND id = ?2",

    [UP_STMT_OPERATION_INSERT] = "INSERT INTO operations (" OPERATION_COLS ") "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [UP_STMT_OPERATION_GET] = "SELECT " OPERATION_COLS " FROM operations "
                              "WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_OPERATION_LIST] = "SELECT " OPERATION_COLS " FROM operations "
                               "WHERE tenant_id = ?1 ORDER BY created_at, id",

    [UP_STMT_SHARE_INSERT] = "INSERT INTO shares (id, tenant_id, printer_id, display_name, "
                             "allow_all_users, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [UP_STMT_SHARE_GET] = "SELECT " SHARE_COLS ", " PRINTER_COLS " FROM shares s "
                          "JOIN printers p ON p.id = s.printer_id "
                          "WHERE s.tenant_id = ?1 AND s.id = ?2",
    /* ?2 NULL: every share of the tenant. */
    [UP_STMT_SHARE_LIST] = "SELECT " SHARE_COLS ", " PRINTER_COLS " FROM shares s "
                           "JOIN printers p ON p.id = s.printer_id "
                           "WHERE s.tenant_id = ?1 AND (?2 IS NULL OR s.printer_id = ?2) "
                           "ORDER BY s.created_at, s.id",
    [UP_STMT_SHARE_UPDATE] = "UPDATE shares SET printer_id = ?3, display_name = ?4, "
                             "allow_all_users = ?5 WHERE id = ?1 AND tenant_id = ?2",
    [UP_STMT_SHARE_DELETE] = "DELETE FROM shares WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_SHARE_EXISTS] = "SELECT 1 FROM shares WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_SHARE_OF_PRINTER] = "SELECT id FROM shares WHERE printer_id = ?1",
    /* The queue a job request names: the printer's id (and the share's allowAllUsers). */
    [UP_STMT_QUEUE_OF_PRINTER] = "SELECT id, 1 FROM printers WHERE tenant_id = ?1 AND id = ?2",
    [UP_STMT_QUEUE_OF_SHARE] = "SELECT printer_id, allow_all_users FROM shares "
                               "WHERE tenant_id = ?1 AND id = ?2",

};

/* printOperationProcessingState members, stored by name. */
static const char *const state_names[] = {
    [UP_OPERATION_NOT_STARTED] = "notStarted",
    [UP_OPERATION_RUNNING] = "running",
    [UP_OPERATION_SUCCEEDED] = "succeeded",
    [UP_OPERATION_FAILED] = "failed",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == UP_OPERATION_FAILED + 1,
               "a name for every up_operation_state_t");

/* --- binding: each helper does nothing once *rc is an error --- */

/* Binds a tri-state boolean; UP_BOOL_NULL binds SQL NULL. */
static void bind_bool_null(sqlite3_stmt *stmt, int i, int v, int *rc)
{
  if (*rc != SQLITE_OK)
    return;
  *rc = v == UP_BOOL_NULL ? sqlite3_bind_null(stmt, i) : sqlite3_bind_int(stmt, i, v ? 1 : 0);
}

/* Binds ?1..?18 of the printer insert and update. */
static void bind_printer(sqlite3_stmt *stmt, const up_printer_t *p, int *rc)
{
  up_store_bind_text(stmt, 1, p->id, rc);
  up_store_bind_text(stmt, 2, p->tenant_id, rc);
  up_store_bind_text(stmt, 3, p->display_name, rc);
  up_store_bind_text(stmt, 4, p->manufacturer, rc);
  up_store_bind_text(stmt, 5, p->model, rc);
  bind_bool_null(stmt, 6, p->is_accepting_jobs, rc);
  up_store_bind_int(stmt, 7, p->has_physical_device ? 1 : 0, rc);
  up_store_bind_text(stmt, 8, p->physical_device_id, rc);
  up_store_bind_text(stmt, 9, p->connector_id, rc);
  up_store_bind_text(stmt, 10, p->registered_by_app, rc);
  up_store_bind_text(stmt, 11, p->registered_by_user, rc);
  up_store_bind_time(stmt, 12, p->registered_at, rc);
  up_store_bind_time(stmt, 13, p->last_seen_at, rc);
  up_store_bind_text(stmt, 14, p->status_json, rc);
  up_store_bind_text(stmt, 15, p->location_json, rc);
  up_store_bind_text(stmt, 16, p->defaults_json, rc);
  up_store_bind_text(stmt, 17, p->factory_defaults_json, rc);
  up_store_bind_text(stmt, 18, p->capabilities_json, rc);
}

/* --- reading: each helper does nothing once *st is an error --- */

/* A tri-state boolean column; SQL NULL reads as UP_BOOL_NULL. */
static int col_bool_null(sqlite3_stmt *stmt, int col)
{
  return sqlite3_column_type(stmt, col) == SQLITE_NULL ? UP_BOOL_NULL
                                                       : sqlite3_column_int(stmt, col) != 0;
}

/* Reads PRINTER_COLS starting at column c into p (zeroed; derived members untouched). */
static up_status_t read_printer(sqlite3_stmt *stmt, int c, up_printer_t *p, up_error_t *err)
{
  up_status_t st = UP_OK;

  up_store_col_id(stmt, c + 0, p->id, &st, err);
  up_store_col_id(stmt, c + 1, p->tenant_id, &st, err);
  up_store_col_text(stmt, c + 2, &p->display_name, &st, err);
  up_store_col_text(stmt, c + 3, &p->manufacturer, &st, err);
  up_store_col_text(stmt, c + 4, &p->model, &st, err);
  p->is_accepting_jobs = col_bool_null(stmt, c + 5);
  p->has_physical_device = sqlite3_column_int(stmt, c + 6) != 0;
  up_store_col_text(stmt, c + 7, &p->physical_device_id, &st, err);
  up_store_col_text(stmt, c + 8, &p->connector_id, &st, err);
  up_store_col_text(stmt, c + 9, &p->registered_by_app, &st, err);
  up_store_col_text(stmt, c + 10, &p->registered_by_user, &st, err);
  p->registered_at = up_store_col_time(stmt, c + 11);
  p->last_seen_at = up_store_col_time(stmt, c + 12);
  up_store_col_text(stmt, c + 13, &p->status_json, &st, err);
  up_store_col_text(stmt, c + 14, &p->location_json, &st, err);
  up_store_col_text(stmt, c + 15, &p->defaults_json, &st, err);
  up_store_col_text(stmt, c + 16, &p->factory_defaults_json, &st, err);
  up_store_col_text(stmt, c + 17, &p->capabilities_json, &st, err);
  return st;
}

/* Reads a row of the printer get/list statements: the printer, then its share's id. */
static up_status_t read_printer_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_printer_t *p = out;
  up_status_t st = read_printer(stmt, 0, p, err);

  up_store_col_id(stmt, PRINTER_NCOLS, p->share_id, &st, err);
  p->is_shared = st == UP_OK && p->share_id[0] != '\0';
  return st;
}

/* Reads a row of the share get/list statements: the share, then its printer. */
static up_status_t read_share_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_share_t *s = out;
  up_status_t st = UP_OK;

  up_store_col_id(stmt, 0, s->id, &st, err);
  up_store_col_id(stmt, 1, s->tenant_id, &st, err);
  up_store_col_id(stmt, 2, s->printer_id, &st, err);
  up_store_col_text(stmt, 3, &s->display_name, &st, err);
  s->allow_all_users = sqlite3_column_int(stmt, 4) != 0;
  s->created_at = up_store_col_time(stmt, 5);
  if (st == UP_OK)
    st = read_printer(stmt, SHARE_NCOLS, &s->printer, err);
  if (st == UP_OK) {
    /* The printer is shared by this very share. */
    s->printer.is_shared = true;
    memcpy(s->printer.share_id, s->id, UP_ID_SIZE);
  }
  return st;
}

static up_status_t read_operation_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_operation_t *op = out;
  up_status_t st = UP_OK;
  const unsigned char *state;

  up_store_col_id(stmt, 0, op->id, &st, err);
  up_store_col_id(stmt, 1, op->tenant_id, &st, err);
  op->created_at = up_store_col_time(stmt, 2);
  up_store_col_text(stmt, 4, &op->description, &st, err);
  up_store_col_id(stmt, 5, op->printer_id, &st, err);
  up_store_col_text(stmt, 6, &op->certificate, &st, err);
  if (st != UP_OK)
    return st;
  state = sqlite3_column_text(stmt, 3);
  if (!state)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory reading the database");
  for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
    if (strcmp((const char *)state, state_names[i]) == 0) {
      op->state = (up_operation_state_t)i;
      return UP_OK;
    }
  }
  return up_error_set(err, UP_DB, NULL, "unknown operation state in the database: %.40s",
                      (const char *)state);
}

/* --- running statements --- */

/* UP_OK when printer id exists in tenant, else UP_NOT_FOUND (or the failure). */
static up_status_t printer_exists(up_store_t *store, const char *tenant, const char *id,
                                  up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_PRINTER_EXISTS);
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, id, &rc);
  st = up_store_first_row(store, stmt, rc, "printer", id, err);
  up_store_stmt_done(stmt);
  return st;
}

/* Copies the id of printer_id's share into out ("" when it has none). */
static up_status_t share_of_printer(up_store_t *store, const char *printer_id, char out[UP_ID_SIZE],
                                    up_error_t *err)
{
  sqlite3_stmt *stmt = up_store_stmt(store, UP_STMT_SHARE_OF_PRINTER);
  up_status_t st;
  int rc = SQLITE_OK;

  out[0] = '\0';
  up_store_bind_text(stmt, 1, printer_id, &rc);
  st = up_store_first_row(store, stmt, rc, "share of printer", printer_id, err);
  if (st == UP_OK)
    up_store_col_id(stmt, 0, out, &st, err);
  else if (st == UP_NOT_FOUND)
    st = UP_OK;
  up_store_stmt_done(stmt);
  return st;
}

/* --- printers and operations --- */

up_status_t up_store_printer_create(up_store_t *store, const up_printer_t *p,
                                    const up_operation_t *op, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  bool in_tx = false;
  int rc = SQLITE_OK;

  if ((unsigned)op->state >= sizeof(state_names) / sizeof(state_names[0]))
    return up_error_set(err, UP_INTERNAL, NULL, "invalid operation state %d", (int)op->state);

  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;

  /* The printer first: the operation refers to it. */
  stmt = up_store_stmt(store, UP_STMT_PRINTER_INSERT);
  bind_printer(stmt, p, &rc);
  st = up_store_run(store, stmt, rc, "creating the printer", err);
  if (st != UP_OK)
    goto out;

  stmt = up_store_stmt(store, UP_STMT_OPERATION_INSERT);
  up_store_bind_text(stmt, 1, op->id, &rc);
  up_store_bind_text(stmt, 2, op->tenant_id, &rc);
  up_store_bind_time(stmt, 3, op->created_at, &rc);
  up_store_bind_text(stmt, 4, state_names[op->state], &rc);
  up_store_bind_text(stmt, 5, op->description, &rc);
  up_store_bind_ref(stmt, 6, op->printer_id, &rc);
  up_store_bind_text(stmt, 7, op->certificate, &rc);
  st = up_store_run(store, stmt, rc, "creating the operation", err);

out:
  return up_store_end_tx(store, in_tx, st, err);
}

up_status_t up_store_printer_get(up_store_t *store, const char *tenant, const char *id,
                                 up_printer_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_PRINTER_GET, tenant, id, "printer",
                                    read_printer_row, out, err);
  if (st != UP_OK)
    up_printer_fini(out);
  return st;
}

up_status_t up_store_printer_list(up_store_t *store, const char *tenant, up_printer_list_t *out,
                                  up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_PRINTER_LIST, tenant, 1, NULL,
                                     "listing printers", read_printer_row, (void **)&out->items,
                                     &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_printer_list_fini(out);
  return st;
}

up_status_t up_store_printer_update(up_store_t *store, const up_printer_t *p, up_error_t *err)
{
  sqlite3_stmt *stmt;
  up_status_t st;
  int rc = SQLITE_OK;

  up_store_lock(store);
  stmt = up_store_stmt(store, UP_STMT_PRINTER_UPDATE);
  bind_printer(stmt, p, &rc);
  st = up_store_run(store, stmt, rc, "updating the printer", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "printer %s not found", p->id);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_printer_delete(up_store_t *store, const char *tenant, const char *id,
                                    up_error_t *err)
{
  return up_store_delete_one(store, UP_STMT_PRINTER_DELETE, tenant, id, "deleting the printer",
                             err);
}

up_status_t up_store_operation_get(up_store_t *store, const char *tenant, const char *id,
                                   up_operation_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_one(store, UP_STMT_OPERATION_GET, tenant, id, "operation",
                                    read_operation_row, out, err);
  if (st != UP_OK)
    up_operation_fini(out);
  return st;
}

up_status_t up_store_operation_list(up_store_t *store, const char *tenant, up_operation_list_t *out,
                                    up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_OPERATION_LIST, tenant, 1, NULL,
                                     "listing operations", read_operation_row, (void **)&out->items,
                                     &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_operation_list_fini(out);
  return st;
}

/* --- shares --- */

up_status_t up_store_share_create(up_store_t *store, const up_share_t *s, up_error_t *err)
{
  sqlite3_stmt *stmt;
  char existing[UP_ID_SIZE];
  up_status_t st;
  bool in_tx = false;
  int rc = SQLITE_OK;

  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;

  /* The printer must be the tenant's and not shared yet (one share per printer). */
  st = printer_exists(store, s->tenant_id, s->printer_id, err);
  if (st == UP_OK)
    st = share_of_printer(store, s->printer_id, existing, err);
  if (st == UP_OK && existing[0])
    st = up_error_set(err, UP_CONFLICT, NULL, "printer %s already has a share", s->printer_id);
  if (st != UP_OK)
    goto out;

  /* A UNIQUE failure here (the same printer or id) maps to UP_CONFLICT as well. */
  stmt = up_store_stmt(store, UP_STMT_SHARE_INSERT);
  up_store_bind_text(stmt, 1, s->id, &rc);
  up_store_bind_text(stmt, 2, s->tenant_id, &rc);
  up_store_bind_text(stmt, 3, s->printer_id, &rc);
  up_store_bind_text(stmt, 4, s->display_name, &rc);
  up_store_bind_int(stmt, 5, s->allow_all_users ? 1 : 0, &rc);
  up_store_bind_time(stmt, 6, s->created_at, &rc);
  st = up_store_run(store, stmt, rc, "creating the share", err);

out:
  return up_store_end_tx(store, in_tx, st, err);
}

up_status_t up_store_share_get(up_store_t *store, const char *tenant, const char *id,
                               up_share_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st =
      up_store_get_one(store, UP_STMT_SHARE_GET, tenant, id, "share", read_share_row, out, err);
  if (st != UP_OK)
    up_share_fini(out);
  return st;
}

up_status_t up_store_share_list(up_store_t *store, const char *tenant, const char *printer_id,
                                up_share_list_t *out, up_error_t *err)
{
  memset(out, 0, sizeof(*out));
  up_status_t st = up_store_get_list(store, UP_STMT_SHARE_LIST, tenant, 2, printer_id,
                                     "listing shares", read_share_row, (void **)&out->items,
                                     &out->count, sizeof(out->items[0]), err);
  if (st != UP_OK)
    up_share_list_fini(out);
  return st;
}

up_status_t up_store_share_update(up_store_t *store, const up_share_t *s, up_error_t *err)
{
  sqlite3_stmt *stmt;
  char existing[UP_ID_SIZE];
  up_status_t st;
  bool in_tx = false;
  int rc = SQLITE_OK;

  up_store_lock(store);
  st = up_store_begin(store, err);
  if (st != UP_OK)
    goto out;
  in_tx = true;

  /* The share and the (new) printer must be the tenant's; the printer may have no other share. */
  stmt = up_store_stmt(store, UP_STMT_SHARE_EXISTS);
  up_store_bind_text(stmt, 1, s->tenant_id, &rc);
  up_store_bind_text(stmt, 2, s->id, &rc);
  st = up_store_first_row(store, stmt, rc, "share", s->id, err);
  up_store_stmt_done(stmt);
  if (st == UP_OK)
    st = printer_exists(store, s->tenant_id, s->printer_id, err);
  if (st == UP_OK)
    st = share_of_printer(store, s->printer_id, existing, err);
  if (st == UP_OK && existing[0] && strcmp(existing, s->id) != 0)
    st = up_error_set(err, UP_CONFLICT, NULL, "printer %s already has a share", s->printer_id);
  if (st != UP_OK)
    goto out;

  stmt = up_store_stmt(store, UP_STMT_SHARE_UPDATE);
  up_store_bind_text(stmt, 1, s->id, &rc);
  up_store_bind_text(stmt, 2, s->tenant_id, &rc);
  up_store_bind_text(stmt, 3, s->printer_id, &rc);
  up_store_bind_text(stmt, 4, s->display_name, &rc);
  up_store_bind_int(stmt, 5, s->allow_all_users ? 1 : 0, &rc);
  st = up_store_run(store, stmt, rc, "updating the share", err);

out:
  return up_store_end_tx(store, in_tx, st, err);
}

up_status_t up_store_share_delete(up_store_t *store, const char *tenant, const char *id,
                                  up_error_t *err)
{
  return up_store_delete_one(store, UP_STMT_SHARE_DELETE, tenant, id, "deleting the share", err);
}

/* --- a share's allowed users and groups --- */

/* Statements of 0004-share-access.sql (prepared only where that migration is). */
const char *const up_store_share_members_sql[UP_STMT_COUNT] = {
    /* Members of a share of the tenant: ?3 is 'user' or 'group'. Adding to another tenant's
     * share inserts nothing. */
    [UP_STMT_SHARE_MEMBER_ADD] =
        "INSERT INTO share_members (share_id, tenant_id, kind, member_id, added_at) "
        "SELECT ?2, ?1, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM shares WHERE tenant_id = ?1 "
        "AND id = ?2)",
    [UP_STMT_SHARE_MEMBER_REMOVE] = "DELETE FROM share_members WHERE tenant_id = ?1 AND "
                                    "share_id = ?2 AND kind = ?3 AND member_id = ?4",
    [UP_STMT_SHARE_MEMBER_LIST] = "SELECT member_id FROM share_members WHERE tenant_id = ?1 AND "
                                  "share_id = ?2 AND kind = ?3 ORDER BY added_at, member_id",
    [UP_STMT_SHARE_MEMBER_HAS] = "SELECT member_id FROM share_members WHERE tenant_id = ?1 AND "
                                 "share_id = ?2 AND kind = ?3 AND member_id = ?4",
};

static const char *member_kind(up_member_kind_t kind)
{
  return kind == UP_MEMBER_GROUP ? "group" : "user";
}

/* Binds tenant, share, kind and (when given) member as ?1-?4. */
static sqlite3_stmt *member_stmt(up_store_t *store, up_stmt_id_t sid, const char *tenant,
                                 const char *share_id, up_member_kind_t kind, const char *member_id,
                                 int *rc)
{
  sqlite3_stmt *stmt = up_store_stmt(store, sid);
  up_store_bind_text(stmt, 1, tenant, rc);
  up_store_bind_text(stmt, 2, share_id, rc);
  up_store_bind_text(stmt, 3, member_kind(kind), rc);
  if (member_id)
    up_store_bind_text(stmt, 4, member_id, rc);
  return stmt;
}

up_status_t up_store_share_member_add(up_store_t *store, const char *tenant, const char *share_id,
                                      up_member_kind_t kind, const char *member_id, up_error_t *err)
{
  int rc = SQLITE_OK;
  up_store_lock(store);
  sqlite3_stmt *stmt =
      member_stmt(store, UP_STMT_SHARE_MEMBER_ADD, tenant, share_id, kind, member_id, &rc);
  up_store_bind_int64(stmt, 5, up_time_now(), &rc);
  up_status_t st = up_store_run(store, stmt, rc, "adding a member to the share", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "share %s not found", share_id);
  up_store_unlock(store);
  return st;
}

up_status_t up_store_share_member_remove(up_store_t *store, const char *tenant,
                                         const char *share_id, up_member_kind_t kind,
                                         const char *member_id, up_error_t *err)
{
  int rc = SQLITE_OK;
  up_store_lock(store);
  sqlite3_stmt *stmt =
      member_stmt(store, UP_STMT_SHARE_MEMBER_REMOVE, tenant, share_id, kind, member_id, &rc);
  up_status_t st = up_store_run(store, stmt, rc, "removing a member of the share", err);
  if (st == UP_OK && sqlite3_changes(store->db) == 0)
    st = up_error_set(err, UP_NOT_FOUND, NULL, "%s %s is not a member of share %s",
                      member_kind(kind), member_id, share_id);
  up_store_unlock(store);
  return st;
}

static up_status_t read_member_row(sqlite3_stmt *stmt, void *out, up_error_t *err)
{
  up_status_t st = UP_OK;
  up_store_col_id(stmt, 0, ((up_member_t *)out)->id, &st, err);
  return st;
}

up_status_t up_store_share_member_list(up_store_t *store, const char *tenant, const char *share_id,
                                       up_member_kind_t kind, up_member_list_t *out,
                                       up_error_t *err)
{
  int rc = SQLITE_OK;
  memset(out, 0, sizeof(*out));
  up_store_lock(store);
  sqlite3_stmt *stmt =
      member_stmt(store, UP_STMT_SHARE_MEMBER_LIST, tenant, share_id, kind, NULL, &rc);
  up_status_t st =
      up_store_read_rows(store, stmt, rc, "listing the share's members", read_member_row,
                         (void **)&out->items, &out->count, sizeof(out->items[0]), err);
  up_store_unlock(store);
  if (st != UP_OK)
    up_member_list_fini(out);
  return st;
}

up_status_t up_store_share_member_has(up_store_t *store, const char *tenant, const char *share_id,
                                      up_member_kind_t kind, const char *member_id, bool *out,
                                      up_error_t *err)
{
  int rc = SQLITE_OK;
  up_member_list_t found = {0};
  up_store_lock(store);
  sqlite3_stmt *stmt =
      member_stmt(store, UP_STMT_SHARE_MEMBER_HAS, tenant, share_id, kind, member_id, &rc);
  up_status_t st =
      up_store_read_rows(store, stmt, rc, "reading the share's members", read_member_row,
                         (void **)&found.items, &found.count, sizeof(found.items[0]), err);
  up_store_unlock(store);
  *out = st == UP_OK && found.count > 0;
  up_member_list_fini(&found);
  return st;
}

/* --- collections for up_store_query (store-query.c) --- */

static void printer_item_fini(void *p)
{
  up_printer_fini(p);
}

static void share_item_fini(void *s)
{
  up_share_fini(s);
}

static void operation_item_fini(void *op)
{
  up_operation_fini(op);
}

static const up_store_field_t printer_fields[] = {
    {"id", "p.id", true},
    {"displayName", "p.display_name", true},
    {"manufacturer", "p.manufacturer", false},
    {"model", "p.model", false},
    {"isAcceptingJobs", "p.is_accepting_jobs", false},
    {"hasPhysicalDevice", "p.has_physical_device", true},
    {"physicalDeviceId", "p.physical_device_id", false},
    {"registeredDateTime", "p.registered_at", true},
    {"isShared", "(s.id IS NOT NULL)", true},
    {"status/state", "json_extract(p.status_json, '$.state')", false},
    {NULL, NULL, false}};

const up_store_coll_t up_store_coll_printers = {
    "SELECT " PRINTER_COLS ", s.id FROM printers p LEFT JOIN shares s ON s.printer_id = p.id",
    "WHERE p.tenant_id = ?1",
    1,
    PRINTER_NCOLS + 1,
    printer_fields,
    read_printer_row,
    sizeof(up_printer_t),
    printer_item_fini};

static const up_store_field_t share_fields[] = {{"id", "s.id", true},
                                                {"displayName", "s.display_name", false},
                                                {"createdDateTime", "s.created_at", true},
                                                {"allowAllUsers", "s.allow_all_users", true},
                                                {"manufacturer", "p.manufacturer", false},
                                                {"model", "p.model", false},
                                                {"isAcceptingJobs", "p.is_accepting_jobs", false},
                                                {NULL, NULL, false}};

/* ?2 NULL: every share of the tenant, else the shares of printer ?2. */
const up_store_coll_t up_store_coll_shares = {
    "SELECT " SHARE_COLS ", " PRINTER_COLS " FROM shares s JOIN printers p ON p.id = s.printer_id",
    "WHERE s.tenant_id = ?1 AND (?2 IS NULL OR s.printer_id = ?2)",
    2,
    SHARE_NCOLS + PRINTER_NCOLS,
    share_fields,
    read_share_row,
    sizeof(up_share_t),
    share_item_fini};

static const up_store_field_t operation_fields[] = {{"id", "id", true},
                                                    {"createdDateTime", "created_at", true},
                                                    {"status/state", "state", true},
                                                    {NULL, NULL, false}};

const up_store_coll_t up_store_coll_operations = {"SELECT " OPERATION_COLS " FROM operations",
                                                  "WHERE tenant_id = ?1",
                                                  1,
                                                  7,
                                                  operation_fields,
                                                  read_operation_row,
                                                  sizeof(up_operation_t),
                                                  operation_item_fini};

up_status_t up_store_queue_of(up_store_t *store, const char *tenant, bool share, const char *id,
                              char printer_id[UP_ID_SIZE], bool *allow_all_users, up_error_t *err)
{
  int rc = SQLITE_OK;
  up_store_lock(store);
  sqlite3_stmt *stmt =
      up_store_stmt(store, share ? UP_STMT_QUEUE_OF_SHARE : UP_STMT_QUEUE_OF_PRINTER);
  up_store_bind_text(stmt, 1, tenant, &rc);
  up_store_bind_text(stmt, 2, id, &rc);
  up_status_t st = up_store_first_row(store, stmt, rc, share ? "share" : "printer", id, err);
  if (st == UP_OK) {
    up_store_col_id(stmt, 0, printer_id, &st, err);
    if (allow_all_users)
      *allow_all_users = sqlite3_column_int(stmt, 1) != 0;
  }
  up_store_stmt_done(stmt);
  up_store_unlock(store);
  return st;
}
