/* objects.c - release and copy of the plain stored objects.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/objects.h"

#include <stdlib.h>
#include <string.h>

void up_printer_fini(up_printer_t *p)
{
  if (!p)
    return;
  free(p->display_name);
  free(p->manufacturer);
  free(p->model);
  free(p->physical_device_id);
  free(p->connector_id);
  free(p->registered_by_app);
  free(p->registered_by_user);
  free(p->status_json);
  free(p->location_json);
  free(p->defaults_json);
  free(p->factory_defaults_json);
  free(p->capabilities_json);
  memset(p, 0, sizeof(*p));
}

void up_share_fini(up_share_t *s)
{
  if (!s)
    return;
  free(s->display_name);
  up_printer_fini(&s->printer);
  memset(s, 0, sizeof(*s));
}

void up_operation_fini(up_operation_t *op)
{
  if (!op)
    return;
  free(op->description);
  free(op->certificate);
  memset(op, 0, sizeof(*op));
}

#define LIST_FINI(fn, type, item_fini)                                                             \
  void fn(type *l)                                                                                 \
  {                                                                                                \
    if (!l)                                                                                        \
      return;                                                                                      \
    for (size_t i = 0; i < l->count; i++)                                                          \
      item_fini(&l->items[i]);                                                                     \
    free(l->items);                                                                                \
    l->items = NULL;                                                                               \
    l->count = 0;                                                                                  \
  }

LIST_FINI(up_printer_list_fini, up_printer_list_t, up_printer_fini)
LIST_FINI(up_share_list_fini, up_share_list_t, up_share_fini)
LIST_FINI(up_operation_list_fini, up_operation_list_t, up_operation_fini)

static void member_fini(up_member_t *m)
{
  (void)m;
}
LIST_FINI(up_member_list_fini, up_member_list_t, member_fini)

bool up_printer_copy(up_printer_t *dst, const up_printer_t *src)
{
  *dst = *src;
  dst->display_name = up_strdup(src->display_name);
  dst->manufacturer = up_strdup(src->manufacturer);
  dst->model = up_strdup(src->model);
  dst->physical_device_id = up_strdup(src->physical_device_id);
  dst->connector_id = up_strdup(src->connector_id);
  dst->registered_by_app = up_strdup(src->registered_by_app);
  dst->registered_by_user = up_strdup(src->registered_by_user);
  dst->status_json = up_strdup(src->status_json);
  dst->location_json = up_strdup(src->location_json);
  dst->defaults_json = up_strdup(src->defaults_json);
  dst->factory_defaults_json = up_strdup(src->factory_defaults_json);
  dst->capabilities_json = up_strdup(src->capabilities_json);
#define MISSING(f) (src->f && !dst->f)
  if (MISSING(display_name) || MISSING(manufacturer) || MISSING(model) ||
      MISSING(physical_device_id) || MISSING(connector_id) || MISSING(registered_by_app) ||
      MISSING(registered_by_user) || MISSING(status_json) || MISSING(location_json) ||
      MISSING(defaults_json) || MISSING(factory_defaults_json) || MISSING(capabilities_json)) {
    up_printer_fini(dst);
    return false;
  }
#undef MISSING
  return true;
}

void up_document_fini(up_document_t *d)
{
  if (!d)
    return;
  free(d->display_name);
  free(d->content_type);
  memset(d, 0, sizeof(*d));
}

void up_job_fini(up_job_t *j)
{
  if (!j)
    return;
  free(j->configuration_json);
  free(j->created_by_name);
  free(j->created_by_upn);
  free(j->created_by_app);
  free(j->redirected_from);
  free(j->redirected_to);
  up_document_fini(&j->document);
  memset(j, 0, sizeof(*j));
}

LIST_FINI(up_job_list_fini, up_job_list_t, up_job_fini)

void up_upload_fini(up_upload_t *u)
{
  if (!u)
    return;
  free(u->document_name);
  free(u->content_type);
  free(u->received);
  memset(u, 0, sizeof(*u));
}

void up_task_definition_fini(up_task_definition_t *d)
{
  if (!d)
    return;
  free(d->display_name);
  free(d->app_id);
  free(d->app_name);
  memset(d, 0, sizeof(*d));
}

LIST_FINI(up_task_definition_list_fini, up_task_definition_list_t, up_task_definition_fini)

static void task_trigger_fini(up_task_trigger_t *t)
{
  memset(t, 0, sizeof(*t));
}

LIST_FINI(up_task_trigger_list_fini, up_task_trigger_list_t, task_trigger_fini)

void up_task_fini(up_task_t *t)
{
  if (!t)
    return;
  free(t->parent_url);
  free(t->description);
  memset(t, 0, sizeof(*t));
}

LIST_FINI(up_task_list_fini, up_task_list_t, up_task_fini)
