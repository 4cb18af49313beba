/* api-print.c - /print/operations: the printer registration operations (reference 2.1, 3.9).
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/model.h"
#include "uprintd/response.h"

#include <string.h>

/* Renders an operation with its printer (null once the printer is gone). */
static struct json_t *render_operation(up_app_t *app, const up_operation_t *op)
{
  up_printer_t p;
  memset(&p, 0, sizeof(p));
  bool have = op->printer_id[0] &&
              up_store_printer_get(app->store, op->tenant_id, op->printer_id, &p, NULL) == UP_OK;
  struct json_t *o = up_operation_render(op, have ? &p : NULL);
  up_printer_fini(&p);
  return o;
}

static struct json_t *render_operation_item(const void *item, unsigned flags, void *ctx)
{
  (void)flags;
  return render_operation(ctx, item);
}

UP_HANDLER(up_api_operations_list)
{
  const char *scope[] = {up_api_tenant(req)};
  return up_api_list(app, req, resp, UP_COLL_OPERATIONS, scope, 1, "print/operations",
                     render_operation_item, 0, app, err);
}

UP_HANDLER(up_api_operation_get)
{
  const char *id = req->params.v[0];
  up_operation_t op;
  up_status_t st;
  memset(&op, 0, sizeof(op));
  if ((st = up_api_not_found(up_store_operation_get(app->store, up_api_tenant(req), id, &op, err),
                             err, "operation", id)) == UP_OK)
    st = up_reply_json(app, req, resp, 200, "print/operations/$entity",
                       render_operation(app, &op)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  up_operation_fini(&op);
  return st;
}

UP_HANDLER(up_api_operation_printer_get)
{
  const char *id = req->params.v[0];
  up_operation_t op;
  up_status_t st;
  memset(&op, 0, sizeof(op));
  if ((st = up_api_not_found(up_store_operation_get(app->store, up_api_tenant(req), id, &op, err),
                             err, "operation", id)) == UP_OK) {
    if (!op.printer_id[0])
      st = up_error_set(err, UP_NOT_FOUND, NULL, "The operation '%.64s' has no printer.", id);
    else
      st = up_api_reply_printer(app, req, resp, op.printer_id, err);
  }
  up_operation_fini(&op);
  return st;
}

UP_HANDLER(up_api_operations_count)
{
  const char *scope[] = {up_api_tenant(req)};
  return up_api_count(app, req, resp, UP_COLL_OPERATIONS, scope, 1, err);
}
