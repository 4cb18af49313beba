/* odata.c - $filter and $orderby against a collection's properties, $top/$skip/$count, and the
 * opaque $skiptoken of keyset paging. The parsed query is plain data; the store turns it into
 * SQL with bound parameters.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/odata.h"
#include "uprintd/schema.h"
#include "uprintd/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- the collections' properties --- */

#define S(p)                                                                                       \
  {                                                                                                \
    p, UP_V_STRING, NULL, true, false                                                              \
  }
#define B(p)                                                                                       \
  {                                                                                                \
    p, UP_V_BOOL, NULL, true, false                                                                \
  }
#define I(p)                                                                                       \
  {                                                                                                \
    p, UP_V_INT, NULL, true, false                                                                 \
  }
#define D(p)                                                                                       \
  {                                                                                                \
    p, UP_V_DATETIME, NULL, true, false                                                            \
  }
#define E(p, t)                                                                                    \
  {                                                                                                \
    p, UP_V_ENUM, t, true, false                                                                   \
  }
#define END                                                                                        \
  {                                                                                                \
    NULL, UP_V_NULL, NULL, false, false                                                            \
  }

static const up_field_t printer_fields[] = {S("id"),
                                            S("displayName"),
                                            S("manufacturer"),
                                            S("model"),
                                            B("isAcceptingJobs"),
                                            B("hasPhysicalDevice"),
                                            S("physicalDeviceId"),
                                            D("registeredDateTime"),
                                            B("isShared"),
                                            E("status/state", "printerProcessingState"),
                                            END};

static const up_field_t share_fields[] = {
    S("id"),           S("displayName"), D("createdDateTime"), B("allowAllUsers"),
    S("manufacturer"), S("model"),       B("isAcceptingJobs"), END};

static const up_field_t operation_fields[] = {
    S("id"), D("createdDateTime"), E("status/state", "printOperationProcessingState"), END};

static const up_field_t job_fields[] = {{"id", UP_V_INT, NULL, true, true},
                                        D("createdDateTime"),
                                        S("createdBy/userPrincipalName"),
                                        S("createdBy/displayName"),
                                        S("createdBy/id"),
                                        E("status/state", "printJobProcessingState"),
                                        B("status/isAcquiredByPrinter"),
                                        B("isFetchable"),
                                        D("acknowledgedDateTime"),
                                        I("errorCode"),
                                        S("redirectedFrom"),
                                        S("redirectedTo"),
                                        END};

/* Paths starting with '@' are the store's own order keys: no request can name them. */
#define HIDDEN_CREATED                                                                             \
  {                                                                                                \
    "@created", UP_V_DATETIME, NULL, false, false                                                  \
  }

static const up_field_t definition_fields[] = {
    S("id"), S("displayName"), S("createdBy/appId"), S("createdBy/displayName"), HIDDEN_CREATED,
    END};

static const up_field_t task_fields[] = {S("id"),
                                         S("parentUrl"),
                                         E("status/state", "printTaskProcessingState"),
                                         S("status/description"),
                                         HIDDEN_CREATED,
                                         END};

static const up_field_t trigger_fields[] = {S("id"), E("event", "printEvent"), HIDDEN_CREATED, END};

/* Each collection's entity type, properties and own order (without $orderby): a property and
 * its direction, then the id in id_desc's direction. */
static const struct {
  const char *type;
  const up_field_t *fields;
  const char *order_by;
  bool order_desc, id_desc;
} collections[UP_COLL_COUNT] = {
    [UP_COLL_PRINTERS] = {"printer", printer_fields, "registeredDateTime", false, false},
    [UP_COLL_SHARES] = {"printerShare", share_fields, "createdDateTime", false, false},
    [UP_COLL_OPERATIONS] = {"printerCreateOperation", operation_fields, "createdDateTime", false,
                            false},
    [UP_COLL_JOBS] = {"printJob", job_fields, "createdDateTime", true, true},
    [UP_COLL_DEFINITIONS] = {"printTaskDefinition", definition_fields, "@created", false, false},
    [UP_COLL_TASKS] = {"printTask", task_fields, "@created", true, true},
    [UP_COLL_TRIGGERS] = {"printTaskTrigger", trigger_fields, "@created", false, false},
};

const up_field_t *up_coll_fields(up_coll_t coll)
{
  return (unsigned)coll < UP_COLL_COUNT ? collections[coll].fields : NULL;
}

const char *up_coll_type(up_coll_t coll)
{
  return (unsigned)coll < UP_COLL_COUNT ? collections[coll].type : "";
}

static const up_field_t *find_field(up_coll_t coll, const char *path, size_t len)
{
  for (const up_field_t *f = up_coll_fields(coll); f && f->path; f++)
    if (strlen(f->path) == len && strncmp(f->path, path, len) == 0)
      return f;
  return NULL;
}

void up_value_fini(up_value_t *v)
{
  if (v) {
    free(v->s);
    memset(v, 0, sizeof(*v));
  }
}

void up_expr_free(up_expr_t *e)
{
  if (!e)
    return;
  up_expr_free(e->a);
  up_expr_free(e->b);
  up_value_fini(&e->value);
  free(e);
}

/* --- the $filter tokenizer and parser --- */

typedef enum {
  T_END,
  T_IDENT,  /* a name or path: letters, digits, _, ., / */
  T_STRING, /* 'text' ('' escapes ') */
  T_NUMBER, /* -?digits */
  T_DATE,   /* 2020-01-02T03:04:05Z */
  T_LPAREN,
  T_RPAREN,
  T_COMMA,
  T_TYPED, /* Namespace.enumType'member' */
  T_BAD
} tok_kind_t;

typedef struct parser {
  up_coll_t coll;
  const struct up_schema *schema;
  const char *src, *p;
  tok_kind_t kind;
  const char *tok; /* start of the current token */
  size_t len;      /* its length */
  int depth, nodes;
  up_error_t *err;
} parser_t;

static up_status_t fail(parser_t *ps, const char *fmt, ...) UP_PRINTF(2, 3);
static up_status_t fail(parser_t *ps, const char *fmt, ...)
{
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  up_error_set(ps->err, UP_INVALID, "BadRequest", "Invalid $filter: %s (at position %zu).", msg,
               (size_t)(ps->tok - ps->src) + 1);
  up_error_set_target(ps->err, "$filter");
  return UP_INVALID;
}

static bool is_name(int c)
{
  return isalnum(c) || c == '_' || c == '.' || c == '/';
}

/* A date-time literal at p: 2020-01-02T03:04[:05[.fffffff]](Z|+hh:mm|-hh:mm). */
static size_t date_len(const char *p)
{
  size_t n = 0;
  while (isdigit((unsigned char)p[n]) || p[n] == '-' || p[n] == ':' || p[n] == '.' || p[n] == 'T' ||
         p[n] == 'Z' || p[n] == '+')
    n++;
  return n;
}

static void next(parser_t *ps)
{
  const char *p = ps->p;
  while (*p == ' ' || *p == '\t')
    p++;
  ps->tok = p;
  if (!*p) {
    ps->kind = T_END;
    ps->len = 0;
  } else if (*p == '(' || *p == ')' || *p == ',') {
    ps->kind = *p == '(' ? T_LPAREN : *p == ')' ? T_RPAREN : T_COMMA;
    ps->len = 1;
  } else if (*p == '\'') {
    size_t n = 1;
    for (;;) {
      if (!p[n]) {
        ps->kind = T_BAD;
        break;
      }
      if (p[n] == '\'' && p[n + 1] == '\'') {
        n += 2;
        continue;
      }
      if (p[n] == '\'') {
        n++;
        ps->kind = T_STRING;
        break;
      }
      n++;
    }
    ps->len = n;
  } else if (isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) {
    size_t n = 1;
    while (isdigit((unsigned char)p[n]))
      n++;
    if (n == 4 && p[4] == '-' && *p != '-') {
      ps->kind = T_DATE;
      n = date_len(p);
    } else {
      ps->kind = T_NUMBER;
    }
    ps->len = n;
  } else if (is_name((unsigned char)*p)) {
    size_t n = 0;
    while (is_name((unsigned char)p[n]))
      n++;
    ps->kind = T_IDENT;
    if (p[n] == '\'' && memchr(p, '.', n)) { /* microsoft.graph.type'member' */
      const char *q = strchr(p + n + 1, '\'');
      if (q) {
        ps->kind = T_TYPED;
        n = (size_t)(q - p) + 1;
      }
    }
    ps->len = n;
  } else {
    ps->kind = T_BAD;
    ps->len = 1;
  }
  ps->p = p + ps->len;
}

static bool tok_is(const parser_t *ps, const char *word)
{
  return ps->kind == T_IDENT && strlen(word) == ps->len && strncasecmp(ps->tok, word, ps->len) == 0;
}

/* The text of a string token, '' unescaped (new). */
static char *string_value(const char *tok, size_t len)
{
  char *out = malloc(len);
  size_t o = 0;
  if (!out)
    return NULL;
  for (size_t i = 1; i + 1 < len; i++) {
    out[o++] = tok[i];
    if (tok[i] == '\'')
      i++; /* the second quote of '' */
  }
  out[o] = '\0';
  return out;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* ISO 8601 date-time with a zone (Z or +hh:mm): 100-ns ticks since 1970. */
static bool parse_datetime(const char *s, size_t len, int64_t *out)
{
  char buf[48];
  int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, n = 0;
  long frac = 0;
  int frac_digits = 0;
  if (len >= sizeof(buf))
    return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
    return false;
  const char *p = buf + n;
  if (*p == ':') {
    if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
      return false;
    sec = (p[1] - '0') * 10 + (p[2] - '0');
    p += 3;
    if (*p == '.') {
      p++;
      while (isdigit((unsigned char)*p)) {
        if (frac_digits < 7) {
          frac = frac * 10 + (*p - '0');
          frac_digits++;
        }
        p++;
      }
      if (frac_digits == 0)
        return false;
      while (frac_digits < 7) {
        frac *= 10;
        frac_digits++;
      }
    }
  }
  int sign = 0;
  if (*p == 'Z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    sign = *p == '+' ? 1 : -1;
    if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
      return false;
    p += 6;
  } else {
    return false;
  }
  if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
      om > 59)
    return false;
  int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
                 sign * (oh * 3600 + om * 60);
  *out = secs * UP_TIME_TICKS_PER_SECOND + frac;
  return true;
}

static const char *type_name(up_vtype_t t)
{
  switch (t) {
  case UP_V_STRING:
    return "String";
  case UP_V_INT:
    return "Int64";
  case UP_V_BOOL:
    return "Boolean";
  case UP_V_DATETIME:
    return "DateTimeOffset";
  case UP_V_ENUM:
    return "an enum";
  default:
    return "null";
  }
}

/* The current token as a literal for field f (its type decides how to read it). */
static up_status_t literal(parser_t *ps, const up_field_t *f, up_value_t *v)
{
  memset(v, 0, sizeof(*v));
  if (tok_is(ps, "null")) {
    v->type = UP_V_NULL;
    return UP_OK;
  }
  switch (f->type) {
  case UP_V_STRING:
    if (ps->kind != T_STRING)
      return fail(ps, "'%s' is a String; a quoted literal such as 'text' is expected", f->path);
    v->type = UP_V_STRING;
    return (v->s = string_value(ps->tok, ps->len))
               ? UP_OK
               : up_error_set(ps->err, UP_NOMEM, NULL, "Out of memory.");
  case UP_V_INT: {
    const char *t = ps->tok;
    size_t len = ps->len;
    char buf[32];
    if (f->id_string && ps->kind == T_STRING) { /* job ids are strings in Graph */
      t++;
      len -= 2;
    } else if (ps->kind != T_NUMBER) {
      return fail(ps, "'%s' is a number; an integer literal is expected", f->path);
    }
    if (len == 0 || len >= sizeof(buf))
      return fail(ps, "'%.*s' is not a valid value of '%s'", (int)ps->len, ps->tok, f->path);
    memcpy(buf, t, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long long n = strtoll(buf, &end, 10);
    if (*end || errno)
      return fail(ps, "'%.*s' is not a valid value of '%s'", (int)ps->len, ps->tok, f->path);
    v->type = UP_V_INT;
    v->i = n;
    return UP_OK;
  }
  case UP_V_BOOL:
    if (!tok_is(ps, "true") && !tok_is(ps, "false"))
      return fail(ps, "'%s' is a Boolean; true or false is expected", f->path);
    v->type = UP_V_BOOL;
    v->i = tok_is(ps, "true");
    return UP_OK;
  case UP_V_DATETIME:
    if (ps->kind != T_DATE || !parse_datetime(ps->tok, ps->len, &v->i))
      return fail(ps,
                  "'%s' is a DateTimeOffset; a literal such as 2020-01-31T23:59:59Z is expected",
                  f->path);
    v->type = UP_V_DATETIME;
    return UP_OK;
  case UP_V_ENUM: {
    const char *t = ps->tok;
    size_t len = ps->len;
    if (ps->kind == T_TYPED) { /* microsoft.graph.printJobProcessingState'completed' */
      const char *q = memchr(t, '\'', len);
      size_t tlen = (size_t)(q - t);
      const char *ns = "microsoft.graph.";
      size_t nslen = strlen(ns);
      if (tlen != nslen + strlen(f->enum_type) || strncmp(t, ns, nslen) != 0 ||
          strncmp(t + nslen, f->enum_type, tlen - nslen) != 0)
        return fail(ps, "'%s' is of type microsoft.graph.%s", f->path, f->enum_type);
      len -= tlen;
      t = q;
    } else if (ps->kind != T_STRING) {
      return fail(ps, "'%s' is an enum (%s); a quoted member name is expected", f->path,
                  f->enum_type);
    }
    if (!(v->s = string_value(t, len)))
      return up_error_set(ps->err, UP_NOMEM, NULL, "Out of memory.");
    v->type = UP_V_ENUM;
    if (ps->schema && !up_schema_enum_has(ps->schema, f->enum_type, v->s)) {
      up_status_t st = fail(ps, "'%.64s' is not a member of %s", v->s, f->enum_type);
      up_value_fini(v);
      return st;
    }
    return UP_OK;
  }
  default:
    return fail(ps, "unexpected value");
  }
}

static up_status_t node(parser_t *ps, up_expr_t **out)
{
  if (++ps->nodes > UP_FILTER_NODES)
    return fail(ps, "more than %d operators", UP_FILTER_NODES);
  if (!(*out = calloc(1, sizeof(**out))))
    return up_error_set(ps->err, UP_NOMEM, NULL, "Out of memory.");
  return UP_OK;
}

static up_status_t parse_or(parser_t *ps, up_expr_t **out);

static const struct {
  const char *word;
  up_cmp_t cmp;
} cmps[] = {{"eq", UP_CMP_EQ}, {"ne", UP_CMP_NE}, {"gt", UP_CMP_GT},
            {"ge", UP_CMP_GE}, {"lt", UP_CMP_LT}, {"le", UP_CMP_LE}};

static const struct {
  const char *word;
  up_func_t fn;
} funcs[] = {
    {"startswith", UP_FN_STARTSWITH}, {"endswith", UP_FN_ENDSWITH}, {"contains", UP_FN_CONTAINS}};

/* A property path at the current token; advances past it. */
static up_status_t path(parser_t *ps, const up_field_t **f)
{
  if (ps->kind != T_IDENT)
    return fail(ps, "a property name is expected");
  *f = find_field(ps->coll, ps->tok, ps->len);
  if (!*f)
    return fail(ps,
                "could not find a property named '%.*s' on type 'microsoft.graph.%s' that "
                "can be filtered",
                (int)(ps->len > 80 ? 80 : ps->len), ps->tok, up_coll_type(ps->coll));
  next(ps);
  return UP_OK;
}

/* Swaps a comparison's sides: 5 lt x is x gt 5. */
static up_cmp_t flip(up_cmp_t c)
{
  switch (c) {
  case UP_CMP_GT:
    return UP_CMP_LT;
  case UP_CMP_GE:
    return UP_CMP_LE;
  case UP_CMP_LT:
    return UP_CMP_GT;
  case UP_CMP_LE:
    return UP_CMP_GE;
  default:
    return c;
  }
}

static up_status_t comparison(parser_t *ps, up_expr_t **out)
{
  const up_field_t *f = NULL;
  const char *lit_tok = NULL;
  size_t lit_len = 0;
  tok_kind_t lit_kind = T_END;
  bool field_first =
      ps->kind == T_IDENT && !tok_is(ps, "null") && !tok_is(ps, "true") && !tok_is(ps, "false");
  up_status_t st;
  if (field_first) {
    if ((st = path(ps, &f)) != UP_OK)
      return st;
  } else {
    lit_tok = ps->tok;
    lit_len = ps->len;
    lit_kind = ps->kind;
    if (ps->kind == T_END || ps->kind == T_BAD || ps->kind == T_RPAREN || ps->kind == T_COMMA)
      return fail(ps, "an expression is expected");
    next(ps);
  }
  /* A Boolean property alone is a condition: isFetchable means isFetchable eq true. */
  size_t c = 0;
  for (; c < sizeof(cmps) / sizeof(cmps[0]) && !tok_is(ps, cmps[c].word); c++)
    ;
  if (c == sizeof(cmps) / sizeof(cmps[0])) {
    if (f && f->type == UP_V_BOOL) {
      if ((st = node(ps, out)) != UP_OK)
        return st;
      (*out)->kind = UP_EX_CMP;
      (*out)->cmp = UP_CMP_EQ;
      (*out)->field = f;
      (*out)->value.type = UP_V_BOOL;
      (*out)->value.i = 1;
      return UP_OK;
    }
    return fail(ps, "a comparison operator (eq, ne, gt, ge, lt, le) is expected");
  }
  up_cmp_t cmp = cmps[c].cmp;
  next(ps);
  if ((st = node(ps, out)) != UP_OK)
    return st;
  (*out)->kind = UP_EX_CMP;
  if (field_first) {
    (*out)->field = f;
    (*out)->cmp = cmp;
    if ((st = literal(ps, f, &(*out)->value)) != UP_OK)
      return st;
    next(ps);
  } else {
    /* literal op field */
    if ((st = path(ps, &f)) != UP_OK)
      return st;
    const char *save_p = ps->p, *save_tok = ps->tok;
    tok_kind_t save_kind = ps->kind;
    size_t save_len = ps->len;
    ps->tok = lit_tok;
    ps->len = lit_len;
    ps->kind = lit_kind;
    (*out)->field = f;
    (*out)->cmp = flip(cmp);
    st = literal(ps, f, &(*out)->value);
    ps->p = save_p;
    ps->tok = save_tok;
    ps->kind = save_kind;
    ps->len = save_len;
    if (st != UP_OK)
      return st;
  }
  const up_value_t *v = &(*out)->value;
  if (v->type == UP_V_NULL && cmp != UP_CMP_EQ && cmp != UP_CMP_NE)
    return fail(ps, "null can only be compared with eq or ne");
  if ((f->type == UP_V_BOOL || f->type == UP_V_ENUM) && cmp != UP_CMP_EQ && cmp != UP_CMP_NE)
    return fail(ps, "'%s' can only be compared with eq or ne", f->path);
  return UP_OK;
}

static up_status_t primary(parser_t *ps, up_expr_t **out)
{
  up_status_t st;
  if (ps->kind == T_LPAREN) {
    if (++ps->depth > UP_FILTER_DEPTH)
      return fail(ps, "nested more than %d levels deep", UP_FILTER_DEPTH);
    next(ps);
    if ((st = parse_or(ps, out)) != UP_OK)
      return st;
    if (ps->kind != T_RPAREN)
      return fail(ps, "')' is expected");
    ps->depth--;
    next(ps);
    return UP_OK;
  }
  for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
    if (!tok_is(ps, funcs[i].word))
      continue;
    const up_field_t *f;
    next(ps);
    if (ps->kind != T_LPAREN)
      return fail(ps, "'(' is expected after %s", funcs[i].word);
    next(ps);
    if ((st = path(ps, &f)) != UP_OK)
      return st;
    if (f->type != UP_V_STRING)
      return fail(ps, "%s takes a String property; '%s' is %s", funcs[i].word, f->path,
                  type_name(f->type));
    if (ps->kind != T_COMMA)
      return fail(ps, "',' is expected");
    next(ps);
    if ((st = node(ps, out)) != UP_OK)
      return st;
    (*out)->kind = UP_EX_FUNC;
    (*out)->fn = funcs[i].fn;
    (*out)->field = f;
    if ((st = literal(ps, f, &(*out)->value)) != UP_OK)
      return st;
    if ((*out)->value.type != UP_V_STRING)
      return fail(ps, "%s compares with a quoted string", funcs[i].word);
    next(ps);
    if (ps->kind != T_RPAREN)
      return fail(ps, "')' is expected");
    next(ps);
    return UP_OK;
  }
  return comparison(ps, out);
}

static up_status_t unary(parser_t *ps, up_expr_t **out)
{
  if (tok_is(ps, "not")) {
    up_status_t st;
    if (++ps->depth > UP_FILTER_DEPTH)
      return fail(ps, "nested more than %d levels deep", UP_FILTER_DEPTH);
    next(ps);
    if ((st = node(ps, out)) != UP_OK)
      return st;
    (*out)->kind = UP_EX_NOT;
    st = unary(ps, &(*out)->a);
    ps->depth--;
    return st;
  }
  return primary(ps, out);
}

static up_status_t binary(parser_t *ps, up_expr_t **out, const char *word, up_expr_kind_t kind,
                          up_status_t (*operand)(parser_t *, up_expr_t **))
{
  up_status_t st = operand(ps, out);
  while (st == UP_OK && tok_is(ps, word)) {
    up_expr_t *left = *out;
    next(ps);
    if ((st = node(ps, out)) != UP_OK) {
      up_expr_free(left);
      *out = NULL;
      return st;
    }
    (*out)->kind = kind;
    (*out)->a = left;
    st = operand(ps, &(*out)->b);
  }
  return st;
}

static up_status_t parse_and(parser_t *ps, up_expr_t **out)
{
  return binary(ps, out, "and", UP_EX_AND, unary);
}

static up_status_t parse_or(parser_t *ps, up_expr_t **out)
{
  return binary(ps, out, "or", UP_EX_OR, parse_and);
}

up_status_t up_filter_parse(up_coll_t coll, const char *text, const struct up_schema *schema,
                            up_expr_t **out, up_error_t *err)
{
  parser_t ps = {.coll = coll, .schema = schema, .src = text, .p = text, .err = err};
  *out = NULL;
  next(&ps);
  if (ps.kind == T_END)
    return fail(&ps, "the expression is empty");
  up_status_t st = parse_or(&ps, out);
  if (st == UP_OK && ps.kind != T_END)
    st = fail(&ps, "unexpected '%.*s'", (int)(ps.len > 40 ? 40 : ps.len), ps.tok);
  if (st != UP_OK) {
    up_expr_free(*out);
    *out = NULL;
  }
  return st;
}

/* --- $orderby --- */

static up_status_t parse_orderby(up_coll_t coll, const char *text, up_list_query_t *q,
                                 up_error_t *err)
{
  const char *p = text;
  while (*p) {
    while (*p == ' ')
      p++;
    const char *name = p;
    while (*p && *p != ' ' && *p != ',')
      p++;
    size_t nlen = (size_t)(p - name);
    bool desc = false;
    while (*p == ' ')
      p++;
    if (*p && *p != ',') {
      const char *dir = p;
      while (*p && *p != ' ' && *p != ',')
        p++;
      size_t dlen = (size_t)(p - dir);
      if (dlen == 4 && strncasecmp(dir, "desc", 4) == 0)
        desc = true;
      else if (!(dlen == 3 && strncasecmp(dir, "asc", 3) == 0))
        goto bad;
      while (*p == ' ')
        p++;
    }
    if (nlen == 0 || (*p && *p != ','))
      goto bad;
    const up_field_t *f = *name == '@' ? NULL : find_field(coll, name, nlen);
    if (!f || !f->orderable) {
      up_error_set(err, UP_INVALID, "BadRequest",
                   "Invalid $orderby: could not find a property named '%.*s' on type "
                   "'microsoft.graph.%s' that can be ordered by.",
                   (int)(nlen > 80 ? 80 : nlen), name, up_coll_type(coll));
      up_error_set_target(err, "$orderby");
      return UP_INVALID;
    }
    if (q->n_order == UP_ORDER_MAX) {
      up_error_set(err, UP_INVALID, "BadRequest", "Invalid $orderby: at most %d properties.",
                   UP_ORDER_MAX);
      up_error_set_target(err, "$orderby");
      return UP_INVALID;
    }
    q->order[q->n_order].field = f;
    q->order[q->n_order++].desc = desc;
    if (*p == ',') {
      p++;
      if (!*p)
        goto bad;
    }
  }
  if (q->n_order == 0)
    goto bad;
  return UP_OK;
bad:
  up_error_set(err, UP_INVALID, "BadRequest",
               "Invalid $orderby '%.100s': property names, each optionally followed by asc or "
               "desc, separated by commas, are expected.",
               text);
  up_error_set_target(err, "$orderby");
  return UP_INVALID;
}

/* --- $skiptoken: base64url of "fingerprint|k1|k2|..." where k is n, i<int>, s<len>:<bytes> --- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(char c)
{
  const char *p = c ? strchr(b64url, c) : NULL;
  return p ? (int)(p - b64url) : -1;
}

static size_t b64_decode(const char *in, unsigned char *out, size_t outlen, bool *ok)
{
  size_t n = strlen(in), o = 0;
  uint32_t acc = 0;
  int bits = 0;
  *ok = true;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(in[i]);
    if (v < 0) {
      *ok = false;
      return 0;
    }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= outlen) {
        *ok = false;
        return 0;
      }
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  return o;
}

/* FNV-1a of the query's $filter and $orderby: a token is valid only for the query it came from. */
static void fingerprint(const up_query_t *opts, char out[17])
{
  uint64_t h = 1469598103934665603ULL;
  const char *parts[2] = {opts && opts->filter ? opts->filter : "",
                          opts && opts->orderby ? opts->orderby : ""};
  for (int k = 0; k < 2; k++) {
    for (const char *p = parts[k]; *p; p++) {
      h ^= (unsigned char)*p;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  }
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

bool up_skiptoken_make(const up_list_query_t *q, const up_value_t *keys, size_t n, char *out,
                       size_t outlen)
{
  char raw[1024];
  size_t len = (size_t)snprintf(raw, sizeof(raw), "%s", q->fingerprint);
  for (size_t i = 0; i < n && len < sizeof(raw); i++) {
    const up_value_t *k = &keys[i];
    if (k->type == UP_V_NULL)
      len += (size_t)snprintf(raw + len, sizeof(raw) - len, "|n");
    else if (k->type == UP_V_STRING || k->type == UP_V_ENUM) {
      size_t sl = strlen(k->s ? k->s : "");
      if (len + sl + 24 >= sizeof(raw))
        return false;
      len += (size_t)snprintf(raw + len, sizeof(raw) - len, "|s%zu:", sl);
      memcpy(raw + len, k->s ? k->s : "", sl);
      len += sl;
    } else {
      len += (size_t)snprintf(raw + len, sizeof(raw) - len, "|i%lld", (long long)k->i);
    }
  }
  if (len >= sizeof(raw))
    return false;
  return up_base64url_encode((const unsigned char *)raw, len, out, outlen);
}

static up_status_t bad_token(up_error_t *err)
{
  up_error_set(err, UP_INVALID, "BadRequest",
               "Invalid $skiptoken: it was not made by this server for this query. Follow "
               "@odata.nextLink as it is.");
  up_error_set_target(err, "$skiptoken");
  return UP_INVALID;
}

static up_status_t parse_skiptoken(const char *token, up_list_query_t *q, up_error_t *err)
{
  unsigned char raw[1024];
  bool ok;
  size_t n = b64_decode(token, raw, sizeof(raw) - 1, &ok);
  if (!ok || n < 16 || memcmp(raw, q->fingerprint, 16) != 0)
    return bad_token(err);
  raw[n] = '\0';
  size_t i = 16;
  size_t want = q->n_order + 1;
  while (i < n) {
    if (raw[i] != '|' || i + 1 >= n || q->n_after == UP_KEY_MAX)
      return bad_token(err);
    up_value_t *v = &q->after[q->n_after++];
    char kind = (char)raw[i + 1];
    i += 2;
    if (kind == 'n') {
      v->type = UP_V_NULL;
    } else if (kind == 'i') {
      char *end;
      errno = 0;
      long long x = strtoll((const char *)raw + i, &end, 10);
      if (end == (char *)raw + i || errno)
        return bad_token(err);
      v->type = UP_V_INT;
      v->i = x;
      i = (size_t)((unsigned char *)end - raw);
    } else if (kind == 's') {
      char *end;
      unsigned long sl = strtoul((const char *)raw + i, &end, 10);
      size_t at = (size_t)((unsigned char *)end - raw);
      if (*end != ':' || sl > n - at - 1)
        return bad_token(err);
      v->type = UP_V_STRING;
      if (!(v->s = strndup((const char *)raw + at + 1, sl)))
        return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
      i = at + 1 + sl;
    } else {
      return bad_token(err);
    }
  }
  if (q->n_after != want)
    return bad_token(err);
  return UP_OK;
}

/* --- the whole query --- */

void up_list_query_fini(up_list_query_t *q)
{
  if (!q)
    return;
  up_expr_free(q->filter);
  for (size_t i = 0; i < UP_KEY_MAX; i++)
    up_value_fini(&q->after[i]);
  memset(q, 0, sizeof(*q));
}

up_status_t up_list_query_prepare(up_coll_t coll, const up_query_t *opts,
                                  const struct up_schema *schema, up_list_query_t *q,
                                  up_error_t *err)
{
  up_status_t st = UP_OK;
  memset(q, 0, sizeof(*q));
  q->coll = coll;
  q->page = UP_PAGE_SIZE;
  fingerprint(opts, q->fingerprint);
  if (!opts)
    goto done;
  if (opts->filter && (st = up_filter_parse(coll, opts->filter, schema, &q->filter, err)) != UP_OK)
    goto out;
  if (opts->orderby && (st = parse_orderby(coll, opts->orderby, q, err)) != UP_OK)
    goto out;
  if (opts->top >= 0)
    q->page = opts->top < UP_PAGE_SIZE ? (size_t)opts->top : UP_PAGE_SIZE;
  if (opts->skip >= 0)
    q->skip = (size_t)opts->skip;
  q->count = opts->count == 1;
done:
  q->default_order = q->n_order == 0;
  if (q->default_order) {
    const char *by = collections[coll].order_by;
    q->order[0].field = find_field(coll, by, strlen(by));
    q->order[0].desc = collections[coll].order_desc;
    q->n_order = 1;
    q->id_desc = collections[coll].id_desc;
  }
  q->id_field = find_field(coll, "id", 2);
  if (opts && opts->skiptoken && (st = parse_skiptoken(opts->skiptoken, q, err)) != UP_OK)
    goto out;
  return UP_OK;
out:
  up_list_query_fini(q);
  return st;
}
