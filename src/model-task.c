/* model-task.c - task definitions, triggers and tasks of pull printing as Graph JSON, and the
 * bodies of the application-side job operations (PATCH, abort, redirect) (reference 3.3, 3.6,
 * 3.7, 3.12, 3.13).
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const task_states[] = {"pending", "processing", "completed", "aborted"};

const char *up_task_state_name(up_task_state_t st)
{
  return (unsigned)st < 4 ? task_states[st] : "unknownFutureValue";
}

static up_status_t bad(up_error_t *err, const char *target, const char *message)
{
  up_error_set(err, UP_INVALID, NULL, "%s", message);
  up_error_set_target(err, target);
  return UP_INVALID;
}

json_t *up_task_definition_render(const up_task_definition_t *d)
{
  json_t *o = json_object(), *by = json_object();
  bool ok = o && by && up_model_set(o, "id", json_string(d->id)) &&
            up_model_set(o, "displayName", json_string(d->display_name ? d->display_name : "")) &&
            up_model_set(by, "appId", up_model_string(d->app_id)) &&
            up_model_set(by, "displayName", up_model_string(d->app_name)) &&
            json_object_set(o, "createdBy", by) == 0;
  json_decref(by);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_task_trigger_render(const up_task_trigger_t *t)
{
  json_t *o = json_object();
  if (!o || !up_model_set(o, "id", json_string(t->id)) ||
      !up_model_set(o, "event", json_string("jobStarted"))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_task_render(const up_task_t *t)
{
  json_t *o = json_object(), *status = json_object();
  bool ok =
      o && status && up_model_set(o, "id", json_string(t->id)) &&
      up_model_set(o, "parentUrl", json_string(t->parent_url ? t->parent_url : "")) &&
      up_model_set(status, "state", json_string(up_task_state_name(t->state))) &&
      up_model_set(status, "description", json_string(t->description ? t->description : "")) &&
      json_object_set(o, "status", status) == 0;
  json_decref(status);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* displayName and createdBy.displayName of a definition body (create or PATCH). */
static up_status_t definition_members(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                      up_task_definition_t *d, up_error_t *err)
{
  static const char *const allowed[] = {"displayName", "createdBy", NULL};
  const json_t *v;
  up_status_t st = up_model_check_body(app, "printTaskDefinition", body, ver, allowed, err);
  if (st != UP_OK)
    return st;
  if ((v = json_object_get(body, "displayName")) &&
      !up_str_set(&d->display_name, json_string_value(v)))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  if ((v = json_object_get(body, "createdBy")) && !json_is_null(v)) {
    /* The caller names itself; appId and the service principal are the server's. */
    if (!up_schema_validate(app->schema, "appIdentity", v, ver,
                            UP_VALIDATE_WRITE | UP_VALIDATE_ANNOTATIONS, "createdBy", err))
      return UP_INVALID;
    const json_t *name = json_object_get(v, "displayName");
    if (name && !up_str_set(&d->app_name, json_string_value(name)))
      return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }
  return UP_OK;
}

up_status_t up_task_definition_from_create(const up_app_t *app, const json_t *body,
                                           up_api_version_t ver, up_task_definition_t *d,
                                           up_error_t *err)
{
  up_status_t st = definition_members(app, body, ver, d, err);
  if (st == UP_OK && (!d->display_name || !d->display_name[0]))
    return bad(err, "displayName", "Property 'displayName' is required.");
  return st;
}

up_status_t up_task_definition_apply_patch(const up_app_t *app, const json_t *body,
                                           up_api_version_t ver, up_task_definition_t *d,
                                           up_error_t *err)
{
  up_status_t st = definition_members(app, body, ver, d, err);
  if (st == UP_OK && (!d->display_name || !d->display_name[0]))
    return bad(err, "displayName", "Property 'displayName' must not be empty.");
  return st;
}

up_status_t up_task_trigger_from_create(const up_app_t *app, const json_t *body,
                                        up_api_version_t ver, up_task_trigger_t *t, up_error_t *err)
{
  static const char *const allowed[] = {"event", "definition@odata.bind", NULL};
  up_status_t st = up_model_check_body(app, "printTaskTrigger", body, ver, allowed, err);
  const json_t *event = json_object_get(body, "event"),
               *bind = json_object_get(body, "definition@odata.bind");
  if (st != UP_OK)
    return st;
  if (!json_is_string(event) || strcmp(json_string_value(event), "jobStarted") != 0)
    return bad(err, "event",
               "Property 'event' must be jobStarted (the one event a trigger fires on).");
  if (!json_is_string(bind) ||
      !up_model_bind_id(json_string_value(bind), "print/taskDefinitions", t->definition_id))
    return bad(err, "definition@odata.bind",
               "'definition@odata.bind' must be the URL of a task definition, such as "
               "https://graph.microsoft.com/v1.0/print/taskDefinitions/{taskDefinitionId}.");
  return UP_OK;
}

up_status_t up_task_status_from_patch(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                      up_task_state_t *state, const char **description,
                                      up_error_t *err)
{
  static const char *const allowed[] = {"status", NULL};
  const json_t *status = json_object_get(body, "status"), *s;
  up_status_t st = up_model_check_body(app, "printTask", body, ver, allowed, err);
  if (st != UP_OK)
    return st;
  if (!json_is_object(status))
    return bad(err, "status",
               "Property 'status' ({\"state\": \"completed\" or \"aborted\"}) is required.");
  s = json_object_get(status, "state");
  if (json_is_string(s) && strcmp(json_string_value(s), "completed") == 0)
    *state = UP_TASK_COMPLETED;
  else if (json_is_string(s) && strcmp(json_string_value(s), "aborted") == 0)
    *state = UP_TASK_ABORTED;
  else
    return bad(err, "status.state",
               "Property 'status.state' must be completed or aborted: the application ends "
               "the task, the server starts it.");
  *description = json_string_value(json_object_get(status, "description"));
  return UP_OK;
}

up_status_t up_job_configuration_patch(const up_app_t *app, const json_t *body,
                                       up_api_version_t ver, const char *current, char **out,
                                       up_error_t *err)
{
  static const char *const allowed[] = {"configuration", NULL};
  const json_t *patch = json_object_get(body, "configuration");
  up_status_t st = up_model_check_body(app, "printJob", body, ver, allowed, err);
  *out = NULL;
  if (st != UP_OK)
    return st;
  if (!json_is_object(patch))
    return bad(err, "configuration",
               "Property 'configuration' (an object) is required; only it may change.");
  /* The patch alone must be valid; then members not in it keep their values. */
  char *checked = NULL;
  if ((st = up_job_configuration_check(app, patch, ver, "configuration", &checked, err)) != UP_OK)
    return st;
  json_t *cur = up_model_load(current),
         *target = json_is_object(cur) ? json_deep_copy(cur) : json_object();
  json_t *clean = up_model_load(checked);
  free(checked);
  if (!target || !json_is_object(clean) || !up_model_merge(target, clean))
    st = up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  else
    st = up_job_configuration_check(app, target, ver, "configuration", out, err);
  json_decref(clean);
  json_decref(target);
  json_decref(cur);
  return st;
}

up_status_t up_job_redirect_from_body(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                      char dest[UP_ID_SIZE], char **configuration, up_error_t *err)
{
  static const char *const allowed[] = {"destinationPrinterId", "configuration", NULL};
  const json_t *d = json_object_get(body, "destinationPrinterId"),
               *c = json_object_get(body, "configuration");
  up_status_t st = up_model_only(body, allowed, err);
  *configuration = NULL;
  if (st != UP_OK)
    return st;
  if (!json_is_string(d) || !up_uuid_is_valid(json_string_value(d)))
    return bad(err, "destinationPrinterId",
               "The parameter 'destinationPrinterId' (a printer id) is required.");
  up_strlcpy(dest, json_string_value(d), UP_ID_SIZE);
  up_ascii_lower(dest);
  if (c && !json_is_null(c))
    return up_job_configuration_check(app, c, ver, "configuration", configuration, err);
  return UP_OK;
}

up_status_t up_job_abort_from_body(const json_t *body, const char **reason, up_error_t *err)
{
  static const char *const allowed[] = {"reason", NULL};
  *reason = NULL;
  if (!body)
    return UP_OK;
  up_status_t st = up_model_only(body, allowed, err);
  if (st == UP_OK)
    st = up_model_get_string(body, "reason", reason, err);
  return st;
}
