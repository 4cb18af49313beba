/* dispatch.h - one request from raw method/URL/headers/body to a complete answer, with no
 * socket involved: routing, authentication, body and query parsing, the handler, the error
 * envelope and the common headers. server.c feeds it from libmicrohttpd in three phases
 * (begin when the headers are in, body chunks, finish); up_dispatch() runs all three at once.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_DISPATCH_H
#define UP_DISPATCH_H

#include "uprintd/app.h"
#include "uprintd/http.h"
#include "uprintd/router.h"

/** A request body as accumulated for JSON routes. */
typedef struct up_body {
  char *data;     /**< NUL-terminated bytes, or NULL */
  size_t len;     /**< bytes received (within limit) */
  size_t cap;     /**< allocated */
  size_t limit;   /**< the most that is kept */
  bool too_large; /**< more than limit was sent or declared */
  bool failed;    /**< allocation failed */
} up_body_t;

typedef const char *(*up_header_fn)(const up_request_t *req, const char *name);

#define UP_ANSWER_MAX_HEADERS (UP_MAX_HEADERS + 8)

/** A complete answer: a text body (owned, free()), or a file (fd owned; -1 none). */
typedef struct up_answer {
  int status;
  char *body;
  size_t body_len;
  int fd;
  int64_t fd_size;
  struct {
    char name[32];
    char value[1024];
  } headers[UP_ANSWER_MAX_HEADERS];
  size_t n_headers;
} up_answer_t;

/** One request in progress. Zero-initialize, then up_exchange_begin ... up_exchange_fini. */
typedef struct up_exchange {
  up_app_t *app;
  char request_id[UP_ID_SIZE];
  char client_request_id[130];
  char method[16];
  up_route_match_t m;       /**< the route */
  up_principal_t principal; /**< the caller */
  up_query_t query;         /**< query options */
  up_request_t req;         /**< what the handler sees */
  up_error_t err;           /**< the first failure, answered at the end */
  up_body_t body;           /**< JSON routes: the accumulated body */
  bool has_body;            /**< a body follows the headers (Content-Length > 0, or chunked) */
  bool routed;              /**< m and req are valid */
  bool stream_begun;        /**< the stream's begin succeeded: release is due */
  bool simulated;           /**< the failure is simulated (throttling or a fault rule) */
  bool has_retry_after;     /**< the (error) answer carries Retry-After: retry_after */
  unsigned retry_after;     /**< seconds */
  unsigned delay_ms;        /**< a fault rule's latency: the answer waits this long (server.c
                                 suspends the connection meanwhile; up_dispatch sleeps) */
  up_time_t started;        /**< for the log */
  uint64_t bytes_in;        /**< body bytes received */
  bool nested;              /**< a request of a batch: counted, but no access log line of its
                                 own (the batch has one) */
  bool overloaded;          /**< set before begin: too many requests in progress, 503 */
  bool close_after;         /**< the connection closes after the answer */
} up_exchange_t;

/** Headers are in: routes, authenticates, checks permissions, applies the simulated
 *  throttling and faults (resilience.h), parses the query and, for stream routes, begins the
 *  stream. declared_length is the Content-Length (-1 when absent); url_len > the URL limit is
 *  answered 414. Failures are kept for the answer. */
void up_exchange_begin(up_app_t *app, up_exchange_t *ex, const char *method, const char *raw_url,
                       size_t url_len, int64_t declared_length, up_header_fn header, void *glue);

/** The request took longer than --request-timeout-s to arrive: 408, and the connection is
 *  closed after the answer. */
void up_exchange_timeout(up_exchange_t *ex, unsigned seconds);

/** True when the answer must go now, before the body is read (the body is too large). */
bool up_exchange_answer_now(const up_exchange_t *ex);

/** A chunk of the body: accumulated (JSON routes, bounded) or streamed (stream routes). */
void up_exchange_body(up_exchange_t *ex, const char *data, size_t size);

/** The body is complete (or the answer is due now): the handler runs, the answer is built. */
void up_exchange_finish(up_exchange_t *ex, up_answer_t *out);

/** Releases everything the exchange holds (stream state included). Safe on a zeroed one. */
void up_exchange_fini(up_exchange_t *ex);

/** The whole request at once: body b (a too_large flag in it stands for an oversize body). */
typedef struct up_dispatch_in {
  const char *method;  /**< as sent */
  const char *raw_url; /**< path and query, percent-encoded */
  const up_body_t *body;
  up_header_fn header; /**< request header lookup */
  void *glue;          /**< passed to header via up_request_t.glue */
  bool nested;         /**< a request of a batch (no access log line of its own) */
} up_dispatch_in_t;

/** Processes one request. Never fails: errors become Graph error answers. */
void up_dispatch(up_app_t *app, const up_dispatch_in_t *in, up_answer_t *out);

/** The answer to a request refused before it is routed, with err (a batch's refusal of one of
 *  its requests): a request id, the client's echoed, the error envelope, the common headers. */
void up_dispatch_refuse(up_app_t *app, const char *method, const up_error_t *err,
                        up_header_fn header, void *glue, up_answer_t *out);

/** The answer to a URL longer than the limit (414). */
void up_dispatch_too_long(up_app_t *app, size_t url_len, up_header_fn header, void *glue,
                          up_answer_t *out);

#endif
