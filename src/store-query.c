/* store-query.c - one OData query (odata.h) on one collection, as one SQL statement: the
 * collection's scope, the $filter translated into SQL with every literal a bound parameter,
 * the order keys (NULLs folded so that keyset paging stays exact), the previous page's last keys
 * from $skiptoken, and LIMIT/OFFSET. The statement text depends on the query's shape only,
 * never on its literals.
 * SPDX-License-Identifier: Apache-2.0 */
#include "store-private.h"
#include "uprintd/util.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX   8192 /* statement text */
#define PARAM_MAX 256  /* bound parameters besides the scope */

static const up_store_coll_t *const colls[UP_COLL_COUNT] = {
    [UP_COLL_PRINTERS] = &up_store_coll_printers,       [UP_COLL_SHARES] = &up_store_coll_shares,
    [UP_COLL_OPERATIONS] = &up_store_coll_operations,   [UP_COLL_JOBS] = &up_store_coll_jobs,
    [UP_COLL_DEFINITIONS] = &up_store_coll_definitions, [UP_COLL_TASKS] = &up_store_coll_tasks,
    [UP_COLL_TRIGGERS] = &up_store_coll_triggers,
};

typedef struct builder {
  char sql[SQL_MAX];
  size_t len;
  bool overflow;
  const up_value_t *params[PARAM_MAX]; /* ?n_scope+1 ... */
  char *owned[PARAM_MAX];              /* LIKE patterns made here */
  size_t n_params, n_owned;
  int first_param;
} builder_t;

static void add(builder_t *b, const char *fmt, ...) UP_PRINTF(2, 3);
static void add(builder_t *b, const char *fmt, ...)
{
  va_list ap;
  if (b->overflow)
    return;
  va_start(ap, fmt);
  int n = vsnprintf(b->sql + b->len, sizeof(b->sql) - b->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(b->sql) - b->len)
    b->overflow = true;
  else
    b->len += (size_t)n;
}

/* Appends a placeholder for v; returns false when there are too many. */
static bool param(builder_t *b, const up_value_t *v)
{
  if (b->n_params == PARAM_MAX) {
    b->overflow = true;
    return false;
  }
  b->params[b->n_params++] = v;
  add(b, "?%d", b->first_param + (int)b->n_params - 1);
  return true;
}

static const up_store_field_t *store_field(up_coll_t coll, const char *path)
{
  if ((unsigned)coll >= UP_COLL_COUNT)
    return NULL;
  for (const up_store_field_t *f = colls[coll]->fields; f->path; f++)
    if (strcmp(f->path, path) == 0)
      return f;
  return NULL;
}

const char *up_store_field_sql(up_coll_t coll, const char *path)
{
  const up_store_field_t *f = store_field(coll, path);
  return f ? f->sql : NULL;
}

/* An order key: the field's expression, with NULL folded to the smallest value of its kind
 * where the column may be NULL (a column that never is stays bare, so its index serves). */
static void key_expr(builder_t *b, up_coll_t coll, const up_field_t *f)
{
  const up_store_field_t *sf = store_field(coll, f->path);
  bool text = f->type == UP_V_STRING || f->type == UP_V_ENUM;
  if (sf->not_null)
    add(b, "%s", sf->sql);
  else
    add(b, "COALESCE(%s, %s)", sf->sql, text ? "''" : "-9223372036854775807");
}

static const char *const cmp_sql[] = {"=", "<>", ">", ">=", "<", "<="};

static bool filter_sql(builder_t *b, up_coll_t coll, up_expr_t *e, up_error_t *err)
{
  switch (e->kind) {
  case UP_EX_AND:
  case UP_EX_OR:
    add(b, "(");
    if (!filter_sql(b, coll, e->a, err))
      return false;
    add(b, e->kind == UP_EX_AND ? " AND " : " OR ");
    if (!filter_sql(b, coll, e->b, err))
      return false;
    add(b, ")");
    return true;
  case UP_EX_NOT:
    /* OData's not: rows whose condition is false or unknown (a null property). */
    add(b, "(NOT COALESCE(");
    if (!filter_sql(b, coll, e->a, err))
      return false;
    add(b, ", 0))");
    return true;
  default:
    break;
  }
  const char *col = up_store_field_sql(coll, e->field->path);
  if (!col) {
    up_error_set(err, UP_INTERNAL, NULL, "no column for %s", e->field->path);
    return false;
  }
  bool text = e->field->type == UP_V_STRING;
  if (e->kind == UP_EX_CMP) {
    if (e->value.type == UP_V_NULL) {
      add(b, "(%s IS %sNULL)", col, e->cmp == UP_CMP_EQ ? "" : "NOT ");
      return true;
    }
    /* ne keeps rows where the property is null (null ne 'x' is true in OData). */
    add(b, "(%s %s ", col, e->cmp == UP_CMP_NE ? "IS NOT" : cmp_sql[e->cmp]);
    param(b, &e->value);
    add(b, "%s)", text ? " COLLATE NOCASE" : "");
    return true;
  }
  /* startswith, endswith, contains: LIKE with the literal's % and _ escaped. */
  const char *s = e->value.s ? e->value.s : "";
  size_t n = strlen(s);
  char *pat = malloc(2 * n + 3);
  if (!pat || b->n_owned == PARAM_MAX) {
    free(pat);
    up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
    return false;
  }
  size_t o = 0;
  if (e->fn != UP_FN_STARTSWITH)
    pat[o++] = '%';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
      pat[o++] = '\\';
    pat[o++] = s[i];
  }
  if (e->fn != UP_FN_ENDSWITH)
    pat[o++] = '%';
  pat[o] = '\0';
  b->owned[b->n_owned++] = pat;
  /* The pattern lives in owned; a value pointing at it is made at bind time. */
  add(b, "(%s LIKE ?%d ESCAPE '\\')", col, b->first_param + (int)b->n_params);
  if (b->n_params == PARAM_MAX) {
    b->overflow = true;
    return false;
  }
  b->params[b->n_params++] = NULL; /* NULL: the next owned pattern */
  return true;
}

/* (k1, ..., kn) after (a1, ..., an) in the order's directions: one row-value comparison when
 * every key runs the same way (an index on the keys serves it), else a disjunction of
 * prefixes. */
static void keyset_sql(builder_t *b, const up_list_query_t *q, const up_field_t *const *keys,
                       const bool *desc, size_t n)
{
  bool same = true;
  for (size_t i = 1; i < n; i++)
    same = same && desc[i] == desc[0];
  if (same) {
    add(b, " AND (");
    for (size_t i = 0; i < n; i++) {
      add(b, "%s", i ? ", " : "");
      key_expr(b, q->coll, keys[i]);
    }
    add(b, ") %s (", desc[0] ? "<" : ">");
    for (size_t i = 0; i < n; i++) {
      add(b, "%s", i ? ", " : "");
      param(b, &q->after[i]);
    }
    add(b, ")");
    return;
  }
  add(b, " AND (");
  for (size_t i = 0; i < n; i++) {
    add(b, "%s(", i ? " OR " : "");
    for (size_t j = 0; j < i; j++) {
      key_expr(b, q->coll, keys[j]);
      add(b, " = ");
      param(b, &q->after[j]);
      add(b, " AND ");
    }
    key_expr(b, q->coll, keys[i]);
    add(b, " %s ", desc[i] ? "<" : ">");
    param(b, &q->after[i]);
    add(b, ")");
  }
  add(b, ")");
}

static int bind_value(sqlite3_stmt *stmt, int i, const up_value_t *v)
{
  switch (v->type) {
  case UP_V_NULL:
    return sqlite3_bind_null(stmt, i);
  case UP_V_STRING:
  case UP_V_ENUM:
    return sqlite3_bind_text(stmt, i, v->s ? v->s : "", -1, SQLITE_STATIC);
  default:
    return sqlite3_bind_int64(stmt, i, v->i);
  }
}

static void read_key(sqlite3_stmt *stmt, int col, up_value_t *out)
{
  memset(out, 0, sizeof(*out));
  if (sqlite3_column_type(stmt, col) == SQLITE_TEXT) {
    const unsigned char *t = sqlite3_column_text(stmt, col);
    out->type = UP_V_STRING;
    out->s = strdup(t ? (const char *)t : "");
  } else {
    out->type = UP_V_INT;
    out->i = sqlite3_column_int64(stmt, col);
  }
}

/* The prepared statement of sql: from the cache, or prepared and cached (the least recently
 * used one leaves). Caller holds the lock and hands it back with put_stmt. */
static sqlite3_stmt *get_stmt(up_store_t *store, const char *sql, int *rc)
{
  size_t n = sizeof(store->qcache) / sizeof(store->qcache[0]), victim = 0;
  for (size_t i = 0; i < n; i++) {
    if (store->qcache[i].sql && strcmp(store->qcache[i].sql, sql) == 0) {
      store->qcache[i].used = ++store->qtick;
      *rc = SQLITE_OK;
      return store->qcache[i].stmt;
    }
    if (store->qcache[i].used < store->qcache[victim].used)
      victim = i;
  }
  sqlite3_stmt *stmt = NULL;
  char *copy = strdup(sql);
  if (!copy) {
    *rc = SQLITE_NOMEM;
    return NULL;
  }
  if ((*rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)) !=
      SQLITE_OK) {
    free(copy);
    return NULL;
  }
  sqlite3_finalize(store->qcache[victim].stmt);
  free(store->qcache[victim].sql);
  store->qcache[victim].sql = copy;
  store->qcache[victim].stmt = stmt;
  store->qcache[victim].used = ++store->qtick;
  return stmt;
}

static void put_stmt(sqlite3_stmt *stmt)
{
  if (stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt); /* the bound texts do not outlive the call */
  }
}

void up_store_qcache_free(up_store_t *store)
{
  for (size_t i = 0; i < sizeof(store->qcache) / sizeof(store->qcache[0]); i++) {
    sqlite3_finalize(store->qcache[i].stmt);
    free(store->qcache[i].sql);
    store->qcache[i].stmt = NULL;
    store->qcache[i].sql = NULL;
  }
}

void up_store_page_fini(up_store_page_t *p)
{
  if (!p)
    return;
  if (p->items && (unsigned)p->coll < UP_COLL_COUNT) {
    const up_store_coll_t *c = colls[p->coll];
    for (size_t i = 0; i < p->count; i++)
      c->item_fini((char *)p->items + i * c->item_size);
  }
  free(p->items);
  for (size_t i = 0; i < UP_KEY_MAX; i++)
    up_value_fini(&p->last[i]);
  memset(p, 0, sizeof(*p));
}

/* Builds the statement of q: count_only gives SELECT count(*) of the filter (no paging). */
static bool build(builder_t *b, const up_store_coll_t *c, const up_list_query_t *q, bool count_only,
                  const up_field_t **keys, bool *desc, size_t *n_keys, up_error_t *err)
{
  memset(b, 0, sizeof(*b));
  b->first_param = c->n_scope + 1;
  *n_keys = 0;
  for (size_t i = 0; i < q->n_order; i++) {
    keys[*n_keys] = q->order[i].field;
    desc[(*n_keys)++] = q->order[i].desc;
  }
  keys[*n_keys] = q->id_field;
  desc[(*n_keys)++] = q->id_desc;
  for (size_t i = 0; i < *n_keys; i++)
    if (!keys[i] || !up_store_field_sql(q->coll, keys[i]->path)) {
      up_error_set(err, UP_INTERNAL, NULL, "no column for an order key");
      return false;
    }
  if (count_only) {
    const char *from = strstr(c->select, " FROM ");
    add(b, "SELECT count(*)%s %s", from ? from : "", c->where);
  } else {
    add(b, "%s", c->select);
    /* The order keys follow the reader's columns: the page's last row gives the next token. */
    const char *from = strstr(b->sql, " FROM ");
    if (!from) {
      up_error_set(err, UP_INTERNAL, NULL, "collection SELECT without FROM");
      return false;
    }
    size_t at = (size_t)(from - b->sql);
    char tail[SQL_MAX];
    snprintf(tail, sizeof(tail), "%s", b->sql + at);
    b->len = at;
    b->sql[at] = '\0';
    for (size_t i = 0; i < *n_keys; i++) {
      add(b, ", ");
      key_expr(b, q->coll, keys[i]);
    }
    add(b, "%s %s", tail, c->where);
  }
  if (q->filter) {
    add(b, " AND ");
    if (!filter_sql(b, q->coll, q->filter, err))
      return false;
  }
  if (!count_only) {
    if (q->n_after == *n_keys)
      keyset_sql(b, q, keys, desc, *n_keys);
    add(b, " ORDER BY ");
    for (size_t i = 0; i < *n_keys; i++) {
      add(b, "%s", i ? ", " : "");
      key_expr(b, q->coll, keys[i]);
      add(b, " %s", desc[i] ? "DESC" : "ASC");
    }
    /* One row more than the page: whether another page follows. */
    add(b, " LIMIT %zu OFFSET %zu", q->page + 1, q->n_after ? (size_t)0 : q->skip);
  }
  if (b->overflow) {
    up_error_set(err, UP_INVALID, "BadRequest", "The query is too complex.");
    return false;
  }
  return true;
}

static int bind_all(builder_t *b, sqlite3_stmt *stmt, const char *const *scope, int n_scope)
{
  int rc = SQLITE_OK;
  size_t owned = 0;
  for (int i = 0; i < n_scope && rc == SQLITE_OK; i++)
    rc = sqlite3_bind_text(stmt, i + 1, scope[i], -1, SQLITE_STATIC);
  for (size_t i = 0; i < b->n_params && rc == SQLITE_OK; i++) {
    int at = b->first_param + (int)i;
    if (b->params[i])
      rc = bind_value(stmt, at, b->params[i]);
    else
      rc = sqlite3_bind_text(stmt, at, b->owned[owned++], -1, SQLITE_STATIC);
  }
  return rc;
}

up_status_t up_store_query(up_store_t *store, const up_list_query_t *q, const char *const *scope,
                           int n_scope, up_store_page_t *out, up_error_t *err)
{
  builder_t *b = malloc(sizeof(*b));
  const up_field_t *keys[UP_KEY_MAX + 1];
  bool desc[UP_KEY_MAX + 1];
  size_t n_keys;
  sqlite3_stmt *stmt = NULL;
  up_status_t st = UP_OK;
  int rc;

  memset(out, 0, sizeof(*out));
  out->coll = q->coll;
  if ((unsigned)q->coll < UP_COLL_COUNT)
    out->item_size = colls[q->coll]->item_size;
  if (!b)
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  if ((unsigned)q->coll >= UP_COLL_COUNT || n_scope != colls[q->coll]->n_scope) {
    free(b);
    return up_error_set(err, UP_INTERNAL, NULL, "bad collection query");
  }
  const up_store_coll_t *c = colls[q->coll];
  if (q->n_order + 1 > UP_KEY_MAX || !(out->items = calloc(q->page + 1, c->item_size))) {
    free(b);
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }

  up_store_lock(store);
  /* The total first ($count=true), with the same filter. */
  if (q->count) {
    if (!build(b, c, q, true, keys, desc, &n_keys, err)) {
      st = err->status;
      goto out;
    }
    if (!(stmt = get_stmt(store, b->sql, &rc)) ||
        (rc = bind_all(b, stmt, scope, n_scope)) != SQLITE_OK) {
      st = up_store_fail(store, rc, "counting", err);
      goto out;
    }
    if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
      st = up_store_fail(store, rc, "counting", err);
      goto out;
    }
    out->total = sqlite3_column_int64(stmt, 0);
    put_stmt(stmt);
    stmt = NULL;
    for (size_t i = 0; i < b->n_owned; i++)
      free(b->owned[i]);
  }
  if (!build(b, c, q, false, keys, desc, &n_keys, err)) {
    st = err->status;
    goto out;
  }
  if (!(stmt = get_stmt(store, b->sql, &rc)) ||
      (rc = bind_all(b, stmt, scope, n_scope)) != SQLITE_OK) {
    st = up_store_fail(store, rc, "querying", err);
    goto out;
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (out->count == q->page) {
      out->more = true;
      break;
    }
    void *item = (char *)out->items + out->count * c->item_size;
    out->count++; /* counted before reading: a half-read item is released by page_fini */
    if ((st = c->reader(stmt, item, err)) != UP_OK)
      goto out;
    /* The keys of the row just read; the last row's stay (the next page's token). */
    for (size_t i = 0; i < UP_KEY_MAX; i++)
      up_value_fini(&out->last[i]);
    for (size_t i = 0; i < n_keys; i++)
      read_key(stmt, c->n_cols + (int)i, &out->last[i]);
    out->n_last = n_keys;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    st = up_store_fail(store, rc, "querying", err);

out:
  put_stmt(stmt);
  up_store_unlock(store);
  for (size_t i = 0; i < b->n_owned; i++)
    free(b->owned[i]);
  free(b);
  if (st != UP_OK)
    up_store_page_fini(out);
  return st;
}
