/* ranges.c - Content-Range parsing and sets of closed byte ranges for document uploads.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/ranges.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_MESSAGE "Content-Range must be 'bytes START-END/TOTAL'"

/* Longest formatted range: two int64 values (up to 20 characters each with a sign), '-' and ','. */
#define RANGE_TEXT_MAX 42

static bool is_space(char c)
{
  return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static char ascii_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Parses an unsigned decimal number at *pp into *out and advances *pp. Returns 1 on success, 0
 * when there is no digit and -1 when the number exceeds INT64_MAX. */
static int parse_number(const char **pp, int64_t *out)
{
  const char *p = *pp;
  int64_t v = 0;
  bool overflow = false;
  if (!is_digit(*p))
    return 0;
  for (; is_digit(*p); p++) {
    int d = *p - '0';
    if (v > (INT64_MAX - d) / 10)
      overflow = true;
    else
      v = v * 10 + d;
  }
  *pp = p;
  if (overflow)
    return -1;
  *out = v;
  return 1;
}

up_status_t up_content_range_parse(const char *value, int64_t *start, int64_t *end, int64_t *total,
                                   up_error_t *err)
{
  static const char unit[] = "bytes";
  if (!value)
    return up_error_set(err, UP_INVALID, NULL, "Content-Range is required");
  const char *p = value;
  while (is_space(*p))
    p++;
  if (!*p)
    return up_error_set(err, UP_INVALID, NULL, "Content-Range is required");
  for (size_t i = 0; i < sizeof(unit) - 1; i++, p++)
    if (ascii_lower(*p) != unit[i])
      return up_error_set(err, UP_INVALID, NULL, FORM_MESSAGE " (the unit must be bytes)");
  if (*p == '=') {
    p++;
  } else if (is_space(*p)) {
    while (is_space(*p))
      p++;
  } else {
    return up_error_set(err, UP_INVALID, NULL, FORM_MESSAGE " (the unit must be bytes)");
  }

  int64_t num[3] = {0, 0, 0};
  static const char after[3] = {'-', '/', '\0'};
  static const char *const names[3] = {"START", "END", "TOTAL"};
  for (int i = 0; i < 3; i++) {
    int r = parse_number(&p, &num[i]);
    if (r < 0)
      return up_error_set(err, UP_INVALID, NULL, "the Content-Range %s is larger than %" PRId64,
                          names[i], INT64_MAX);
    if (r == 0)
      return up_error_set(err, UP_INVALID, NULL, FORM_MESSAGE " (%s is not a decimal number)",
                          names[i]);
    if (i < 2) {
      if (*p != after[i])
        return up_error_set(err, UP_INVALID, NULL, FORM_MESSAGE " ('%c' expected after %s)",
                            after[i], names[i]);
      p++;
    }
  }
  while (is_space(*p))
    p++;
  if (*p)
    return up_error_set(err, UP_INVALID, NULL, FORM_MESSAGE " (unexpected text after TOTAL)");
  if (num[0] > num[1])
    return up_error_set(err, UP_INVALID, NULL,
                        "the range %" PRId64 "-%" PRId64 " ends before it starts", num[0], num[1]);
  if (num[1] >= num[2])
    return up_error_set(err, UP_INVALID, NULL,
                        "the range %" PRId64 "-%" PRId64 " lies outside the document of %" PRId64
                        " bytes",
                        num[0], num[1], num[2]);
  if (start)
    *start = num[0];
  if (end)
    *end = num[1];
  if (total)
    *total = num[2];
  return UP_OK;
}

/* True when a range ending at e lies before one starting at s with at least one byte between
 * them (neither overlapping nor adjacent). e + 1 cannot overflow because e < s. */
static bool apart(int64_t e, int64_t s)
{
  return e < s && e + 1 != s;
}

/* Index of the first range not apart-before [start, ...]: the first whose end + 1 >= start. */
static size_t first_touching(const up_rangeset_t *rs, int64_t start)
{
  size_t lo = 0, hi = rs->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (apart(rs->v[mid].end, start))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Index of the first range whose end >= start. */
static size_t first_ending_at_or_after(const up_rangeset_t *rs, int64_t start)
{
  size_t lo = 0, hi = rs->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (rs->v[mid].end < start)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool reserve(up_rangeset_t *rs, size_t need)
{
  if (need <= rs->cap)
    return true;
  const size_t max = SIZE_MAX / sizeof(up_range_t);
  if (need > max)
    return false;
  size_t cap = rs->cap ? rs->cap : 4;
  while (cap < need)
    cap = cap > max / 2 ? max : cap * 2;
  up_range_t *v = realloc(rs->v, cap * sizeof(up_range_t));
  if (!v)
    return false;
  rs->v = v;
  rs->cap = cap;
  return true;
}

static bool push(up_rangeset_t *rs, int64_t start, int64_t end)
{
  if (rs->n == SIZE_MAX || !reserve(rs, rs->n + 1))
    return false;
  rs->v[rs->n].start = start;
  rs->v[rs->n].end = end;
  rs->n++;
  return true;
}

bool up_rangeset_add(up_rangeset_t *rs, int64_t start, int64_t end)
{
  if (start > end)
    return true;
  size_t i = first_touching(rs, start);
  size_t j = i;
  while (j < rs->n && !apart(end, rs->v[j].start))
    j++;
  if (i == j) {
    if (rs->n == SIZE_MAX || !reserve(rs, rs->n + 1))
      return false;
    memmove(rs->v + i + 1, rs->v + i, (rs->n - i) * sizeof(up_range_t));
    rs->v[i].start = start;
    rs->v[i].end = end;
    rs->n++;
    return true;
  }
  if (rs->v[i].start < start)
    start = rs->v[i].start;
  if (rs->v[j - 1].end > end)
    end = rs->v[j - 1].end;
  rs->v[i].start = start;
  rs->v[i].end = end;
  memmove(rs->v + i + 1, rs->v + j, (rs->n - j) * sizeof(up_range_t));
  rs->n -= j - i - 1;
  return true;
}

bool up_rangeset_remove(up_rangeset_t *rs, int64_t start, int64_t end)
{
  if (start > end)
    return true;
  size_t i = first_ending_at_or_after(rs, start);
  size_t j = i;
  while (j < rs->n && rs->v[j].start <= end)
    j++;
  if (i == j)
    return true;
  up_range_t keep[2];
  size_t k = 0;
  if (rs->v[i].start < start) /* start - 1 cannot overflow: start > v[i].start */
    keep[k++] = (up_range_t){rs->v[i].start, start - 1};
  if (rs->v[j - 1].end > end) /* end + 1 cannot overflow: end < v[j - 1].end */
    keep[k++] = (up_range_t){end + 1, rs->v[j - 1].end};
  size_t removed = j - i;
  if (k > removed) { /* one range split in two */
    if (rs->n == SIZE_MAX || !reserve(rs, rs->n + 1))
      return false;
  }
  memmove(rs->v + i + k, rs->v + j, (rs->n - j) * sizeof(up_range_t));
  for (size_t m = 0; m < k; m++)
    rs->v[i + m] = keep[m];
  rs->n = rs->n - removed + k;
  return true;
}

bool up_rangeset_overlaps(const up_rangeset_t *rs, int64_t start, int64_t end)
{
  if (start > end)
    return false;
  size_t i = first_ending_at_or_after(rs, start);
  return i < rs->n && rs->v[i].start <= end;
}

bool up_rangeset_holes(const up_rangeset_t *rs, int64_t size, up_rangeset_t *holes)
{
  memset(holes, 0, sizeof(*holes));
  if (size <= 0)
    return true;
  const int64_t last = size - 1;
  int64_t cursor = 0; /* first byte not yet accounted for */
  for (size_t i = first_ending_at_or_after(rs, 0); i < rs->n; i++) {
    const up_range_t *r = &rs->v[i];
    if (r->start > last)
      break;
    if (r->start > cursor && !push(holes, cursor, r->start - 1))
      goto fail;
    if (r->end >= last)
      return true;
    cursor = r->end + 1; /* r->end < last, no overflow */
  }
  if (!push(holes, cursor, last))
    goto fail;
  return true;
fail:
  up_rangeset_fini(holes);
  return false;
}

bool up_rangeset_covers(const up_rangeset_t *rs, int64_t size)
{
  if (size <= 0)
    return true;
  size_t i = first_ending_at_or_after(rs, 0);
  return i < rs->n && rs->v[i].start <= 0 && rs->v[i].end >= size - 1;
}

int64_t up_rangeset_bytes(const up_rangeset_t *rs)
{
  uint64_t sum = 0;
  for (size_t i = 0; i < rs->n; i++) {
    uint64_t len = (uint64_t)rs->v[i].end - (uint64_t)rs->v[i].start;
    if (len >= (uint64_t)INT64_MAX || sum > (uint64_t)INT64_MAX - len - 1)
      return INT64_MAX;
    sum += len + 1;
  }
  return (int64_t)sum;
}

bool up_rangeset_parse(const char *text, up_rangeset_t *out)
{
  memset(out, 0, sizeof(*out));
  if (!text)
    return false;
  const char *p = text;
  if (!*p)
    return true;
  for (;;) {
    int64_t a = 0, b = 0;
    if (parse_number(&p, &a) != 1 || *p++ != '-' || parse_number(&p, &b) != 1 || a > b)
      goto fail;
    if (!up_rangeset_add(out, a, b))
      goto fail;
    if (!*p)
      return true;
    if (*p++ != ',')
      goto fail;
  }
fail:
  up_rangeset_fini(out);
  return false;
}

char *up_rangeset_format(const up_rangeset_t *rs)
{
  if (rs->n > (SIZE_MAX - 1) / RANGE_TEXT_MAX)
    return NULL;
  size_t cap = rs->n * RANGE_TEXT_MAX + 1;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  size_t len = 0;
  s[0] = '\0';
  for (size_t i = 0; i < rs->n; i++) {
    int w = snprintf(s + len, cap - len, "%s%" PRId64 "-%" PRId64, i ? "," : "", rs->v[i].start,
                     rs->v[i].end);
    if (w < 0 || (size_t)w >= cap - len) { /* cannot happen: RANGE_TEXT_MAX bounds each range */
      free(s);
      return NULL;
    }
    len += (size_t)w;
  }
  return s;
}

void up_rangeset_fini(up_rangeset_t *rs)
{
  if (!rs)
    return;
  free(rs->v);
  rs->v = NULL;
  rs->n = 0;
  rs->cap = 0;
}
