/* api-common.c - helpers shared by the handlers.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "model-private.h"
#include "uprintd/response.h"
#include "uprintd/store.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *up_api_tenant(const up_request_t *req)
{
  return req->principal->tenant_id;
}

up_status_t up_api_nomem(up_error_t *err)
{
  return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
}

up_status_t up_api_entity(up_app_t *app, const up_request_t *req, up_response_t *resp, int status,
                          const char *set, json_t *obj)
{
  char context[512];
  if (!obj)
    return UP_NOMEM;
  up_model_apply_select(obj, req->query);
  up_model_entity_context(set, req->query, context, sizeof(context));
  return up_reply_json(app, req, resp, status, context, obj);
}

json_t *up_api_array(void)
{
  return json_array();
}

bool up_api_array_add(json_t *arr, json_t *item, const up_query_t *q)
{
  if (!item)
    return false;
  up_model_apply_select(item, q);
  return json_array_append_new(arr, item) == 0;
}

up_status_t up_api_collection(up_app_t *app, const up_request_t *req, up_response_t *resp,
                              const char *set, json_t *items)
{
  char context[512];
  size_t n = (size_t)snprintf(context, sizeof(context), "%s", set);
  if (req->query && req->query->has_select && n < sizeof(context)) {
    n += (size_t)snprintf(context + n, sizeof(context) - n, "(");
    for (size_t i = 0; i < req->query->n_select && n < sizeof(context); i++)
      n += (size_t)snprintf(context + n, sizeof(context) - n, "%s%s", i ? "," : "",
                            req->query->select[i]);
    if (n < sizeof(context))
      snprintf(context + n, sizeof(context) - n, ")");
  }
  return up_reply_collection(app, req, resp, context, items);
}

up_status_t up_api_not_found(up_status_t st, up_error_t *err, const char *what, const char *id)
{
  if (st == UP_NOT_FOUND)
    return up_error_set(err, UP_NOT_FOUND, NULL, "The %s '%.64s' was not found.", what, id);
  return st;
}

up_status_t up_api_reply_list(up_app_t *app, const up_request_t *req, up_response_t *resp,
                              const char *set, const void *items, size_t count, size_t size,
                              up_render_fn render, unsigned flags, void *ctx, up_error_t *err)
{
  json_t *arr = json_array();
  if (!arr)
    return up_api_nomem(err);
  for (size_t i = 0; i < count; i++) {
    if (!up_api_array_add(arr, render((const char *)items + i * size, flags, ctx), req->query)) {
      json_decref(arr);
      return up_api_nomem(err);
    }
  }
  return up_api_collection(app, req, resp, set, arr) == UP_OK ? UP_OK : up_api_nomem(err);
}

up_status_t up_api_no_content(up_status_t st, up_response_t *resp, up_error_t *err,
                              const char *what, const char *id)
{
  if (st != UP_OK)
    return up_api_not_found(st, err, what, id);
  return up_reply_empty(resp, 204);
}

/* The name of a query parameter, without '$' (or its encoding %24), is name. */
static bool param_named(const char *p, size_t len, const char *name)
{
  size_t n = strlen(name);
  if (len >= 1 && *p == '$') {
    p++;
    len--;
  } else if (len >= 3 && strncasecmp(p, "%24", 3) == 0) {
    p += 3;
    len -= 3;
  }
  return len == n && strncasecmp(p, name, n) == 0;
}

/* The URL of the next page: this request's URL with its options, but $skip and $skiptoken,
 * and the new $skiptoken. */
static bool next_link(const up_app_t *app, const up_request_t *req, const char *token, char *out,
                      size_t len)
{
  size_t n = (size_t)snprintf(out, len, "%s/%s%s?", app->base_url,
                              up_api_version_name(req->version), req->path);
  const char *p = req->raw_query ? req->raw_query : "";
  while (*p && n < len) {
    const char *amp = strchr(p, '&');
    size_t plen = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', plen);
    size_t nlen = eq ? (size_t)(eq - p) : plen;
    /* Kept as sent, but for bytes a URL may not hold as they are (spaces, controls,
     * non-ASCII): those are percent-encoded, so the link is always valid text. */
    if (plen && !param_named(p, nlen, "skiptoken") && !param_named(p, nlen, "skip")) {
      for (size_t i = 0; i < plen && n < len; i++) {
        unsigned char c = (unsigned char)p[i];
        n += (size_t)snprintf(out + n, len - n, c > 0x20 && c < 0x7f && c != '"' ? "%c" : "%%%02X",
                              c);
      }
      if (n < len)
        n += (size_t)snprintf(out + n, len - n, "&");
    }
    p += plen + (amp ? 1 : 0);
  }
  if (n < len)
    n += (size_t)snprintf(out + n, len - n, "$skiptoken=%s", token);
  return n < len;
}

up_status_t up_api_list(up_app_t *app, const up_request_t *req, up_response_t *resp, up_coll_t coll,
                        const char *const *scope, int n_scope, const char *set, up_render_fn render,
                        unsigned flags, void *ctx, up_error_t *err)
{
  up_list_query_t q;
  up_store_page_t page;
  char token[2048], link[8192];
  unsigned ignored;
  memset(&page, 0, sizeof(page));
  /* $select names properties of the collection's type, whatever the handler checked. */
  up_status_t st =
      up_model_check_select(app, up_coll_type(coll), req->query, req->version, &ignored, err);
  if (st != UP_OK || (st = up_list_query_prepare(coll, req->query, app->schema, &q, err)) != UP_OK)
    return st;
  if ((st = up_store_query(app->store, &q, scope, n_scope, &page, err)) == UP_OK)
    st = up_api_reply_list(app, req, resp, set, page.items, page.count, page.item_size, render,
                           flags, ctx, err);
  if (st == UP_OK && (q.count || page.more)) {
    /* @odata.context, @odata.count, value, @odata.nextLink: Graph's order. */
    json_t *body = json_object();
    bool ok = body && !json_object_set(body, "@odata.context",
                                       json_object_get(resp->body, "@odata.context"));
    if (ok && q.count)
      ok = !json_object_set_new(body, "@odata.count", json_integer(page.total));
    if (ok)
      ok = !json_object_set(body, "value", json_object_get(resp->body, "value"));
    if (ok && page.more)
      ok = up_skiptoken_make(&q, page.last, page.n_last, token, sizeof(token)) &&
           next_link(app, req, token, link, sizeof(link)) &&
           !json_object_set_new(body, "@odata.nextLink", json_string(link));
    if (ok) {
      json_decref(resp->body);
      resp->body = body;
    } else {
      json_decref(body);
      st = up_api_nomem(err);
    }
  }
  up_store_page_fini(&page);
  up_list_query_fini(&q);
  return st;
}

up_status_t up_api_count(up_app_t *app, const up_request_t *req, up_response_t *resp,
                         up_coll_t coll, const char *const *scope, int n_scope, up_error_t *err)
{
  up_list_query_t q;
  up_store_page_t page;
  char text[32];
  memset(&page, 0, sizeof(page));
  up_status_t st = up_list_query_prepare(coll, req->query, app->schema, &q, err);
  if (st != UP_OK)
    return st;
  q.count = true;
  q.page = 0; /* the number alone */
  if ((st = up_store_query(app->store, &q, scope, n_scope, &page, err)) == UP_OK) {
    snprintf(text, sizeof(text), "%lld", (long long)page.total);
    st = up_reply_text(resp, 200, text) == UP_OK ? UP_OK : up_api_nomem(err);
  }
  up_store_page_fini(&page);
  up_list_query_fini(&q);
  return st;
}
