/* model-batch.c - JSON batching (reference 10.8): the batch body into plain structs, and the
 * responses of its requests back into {"responses": [...]}.
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/router.h"
#include "uprintd/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A refusal of the whole batch: 400 BadRequest naming the member (target) and the problem. */
UP_PRINTF(3, 4)
static up_status_t refuse(up_error_t *err, const char *target, const char *fmt, ...)
{
  char msg[sizeof(err->message)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  up_error_set(err, UP_INVALID, "BadRequest", "Invalid batch request: %s", msg);
  up_error_set_target(err, target);
  return UP_INVALID;
}

/* A JSON string without embedded NUL characters (they would cut the C string short). */
static const char *plain_string(const json_t *v)
{
  if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
    return NULL;
  return json_string_value(v);
}

static bool is_json_type(const char *ct)
{
  static const char json[] = "application/json";
  while (ct && *ct == ' ')
    ct++;
  if (!ct || !up_str_nieq(ct, json, sizeof(json) - 1))
    return false;
  ct += sizeof(json) - 1;
  while (*ct == ' ')
    ct++;
  return *ct == '\0' || *ct == ';';
}

static int find_id(const up_batch_t *b, size_t n, const char *id)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(b->requests[i].id, id) == 0)
      return (int)i;
  return -1;
}

static const char *const request_members[] = {"id",   "method",    "url", "headers",
                                              "body", "dependsOn", NULL};

/* The scalar members of request i (id, method, url, headers, body); dependsOn comes later,
 * once every id is known. */
static up_status_t parse_request(const json_t *o, up_batch_t *b, size_t i, up_error_t *err)
{
  up_batch_request_t *r = &b->requests[i];
  char where[64];
  const char *key;
  json_t *v;

  snprintf(where, sizeof(where), "requests[%zu]", i);
  if (!json_is_object(o))
    return refuse(err, where, "%s must be an object.", where);
  json_object_foreach((json_t *)o, key, v)
  {
    bool known = false;
    for (const char *const *m = request_members; *m && !known; m++)
      known = strcmp(*m, key) == 0;
    if (!known) {
      char target[128];
      snprintf(target, sizeof(target), "%s.%.32s", where, key);
      return refuse(err, target, "'%.64s' is not a member of a batch request (%s).", key, where);
    }
  }

  /* id: a non-empty string, unique within the batch. */
  snprintf(where, sizeof(where), "requests[%zu].id", i);
  const char *id = plain_string(json_object_get(o, "id"));
  if (!id || !*id)
    return refuse(err, where, "%s must be a non-empty string.", where);
  if (find_id(b, i, id) >= 0)
    return refuse(err, where, "the id '%.64s' is used by more than one request.", id);
  if (!(r->id = strdup(id)))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");

  /* method */
  snprintf(where, sizeof(where), "requests[%zu].method", i);
  const char *method = plain_string(json_object_get(o, "method"));
  char upper[8] = "";
  if (method && strlen(method) < sizeof(upper))
    for (size_t k = 0; method[k]; k++)
      upper[k] = (method[k] >= 'a' && method[k] <= 'z') ? (char)(method[k] - 'a' + 'A') : method[k];
  r->method = up_method_parse(upper);
  if (r->method != UP_METHOD_GET && r->method != UP_METHOD_POST && r->method != UP_METHOD_PATCH &&
      r->method != UP_METHOD_PUT && r->method != UP_METHOD_DELETE)
    return refuse(err, where,
                  "%s of request '%.64s' must be one of GET, POST, PATCH, PUT and DELETE.", where,
                  id);

  /* url: judged when the request runs (another version is a refusal of that request alone). */
  snprintf(where, sizeof(where), "requests[%zu].url", i);
  const char *url = plain_string(json_object_get(o, "url"));
  if (!url || !*url)
    return refuse(err, where, "%s of request '%.64s' must be a non-empty string.", where, id);
  if (!(r->url = strdup(url)))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");

  /* headers: an object of strings. */
  snprintf(where, sizeof(where), "requests[%zu].headers", i);
  const json_t *headers = json_object_get(o, "headers");
  const char *content_type = NULL;
  if (headers && !json_is_null(headers)) {
    if (!json_is_object(headers))
      return refuse(err, where, "%s of request '%.64s' must be an object of strings.", where, id);
    if (json_object_size(headers) &&
        !(r->headers = calloc(json_object_size(headers), sizeof(*r->headers))))
      return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
    json_object_foreach((json_t *)headers, key, v)
    {
      const char *value = plain_string(v);
      if (!*key || !value)
        return refuse(err, where,
                      "header '%.64s' of request '%.64s' must have a name and a string value.", key,
                      id);
      up_batch_header_t *h = &r->headers[r->n_headers++];
      if (!(h->name = strdup(key)) || !(h->value = strdup(value)))
        return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
      if (!content_type && up_str_ieq(key, "Content-Type"))
        content_type = h->value;
    }
  }

  /* body: any JSON value, handed on as JSON text; Content-Type must say what it is. */
  snprintf(where, sizeof(where), "requests[%zu].body", i);
  const json_t *body = json_object_get(o, "body");
  if (body && !json_is_null(body)) {
    if (!content_type) {
      snprintf(where, sizeof(where), "requests[%zu].headers", i);
      return refuse(err, where,
                    "request '%.64s' has a body but no Content-Type header (use "
                    "\"headers\": {\"Content-Type\": \"application/json\"}).",
                    id);
    }
    if (!(r->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)))
      return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
    r->body_len = strlen(r->body);
  }
  return UP_OK;
}

/* dependsOn of request i: ids of other requests of the batch. */
static up_status_t parse_depends(const json_t *o, up_batch_t *b, size_t i, up_error_t *err)
{
  up_batch_request_t *r = &b->requests[i];
  char where[64];
  const json_t *deps = json_object_get(o, "dependsOn");
  size_t k;
  json_t *v;

  snprintf(where, sizeof(where), "requests[%zu].dependsOn", i);
  if (!deps || json_is_null(deps))
    return UP_OK;
  if (!json_is_array(deps))
    return refuse(err, where, "%s of request '%.64s' must be an array of request ids.", where,
                  r->id);
  json_array_foreach(deps, k, v)
  {
    const char *id = plain_string(v);
    if (!id)
      return refuse(err, where, "%s of request '%.64s' must be an array of request ids.", where,
                    r->id);
    int j = find_id(b, b->n, id);
    if (j < 0)
      return refuse(err, where,
                    "request '%.64s' depends on '%.64s', which is not a request of the batch.",
                    r->id, id);
    if ((size_t)j == i)
      return refuse(err, where, "request '%.64s' depends on itself.", r->id);
    bool seen = false;
    for (size_t d = 0; d < r->n_depends && !seen; d++)
      seen = r->depends[d] == (size_t)j;
    if (!seen)
      r->depends[r->n_depends++] = (size_t)j;
  }
  return UP_OK;
}

/* The order to run the requests in: each after the requests it depends on, otherwise in the
 * order of the batch. A cycle is a refusal. */
static up_status_t schedule(up_batch_t *b, up_error_t *err)
{
  bool done[UP_BATCH_MAX] = {false};
  for (size_t k = 0; k < b->n; k++) {
    size_t pick = b->n;
    for (size_t i = 0; i < b->n && pick == b->n; i++) {
      if (done[i])
        continue;
      bool ready = true;
      for (size_t d = 0; d < b->requests[i].n_depends && ready; d++)
        ready = done[b->requests[i].depends[d]];
      if (ready)
        pick = i;
    }
    if (pick == b->n) {
      size_t first = 0;
      while (done[first])
        first++;
      char target[64];
      snprintf(target, sizeof(target), "requests[%zu].dependsOn", first);
      return refuse(err, target,
                    "the dependsOn of request '%.64s' and the requests it depends on form a "
                    "cycle.",
                    b->requests[first].id);
    }
    done[pick] = true;
    b->order[k] = pick;
  }
  return UP_OK;
}

up_status_t up_batch_from_body(const json_t *body, up_batch_t *out, up_error_t *err)
{
  const char *key;
  json_t *v;
  size_t i;
  up_status_t st;

  memset(out, 0, sizeof(*out));
  if (!json_is_object(body))
    return refuse(err, "", "the body must be a JSON object with a \"requests\" array.");
  json_object_foreach((json_t *)body, key, v)
  {
    if (strcmp(key, "requests") != 0)
      return refuse(err, key, "'%.64s' is not a member of a batch; only \"requests\" is.", key);
  }
  const json_t *requests = json_object_get(body, "requests");
  if (!json_is_array(requests))
    return refuse(err, "requests", "the body must have a \"requests\" array.");
  out->n = json_array_size(requests);
  if (out->n == 0)
    return refuse(err, "requests", "\"requests\" is empty.");
  if (out->n > UP_BATCH_MAX)
    return refuse(err, "requests", "a batch holds at most %d requests; this one has %zu.",
                  UP_BATCH_MAX, out->n);
  if (!(out->requests = calloc(out->n, sizeof(*out->requests)))) {
    out->n = 0;
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }
  json_array_foreach(requests, i, v)
  {
    if ((st = parse_request(v, out, i, err)) != UP_OK)
      return st;
  }
  json_array_foreach(requests, i, v)
  {
    if ((st = parse_depends(v, out, i, err)) != UP_OK)
      return st;
  }
  return schedule(out, err);
}

void up_batch_fini(up_batch_t *b)
{
  for (size_t i = 0; b->requests && i < b->n; i++) {
    up_batch_request_t *r = &b->requests[i];
    for (size_t h = 0; h < r->n_headers; h++) {
      free(r->headers[h].name);
      free(r->headers[h].value);
    }
    free(r->headers);
    free(r->id);
    free(r->url);
    free(r->body);
  }
  free(b->requests);
  memset(b, 0, sizeof(*b));
}

/* The body of one response: JSON text embedded as JSON when its Content-Type says JSON, other
 * text as a string; bytes that are not UTF-8 text as base64 (a string, as Graph sends binary
 * bodies). */
static json_t *answer_body(const up_batch_answer_t *a, const char *content_type)
{
  json_t *v = NULL;
  if (is_json_type(content_type) &&
      (v = json_loadb(a->body, a->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)))
    return v;
  if ((v = json_stringn(a->body, a->body_len)))
    return v;
  size_t n = 4 * ((a->body_len + 2) / 3) + 1;
  char *b64 = malloc(n);
  if (!b64)
    return NULL;
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *s = (const unsigned char *)a->body;
  size_t o = 0;
  for (size_t i = 0; i < a->body_len; i += 3) {
    unsigned x = (unsigned)s[i] << 16;
    if (i + 1 < a->body_len)
      x |= (unsigned)s[i + 1] << 8;
    if (i + 2 < a->body_len)
      x |= s[i + 2];
    b64[o++] = tab[(x >> 18) & 63];
    b64[o++] = tab[(x >> 12) & 63];
    b64[o++] = i + 1 < a->body_len ? tab[(x >> 6) & 63] : '=';
    b64[o++] = i + 2 < a->body_len ? tab[x & 63] : '=';
  }
  b64[o] = '\0';
  v = json_string(b64);
  free(b64);
  return v;
}

json_t *up_batch_response_render(const up_batch_answer_t *a)
{
  json_t *out = json_object(), *headers = json_object();
  const char *content_type = NULL;
  if (!out || !headers || !up_model_set(out, "id", json_string(a->id)) ||
      !up_model_set(out, "status", json_integer(a->status)))
    goto fail;
  for (size_t i = 0; i < a->n_headers; i++) {
    /* Header values are ours (ids, URLs, numbers); one that is not UTF-8 is left out. */
    json_t *value = json_string(a->header_values[i]);
    if (value && json_object_set_new(headers, a->header_names[i], value) != 0)
      goto fail;
    if (up_str_ieq(a->header_names[i], "Content-Type"))
      content_type = a->header_values[i];
  }
  if (json_object_set(out, "headers", headers) != 0)
    goto fail;
  if (a->body && a->body_len && !up_model_set(out, "body", answer_body(a, content_type)))
    goto fail;
  json_decref(headers);
  return out;
fail:
  json_decref(headers);
  json_decref(out);
  return NULL;
}

json_t *up_batch_render(json_t **responses, size_t n)
{
  json_t *arr = json_array(), *out = json_object();
  bool ok = arr && out;
  for (size_t i = 0; i < n; i++) {
    if (ok && responses[i])
      ok = json_array_append_new(arr, responses[i]) == 0; /* taken, also on failure */
    else {
      json_decref(responses[i]);
      ok = false;
    }
    responses[i] = NULL;
  }
  if (!ok) {
    json_decref(arr);
    json_decref(out);
    return NULL;
  }
  if (json_object_set_new(out, "responses", arr) != 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}
