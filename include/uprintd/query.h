/* query.h - the OData system query options of a request.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_QUERY_H
#define UPRINTD_QUERY_H

#include "uprintd/base.h"

#define UP_QUERY_MAX_SELECT 64

/** Parsed system query options ($-prefix optional, names case-insensitive). Strings are owned. */
typedef struct up_query {
  char *select[UP_QUERY_MAX_SELECT]; /**< $select items, in order */
  size_t n_select;
  bool has_select;
  char *expand;    /**< $expand, raw */
  char *filter;    /**< $filter, raw */
  char *orderby;   /**< $orderby, raw */
  char *search;    /**< $search, raw */
  char *skiptoken; /**< $skiptoken, raw */
  long top;        /**< $top, -1 when absent */
  long skip;       /**< $skip, -1 when absent */
  int count;       /**< $count: -1 absent, 0 false, 1 true */
} up_query_t;

/** Parses a raw query string (without '?'; may be NULL or empty). Unknown non-$ parameters are
 *  ignored, as Graph does; a repeated or malformed system option → UP_INVALID with err. */
up_status_t up_query_parse(const char *raw, up_query_t *q, up_error_t *err);

void up_query_fini(up_query_t *q);

/** True when $select names prop (case-sensitive). */
bool up_query_selects(const up_query_t *q, const char *prop);

#endif
