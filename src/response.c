/* response.c - the status table, the Graph error envelope and JSON replies.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per up_status_t: HTTP status and Graph's error.code. */
static const struct {
  int http;
  const char *code;
} status_table[UP_STATUS_COUNT] = {
    [UP_OK] = {200, ""},
    [UP_INVALID] = {400, "invalidRequest"},
    [UP_UNAUTHORIZED] = {401, "InvalidAuthenticationToken"},
    [UP_FORBIDDEN] = {403, "accessDenied"},
    [UP_NOT_FOUND] = {404, "itemNotFound"},
    [UP_METHOD_NOT_ALLOWED] = {405, "methodNotAllowed"},
    [UP_CONFLICT] = {409, "conflict"},
    [UP_TOO_LARGE] = {413, "requestTooLarge"},
    [UP_URI_TOO_LONG] = {414, "requestUriTooLong"},
    [UP_UNSUPPORTED_MEDIA] = {415, "unsupportedMediaType"},
    [UP_RANGE] = {416, "invalidRange"},
    [UP_FAILED_DEPENDENCY] = {424, "failedDependency"},
    [UP_TOO_MANY_REQUESTS] = {429, "TooManyRequests"},
    [UP_NOMEM] = {500, "generalException"},
    [UP_DB] = {500, "generalException"},
    [UP_INTERNAL] = {500, "generalException"},
    [UP_UNAVAILABLE] = {503, "serviceNotAvailable"},
    [UP_GATEWAY_TIMEOUT] = {504, "gatewayTimeout"},
    [UP_REQUEST_TIMEOUT] = {408, "requestTimeout"},
    [UP_QUOTA] = {429, "quotaLimitReached"},
    [UP_NO_SPACE] = {507, "quotaLimitReached"},
};

int up_status_http(up_status_t st)
{
  return (unsigned)st < UP_STATUS_COUNT ? status_table[st].http : 500;
}

const char *up_status_code(up_status_t st)
{
  return (unsigned)st < UP_STATUS_COUNT ? status_table[st].code : "generalException";
}

void up_link(const up_app_t *app, up_api_version_t ver, const char *path, char *out, size_t outlen)
{
  snprintf(out, outlen, "%s/%s%s", app->base_url, up_api_version_name(ver), path);
}

up_status_t up_reply_json(const up_app_t *app, const up_request_t *req, up_response_t *resp,
                          int status, const char *context, json_t *body)
{
  json_t *out = body;
  if (!body)
    return UP_NOMEM;
  if (context) {
    char url[1536];
    snprintf(url, sizeof(url), "%s/%s/$metadata#%s", app->base_url,
             up_api_version_name(req->version), context);
    /* @odata.context comes first, then the entity's own members in order. */
    if (!(out = json_object()) || json_object_set_new(out, "@odata.context", json_string(url)) ||
        json_object_update(out, body)) {
      json_decref(out);
      json_decref(body);
      return UP_NOMEM;
    }
    json_decref(body);
  }
  json_decref(resp->body);
  resp->body = out;
  resp->status = status;
  return UP_OK;
}

up_status_t up_reply_collection(const up_app_t *app, const up_request_t *req, up_response_t *resp,
                                const char *context, json_t *items)
{
  json_t *body = json_object();
  if (!items || !body || json_object_set_new(body, "value", items)) {
    json_decref(body);
    if (!body)
      json_decref(items);
    return UP_NOMEM;
  }
  return up_reply_json(app, req, resp, 200, context, body);
}

up_status_t up_reply_empty(up_response_t *resp, int status)
{
  json_decref(resp->body);
  resp->body = NULL;
  resp->status = status;
  return UP_OK;
}

bool up_response_header(up_response_t *resp, const char *name, const char *value)
{
  if (resp->n_headers == UP_MAX_HEADERS)
    return false;
  up_strlcpy(resp->headers[resp->n_headers].name, name, sizeof(resp->headers[0].name));
  up_strlcpy(resp->headers[resp->n_headers].value, value, sizeof(resp->headers[0].value));
  resp->n_headers++;
  return true;
}

char *up_error_render(const up_error_t *err, const char *request_id, const char *client_request_id)
{
  char date[20], message[sizeof(err->message)], target[sizeof(err->target)];
  const char *code = err->code[0] ? err->code : up_status_code(err->status);
  /* Messages quote client text (URL segments, headers, JSON keys) cut at byte limits: make them
   * valid UTF-8, or jansson refuses them and the answer has no body. */
  up_strlcpy(message, err->message[0] ? err->message : "An error occurred.", sizeof(message));
  up_strlcpy(target, err->target, sizeof(target));
  up_utf8_sanitize(message);
  up_utf8_sanitize(target);
  up_time_format_seconds(up_time_now(), date);
  json_t *inner = json_pack("{s:s, s:s, s:s}", "date", date, "request-id", request_id,
                            "client-request-id", client_request_id);
  json_t *error = inner ? json_pack("{s:s, s:s}", "code", code, "message", message) : NULL;
  if (error && target[0])
    json_object_set_new(error, "target", json_string(target));
  if (error)
    json_object_set(error, "innerError", inner);
  json_t *root = error ? json_pack("{s:O}", "error", error) : NULL;
  char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(root);
  json_decref(error);
  json_decref(inner);
  return text;
}

char *up_response_dump(const up_response_t *resp, size_t *len)
{
  char *text = resp->body   ? json_dumps(resp->body, JSON_COMPACT | JSON_PRESERVE_ORDER)
               : resp->text ? strdup(resp->text)
                            : NULL;
  *len = text ? strlen(text) : 0;
  return text;
}

void up_response_fini(up_response_t *resp)
{
  json_decref(resp->body);
  resp->body = NULL;
  free(resp->text);
  resp->text = NULL;
}

up_status_t up_reply_text(up_response_t *resp, int status, const char *text)
{
  char *copy = strdup(text);
  if (!copy)
    return UP_NOMEM;
  json_decref(resp->body);
  resp->body = NULL;
  free(resp->text);
  resp->text = copy;
  resp->status = status;
  return UP_OK;
}
