/* api-tasks.c - pull printing: task definitions (an application's), task triggers (on printers)
 * and the tasks they create when a job starts (reference 2.5, 3.12, 3.13, 6).
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/job.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <string.h>

/* Definitions belong to the application that created them (reference 3.13): another
 * application's definition is as invisible as one that does not exist. */
static up_status_t own_definition(up_app_t *app, const up_request_t *req, const char *id,
                                  up_task_definition_t *d, up_error_t *err)
{
  up_status_t st = up_store_task_definition_get(app->store, up_api_tenant(req), id, d, err);
  if (st == UP_OK && !up_str_ieq(d->app_id, req->principal->app_id)) {
    up_task_definition_fini(d);
    st = UP_NOT_FOUND;
  }
  return up_api_not_found(st, err, "task definition", id);
}

/* Expansions (reference 10.6): a definition's tasks, a task's definition and trigger, a
 * trigger's definition. */
static const up_nav_t definition_navs[] = {{"tasks", UP_RENDER_DEF_TASKS}, {NULL, 0}};
static const up_nav_t task_navs[] = {
    {"definition", UP_RENDER_DEFINITION}, {"trigger", UP_RENDER_TRIGGER}, {NULL, 0}};
static const up_nav_t trigger_navs[] = {{"definition", UP_RENDER_DEFINITION}, {NULL, 0}};

typedef struct expand_ctx {
  up_app_t *app;
  const char *tenant;
} expand_ctx_t;

/* Attaches what was read (st UP_OK: value; UP_NOT_FOUND: null) to obj as name; NULL on failure. */
static struct json_t *attach(struct json_t *obj, const char *name, up_status_t st,
                             struct json_t *value)
{
  if (!obj)
    return NULL;
  if (st == UP_NOT_FOUND && !value)
    value = up_model_null();
  if ((st != UP_OK && st != UP_NOT_FOUND) || !up_model_attach(obj, name, value)) {
    up_json_free(obj);
    return NULL;
  }
  return obj;
}

static struct json_t *render_definition(const void *item, unsigned flags, void *ctx)
{
  const up_task_definition_t *d = item;
  const expand_ctx_t *x = ctx;
  struct json_t *obj = up_task_definition_render(d);
  if (obj && (flags & UP_RENDER_DEF_TASKS)) {
    up_task_list_t tasks = {0};
    up_error_t err;
    struct json_t *arr = NULL;
    up_status_t st = up_store_task_list(x->app->store, x->tenant, d->id, &tasks, &err);
    if (st == UP_OK && (arr = up_api_array()))
      for (size_t i = 0; i < tasks.count && arr; i++)
        if (!up_api_array_add(arr, up_task_render(&tasks.items[i]), NULL)) {
          up_json_free(arr);
          arr = NULL;
        }
    up_task_list_fini(&tasks);
    obj = attach(obj, "tasks", arr ? UP_OK : UP_NOMEM, arr);
  }
  return obj;
}

static struct json_t *render_trigger(const void *item, unsigned flags, void *ctx)
{
  const up_task_trigger_t *t = item;
  const expand_ctx_t *x = ctx;
  struct json_t *obj = up_task_trigger_render(t);
  if (obj && (flags & UP_RENDER_DEFINITION)) {
    up_task_definition_t d;
    up_error_t err;
    memset(&d, 0, sizeof(d));
    up_status_t st =
        up_store_task_definition_get(x->app->store, x->tenant, t->definition_id, &d, &err);
    obj = attach(obj, "definition", st, st == UP_OK ? up_task_definition_render(&d) : NULL);
    up_task_definition_fini(&d);
  }
  return obj;
}

static struct json_t *render_task(const void *item, unsigned flags, void *ctx)
{
  const up_task_t *t = item;
  const expand_ctx_t *x = ctx;
  struct json_t *obj = up_task_render(t);
  up_error_t err;
  if (obj && (flags & UP_RENDER_DEFINITION)) {
    up_task_definition_t d;
    memset(&d, 0, sizeof(d));
    up_status_t st =
        up_store_task_definition_get(x->app->store, x->tenant, t->definition_id, &d, &err);
    obj = attach(obj, "definition", st, st == UP_OK ? up_task_definition_render(&d) : NULL);
    up_task_definition_fini(&d);
  }
  if (obj && (flags & UP_RENDER_TRIGGER)) {
    up_task_trigger_t tr;
    up_status_t st = t->trigger_id[0] ? up_store_task_trigger_get(x->app->store, x->tenant, NULL,
                                                                  t->trigger_id, &tr, &err)
                                      : UP_NOT_FOUND;
    obj = attach(obj, "trigger", st, st == UP_OK ? up_task_trigger_render(&tr) : NULL);
  }
  return obj;
}

UP_HANDLER(up_api_definitions_create)
{
  up_task_definition_t d;
  char link[1024];
  up_status_t st;
  memset(&d, 0, sizeof(d));
  if ((st = up_task_definition_from_create(app, req->body, req->version, &d, err)) != UP_OK)
    goto out;
  up_uuid_new(d.id);
  up_strlcpy(d.tenant_id, up_api_tenant(req), sizeof(d.tenant_id));
  d.created_at = up_time_now();
  if (!up_str_set(&d.app_id, req->principal->app_id)) {
    st = up_api_nomem(err);
    goto out;
  }
  if ((st = up_store_task_definition_create(app->store, &d, err)) != UP_OK ||
      (st = up_api_entity(app, req, resp, 201, "print/taskDefinitions",
                          up_task_definition_render(&d))) != UP_OK)
    goto out;
  up_link(app, req->version, "/print/taskDefinitions/", link, sizeof(link) - UP_ID_SIZE);
  strcat(link, d.id);
  up_response_header(resp, "Location", link);
out:
  up_task_definition_fini(&d);
  return st == UP_NOMEM ? up_api_nomem(err) : st;
}

UP_HANDLER(up_api_definitions_list)
{
  /* An application lists the definitions it created (reference 3.13). */
  const char *scope[] = {up_api_tenant(req), req->principal->app_id};
  expand_ctx_t x = {app, up_api_tenant(req)};
  unsigned flags = 0;
  up_status_t st =
      up_model_check_expand(req->query, "printTaskDefinition", definition_navs, &flags, err);
  return st == UP_OK ? up_api_list(app, req, resp, UP_COLL_DEFINITIONS, scope, 2,
                                   "print/taskDefinitions", render_definition, flags, &x, err)
                     : st;
}

UP_HANDLER(up_api_definition_get)
{
  up_task_definition_t d;
  expand_ctx_t x = {app, up_api_tenant(req)};
  unsigned flags = 0;
  memset(&d, 0, sizeof(d));
  up_status_t st;
  if ((st = up_model_check_expand(req->query, "printTaskDefinition", definition_navs, &flags,
                                  err)) == UP_OK &&
      (st = own_definition(app, req, req->params.v[0], &d, err)) == UP_OK)
    st = up_api_entity(app, req, resp, 200, "print/taskDefinitions",
                       render_definition(&d, flags, &x)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  up_task_definition_fini(&d);
  return st;
}

UP_HANDLER(up_api_definition_patch)
{
  up_task_definition_t d;
  memset(&d, 0, sizeof(d));
  up_status_t st;
  if ((st = own_definition(app, req, req->params.v[0], &d, err)) == UP_OK &&
      (st = up_task_definition_apply_patch(app, req->body, req->version, &d, err)) == UP_OK &&
      (st = up_store_task_definition_update(app->store, &d, err)) == UP_OK)
    st = up_api_entity(app, req, resp, 200, "print/taskDefinitions",
                       up_task_definition_render(&d)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  up_task_definition_fini(&d);
  return st;
}

UP_HANDLER(up_api_definition_delete)
{
  up_task_definition_t d;
  memset(&d, 0, sizeof(d));
  up_status_t st;
  if ((st = own_definition(app, req, req->params.v[0], &d, err)) == UP_OK)
    st = up_store_task_definition_delete(app->store, up_api_tenant(req), d.id, err);
  up_task_definition_fini(&d);
  return up_api_no_content(st, resp, err, "task definition", req->params.v[0]);
}

/* The task params.v[1] of the caller's definition params.v[0]. */
static up_status_t own_task(up_app_t *app, const up_request_t *req, up_task_t *t, up_error_t *err)
{
  up_task_definition_t d;
  memset(&d, 0, sizeof(d));
  memset(t, 0, sizeof(*t));
  up_status_t st;
  if ((st = own_definition(app, req, req->params.v[0], &d, err)) == UP_OK)
    st = up_api_not_found(
        up_store_task_get(app->store, up_api_tenant(req), d.id, req->params.v[1], t, err), err,
        "task", req->params.v[1]);
  up_task_definition_fini(&d);
  return st;
}

UP_HANDLER(up_api_tasks_list)
{
  up_task_definition_t d;
  char set[128];
  memset(&d, 0, sizeof(d));
  up_status_t st;
  expand_ctx_t x = {app, up_api_tenant(req)};
  unsigned flags = 0;
  if ((st = up_model_check_expand(req->query, "printTask", task_navs, &flags, err)) == UP_OK &&
      (st = own_definition(app, req, req->params.v[0], &d, err)) == UP_OK) {
    const char *scope[] = {up_api_tenant(req), d.id};
    snprintf(set, sizeof(set), "print/taskDefinitions('%s')/tasks", d.id);
    st = up_api_list(app, req, resp, UP_COLL_TASKS, scope, 2, set, render_task, flags, &x, err);
  }
  up_task_definition_fini(&d);
  return st;
}

static up_status_t reply_task(up_app_t *app, const up_request_t *req, up_response_t *resp,
                              const up_task_t *t, up_error_t *err)
{
  char set[128];
  expand_ctx_t x = {app, up_api_tenant(req)};
  unsigned flags = 0;
  up_status_t st = up_model_check_expand(req->query, "printTask", task_navs, &flags, err);
  if (st != UP_OK)
    return st;
  snprintf(set, sizeof(set), "print/taskDefinitions('%s')/tasks", t->definition_id);
  return up_api_entity(app, req, resp, 200, set, render_task(t, flags, &x)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
}

UP_HANDLER(up_api_task_get)
{
  up_task_t t;
  up_status_t st = own_task(app, req, &t, err);
  if (st == UP_OK)
    st = reply_task(app, req, resp, &t, err);
  up_task_fini(&t);
  return st;
}

UP_HANDLER(up_api_task_patch)
{
  up_task_t t;
  up_task_state_t state;
  const char *description = NULL;
  up_job_t job;
  memset(&job, 0, sizeof(job));
  up_status_t st = own_task(app, req, &t, err);
  if (st != UP_OK ||
      (st = up_task_status_from_patch(app, req->body, req->version, &state, &description, err)))
    goto out;
  if (t.state != UP_TASK_PROCESSING) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "The task is %s already; only a processing task can end.",
                      up_task_state_name(t.state));
    goto out;
  }
  /* Completing the task releases its job into the queue; aborting it aborts the job. */
  up_job_event_args_t args = {.task_id = t.id,
                              .task_state = state,
                              .task_description = description ? description
                                                  : state == UP_TASK_COMPLETED
                                                      ? "The task has completed."
                                                      : "The task was aborted."};
  up_job_event_t ev = state == UP_TASK_COMPLETED ? UP_JOB_EV_RELEASE : UP_JOB_EV_ABORT;
  if ((st = up_job_apply(app->store, t.tenant_id, t.job_id, ev, &args, &job, err)) != UP_OK)
    goto out;
  if (ev == UP_JOB_EV_RELEASE)
    up_devices_kick(app->devices, job.printer_id);
  up_task_fini(&t);
  if ((st = own_task(app, req, &t, err)) == UP_OK)
    st = reply_task(app, req, resp, &t, err);
out:
  up_job_fini(&job);
  up_task_fini(&t);
  return st;
}

UP_HANDLER(up_api_task_definition_get)
{
  up_task_t t;
  up_task_definition_t d;
  memset(&d, 0, sizeof(d));
  up_status_t st = own_task(app, req, &t, err);
  if (st == UP_OK && (st = own_definition(app, req, t.definition_id, &d, err)) == UP_OK)
    st = up_api_entity(app, req, resp, 200, "print/taskDefinitions",
                       up_task_definition_render(&d)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  up_task_definition_fini(&d);
  up_task_fini(&t);
  return st;
}

UP_HANDLER(up_api_task_trigger_get)
{
  up_task_t t;
  up_task_trigger_t tr;
  char set[128];
  up_status_t st = own_task(app, req, &t, err);
  if (st == UP_OK && !t.trigger_id[0])
    st = up_error_set(err, UP_NOT_FOUND, NULL, "The task's trigger was deleted.");
  if (st == UP_OK &&
      (st = up_api_not_found(
           up_store_task_trigger_get(app->store, up_api_tenant(req), NULL, t.trigger_id, &tr, err),
           err, "trigger", t.trigger_id)) == UP_OK) {
    snprintf(set, sizeof(set), "print/printers('%s')/taskTriggers", tr.printer_id);
    st = up_api_entity(app, req, resp, 200, set, up_task_trigger_render(&tr)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  }
  up_task_fini(&t);
  return st;
}

/* --- triggers on printers --- */

static up_status_t printer_exists(up_app_t *app, const up_request_t *req, up_error_t *err)
{
  up_printer_t p;
  up_status_t st = up_store_printer_get(app->store, up_api_tenant(req), req->params.v[0], &p, err);
  up_printer_fini(&p);
  return up_api_not_found(st, err, "printer", req->params.v[0]);
}

/* Triggers are managed by a Printer Administrator (the permission table) signed in to the
 * application that created the trigger's definition (reference 3.12): an administrator signed
 * in to another application is refused. */
static up_status_t trigger_caller(const up_request_t *req, const up_task_definition_t *d,
                                  const char *what, up_error_t *err)
{
  const up_principal_t *p = req->principal;
  if (!up_str_ieq(d->app_id, p->app_id))
    return up_error_set(err, UP_FORBIDDEN, NULL,
                        "The token was issued to application '%.64s'; only the application that "
                        "created the task definition ('%.64s') may %s.",
                        p->app_id ? p->app_id : "", d->app_id ? d->app_id : "", what);
  return UP_OK;
}

UP_HANDLER(up_api_triggers_create)
{
  up_task_trigger_t t;
  up_task_definition_t d;
  char set[128], link[1024];
  memset(&t, 0, sizeof(t));
  memset(&d, 0, sizeof(d));
  up_status_t st = printer_exists(app, req, err);
  if (st != UP_OK ||
      (st = up_task_trigger_from_create(app, req->body, req->version, &t, err)) != UP_OK)
    goto out;
  /* The definition must exist, and the caller's application must be the one that made it. */
  st = up_store_task_definition_get(app->store, up_api_tenant(req), t.definition_id, &d, err);
  if (st == UP_NOT_FOUND) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "definition@odata.bind: the task definition '%s' was not found.",
                      t.definition_id);
    up_error_set_target(err, "definition@odata.bind");
    goto out;
  }
  if (st != UP_OK || (st = trigger_caller(req, &d, "bind a trigger to it", err)) != UP_OK)
    goto out;
  up_uuid_new(t.id);
  up_strlcpy(t.tenant_id, up_api_tenant(req), sizeof(t.tenant_id));
  up_strlcpy(t.printer_id, req->params.v[0], sizeof(t.printer_id));
  t.created_at = up_time_now();
  if ((st = up_store_task_trigger_create(app->store, &t, err)) == UP_CONFLICT) {
    st = up_error_set(err, UP_CONFLICT, NULL,
                      "The printer has a task trigger already; one per printer.");
    goto out;
  }
  if (st != UP_OK)
    goto out;
  snprintf(set, sizeof(set), "print/printers('%s')/taskTriggers", t.printer_id);
  if ((st = up_api_entity(app, req, resp, 201, set, up_task_trigger_render(&t))) != UP_OK) {
    st = up_api_nomem(err);
    goto out;
  }
  snprintf(link, sizeof(link), "%s/%s%s/%s", app->base_url, up_api_version_name(req->version),
           req->path, t.id);
  up_response_header(resp, "Location", link);
out:
  up_task_definition_fini(&d);
  return st;
}

UP_HANDLER(up_api_triggers_list)
{
  char set[128];
  expand_ctx_t x = {app, up_api_tenant(req)};
  unsigned flags = 0;
  up_status_t st = up_model_check_expand(req->query, "printTaskTrigger", trigger_navs, &flags, err);
  if (st == UP_OK && (st = printer_exists(app, req, err)) == UP_OK) {
    const char *scope[] = {up_api_tenant(req), req->params.v[0]};
    snprintf(set, sizeof(set), "print/printers('%s')/taskTriggers", req->params.v[0]);
    st = up_api_list(app, req, resp, UP_COLL_TRIGGERS, scope, 2, set, render_trigger, flags, &x,
                     err);
  }
  return st;
}

UP_HANDLER(up_api_trigger_get)
{
  up_task_trigger_t t;
  char set[128];
  expand_ctx_t x = {app, up_api_tenant(req)};
  unsigned flags = 0;
  up_status_t st = up_model_check_expand(req->query, "printTaskTrigger", trigger_navs, &flags, err);
  if (st == UP_OK)
    st = up_api_not_found(up_store_task_trigger_get(app->store, up_api_tenant(req),
                                                    req->params.v[0], req->params.v[1], &t, err),
                          err, "trigger", req->params.v[1]);
  if (st == UP_OK) {
    snprintf(set, sizeof(set), "print/printers('%s')/taskTriggers", t.printer_id);
    st = up_api_entity(app, req, resp, 200, set, render_trigger(&t, flags, &x)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  }
  return st;
}

UP_HANDLER(up_api_trigger_delete)
{
  up_task_trigger_t t;
  up_task_definition_t d;
  memset(&d, 0, sizeof(d));
  up_status_t st =
      up_api_not_found(up_store_task_trigger_get(app->store, up_api_tenant(req), req->params.v[0],
                                                 req->params.v[1], &t, err),
                       err, "trigger", req->params.v[1]);
  if (st == UP_OK &&
      (st = up_store_task_definition_get(app->store, up_api_tenant(req), t.definition_id, &d,
                                         err)) == UP_OK &&
      (st = trigger_caller(req, &d, "delete its trigger", err)) == UP_OK)
    st = up_store_task_trigger_delete(app->store, up_api_tenant(req), req->params.v[0],
                                      req->params.v[1], err);
  up_task_definition_fini(&d);
  return up_api_no_content(st, resp, err, "trigger", req->params.v[1]);
}

/* --- the task timeout --- */

void up_api_tasks_housekeeping(up_app_t *app)
{
  up_task_list_t late = {0};
  up_error_t err;
  up_time_t cutoff =
      up_time_now() - (up_time_t)app->config.task_timeout_s * UP_TIME_TICKS_PER_SECOND;
  if (up_store_task_list_processing_before(app->store, cutoff, &late, &err) != UP_OK) {
    up_log(UP_LOG_WARN, "task timeout: %s", err.message);
    return;
  }
  for (size_t i = 0; i < late.count; i++) {
    const up_task_t *t = &late.items[i];
    up_job_t job;
    char why[128];
    snprintf(why, sizeof(why), "The task was not completed within %u seconds; its job was aborted.",
             app->config.task_timeout_s);
    up_job_event_args_t args = {
        .task_id = t->id, .task_state = UP_TASK_ABORTED, .task_description = why};
    if (up_job_apply(app->store, t->tenant_id, t->job_id, UP_JOB_EV_ABORT, &args, &job, &err) ==
        UP_OK) {
      up_log(UP_LOG_INFO, "task %s timed out: job %lld aborted", t->id, (long long)t->job_id);
      up_devices_job_gone(app->devices, job.printer_id, job.id);
    } else {
      /* The job ended otherwise (canceled by its user): the task ends with it. */
      up_job_close_task(app->store, t->tenant_id, t->job_id, t->id, UP_TASK_ABORTED, why, NULL);
    }
    up_job_fini(&job);
  }
  up_task_list_fini(&late);
}
