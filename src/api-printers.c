/* api-printers.c - /print/printers: register, list, get, update, delete, restore defaults,
 * and the printer's shares (reference 2.2, 3.9, 3.10).
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Registration issues the printer a device certificate; this server has no certificate
 * authority, so the certificate is an opaque base64 token that names the registration. */
static char *make_certificate(const up_printer_t *p)
{
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char text[256], stamp[UP_TIME_STRLEN];
  up_time_format(p->registered_at, stamp);
  int n =
      snprintf(text, sizeof(text), "uprintd device certificate; printer=%s; tenant=%s; issued=%s",
               p->id, p->tenant_id, stamp);
  size_t len = (size_t)n, o = 0;
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (!out)
    return NULL;
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned char)text[i] << 16;
    if (i + 1 < len)
      v |= (unsigned char)text[i + 1] << 8;
    if (i + 2 < len)
      v |= (unsigned char)text[i + 2];
    out[o++] = b64[(v >> 18) & 63];
    out[o++] = b64[(v >> 12) & 63];
    out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? b64[v & 63] : '=';
  }
  out[o] = '\0';
  return out;
}

UP_HANDLER(up_api_printers_create)
{
  up_printer_t p;
  up_operation_t op;
  char link[1024];
  up_status_t st;
  memset(&p, 0, sizeof(p));
  memset(&op, 0, sizeof(op));
  if ((st = up_printer_from_create(app, req->body, req->version, &p, err)) != UP_OK)
    goto out;
  /* The printer, registered by the caller, with its simulated device seen at once. */
  up_uuid_new(p.id);
  up_strlcpy(p.tenant_id, up_api_tenant(req), sizeof(p.tenant_id));
  p.registered_at = p.last_seen_at = up_time_now();
  p.registered_by_app = up_strdup(req->principal->app_id);
  p.registered_by_user = req->principal->is_app ? NULL : strdup(req->principal->oid);
  /* The operation completes with the registration itself (reference 13.11). */
  up_uuid_new(op.id);
  up_strlcpy(op.tenant_id, p.tenant_id, sizeof(op.tenant_id));
  op.created_at = p.registered_at;
  op.state = UP_OPERATION_SUCCEEDED;
  op.description = strdup("The operation has completed successfully.");
  up_strlcpy(op.printer_id, p.id, sizeof(op.printer_id));
  op.certificate = make_certificate(&p);
  if ((req->principal->app_id && !p.registered_by_app) ||
      (!req->principal->is_app && !p.registered_by_user) || !op.description || !op.certificate) {
    st = up_api_nomem(err);
    goto out;
  }
  if ((st = up_store_printer_create(app->store, &p, &op, err)) != UP_OK)
    goto out;
  up_link(app, req->version, "/print/operations/", link, sizeof(link) - UP_ID_SIZE);
  strcat(link, op.id);
  up_reply_empty(resp, 202);
  up_response_header(resp, "Operation-Location", link);
  up_response_header(resp, "Retry-After", "5");
out:
  up_printer_fini(&p);
  up_operation_fini(&op);
  return st;
}

/* $expand=shares: a printer's shares (one at most). */
static const up_nav_t printer_navs[] = {{"shares", UP_RENDER_SHARES}, {NULL, 0}};

typedef struct expand_ctx {
  up_app_t *app;
  const char *tenant;
} expand_ctx_t;

/* A printer with what flags expand. */
static struct json_t *render_printer(const void *item, unsigned flags, void *ctx)
{
  const up_printer_t *p = item;
  const expand_ctx_t *x = ctx;
  struct json_t *obj = up_printer_render(p, flags);
  if (obj && (flags & UP_RENDER_SHARES)) {
    struct json_t *arr = up_api_array();
    up_share_t s;
    up_error_t err;
    memset(&s, 0, sizeof(s));
    if (arr && p->share_id[0] &&
        up_store_share_get(x->app->store, x->tenant, p->share_id, &s, &err) == UP_OK &&
        !up_api_array_add(arr, up_share_render(&s, 0), NULL)) {
      up_json_free(arr);
      arr = NULL;
    }
    up_share_fini(&s);
    if (!up_model_attach(obj, "shares", arr)) {
      up_json_free(obj);
      obj = NULL;
    }
  }
  return obj;
}

UP_HANDLER(up_api_printers_list)
{
  unsigned flags;
  const char *scope[] = {up_api_tenant(req)};
  expand_ctx_t x = {app, up_api_tenant(req)};
  up_status_t st = up_model_check_select(app, "printer", req->query, req->version, &flags, err);
  if (st == UP_OK &&
      (st = up_model_check_expand(req->query, "printer", printer_navs, &flags, err)) == UP_OK)
    st = up_api_list(app, req, resp, UP_COLL_PRINTERS, scope, 1, "print/printers", render_printer,
                     flags, &x, err);
  return st;
}

/* The flags of a single GET: defaults always; capabilities only when selected. */
static up_status_t single_flags(up_app_t *app, const up_request_t *req, const char *type,
                                unsigned *flags, up_error_t *err)
{
  up_status_t st = up_model_check_select(app, type, req->query, req->version, flags, err);
  if (st == UP_OK && !req->query->has_select)
    *flags |= UP_RENDER_DEFAULTS;
  return st;
}

/* Answers the printer id as a printer entity. */
static up_status_t reply_printer(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                 const char *id, int status, up_error_t *err)
{
  up_printer_t p;
  unsigned flags;
  up_status_t st;
  expand_ctx_t x = {app, up_api_tenant(req)};
  memset(&p, 0, sizeof(p));
  if ((st = single_flags(app, req, "printer", &flags, err)) == UP_OK &&
      (st = up_model_check_expand(req->query, "printer", printer_navs, &flags, err)) == UP_OK &&
      (st = up_api_not_found(up_store_printer_get(app->store, up_api_tenant(req), id, &p, err), err,
                             "printer", id)) == UP_OK)
    st = up_api_entity(app, req, resp, status, "print/printers", render_printer(&p, flags, &x)) ==
                 UP_OK
             ? UP_OK
             : up_api_nomem(err);
  up_printer_fini(&p);
  return st;
}

up_status_t up_api_reply_printer(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                 const char *id, up_error_t *err)
{
  return reply_printer(app, req, resp, id, 200, err);
}

UP_HANDLER(up_api_printer_get)
{
  return reply_printer(app, req, resp, req->params.v[0], 200, err);
}

UP_HANDLER(up_api_printer_patch)
{
  const char *id = req->params.v[0];
  up_printer_t p;
  up_status_t st;
  memset(&p, 0, sizeof(p));
  if ((st = up_api_not_found(up_store_printer_get(app->store, up_api_tenant(req), id, &p, err), err,
                             "printer", id)) != UP_OK)
    goto out;
  /* With application permissions only the registering app may update, and only a printer
   * without a physical device (reference 3.10). */
  if (req->principal->is_app && (p.has_physical_device || !p.registered_by_app ||
                                 !up_str_ieq(p.registered_by_app, req->principal->app_id))) {
    st = up_error_set(
        err, UP_FORBIDDEN, NULL,
        "Only the application that registered a printer without a physical device may update it "
        "with application permissions.");
    goto out;
  }
  if ((st = up_printer_apply_patch(app, req->body, req->version, req->principal->is_app, &p,
                                   err)) != UP_OK ||
      (st = up_api_not_found(up_store_printer_update(app->store, &p, err), err, "printer", id)) !=
          UP_OK)
    goto out;
  st = reply_printer(app, req, resp, id, 200, err);
out:
  up_printer_fini(&p);
  return st;
}

UP_HANDLER(up_api_printer_delete)
{
  char(*docs)[UP_ID_SIZE] = NULL;
  size_t n = 0;
  char path[1200];
  const char *id = req->params.v[0];
  /* The printer's jobs go with it, and their documents' content. */
  up_status_t st = up_store_printer_documents(app->store, up_api_tenant(req), id, &docs, &n, err);
  if (st == UP_OK)
    st = up_store_printer_delete(app->store, up_api_tenant(req), id, err);
  for (size_t i = 0; st == UP_OK && i < n; i++) {
    snprintf(path, sizeof(path), "%s/%s", app->documents_dir, docs[i]);
    unlink(path);
  }
  free(docs);
  return up_api_no_content(st, resp, err, "printer", id);
}

UP_HANDLER(up_api_printer_restore_defaults)
{
  const char *id = req->params.v[0];
  up_printer_t p;
  up_status_t st;
  memset(&p, 0, sizeof(p));
  if ((st = up_api_not_found(up_store_printer_get(app->store, up_api_tenant(req), id, &p, err), err,
                             "printer", id)) != UP_OK)
    goto out;
  if (!up_str_set(&p.defaults_json, p.factory_defaults_json)) {
    st = up_api_nomem(err);
    goto out;
  }
  if ((st = up_api_not_found(up_store_printer_update(app->store, &p, err), err, "printer", id)) ==
      UP_OK)
    st = up_reply_empty(resp, 204);
out:
  up_printer_fini(&p);
  return st;
}

UP_HANDLER(up_api_printer_shares_list)
{
  const char *id = req->params.v[0];
  up_printer_t p;
  char set[128];
  unsigned flags;
  up_status_t st;
  memset(&p, 0, sizeof(p));
  if ((st = up_api_share_flags(app, req, &flags, err)) == UP_OK &&
      (st = up_api_not_found(up_store_printer_get(app->store, up_api_tenant(req), id, &p, err), err,
                             "printer", id)) == UP_OK) {
    const char *scope[] = {up_api_tenant(req), p.id};
    snprintf(set, sizeof(set), "print/printers('%s')/shares", p.id);
    st = up_api_list(app, req, resp, UP_COLL_SHARES, scope, 2, set, up_api_render_share, flags,
                     NULL, err);
  }
  up_printer_fini(&p);
  return st;
}

/* Answers the share of printer printer_id whose id is share_id (or its only share when
 * share_id is NULL). */
static up_status_t reply_printer_share(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                       const char *printer_id, const char *share_id,
                                       up_error_t *err)
{
  up_printer_t p;
  up_share_t s;
  unsigned flags;
  char set[128];
  up_status_t st;
  memset(&p, 0, sizeof(p));
  memset(&s, 0, sizeof(s));
  if ((st = single_flags(app, req, "printerShare", &flags, err)) != UP_OK ||
      (st = up_api_not_found(
           up_store_printer_get(app->store, up_api_tenant(req), printer_id, &p, err), err,
           "printer", printer_id)) != UP_OK)
    goto out;
  if (!share_id)
    share_id = p.share_id;
  if (!p.is_shared || !up_str_ieq(p.share_id, share_id)) {
    st = up_error_set(err, UP_NOT_FOUND, NULL, "The printer '%.64s' has no share '%.64s'.",
                      printer_id, share_id);
    goto out;
  }
  if ((st = up_api_not_found(up_store_share_get(app->store, up_api_tenant(req), share_id, &s, err),
                             err, "share", share_id)) != UP_OK)
    goto out;
  snprintf(set, sizeof(set), "print/printers('%s')/shares", p.id);
  st = up_api_entity(app, req, resp, 200, set, up_share_render(&s, flags)) == UP_OK
           ? UP_OK
           : up_api_nomem(err);
out:
  up_share_fini(&s);
  up_printer_fini(&p);
  return st;
}

UP_HANDLER(up_api_printer_share_get)
{
  return reply_printer_share(app, req, resp, req->params.v[0], req->params.v[1], err);
}

UP_HANDLER(up_api_printer_share_single)
{
  return reply_printer_share(app, req, resp, req->params.v[0], NULL, err);
}
