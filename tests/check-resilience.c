/* check-resilience.c - simulated throttling and faults: the rate limiter (windows, Retry-After,
 * keys, eviction, threads), path globs, fault rules (counts, fractions with a seeded random
 * generator, order), the fault body parser, and both through the request pipeline.
 * SPDX-License-Identifier: Apache-2.0 */
#include "dispatch.h"
#include "test-util.h"
#include "uprintd/app.h"
#include "uprintd/config.h"
#include "uprintd/model.h"
#include "uprintd/resilience.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENANT   "4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f"
#define TENANT_B "11111111-2222-3333-4444-555555555555"
#define USER_A   "00000000-0000-4000-8000-00000000000a"
#define USER_B   "00000000-0000-4000-8000-00000000000b"
#define APP_X    "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

/* --- --rate-limit ----------------------------------------------------------------------- */

static const struct {
  const char *text;
  bool ok;
  unsigned limit, window;
} rate_texts[] = {
    {"100/10", true, 100, 10},
    {"5/2", true, 5, 2},
    {"1/1", true, 1, 1},
    {"1000000/86400", true, 1000000, 86400},
    {"off", true, 0, 0},
    {"", false, 0, 0},
    {"5", false, 0, 0},
    {"/5", false, 0, 0},
    {"5/", false, 0, 0},
    {"0/5", false, 0, 0},
    {"5/0", false, 0, 0},
    {"-1/5", false, 0, 0},
    {"5/-1", false, 0, 0},
    {"+5/2", false, 0, 0},
    {"5/+2", false, 0, 0},
    {"5 /2", false, 0, 0},
    {"5/ 2", false, 0, 0},
    {"5/2s", false, 0, 0},
    {"1000001/1", false, 0, 0},
    {"1/86401", false, 0, 0},
    {"99999999999999999999/1", false, 0, 0},
    {"5/2/1", false, 0, 0},
    {"OFF", false, 0, 0},
};

START_TEST(test_rate_parse)
{
  unsigned limit = 99, window = 99;
  char err[512] = "";
  bool ok = up_ratelimit_parse(rate_texts[_i].text, &limit, &window, err, sizeof(err));
  ck_assert_msg(ok == rate_texts[_i].ok, "'%s'", rate_texts[_i].text);
  if (ok) {
    ck_assert_uint_eq(limit, rate_texts[_i].limit);
    ck_assert_uint_eq(window, rate_texts[_i].window);
  } else {
    ck_assert_msg(strstr(err, "--rate-limit") && strstr(err, "N/SECONDS"), "%s", err);
  }
}
END_TEST

START_TEST(test_rate_option)
{
  up_config_t cfg;
  char err[512];
  char *good[] = {"--rate-limit", "5/2"};
  char *eq[] = {"--rate-limit=100/10"};
  char *bad[] = {"--rate-limit", "5/0"};
  char *missing[] = {"--rate-limit"};
  up_config_defaults(&cfg);
  ck_assert_uint_eq(cfg.rate_limit, 0); /* off by default */
  ck_assert(up_config_parse_serve(&cfg, 2, good, err, sizeof(err)));
  ck_assert_uint_eq(cfg.rate_limit, 5);
  ck_assert_uint_eq(cfg.rate_window_s, 2);
  ck_assert(up_config_parse_serve(&cfg, 1, eq, err, sizeof(err)));
  ck_assert_uint_eq(cfg.rate_limit, 100);
  ck_assert_uint_eq(cfg.rate_window_s, 10);
  ck_assert(!up_config_parse_serve(&cfg, 2, bad, err, sizeof(err)));
  ck_assert_msg(strstr(err, "'5/0'"), "%s", err);
  ck_assert(!up_config_parse_serve(&cfg, 1, missing, err, sizeof(err)));
}
END_TEST

/* --- the limiter ------------------------------------------------------------------------ */

static bool take(up_ratelimit_t *rl, up_rate_kind_t kind, const char *id, int64_t now,
                 unsigned *retry)
{
  return up_ratelimit_take(rl, kind, TENANT, id, now, retry);
}

START_TEST(test_rate_window)
{
  unsigned retry = 99;
  up_ratelimit_t *rl = up_ratelimit_new(3, 2, 0);
  ck_assert_ptr_nonnull(rl);
  ck_assert_uint_eq(up_ratelimit_limit(rl), 3);
  ck_assert_uint_eq(up_ratelimit_window_s(rl), 2);
  /* The window opens with the first request: 1000..3000. */
  ck_assert(take(rl, UP_RATE_USER, USER_A, 1000, &retry));
  ck_assert_uint_eq(retry, 0);
  ck_assert(take(rl, UP_RATE_USER, USER_A, 1100, &retry));
  ck_assert(take(rl, UP_RATE_USER, USER_A, 1200, &retry));
  /* The fourth: 1.7 s left, rounded up to whole seconds. */
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 1300, &retry));
  ck_assert_uint_eq(retry, 2);
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 2000, &retry));
  ck_assert_uint_eq(retry, 1);
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 2001, &retry));
  ck_assert_uint_eq(retry, 1); /* 999 ms */
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 2999, &retry));
  ck_assert_uint_eq(retry, 1); /* 1 ms is still a whole second */
  /* Refused requests are not counted: the window ends on time and a new one opens. */
  ck_assert(take(rl, UP_RATE_USER, USER_A, 3000, &retry));
  ck_assert(take(rl, UP_RATE_USER, USER_A, 3001, &retry));
  ck_assert(take(rl, UP_RATE_USER, USER_A, 4999, &retry));
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 4999, &retry));
  ck_assert_uint_eq(retry, 1);
  /* Long after: a fresh window. */
  ck_assert(take(rl, UP_RATE_USER, USER_A, 100000, &retry));
  ck_assert(take(rl, UP_RATE_USER, USER_A, 100000, &retry));
  up_ratelimit_free(rl);

  /* Retry-After of a long window. */
  rl = up_ratelimit_new(1, 60, 0);
  ck_assert(take(rl, UP_RATE_APP, APP_X, 0, &retry));
  ck_assert(!take(rl, UP_RATE_APP, APP_X, 500, &retry));
  ck_assert_uint_eq(retry, 60);
  ck_assert(!take(rl, UP_RATE_APP, APP_X, 30000, &retry));
  ck_assert_uint_eq(retry, 30);
  ck_assert(!take(rl, UP_RATE_APP, APP_X, 59001, &retry));
  ck_assert_uint_eq(retry, 1);
  ck_assert(take(rl, UP_RATE_APP, APP_X, 60000, &retry));
  up_ratelimit_free(rl);
  ck_assert_ptr_null(up_ratelimit_new(0, 10, 0));
  ck_assert_ptr_null(up_ratelimit_new(10, 0, 0));
}
END_TEST

START_TEST(test_rate_keys)
{
  unsigned retry;
  up_ratelimit_t *rl = up_ratelimit_new(2, 10, 0);
  ck_assert(take(rl, UP_RATE_USER, USER_A, 0, &retry));
  ck_assert(take(rl, UP_RATE_USER, USER_A, 1, &retry));
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 2, &retry));
  /* Another user, the same id as an application, the same user in another tenant: their own
   * budgets. */
  ck_assert(take(rl, UP_RATE_USER, USER_B, 3, &retry));
  ck_assert(take(rl, UP_RATE_USER, USER_B, 4, &retry));
  ck_assert(!take(rl, UP_RATE_USER, USER_B, 5, &retry));
  ck_assert(take(rl, UP_RATE_APP, USER_A, 6, &retry));
  ck_assert(up_ratelimit_take(rl, UP_RATE_USER, TENANT_B, USER_A, 7, &retry));
  ck_assert(take(rl, UP_RATE_APP, APP_X, 8, &retry));
  ck_assert(take(rl, UP_RATE_APP, APP_X, 9, &retry));
  ck_assert(!take(rl, UP_RATE_APP, APP_X, 10, &retry));
  ck_assert(!take(rl, UP_RATE_USER, USER_A, 11, &retry));
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 5);
  /* Missing parts are keys too (never a crash). */
  ck_assert(up_ratelimit_take(rl, UP_RATE_APP, NULL, NULL, 12, &retry));
  /* Ids longer than a key are cut, not refused. */
  char long_id[400];
  memset(long_id, 'x', sizeof(long_id) - 1);
  long_id[sizeof(long_id) - 1] = '\0';
  ck_assert(take(rl, UP_RATE_APP, long_id, 13, &retry));
  up_ratelimit_free(rl);
}
END_TEST

START_TEST(test_rate_eviction)
{
  unsigned retry;
  char id[40];
  /* At most 3 keys: a fourth makes the least recently used one go. */
  up_ratelimit_t *rl = up_ratelimit_new(1, 10, 3);
  ck_assert(take(rl, UP_RATE_USER, "a", 0, &retry));
  ck_assert(take(rl, UP_RATE_USER, "b", 1, &retry));
  ck_assert(take(rl, UP_RATE_USER, "c", 2, &retry));
  ck_assert(!take(rl, UP_RATE_USER, "a", 3, &retry)); /* a is now the most recent */
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 3);
  ck_assert(take(rl, UP_RATE_USER, "d", 4, &retry)); /* b goes */
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 3);
  ck_assert(!take(rl, UP_RATE_USER, "a", 5, &retry)); /* a was kept */
  ck_assert(!take(rl, UP_RATE_USER, "c", 6, &retry)); /* c too */
  ck_assert(take(rl, UP_RATE_USER, "b", 7, &retry));  /* b starts over (d goes) */
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 3);
  ck_assert(take(rl, UP_RATE_USER, "d", 8, &retry)); /* d was the least recent */
  up_ratelimit_free(rl);

  /* Idle keys (window over) leave as requests come, two per request. */
  rl = up_ratelimit_new(5, 1, 0);
  for (int i = 0; i < 100; i++) {
    snprintf(id, sizeof(id), "user-%d", i);
    ck_assert(take(rl, UP_RATE_USER, id, i, &retry));
  }
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 100);
  for (int i = 0; i < 30; i++)
    ck_assert(take(rl, UP_RATE_USER, "busy", 5000 + i, &retry) == (i < 5));
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 100 - 2 * 30 + 1);
  for (int i = 0; i < 30; i++)
    ck_assert(!take(rl, UP_RATE_USER, "busy", 5100 + i, &retry));
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 1); /* busy alone: its window is not over */

  /* A full table turns over without growing, and every slot is reused. */
  up_ratelimit_free(rl);
  rl = up_ratelimit_new(1, 3600, 50);
  for (int i = 0; i < 5000; i++) {
    snprintf(id, sizeof(id), "k%d", i);
    ck_assert(take(rl, UP_RATE_APP, id, i, &retry));
    ck_assert_uint_le(up_ratelimit_tracked(rl), 50);
  }
  ck_assert_uint_eq(up_ratelimit_tracked(rl), 50);
  ck_assert(!take(rl, UP_RATE_APP, "k4999", 6000, &retry));
  ck_assert(take(rl, UP_RATE_APP, "k0", 6001, &retry)); /* long evicted */
  up_ratelimit_free(rl);
}
END_TEST

typedef struct hammer {
  up_ratelimit_t *rl;
  int allowed;
} hammer_t;

static void *hammer_main(void *arg)
{
  hammer_t *h = arg;
  unsigned retry;
  char id[32];
  for (int i = 0; i < 2000; i++) {
    if (up_ratelimit_take(h->rl, UP_RATE_USER, TENANT, "shared", 0, &retry))
      h->allowed++;
    snprintf(id, sizeof(id), "own-%d", i % 97);
    up_ratelimit_take(h->rl, UP_RATE_APP, TENANT, id, 0, &retry);
  }
  return NULL;
}

START_TEST(test_rate_threads)
{
  pthread_t t[8];
  hammer_t h[8];
  up_ratelimit_t *rl = up_ratelimit_new(1000, 60, 64);
  for (int i = 0; i < 8; i++) {
    h[i] = (hammer_t){rl, 0};
    ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
  }
  int total = 0;
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    total += h[i].allowed;
  }
  ck_assert_int_eq(total, 1000); /* exactly the limit, whoever got there first */
  ck_assert_uint_le(up_ratelimit_tracked(rl), 64);
  up_ratelimit_free(rl);
}
END_TEST

/* --- globs ------------------------------------------------------------------------------ */

static const struct {
  const char *glob, *path;
  bool match;
} globs[] = {
    {"/print/printers*", "/print/printers", true},
    {"/print/printers*", "/print/printers/1234/jobs", true},
    {"/print/printers*", "/print/printerShares", true},
    {"/print/printers/*", "/print/printers", false},
    {"/print/printers*", "/print/shares", false},
    {"/print/printers", "/print/printers", true},
    {"/print/printers", "/print/printers/x", false},
    {"/print/printers", "/print/printer", false},
    {"/PRINT/Printers*", "/print/printers/X", true},
    {"/print/printers*", "/Print/PRINTERS", true},
    {"/*", "/print/shares", true},
    {"/*", "/", true},
    {"*", "", true},
    {"*", "/anything/at/all", true},
    {"/print/*/jobs", "/print/printers/1/jobs", true},
    {"/print/*/jobs", "/print/shares/2/jobs", true},
    {"/print/*/jobs", "/print/printers/1/jobs/7", false},
    {"/print/*/jobs*", "/print/printers/1/jobs/7/start", true},
    {"*/start", "/print/printers/1/jobs/7/start", true},
    {"*/start", "/print/printers/1/jobs/7/started", false},
    {"*jobs*start", "/print/shares/s/jobs/9/start", true},
    {"/a*b*c", "/aXbYc", true},
    {"/a*b*c", "/aXbY", false},
    {"/a*ab", "/aaab", true},
    {"/a*aab", "/aaaab", true},
    {"/a**b", "/ab", true},
    {"/a*b", "/a/b/b/b", true},
    {"/a*b", "/a/b/b/c", false},
    {"/x", "", false},
    {"/", "", false},
};

START_TEST(test_glob_match)
{
  ck_assert_msg(up_glob_match(globs[_i].glob, globs[_i].path) == globs[_i].match, "%s ~ %s",
                globs[_i].glob, globs[_i].path);
}
END_TEST

START_TEST(test_glob_valid)
{
  const char *why = NULL;
  char longest[UP_FAULT_PATH_MAX + 2];
  ck_assert(up_glob_valid("/print/printers*", NULL));
  ck_assert(up_glob_valid("*", &why));
  ck_assert(up_glob_valid("/", &why));
  ck_assert(up_glob_valid("*/jobs/*/start", &why));
  ck_assert(up_glob_valid("/print/shares/$ref", &why));
  ck_assert(!up_glob_valid("", &why));
  ck_assert_ptr_nonnull(why);
  ck_assert(!up_glob_valid(NULL, &why));
  ck_assert(!up_glob_valid("print/printers", &why));
  ck_assert(strstr(why, "'/'"));
  const char *bad[] = {"/a b",  "/a?",   "/[ab]", "/{x}",     "/a#b",
                       "/a\\b", "/a\tb", "/\x7f", "/\xc3\xa9"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(!up_glob_valid(bad[i], &why), "%s", bad[i]);
  memset(longest, 'a', sizeof(longest));
  longest[0] = '/';
  longest[UP_FAULT_PATH_MAX] = '\0';
  ck_assert(up_glob_valid(longest, &why));
  longest[UP_FAULT_PATH_MAX] = 'a';
  longest[UP_FAULT_PATH_MAX + 1] = '\0';
  ck_assert(!up_glob_valid(longest, &why));
}
END_TEST

/* --- fault rules ------------------------------------------------------------------------ */

static up_fault_rule_t rule(unsigned status, unsigned count, double fraction, const char *path)
{
  up_fault_rule_t r;
  memset(&r, 0, sizeof(r));
  r.status = status;
  r.count = count;
  r.fraction = fraction;
  r.retry_after = status == 504 ? -1 : 1;
  snprintf(r.path, sizeof(r.path), "%s", path);
  return r;
}

START_TEST(test_faults_count)
{
  up_error_t err;
  up_fault_hit_t hit;
  up_fault_rule_t list[UP_FAULT_MAX_RULES];
  up_faults_t *f = up_faults_new(1);
  ck_assert(!up_faults_match(f, "/print/printers", &hit));
  ck_assert_uint_eq(hit.status, 0);
  ck_assert_int_eq(hit.retry_after, -1);
  up_fault_rule_t r = rule(503, 3, 0, "/print/printers*");
  r.retry_after = 7;
  ck_assert_int_eq(up_faults_add(f, &r, &err), UP_OK);
  /* Other paths do not use the count. */
  ck_assert(!up_faults_match(f, "/print/shares", &hit));
  ck_assert(up_faults_match(f, "/print/printers", &hit));
  ck_assert_uint_eq(hit.status, 503);
  ck_assert_int_eq(hit.retry_after, 7);
  ck_assert_uint_eq(up_faults_list(f, list, UP_FAULT_MAX_RULES), 1);
  ck_assert_uint_eq(list[0].count, 2);
  ck_assert_str_eq(list[0].path, "/print/printers*");
  ck_assert(up_faults_match(f, "/print/printers/x/jobs", &hit));
  ck_assert(up_faults_match(f, "/print/printers/create", &hit));
  /* Used up: the rule is gone. */
  ck_assert(!up_faults_match(f, "/print/printers", &hit));
  ck_assert_uint_eq(up_faults_list(f, list, UP_FAULT_MAX_RULES), 0);

  /* The first rule that fires decides; later ones keep their counts. */
  up_fault_rule_t first = rule(504, 1, 0, "/print/shares*");
  up_fault_rule_t slow = rule(0, 2, 0, "/*");
  slow.retry_after = -1;
  slow.latency_ms = 250;
  ck_assert_int_eq(up_faults_add(f, &first, &err), UP_OK);
  ck_assert_int_eq(up_faults_add(f, &slow, &err), UP_OK);
  ck_assert(up_faults_match(f, "/print/shares/1", &hit));
  ck_assert_uint_eq(hit.status, 504);
  ck_assert_int_eq(hit.retry_after, -1);
  ck_assert_uint_eq(hit.latency_ms, 0);
  ck_assert(up_faults_match(f, "/print/shares/1", &hit));
  ck_assert_uint_eq(hit.status, 0);
  ck_assert_uint_eq(hit.latency_ms, 250);
  ck_assert_uint_eq(up_faults_list(f, list, 1), 1);
  ck_assert_uint_eq(list[0].count, 1);
  ck_assert_uint_eq(up_faults_clear(f), 1);
  ck_assert(!up_faults_match(f, "/print/shares/1", &hit));
  ck_assert_uint_eq(up_faults_clear(f), 0);

  /* At most UP_FAULT_MAX_RULES; invalid rules are refused naming the member. */
  for (int i = 0; i < UP_FAULT_MAX_RULES; i++)
    ck_assert_int_eq(up_faults_add(f, &r, &err), UP_OK);
  ck_assert_int_eq(up_faults_add(f, &r, &err), UP_CONFLICT);
  ck_assert_uint_eq(up_faults_list(f, list, 4), UP_FAULT_MAX_RULES);
  up_faults_clear(f);
  up_fault_rule_t bad = rule(500, 1, 0, "/*");
  ck_assert_int_eq(up_faults_add(f, &bad, &err), UP_INVALID);
  ck_assert_str_eq(err.target, "status");
  bad = rule(503, 1, 0, "no-slash");
  ck_assert_int_eq(up_faults_add(f, &bad, &err), UP_INVALID);
  ck_assert_str_eq(err.target, "path");
  ck_assert_uint_eq(up_faults_list(f, list, UP_FAULT_MAX_RULES), 0);
  up_faults_free(f);
}
END_TEST

/* How many of n requests a fraction rule hits with seed. */
static int hits(uint64_t seed, double fraction, int n, char *pattern)
{
  up_error_t err;
  up_fault_hit_t hit;
  up_faults_t *f = up_faults_new(seed);
  up_fault_rule_t r = rule(429, 0, fraction, "/print/*");
  int k = 0;
  ck_assert_int_eq(up_faults_add(f, &r, &err), UP_OK);
  for (int i = 0; i < n; i++) {
    bool h = up_faults_match(f, "/print/printers", &hit);
    if (h) {
      k++;
      ck_assert_uint_eq(hit.status, 429);
      ck_assert_int_eq(hit.retry_after, 1);
    }
    if (pattern)
      pattern[i] = h ? '1' : '0';
  }
  ck_assert(!up_faults_match(f, "/other", &hit)); /* no draw hits another path */
  ck_assert_uint_eq(up_faults_clear(f), 1);       /* a fraction rule stays until cleared */
  up_faults_free(f);
  return k;
}

START_TEST(test_faults_fraction)
{
  char a[201] = "", b[201] = "", c[201] = "";
  int n = hits(42, 0.25, 20000, NULL);
  ck_assert_msg(n > 4600 && n < 5400, "%d of 20000 at 0.25", n);
  n = hits(7, 0.5, 20000, NULL);
  ck_assert_msg(n > 9500 && n < 10500, "%d of 20000 at 0.5", n);
  ck_assert_int_eq(hits(3, 1.0, 5000, NULL), 5000);
  ck_assert_int_lt(hits(3, 1e-9, 5000, NULL), 2);
  /* The same seed draws the same requests; another seed others. */
  hits(1234, 0.5, 200, a);
  hits(1234, 0.5, 200, b);
  hits(4321, 0.5, 200, c);
  ck_assert_str_eq(a, b);
  ck_assert_str_ne(a, c);
  /* Seed 0: a random seed, still working. */
  n = hits(0, 0.5, 2000, NULL);
  ck_assert(n > 800 && n < 1200);
}
END_TEST

/* --- the fault body --------------------------------------------------------------------- */

static const struct {
  const char *body;
  up_status_t want;
  const char *target; /* refusals: the member named */
  unsigned status, count, latency;
  double fraction;
  const char *path;
  int retry_after;
} bodies[] = {
    {"{\"status\":503,\"count\":3,\"path\":\"/print/printers*\"}", UP_OK, "", 503, 3, 0, 0,
     "/print/printers*", 1},
    {"{\"status\":429,\"count\":1,\"retryAfter\":7}", UP_OK, "", 429, 1, 0, 0, "/*", 7},
    {"{\"status\":429,\"count\":1,\"retryAfter\":0}", UP_OK, "", 429, 1, 0, 0, "/*", 0},
    {"{\"status\":504,\"fraction\":0.25}", UP_OK, "", 504, 0, 0, 0.25, "/*", -1},
    {"{\"status\":504,\"fraction\":1}", UP_OK, "", 504, 0, 0, 1.0, "/*", -1},
    {"{\"status\":504,\"count\":2,\"retryAfter\":3}", UP_OK, "", 504, 2, 0, 0, "/*", 3},
    {"{\"latencyMs\":250,\"count\":2}", UP_OK, "", 0, 2, 250, 0, "/*", -1},
    {"{\"latencyMs\":30000,\"fraction\":0.5,\"path\":\"*\"}", UP_OK, "", 0, 0, 30000, 0.5, "*", -1},
    {"{\"status\":503,\"latencyMs\":100,\"count\":1000000}", UP_OK, "", 503, 1000000, 100, 0, "/*",
     1},
    {"{\"status\":503,\"count\":1,\"fraction\":null,\"path\":null,\"retryAfter\":null,"
     "\"latencyMs\":null}",
     UP_OK, "", 503, 1, 0, 0, "/*", 1},
    {"{}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"count\":1}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":500,\"count\":1}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":\"503\",\"count\":1}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503.0,\"count\":1}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":true,\"count\":1}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503}", UP_INVALID, "count", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":0}", UP_INVALID, "count", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":-1}", UP_INVALID, "count", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1.5}", UP_INVALID, "count", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1000001}", UP_INVALID, "count", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":\"3\"}", UP_INVALID, "count", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1,\"fraction\":0.5}", UP_INVALID, "fraction", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"fraction\":0}", UP_INVALID, "fraction", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"fraction\":-0.5}", UP_INVALID, "fraction", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"fraction\":1.0001}", UP_INVALID, "fraction", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"fraction\":2}", UP_INVALID, "fraction", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"fraction\":\"0.5\"}", UP_INVALID, "fraction", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1,\"path\":\"print/printers\"}", UP_INVALID, "path", 0, 0, 0, 0,
     NULL, 0},
    {"{\"status\":503,\"count\":1,\"path\":\"\"}", UP_INVALID, "path", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1,\"path\":\"/print/[a]\"}", UP_INVALID, "path", 0, 0, 0, 0, NULL,
     0},
    {"{\"status\":503,\"count\":1,\"path\":\"/print printers\"}", UP_INVALID, "path", 0, 0, 0, 0,
     NULL, 0},
    {"{\"status\":503,\"count\":1,\"path\":5}", UP_INVALID, "path", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1,\"retryAfter\":-1}", UP_INVALID, "retryAfter", 0, 0, 0, 0, NULL,
     0},
    {"{\"status\":503,\"count\":1,\"retryAfter\":3601}", UP_INVALID, "retryAfter", 0, 0, 0, 0, NULL,
     0},
    {"{\"status\":503,\"count\":1,\"retryAfter\":\"1\"}", UP_INVALID, "retryAfter", 0, 0, 0, 0,
     NULL, 0},
    {"{\"latencyMs\":100,\"count\":1,\"retryAfter\":1}", UP_INVALID, "retryAfter", 0, 0, 0, 0, NULL,
     0},
    {"{\"latencyMs\":30001,\"count\":1}", UP_INVALID, "latencyMs", 0, 0, 0, 0, NULL, 0},
    {"{\"latencyMs\":-1,\"count\":1}", UP_INVALID, "latencyMs", 0, 0, 0, 0, NULL, 0},
    {"{\"latencyMs\":0,\"count\":1}", UP_INVALID, "status", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1,\"bogus\":1}", UP_INVALID, "bogus", 0, 0, 0, 0, NULL, 0},
    {"{\"status\":503,\"count\":1,\"Status\":503}", UP_INVALID, "Status", 0, 0, 0, 0, NULL, 0},
};

START_TEST(test_fault_body)
{
  up_fault_rule_t r;
  up_error_t err;
  json_t *body = json_loads(bodies[_i].body, 0, NULL);
  ck_assert_ptr_nonnull(body);
  up_error_clear(&err);
  up_status_t st = up_fault_from_body(body, &r, &err);
  ck_assert_msg(st == bodies[_i].want, "%s: %d (%s)", bodies[_i].body, st, err.message);
  if (st == UP_OK) {
    ck_assert_uint_eq(r.status, bodies[_i].status);
    ck_assert_uint_eq(r.count, bodies[_i].count);
    ck_assert_uint_eq(r.latency_ms, bodies[_i].latency);
    ck_assert_double_eq(r.fraction, bodies[_i].fraction);
    ck_assert_str_eq(r.path, bodies[_i].path);
    ck_assert_int_eq(r.retry_after, bodies[_i].retry_after);
    ck_assert_int_eq(up_fault_check(&r, &err), UP_OK);
    /* What GET shows is accepted back as a body, to the same rule. */
    json_t *shown = up_fault_render(&r);
    up_fault_rule_t again;
    ck_assert_ptr_nonnull(shown);
    ck_assert_int_eq(json_object_size(shown), 6);
    ck_assert_int_eq(up_fault_from_body(shown, &again, &err), UP_OK);
    ck_assert_int_eq(memcmp(&r, &again, sizeof(r)), 0);
    json_decref(shown);
  } else {
    ck_assert_str_eq(err.target, bodies[_i].target);
    ck_assert_msg(strstr(err.message, bodies[_i].target), "'%s' does not name %s", err.message,
                  bodies[_i].target);
  }
  json_decref(body);
}
END_TEST

START_TEST(test_fault_body_not_object)
{
  up_fault_rule_t r;
  up_error_t err;
  ck_assert_int_eq(up_fault_from_body(NULL, &r, &err), UP_INVALID);
}
END_TEST

/* --- through the request pipeline ------------------------------------------------------- */

static up_app_t *app;

/* One request; the answer's status, its Retry-After (or "") and error code (or ""). */
static int call(const char *method, const char *url, const char *token, const char *body,
                char retry[16], char code[64])
{
  up_test_headers_t f = {token, body ? "application/json" : NULL, NULL, ""};
  up_body_t b = {0};
  up_answer_t a;
  b.limit = (size_t)app->config.max_json_kb * 1024;
  if (body) {
    b.data = (char *)body;
    b.len = strlen(body);
  }
  up_dispatch(app, &(up_dispatch_in_t){method, url, &b, up_test_header, &f, false}, &a);
  retry[0] = code[0] = '\0';
  for (size_t i = 0; i < a.n_headers; i++)
    if (strcasecmp(a.headers[i].name, "Retry-After") == 0)
      snprintf(retry, 16, "%.15s", a.headers[i].value);
  if (a.status >= 400 && a.body) {
    json_t *j = json_loads(a.body, 0, NULL);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    snprintf(code, 64, "%.63s", c ? c : "");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "error"), "innerError"));
    json_decref(j);
  }
  free(a.body);
  return a.status;
}

static char *issue(const up_token_spec_t *spec)
{
  return up_test_issue(app->keys, spec);
}

static void open_app(unsigned limit, unsigned window)
{
  up_config_t cfg;
  up_config_defaults(&cfg);
  cfg.rate_limit = limit;
  cfg.rate_window_s = window;
  app = up_test_app_open(&cfg);
}

static void close_app(void)
{
  up_test_app_close(app);
  app = NULL;
}

#define ADMIN_SCOPES "Printer.FullControl.All PrinterShare.ReadWrite.All"

START_TEST(test_pipeline_rate_limit)
{
  static const char create[] =
      "{\"displayName\":\"P\",\"manufacturer\":\"C\",\"model\":\"M\","
      "\"certificateSigningRequest\":{\"content\":\"a\",\"transportKey\":\"b\"}}";
  char retry[16], code[64];
  open_app(3, 60);
  char *alice = issue(&(up_token_spec_t){
      .upn = "alice@contoso.com", .roles = "PrinterAdministrator", .scopes = ADMIN_SCOPES});
  char *bob = issue(&(up_token_spec_t){
      .upn = "bob@contoso.com", .roles = "PrinterAdministrator", .scopes = ADMIN_SCOPES});
  char *reader = issue(&(up_token_spec_t){.upn = "carol@contoso.com", .scopes = "User.Read"});
  char *application = issue(
      &(up_token_spec_t){.app_id = APP_X, .scopes = "Printer.Read.All PrinterShare.Read.All"});
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(call("GET", "/v1.0/print/printers", alice, NULL, retry, code), 200);
  ck_assert_int_eq(call("GET", "/beta/print/shares", alice, NULL, retry, code), 429);
  ck_assert_str_eq(code, "TooManyRequests");
  ck_assert_str_eq(retry, "60");
  /* The control surface does not count and is not refused. */
  ck_assert_int_eq(call("GET", "/_uprintd/faults", alice, NULL, retry, code), 200);
  /* A throttled request never reaches its handler: nothing is created. */
  ck_assert_int_eq(call("POST", "/v1.0/print/printers/create", alice, create, retry, code), 429);
  /* Other callers have their own budgets. */
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", bob, NULL, retry, code), 200);
  ck_assert_str_eq(retry, "");
  json_t *list = NULL;
  {
    /* bob sees no printer: alice's create did not happen. */
    up_test_headers_t f = {bob, NULL, NULL, ""};
    up_answer_t a;
    up_dispatch(app,
                &(up_dispatch_in_t){"GET", "/v1.0/print/printers", NULL, up_test_header, &f, false},
                &a);
    list = json_loads(a.body, 0, NULL);
    free(a.body);
    ck_assert_int_eq(json_array_size(json_object_get(list, "value")), 0);
    json_decref(list);
  }
  /* The same body from bob does create one. */
  ck_assert_int_eq(call("POST", "/v1.0/print/printers/create", bob, create, retry, code), 202);
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(call("GET", "/v1.0/print/printers/x", application, NULL, retry, code), 404);
  /* An unauthorized or unauthenticated caller still sees 403 or 401, and is not counted. */
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(call("GET", "/v1.0/print/printers", reader, NULL, retry, code), 403);
    ck_assert_int_eq(call("GET", "/v1.0/print/printers", NULL, NULL, retry, code), 401);
  }
  ck_assert_int_eq(call("GET", "/v1.0/print/printers/x", application, NULL, retry, code), 404);
  ck_assert_int_eq(call("GET", "/v1.0/print/printers/x", application, NULL, retry, code), 429);
  ck_assert_str_eq(retry, "60");
  free(alice);
  free(bob);
  free(reader);
  free(application);
  close_app();
}
END_TEST

START_TEST(test_pipeline_faults)
{
  char retry[16], code[64];
  open_app(0, 0);
  ck_assert_ptr_null(app->ratelimit);
  char *admin = issue(&(up_token_spec_t){
      .upn = "admin@contoso.com", .roles = "PrinterAdministrator", .scopes = ADMIN_SCOPES});
  char *user = issue(&(up_token_spec_t){.upn = "user@contoso.com", .scopes = ADMIN_SCOPES});
  char *ops = issue(&(up_token_spec_t){.upn = "ops@contoso.com",
                                       .roles = "PrinterAdministrator",
                                       .scopes = "Printer.ReadWrite.All"});
  /* Only a Printer Administrator with Printer.FullControl.All sets the rules. */
  ck_assert_int_eq(
      call("POST", "/_uprintd/faults", user, "{\"status\":503,\"count\":1}", retry, code), 403);
  ck_assert_int_eq(
      call("POST", "/_uprintd/faults", ops, "{\"status\":503,\"count\":1}", retry, code), 403);
  ck_assert_int_eq(call("GET", "/_uprintd/faults", NULL, NULL, retry, code), 401);
  ck_assert_int_eq(call("POST", "/_uprintd/faults", admin, "{\"status\":503}", retry, code), 400);
  ck_assert_int_eq(call("POST", "/_uprintd/faults", admin,
                        "{\"status\":503,\"count\":2,\"path\":\"/print/printers*\"}", retry, code),
                   201);
  ck_assert_int_eq(call("POST", "/_uprintd/faults", admin,
                        "{\"status\":504,\"count\":1,\"path\":\"/print/shares\"}", retry, code),
                   201);
  ck_assert_int_eq(call("POST", "/_uprintd/faults", admin,
                        "{\"status\":429,\"count\":1,\"retryAfter\":9,\"path\":\"/print/"
                        "operations\"}",
                        retry, code),
                   201);
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", admin, NULL, retry, code), 503);
  ck_assert_str_eq(code, "serviceNotAvailable");
  ck_assert_str_eq(retry, "1");
  /* 401 and 403 come first, and do not use the rule. */
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", NULL, NULL, retry, code), 401);
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", user, NULL, retry, code), 403);
  /* The control surface itself is never faulted. */
  ck_assert_int_eq(call("GET", "/_uprintd/faults", admin, NULL, retry, code), 200);
  ck_assert_int_eq(call("GET", "/beta/print/printers", admin, NULL, retry, code), 503);
  ck_assert_int_eq(call("GET", "/v1.0/print/printers", admin, NULL, retry, code), 200);
  ck_assert_int_eq(call("GET", "/v1.0/print/shares", admin, NULL, retry, code), 504);
  ck_assert_str_eq(code, "gatewayTimeout");
  ck_assert_str_eq(retry, "");
  ck_assert_int_eq(call("GET", "/v1.0/print/operations", admin, NULL, retry, code), 429);
  ck_assert_str_eq(code, "TooManyRequests");
  ck_assert_str_eq(retry, "9");
  ck_assert_int_eq(call("GET", "/v1.0/print/operations", admin, NULL, retry, code), 200);
  ck_assert_int_eq(call("DELETE", "/_uprintd/faults", admin, NULL, retry, code), 204);
  free(admin);
  free(user);
  free(ops);
  close_app();
}
END_TEST

int main(void)
{
  Suite *s = suite_create("resilience");
  TCase *tc = tcase_create("limiter");
  tcase_add_loop_test(tc, test_rate_parse, 0, sizeof(rate_texts) / sizeof(rate_texts[0]));
  tcase_add_test(tc, test_rate_option);
  tcase_add_test(tc, test_rate_window);
  tcase_add_test(tc, test_rate_keys);
  tcase_add_test(tc, test_rate_eviction);
  tcase_add_test(tc, test_rate_threads);
  suite_add_tcase(s, tc);
  tc = tcase_create("faults");
  tcase_add_loop_test(tc, test_glob_match, 0, sizeof(globs) / sizeof(globs[0]));
  tcase_add_test(tc, test_glob_valid);
  tcase_add_test(tc, test_faults_count);
  tcase_add_test(tc, test_faults_fraction);
  tcase_add_loop_test(tc, test_fault_body, 0, sizeof(bodies) / sizeof(bodies[0]));
  tcase_add_test(tc, test_fault_body_not_object);
  suite_add_tcase(s, tc);
  tc = tcase_create("pipeline");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_pipeline_rate_limit);
  tcase_add_test(tc, test_pipeline_faults);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
