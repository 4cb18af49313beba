/* dispatch.h - one request from raw method/URL/headers/body to a complete answer, with no
 * socket involved: routing, authentication, body and query parsing, the handler, the error
 * envelope and the common headers. server.c feeds it from libmicrohttpd.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_DISPATCH_H
#define UP_DISPATCH_H

#include "uprintd/app.h"
#include "uprintd/http.h"

/** A request body as accumulated by the HTTP layer. */
typedef struct up_body {
  char *data;     /**< NUL-terminated bytes, or NULL */
  size_t len;     /**< bytes received (within limit) */
  size_t cap;     /**< allocated */
  size_t limit;   /**< the most that is kept */
  bool too_large; /**< more than limit was sent or declared */
  bool failed;    /**< allocation failed */
} up_body_t;

typedef const char *(*up_header_fn)(const up_request_t *req, const char *name);

typedef struct up_dispatch_in {
  const char *method;  /**< as sent */
  const char *raw_url; /**< path and query, percent-encoded */
  const up_body_t *body;
  up_header_fn header; /**< request header lookup */
  void *glue;          /**< passed to header via up_request_t.glue */
} up_dispatch_in_t;

#define UP_ANSWER_MAX_HEADERS (UP_MAX_HEADERS + 8)

/** A complete answer. body is owned (free()). */
typedef struct up_answer {
  int status;
  char *body;
  size_t body_len;
  struct {
    char name[32];
    char value[1024];
  } headers[UP_ANSWER_MAX_HEADERS];
  size_t n_headers;
} up_answer_t;

/** Processes one request. Never fails: errors become Graph error answers. */
void up_dispatch(up_app_t *app, const up_dispatch_in_t *in, up_answer_t *out);

/** The answer to a URL longer than the limit (414). */
void up_dispatch_too_long(up_app_t *app, size_t url_len, up_header_fn header, void *glue,
                          up_answer_t *out);

#endif
