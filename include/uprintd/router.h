/* router.h - matching a request path against the route table.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_ROUTER_H
#define UPRINTD_ROUTER_H

#include "uprintd/http.h"

#define UP_MAX_SEGMENTS 16

/** The outcome of matching one path. Owns the decoded segments. */
typedef struct up_route_match {
  const up_route_t *route;     /**< the route, when matched */
  up_api_version_t version;    /**< the version segment */
  up_params_t params;          /**< pointers into segs */
  char *segs[UP_MAX_SEGMENTS]; /**< decoded path segments after the version */
  size_t n_segs;
  char *path;       /**< decoded path after the version, "/print/..." */
  unsigned allowed; /**< with UP_METHOD_NOT_ALLOWED: bit mask of allowed methods */
} up_route_match_t;

/** Matches raw_path (percent-encoded, no query) and method against routes (ended by a NULL
 *  pattern). Returns UP_OK with m->route set; UP_INVALID (code BadRequest) for an unknown
 *  version or a path no route has, naming the segment; UP_METHOD_NOT_ALLOWED when the path
 *  exists with other methods. m is always fini-able. */
up_status_t up_router_match(const up_route_t *routes, const char *raw_path, up_method_t method,
                            up_route_match_t *m, up_error_t *err);

void up_route_match_fini(up_route_match_t *m);

/** "GET", "POST", ... */
const char *up_method_name(up_method_t m);

/** Parses a method name (exact, upper-case). */
up_method_t up_method_parse(const char *s);

#endif
