/* model-common.c - request body parsing, $select, @odata.context and JSON helpers.
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request bodies may not nest deeper than this. */
#define MAX_DEPTH 32

static size_t depth_of(const json_t *v, size_t level)
{
  size_t max = level;
  if (level > MAX_DEPTH)
    return level;
  if (json_is_object(v)) {
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
      size_t d = depth_of(x, level + 1);
      if (d > max)
        max = d;
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
      size_t d = depth_of(x, level + 1);
      if (d > max)
        max = d;
    }
  }
  return max;
}

up_status_t up_json_parse_body(const char *data, size_t len, json_t **out, up_error_t *err)
{
  json_error_t jerr;
  json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
  *out = NULL;
  if (!v)
    return up_error_set(err, UP_INVALID, NULL,
                        "Invalid JSON in the request body at line %d, column %d (position %d): %s.",
                        jerr.line, jerr.column, jerr.position, jerr.text);
  if (!json_is_object(v)) {
    json_decref(v);
    return up_error_set(err, UP_INVALID, NULL, "The request body must be a JSON object.");
  }
  if (depth_of(v, 0) > MAX_DEPTH) {
    json_decref(v);
    return up_error_set(err, UP_INVALID, NULL, "The request body nests deeper than %d levels.",
                        MAX_DEPTH);
  }
  *out = v;
  return UP_OK;
}

void up_json_free(json_t *v)
{
  json_decref(v);
}

char *up_model_dump(const json_t *v, bool *oom)
{
  if (!v || json_is_null(v))
    return NULL;
  char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  if (!s && oom)
    *oom = true;
  return s;
}

json_t *up_model_load(const char *text)
{
  json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
  return v ? v : json_null();
}

json_t *up_model_string(const char *s)
{
  return s ? json_string(s) : json_null();
}

json_t *up_model_time(up_time_t t)
{
  char buf[UP_TIME_STRLEN];
  if (t == UP_TIME_NULL)
    return json_null();
  up_time_format(t, buf);
  return json_string(buf);
}

bool up_model_set(json_t *obj, const char *key, json_t *v)
{
  return v && json_object_set_new(obj, key, v) == 0;
}

static bool in_list(const char *const *list, const char *name)
{
  for (; *list; list++)
    if (strcmp(*list, name) == 0)
      return true;
  return false;
}

static bool names_type(const char *v, const char *type)
{
  if (*v == '#')
    v++;
  if (strncmp(v, "microsoft.graph.", 16) == 0)
    v += 16;
  return strcmp(v, type) == 0;
}

up_status_t up_model_check_body(const up_app_t *app, const char *type, const json_t *body,
                                up_api_version_t ver, const char *const *allowed, up_error_t *err)
{
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)body, key, value)
  {
    bool read_only = false;
    if (strcmp(key, "@odata.type") == 0) {
      if (!json_is_string(value) || !names_type(json_string_value(value), type)) {
        up_error_set(err, UP_INVALID, NULL, "'@odata.type' must name microsoft.graph.%s.", type);
        up_error_set_target(err, "@odata.type");
        return UP_INVALID;
      }
      continue;
    }
    if (strchr(key, '@')) {
      if (in_list(allowed, key)) {
        if (!json_is_string(value)) {
          up_error_set(err, UP_INVALID, NULL, "Property '%.100s' must be a URL string.", key);
          up_error_set_target(err, key);
          return UP_INVALID;
        }
        continue;
      }
      up_error_set(err, UP_INVALID, NULL,
                   "The annotation '%.100s' is not supported on this request.", key);
      up_error_set_target(err, key);
      return UP_INVALID;
    }
    if (in_list(allowed, key)) {
      if (!up_schema_validate_property(app->schema, type, key, value, ver, UP_VALIDATE_ANNOTATIONS,
                                       "", err))
        return UP_INVALID;
      continue;
    }
    if (up_schema_property_find(app->schema, type, key, ver, &read_only, NULL, NULL)) {
      if (read_only)
        up_error_set(err, UP_INVALID, NULL, "The property '%.100s' is read-only and cannot be set.",
                     key);
      else
        up_error_set(err, UP_INVALID, NULL, "The property '%.100s' cannot be set by this request.",
                     key);
    } else {
      up_error_set(err, UP_INVALID, NULL,
                   "The property '%.100s' does not exist on type 'microsoft.graph.%s'. Make sure "
                   "to only use "
                   "property names that are defined by the type.",
                   key, type);
    }
    up_error_set_target(err, key);
    return UP_INVALID;
  }
  return UP_OK;
}

up_status_t up_model_check_select(const up_app_t *app, const char *type, const up_query_t *q,
                                  up_api_version_t ver, unsigned *flags, up_error_t *err)
{
  bool nav = false;
  *flags = 0;
  for (size_t i = 0; q && i < q->n_select; i++) {
    const char *p = q->select[i];
    if (!up_schema_property_find(app->schema, type, p, ver, NULL, NULL, &nav) || nav) {
      up_error_set(err, UP_INVALID, "BadRequest",
                   "Parsing OData Select and Expand failed: Could not find a property named "
                   "'%.100s' on type "
                   "'microsoft.graph.%s'.",
                   p, type);
      up_error_set_target(err, "$select");
      return UP_INVALID;
    }
    if (strcmp(p, "capabilities") == 0)
      *flags |= UP_RENDER_CAPABILITIES;
    if (strcmp(p, "defaults") == 0)
      *flags |= UP_RENDER_DEFAULTS;
  }
  return UP_OK;
}

/* Whether $expand names key: expanded navigations stay whatever $select says. */
static bool expanded(const up_query_t *q, const char *key)
{
  size_t n = strlen(key);
  for (const char *p = q->expand; p && *p;) {
    while (*p == ' ')
      p++;
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len && p[len - 1] == ' ')
      len--;
    if (len == n && strncmp(p, key, n) == 0)
      return true;
    p = end ? end + 1 : p + strlen(p);
  }
  return false;
}

void up_model_apply_select(json_t *obj, const up_query_t *q)
{
  const char *key;
  json_t *value;
  void *tmp;
  if (!q || !q->has_select || !json_is_object(obj))
    return;
  json_object_foreach_safe(obj, tmp, key, value)
  {
    if (key[0] != '@' && !up_query_selects(q, key) && !expanded(q, key))
      json_object_del(obj, key);
  }
}

void up_model_entity_context(const char *set, const up_query_t *q, char *out, size_t outlen)
{
  size_t n = (size_t)snprintf(out, outlen, "%s", set);
  if (q && q->has_select && n < outlen) {
    n += (size_t)snprintf(out + n, outlen - n, "(");
    for (size_t i = 0; i < q->n_select && n < outlen; i++)
      n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? "," : "", q->select[i]);
    if (n < outlen)
      n += (size_t)snprintf(out + n, outlen - n, ")");
  }
  if (n < outlen)
    snprintf(out + n, outlen - n, "/$entity");
}

bool up_model_bind_id(const char *url, const char *collection, char out[UP_ID_SIZE])
{
  const char *p = url;
  size_t clen = strlen(collection);
  if (!p)
    return false;
  /* Absolute: drop scheme and authority. */
  if (up_str_nieq(p, "http://", 7) || up_str_nieq(p, "https://", 8)) {
    p = strstr(p, "://") + 3;
    p = strchr(p, '/');
    if (!p)
      return false;
  }
  while (*p == '/')
    p++;
  /* An optional version segment. */
  if (up_str_nieq(p, "v1.0/", 5) || up_str_nieq(p, "beta/", 5))
    p += 5;
  if (!up_str_nieq(p, collection, clen) || p[clen] != '/')
    return false;
  p += clen + 1;
  if (strlen(p) != 36 || !up_uuid_is_valid(p))
    return false;
  memcpy(out, p, 37);
  up_ascii_lower(out);
  return true;
}

bool up_model_bind_printer_id(const char *url, char out[UP_ID_SIZE])
{
  return up_model_bind_id(url, "print/printers", out);
}

bool up_model_merge(json_t *target, const json_t *patch)
{
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)patch, key, v)
  {
    json_t *cur = json_object_get(target, key);
    if (json_is_object(v) && json_is_object(cur)) {
      if (!up_model_merge(cur, v))
        return false;
    } else if (json_object_set(target, key, v) != 0) {
      return false;
    }
  }
  return true;
}

up_status_t up_model_check_expand(const up_query_t *q, const char *type, const up_nav_t *navs,
                                  unsigned *flags, up_error_t *err)
{
  if (!q || !q->expand)
    return UP_OK;
  /* A comma-separated list of navigation properties. */
  const char *p = q->expand;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len && *p == ' ') {
      p++;
      len--;
    }
    while (len && p[len - 1] == ' ')
      len--;
    const up_nav_t *n = navs;
    while (n && n->name && !(strlen(n->name) == len && strncmp(p, n->name, len) == 0))
      n++;
    if (!n || !n->name) {
      char names[256] = "";
      size_t used = 0;
      for (const up_nav_t *m = navs; m && m->name && used < sizeof(names); m++)
        used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", m == navs ? "" : ", ",
                                 m->name);
      up_error_set(err, UP_INVALID, "BadRequest",
                   "Parsing OData Select and Expand failed: '%.*s' cannot be expanded on "
                   "microsoft.graph.%s%s%s.",
                   (int)(len > 64 ? 64 : len), p, type, names[0] ? "; it expands " : "", names);
      up_error_set_target(err, "$expand");
      return UP_INVALID;
    }
    *flags |= n->flag;
    if (!end)
      break;
    p = end + 1;
  }
  return UP_OK;
}

bool up_model_attach(json_t *obj, const char *name, json_t *value)
{
  if (!obj || !value) {
    json_decref(value);
    return false;
  }
  return json_object_set_new(obj, name, value) == 0;
}

json_t *up_model_null(void)
{
  return json_null();
}
