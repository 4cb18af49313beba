/* model-printer.c - printers, printer shares and printer-create operations as Graph JSON.
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/util.h"

#include <stdlib.h>
#include <string.h>

/* The simulated device that every registered printer gets: what it reports it can do, and the
 * defaults it starts with (which restoreFactoryDefaults brings back). */
static const char default_capabilities[] =
    "{\"bottomMargins\":[0,4233],\"collation\":true,"
    "\"colorModes\":[\"blackAndWhite\",\"grayscale\",\"color\",\"auto\"],"
    "\"contentTypes\":[\"application/pdf\",\"application/oxps\",\"image/pwg-raster\",\"image/urf\","
    "\"application/PCLm\",\"image/jpeg\",\"application/octet-stream\"],"
    "\"copiesPerJob\":{\"start\":1,\"end\":999},\"dpis\":[300,600],"
    "\"duplexModes\":[\"oneSided\",\"flipOnLongEdge\",\"flipOnShortEdge\"],"
    "\"feedOrientations\":[\"longEdgeFirst\",\"shortEdgeFirst\"],"
    "\"finishings\":[\"none\",\"staple\",\"punch\"],\"inputBins\":[\"auto\",\"tray-1\",\"manual\"],"
    "\"isColorPrintingSupported\":true,\"isPageRangeSupported\":true,\"leftMargins\":[0,4233],"
    "\"mediaColors\":[\"white\"],"
    "\"mediaSizes\":[\"North America Letter\",\"North America Legal\",\"A4\",\"A5\",\"A3\"],"
    "\"mediaTypes\":[\"stationery\",\"transparency\",\"envelope\"],"
    "\"multipageLayouts\":[\"clockwiseFromTopLeft\",\"counterclockwiseFromTopLeft\","
    "\"counterclockwiseFromTopRight\",\"clockwiseFromTopRight\",\"counterclockwiseFromBottomLeft\","
    "\"clockwiseFromBottomLeft\",\"counterclockwiseFromBottomRight\",\"clockwiseFromBottomRight\"],"
    "\"orientations\":[\"portrait\",\"landscape\",\"reverseLandscape\",\"reversePortrait\"],"
    "\"outputBins\":[\"auto\",\"top\"],\"pagesPerSheet\":[1,2,4,6,9,16],"
    "\"qualities\":[\"low\",\"medium\",\"high\"],\"rightMargins\":[0,4233],"
    "\"scalings\":[\"auto\",\"shrinkToFit\",\"fill\",\"fit\",\"none\"],\"supportsFitPdfToPage\":"
    "true,"
    "\"topMargins\":[0,4233]}";

static const char default_defaults[] =
    "{\"colorMode\":\"auto\",\"contentType\":\"application/pdf\",\"copiesPerJob\":1,\"dpi\":600,"
    "\"duplexMode\":\"oneSided\",\"finishings\":[\"none\"],\"fitPdfToPage\":false,\"inputBin\":"
    "\"auto\","
    "\"mediaColor\":\"white\",\"mediaSize\":\"North America Letter\",\"mediaType\":\"stationery\","
    "\"multipageLayout\":\"clockwiseFromTopLeft\",\"orientation\":\"portrait\",\"outputBin\":"
    "\"auto\","
    "\"pagesPerSheet\":1,\"quality\":\"medium\",\"scaling\":\"auto\"}";

static const char default_status[] = "{\"state\":\"idle\",\"details\":[],\"description\":\"\"}";

char *up_printer_default_status(void)
{
  return strdup(default_status);
}

char *up_printer_default_capabilities(void)
{
  return strdup(default_capabilities);
}

char *up_printer_default_defaults(void)
{
  return strdup(default_defaults);
}

static json_t *tristate(int v)
{
  return v == UP_BOOL_NULL ? json_null() : json_boolean(v);
}

/* The printerBase members a printer and its shares have in common. */
static bool render_base(json_t *o, const up_printer_t *p, unsigned flags)
{
  return up_model_set(o, "manufacturer", up_model_string(p->manufacturer)) &&
         up_model_set(o, "model", up_model_string(p->model)) &&
         up_model_set(o, "isAcceptingJobs", tristate(p->is_accepting_jobs)) &&
         up_model_set(o, "status", up_model_load(p->status_json)) &&
         up_model_set(o, "location", up_model_load(p->location_json)) &&
         (!(flags & UP_RENDER_DEFAULTS) ||
          up_model_set(o, "defaults", up_model_load(p->defaults_json))) &&
         (!(flags & UP_RENDER_CAPABILITIES) ||
          up_model_set(o, "capabilities", up_model_load(p->capabilities_json)));
}

json_t *up_printer_render(const up_printer_t *p, unsigned flags)
{
  json_t *o = json_object();
  if (!o || !up_model_set(o, "id", json_string(p->id)) ||
      !up_model_set(o, "displayName", json_string(p->display_name ? p->display_name : "")) ||
      !render_base(o, p, flags) ||
      !up_model_set(o, "hasPhysicalDevice", json_boolean(p->has_physical_device)) ||
      !up_model_set(o, "isShared", json_boolean(p->is_shared)) ||
      !up_model_set(o, "registeredDateTime", up_model_time(p->registered_at)) ||
      !up_model_set(o, "lastSeenDateTime", up_model_time(p->last_seen_at))) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *up_share_render(const up_share_t *s, unsigned flags)
{
  json_t *o = json_object();
  if (!o || !up_model_set(o, "id", json_string(s->id)) ||
      !up_model_set(o, "displayName", json_string(s->display_name ? s->display_name : "")) ||
      !render_base(o, &s->printer, flags) ||
      !up_model_set(o, "allowAllUsers", json_boolean(s->allow_all_users)) ||
      !up_model_set(o, "createdDateTime", up_model_time(s->created_at)) ||
      !up_model_set(o, "viewPoint", json_null())) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static const char *const operation_states[] = {"notStarted", "running", "succeeded", "failed"};

json_t *up_operation_render(const up_operation_t *op, const up_printer_t *printer)
{
  json_t *o = json_object(), *status = json_object();
  json_t *pj = printer ? up_printer_render(printer, 0) : json_null();
  if (!o || !status || !pj ||
      !up_model_set(o, "@odata.type", json_string("#microsoft.graph.printerCreateOperation")) ||
      !up_model_set(o, "id", json_string(op->id)) ||
      !up_model_set(o, "createdDateTime", up_model_time(op->created_at)) ||
      !up_model_set(status, "state", json_string(operation_states[op->state & 3])) ||
      !up_model_set(status, "description", json_string(op->description ? op->description : "")) ||
      json_object_set(o, "status", status) ||
      !up_model_set(o, "certificate", up_model_string(op->certificate)) ||
      json_object_set(o, "printer", pj)) {
    json_decref(o);
    o = NULL;
  }
  json_decref(status);
  json_decref(pj);
  return o;
}

/* A required, non-empty string member. */
static up_status_t required_string(const json_t *body, const char *name, const char **out,
                                   up_error_t *err)
{
  const json_t *v = json_object_get(body, name);
  if (!json_is_string(v) || json_string_length(v) == 0) {
    up_error_set(err, UP_INVALID, NULL,
                 "The parameter '%s' is required and must be a non-empty string.", name);
    up_error_set_target(err, name);
    return UP_INVALID;
  }
  *out = json_string_value(v);
  return UP_OK;
}

static up_status_t optional_string(const json_t *body, const char *name, const char **out,
                                   up_error_t *err)
{
  const json_t *v = json_object_get(body, name);
  *out = NULL;
  if (!v || json_is_null(v))
    return UP_OK;
  if (!json_is_string(v)) {
    up_error_set(err, UP_INVALID, NULL, "The parameter '%s' must be a string or null.", name);
    up_error_set_target(err, name);
    return UP_INVALID;
  }
  *out = json_string_value(v);
  return UP_OK;
}

up_status_t up_printer_from_create(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                   up_printer_t *p, up_error_t *err)
{
  static const char *const params[] = {"displayName",
                                       "manufacturer",
                                       "model",
                                       "physicalDeviceId",
                                       "hasPhysicalDevice",
                                       "certificateSigningRequest",
                                       "connectorId",
                                       NULL};
  const char *display_name, *manufacturer, *model, *device_id, *connector_id, *key;
  const json_t *csr, *hpd, *value;
  bool oom = false;
  /* The action's parameters (reference 3.9): nothing else is accepted. */
  json_object_foreach((json_t *)body, key, value)
  {
    bool known = false;
    for (const char *const *k = params; *k; k++)
      known = known || strcmp(*k, key) == 0;
    if (!known) {
      up_error_set(err, UP_INVALID, NULL, "'%.100s' is not a parameter of the action 'create'.",
                   key);
      up_error_set_target(err, key);
      return UP_INVALID;
    }
  }
  if (required_string(body, "displayName", &display_name, err) ||
      required_string(body, "manufacturer", &manufacturer, err) ||
      required_string(body, "model", &model, err) ||
      optional_string(body, "physicalDeviceId", &device_id, err) ||
      optional_string(body, "connectorId", &connector_id, err))
    return UP_INVALID;
  hpd = json_object_get(body, "hasPhysicalDevice");
  if (hpd && !json_is_boolean(hpd) && !json_is_null(hpd)) {
    up_error_set(err, UP_INVALID, NULL, "The parameter 'hasPhysicalDevice' must be a Boolean.");
    up_error_set_target(err, "hasPhysicalDevice");
    return UP_INVALID;
  }
  csr = json_object_get(body, "certificateSigningRequest");
  if (!json_is_object(csr)) {
    up_error_set(err, UP_INVALID, NULL,
                 "The parameter 'certificateSigningRequest' is required (content, transportKey).");
    up_error_set_target(err, "certificateSigningRequest");
    return UP_INVALID;
  }
  if (!up_schema_validate(app->schema, "printCertificateSigningRequest", csr, ver,
                          UP_VALIDATE_ANNOTATIONS, "certificateSigningRequest", err))
    return UP_INVALID;
  if (required_string(csr, "content", &key, err) ||
      required_string(csr, "transportKey", &key, err)) {
    up_error_set(err, UP_INVALID, NULL,
                 "certificateSigningRequest.content and .transportKey are required strings.");
    up_error_set_target(err, "certificateSigningRequest");
    return UP_INVALID;
  }
  p->display_name = strdup(display_name);
  p->manufacturer = strdup(manufacturer);
  p->model = strdup(model);
  p->physical_device_id = up_strdup(device_id);
  p->connector_id = up_strdup(connector_id);
  p->has_physical_device = hpd && json_is_boolean(hpd) ? json_is_true(hpd) : true;
  p->is_accepting_jobs = 1;
  p->status_json = up_printer_default_status();
  p->capabilities_json = up_printer_default_capabilities();
  p->defaults_json = up_printer_default_defaults();
  p->factory_defaults_json = up_printer_default_defaults();
  oom = !p->display_name || !p->manufacturer || !p->model ||
        (device_id && !p->physical_device_id) || (connector_id && !p->connector_id) ||
        !p->status_json || !p->capabilities_json || !p->defaults_json || !p->factory_defaults_json;
  return oom ? up_error_set(err, UP_NOMEM, NULL, "Out of memory.") : UP_OK;
}

/* Replaces *slot with the JSON text of v (null -> NULL). */
static bool set_json(char **slot, const json_t *v)
{
  bool oom = false;
  char *text = up_model_dump(v, &oom);
  if (oom)
    return false;
  free(*slot);
  *slot = text;
  return true;
}

/* PATCH of a complex value: null clears it; an object is merged into the stored one, so that
 * members the body leaves out keep their values (as Graph documents for job configuration). */
static bool merge_json(char **slot, const json_t *patch)
{
  if (!json_is_object(patch))
    return set_json(slot, patch);
  json_t *cur = up_model_load(*slot);
  json_t *target = json_is_object(cur) ? json_deep_copy(cur) : json_object();
  bool ok = target && up_model_merge(target, patch) && set_json(slot, target);
  json_decref(target);
  json_decref(cur);
  return ok;
}

/* A printerStatus as an application sends it: state required; details and description filled. */
static up_status_t normalize_status(json_t *status, up_error_t *err)
{
  if (!json_is_string(json_object_get(status, "state"))) {
    up_error_set(err, UP_INVALID, NULL, "Property 'status.state' is required.");
    up_error_set_target(err, "status.state");
    return UP_INVALID;
  }
  if (!json_object_get(status, "details"))
    json_object_set_new(status, "details", json_array());
  if (!json_object_get(status, "description"))
    json_object_set_new(status, "description", json_string(""));
  return UP_OK;
}

up_status_t up_printer_apply_patch(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                   bool is_app, up_printer_t *p, up_error_t *err)
{
  static const char *const delegated[] = {"displayName", "location", "defaults", NULL};
  static const char *const application[] = {"displayName",  "location",        "defaults",
                                            "capabilities", "manufacturer",    "model",
                                            "status",       "isAcceptingJobs", NULL};
  const char *key;
  json_t *v;
  up_status_t st =
      up_model_check_body(app, "printer", body, ver, is_app ? application : delegated, err);
  if (st != UP_OK)
    return st;
  json_object_foreach((json_t *)body, key, v)
  {
    bool ok = true;
    if (strcmp(key, "displayName") == 0)
      ok = up_str_set(&p->display_name, json_string_value(v));
    else if (strcmp(key, "manufacturer") == 0)
      ok = up_str_set(&p->manufacturer, json_string_value(v));
    else if (strcmp(key, "model") == 0)
      ok = up_str_set(&p->model, json_string_value(v));
    else if (strcmp(key, "isAcceptingJobs") == 0)
      p->is_accepting_jobs = json_is_null(v) ? UP_BOOL_NULL : json_is_true(v);
    else if (strcmp(key, "location") == 0)
      ok = merge_json(&p->location_json, v);
    else if (strcmp(key, "defaults") == 0)
      ok = merge_json(&p->defaults_json, v);
    else if (strcmp(key, "capabilities") == 0)
      ok = merge_json(&p->capabilities_json, v);
    else if (strcmp(key, "status") == 0) {
      json_t *copy = json_deep_copy(v);
      st = copy ? normalize_status(copy, err) : up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
      ok = st == UP_OK && set_json(&p->status_json, copy);
      json_decref(copy);
      if (st != UP_OK)
        return st;
    }
    if (!ok)
      return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }
  return UP_OK;
}

/* displayName of a share: a string of 1 to 50 characters (reference 3.11). */
static up_status_t share_name(const json_t *v, up_error_t *err)
{
  size_t n = json_is_string(v) ? up_utf8_length(json_string_value(v)) : 0;
  if (n < 1 || n > 50) {
    up_error_set(err, UP_INVALID, NULL,
                 "Property 'displayName' must be 1 to 50 characters long (it has %zu).", n);
    up_error_set_target(err, "displayName");
    return UP_INVALID;
  }
  return UP_OK;
}

static up_status_t share_bind(const json_t *v, char printer_id[UP_ID_SIZE], up_error_t *err)
{
  if (!json_is_string(v) || !up_model_bind_printer_id(json_string_value(v), printer_id)) {
    up_error_set(err, UP_INVALID, NULL,
                 "'printer@odata.bind' must be the URL of a printer, such as "
                 "https://graph.microsoft.com/v1.0/print/printers/{printerId}.");
    up_error_set_target(err, "printer@odata.bind");
    return UP_INVALID;
  }
  return UP_OK;
}

static const char *const share_writable[] = {"displayName", "allowAllUsers", "printer@odata.bind",
                                             NULL};

up_status_t up_share_from_create(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                 up_share_t *s, up_error_t *err)
{
  up_status_t st = up_model_check_body(app, "printerShare", body, ver, share_writable, err);
  const json_t *bind = json_object_get(body, "printer@odata.bind");
  const json_t *all = json_object_get(body, "allowAllUsers");
  if (st != UP_OK)
    return st;
  if ((st = share_name(json_object_get(body, "displayName"), err)) != UP_OK)
    return st;
  if (!bind) {
    up_error_set(err, UP_INVALID, NULL, "'printer@odata.bind' is required: the printer to share.");
    up_error_set_target(err, "printer@odata.bind");
    return UP_INVALID;
  }
  if ((st = share_bind(bind, s->printer_id, err)) != UP_OK)
    return st;
  s->allow_all_users = all && json_is_true(all);
  if (!(s->display_name = strdup(json_string_value(json_object_get(body, "displayName")))))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  return UP_OK;
}

up_status_t up_share_apply_patch(const up_app_t *app, const json_t *body, up_api_version_t ver,
                                 up_share_t *s, up_error_t *err)
{
  up_status_t st = up_model_check_body(app, "printerShare", body, ver, share_writable, err);
  const json_t *v;
  if (st != UP_OK)
    return st;
  if ((v = json_object_get(body, "displayName"))) {
    if ((st = share_name(v, err)) != UP_OK)
      return st;
    if (!up_str_set(&s->display_name, json_string_value(v)))
      return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }
  if ((v = json_object_get(body, "allowAllUsers")))
    s->allow_all_users = json_is_true(v);
  if ((v = json_object_get(body, "printer@odata.bind")))
    return share_bind(v, s->printer_id, err);
  return UP_OK;
}

/* --- a share's allowed users and groups --- */

up_status_t up_member_from_ref(const json_t *body, up_member_kind_t kind, char out[UP_ID_SIZE],
                               up_error_t *err)
{
  static const char *const allowed[] = {"@odata.id", NULL};
  const char *coll = kind == UP_MEMBER_GROUP ? "groups" : "users";
  const json_t *ref = json_object_get(body, "@odata.id");
  up_status_t st = up_model_only(body, allowed, err);
  if (st != UP_OK)
    return st;
  if (!json_is_string(ref) ||
      !(up_model_bind_id(json_string_value(ref), coll, out) ||
        up_model_bind_id(json_string_value(ref), "directoryObjects", out))) {
    up_error_set(err, UP_INVALID, NULL,
                 "'@odata.id' must be the URL of a %s, such as "
                 "https://graph.microsoft.com/v1.0/%s/{id}.",
                 kind == UP_MEMBER_GROUP ? "group" : "user", coll);
    up_error_set_target(err, "@odata.id");
    return UP_INVALID;
  }
  return UP_OK;
}

json_t *up_member_render(const up_member_t *m, up_member_kind_t kind)
{
  /* There is no directory behind the server: a member is its id (and its type). */
  return json_pack("{s:s, s:s}", "@odata.type",
                   kind == UP_MEMBER_GROUP ? "#microsoft.graph.group" : "#microsoft.graph.user",
                   "id", m->id);
}
