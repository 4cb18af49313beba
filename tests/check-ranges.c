/* check-ranges.c - Content-Range parsing and the byte range set (adds, removes, holes).
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/ranges.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- Content-Range ------------------------------------------------------------------------ */

static const struct {
  const char *value;
  bool ok;
  int64_t start, end, total;
  const char *message; /* substring of the error message */
} crs[] = {
    {"bytes 0-72796/4533322", true, 0, 72796, 4533322, NULL},
    {"bytes=0-72796/4533322", true, 0, 72796, 4533322, NULL},
    {"bytes 72797-4533321/4533322", true, 72797, 4533321, 4533322, NULL},
    {"bytes 0-0/1", true, 0, 0, 1, NULL},
    {"bytes 5-5/6", true, 5, 5, 6, NULL},
    {"  bytes 1-2/3  ", true, 1, 2, 3, NULL},
    {"\tbytes\t1-2/3\t", true, 1, 2, 3, NULL},
    {"bytes   1-2/3", true, 1, 2, 3, NULL},
    {"BYTES 1-2/3", true, 1, 2, 3, NULL},
    {"Bytes=1-2/3", true, 1, 2, 3, NULL},
    {"bytes 007-008/009", true, 7, 8, 9, NULL},
    {"bytes 0-9223372036854775806/9223372036854775807", true, 0, INT64_MAX - 1, INT64_MAX, NULL},
    {"bytes 9223372036854775806-9223372036854775806/9223372036854775807", true, INT64_MAX - 1,
     INT64_MAX - 1, INT64_MAX, NULL},
    /* missing parts */
    {"", false, 0, 0, 0, "required"},
    {"   ", false, 0, 0, 0, "required"},
    {"bytes", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes ", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes=", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"byte 0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"items 0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes -1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes */2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/*", false, 0, 0, 0, "bytes START-END/TOTAL"},
    /* signs and non-digits */
    {"bytes +0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-+1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/+2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes -0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0--1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/-2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0x0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes a-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/2a", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0 - 1 / 2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 1.5-2/3", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes = 0-1/2", false, 0, 0, 0, "bytes START-END/TOTAL"},
    /* order and bounds */
    {"bytes 10-5/100", false, 0, 0, 0, "the range 10-5 ends before it starts"},
    {"bytes 0-99/50", false, 0, 0, 0, "the range 0-99 lies outside the document of 50 bytes"},
    {"bytes 0-50/50", false, 0, 0, 0, "the range 0-50 lies outside the document of 50 bytes"},
    {"bytes 0-0/0", false, 0, 0, 0, "lies outside the document of 0 bytes"},
    /* overflow */
    {"bytes 0-1/9223372036854775808", false, 0, 0, 0, "TOTAL is larger than 9223372036854775807"},
    {"bytes 0-1/99999999999999999999", false, 0, 0, 0, "TOTAL is larger"},
    {"bytes 0-18446744073709551617/99", false, 0, 0, 0, "END is larger"},
    {"bytes 18446744073709551616-1/2", false, 0, 0, 0, "START is larger"},
    {"bytes 0-9223372036854775807/9223372036854775807", false, 0, 0, 0, "lies outside"},
    /* trailing junk */
    {"bytes 0-1/2 x", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/2,3-4/5", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/2;", false, 0, 0, 0, "bytes START-END/TOTAL"},
    {"bytes 0-1/2\n", false, 0, 0, 0, "bytes START-END/TOTAL"},
};

START_TEST(test_content_range)
{
  int64_t s = -1, e = -1, t = -1;
  up_error_t err;
  up_error_clear(&err);
  up_status_t st = up_content_range_parse(crs[_i].value, &s, &e, &t, &err);
  if (crs[_i].ok) {
    ck_assert_msg(st == UP_OK, "'%s': %s", crs[_i].value, err.message);
    ck_assert_int_eq(s, crs[_i].start);
    ck_assert_int_eq(e, crs[_i].end);
    ck_assert_int_eq(t, crs[_i].total);
  } else {
    ck_assert_msg(st == UP_INVALID, "'%s' accepted", crs[_i].value);
    ck_assert_int_eq(err.status, UP_INVALID);
    ck_assert_str_eq(err.code, "");
    ck_assert_msg(strstr(err.message, crs[_i].message), "'%s': message '%s' lacks '%s'",
                  crs[_i].value, err.message, crs[_i].message);
    ck_assert_int_eq(s, -1); /* outputs untouched on failure */
    ck_assert_int_eq(e, -1);
    ck_assert_int_eq(t, -1);
  }
}
END_TEST

START_TEST(test_content_range_null)
{
  up_error_t err;
  int64_t s, e, t;
  ck_assert_int_eq(up_content_range_parse(NULL, &s, &e, &t, &err), UP_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "required"));
  ck_assert_int_eq(up_content_range_parse("bytes 0-1/2", &s, &e, &t, NULL), UP_OK);
  ck_assert_int_eq(up_content_range_parse("bytes 1-0/2", &s, &e, &t, NULL), UP_INVALID);
}
END_TEST

/* --- the set -------------------------------------------------------------------------------- */

/* Checks the set's invariants: sorted, start <= end, neither overlapping nor adjacent. */
static void assert_normal(const up_rangeset_t *rs)
{
  ck_assert(rs->n <= rs->cap);
  for (size_t i = 0; i < rs->n; i++) {
    if (rs->v[i].start > rs->v[i].end)
      ck_abort_msg("range %zu ends before it starts", i);
    if (i && rs->v[i - 1].end >= rs->v[i].start - 1)
      ck_abort_msg("ranges %zu and %zu overlap or touch", i - 1, i);
  }
}

static void assert_format(const up_rangeset_t *rs, const char *expected)
{
  char *s = up_rangeset_format(rs);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, expected);
  free(s);
}

/* Parses the stored form, failing the test when it is rejected. */
static void parse_ok(const char *text, up_rangeset_t *rs)
{
  ck_assert_msg(up_rangeset_parse(text, rs), "'%s' rejected", text);
  assert_normal(rs);
}

/* Operations: space-separated "+a-b" (add) and "-a-b" (remove). */
static const struct {
  const char *ops;
  const char *expected;
} seqs[] = {
    {"", ""},
    {"+0-9", "0-9"},
    {"+0-9 +0-9", "0-9"},
    {"+0-9 +20-29", "0-9,20-29"},
    {"+20-29 +0-9", "0-9,20-29"},
    {"+0-9 +10-19", "0-19"},        /* adjacent after */
    {"+10-19 +0-9", "0-19"},        /* adjacent before */
    {"+0-9 +20-29 +10-19", "0-29"}, /* fills the gap exactly */
    {"+0-9 +20-29 +5-25", "0-29"},  /* overlaps both */
    {"+0-9 +20-29 +11-18", "0-9,11-18,20-29"},
    {"+0-9 +20-29 +40-49 +0-49", "0-49"},
    {"+0-9 +20-29 +40-49 +15-35", "0-9,15-35,40-49"},
    {"+0-9 +20-29 +40-49 +10-39", "0-49"},
    {"+5-5 +3-3 +4-4", "3-5"},
    {"+100-200 +0-0 +50-60 +300-300", "0-0,50-60,100-200,300-300"},
    {"+0-9 +2-3", "0-9"}, /* contained */
    {"+5-9 -5-9", ""},
    {"+0-9 -0-4", "5-9"},
    {"+0-9 -5-9", "0-4"},
    {"+0-9 -3-6", "0-2,7-9"}, /* split */
    {"+0-9 -0-0", "1-9"},
    {"+0-9 -9-9", "0-8"},
    {"+0-9 -10-20", "0-9"}, /* adjacent, no overlap */
    {"+10-20 -0-9", "10-20"},
    {"+0-9 -20-30", "0-9"},
    {"-0-9", ""},
    {"+0-9 +20-29 +40-49 -5-44", "0-4,45-49"},
    {"+0-9 +20-29 +40-49 -10-39", "0-9,40-49"},
    {"+0-9 +20-29 +40-49 -0-49", ""},
    {"+0-9 +20-29 +40-49 -25-25", "0-9,20-24,26-29,40-49"},
    {"+0-99 -10-19 -30-39 -50-59 +15-35", "0-9,15-35,40-49,60-99"},
    {"+0-99 -10-19 -30-39 -50-59 +10-59", "0-99"},
    {"+0-4533321 -72797-4533321", "0-72796"},
    {"+0-9 -5-4", "0-9"}, /* empty removal */
    {"+5-4", ""},         /* empty addition */
};

static void run_ops(const char *ops, up_rangeset_t *rs)
{
  const char *p = ops;
  while (*p) {
    char op;
    int64_t a, b;
    int n = 0;
    ck_assert_int_eq(sscanf(p, " %c%" SCNd64 "-%" SCNd64 "%n", &op, &a, &b, &n), 3);
    if (op == '+')
      ck_assert(up_rangeset_add(rs, a, b));
    else
      ck_assert(up_rangeset_remove(rs, a, b));
    assert_normal(rs);
    p += n;
    while (*p == ' ')
      p++;
  }
}

START_TEST(test_sequence)
{
  up_rangeset_t rs = {0};
  run_ops(seqs[_i].ops, &rs);
  assert_format(&rs, seqs[_i].expected);
  up_rangeset_fini(&rs);
  ck_assert_ptr_null(rs.v);
  ck_assert_uint_eq(rs.n, 0);
}
END_TEST

static const struct {
  const char *set;
  int64_t start, end;
  bool overlaps;
} ovl[] = {
    {"", 0, 100, false},
    {"10-19", 0, 9, false},
    {"10-19", 20, 30, false},
    {"10-19", 0, 10, true},
    {"10-19", 19, 30, true},
    {"10-19", 12, 14, true},
    {"10-19", 0, 100, true},
    {"10-19", 15, 14, false},
    {"0-9,20-29", 10, 19, false},
    {"0-9,20-29", 10, 20, true},
    {"0-9,20-29", 9, 19, true},
    {"0-9,20-29,40-49", 30, 39, false},
    {"0-9,20-29,40-49", 50, 60, false},
    {"0-9,20-29,40-49", 49, 49, true},
    {"0-9,20-29,40-49", 35, 45, true},
};

START_TEST(test_overlaps)
{
  up_rangeset_t rs;
  parse_ok(ovl[_i].set, &rs);
  ck_assert_msg(up_rangeset_overlaps(&rs, ovl[_i].start, ovl[_i].end) == ovl[_i].overlaps,
                "'%s' vs %" PRId64 "-%" PRId64, ovl[_i].set, ovl[_i].start, ovl[_i].end);
  up_rangeset_fini(&rs);
}
END_TEST

static const struct {
  const char *set;
  int64_t size;
  const char *holes;
  bool covers;
  int64_t bytes;
} hls[] = {
    {"", 0, "", true, 0},
    {"", 1, "0-0", false, 0},
    {"", 100, "0-99", false, 0},
    {"", 4533322, "0-4533321", false, 0},
    {"0-99", 100, "", true, 100},
    {"0-99", 50, "", true, 100},
    {"0-99", 101, "100-100", false, 100},
    {"0-99", 0, "", true, 100},
    {"0-72796", 4533322, "72797-4533321", false, 72797},
    {"0-9,20-29", 30, "10-19", false, 20},
    {"0-9,20-29", 40, "10-19,30-39", false, 20},
    {"10-19", 30, "0-9,20-29", false, 10},
    {"10-19", 15, "0-9", false, 10},
    {"10-19", 5, "0-4", false, 10},
    {"10-19", 10, "0-9", false, 10},
    {"0-0,2-2,4-4", 6, "1-1,3-3,5-5", false, 3},
    {"0-0,2-2,4-4", 5, "1-1,3-3", false, 3},
    {"0-72796,72898-78928", 4533322, "72797-72897,78929-4533321", false, 72797 + 6031},
    {"100-200", 50, "0-49", false, 101},
    {"0-49,100-200", 50, "", true, 151},
    {"0-49,100-200", 60, "50-59", false, 151},
};

START_TEST(test_holes)
{
  up_rangeset_t rs, holes;
  parse_ok(hls[_i].set, &rs);
  ck_assert(up_rangeset_holes(&rs, hls[_i].size, &holes));
  assert_normal(&holes);
  assert_format(&holes, hls[_i].holes);
  ck_assert_msg(up_rangeset_covers(&rs, hls[_i].size) == hls[_i].covers, "'%s' size %" PRId64,
                hls[_i].set, hls[_i].size);
  ck_assert_int_eq(up_rangeset_covers(&rs, hls[_i].size), holes.n == 0);
  ck_assert_int_eq(up_rangeset_bytes(&rs), hls[_i].bytes);
  up_rangeset_fini(&holes);
  up_rangeset_fini(&rs);
}
END_TEST

static const struct {
  const char *text;
  bool ok;
  const char *normal;
} parses[] = {
    {"", true, ""},
    {"0-0", true, "0-0"},
    {"0-99", true, "0-99"},
    {"0-9,20-29", true, "0-9,20-29"},
    {"20-29,0-9", true, "0-9,20-29"},
    {"0-9,5-15", true, "0-15"},
    {"0-9,10-19", true, "0-19"},
    {"40-49,0-9,20-29,10-19", true, "0-29,40-49"},
    {"3-3,1-1,2-2", true, "1-3"},
    {"0-9,0-9", true, "0-9"},
    {"0-9223372036854775807", true, "0-9223372036854775807"},
    {"9223372036854775807-9223372036854775807,0-9223372036854775806", true,
     "0-9223372036854775807"},
    {",", false, NULL},
    {"0-9,", false, NULL},
    {",0-9", false, NULL},
    {"0-9,,20-29", false, NULL},
    {"0", false, NULL},
    {"0-", false, NULL},
    {"-9", false, NULL},
    {"9-0", false, NULL},
    {"0-9 ", false, NULL},
    {" 0-9", false, NULL},
    {"0 -9", false, NULL},
    {"+0-9", false, NULL},
    {"0-+9", false, NULL},
    {"a-b", false, NULL},
    {"0-9;10-19", false, NULL},
    {"0-9-10", false, NULL},
    {"0-9223372036854775808", false, NULL},
    {"0-99999999999999999999", false, NULL},
};

START_TEST(test_parse)
{
  up_rangeset_t rs = {(up_range_t *)&rs, 7, 7}; /* garbage: parse zeroes it first */
  bool ok = up_rangeset_parse(parses[_i].text, &rs);
  ck_assert_msg(ok == parses[_i].ok, "'%s'", parses[_i].text);
  if (ok) {
    assert_normal(&rs);
    assert_format(&rs, parses[_i].normal);
    /* the normal form parses to itself */
    up_rangeset_t again;
    parse_ok(parses[_i].normal, &again);
    assert_format(&again, parses[_i].normal);
    up_rangeset_fini(&again);
  } else {
    ck_assert_ptr_null(rs.v);
    ck_assert_uint_eq(rs.n, 0);
  }
  up_rangeset_fini(&rs);
}
END_TEST

START_TEST(test_parse_null)
{
  up_rangeset_t rs;
  ck_assert(!up_rangeset_parse(NULL, &rs));
  ck_assert_ptr_null(rs.v);
  ck_assert_uint_eq(rs.n, 0);
}
END_TEST

START_TEST(test_extremes)
{
  up_rangeset_t rs = {0}, holes;
  /* adjacency at the top of the range of int64 must not overflow */
  ck_assert(up_rangeset_add(&rs, INT64_MAX, INT64_MAX));
  ck_assert(up_rangeset_add(&rs, INT64_MAX - 10, INT64_MAX - 1));
  assert_format(&rs, "9223372036854775797-9223372036854775807");
  ck_assert(up_rangeset_overlaps(&rs, INT64_MAX, INT64_MAX));
  ck_assert(!up_rangeset_overlaps(&rs, 0, INT64_MAX - 11));
  ck_assert(up_rangeset_remove(&rs, INT64_MAX - 5, INT64_MAX - 5));
  assert_format(&rs, "9223372036854775797-9223372036854775801,9223372036854775803-"
                     "9223372036854775807");
  ck_assert(up_rangeset_remove(&rs, INT64_MAX, INT64_MAX));
  assert_format(&rs, "9223372036854775797-9223372036854775801,9223372036854775803-"
                     "9223372036854775806");
  ck_assert_int_eq(up_rangeset_bytes(&rs), 9);
  ck_assert(up_rangeset_add(&rs, 0, INT64_MAX));
  assert_format(&rs, "0-9223372036854775807");
  ck_assert_int_eq(up_rangeset_bytes(&rs), INT64_MAX); /* saturates */
  ck_assert(up_rangeset_covers(&rs, INT64_MAX));
  ck_assert(up_rangeset_holes(&rs, INT64_MAX, &holes));
  ck_assert_uint_eq(holes.n, 0);
  up_rangeset_fini(&holes);
  ck_assert(up_rangeset_remove(&rs, 1, INT64_MAX - 1));
  assert_format(&rs, "0-0,9223372036854775807-9223372036854775807");
  ck_assert_int_eq(up_rangeset_bytes(&rs), 2);
  ck_assert(up_rangeset_holes(&rs, INT64_MAX, &holes));
  assert_format(&holes, "1-9223372036854775806");
  up_rangeset_fini(&holes);
  ck_assert(up_rangeset_remove(&rs, 0, INT64_MAX));
  ck_assert_uint_eq(rs.n, 0);
  /* bytes saturate when the sum passes INT64_MAX */
  ck_assert(up_rangeset_add(&rs, 0, INT64_MAX / 2));
  ck_assert(up_rangeset_add(&rs, INT64_MAX / 2 + 3, INT64_MAX));
  ck_assert_int_eq(up_rangeset_bytes(&rs), INT64_MAX - 1);
  ck_assert(up_rangeset_add(&rs, INT64_MIN, -2));
  ck_assert_int_eq(up_rangeset_bytes(&rs), INT64_MAX);
  ck_assert(up_rangeset_holes(&rs, 10, &holes));
  assert_format(&holes, "");
  up_rangeset_fini(&holes);
  ck_assert(up_rangeset_holes(&rs, INT64_MAX, &holes));
  assert_format(&holes, "4611686018427387904-4611686018427387905");
  up_rangeset_fini(&holes);
  /* the negative part stays out of the holes and does not cover byte 0 */
  ck_assert(up_rangeset_remove(&rs, 0, INT64_MAX));
  ck_assert(!up_rangeset_covers(&rs, 1));
  ck_assert(up_rangeset_covers(&rs, 0));
  ck_assert(up_rangeset_holes(&rs, 3, &holes));
  assert_format(&holes, "0-2");
  up_rangeset_fini(&holes);
  up_rangeset_fini(&rs);
  up_rangeset_fini(&rs); /* idempotent */
}
END_TEST

START_TEST(test_many)
{
  /* growth past the initial capacity, then merge everything back into one range */
  up_rangeset_t rs = {0};
  for (int64_t i = 999; i >= 0; i--)
    ck_assert(up_rangeset_add(&rs, i * 10, i * 10 + 4));
  ck_assert_uint_eq(rs.n, 1000);
  assert_normal(&rs);
  ck_assert_int_eq(up_rangeset_bytes(&rs), 5000);
  char *text = up_rangeset_format(&rs);
  ck_assert_ptr_nonnull(text);
  up_rangeset_t back;
  parse_ok(text, &back);
  ck_assert_uint_eq(back.n, 1000);
  ck_assert_mem_eq(back.v, rs.v, 1000 * sizeof(up_range_t));
  free(text);
  up_rangeset_fini(&back);
  ck_assert(up_rangeset_add(&rs, 3, 9994));
  assert_format(&rs, "0-9994");
  up_rangeset_fini(&rs);
}
END_TEST

/* --- randomized comparison against a bitmap ----------------------------------------------------
 */

#define SPACE 512

static uint64_t rng_state;

static uint32_t rng(void)
{
  /* xorshift64*: fixed seed, so failures reproduce */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* Random range within [0, SPACE - 1], mostly short, sometimes long. */
static void random_range(int64_t *start, int64_t *end)
{
  int64_t a = rng() % SPACE;
  int64_t len = rng() % 8 == 0 ? rng() % SPACE : rng() % 24;
  int64_t b = a + len;
  *start = a;
  *end = b < SPACE ? b : SPACE - 1;
}

static void assert_model(const up_rangeset_t *rs, const bool *bits, int step)
{
  assert_normal(rs);
  int64_t count = 0;
  size_t k = 0;
  for (int64_t i = 0; i < SPACE; i++) {
    while (k < rs->n && rs->v[k].end < i)
      k++;
    bool in = k < rs->n && rs->v[k].start <= i;
    if (in != bits[i]) /* no ck_assert per byte: each records a mark point */
      ck_abort_msg("step %d: byte %" PRId64 " is %s the set", step, i,
                   in ? "wrongly in" : "missing from");
    count += bits[i];
  }
  ck_assert_int_eq(up_rangeset_bytes(rs), count);
  if (rs->n)
    ck_assert(rs->v[0].start >= 0 && rs->v[rs->n - 1].end < SPACE);
}

START_TEST(test_random)
{
  bool bits[SPACE] = {false};
  up_rangeset_t rs = {0};
  rng_state = 0x9e3779b97f4a7c15ULL;
  for (int step = 0; step < 4000; step++) {
    int64_t a, b;
    random_range(&a, &b);
    bool add = rng() % 5 < 3;
    if (add)
      ck_assert(up_rangeset_add(&rs, a, b));
    else
      ck_assert(up_rangeset_remove(&rs, a, b));
    for (int64_t i = a; i <= b; i++)
      bits[i] = add;
    assert_model(&rs, bits, step);

    /* overlap test against the model */
    random_range(&a, &b);
    bool expect = false;
    for (int64_t i = a; i <= b; i++)
      expect = expect || bits[i];
    ck_assert_int_eq(up_rangeset_overlaps(&rs, a, b), expect);

    /* holes of a random size (also past the space) against the model */
    int64_t size = rng() % (SPACE + 64);
    up_rangeset_t holes;
    ck_assert(up_rangeset_holes(&rs, size, &holes));
    assert_normal(&holes);
    bool hole_bits[SPACE + 64] = {false};
    for (size_t h = 0; h < holes.n; h++) {
      if (holes.v[h].start < 0 || holes.v[h].end >= size)
        ck_abort_msg("step %d: hole outside [0, %" PRId64 "]", step, size - 1);
      for (int64_t i = holes.v[h].start; i <= holes.v[h].end; i++)
        hole_bits[i] = true;
    }
    bool covered = true;
    for (int64_t i = 0; i < size; i++) {
      bool missing = i >= SPACE || !bits[i];
      if (hole_bits[i] != missing)
        ck_abort_msg("step %d size %" PRId64 ": byte %" PRId64 " %s", step, size, i,
                     missing ? "missing from the holes" : "wrongly a hole");
      covered = covered && !missing;
    }
    ck_assert_int_eq(up_rangeset_covers(&rs, size), covered);
    up_rangeset_fini(&holes);

    /* the stored form round-trips */
    if (step % 16 == 0) {
      char *text = up_rangeset_format(&rs);
      ck_assert_ptr_nonnull(text);
      up_rangeset_t back;
      parse_ok(text, &back);
      ck_assert_uint_eq(back.n, rs.n);
      if (rs.n)
        ck_assert_mem_eq(back.v, rs.v, rs.n * sizeof(up_range_t));
      up_rangeset_fini(&back);
      free(text);
    }
  }
  up_rangeset_fini(&rs);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

int main(void)
{
  Suite *s = suite_create("ranges");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_content_range, 0, N(crs));
  tcase_add_test(tc, test_content_range_null);
  tcase_add_loop_test(tc, test_sequence, 0, N(seqs));
  tcase_add_loop_test(tc, test_overlaps, 0, N(ovl));
  tcase_add_loop_test(tc, test_holes, 0, N(hls));
  tcase_add_loop_test(tc, test_parse, 0, N(parses));
  tcase_add_test(tc, test_parse_null);
  tcase_add_test(tc, test_extremes);
  tcase_add_test(tc, test_many);
  tcase_add_test(tc, test_random);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
