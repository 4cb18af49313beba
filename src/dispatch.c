/* dispatch.c - one request from raw method/URL/headers/body to a complete answer.
 * SPDX-License-Identifier: Apache-2.0 */
#include "dispatch.h"
#include "uprintd/permissions.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/resilience.h"
#include "uprintd/response.h"
#include "uprintd/metrics.h"
#include "uprintd/router.h"
#include "uprintd/schema.h"
#include "uprintd/store.h"
#include "uprintd/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENT_REQUEST_ID 128
#define FALLBACK_ERROR_SIZE   (MAX_CLIENT_REQUEST_ID + 256)

static void add_header(up_answer_t *a, const char *name, const char *value)
{
  if (a->n_headers < UP_ANSWER_MAX_HEADERS) {
    up_strlcpy(a->headers[a->n_headers].name, name, sizeof(a->headers[0].name));
    up_strlcpy(a->headers[a->n_headers].value, value, sizeof(a->headers[0].value));
    a->n_headers++;
  }
}

/* The client's correlation id is echoed only when it is short printable text without quotes
 * or backslashes (it goes into headers and JSON). */
static bool valid_client_request_id(const char *s)
{
  size_t n = 0;
  if (!s || !*s)
    return false;
  for (; *s; s++, n++)
    if (n == MAX_CLIENT_REQUEST_ID || !isprint((unsigned char)*s) || *s == '"' || *s == '\\')
      return false;
  return true;
}

/* request-id, client-request-id, OData-Version and Cache-Control go on every answer. */
static void common_headers(up_answer_t *a, const char *request_id, const char *client_request_id)
{
  add_header(a, "request-id", request_id);
  add_header(a, "client-request-id", client_request_id);
  add_header(a, "OData-Version", "4.0");
  add_header(a, "Cache-Control", "no-cache");
}

static void error_answer(up_answer_t *a, const up_error_t *err, const char *request_id,
                         const char *client_request_id)
{
  a->status = up_status_http(err->status);
  a->body = up_error_render(err, request_id, client_request_id);
  if (!a->body && (a->body = malloc(FALLBACK_ERROR_SIZE)))
    /* Rendering failed (out of memory): a fixed envelope still names the request. The ids are
     * JSON-safe: ours is a GUID, the client's was checked by valid_client_request_id. */
    snprintf(a->body, FALLBACK_ERROR_SIZE,
             "{\"error\":{\"code\":\"%s\",\"message\":\"The request failed.\",\"innerError\":"
             "{\"request-id\":\"%s\",\"client-request-id\":\"%s\"}}}",
             up_status_code(err->status), request_id, client_request_id);
  a->body_len = a->body ? strlen(a->body) : 0;
  if (a->body)
    add_header(a, "Content-Type", UP_JSON_CONTENT_TYPE);
}

/* True when the Content-Type names JSON: application/json with optional parameters. */
static bool is_json_type(const char *ct)
{
  static const char json[] = "application/json";
  if (!ct)
    return false;
  while (*ct == ' ')
    ct++;
  if (!up_str_nieq(ct, json, sizeof(json) - 1))
    return false;
  ct += sizeof(json) - 1;
  while (*ct == ' ')
    ct++;
  return *ct == '\0' || *ct == ';';
}

static bool blank(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isspace((unsigned char)s[i]))
      return false;
  return true;
}

/* Turns the body into req->body according to the route's body kind. */
static up_status_t read_body(const up_route_t *route, const up_body_t *b, up_request_t *req,
                             unsigned max_depth, up_error_t *err)
{
  if (route->body == UP_BODY_STREAM)
    return UP_OK; /* the stream operations had the body */
  if (b->failed)
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory while reading the request body.");
  if (b->too_large)
    return up_error_set(err, UP_TOO_LARGE, NULL,
                        "The request body is larger than the limit of %zu KiB.", b->limit / 1024);
  if (route->body == UP_BODY_NONE)
    return UP_OK;
  if (!b->data || blank(b->data, b->len)) {
    if (route->body == UP_BODY_JSON_OPT)
      return UP_OK;
    return up_error_set(err, UP_INVALID, NULL, "A JSON request body is required.");
  }
  const char *ct = up_request_header(req, "Content-Type");
  if (!is_json_type(ct))
    return up_error_set(err, UP_UNSUPPORTED_MEDIA, NULL,
                        "Content-Type '%.100s' is not supported here; use application/json.",
                        ct ? ct : "(none)");
  if (up_json_depth(b->data, b->len, max_depth) > max_depth)
    return up_error_set(err, UP_INVALID, NULL, "The JSON body is nested deeper than %u levels.",
                        max_depth);
  return up_json_parse_body(b->data, b->len, &req->body, err);
}

/* Records the first failure of the exchange. */
static void fail(up_exchange_t *ex, const up_error_t *err)
{
  if (ex->err.status == UP_OK)
    ex->err = *err;
}

/* Simulated throttling and faults (resilience.h), for authenticated Graph requests only (not
 * this server's own URLs), after the permission check and before the body is read: a refused
 * request never reaches its handler. The rate limit counts first; then the first fault rule
 * that fires decides (a status, a delay or both). */
static up_status_t simulate(up_app_t *app, up_exchange_t *ex, up_error_t *err)
{
  const up_principal_t *who = &ex->principal;
  unsigned retry = 0;
  up_fault_hit_t hit;
  if (app->ratelimit &&
      !up_ratelimit_take(app->ratelimit, who->is_app ? UP_RATE_APP : UP_RATE_USER, who->tenant_id,
                         who->is_app ? who->app_id : who->oid, up_monotonic_ms(), &retry)) {
    ex->simulated = ex->has_retry_after = true;
    ex->retry_after = retry;
    return up_error_set(err, UP_TOO_MANY_REQUESTS, NULL,
                        "Too many requests: the limit for this %s is %u requests per %u seconds "
                        "(uprintd --rate-limit). Please try again after %u second%s.",
                        who->is_app ? "application" : "user", up_ratelimit_limit(app->ratelimit),
                        up_ratelimit_window_s(app->ratelimit), retry, retry == 1 ? "" : "s");
  }
  if (!app->faults || !up_faults_match(app->faults, ex->m.path, &hit))
    return UP_OK;
  ex->delay_ms = hit.latency_ms;
  if (!hit.status)
    return UP_OK;
  ex->simulated = true;
  if (hit.retry_after >= 0) {
    ex->has_retry_after = true;
    ex->retry_after = (unsigned)hit.retry_after;
  }
  switch (hit.status) {
  case 429:
    return up_error_set(err, UP_TOO_MANY_REQUESTS, NULL,
                        "Too many requests (a simulated fault). Please try again later.");
  case 503:
    return up_error_set(err, UP_UNAVAILABLE, NULL,
                        "The service is temporarily unavailable (a simulated fault). Please try "
                        "again later.");
  default:
    return up_error_set(err, UP_GATEWAY_TIMEOUT, NULL,
                        "The gateway did not receive a timely response (a simulated fault).");
  }
}

void up_exchange_begin(up_app_t *app, up_exchange_t *ex, const char *method, const char *raw_url,
                       size_t url_len, int64_t declared_length, up_header_fn header, void *glue)
{
  up_error_t err;
  char *path = NULL;
  const char *qs;

  ex->app = app;
  ex->started = up_time_now();
  up_query_parse(NULL, &ex->query, NULL);
  up_error_clear(&ex->err);
  up_error_clear(&err);
  up_uuid_new(ex->request_id);
  up_strlcpy(ex->method, method ? method : "", sizeof(ex->method));
  ex->req.header = header;
  ex->req.glue = glue;
  ex->req.request_id = ex->request_id;
  ex->req.client_request_id = ex->request_id;
  const char *crid = up_request_header(&ex->req, "client-request-id");
  if (valid_client_request_id(crid)) {
    up_strlcpy(ex->client_request_id, crid, sizeof(ex->client_request_id));
    ex->req.client_request_id = ex->client_request_id;
  }
  ex->req.method = up_method_parse(method);
  ex->body.limit = (size_t)app->config.max_json_kb * 1024;
  ex->has_body = declared_length > 0 ||
                 (declared_length < 0 && up_request_header(&ex->req, "Transfer-Encoding"));

  /* Too many requests in progress (server.c): refused at once, before any other work. */
  if (ex->overloaded) {
    up_error_set(&err, UP_UNAVAILABLE, NULL,
                 "The server has %u requests in progress, its limit; retry after the time "
                 "Retry-After gives.",
                 app->config.max_in_flight);
    fail(ex, &err);
    ex->has_retry_after = true;
    ex->retry_after = 1;
    return;
  }
  if (url_len > (size_t)app->config.max_url_kb * 1024 || !raw_url) {
    up_error_set(&err, UP_URI_TOO_LONG, NULL,
                 "The request URL is %zu bytes long; the limit is %u KiB.", url_len,
                 app->config.max_url_kb);
    fail(ex, &err);
    return;
  }
  /* Route on the path; the query string is parsed separately. */
  qs = strchr(raw_url, '?');
  if (!(path = strndup(raw_url, qs ? (size_t)(qs - raw_url) : strlen(raw_url)))) {
    up_error_set(&err, UP_NOMEM, NULL, "Out of memory.");
    fail(ex, &err);
    return;
  }
  up_status_t st = up_router_match(up_routes, path, ex->req.method, &ex->m, &err);
  free(path);
  if (st != UP_OK) {
    fail(ex, &err);
    return;
  }
  ex->routed = true;
  ex->req.version = ex->m.version;
  ex->req.path = ex->m.path;
  ex->req.params = ex->m.params;
  const up_route_t *route = ex->m.route;
  if (route->body_kb && (size_t)route->body_kb * 1024 < ex->body.limit)
    ex->body.limit = (size_t)route->body_kb * 1024;

  /* A declared body over the limit is refused before it is read. */
  if (route->body != UP_BODY_STREAM && declared_length >= 0 &&
      (uint64_t)declared_length > ex->body.limit)
    ex->body.too_large = true;
  /* Authenticate before anything of the request is interpreted. */
  if (!route->anonymous) {
    if (up_token_verify(app->keys, up_request_header(&ex->req, "Authorization"), 0, &ex->principal,
                        &err) != UP_OK) {
      fail(ex, &err);
      return;
    }
    ex->req.principal = &ex->principal;
  }
  /* Who may call the route (permissions.c), before anything else of the request is read. */
  if (!route->anonymous) {
    up_grant_t grant = {.all_jobs = true};
    if (!app->config.permissions_off &&
        up_perm_check((up_perm_id_t)route->perm, &ex->principal, &grant, &err) != UP_OK) {
      fail(ex, &err);
      return;
    }
    ex->req.all_jobs = grant.all_jobs;
    if (ex->m.version != UP_API_ROOT && simulate(app, ex, &err) != UP_OK) {
      fail(ex, &err);
      return;
    }
  }
  if (qs && up_query_count(qs + 1) > app->config.max_query_options) {
    up_error_set(&err, UP_INVALID, "BadRequest",
                 "The query string has more than %u parameters.", app->config.max_query_options);
    fail(ex, &err);
    return;
  }
  if (up_query_parse(qs ? qs + 1 : NULL, &ex->query, &err) != UP_OK ||
      up_query_check_supported(&ex->query, route->query, &err) != UP_OK) {
    fail(ex, &err);
    return;
  }
  ex->req.query = &ex->query;
  ex->req.raw_query = qs ? qs + 1 : NULL;
  if (route->body == UP_BODY_STREAM && route->stream) {
    if (route->stream->begin(app, &ex->req, &ex->req.stream, &err) != UP_OK) {
      fail(ex, &err);
      return;
    }
    ex->stream_begun = true;
  }
}

void up_exchange_timeout(up_exchange_t *ex, unsigned seconds)
{
  up_error_t err;
  up_error_set(&err, UP_REQUEST_TIMEOUT, NULL,
               "The request did not arrive within %u seconds; the connection is closed.", seconds);
  ex->err = err; /* in place of any earlier failure: this is what ends the request */
  ex->close_after = true;
}

bool up_exchange_answer_now(const up_exchange_t *ex)
{
  if (ex->overloaded || ex->err.status == UP_REQUEST_TIMEOUT)
    return true;
  /* A URL over the limit is answered like any other failure, after the request (the
   * connection stays open), unless a body follows: that is not read. */
  if (ex->err.status == UP_URI_TOO_LONG)
    return ex->has_body;
  return ex->err.status == UP_TOO_LARGE || ex->body.too_large;
}

void up_exchange_body(up_exchange_t *ex, const char *data, size_t size)
{
  ex->bytes_in += size;
  if (ex->err.status != UP_OK || !ex->routed)
    return; /* the answer is decided: the rest is dropped */
  if (ex->m.route->body == UP_BODY_STREAM) {
    up_error_t err;
    if (ex->stream_begun && ex->m.route->stream->chunk(ex->req.stream, data, size, &err) != UP_OK)
      fail(ex, &err);
    else if (ex->stream_begun)
      up_metrics_upload_bytes(ex->app->metrics, size);
    return;
  }
  up_body_t *b = &ex->body;
  if (b->too_large || size > b->limit - b->len) {
    b->too_large = true;
    return;
  }
  if (b->len + size > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + size)
      cap *= 2;
    if (cap > b->limit)
      cap = b->limit;
    char *grown = realloc(b->data, cap + 1);
    if (!grown) {
      b->failed = true;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, size);
  b->len += size;
  b->data[b->len] = '\0';
}

/* Whether the Prefer header (a comma-separated list) holds preference name. */
static bool prefers(const up_request_t *req, const char *name)
{
  const char *h = up_request_header(req, "Prefer");
  size_t n = strlen(name);
  for (const char *p = h; p && *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len && p[len - 1] == ' ')
      len--;
    if (len == n && strncasecmp(p, name, n) == 0)
      return true;
    p = end ? end + 1 : p + len;
  }
  return false;
}

/* The answer is built: the request counts in /metrics and gets its access log line (the
 * route's pattern, never the URL, whose query may hold an upload's token). */
static void observe(const up_exchange_t *ex, const up_answer_t *out)
{
  const up_route_t *route = ex->routed ? ex->m.route : NULL;
  double ms = (double)(up_time_now() - ex->started) / 10000.0;
  uint64_t bytes_out = out->body ? out->body_len : out->fd >= 0 ? (uint64_t)out->fd_size : 0;
  up_metrics_request(ex->app->metrics, route ? (int)(route - up_routes) : -1, out->status,
                     ms / 1000.0, ex->bytes_in, bytes_out);
  if (ex->app->config.access_log_off || ex->nested)
    return;
  const up_principal_t *p = ex->principal.tenant_id[0] ? &ex->principal : NULL;
  up_access_t a = {
      .request_id = ex->request_id,
      .client_request_id =
          ex->req.client_request_id != ex->request_id ? ex->client_request_id : NULL,
      .tenant = p ? p->tenant_id : NULL,
      .caller = !p                       ? NULL
                : p->upn                 ? p->upn
                : p->is_app && p->app_id ? p->app_id
                                         : p->oid,
      .method = ex->method,
      .route = route ? route->pattern : "(no route)",
      .version = route && ex->m.version != UP_API_ROOT ? up_api_version_name(ex->m.version) : "",
      .status = out->status,
      .duration_ms = ms,
      .bytes_in = ex->bytes_in,
      .bytes_out = bytes_out,
  };
  up_log_access(&a);
}

void up_exchange_finish(up_exchange_t *ex, up_answer_t *out)
{
  up_response_t resp;
  up_error_t err;
  memset(out, 0, sizeof(*out));
  /* The members in use; the header slots are written before they count (n_headers). */
  resp.status = 0;
  resp.body = NULL;
  resp.text = NULL;
  resp.fd_size = 0;
  resp.n_headers = 0;
  out->fd = resp.fd = -1;
  up_error_clear(&err);

  if (ex->err.status == UP_OK && ex->routed) {
    if (read_body(ex->m.route, &ex->body, &ex->req, ex->app->config.max_json_depth, &err) !=
        UP_OK) {
      fail(ex, &err);
    } else {
      resp.status = 200;
      up_status_t st = ex->m.route->handler(ex->app, &ex->req, &resp, &err);
      if (st != UP_OK && err.status == UP_OK)
        up_error_set(&err, st, NULL, "The request failed.");
      /* --durability full: what a write did is on disk before it is acknowledged (writes of
       * requests answered at the same time share one fsync). */
      if (st == UP_OK && ex->app->config.durability == UP_DURABILITY_FULL &&
          ex->req.method != UP_METHOD_GET && ex->req.method != UP_METHOD_HEAD)
        st = up_store_sync(ex->app->store, &err);
      if (st != UP_OK)
        fail(ex, &err);
    }
  }
  if (ex->err.status == UP_OK) {
    out->status = resp.status;
    /* Evolvable enum members only for clients that said they know them (reference 10.9). */
    if (resp.body && !prefers(&ex->req, "include-unknown-enum-members"))
      up_schema_hide_evolvable(ex->app->schema, resp.body);
    out->body = up_response_dump(&resp, &out->body_len);
    out->fd = resp.fd;
    out->fd_size = resp.fd_size;
    resp.fd = -1;
    if ((resp.body || resp.text) && !out->body) {
      up_error_set(&err, UP_NOMEM, NULL, "Out of memory.");
      fail(ex, &err);
    } else {
      if (out->body)
        add_header(out, "Content-Type",
                   resp.body ? UP_JSON_CONTENT_TYPE : "text/plain; charset=utf-8");
      for (size_t i = 0; i < resp.n_headers; i++)
        add_header(out, resp.headers[i].name, resp.headers[i].value);
    }
  }
  if (ex->err.status != UP_OK) {
    free(out->body);
    out->body = NULL;
    if (out->fd >= 0)
      close(out->fd);
    out->fd = -1;
    out->n_headers = 0;
    error_answer(out, &ex->err, ex->request_id, ex->req.client_request_id);
    if (ex->has_retry_after) {
      char seconds[16];
      snprintf(seconds, sizeof(seconds), "%u", ex->retry_after);
      add_header(out, "Retry-After", seconds);
    } else {
      /* A handler's failure may say when to retry (a quota): its Retry-After goes along. */
      for (size_t i = 0; i < resp.n_headers; i++)
        if (strcasecmp(resp.headers[i].name, "Retry-After") == 0)
          add_header(out, "Retry-After", resp.headers[i].value);
    }
    if (ex->err.status == UP_METHOD_NOT_ALLOWED) {
      char allow[128] = "";
      for (int i = 0; i < UP_METHOD_OTHER; i++) {
        if (ex->m.allowed & (1u << i)) {
          if (allow[0])
            strcat(allow, ", ");
          strcat(allow, up_method_name((up_method_t)i));
        }
      }
      add_header(out, "Allow", allow);
    }
  }
  if (resp.fd >= 0)
    close(resp.fd);
  common_headers(out, ex->request_id, ex->req.client_request_id);
  if (ex->close_after)
    add_header(out, "Connection", "close");
  observe(ex, out);
  const char *where = ex->m.path ? ex->m.path : "(unrouted)";
  if (out->status >= 500 && !ex->simulated)
    up_log(UP_LOG_ERROR, "%s %.200s -> %d: %s [request-id %s]", ex->method, where, out->status,
           ex->err.message, ex->request_id);
  else
    up_log(UP_LOG_DEBUG, "%s %.200s -> %d%s (%.3f ms) [request-id %s]", ex->method, where,
           out->status, ex->simulated ? " (simulated)" : "",
           (double)(up_time_now() - ex->started) / 10000.0, ex->request_id);
  up_response_fini(&resp);
}

void up_exchange_fini(up_exchange_t *ex)
{
  if (ex->stream_begun && ex->m.route->stream->release)
    ex->m.route->stream->release(ex->req.stream);
  ex->stream_begun = false;
  up_json_free(ex->req.body);
  ex->req.body = NULL;
  free(ex->body.data);
  ex->body.data = NULL;
  up_query_fini(&ex->query);
  up_principal_fini(&ex->principal);
  up_route_match_fini(&ex->m);
}

void up_dispatch(up_app_t *app, const up_dispatch_in_t *in, up_answer_t *out)
{
  up_exchange_t ex;
  const up_body_t *b = in->body;
  memset(&ex, 0, sizeof(ex));
  ex.nested = in->nested;
  up_exchange_begin(app, &ex, in->method, in->raw_url, strlen(in->raw_url), -1, in->header,
                    in->glue);
  if (b && b->too_large && ex.m.route && ex.m.route->body != UP_BODY_STREAM)
    ex.body.too_large = true;
  if (b && b->limit < ex.body.limit) /* the route's limit, unless the caller's is lower */
    ex.body.limit = b->limit;
  if (b && b->failed)
    ex.body.failed = true;
  if (b && b->data && b->len && !ex.body.too_large)
    up_exchange_body(&ex, b->data, b->len);
  if (ex.delay_ms) { /* a fault rule's latency: no socket here, so this thread waits */
    struct timespec ts = {(time_t)(ex.delay_ms / 1000), (long)(ex.delay_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
      ;
  }
  up_exchange_finish(&ex, out);
  up_exchange_fini(&ex);
}

void up_dispatch_too_long(up_app_t *app, size_t url_len, up_header_fn header, void *glue,
                          up_answer_t *out)
{
  up_exchange_t ex;
  memset(&ex, 0, sizeof(ex));
  up_exchange_begin(app, &ex, "GET", NULL, url_len, -1, header, glue);
  up_exchange_finish(&ex, out);
  up_exchange_fini(&ex);
}

void up_dispatch_refuse(up_app_t *app, const char *method, const up_error_t *err,
                        up_header_fn header, void *glue, up_answer_t *out)
{
  up_exchange_t ex;
  memset(&ex, 0, sizeof(ex));
  up_exchange_begin(app, &ex, method, NULL, 0, -1, header, glue);
  ex.err = *err; /* in place of the missing URL's failure */
  up_exchange_finish(&ex, out);
  up_exchange_fini(&ex);
}
