/* api-batch.c - JSON batching (reference 10.8): POST /{version}/$batch runs each request of the
 * batch in-process through the request pipeline (up_dispatch: routing, authentication with the
 * batch's own token, permissions, body limits, the handler), each after the requests it
 * depends on, and answers their responses together in batch order. The batch body is read
 * and the responses are rendered by model-batch.c.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "dispatch.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a request of the batch sees as its headers. */
typedef struct sub_glue {
  const up_request_t *batch;
  const up_batch_request_t *r;
} sub_glue_t;

static const char *sub_header(const up_request_t *req, const char *name)
{
  const sub_glue_t *g = req->glue;
  /* The batch's token authorises every request; a request's own Authorization is ignored. */
  if (up_str_ieq(name, "Authorization"))
    return up_request_header(g->batch, "Authorization");
  for (size_t i = 0; i < g->r->n_headers; i++)
    if (up_str_ieq(g->r->headers[i].name, name))
      return g->r->headers[i].value;
  return NULL;
}

UP_PRINTF(2, 3)
static up_status_t bad_url(up_error_t *err, const char *fmt, ...)
{
  char msg[sizeof(err->message)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  up_error_set(err, UP_INVALID, "BadRequest", "%s", msg);
  up_error_set_target(err, "url");
  return UP_INVALID;
}

/* Whether the first segment of p (n bytes), percent-decoded, is name (case-insensitive). */
static bool segment_is(const char *p, size_t n, const char *name)
{
  char *d = up_percent_decode(p, n, false);
  bool eq = d && up_str_ieq(d, name);
  free(d);
  return eq;
}

/* The raw URL ("/{version}/path?query") a request of the batch runs at, in *out (new string),
 * or UP_INVALID naming why its url cannot be one. Batch URLs are relative to the version root
 * (print/printers, /print/printers?$top=2); a leading segment of the batch's own version, and an
 * absolute URL of this server or of graph.microsoft.com in that version, are accepted too. */
static up_status_t resolve_url(const up_app_t *app, up_api_version_t ver, const char *url,
                               char **out, up_error_t *err)
{
  static const char graph[] = "https://graph.microsoft.com";
  const char *p = url;
  bool absolute = false;
  size_t nb = strlen(app->base_url), n;

  *out = NULL;
  if (up_str_nieq(p, "http://", 7) || up_str_nieq(p, "https://", 8)) {
    if (nb && up_str_nieq(p, app->base_url, nb) && p[nb] == '/')
      p += nb;
    else if (up_str_nieq(p, graph, sizeof(graph) - 1) && p[sizeof(graph) - 1] == '/')
      p += sizeof(graph) - 1;
    else
      return bad_url(err,
                     "The URL '%.200s' is not relative to the version root (such as "
                     "/print/printers) nor a URL of this server.",
                     url);
    absolute = true;
  }
  if (*p == '/')
    p++;
  n = strcspn(p, "/?#");
  bool v1 = segment_is(p, n, "v1.0"), beta = segment_is(p, n, "beta");
  if (v1 || beta) {
    if ((v1 ? UP_API_V1 : UP_API_BETA) != ver)
      return bad_url(err,
                     "The URL '%.200s' is in version %s, the batch in %s: the requests of a "
                     "batch are of the batch's version.",
                     url, v1 ? "v1.0" : "beta", up_api_version_name(ver));
    p += n;
    if (*p == '/')
      p++;
    n = strcspn(p, "/?#");
  } else if (absolute) {
    return bad_url(err, "The URL '%.200s' names no version (v1.0 or beta).", url);
  }
  if (segment_is(p, n, "$batch"))
    return bad_url(err, "A batch cannot hold another batch ('%.200s').", url);
  if (segment_is(p, n, "_uprintd"))
    return bad_url(err,
                   "'%.200s' is not reachable through a batch: batch URLs are relative to the "
                   "version root, and this server's own URLs (uploads, downloads, device "
                   "control) are not under it.",
                   url);
  if (asprintf(out, "/%s/%s", up_api_version_name(ver), p) < 0) {
    *out = NULL;
    return up_api_nomem(err);
  }
  return UP_OK;
}

/* One response of the batch from the pipeline's answer. */
static struct json_t *render(const char *id, const up_answer_t *a)
{
  const char *names[UP_ANSWER_MAX_HEADERS], *values[UP_ANSWER_MAX_HEADERS];
  for (size_t i = 0; i < a->n_headers; i++) {
    names[i] = a->headers[i].name;
    values[i] = a->headers[i].value;
  }
  up_batch_answer_t ba = {.id = id,
                          .status = a->status,
                          .header_names = names,
                          .header_values = values,
                          .n_headers = a->n_headers,
                          .body = a->body,
                          .body_len = a->body_len};
  return up_batch_response_render(&ba);
}

UP_HANDLER(up_api_batch)
{
  up_batch_t b;
  struct json_t *responses[UP_BATCH_MAX] = {NULL};
  int status[UP_BATCH_MAX] = {0};
  up_status_t st;

  /* A batch inside a batch is refused by its URL before it runs; this holds for any spelling. */
  if (req->header == sub_header)
    return up_error_set(err, UP_INVALID, "BadRequest", "A batch cannot hold another batch.");
  if ((st = up_batch_from_body(req->body, &b, err)) != UP_OK) {
    up_batch_fini(&b);
    return st;
  }
  up_answer_t *a = malloc(sizeof(*a)); /* about 17 KiB: not on the stack */
  if (!a) {
    up_batch_fini(&b);
    return up_api_nomem(err);
  }
  bool ok = true;
  for (size_t k = 0; k < b.n && ok; k++) {
    size_t i = b.order[k];
    const up_batch_request_t *r = &b.requests[i];
    sub_glue_t g = {req, r};
    const char *method = up_method_name(r->method);
    up_error_t e;
    char *url = NULL;
    size_t failed = b.n;

    up_error_clear(&e);
    for (size_t d = 0; d < r->n_depends && failed == b.n; d++)
      if (status[r->depends[d]] >= 400) /* a 424 is one too */
        failed = r->depends[d];
    if (failed < b.n) {
      up_error_set(&e, UP_FAILED_DEPENDENCY, NULL,
                   "Request '%.64s' was not run: it depends on request '%.64s', which failed "
                   "with status %d.",
                   r->id, b.requests[failed].id, status[failed]);
      up_dispatch_refuse(app, method, &e, sub_header, &g, a);
    } else if (resolve_url(app, req->version, r->url, &url, &e) != UP_OK) {
      up_dispatch_refuse(app, method, &e, sub_header, &g, a);
    } else {
      /* The route's own body limit applies (never above --max-json-kb). */
      up_body_t body = {.data = r->body, .len = r->body_len, .limit = SIZE_MAX};
      up_dispatch(app, &(up_dispatch_in_t){method, url, &body, sub_header, &g, true}, a);
    }
    free(url);
    status[i] = a->status;
    /* File answers come only from this server's own download URLs, which a batch does not
     * reach; one would be answered without its body. */
    if (a->fd >= 0)
      close(a->fd);
    ok = (responses[i] = render(r->id, a)) != NULL;
    free(a->body);
  }
  free(a);
  size_t n = b.n;
  up_batch_fini(&b);
  struct json_t *out = ok ? up_batch_render(responses, n) : NULL;
  for (size_t i = 0; i < n; i++)
    up_json_free(responses[i]); /* left over after a failure */
  if (!out)
    return up_api_nomem(err);
  return up_reply_json(app, req, resp, 200, NULL, out) == UP_OK ? UP_OK : up_api_nomem(err);
}
