/* query.c - parsing the OData system query options of a request.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/query.h"
#include "uprintd/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
  OPT_SELECT,
  OPT_EXPAND,
  OPT_FILTER,
  OPT_ORDERBY,
  OPT_TOP,
  OPT_SKIP,
  OPT_COUNT,
  OPT_SEARCH,
  OPT_SKIPTOKEN,
  OPT_FORMAT,
  OPT_COUNT_ALL
} opt_t;

static const char *const opt_names[OPT_COUNT_ALL] = {"select",    "expand", "filter", "orderby",
                                                     "top",       "skip",   "count",  "search",
                                                     "skiptoken", "format"};

void up_query_fini(up_query_t *q)
{
  if (!q)
    return;
  for (size_t i = 0; i < q->n_select; i++)
    free(q->select[i]);
  free(q->expand);
  free(q->filter);
  free(q->orderby);
  free(q->search);
  free(q->skiptoken);
  memset(q, 0, sizeof(*q));
  q->top = q->skip = q->count = -1;
}

bool up_query_selects(const up_query_t *q, const char *prop)
{
  for (size_t i = 0; q && i < q->n_select; i++)
    if (strcmp(q->select[i], prop) == 0)
      return true;
  return false;
}

static up_status_t parse_select(up_query_t *q, const char *v, up_error_t *err)
{
  const char *p = v;
  q->has_select = true;
  if (!*v)
    return up_error_set(err, UP_INVALID, "BadRequest",
                        "Syntax error in $select: no property is named.");
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len && isspace((unsigned char)*p)) {
      p++;
      len--;
    }
    while (len && isspace((unsigned char)p[len - 1]))
      len--;
    if (len == 0)
      return up_error_set(err, UP_INVALID, "BadRequest", "Syntax error in $select: an empty item.");
    if (q->n_select == UP_QUERY_MAX_SELECT)
      return up_error_set(err, UP_INVALID, "BadRequest", "$select names more than %d properties.",
                          UP_QUERY_MAX_SELECT);
    if (!(q->select[q->n_select] = strndup(p, len)))
      return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
    q->n_select++;
    if (!end)
      break;
    p = end + 1;
  }
  return UP_OK;
}

static up_status_t parse_count(const char *name, const char *v, long *out, up_error_t *err)
{
  char *end;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (!*v || *end || errno || n < 0 || n > 1000000000L)
    return up_error_set(
        err, UP_INVALID, "BadRequest",
        "Invalid value '%.64s' for query option '$%s': a non-negative integer is expected.", v,
        name);
  *out = n;
  return UP_OK;
}

static up_status_t set_option(up_query_t *q, opt_t opt, const char *v, up_error_t *err)
{
  char **slot = NULL;
  switch (opt) {
  case OPT_SELECT:
    return parse_select(q, v, err);
  case OPT_TOP:
    return parse_count("top", v, &q->top, err);
  case OPT_SKIP:
    return parse_count("skip", v, &q->skip, err);
  case OPT_COUNT:
    if (up_str_ieq(v, "true"))
      q->count = 1;
    else if (up_str_ieq(v, "false"))
      q->count = 0;
    else
      return up_error_set(err, UP_INVALID, "BadRequest",
                          "Invalid value '%.64s' for query option '$count'.", v);
    return UP_OK;
  case OPT_EXPAND:
    slot = &q->expand;
    break;
  case OPT_FILTER:
    slot = &q->filter;
    break;
  case OPT_ORDERBY:
    slot = &q->orderby;
    break;
  case OPT_SEARCH:
    slot = &q->search;
    break;
  case OPT_SKIPTOKEN:
    slot = &q->skiptoken;
    break;
  case OPT_FORMAT:
    if (!up_str_ieq(v, "json") && !up_str_ieq(v, "application/json"))
      return up_error_set(err, UP_INVALID, "BadRequest", "Unsupported $format '%.64s'.", v);
    return UP_OK;
  default:
    return UP_OK;
  }
  if (!(*slot = strdup(v)))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  return UP_OK;
}

up_status_t up_query_parse(const char *raw, up_query_t *q, up_error_t *err)
{
  unsigned seen = 0;
  up_status_t st = UP_OK;
  memset(q, 0, sizeof(*q));
  q->top = q->skip = q->count = -1;
  for (const char *p = raw; p && *p && st == UP_OK;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    size_t nlen = eq ? (size_t)(eq - p) : len;
    char *name = up_percent_decode(p, nlen, true);
    char *value = eq ? up_percent_decode(eq + 1, len - nlen - 1, true) : strdup("");
    if (!name || !value) {
      st = up_error_set(err, UP_INVALID, "BadRequest", "The query string has a malformed escape.");
    } else {
      bool dollar = name[0] == '$';
      const char *bare = dollar ? name + 1 : name;
      int opt = -1;
      for (int i = 0; i < OPT_COUNT_ALL; i++)
        if (up_str_ieq(bare, opt_names[i]))
          opt = i;
      if (opt < 0 && dollar) {
        st = up_error_set(err, UP_INVALID, "BadRequest",
                          "The query parameter '%.64s' is not supported.", name);
      } else if (opt >= 0) {
        if (seen & (1u << opt))
          st = up_error_set(err, UP_INVALID, "BadRequest",
                            "Query option '$%s' was specified more than once.", opt_names[opt]);
        else {
          seen |= 1u << opt;
          q->present |= 1u << opt;
          st = set_option(q, (opt_t)opt, value, err);
        }
      }
    }
    free(name);
    free(value);
    if (!amp)
      break;
    p = amp + 1;
  }
  if (st != UP_OK)
    up_query_fini(q);
  return st;
}

up_status_t up_query_check_supported(const up_query_t *q, unsigned supported, up_error_t *err)
{
  unsigned extra = q->present & ~(supported | UP_QUERY_FORMAT);
  for (int i = 0; i < OPT_COUNT_ALL; i++) {
    if (extra & (1u << i)) {
      up_error_set(err, UP_INVALID, "BadRequest",
                   "The query option '$%s' is not supported on this resource.", opt_names[i]);
      up_error_set_target(err, opt_names[i]);
      return UP_INVALID;
    }
  }
  return UP_OK;
}

bool up_query_param(const char *raw, const char *name, char *out, size_t outlen)
{
  size_t nlen = strlen(name);
  for (const char *p = raw; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
      char *v = up_percent_decode(p + nlen + 1, len - nlen - 1, true);
      bool ok = v && strlen(v) < outlen;
      if (ok)
        strcpy(out, v);
      free(v);
      return ok;
    }
    if (!amp)
      break;
    p = amp + 1;
  }
  return false;
}
