/* fuzz-parsers.c - libFuzzer harness: the OData query options of every collection (parsed,
 * prepared and run as SQL on an in-memory store), Content-Range values with the arithmetic of an
 * upload's received ranges and holes, and the $batch envelope. Invariants that must hold for any
 * input abort when broken, so that they count as crashes.
 * Input: one selector byte, then the text (an embedded NUL ends it):
 *   0 a query string, run on every collection
 *   1 "CONTENT-RANGE\nRECEIVED" (RECEIVED: the stored form "a-b,c-d")
 *   2 a $batch body (JSON)
 *   anything else: the text through all of them.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/odata.h"
#include "uprintd/query.h"
#include "uprintd/ranges.h"
#include "uprintd/schema.h"
#include "uprintd/store.h"
#include "uprintd/util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENANT  "4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f"
#define PRINTER "0d71b007-ba5c-4b09-9906-57311f034da1"

static up_store_t *store;
static up_schema_t *schema;

static void check(bool ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "invariant broken: %s\n", what);
    abort();
  }
}

/* A failure must carry a status and a message; a success none. */
static void check_error(up_status_t st, const up_error_t *err)
{
  if (st != UP_OK)
    check(err->status == st && err->message[0] != '\0', "a failure without its error");
}

static void run_query(const char *text)
{
  up_query_t q;
  up_error_t err;
  up_error_clear(&err);
  up_status_t st = up_query_parse(text, &q, &err);
  check_error(st, &err);
  if (st != UP_OK) {
    up_query_fini(&q);
    return;
  }
  /* The scopes of each collection: tenant, then its parents (store.h, up_store_query). */
  static const char *const scope[] = {TENANT, PRINTER, NULL};
  static const int n_scope[UP_COLL_COUNT] = {1, 2, 1, 3, 2, 2, 2};
  for (int c = 0; c < UP_COLL_COUNT; c++) {
    up_list_query_t lq;
    up_store_page_t page;
    memset(&lq, 0, sizeof(lq));
    memset(&page, 0, sizeof(page));
    up_error_clear(&err);
    st = up_list_query_prepare((up_coll_t)c, &q, schema, &lq, &err);
    check_error(st, &err);
    if (st == UP_OK) {
      check(lq.page <= UP_PAGE_SIZE, "a page size out of bounds"); /* $top=0: none */
      up_error_clear(&err);
      st = up_store_query(store, &lq, scope, n_scope[c], &page, &err);
      /* The store is empty: a prepared query either runs or is refused, never crashes. */
      check_error(st, &err);
      if (st == UP_OK)
        check(page.count == 0 && !page.more, "rows from an empty store");
      up_store_page_fini(&page);
      char token[512];
      up_value_t keys[UP_KEY_MAX];
      memset(keys, 0, sizeof(keys));
      for (size_t k = 0; k < UP_KEY_MAX; k++)
        keys[k].type = UP_V_INT;
      up_skiptoken_make(&lq, keys, lq.n_order + 1 <= UP_KEY_MAX ? lq.n_order + 1 : UP_KEY_MAX,
                        token, sizeof(token));
    }
    up_list_query_fini(&lq);
  }
  up_query_fini(&q);
}

static void run_ranges(const char *text)
{
  char *copy = strdup(text);
  if (!copy)
    return;
  char *nl = strchr(copy, '\n');
  const char *received = "";
  if (nl) {
    *nl = '\0';
    received = nl + 1;
  }
  int64_t start, end, total;
  up_error_t err;
  up_error_clear(&err);
  up_status_t st = up_content_range_parse(copy, &start, &end, &total, &err);
  check_error(st, &err);
  if (st == UP_OK)
    check(start >= 0 && start <= end && end < total, "Content-Range bounds");
  up_rangeset_t got = {0}, holes = {0};
  if (up_rangeset_parse(received, &got)) {
    /* Normalized: sorted, disjoint, not adjacent. */
    for (size_t i = 0; i < got.n; i++) {
      check(got.v[i].start >= 0 && got.v[i].start <= got.v[i].end, "a range backwards");
      if (i)
        check(got.v[i].start > got.v[i - 1].end + 1, "ranges not merged");
    }
    /* The stored form comes back as it went. */
    char *text2 = up_rangeset_format(&got);
    up_rangeset_t again = {0};
    if (text2) {
      check(up_rangeset_parse(text2, &again), "a formatted set does not parse");
      check(again.n == got.n, "a formatted set parses differently");
      for (size_t i = 0; i < got.n; i++)
        check(again.v[i].start == got.v[i].start && again.v[i].end == got.v[i].end,
              "a formatted set parses differently");
    }
    free(text2);
    up_rangeset_fini(&again);
    if (st == UP_OK) {
      bool overlaps = up_rangeset_overlaps(&got, start, end);
      if (up_rangeset_add(&got, start, end)) {
        check(up_rangeset_overlaps(&got, start, end), "an added range is missing");
        if (!overlaps && up_rangeset_holes(&got, total, &holes)) {
          /* The holes and what was received within the size make up the size exactly. */
          int64_t in_size = 0;
          for (size_t i = 0; i < got.n; i++) {
            int64_t a = got.v[i].start, b = got.v[i].end < total ? got.v[i].end : total - 1;
            if (a <= b)
              in_size += b - a + 1;
          }
          check(up_rangeset_bytes(&holes) + in_size == total, "holes and ranges do not add up");
          check(up_rangeset_covers(&got, total) == (holes.n == 0), "covers disagrees with holes");
          for (size_t i = 0; i < holes.n; i++)
            check(!up_rangeset_overlaps(&got, holes.v[i].start, holes.v[i].end),
                  "a hole overlaps what was received");
        }
        up_rangeset_remove(&got, start, end);
        check(!up_rangeset_overlaps(&got, start, end), "a removed range is still there");
      }
    }
  }
  up_rangeset_fini(&got);
  up_rangeset_fini(&holes);
  free(copy);
}

static void run_batch(const char *text)
{
  json_t *body = NULL;
  up_error_t err;
  up_error_clear(&err);
  if (up_json_depth(text, strlen(text), 64) > 64)
    return; /* refused before parsing by the server (--max-json-depth) */
  up_status_t st = up_json_parse_body(text, strlen(text), &body, &err);
  check_error(st, &err);
  if (st != UP_OK)
    return;
  up_batch_t b;
  up_error_clear(&err);
  st = up_batch_from_body(body, &b, &err);
  check_error(st, &err);
  if (st == UP_OK) {
    check(b.n >= 1 && b.n <= UP_BATCH_MAX, "a batch size out of bounds");
    /* order is a permutation in which every request comes after those it depends on. */
    size_t pos[UP_BATCH_MAX];
    bool seen[UP_BATCH_MAX] = {false};
    for (size_t i = 0; i < b.n; i++) {
      check(b.order[i] < b.n && !seen[b.order[i]], "order is not a permutation");
      seen[b.order[i]] = true;
      pos[b.order[i]] = i;
    }
    for (size_t i = 0; i < b.n; i++)
      for (size_t d = 0; d < b.requests[i].n_depends; d++)
        check(pos[b.requests[i].depends[d]] < pos[i], "a request runs before its dependency");
  }
  up_batch_fini(&b);
  up_json_free(body);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  up_error_t err;
  (void)argc;
  (void)argv;
  up_log_set_level(UP_LOG_ERROR);
  if (up_store_open(":memory:", &store, &err) != UP_OK || up_schema_load(&schema, &err) != UP_OK) {
    fprintf(stderr, "fuzz-parsers: %s\n", err.message);
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > 64 * 1024)
    return -1;
  char *s = strndup((const char *)data + 1, size - 1);
  if (!s)
    return 0;
  switch (data[0]) {
  case 0:
    run_query(s);
    break;
  case 1:
    run_ranges(s);
    break;
  case 2:
    run_batch(s);
    break;
  default:
    run_query(s);
    run_ranges(s);
    run_batch(s);
  }
  free(s);
  return 0;
}
