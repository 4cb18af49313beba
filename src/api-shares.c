/* api-shares.c - /print/shares: share a printer, list, get, update (incl. swapping the printer),
 * delete, and the share's printer (reference 2.3, 3.11).
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <string.h>

/* Maps the store's refusals of a share write onto Graph errors. */
static up_status_t share_write_error(up_status_t st, const up_share_t *s, up_error_t *err)
{
  if (st == UP_NOT_FOUND) {
    up_error_set(err, UP_INVALID, NULL, "printer@odata.bind: the printer '%s' was not found.",
                 s->printer_id);
    up_error_set_target(err, "printer@odata.bind");
    return UP_INVALID;
  }
  if (st == UP_CONFLICT)
    return up_error_set(
        err, UP_CONFLICT, NULL,
        "The printer '%s' is already shared; only one share per printer is supported.",
        s->printer_id);
  return st;
}

/* Answers share id as an entity with status. */
static up_status_t reply_share(up_app_t *app, const up_request_t *req, up_response_t *resp,
                               const char *id, int status, up_error_t *err)
{
  up_share_t s;
  unsigned flags;
  up_status_t st;
  memset(&s, 0, sizeof(s));
  if ((st = up_model_check_select(app, "printerShare", req->query, req->version, &flags, err)) !=
      UP_OK)
    return st;
  if (!req->query->has_select)
    flags |= UP_RENDER_DEFAULTS;
  if ((st = up_api_not_found(up_store_share_get(app->store, up_api_tenant(req), id, &s, err), err,
                             "share", id)) == UP_OK)
    st = up_api_entity(app, req, resp, status, "print/shares", up_share_render(&s, flags)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  up_share_fini(&s);
  return st;
}

UP_HANDLER(up_api_shares_create)
{
  up_share_t s;
  char link[1024];
  up_status_t st;
  memset(&s, 0, sizeof(s));
  if ((st = up_share_from_create(app, req->body, req->version, &s, err)) != UP_OK)
    goto out;
  up_uuid_new(s.id);
  up_strlcpy(s.tenant_id, up_api_tenant(req), sizeof(s.tenant_id));
  s.created_at = up_time_now();
  if ((st = share_write_error(up_store_share_create(app->store, &s, err), &s, err)) != UP_OK ||
      (st = reply_share(app, req, resp, s.id, 201, err)) != UP_OK)
    goto out;
  up_link(app, req->version, "/print/shares/", link, sizeof(link) - UP_ID_SIZE);
  strcat(link, s.id);
  up_response_header(resp, "Location", link);
out:
  up_share_fini(&s);
  return st;
}

struct json_t *up_api_render_share(const void *item, unsigned flags, void *ctx)
{
  (void)ctx;
  return up_share_render(item, flags);
}

UP_HANDLER(up_api_shares_list)
{
  up_share_list_t list = {0};
  unsigned flags;
  up_status_t st;
  if ((st = up_model_check_select(app, "printerShare", req->query, req->version, &flags, err)) ==
          UP_OK &&
      (st = up_store_share_list(app->store, up_api_tenant(req), NULL, &list, err)) == UP_OK)
    st = up_api_reply_list(app, req, resp, "print/shares", list.items, list.count,
                           sizeof(list.items[0]), up_api_render_share, flags, NULL, err);
  up_share_list_fini(&list);
  return st;
}

UP_HANDLER(up_api_share_get)
{
  return reply_share(app, req, resp, req->params.v[0], 200, err);
}

UP_HANDLER(up_api_share_patch)
{
  const char *id = req->params.v[0];
  up_share_t s;
  up_status_t st;
  memset(&s, 0, sizeof(s));
  if ((st = up_api_not_found(up_store_share_get(app->store, up_api_tenant(req), id, &s, err), err,
                             "share", id)) != UP_OK ||
      (st = up_share_apply_patch(app, req->body, req->version, &s, err)) != UP_OK ||
      (st = share_write_error(up_store_share_update(app->store, &s, err), &s, err)) != UP_OK)
    goto out;
  st = reply_share(app, req, resp, id, 200, err);
out:
  up_share_fini(&s);
  return st;
}

UP_HANDLER(up_api_share_delete)
{
  return up_api_no_content(
      up_store_share_delete(app->store, up_api_tenant(req), req->params.v[0], err), resp, err,
      "share", req->params.v[0]);
}

UP_HANDLER(up_api_share_printer_get)
{
  const char *id = req->params.v[0];
  up_share_t s;
  up_status_t st;
  memset(&s, 0, sizeof(s));
  if ((st = up_api_not_found(up_store_share_get(app->store, up_api_tenant(req), id, &s, err), err,
                             "share", id)) == UP_OK)
    st = up_api_reply_printer(app, req, resp, s.printer_id, err);
  up_share_fini(&s);
  return st;
}
