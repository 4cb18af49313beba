/* http.h - one request and its response as the handlers see them (no libmicrohttpd here),
 * and the route table's entry type.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_HTTP_H
#define UPRINTD_HTTP_H

#include "uprintd/auth.h"
#include "uprintd/base.h"
#include "uprintd/query.h"

struct json_t;
typedef struct up_app up_app_t;

typedef enum up_method {
  UP_METHOD_GET = 0,
  UP_METHOD_POST,
  UP_METHOD_PATCH,
  UP_METHOD_PUT,
  UP_METHOD_DELETE,
  UP_METHOD_HEAD,
  UP_METHOD_OPTIONS,
  UP_METHOD_OTHER,
} up_method_t;

/** What a route accepts as a body. */
typedef enum up_body_kind {
  UP_BODY_NONE = 0, /**< no body expected; one that is sent is ignored */
  UP_BODY_JSON,     /**< a JSON object is required (Content-Type application/json) */
  UP_BODY_JSON_OPT, /**< a JSON object, or nothing */
  UP_BODY_STREAM,   /**< raw bytes handed to the route's stream operations as they arrive */
} up_body_kind_t;

#define UP_MAX_PARAMS  6 /**< path parameters per route */
#define UP_MAX_HEADERS 8 /**< extra response headers */

/** Parameters of a route, in pattern order ({id} placeholders). */
typedef struct up_params {
  const char *v[UP_MAX_PARAMS];
  size_t n;
} up_params_t;

/** A request after routing, body parsing and authentication. Everything is borrowed from the
 *  glue and valid for the handler call only. */
typedef struct up_request {
  up_method_t method;
  up_api_version_t version;
  const char *path;                /**< decoded path after the version, e.g. "/print/printers/x" */
  up_params_t params;              /**< decoded {placeholders} of the route */
  const up_query_t *query;         /**< parsed query options */
  const char *raw_query;           /**< the query string as sent (after '?'), or NULL */
  const up_principal_t *principal; /**< the caller (NULL only for routes without auth) */
  bool all_jobs; /**< the caller reaches every user's jobs, not only its own (permissions.h) */
  struct json_t *body;           /**< parsed JSON object, or NULL */
  const char *request_id;        /**< our request id (GUID) */
  const char *client_request_id; /**< the client's, or request_id */
  const char *(*header)(const struct up_request *req, const char *name); /**< request header */
  void *stream; /**< UP_BODY_STREAM routes: the state from begin */
  void *glue;   /**< the HTTP layer's own state */
} up_request_t;

/** Looks up a request header (case-insensitive); NULL when absent. */
static inline const char *up_request_header(const up_request_t *req, const char *name)
{
  return req->header ? req->header(req, name) : NULL;
}

/** What the handler answers. Filled by the up_reply_* functions (response.h). */
typedef struct up_response {
  int status;          /**< HTTP status */
  struct json_t *body; /**< JSON body (owned), or NULL for none */
  char *text;          /**< or a text/plain body (owned), e.g. a collection's /$count */
  int fd;              /**< or a file body: an open descriptor (owned; -1 none) */
  int64_t fd_size;     /**< its length */
  struct {
    char name[32];
    char value[1024];
  } headers[UP_MAX_HEADERS]; /**< extra headers */
  size_t n_headers;
} up_response_t;

/** A handler. Returns UP_OK after filling resp, or a failure status with err filled; the glue
 *  then answers with the Graph error envelope (and drops anything put into resp). */
typedef up_status_t (*up_handler_fn)(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                     up_error_t *err);

/** The operations of a UP_BODY_STREAM route, called as the body arrives; the route's handler
 *  then answers with req->stream set. */
typedef struct up_stream_ops {
  /** The headers are in (route, token and query checked): accept the body (set *state) or
   *  refuse it. A refusal with UP_TOO_LARGE is answered before the body is read. */
  up_status_t (*begin)(up_app_t *app, const up_request_t *req, void **state, up_error_t *err);
  /** A chunk of the body, in order; a failure answers with err and drops the rest. */
  up_status_t (*chunk)(void *state, const char *data, size_t size, up_error_t *err);
  /** Releases the state: once, after the answer or when the connection is gone. */
  void (*release)(void *state);
} up_stream_ops_t;

/** One row of the route table. */
typedef struct up_route {
  up_method_t method;
  const char *pattern; /**< "/print/printers/{id}"; literal segments match case-insensitively */
  up_handler_fn handler;
  up_body_kind_t body;           /**< body kind */
  unsigned body_kb;              /**< largest body in KiB (0: --max-json-kb; never above it) */
  unsigned versions;             /**< bit mask of up_api_version_t (UP_API_V1 | UP_API_BETA) */
  unsigned query;                /**< UP_QUERY_* options the route supports; others are 400 */
  const up_stream_ops_t *stream; /**< UP_BODY_STREAM routes: the body's operations */
  bool anonymous;                /**< true: no bearer token required */
  int perm; /**< up_perm_id_t: who may call it (permissions.h), checked before the handler */
} up_route_t;

#endif
