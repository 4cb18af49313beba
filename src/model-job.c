/* model-job.c - print jobs, documents, job statuses and upload sessions as Graph JSON, and the
 * validation of job configurations and upload properties (reference 3.1, 3.8, 8).
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/job.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* printJobStateDetail names, by bit (Graph value) */
static const char *const detail_names[] = {
    "uploadPending",       "transforming", "completedSuccessfully", "completedWithWarnings",
    "completedWithErrors", "releaseWait",  "interpreting"};

/* Fails with a property-path error. */
static up_status_t bad(up_error_t *err, const char *path, const char *fmt, const char *what)
{
  up_error_set(err, UP_INVALID, NULL, fmt, path, what);
  up_error_set_target(err, path);
  return UP_INVALID;
}

/* Removes annotations ("@odata.type", "x@odata.type") from obj and the objects inside it. */
static void strip_annotations(json_t *v)
{
  const char *key;
  json_t *x;
  void *tmp;
  size_t i;
  if (json_is_object(v)) {
    json_object_foreach_safe(v, tmp, key, x)
    {
      if (strchr(key, '@'))
        json_object_del(v, key);
      else
        strip_annotations(x);
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, x) strip_annotations(x);
  }
}

/* Checks member name of obj (an integer when not null) against min. */
static up_status_t at_least(const json_t *obj, const char *name, json_int_t min, const char *path,
                            up_error_t *err)
{
  const json_t *v = json_object_get(obj, name);
  char full[160];
  if (!v || json_is_null(v) || json_integer_value(v) >= min)
    return UP_OK;
  snprintf(full, sizeof(full), "%s.%s", path, name);
  up_error_set(err, UP_INVALID, NULL, "Property '%s' must be at least %lld (it is %lld).", full,
               (long long)min, (long long)json_integer_value(v));
  up_error_set_target(err, full);
  return UP_INVALID;
}

up_status_t up_job_configuration_check(const up_app_t *app, const json_t *config,
                                       up_api_version_t ver, const char *path, char **out,
                                       up_error_t *err)
{
  json_t *copy = NULL, *ranges, *margin, *range;
  size_t i;
  up_status_t st = UP_OK;
  *out = NULL;
  if (!json_is_object(config))
    return bad(err, path, "Property '%s' must be a printJobConfiguration object%s.", "");
  if (!up_schema_validate(app->schema, "printJobConfiguration", config, ver,
                          UP_VALIDATE_WRITE | UP_VALIDATE_ANNOTATIONS, path, err))
    return UP_INVALID;
  /* Bounds the model cannot express. */
  if ((st = at_least(config, "copies", 1, path, err)) ||
      (st = at_least(config, "dpi", 1, path, err)) ||
      (st = at_least(config, "pagesPerSheet", 1, path, err)))
    return st;
  if (json_is_object(margin = json_object_get(config, "margin"))) {
    char mpath[128];
    snprintf(mpath, sizeof(mpath), "%s.margin", path);
    if ((st = at_least(margin, "top", 0, mpath, err)) ||
        (st = at_least(margin, "bottom", 0, mpath, err)) ||
        (st = at_least(margin, "left", 0, mpath, err)) ||
        (st = at_least(margin, "right", 0, mpath, err)))
      return st;
  }
  if (json_is_array(ranges = json_object_get(config, "pageRanges"))) {
    json_array_foreach(ranges, i, range)
    {
      /* beta's integerRange also has minimum and maximum (the older names of start and end):
       * every bound given is checked. */
      const json_t *s = json_object_get(range, "start"), *e = json_object_get(range, "end"),
                   *lo = json_object_get(range, "minimum"), *hi = json_object_get(range, "maximum");
      json_int_t start = json_is_integer(s) ? json_integer_value(s) : 1;
      json_int_t end = json_is_integer(e) ? json_integer_value(e) : start;
      json_int_t min = json_is_integer(lo) ? json_integer_value(lo) : start;
      json_int_t max = json_is_integer(hi)   ? json_integer_value(hi)
                       : json_is_integer(lo) ? min
                                             : end;
      if (start < 1 || end < start || min < 1 || max < min) {
        char rpath[128];
        snprintf(rpath, sizeof(rpath), "%s.pageRanges[%zu]", path, i);
        up_error_set(err, UP_INVALID, NULL,
                     "Property '%s' must be a page range with 1 <= start <= end (it is %lld-%lld).",
                     rpath, (long long)(start < 1 || end < start ? start : min),
                     (long long)(start < 1 || end < start ? end : max));
        up_error_set_target(err, rpath);
        return UP_INVALID;
      }
    }
  }
  /* Stored without annotations, members in the order given. */
  bool oom = false;
  if (!(copy = json_deep_copy(config)))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  strip_annotations(copy);
  /* A null collection means none (reference 8); Graph's schema has them as arrays. */
  static const char *const collections[] = {"finishings", "pageRanges"};
  for (size_t k = 0; k < 2; k++)
    if (json_is_null(json_object_get(copy, collections[k])))
      json_object_set_new(copy, collections[k], json_array());
  *out = up_model_dump(copy, &oom);
  if (!*out)
    *out = oom ? NULL : strdup("{}");
  json_decref(copy);
  return *out ? UP_OK : up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
}

up_status_t up_job_from_create(const up_app_t *app, const json_t *body, up_api_version_t ver,
                               up_job_t *j, up_error_t *err)
{
  static const char *const allowed[] = {"configuration", NULL};
  up_status_t st = up_model_check_body(app, "printJob", body, ver, allowed, err);
  const json_t *config = json_object_get(body, "configuration");
  if (st != UP_OK)
    return st;
  if (!config)
    return bad(err, "configuration", "Property '%s' is required%s.", "");
  return up_job_configuration_check(app, config, ver, "configuration", &j->configuration_json, err);
}

static const char *describe(const up_job_t *j)
{
  switch (j->state) {
  case UP_JOB_PAUSED:
    return "The job is not a candidate for processing yet.";
  case UP_JOB_PENDING:
    return "The print job is pending processing by the printer.";
  case UP_JOB_PROCESSING:
    return j->is_acquired ? "The print job is being printed by the printer."
                          : "The print job is currently being processed.";
  case UP_JOB_STOPPED:
    return "The print job has stopped because the printer needs attention.";
  case UP_JOB_COMPLETED:
    if (j->details & UP_JOB_DETAIL_COMPLETED_WITH_ERRORS)
      return "The print job has completed with errors and no further processing will take place.";
    if (j->details & UP_JOB_DETAIL_COMPLETED_WITH_WARNINGS)
      return "The print job has completed with warnings and no further processing will take place.";
    return "The print job has completed successfully and no further processing will take place.";
  case UP_JOB_CANCELED:
    return "The print job has been canceled by a user and no further processing will take place.";
  case UP_JOB_ABORTED:
    return "The print job has been aborted by a user or the printer and no further processing will "
           "take place.";
  default:
    return "The state of the print job is unknown.";
  }
}

json_t *up_job_status_render(const up_job_t *j)
{
  json_t *o = json_object(), *details = json_array();
  for (size_t i = 0; details && i < sizeof(detail_names) / sizeof(detail_names[0]); i++)
    if (j->details & (1u << i))
      json_array_append_new(details, json_string(detail_names[i]));
  if (!o || !details || !up_model_set(o, "state", json_string(up_job_state_name(j->state))) ||
      !up_model_set(o, "description", json_string(describe(j))) ||
      !up_model_set(o, "isAcquiredByPrinter", json_boolean(j->is_acquired)) ||
      json_object_set(o, "details", details)) {
    json_decref(o);
    o = NULL;
  }
  json_decref(details);
  return o;
}

json_t *up_document_render(const up_document_t *d)
{
  json_t *o = json_object();
  if (!o || !up_model_set(o, "id", json_string(d->id)) ||
      !up_model_set(o, "displayName", json_string(d->display_name ? d->display_name : "")) ||
      !up_model_set(o, "contentType", json_string(d->content_type ? d->content_type : "")) ||
      !up_model_set(o, "size", json_integer(d->size)) ||
      !up_model_set(o, "uploadedDateTime", up_model_time(d->uploaded_at)) ||
      !up_model_set(o, "downloadedDateTime", up_model_time(d->downloaded_at))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_document_render_uploaded(const up_document_t *d, const char *document_name)
{
  json_t *o = up_document_render(d);
  /* The upload protocol's example names it documentName (reference 4.2): both are sent. */
  if (o && json_object_set_new(o, "documentName",
                               json_string(document_name ? document_name : "")) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_job_render(const up_job_t *j, up_api_version_t ver, unsigned flags)
{
  char id[24];
  json_t *o = json_object(), *by = json_object(), *docs = NULL;
  snprintf(id, sizeof(id), "%lld", (long long)j->id);
  bool ok =
      o && by && up_model_set(o, "id", json_string(id)) &&
      up_model_set(o, "createdDateTime", up_model_time(j->created_at)) &&
      up_model_set(by, "id", up_model_string(j->created_by_id[0] ? j->created_by_id : NULL)) &&
      up_model_set(by, "displayName", up_model_string(j->created_by_name)) &&
      up_model_set(by, "userPrincipalName", up_model_string(j->created_by_upn)) &&
      up_model_set(by, "ipAddress", json_null()) && json_object_set(o, "createdBy", by) == 0 &&
      up_model_set(o, "status", up_job_status_render(j)) &&
      up_model_set(o, "configuration", up_model_load(j->configuration_json)) &&
      up_model_set(o, "isFetchable", json_boolean(j->is_fetchable)) &&
      up_model_set(o, "redirectedFrom", up_model_string(j->redirected_from)) &&
      up_model_set(o, "redirectedTo", up_model_string(j->redirected_to)) &&
      up_model_set(o, "acknowledgedDateTime", up_model_time(j->acknowledged_at)) &&
      up_model_set(o, "errorCode", j->has_error_code ? json_integer(j->error_code) : json_null());
  if (ok && ver == UP_API_BETA)
    ok = up_model_set(o, "completedDateTime", up_model_time(j->completed_at)) &&
         up_model_set(o, "displayName",
                      up_model_string(j->document.display_name && j->document.display_name[0]
                                          ? j->document.display_name
                                          : NULL));
  if (ok && (flags & UP_RENDER_DOCUMENTS))
    ok = (docs = json_array()) &&
         json_array_append_new(docs, up_document_render(&j->document)) == 0 &&
         json_object_set(o, "documents", docs) == 0;
  json_decref(by);
  json_decref(docs);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

up_status_t up_job_check_expand(const up_query_t *q, unsigned *flags, up_error_t *err)
{
  static const up_nav_t navs[] = {
      {"documents", UP_RENDER_DOCUMENTS}, {"tasks", UP_RENDER_TASKS}, {NULL, 0}};
  return up_model_check_expand(q, "printJob", navs, flags, err);
}

up_status_t up_model_only(const json_t *obj, const char *const *allowed, up_error_t *err)
{
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v)
  {
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = strcmp(*a, key) == 0;
    if (!ok)
      return bad(err, key, "'%s' is not a parameter of this request%s.", "");
  }
  return UP_OK;
}

up_status_t up_model_get_string(const json_t *obj, const char *name, const char **out,
                                up_error_t *err)
{
  const json_t *v = json_object_get(obj, name);
  *out = NULL;
  if (!v || json_is_null(v))
    return UP_OK;
  if (!json_is_string(v))
    return bad(err, name, "Property '%s' must be a string%s.", "");
  *out = json_string_value(v);
  return UP_OK;
}

up_status_t up_model_get_int(const json_t *obj, const char *name, int64_t min, int64_t max,
                             bool *present, int64_t *out, up_error_t *err)
{
  const json_t *v = json_object_get(obj, name);
  *present = v && !json_is_null(v);
  if (!*present)
    return UP_OK;
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
    up_error_set(err, UP_INVALID, NULL, "Property '%s' must be an integer from %lld to %lld.", name,
                 (long long)min, (long long)max);
    up_error_set_target(err, name);
    return UP_INVALID;
  }
  *out = json_integer_value(v);
  return UP_OK;
}

up_status_t up_upload_properties_from_body(const up_app_t *app, const json_t *body,
                                           up_api_version_t ver, char **name, char **content_type,
                                           int64_t *size, up_error_t *err)
{
  const char *key;
  json_t *v;
  const json_t *props = json_object_get(body, "properties");
  *name = *content_type = NULL;
  json_object_foreach((json_t *)body, key, v)
  {
    if (strcmp(key, "properties") != 0)
      return bad(err, key, "'%s' is not a parameter of the action 'createUploadSession'%s.", "");
  }
  if (!json_is_object(props))
    return bad(err, "properties",
               "The parameter '%s' is required (documentName, contentType, size)%s.", "");
  if (!up_schema_validate(app->schema, "printDocumentUploadProperties", props, ver,
                          UP_VALIDATE_ANNOTATIONS, "properties", err))
    return UP_INVALID;
  static const char *const required[] = {"documentName", "contentType", "size"};
  for (size_t i = 0; i < 3; i++) {
    if (!json_object_get(props, required[i])) {
      char path[64];
      snprintf(path, sizeof(path), "properties.%s", required[i]);
      return bad(err, path, "Property '%s' is required%s.", "");
    }
  }
  if (json_string_length(json_object_get(props, "contentType")) == 0)
    return bad(err, "properties.contentType", "Property '%s' must not be empty%s.", "");
  *size = json_integer_value(json_object_get(props, "size"));
  if (*size <= 0)
    return bad(err, "properties.size", "Property '%s' must be greater than 0%s.", "");
  if (!(*name = strdup(json_string_value(json_object_get(props, "documentName")))) ||
      !(*content_type = strdup(json_string_value(json_object_get(props, "contentType"))))) {
    free(*name);
    *name = NULL;
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }
  return UP_OK;
}

bool up_printer_accepts(const up_printer_t *p, const char *content_type)
{
  json_t *caps = up_model_load(p->capabilities_json),
         *types = json_object_get(caps, "contentTypes"), *t;
  size_t i;
  bool ok = false;
  if (!json_is_array(types)) {
    /* No list: what the simulated device takes. */
    json_decref(caps);
    char *defaults = up_printer_default_capabilities();
    caps = up_model_load(defaults);
    free(defaults);
    types = json_object_get(caps, "contentTypes");
  }
  json_array_foreach(types, i, t) ok =
      ok || (json_is_string(t) && strcasecmp(json_string_value(t), content_type) == 0);
  json_decref(caps);
  return ok;
}

json_t *up_upload_session_render(const char *url, up_time_t expires_at, const int64_t *holes,
                                 size_t n_holes)
{
  json_t *o = json_object(), *ranges = json_array();
  bool ok = o && ranges;
  for (size_t i = 0; ok && i < n_holes; i++) {
    char r[48];
    snprintf(r, sizeof(r), "%lld-%lld", (long long)holes[2 * i], (long long)holes[2 * i + 1]);
    ok = json_array_append_new(ranges, json_string(r)) == 0;
  }
  ok = ok && (!url || up_model_set(o, "uploadUrl", json_string(url))) &&
       up_model_set(o, "expirationDateTime", up_model_time(expires_at)) &&
       json_object_set(o, "nextExpectedRanges", ranges) == 0;
  json_decref(ranges);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_model_device_render(const char *printer_id, bool held, bool stopped, int64_t current_job,
                               const int64_t *queue, size_t n)
{
  char id[24];
  json_t *o = json_object(), *q = json_array();
  bool ok = o && q;
  for (size_t i = 0; ok && i < n; i++) {
    snprintf(id, sizeof(id), "%lld", (long long)queue[i]);
    ok = json_array_append_new(q, json_string(id)) == 0;
  }
  snprintf(id, sizeof(id), "%lld", (long long)current_job);
  ok = ok && up_model_set(o, "printerId", json_string(printer_id)) &&
       up_model_set(o, "held", json_boolean(held)) &&
       up_model_set(o, "stopped", json_boolean(stopped)) &&
       up_model_set(o, "currentJobId", current_job ? json_string(id) : json_null()) &&
       json_object_set(o, "queue", q) == 0;
  json_decref(q);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_job_render_with_tasks(const up_job_t *j, up_api_version_t ver, unsigned flags,
                                 const up_task_list_t *tasks)
{
  json_t *o = up_job_render(j, ver, flags), *arr = NULL;
  if (!o || !(flags & UP_RENDER_TASKS))
    return o;
  bool ok = (arr = json_array()) != NULL;
  for (size_t i = 0; ok && tasks && i < tasks->count; i++)
    ok = json_array_append_new(arr, up_task_render(&tasks->items[i])) == 0;
  ok = ok && json_object_set(o, "tasks", arr) == 0;
  json_decref(arr);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}
