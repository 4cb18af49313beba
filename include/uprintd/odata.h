/* odata.h - OData queries on collections: $filter and $orderby parsed against a collection's
 * properties, keyset paging with opaque $skiptoken values, page sizes. One parser and one
 * evaluator for every collection: the store turns a parsed query into SQL with bound parameters
 * (store.h, up_store_query), so filters run in the database.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_ODATA_H
#define UPRINTD_ODATA_H

#include "uprintd/base.h"
#include "uprintd/query.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UP_PAGE_SIZE    100                /**< default and largest page (reference 10.7) */
#define UP_ORDER_MAX    4                  /**< $orderby keys at most */
#define UP_FILTER_DEPTH 32                 /**< nesting of $filter expressions at most */
#define UP_FILTER_NODES 128                /**< operators and comparisons in one $filter at most */
#define UP_KEY_MAX      (UP_ORDER_MAX + 1) /**< a page boundary: the order keys and the row's id */

/** The collections queries run on. */
typedef enum up_coll {
  UP_COLL_PRINTERS,
  UP_COLL_SHARES,
  UP_COLL_OPERATIONS,
  UP_COLL_JOBS,
  UP_COLL_DEFINITIONS,
  UP_COLL_TASKS,
  UP_COLL_TRIGGERS,
  UP_COLL_COUNT
} up_coll_t;

/** Types of property values in queries. */
typedef enum up_vtype {
  UP_V_NULL,
  UP_V_STRING,
  UP_V_INT, /**< integers (Int32, Int64; job ids) */
  UP_V_BOOL,
  UP_V_DATETIME, /**< DateTimeOffset, as 100-ns ticks since 1970 */
  UP_V_ENUM      /**< an enum member's name (a string in the store) */
} up_vtype_t;

/** A property of a collection that $filter and $orderby may name. */
typedef struct up_field {
  const char *path;      /**< OData path: "displayName", "createdBy/userPrincipalName" */
  up_vtype_t type;       /**< its type (never UP_V_NULL) */
  const char *enum_type; /**< UP_V_ENUM: the enum's name in schema/models.json */
  bool orderable;        /**< $orderby may name it */
  bool id_string;        /**< an id shown as a string but stored as an integer (job ids) */
} up_field_t;

/** The fields of a collection (terminated by a NULL path) and the entity type it lists. */
const up_field_t *up_coll_fields(up_coll_t coll);
const char *up_coll_type(up_coll_t coll);

/** A literal or a stored value. */
typedef struct up_value {
  up_vtype_t type;
  char *s;   /**< STRING, ENUM: owned */
  int64_t i; /**< INT, DATETIME; BOOL as 0/1 */
} up_value_t;

void up_value_fini(up_value_t *v);

typedef enum up_expr_kind {
  UP_EX_AND,
  UP_EX_OR,
  UP_EX_NOT,
  UP_EX_CMP,  /**< field op value */
  UP_EX_FUNC, /**< fn(field, 'text') */
} up_expr_kind_t;

typedef enum up_cmp { UP_CMP_EQ, UP_CMP_NE, UP_CMP_GT, UP_CMP_GE, UP_CMP_LT, UP_CMP_LE } up_cmp_t;

typedef enum up_func { UP_FN_STARTSWITH, UP_FN_ENDSWITH, UP_FN_CONTAINS } up_func_t;

/** A $filter expression. */
typedef struct up_expr {
  up_expr_kind_t kind;
  up_cmp_t cmp;
  up_func_t fn;
  const up_field_t *field; /**< CMP, FUNC */
  up_value_t value;        /**< CMP, FUNC (NULL type: eq/ne null) */
  struct up_expr *a, *b;   /**< AND, OR (a and b), NOT (a) */
} up_expr_t;

typedef struct up_order {
  const up_field_t *field;
  bool desc;
} up_order_t;

/** A query on one collection, ready for the store. */
typedef struct up_list_query {
  up_coll_t coll;
  up_expr_t *filter;              /**< NULL: every row */
  up_order_t order[UP_ORDER_MAX]; /**< $orderby keys (the row id follows as the last key) */
  size_t n_order;
  bool default_order;           /**< no $orderby: the collection's own order (in order[0]) */
  bool id_desc;                 /**< the row id, the last key, descending */
  const up_field_t *id_field;   /**< the collection's id */
  size_t page;                  /**< rows on this page at most ($top, capped at UP_PAGE_SIZE) */
  size_t skip;                  /**< rows to skip first ($skip, first page only) */
  bool count;                   /**< $count=true */
  up_value_t after[UP_KEY_MAX]; /**< from $skiptoken: the previous page's last row's keys */
  size_t n_after;               /**< 0: first page */
  char fingerprint[17];         /**< of $filter and $orderby: a token only fits its own query */
} up_list_query_t;

/** Prepares q from the request's query options for a collection: parses $filter and $orderby
 *  against the collection's fields (names and types checked, enum literals checked against the
 *  schema when schema is not NULL), reads $top, $skip, $count and $skiptoken. UP_INVALID with a
 *  Graph error (code BadRequest) naming the option and the problem. */
struct up_schema;
up_status_t up_list_query_prepare(up_coll_t coll, const up_query_t *opts,
                                  const struct up_schema *schema, up_list_query_t *q,
                                  up_error_t *err);

void up_list_query_fini(up_list_query_t *q);

/** Parses a $filter text alone (for tests and the query above). */
up_status_t up_filter_parse(up_coll_t coll, const char *text, const struct up_schema *schema,
                            up_expr_t **out, up_error_t *err);
void up_expr_free(up_expr_t *e);

/** The $skiptoken that continues after a row whose keys are keys[0..n) (q's order keys, then
 *  the row id). out receives base64url text. */
bool up_skiptoken_make(const up_list_query_t *q, const up_value_t *keys, size_t n, char *out,
                       size_t outlen);

#endif
