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
  if ((st = up_api_share_flags(app, req, &flags, err)) != UP_OK)
    return st;
  if (!req->query->has_select)
    flags |= UP_RENDER_DEFAULTS;
  if ((st = up_api_not_found(up_store_share_get(app->store, up_api_tenant(req), id, &s, err), err,
                             "share", id)) == UP_OK)
    st = up_api_entity(app, req, resp, status, "print/shares",
                       up_api_render_share(&s, flags, NULL)) == UP_OK
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

/* $expand=printer: the printer behind a share (read with it). */
static const up_nav_t share_navs[] = {{"printer", UP_RENDER_PRINTER}, {NULL, 0}};

struct json_t *up_api_render_share(const void *item, unsigned flags, void *ctx)
{
  const up_share_t *s = item;
  struct json_t *obj = up_share_render(s, flags);
  (void)ctx;
  if (obj && (flags & UP_RENDER_PRINTER) &&
      !up_model_attach(obj, "printer", up_printer_render(&s->printer, 0))) {
    up_json_free(obj);
    obj = NULL;
  }
  return obj;
}

up_status_t up_api_share_flags(up_app_t *app, const up_request_t *req, unsigned *flags,
                               up_error_t *err)
{
  up_status_t st = up_model_check_select(app, "printerShare", req->query, req->version, flags, err);
  return st == UP_OK ? up_model_check_expand(req->query, "printerShare", share_navs, flags, err)
                     : st;
}

UP_HANDLER(up_api_shares_list)
{
  unsigned flags;
  const char *scope[] = {up_api_tenant(req), NULL};
  up_status_t st = up_api_share_flags(app, req, &flags, err);
  if (st == UP_OK)
    st = up_api_list(app, req, resp, UP_COLL_SHARES, scope, 2, "print/shares", up_api_render_share,
                     flags, NULL, err);
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

/* --- who may print to a share: allowedUsers, allowedGroups (reference 2.3, S6-S11) --- */

static up_status_t share_exists(up_app_t *app, const up_request_t *req, up_error_t *err)
{
  up_share_t s;
  memset(&s, 0, sizeof(s));
  up_status_t st = up_store_share_get(app->store, up_api_tenant(req), req->params.v[0], &s, err);
  up_share_fini(&s);
  return up_api_not_found(st, err, "share", req->params.v[0]);
}

static struct json_t *render_user(const void *item, unsigned flags, void *ctx)
{
  (void)flags;
  (void)ctx;
  return up_member_render(item, UP_MEMBER_USER);
}

static struct json_t *render_group(const void *item, unsigned flags, void *ctx)
{
  (void)flags;
  (void)ctx;
  return up_member_render(item, UP_MEMBER_GROUP);
}

static up_status_t members_list(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                up_member_kind_t kind, up_error_t *err)
{
  up_member_list_t list = {0};
  up_status_t st = share_exists(app, req, err);
  if (st == UP_OK && (st = up_store_share_member_list(app->store, up_api_tenant(req),
                                                      req->params.v[0], kind, &list, err)) == UP_OK)
    st = up_api_reply_list(app, req, resp,
                           kind == UP_MEMBER_GROUP ? "Collection(microsoft.graph.group)"
                                                   : "Collection(microsoft.graph.user)",
                           list.items, list.count, sizeof(list.items[0]),
                           kind == UP_MEMBER_GROUP ? render_group : render_user, 0, NULL, err);
  up_member_list_fini(&list);
  return st;
}

static up_status_t members_add(up_app_t *app, const up_request_t *req, up_response_t *resp,
                               up_member_kind_t kind, up_error_t *err)
{
  char id[UP_ID_SIZE];
  const char *what = kind == UP_MEMBER_GROUP ? "group" : "user";
  up_status_t st = up_member_from_ref(req->body, kind, id, err);
  if (st == UP_OK)
    st = up_store_share_member_add(app->store, up_api_tenant(req), req->params.v[0], kind, id, err);
  if (st == UP_CONFLICT) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "One or more added object references already exist: the %s '%s' is "
                      "allowed to use the share already.",
                      what, id);
    up_error_set_target(err, "@odata.id");
  }
  return up_api_no_content(st, resp, err, "share", req->params.v[0]);
}

static up_status_t members_remove(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                  up_member_kind_t kind, up_error_t *err)
{
  char id[UP_ID_SIZE];
  const char *what = kind == UP_MEMBER_GROUP ? "group" : "user";
  up_status_t st = share_exists(app, req, err);
  if (st != UP_OK)
    return st;
  if (!up_uuid_is_valid(req->params.v[1]))
    return up_error_set(err, UP_NOT_FOUND, NULL, "The %s '%.64s' is not allowed on the share.",
                        what, req->params.v[1]);
  up_strlcpy(id, req->params.v[1], sizeof(id));
  up_ascii_lower(id);
  st =
      up_store_share_member_remove(app->store, up_api_tenant(req), req->params.v[0], kind, id, err);
  if (st == UP_NOT_FOUND)
    return up_error_set(err, UP_NOT_FOUND, NULL, "The %s '%s' is not allowed on the share.", what,
                        id);
  return up_api_no_content(st, resp, err, "share", req->params.v[0]);
}

UP_HANDLER(up_api_share_users_list)
{
  return members_list(app, req, resp, UP_MEMBER_USER, err);
}

UP_HANDLER(up_api_share_groups_list)
{
  return members_list(app, req, resp, UP_MEMBER_GROUP, err);
}

UP_HANDLER(up_api_share_users_add)
{
  return members_add(app, req, resp, UP_MEMBER_USER, err);
}

UP_HANDLER(up_api_share_groups_add)
{
  return members_add(app, req, resp, UP_MEMBER_GROUP, err);
}

UP_HANDLER(up_api_share_users_remove)
{
  return members_remove(app, req, resp, UP_MEMBER_USER, err);
}

UP_HANDLER(up_api_share_groups_remove)
{
  return members_remove(app, req, resp, UP_MEMBER_GROUP, err);
}

bool up_api_share_admits(up_app_t *app, const up_request_t *req, const up_share_t *s,
                         up_error_t *err)
{
  const up_principal_t *p = req->principal;
  bool ok = s->allow_all_users || app->config.permissions_off || !p || p->is_app;
  if (!ok && up_store_share_member_has(app->store, s->tenant_id, s->id, UP_MEMBER_USER, p->oid, &ok,
                                       err) != UP_OK)
    return false;
  for (size_t i = 0; !ok && p && i < p->n_groups; i++)
    if (up_store_share_member_has(app->store, s->tenant_id, s->id, UP_MEMBER_GROUP, p->groups[i],
                                  &ok, err) != UP_OK)
      return false;
  if (!ok)
    up_error_set(err, UP_FORBIDDEN, NULL,
                 "The signed-in user may not print to the share '%s': it does not allow all users, "
                 "and neither the user nor one of the user's groups is among its allowed users "
                 "and groups.",
                 s->id);
  return ok;
}
