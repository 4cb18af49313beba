/* query.h - the OData system query options of a request.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_QUERY_H
#define UPRINTD_QUERY_H

#include "uprintd/base.h"

#define UP_QUERY_MAX_SELECT 64

/** The system query options, as bits (a route declares the ones it supports). */
enum {
  UP_QUERY_SELECT = 1u << 0,
  UP_QUERY_EXPAND = 1u << 1,
  UP_QUERY_FILTER = 1u << 2,
  UP_QUERY_ORDERBY = 1u << 3,
  UP_QUERY_TOP = 1u << 4,
  UP_QUERY_SKIP = 1u << 5,
  UP_QUERY_COUNT = 1u << 6,
  UP_QUERY_SEARCH = 1u << 7,
  UP_QUERY_SKIPTOKEN = 1u << 8,
  UP_QUERY_FORMAT = 1u << 9, /**< $format=json: accepted everywhere */
};

/** Parsed system query options ($-prefix optional, names case-insensitive). Strings are owned. */
typedef struct up_query {
  char *select[UP_QUERY_MAX_SELECT]; /**< $select items, in order */
  size_t n_select;
  bool has_select;
  char *expand;     /**< $expand, raw */
  char *filter;     /**< $filter, raw */
  char *orderby;    /**< $orderby, raw */
  char *search;     /**< $search, raw */
  char *skiptoken;  /**< $skiptoken, raw */
  long top;         /**< $top, -1 when absent */
  long skip;        /**< $skip, -1 when absent */
  int count;        /**< $count: -1 absent, 0 false, 1 true */
  unsigned present; /**< UP_QUERY_* bits of the options given */
} up_query_t;

/** Parses a raw query string (without '?'; may be NULL or empty). Unknown non-$ parameters are
 *  ignored, as Graph does; a repeated or malformed system option → UP_INVALID with err. */
up_status_t up_query_parse(const char *raw, up_query_t *q, up_error_t *err);

void up_query_fini(up_query_t *q);

/** UP_INVALID (code BadRequest) naming the first option of q that is not in supported. */
up_status_t up_query_check_supported(const up_query_t *q, unsigned supported, up_error_t *err);

/** Copies the decoded value of query parameter name (exact name) from raw into out; false when
 *  absent, malformed or longer than outlen - 1. */
bool up_query_param(const char *raw, const char *name, char *out, size_t outlen);

/** True when $select names prop (case-sensitive). */
bool up_query_selects(const up_query_t *q, const char *prop);

#endif
