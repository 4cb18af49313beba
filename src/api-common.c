/* api-common.c - helpers shared by the handlers.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "model-private.h"
#include "uprintd/response.h"

#include <stdio.h>

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
