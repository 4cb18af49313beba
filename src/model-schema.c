/* model-schema.c - the Graph models of schema/models.json and the one validator of JSON values.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/schema.h"

#include "uprintd/embedded.h"
#include "uprintd/util.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODELS_FILE       "models.json"
#define NS_PREFIX         "microsoft.graph."
#define NS_PREFIX_LEN     (sizeof(NS_PREFIX) - 1)
#define SENTINEL          "unknownFutureValue"
#define PATH_SIZE         256 /* property path kept for messages, bytes with the NUL */
#define SHOW_MAX          64  /* client-supplied text quoted in a message, bytes */
#define ENUM_LIST_ALL_MAX 100 /* enums up to this many members are listed in full */
#define ENUM_LIST_FEW     10  /* members named for larger enums */

/* Version masks (one bit per up_api_version_t). */
enum { VER_V1 = 1u << 0, VER_BETA = 1u << 1, VER_ALL = VER_V1 | VER_BETA };

typedef enum kind {
  KIND_STRING,
  KIND_BOOLEAN,
  KIND_INT32,
  KIND_INT64,
  KIND_DOUBLE,
  KIND_DATETIME,
  KIND_DATE,
  KIND_ENUM,
  KIND_COMPLEX,
  KIND_ENTITY
} kind_t;

static const struct {
  const char *name;
  kind_t kind;
} primitives[] = {
    {"Boolean", KIND_BOOLEAN}, {"Date", KIND_DATE},   {"DateTimeOffset", KIND_DATETIME},
    {"Double", KIND_DOUBLE},   {"Int32", KIND_INT32}, {"Int64", KIND_INT64},
    {"String", KIND_STRING},
};
#define NPRIMITIVES (sizeof(primitives) / sizeof(primitives[0]))

typedef struct stype stype_t;

typedef struct member {
  const char *name; /**< member name (points into the loaded JSON) */
  long value;       /**< CSDL numeric value */
  unsigned vers;    /**< VER_* where the member exists */
  bool evolvable;   /**< declared after unknownFutureValue */
} member_t;

typedef struct prop {
  const char *name;    /**< property name (points into the loaded JSON) */
  const stype_t *type; /**< its type; the element type of a collection */
  unsigned vers;       /**< VER_* where the property exists */
  unsigned nullable;   /**< VER_* where null is accepted */
  bool collection;     /**< Collection(type) */
  bool read_only;      /**< refused with UP_VALIDATE_WRITE */
  bool nav;            /**< navigation property */
  bool contained;      /**< contained navigation (informative) */
} prop_t;

struct stype {
  const char *name;         /**< short name, without "microsoft.graph." */
  kind_t kind;              /**< primitive, enum, complex or entity */
  unsigned vers;            /**< VER_* where the type exists */
  bool open;                /**< accepts undeclared properties */
  bool abstract;            /**< informative */
  bool has_stream;          /**< media entity (informative) */
  const stype_t *base;      /**< base type or NULL */
  member_t *members;        /**< enum members in declaration order */
  size_t nmembers;          /**< count of members */
  const member_t **by_name; /**< members sorted by name */
  prop_t *props;            /**< own properties in declaration order */
  size_t nprops;            /**< count of props */
  const prop_t **all;       /**< own and inherited properties sorted by name */
  size_t nall;              /**< count of all */
  const json_t *def;        /**< its definition in the loaded JSON (load time only) */
};

struct up_schema {
  json_t *root;   /**< the parsed models.json; every name points into it */
  stype_t *types; /**< primitives, enums, complex and entity types, sorted by name */
  size_t ntypes;  /**< count of types */
  /** Properties (of any type) whose enum has evolvable members (reference 10.9). */
  const prop_t **evolvable;
  size_t nevolvable;
};

/* One validation run: the request-independent schema plus the path being checked. */
typedef struct vctx {
  const up_schema_t *schema; /**< the models */
  unsigned ver;              /**< VER_V1 or VER_BETA */
  unsigned flags;            /**< UP_VALIDATE_* */
  up_error_t *err;           /**< filled on the first failure */
  size_t len;                /**< strlen(path) */
  char path[PATH_SIZE];      /**< "configuration.pageRanges[1].start" */
} vctx_t;

/* ---------------------------------------------------------------------------------------------
 * Names and lookups
 */

/* Longest prefix of s[0..len) of at most max bytes that does not split a UTF-8 sequence. */
static size_t utf8_fit(const char *s, size_t len, size_t max)
{
  if (len <= max)
    return len;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
    max--;
  return max;
}

/* Compares the counted string key[0..len) with the C string name, like strcmp. */
static int name_cmp(const char *key, size_t len, const char *name)
{
  int c = strncmp(key, name, len);
  if (c)
    return c;
  return name[len] ? -1 : 0;
}

static const stype_t *find_type_n(const up_schema_t *s, const char *name, size_t len)
{
  size_t lo = 0, hi = s->ntypes;
  if (len > NS_PREFIX_LEN && strncmp(name, NS_PREFIX, NS_PREFIX_LEN) == 0) {
    name += NS_PREFIX_LEN;
    len -= NS_PREFIX_LEN;
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = name_cmp(name, len, s->types[mid].name);
    if (c == 0)
      return &s->types[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

static const stype_t *find_type(const up_schema_t *s, const char *name)
{
  return s && name ? find_type_n(s, name, strlen(name)) : NULL;
}

static const prop_t *find_prop(const stype_t *t, const char *name, size_t len)
{
  size_t lo = 0, hi = t->nall;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = name_cmp(name, len, t->all[mid]->name);
    if (c == 0)
      return t->all[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

static const member_t *find_member(const stype_t *t, const char *name, size_t len)
{
  size_t lo = 0, hi = t->nmembers;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = name_cmp(name, len, t->by_name[mid]->name);
    if (c == 0)
      return t->by_name[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

static unsigned ver_bit(up_api_version_t v)
{
  return v == UP_API_BETA ? VER_BETA : VER_V1;
}

static bool is_structured(const stype_t *t)
{
  return t->kind == KIND_COMPLEX || t->kind == KIND_ENTITY;
}

/* True when t is base or derives from it. */
static bool derives_from(const stype_t *t, const stype_t *base)
{
  for (; t; t = t->base)
    if (t == base)
      return true;
  return false;
}

/* ---------------------------------------------------------------------------------------------
 * Validation: paths and messages
 */

/* Appends raw text to the path (truncated on a UTF-8 boundary when full). */
static void path_append(vctx_t *c, const char *text, size_t len)
{
  size_t n = utf8_fit(text, len, PATH_SIZE - 1 - c->len);
  memcpy(c->path + c->len, text, n);
  c->len += n;
  c->path[c->len] = '\0';
}

/* Appends ".name" (or "name" at the top) and returns the previous length for path_pop. */
static size_t path_push(vctx_t *c, const char *name, size_t len)
{
  size_t old = c->len;
  if (c->len > 0)
    path_append(c, ".", 1);
  path_append(c, name, len);
  return old;
}

static size_t path_push_index(vctx_t *c, size_t i)
{
  char buf[32];
  size_t old = c->len;
  int n = snprintf(buf, sizeof(buf), "[%zu]", i);
  path_append(c, buf, (size_t)n);
  return old;
}

static void path_pop(vctx_t *c, size_t old)
{
  c->len = old;
  c->path[old] = '\0';
}

/* Copies client-supplied text for quoting in a message: at most SHOW_MAX bytes, "..." if cut. */
static const char *show(const char *s, size_t len, char out[SHOW_MAX + 4])
{
  size_t n = utf8_fit(s, len, SHOW_MAX);
  memcpy(out, s, n);
  strcpy(out + n, n < len ? "..." : "");
  return out;
}

/* Records a failure (UP_INVALID, "invalidRequest") at the current path; returns false. */
static bool fail(vctx_t *c, const char *fmt, ...) UP_PRINTF(2, 3);
static bool fail(vctx_t *c, const char *fmt, ...)
{
  char msg[sizeof(((up_error_t *)0)->message) + 512];
  char target[sizeof(((up_error_t *)0)->target)];
  va_list ap;
  int n;
  size_t len, tlen;

  va_start(ap, fmt);
  n = vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
  len = utf8_fit(msg, len, sizeof(((up_error_t *)0)->message) - 1);
  up_error_set(c->err, UP_INVALID, "invalidRequest", "%.*s", (int)len, msg);
  tlen = utf8_fit(c->path, c->len, sizeof(target) - 1);
  memcpy(target, c->path, tlen);
  target[tlen] = '\0';
  up_error_set_target(c->err, target);
  return false;
}

static bool fail_type(vctx_t *c, const stype_t *t, bool collection, const char *detail)
{
  const char *open = collection ? "Collection(" : "", *close = collection ? ")" : "";
  if (c->len)
    return fail(c, "Property '%s' must be of type %s%s%s%s.", c->path, open, t->name, close,
                detail);
  return fail(c, "The value must be of type %s%s%s%s.", open, t->name, close, detail);
}

static bool fail_null(vctx_t *c)
{
  if (c->len)
    return fail(c, "Property '%s' cannot be null.", c->path);
  return fail(c, "The value cannot be null.");
}

/* Appends s to buf[*len..size) when it fits entirely (keeping the NUL); returns false otherwise. */
static bool append_fit(char *buf, size_t size, size_t *len, const char *s)
{
  size_t n = strlen(s);
  if (*len + n + 1 > size)
    return false;
  memcpy(buf + *len, s, n + 1);
  *len += n;
  return true;
}

static bool fail_enum(vctx_t *c, const stype_t *t, const char *value, size_t vlen)
{
  char shown[SHOW_MAX + 4];
  char prop[PATH_SIZE + 32] = "";
  char msg[sizeof(((up_error_t *)0)->message)];
  size_t len = 0, count = 0, listed = 0, size;
  bool all;

  /* The fixed part of the message, then as many members as fit. */
  if (c->len)
    snprintf(prop, sizeof(prop), " for property '%s'", c->path);
  snprintf(msg, sizeof(msg),
           "Invalid value '%s'%s (%s). Allowed values: ", show(value, vlen, shown), prop, t->name);
  len = strlen(msg);
  for (size_t i = 0; i < t->nmembers; i++)
    count += (t->members[i].vers & c->ver) != 0;
  all = count <= ENUM_LIST_ALL_MAX;
  size = sizeof(msg) - 40; /* room for ", ... (N values in total)." */
  for (size_t i = 0; i < t->nmembers && (all || listed < ENUM_LIST_FEW); i++) {
    const member_t *m = &t->members[i];
    size_t mark = len;
    if (!(m->vers & c->ver))
      continue;
    if ((listed && !append_fit(msg, size, &len, ", ")) || !append_fit(msg, size, &len, m->name)) {
      msg[len = mark] = '\0';
      break;
    }
    listed++;
  }
  if (listed < count)
    snprintf(msg + len, sizeof(msg) - len, ", ... (%zu values in total).", count);
  else
    snprintf(msg + len, sizeof(msg) - len, ".");
  return fail(c, "%s", msg);
}

/* ---------------------------------------------------------------------------------------------
 * Validation: values
 */

static bool check_single(vctx_t *c, const stype_t *t, const json_t *v);

static bool is_date(const char *s, size_t len)
{
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 0, m = 0, d = 0;
  if (len != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (int i = 0; i < 10; i++) {
    if (i == 4 || i == 7)
      continue;
    if (s[i] < '0' || s[i] > '9')
      return false;
    if (i < 4)
      y = y * 10 + (s[i] - '0');
    else if (i < 7)
      m = m * 10 + (s[i] - '0');
    else
      d = d * 10 + (s[i] - '0');
  }
  if (y < 1 || m < 1 || m > 12 || d < 1)
    return false;
  return d <= mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

static bool check_enum(vctx_t *c, const stype_t *t, const json_t *v)
{
  const char *s;
  size_t len;
  const member_t *m;
  if (!json_is_string(v))
    return fail_type(c, t, false, "");
  s = json_string_value(v);
  len = json_string_length(v);
  m = find_member(t, s, len);
  if (m && strlen(s) == len && (m->vers & c->ver))
    return true;
  return fail_enum(c, t, s, len);
}

static bool check_prop_value(vctx_t *c, const prop_t *p, const json_t *v)
{
  if (json_is_null(v))
    return (p->nullable & c->ver) ? true : fail_null(c);
  if (!p->collection)
    return check_single(c, p->type, v);
  if (!json_is_array(v))
    return fail_type(c, p->type, true, "");
  for (size_t i = 0, n = json_array_size(v); i < n; i++) {
    const json_t *e = json_array_get(v, i);
    size_t old = path_push_index(c, i);
    bool ok = json_is_null(e) ? fail_null(c) : check_single(c, p->type, e);
    path_pop(c, old);
    if (!ok)
      return false;
  }
  return true;
}

/* The value of "<nav>@odata.bind": a URL, or an array of URLs for a collection. */
static bool check_bind(vctx_t *c, const prop_t *p, const json_t *v)
{
  if (json_is_string(v) && json_string_length(v) > 0)
    return true;
  if (p->collection && json_is_array(v)) {
    for (size_t i = 0, n = json_array_size(v); i < n; i++) {
      const json_t *e = json_array_get(v, i);
      if (!json_is_string(e) || json_string_length(e) == 0) {
        size_t old = path_push_index(c, i);
        fail(c, "The annotation '%s' must be a URL of a %s.", c->path, p->type->name);
        path_pop(c, old);
        return false;
      }
    }
    return true;
  }
  if (p->collection)
    return fail(c, "The annotation '%s' must be an array of URLs of %s entities.", c->path,
                p->type->name);
  return fail(c, "The annotation '%s' must be the URL of a %s.", c->path, p->type->name);
}

/* A key containing '@': "<nav>@odata.bind" always, other annotations with UP_VALIDATE_ANNOTATIONS
 * ("@odata.type" itself is checked by resolve_type). The caller pushed key on the path. */
static bool check_annotation(vctx_t *c, const stype_t *t, const char *key, const char *at,
                             const json_t *v)
{
  size_t plen = (size_t)(at - key);
  if (plen > 0 && strcmp(at, "@odata.bind") == 0) {
    const prop_t *p = find_prop(t, key, plen);
    size_t alen = strlen(at);
    /* the path of the property itself: the current one without "@odata.bind" (unless cut) */
    int n = c->len >= alen && strcmp(c->path + c->len - alen, at) == 0 ? (int)(c->len - alen) : 0;
    if (!p || !(p->vers & c->ver))
      return fail(c,
                  "The property '%.*s' does not exist on type '" NS_PREFIX
                  "%s'. Make sure to only use property names that are defined by the type.",
                  n, c->path, t->name);
    if (!p->nav)
      return fail(c, "The property '%s' is not a navigation property; '%s' is not allowed.",
                  p->name, c->path);
    return check_bind(c, p, v);
  }
  if (!(c->flags & UP_VALIDATE_ANNOTATIONS))
    return fail(c, "The annotation '%s' is not allowed here.", c->path);
  return true;
}

static bool check_member(vctx_t *c, const stype_t *t, const char *key, const json_t *v)
{
  size_t klen = strlen(key);
  const char *at = memchr(key, '@', klen);
  size_t old = path_push(c, key, klen);
  const prop_t *p;
  bool ok;

  if (at) {
    ok = check_annotation(c, t, key, at, v);
  } else if (!(p = find_prop(t, key, klen)) || !(p->vers & c->ver)) {
    ok = t->open || fail(c,
                         "The property '%s' does not exist on type '" NS_PREFIX
                         "%s'. Make sure to only use property names that are defined by the type.",
                         c->path, t->name);
  } else if ((c->flags & UP_VALIDATE_WRITE) && (p->read_only || p->nav)) {
    ok = fail(c, "The property '%s' is read-only and cannot be set.", c->path);
  } else {
    ok = check_prop_value(c, p, v);
  }
  path_pop(c, old);
  return ok;
}

/* The runtime type of an object: t, or the subtype named by a valid "@odata.type". */
static bool resolve_type(vctx_t *c, const stype_t *t, const json_t *obj, const stype_t **out)
{
  const json_t *v;
  const stype_t *d = NULL;
  const char *s;
  size_t len, old;
  char shown[SHOW_MAX + 4];
  bool ok = false;

  *out = t;
  if (!(c->flags & UP_VALIDATE_ANNOTATIONS) || !(v = json_object_get(obj, "@odata.type")))
    return true;
  old = path_push(c, "@odata.type", strlen("@odata.type"));
  if (!json_is_string(v)) {
    fail(c, "The annotation '%s' must be a string.", c->path);
    goto done;
  }
  s = json_string_value(v);
  len = json_string_length(v);
  show(s, len, shown);
  if (len > 0 && s[0] == '#') {
    s++;
    len--;
  }
  if (len > NS_PREFIX_LEN && strncmp(s, NS_PREFIX, NS_PREFIX_LEN) == 0 && strlen(s) == len)
    d = find_type_n(c->schema, s, len);
  if (!d || !is_structured(d) || !(d->vers & c->ver) || !derives_from(d, t)) {
    fail(c,
         "The annotation '%s' names '%s', which is not " NS_PREFIX "%s or a type derived from it.",
         c->path, shown, t->name);
    goto done;
  }
  *out = d;
  ok = true;
done:
  path_pop(c, old);
  return ok;
}

static bool check_object(vctx_t *c, const stype_t *t, const json_t *obj)
{
  const char *key;
  json_t *v;
  if (!resolve_type(c, t, obj, &t))
    return false;
  /* jansson iterates without modifying; the cast only satisfies its prototype */
  json_object_foreach((json_t *)obj, key, v)
  {
    if (!check_member(c, t, key, v))
      return false;
  }
  return true;
}

static bool check_single(vctx_t *c, const stype_t *t, const json_t *v)
{
  up_time_t when;
  switch (t->kind) {
  case KIND_STRING:
    return json_is_string(v) || fail_type(c, t, false, "");
  case KIND_BOOLEAN:
    return json_is_boolean(v) || fail_type(c, t, false, "");
  case KIND_INT32:
    if (!json_is_integer(v))
      return fail_type(c, t, false, "");
    if (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
      return fail_type(c, t, false, " (value out of range)");
    return true;
  case KIND_INT64:
    return json_is_integer(v) || fail_type(c, t, false, "");
  case KIND_DOUBLE:
    return json_is_number(v) || fail_type(c, t, false, "");
  case KIND_DATETIME:
    if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
        up_time_parse(json_string_value(v), &when))
      return true;
    return fail_type(c, t, false, " (ISO 8601, e.g. 2020-06-15T22:27:03Z)");
  case KIND_DATE:
    if (json_is_string(v) && is_date(json_string_value(v), json_string_length(v)))
      return true;
    return fail_type(c, t, false, " (yyyy-mm-dd)");
  case KIND_ENUM:
    return check_enum(c, t, v);
  case KIND_COMPLEX:
  case KIND_ENTITY:
    return json_is_object(v) ? check_object(c, t, v) : fail_type(c, t, false, "");
  }
  return fail_type(c, t, false, "");
}

/* Prepares a validation run; false (UP_INTERNAL) when type is unknown in ver. */
static bool vctx_init(vctx_t *c, const up_schema_t *schema, const char *type, up_api_version_t ver,
                      unsigned flags, const char *path, up_error_t *err, const stype_t **t)
{
  c->schema = schema;
  c->ver = ver_bit(ver);
  c->flags = flags;
  c->err = err;
  c->len = 0;
  c->path[0] = '\0';
  if (path)
    path_append(c, path, strlen(path));
  *t = find_type(schema, type);
  if (!*t || !((*t)->vers & c->ver)) {
    up_error_set(err, UP_INTERNAL, NULL, "Unknown model type '%s' in %s.", type ? type : "(null)",
                 up_api_version_name(ver));
    return false;
  }
  return true;
}

bool up_schema_validate(const up_schema_t *schema, const char *type, const json_t *value,
                        up_api_version_t ver, unsigned flags, const char *path, up_error_t *err)
{
  vctx_t c;
  const stype_t *t;
  if (!vctx_init(&c, schema, type, ver, flags, path, err, &t))
    return false;
  if (!value || json_is_null(value))
    return fail_null(&c);
  return check_single(&c, t, value);
}

bool up_schema_validate_property(const up_schema_t *schema, const char *type, const char *prop,
                                 const json_t *value, up_api_version_t ver, unsigned flags,
                                 const char *path, up_error_t *err)
{
  vctx_t c;
  const stype_t *t;
  if (!vctx_init(&c, schema, type, ver, flags, path, err, &t))
    return false;
  if (!is_structured(t) || !prop) {
    up_error_set(err, UP_INTERNAL, NULL, "Model type '%s' has no properties.", t->name);
    return false;
  }
  return check_member(&c, t, prop, value ? value : json_null());
}

bool up_schema_property_find(const up_schema_t *schema, const char *type, const char *prop,
                             up_api_version_t ver, bool *read_only, bool *nullable,
                             bool *navigation)
{
  const stype_t *t = find_type(schema, type);
  const prop_t *p = t && prop ? find_prop(t, prop, strlen(prop)) : NULL;
  unsigned v = ver_bit(ver);
  if (!p || !(t->vers & v) || !(p->vers & v))
    return false;
  if (read_only)
    *read_only = p->read_only;
  if (nullable)
    *nullable = (p->nullable & v) != 0;
  if (navigation)
    *navigation = p->nav;
  return true;
}

static const member_t *enum_member(const up_schema_t *schema, const char *enum_name,
                                   const char *member)
{
  const stype_t *t = find_type(schema, enum_name);
  if (!t || t->kind != KIND_ENUM || !member)
    return NULL;
  return find_member(t, member, strlen(member));
}

bool up_schema_enum_has(const up_schema_t *schema, const char *enum_name, const char *member)
{
  return enum_member(schema, enum_name, member) != NULL;
}

long up_schema_enum_value(const up_schema_t *schema, const char *enum_name, const char *member)
{
  const member_t *m = enum_member(schema, enum_name, member);
  return m ? m->value : -1;
}

bool up_schema_enum_is_evolvable(const up_schema_t *schema, const char *enum_name,
                                 const char *member)
{
  const member_t *m = enum_member(schema, enum_name, member);
  return m && m->evolvable;
}

/* ---------------------------------------------------------------------------------------------
 * Loading
 */

static up_status_t bad(up_error_t *err, const char *fmt, ...) UP_PRINTF(2, 3);
static up_status_t bad(up_error_t *err, const char *fmt, ...)
{
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return up_error_set(err, UP_INVALID, NULL, MODELS_FILE ": %s", msg);
}

static bool is_identifier(const char *s)
{
  if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
    return false;
  for (s++; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return false;
  return true;
}

static bool is_comment_key(const char *key)
{
  return key[0] == '$' || key[0] == '_';
}

/* "beta" or "v1.0": the one version where something exists. */
static bool parse_version(const json_t *v, unsigned *out)
{
  const char *s = json_string_value(v);
  if (s && strcmp(s, "beta") == 0)
    *out = VER_BETA;
  else if (s && strcmp(s, "v1.0") == 0)
    *out = VER_V1;
  else
    return false;
  return true;
}

static bool token_is(const char *tok, size_t len, const char *word)
{
  return strlen(word) == len && strncmp(tok, word, len) == 0;
}

static int cmp_type(const void *a, const void *b)
{
  return strcmp(((const stype_t *)a)->name, ((const stype_t *)b)->name);
}

static int cmp_member(const void *a, const void *b)
{
  return strcmp((*(const member_t *const *)a)->name, (*(const member_t *const *)b)->name);
}

static int cmp_prop(const void *a, const void *b)
{
  return strcmp((*(const prop_t *const *)a)->name, (*(const prop_t *const *)b)->name);
}

/* Creates the (sorted) type table from the names in "enums" and "types". */
static up_status_t collect_types(up_schema_t *s, up_error_t *err)
{
  const json_t *enums = json_object_get(s->root, "enums");
  const json_t *types = json_object_get(s->root, "types");
  const char *key;
  json_t *v;
  size_t n = 0;

  if (!json_is_object(s->root) || !json_is_object(enums) || !json_is_object(types))
    return bad(err, "expected an object with objects \"enums\" and \"types\"");
  json_object_foreach(s->root, key, v)
  {
    if (!is_comment_key(key) && strcmp(key, "enums") != 0 && strcmp(key, "types") != 0)
      return bad(err, "unknown top-level key '%s'", key);
  }
  s->ntypes = NPRIMITIVES + json_object_size(enums) + json_object_size(types);
  s->types = calloc(s->ntypes, sizeof(*s->types));
  if (!s->types)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory loading " MODELS_FILE);
  for (size_t i = 0; i < NPRIMITIVES; i++) {
    s->types[n].name = primitives[i].name;
    s->types[n].kind = primitives[i].kind;
    s->types[n++].vers = VER_ALL;
  }
  json_object_foreach((json_t *)enums, key, v)
  {
    if (!is_identifier(key) || !json_is_object(v))
      return bad(err, "enum '%s': expected an identifier and an object", key);
    s->types[n].name = key;
    s->types[n].kind = KIND_ENUM;
    s->types[n++].def = v;
  }
  json_object_foreach((json_t *)types, key, v)
  {
    const char *kind = json_string_value(json_object_get(v, "kind"));
    if (!is_identifier(key) || !json_is_object(v))
      return bad(err, "type '%s': expected an identifier and an object", key);
    if (!kind || (strcmp(kind, "entity") != 0 && strcmp(kind, "complex") != 0))
      return bad(err, "type '%s': \"kind\" must be \"entity\" or \"complex\"", key);
    s->types[n].name = key;
    s->types[n].kind = strcmp(kind, "entity") == 0 ? KIND_ENTITY : KIND_COMPLEX;
    s->types[n++].def = v;
  }
  qsort(s->types, s->ntypes, sizeof(*s->types), cmp_type);
  for (size_t i = 1; i < s->ntypes; i++)
    if (strcmp(s->types[i - 1].name, s->types[i].name) == 0)
      return bad(err, "type '%s' is defined twice", s->types[i].name);
  return UP_OK;
}

static up_status_t load_enum(stype_t *t, up_error_t *err)
{
  const json_t *members = json_object_get(t->def, "members");
  const char *key;
  json_t *v;
  bool after_sentinel = false;

  t->vers = VER_ALL;
  json_object_foreach((json_t *)t->def, key, v)
  {
    if (strcmp(key, "version") == 0) {
      if (!parse_version(v, &t->vers))
        return bad(err, "enum '%s': \"version\" must be \"beta\" or \"v1.0\"", t->name);
    } else if (strcmp(key, "members") != 0 && !is_comment_key(key)) {
      return bad(err, "enum '%s': unknown key '%s'", t->name, key);
    }
  }
  t->nmembers = json_array_size(members);
  if (t->nmembers == 0)
    return bad(err, "enum '%s': \"members\" must be a non-empty array", t->name);
  t->members = calloc(t->nmembers, sizeof(*t->members));
  t->by_name = calloc(t->nmembers, sizeof(*t->by_name));
  if (!t->members || !t->by_name)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory loading " MODELS_FILE);
  for (size_t i = 0; i < t->nmembers; i++) {
    const json_t *item = json_array_get(members, i);
    const json_t *value = json_array_get(item, 1);
    member_t *m = &t->members[i];
    m->name = json_string_value(json_array_get(item, 0));
    if (json_array_size(item) < 2 || json_array_size(item) > 3 || !is_identifier(m->name) ||
        !json_is_integer(value) || json_integer_value(value) < 0 ||
        json_integer_value(value) > LONG_MAX)
      return bad(err, "enum '%s': member %zu must be [name, value] or [name, value, version]",
                 t->name, i);
    m->value = (long)json_integer_value(value);
    m->vers = VER_ALL;
    if (json_array_size(item) == 3 && !parse_version(json_array_get(item, 2), &m->vers))
      return bad(err, "enum '%s': member '%s': bad version", t->name, m->name);
    m->vers &= t->vers;
    if (!m->vers)
      return bad(err, "enum '%s': member '%s' exists in no version", t->name, m->name);
    if (i > 0 && m->value <= t->members[i - 1].value)
      return bad(err, "enum '%s': member '%s': values must increase", t->name, m->name);
    m->evolvable = after_sentinel;
    after_sentinel = after_sentinel || strcmp(m->name, SENTINEL) == 0;
    t->by_name[i] = m;
  }
  qsort(t->by_name, t->nmembers, sizeof(*t->by_name), cmp_member);
  for (size_t i = 1; i < t->nmembers; i++)
    if (strcmp(t->by_name[i - 1]->name, t->by_name[i]->name) == 0)
      return bad(err, "enum '%s': member '%s' is declared twice", t->name, t->by_name[i]->name);
  return UP_OK;
}

/* Parses a property spec: "Collection(printFinishing) nullable readonly nav contained beta". */
static up_status_t parse_spec(const up_schema_t *s, const stype_t *t, prop_t *p, const char *spec,
                              up_error_t *err)
{
  const char *tok = spec, *end;
  size_t len;

  if (!spec)
    return bad(err, "type '%s': property '%s': the spec must be a string", t->name, p->name);
  /* The type, then the flags. */
  end = tok + strcspn(tok, " ");
  len = (size_t)(end - tok);
  if (len > 12 && strncmp(tok, "Collection(", 11) == 0 && tok[len - 1] == ')') {
    p->collection = true;
    p->type = find_type_n(s, tok + 11, len - 12);
  } else {
    p->type = find_type_n(s, tok, len);
  }
  if (!p->type)
    return bad(err, "type '%s': property '%s': unknown type '%.*s'", t->name, p->name, (int)len,
               tok);
  p->vers = VER_ALL;
  for (tok = end; *tok; tok = end) {
    tok += strspn(tok, " ");
    end = tok + strcspn(tok, " ");
    len = (size_t)(end - tok);
    if (len == 0)
      break;
    if (token_is(tok, len, "nullable"))
      p->nullable = VER_ALL;
    else if (token_is(tok, len, "nullable(beta)"))
      p->nullable = VER_BETA;
    else if (token_is(tok, len, "nullable(v1.0)"))
      p->nullable = VER_V1;
    else if (token_is(tok, len, "readonly"))
      p->read_only = true;
    else if (token_is(tok, len, "nav"))
      p->nav = true;
    else if (token_is(tok, len, "contained"))
      p->contained = true;
    else if (token_is(tok, len, "beta"))
      p->vers = VER_BETA;
    else if (token_is(tok, len, "v1.0"))
      p->vers = VER_V1;
    else
      return bad(err, "type '%s': property '%s': unknown flag '%.*s'", t->name, p->name, (int)len,
                 tok);
  }
  return UP_OK;
}

static up_status_t load_struct(const up_schema_t *s, stype_t *t, up_error_t *err)
{
  const json_t *props = json_object_get(t->def, "properties");
  const char *key;
  json_t *v;
  up_status_t st;

  t->vers = VER_ALL;
  json_object_foreach((json_t *)t->def, key, v)
  {
    if (strcmp(key, "kind") == 0 || strcmp(key, "properties") == 0 || is_comment_key(key))
      continue;
    if (strcmp(key, "version") == 0) {
      if (!parse_version(v, &t->vers))
        return bad(err, "type '%s': \"version\" must be \"beta\" or \"v1.0\"", t->name);
    } else if (strcmp(key, "base") == 0) {
      t->base = json_is_string(v) ? find_type(s, json_string_value(v)) : NULL;
      if (!t->base || t->base->kind != t->kind)
        return bad(err, "type '%s': base type must be a known type of the same kind", t->name);
    } else if (strcmp(key, "abstract") == 0 && json_is_boolean(v)) {
      t->abstract = json_is_true(v);
    } else if (strcmp(key, "open") == 0 && json_is_boolean(v)) {
      t->open = json_is_true(v);
    } else if (strcmp(key, "hasStream") == 0 && json_is_boolean(v)) {
      t->has_stream = json_is_true(v);
    } else {
      return bad(err, "type '%s': unknown or malformed key '%s'", t->name, key);
    }
  }
  if (!json_is_object(props))
    return bad(err, "type '%s': \"properties\" must be an object", t->name);
  t->nprops = json_object_size(props);
  if (t->nprops > 0 && !(t->props = calloc(t->nprops, sizeof(*t->props))))
    return up_error_set(err, UP_NOMEM, NULL, "out of memory loading " MODELS_FILE);
  t->nprops = 0;
  json_object_foreach((json_t *)props, key, v)
  {
    prop_t *p = &t->props[t->nprops++];
    p->name = key;
    if (!is_identifier(key))
      return bad(err, "type '%s': bad property name '%s'", t->name, key);
    if ((st = parse_spec(s, t, p, json_string_value(v), err)) != UP_OK)
      return st;
  }
  return UP_OK;
}

/* Cross-type checks and the flattened, sorted property table of a structured type. */
static up_status_t link_struct(const up_schema_t *s, stype_t *t, up_error_t *err)
{
  size_t n = 0, steps = 0;

  for (const stype_t *b = t->base; b; b = b->base) {
    if (++steps > s->ntypes)
      return bad(err, "type '%s': its base types form a cycle", t->name);
    n += b->nprops;
  }
  if (t->base && (t->vers & t->base->vers) != t->vers)
    return bad(err, "type '%s': its base type '%s' is missing in some of its versions", t->name,
               t->base->name);
  for (size_t i = 0; i < t->nprops; i++) {
    prop_t *p = &t->props[i];
    p->vers &= t->vers;
    p->nullable &= p->vers;
    if (!p->vers)
      return bad(err, "type '%s': property '%s' exists in no version", t->name, p->name);
    if ((p->type->vers & p->vers) != p->vers)
      return bad(err, "type '%s': property '%s': type '%s' is missing in some of its versions",
                 t->name, p->name, p->type->name);
    if (p->nav != (p->type->kind == KIND_ENTITY))
      return bad(err, "type '%s': property '%s': entity-typed properties and only they are 'nav'",
                 t->name, p->name);
    if (p->contained && !p->nav)
      return bad(err, "type '%s': property '%s': 'contained' needs 'nav'", t->name, p->name);
  }
  n += t->nprops;
  if (n == 0)
    return UP_OK;
  t->all = calloc(n, sizeof(*t->all));
  if (!t->all)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory loading " MODELS_FILE);
  for (const stype_t *b = t; b; b = b->base)
    for (size_t i = 0; i < b->nprops; i++)
      t->all[t->nall++] = &b->props[i];
  qsort(t->all, t->nall, sizeof(*t->all), cmp_prop);
  for (size_t i = 1; i < t->nall; i++)
    if (strcmp(t->all[i - 1]->name, t->all[i]->name) == 0)
      return bad(err, "type '%s': property '%s' is declared twice (or also in a base type)",
                 t->name, t->all[i]->name);
  return UP_OK;
}

static up_status_t build(up_schema_t *s, up_error_t *err)
{
  up_status_t st = collect_types(s, err);
  for (size_t i = 0; st == UP_OK && i < s->ntypes; i++) {
    stype_t *t = &s->types[i];
    if (t->kind == KIND_ENUM)
      st = load_enum(t, err);
    else if (is_structured(t))
      st = load_struct(s, t, err);
  }
  for (size_t i = 0; st == UP_OK && i < s->ntypes; i++)
    if (is_structured(&s->types[i]))
      st = link_struct(s, &s->types[i], err);
  for (size_t i = 0; i < s->ntypes; i++)
    s->types[i].def = NULL;
  return st;
}

/* Collects the properties whose enum type has members after unknownFutureValue. */
static up_status_t find_evolvable(up_schema_t *s, up_error_t *err)
{
  for (int pass = 0; pass < 2; pass++) {
    s->nevolvable = 0;
    for (size_t i = 0; i < s->ntypes; i++) {
      const stype_t *t = &s->types[i];
      for (size_t j = 0; j < t->nprops; j++) {
        const prop_t *p = &t->props[j];
        bool ev = false;
        for (size_t k = 0; p->type->kind == KIND_ENUM && k < p->type->nmembers && !ev; k++)
          ev = p->type->members[k].evolvable;
        if (ev && pass == 1)
          s->evolvable[s->nevolvable] = p;
        s->nevolvable += ev;
      }
    }
    if (pass == 0 && s->nevolvable &&
        !(s->evolvable = calloc(s->nevolvable, sizeof(s->evolvable[0]))))
      return up_error_set(err, UP_NOMEM, NULL, "out of memory loading " MODELS_FILE);
  }
  return UP_OK;
}

/* Replaces v (a string) with unknownFutureValue when it is an evolvable member of one of the
 * enums that properties named key hold. */
static void hide_value(const up_schema_t *s, const char *key, json_t *v)
{
  const char *name = json_string_value(v);
  if (!name)
    return;
  for (size_t i = 0; i < s->nevolvable; i++) {
    const prop_t *p = s->evolvable[i];
    if (strcmp(p->name, key) != 0)
      continue;
    const member_t *m = find_member(p->type, name, strlen(name));
    if (m && m->evolvable) {
      json_string_set(v, SENTINEL);
      return;
    }
  }
}

static bool is_evolvable_key(const up_schema_t *s, const char *key)
{
  for (size_t i = 0; i < s->nevolvable; i++)
    if (strcmp(s->evolvable[i]->name, key) == 0)
      return true;
  return false;
}

void up_schema_hide_evolvable(const up_schema_t *schema, json_t *body)
{
  const char *key;
  json_t *v;
  size_t i;
  if (!schema || !body)
    return;
  if (json_is_array(body)) {
    json_array_foreach(body, i, v) up_schema_hide_evolvable(schema, v);
    return;
  }
  if (!json_is_object(body))
    return;
  json_object_foreach(body, key, v)
  {
    if (key[0] != '@' && is_evolvable_key(schema, key)) {
      if (json_is_array(v)) {
        json_t *e;
        json_array_foreach(v, i, e) hide_value(schema, key, e);
      } else {
        hide_value(schema, key, v);
      }
    } else if (json_is_object(v) || json_is_array(v)) {
      up_schema_hide_evolvable(schema, v);
    }
  }
}

up_status_t up_schema_load_text(const char *text, size_t len, up_schema_t **out, up_error_t *err)
{
  up_status_t st = UP_OK;
  up_schema_t *s = NULL;
  json_error_t jerr;

  if (!out || !text) {
    st = up_error_set(err, UP_INTERNAL, NULL, "up_schema_load_text: missing argument");
    goto done;
  }
  *out = NULL;
  s = calloc(1, sizeof(*s));
  if (!s) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory loading " MODELS_FILE);
    goto done;
  }
  s->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!s->root) {
    st = bad(err, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    goto done;
  }
  st = build(s, err);
  if (st == UP_OK)
    st = find_evolvable(s, err);
  if (st == UP_OK) {
    *out = s;
    s = NULL;
  }
done:
  up_schema_free(s);
  return st;
}

up_status_t up_schema_load(up_schema_t **out, up_error_t *err)
{
  up_status_t st = UP_INTERNAL;
  const up_embedded_file_t *f = up_embedded_files;

  while (f->name && strcmp(f->name, MODELS_FILE) != 0)
    f++;
  if (!f->name) {
    if (out)
      *out = NULL;
    return up_error_set(err, UP_INTERNAL, NULL, MODELS_FILE " is not embedded in the binary");
  }
  st = up_schema_load_text(f->data, f->size, out, err);
  if (st == UP_INVALID) { /* our own data is broken: a server fault, not a client one */
    st = UP_INTERNAL;
    if (err)
      err->status = st;
  }
  return st;
}

void up_schema_free(up_schema_t *schema)
{
  if (!schema)
    return;
  free(schema->evolvable);
  for (size_t i = 0; schema->types && i < schema->ntypes; i++) {
    free(schema->types[i].members);
    free(schema->types[i].by_name);
    free(schema->types[i].props);
    free(schema->types[i].all);
  }
  free(schema->types);
  json_decref(schema->root);
  free(schema);
}
