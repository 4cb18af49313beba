/* dispatch.c - one request from raw method/URL/headers/body to a complete answer.
 * SPDX-License-Identifier: Apache-2.0 */
#include "dispatch.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/router.h"
#include "uprintd/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                             up_error_t *err)
{
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
  return up_json_parse_body(b->data, b->len, &req->body, err);
}

void up_dispatch(up_app_t *app, const up_dispatch_in_t *in, up_answer_t *out)
{
  char request_id[UP_ID_SIZE];
  const char *client_request_id;
  up_route_match_t m;
  up_principal_t principal;
  up_query_t query;
  up_request_t req;
  up_response_t resp;
  up_error_t err;
  char *path = NULL;
  const char *qs;
  up_time_t started = up_time_now();

  memset(out, 0, sizeof(*out));
  memset(&principal, 0, sizeof(principal));
  memset(&req, 0, sizeof(req));
  memset(&resp, 0, sizeof(resp));
  memset(&m, 0, sizeof(m));
  up_query_parse(NULL, &query, NULL);
  up_error_clear(&err);
  up_uuid_new(request_id);
  req.header = in->header;
  req.glue = in->glue;
  req.request_id = request_id;
  client_request_id = up_request_header(&req, "client-request-id");
  if (!valid_client_request_id(client_request_id))
    client_request_id = request_id;
  req.client_request_id = client_request_id;
  req.method = up_method_parse(in->method);

  /* Route on the path; the query string is parsed separately. */
  qs = strchr(in->raw_url, '?');
  if (!(path = strndup(in->raw_url, qs ? (size_t)(qs - in->raw_url) : strlen(in->raw_url)))) {
    up_error_set(&err, UP_NOMEM, NULL, "Out of memory.");
    goto done;
  }
  if (up_router_match(up_routes, path, req.method, &m, &err) != UP_OK)
    goto done;
  req.version = m.version;
  req.path = m.path;
  req.params = m.params;

  /* Authenticate before anything of the request is interpreted. */
  if (!m.route->anonymous) {
    if (up_token_verify(app->keys, up_request_header(&req, "Authorization"), 0, &principal, &err) !=
        UP_OK)
      goto done;
    req.principal = &principal;
  }
  if (read_body(m.route, in->body, &req, &err) != UP_OK)
    goto done;
  if (up_query_parse(qs ? qs + 1 : NULL, &query, &err) != UP_OK ||
      up_query_check_supported(&query, m.route->query, &err) != UP_OK)
    goto done;
  req.query = &query;

  resp.status = 200;
  up_status_t st = m.route->handler(app, &req, &resp, &err);
  if (st != UP_OK && err.status == UP_OK)
    up_error_set(&err, st, NULL, "The request failed.");
  if (st == UP_OK) {
    up_error_clear(&err);
    out->status = resp.status;
    out->body = up_response_dump(&resp, &out->body_len);
    if (resp.body && !out->body) {
      up_error_set(&err, UP_NOMEM, NULL, "Out of memory.");
      goto done;
    }
    if (out->body)
      add_header(out, "Content-Type", UP_JSON_CONTENT_TYPE);
    for (size_t i = 0; i < resp.n_headers; i++)
      add_header(out, resp.headers[i].name, resp.headers[i].value);
  }

done:
  if (err.status != UP_OK) {
    free(out->body);
    out->body = NULL;
    out->n_headers = 0;
    error_answer(out, &err, request_id, client_request_id);
    if (err.status == UP_METHOD_NOT_ALLOWED) {
      char allow[128] = "";
      for (int i = 0; i < UP_METHOD_OTHER; i++) {
        if (m.allowed & (1u << i)) {
          if (allow[0])
            strcat(allow, ", ");
          strcat(allow, up_method_name((up_method_t)i));
        }
      }
      add_header(out, "Allow", allow);
    }
  }
  common_headers(out, request_id, client_request_id);
  if (out->status >= 500)
    up_log(UP_LOG_ERROR, "%s %.200s -> %d: %s [request-id %s]", in->method,
           m.path ? m.path : in->raw_url, out->status, err.message, request_id);
  else
    up_log(UP_LOG_DEBUG, "%s %.200s -> %d (%.3f ms) [request-id %s]", in->method,
           m.path ? m.path : in->raw_url, out->status, (double)(up_time_now() - started) / 10000.0,
           request_id);
  up_response_fini(&resp);
  up_json_free(req.body);
  up_query_fini(&query);
  up_principal_fini(&principal);
  up_route_match_fini(&m);
  free(path);
}

void up_dispatch_too_long(up_app_t *app, size_t url_len, up_header_fn header, void *glue,
                          up_answer_t *out)
{
  char request_id[UP_ID_SIZE];
  up_request_t req = {.header = header, .glue = glue};
  up_error_t err;
  const char *crid;
  memset(out, 0, sizeof(*out));
  up_uuid_new(request_id);
  crid = up_request_header(&req, "client-request-id");
  if (!valid_client_request_id(crid))
    crid = request_id;
  up_error_set(&err, UP_URI_TOO_LONG, NULL,
               "The request URL is %zu bytes long; the limit is %u KiB.", url_len,
               app->config.max_url_kb);
  error_answer(out, &err, request_id, crid);
  common_headers(out, request_id, crid);
}
