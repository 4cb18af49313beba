/* resilience.c - simulated throttling (a fixed-window rate limiter per application and per
 * user) and fault rules (status, latency, count or fraction, path glob). Pure C: the request
 * pipeline (dispatch.c) asks, the control surface (api-faults.c) sets the rules.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/resilience.h"
#include "uprintd/util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t up_monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- rate limits ------------------------------------------------------------------------ */

#define NIL (-1)

/* One tracked key: its window and its place in the hash chain and the LRU list. */
typedef struct rl_entry {
  char key[UP_RATE_KEY_MAX];
  uint64_t hash;
  int64_t start_ms;   /* the window opened then */
  unsigned count;     /* requests counted in it */
  int32_t chain;      /* next entry of the same bucket, or the next free entry */
  int32_t prev, next; /* LRU list: head most recent */
} rl_entry_t;

struct up_ratelimit {
  pthread_mutex_t mu;
  unsigned limit;
  unsigned window_s;
  int64_t window_ms;
  size_t max_keys;
  size_t used;
  rl_entry_t *entries; /* max_keys of them */
  int32_t *buckets;    /* n_buckets heads */
  size_t n_buckets;    /* a power of two, at least twice max_keys */
  int32_t free_head;
  int32_t lru_head, lru_tail;
};

bool up_ratelimit_parse(const char *text, unsigned *limit, unsigned *window_s, char *err,
                        size_t errlen)
{
  const char *slash = text ? strchr(text, '/') : NULL;
  char *end;
  unsigned long n, s;
  *limit = *window_s = 0;
  if (text && strcmp(text, "off") == 0)
    return true;
  if (!slash || slash == text || !isdigit((unsigned char)text[0]) ||
      !isdigit((unsigned char)slash[1]))
    goto bad;
  errno = 0;
  n = strtoul(text, &end, 10);
  if (errno || end != slash || n < 1 || n > UP_RATE_MAX_LIMIT)
    goto bad;
  s = strtoul(slash + 1, &end, 10);
  if (errno || *end || s < 1 || s > UP_RATE_MAX_WINDOW_S)
    goto bad;
  *limit = (unsigned)n;
  *window_s = (unsigned)s;
  return true;
bad:
  snprintf(err, errlen,
           "--rate-limit: expected N/SECONDS (N requests per SECONDS seconds per application "
           "and per user; N from 1 to %u, SECONDS from 1 to %u, e.g. 100/10) or off, got '%s'",
           UP_RATE_MAX_LIMIT, UP_RATE_MAX_WINDOW_S, text ? text : "");
  return false;
}

up_ratelimit_t *up_ratelimit_new(unsigned limit, unsigned window_s, size_t max_keys)
{
  if (limit == 0 || window_s == 0)
    return NULL;
  if (max_keys == 0 || max_keys > UP_RATE_MAX_KEYS)
    max_keys = UP_RATE_MAX_KEYS;
  up_ratelimit_t *rl = calloc(1, sizeof(*rl));
  if (!rl)
    return NULL;
  rl->n_buckets = 16;
  while (rl->n_buckets < 2 * max_keys)
    rl->n_buckets *= 2;
  rl->entries = calloc(max_keys, sizeof(*rl->entries));
  rl->buckets = malloc(rl->n_buckets * sizeof(*rl->buckets));
  if (!rl->entries || !rl->buckets || pthread_mutex_init(&rl->mu, NULL) != 0) {
    free(rl->entries);
    free(rl->buckets);
    free(rl);
    return NULL;
  }
  rl->limit = limit;
  rl->window_s = window_s;
  rl->window_ms = (int64_t)window_s * 1000;
  rl->max_keys = max_keys;
  for (size_t i = 0; i < rl->n_buckets; i++)
    rl->buckets[i] = NIL;
  for (size_t i = 0; i < max_keys; i++)
    rl->entries[i].chain = i + 1 < max_keys ? (int32_t)(i + 1) : NIL;
  rl->free_head = 0;
  rl->lru_head = rl->lru_tail = NIL;
  return rl;
}

void up_ratelimit_free(up_ratelimit_t *rl)
{
  if (!rl)
    return;
  pthread_mutex_destroy(&rl->mu);
  free(rl->entries);
  free(rl->buckets);
  free(rl);
}

unsigned up_ratelimit_limit(const up_ratelimit_t *rl)
{
  return rl->limit;
}

unsigned up_ratelimit_window_s(const up_ratelimit_t *rl)
{
  return rl->window_s;
}

size_t up_ratelimit_tracked(up_ratelimit_t *rl)
{
  pthread_mutex_lock(&rl->mu);
  size_t n = rl->used;
  pthread_mutex_unlock(&rl->mu);
  return n;
}

/* FNV-1a, 64 bits. */
static uint64_t hash_key(const char *s)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

static void lru_unlink(up_ratelimit_t *rl, int32_t i)
{
  rl_entry_t *e = &rl->entries[i];
  if (e->prev != NIL)
    rl->entries[e->prev].next = e->next;
  else
    rl->lru_head = e->next;
  if (e->next != NIL)
    rl->entries[e->next].prev = e->prev;
  else
    rl->lru_tail = e->prev;
  e->prev = e->next = NIL;
}

static void lru_push_front(up_ratelimit_t *rl, int32_t i)
{
  rl_entry_t *e = &rl->entries[i];
  e->prev = NIL;
  e->next = rl->lru_head;
  if (rl->lru_head != NIL)
    rl->entries[rl->lru_head].prev = i;
  rl->lru_head = i;
  if (rl->lru_tail == NIL)
    rl->lru_tail = i;
}

/* Removes entry i from its hash chain and the LRU list and frees it. */
static void evict(up_ratelimit_t *rl, int32_t i)
{
  rl_entry_t *e = &rl->entries[i];
  int32_t *link = &rl->buckets[e->hash & (rl->n_buckets - 1)];
  while (*link != NIL && *link != i)
    link = &rl->entries[*link].chain;
  if (*link == i)
    *link = e->chain;
  lru_unlink(rl, i);
  e->key[0] = '\0';
  e->chain = rl->free_head;
  rl->free_head = i;
  rl->used--;
}

static bool window_over(const up_ratelimit_t *rl, const rl_entry_t *e, int64_t now_ms)
{
  return now_ms - e->start_ms >= rl->window_ms;
}

bool up_ratelimit_take(up_ratelimit_t *rl, up_rate_kind_t kind, const char *tenant, const char *id,
                       int64_t now_ms, unsigned *retry_after_s)
{
  char key[UP_RATE_KEY_MAX];
  bool allowed;
  snprintf(key, sizeof(key), "%c|%s|%s", kind == UP_RATE_APP ? 'a' : 'u', tenant ? tenant : "",
           id ? id : "");
  uint64_t h = hash_key(key);
  *retry_after_s = 0;

  pthread_mutex_lock(&rl->mu);
  /* Idle keys (their window is over: they are as good as new) leave from the LRU end; two per
   * request keep the list short without a sweep. */
  for (int k = 0; k < 2 && rl->lru_tail != NIL; k++) {
    if (!window_over(rl, &rl->entries[rl->lru_tail], now_ms))
      break;
    evict(rl, rl->lru_tail);
  }
  int32_t i = rl->buckets[h & (rl->n_buckets - 1)];
  while (i != NIL && (rl->entries[i].hash != h || strcmp(rl->entries[i].key, key) != 0))
    i = rl->entries[i].chain;
  if (i == NIL) {
    if (rl->free_head == NIL) /* every slot busy: the least recently used key goes */
      evict(rl, rl->lru_tail);
    i = rl->free_head;
    rl_entry_t *e = &rl->entries[i];
    rl->free_head = e->chain;
    memcpy(e->key, key, sizeof(key));
    e->hash = h;
    e->start_ms = now_ms;
    e->count = 0;
    e->chain = rl->buckets[h & (rl->n_buckets - 1)];
    rl->buckets[h & (rl->n_buckets - 1)] = i;
    e->prev = e->next = NIL;
    lru_push_front(rl, i);
    rl->used++;
  } else {
    lru_unlink(rl, i);
    lru_push_front(rl, i);
  }
  rl_entry_t *e = &rl->entries[i];
  if (window_over(rl, e, now_ms)) {
    e->start_ms = now_ms;
    e->count = 0;
  }
  allowed = e->count < rl->limit;
  if (allowed) {
    e->count++;
  } else {
    int64_t left = e->start_ms + rl->window_ms - now_ms; /* > 0: the window is not over */
    *retry_after_s = (unsigned)((left + 999) / 1000);
    if (*retry_after_s == 0)
      *retry_after_s = 1;
  }
  pthread_mutex_unlock(&rl->mu);
  return allowed;
}

/* --- path globs ------------------------------------------------------------------------- */

bool up_glob_valid(const char *glob, const char **why)
{
  const char *dummy;
  if (!why)
    why = &dummy;
  if (!glob || !*glob) {
    *why = "it is empty";
    return false;
  }
  if (glob[0] != '/' && glob[0] != '*') {
    *why = "it must start with '/' or '*'";
    return false;
  }
  if (strlen(glob) > UP_FAULT_PATH_MAX) {
    *why = "it is longer than 256 characters";
    return false;
  }
  for (const char *p = glob; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= ' ' || c >= 0x7f || strchr("?#[]{}\\", c)) {
      *why = "it may hold only printable ASCII characters other than space, ?, #, [, ], {, } "
             "and \\ ('*' matches any run of characters)";
      return false;
    }
  }
  return true;
}

bool up_glob_match(const char *glob, const char *s)
{
  const char *star = NULL, *resume = NULL;
  while (*s) {
    if (*glob == '*') {
      while (*glob == '*')
        glob++;
      if (!*glob)
        return true;
      star = glob;
      resume = s;
    } else if (tolower((unsigned char)*glob) == tolower((unsigned char)*s)) {
      glob++;
      s++;
    } else if (star) {
      glob = star; /* the last '*' takes one more character */
      s = ++resume;
    } else {
      return false;
    }
  }
  while (*glob == '*')
    glob++;
  return *glob == '\0';
}

/* --- fault rules ------------------------------------------------------------------------ */

struct up_faults {
  pthread_mutex_t mu;
  up_fault_rule_t rules[UP_FAULT_MAX_RULES];
  size_t n;
  uint64_t rng; /* splitmix64 state */
};

static uint64_t splitmix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

up_faults_t *up_faults_new(uint64_t seed)
{
  up_faults_t *f = calloc(1, sizeof(*f));
  if (!f)
    return NULL;
  if (pthread_mutex_init(&f->mu, NULL) != 0) {
    free(f);
    return NULL;
  }
  if (seed == 0 && !up_random_bytes(&seed, sizeof(seed)))
    seed = (uint64_t)up_monotonic_ms() ^ ((uint64_t)getpid() << 32);
  f->rng = seed;
  return f;
}

void up_faults_free(up_faults_t *f)
{
  if (!f)
    return;
  pthread_mutex_destroy(&f->mu);
  free(f);
}

/* UP_INVALID with message, naming member as the error's target. */
static up_status_t invalid(up_error_t *err, const char *member, const char *message)
{
  up_error_set(err, UP_INVALID, NULL, "%s", message);
  up_error_set_target(err, member);
  return UP_INVALID;
}

up_status_t up_fault_check(const up_fault_rule_t *r, up_error_t *err)
{
  const char *why = NULL;
  bool has_fraction = r->fraction != 0; /* NaN included */
  if (r->status != 0 && r->status != 429 && r->status != 503 && r->status != 504)
    return invalid(err, "status", "Property 'status' must be 429, 503 or 504.");
  if (r->status == 0 && r->latency_ms == 0)
    return invalid(err, "status",
                   "Property 'status' (429, 503 or 504) or 'latencyMs' (a delay) is required.");
  if (r->latency_ms > UP_FAULT_MAX_LATENCY_MS)
    return invalid(err, "latencyMs", "Property 'latencyMs' must be from 0 to 30000.");
  if (has_fraction && !(r->fraction > 0 && r->fraction <= 1))
    return invalid(err, "fraction",
                   "Property 'fraction' must be a probability above 0 and at most 1.");
  if (r->count > UP_FAULT_MAX_COUNT)
    return invalid(err, "count", "Property 'count' must be from 1 to 1000000.");
  if (r->count > 0 && has_fraction)
    return invalid(err, "fraction",
                   "Give either 'count' (the next N requests) or 'fraction', not both.");
  if (r->count == 0 && !has_fraction)
    return invalid(err, "count",
                   "Property 'count' (the next N requests) or 'fraction' (each request with "
                   "that probability) is required.");
  if (!up_glob_valid(r->path, &why)) {
    up_error_set(err, UP_INVALID, NULL, "Property 'path' is not a valid path glob: %s.", why);
    up_error_set_target(err, "path");
    return UP_INVALID;
  }
  if (r->retry_after < -1 || r->retry_after > (int)UP_FAULT_MAX_RETRY_AFTER)
    return invalid(err, "retryAfter", "Property 'retryAfter' must be from 0 to 3600.");
  if (r->retry_after >= 0 && r->status == 0)
    return invalid(err, "retryAfter",
                   "Property 'retryAfter' goes with a 'status' (429, 503 or 504).");
  return UP_OK;
}

up_status_t up_faults_add(up_faults_t *f, const up_fault_rule_t *rule, up_error_t *err)
{
  up_status_t st = up_fault_check(rule, err);
  if (st != UP_OK)
    return st;
  pthread_mutex_lock(&f->mu);
  if (f->n == UP_FAULT_MAX_RULES) {
    pthread_mutex_unlock(&f->mu);
    return up_error_set(err, UP_CONFLICT, NULL,
                        "At most %d fault rules may be active; DELETE /_uprintd/faults clears "
                        "them.",
                        UP_FAULT_MAX_RULES);
  }
  f->rules[f->n++] = *rule;
  pthread_mutex_unlock(&f->mu);
  return UP_OK;
}

size_t up_faults_list(up_faults_t *f, up_fault_rule_t *out, size_t max)
{
  pthread_mutex_lock(&f->mu);
  size_t n = f->n;
  for (size_t i = 0; i < n && i < max; i++)
    out[i] = f->rules[i];
  pthread_mutex_unlock(&f->mu);
  return n;
}

size_t up_faults_clear(up_faults_t *f)
{
  pthread_mutex_lock(&f->mu);
  size_t n = f->n;
  f->n = 0;
  pthread_mutex_unlock(&f->mu);
  return n;
}

bool up_faults_match(up_faults_t *f, const char *path, up_fault_hit_t *hit)
{
  bool fired = false;
  memset(hit, 0, sizeof(*hit));
  hit->retry_after = -1;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->n && !fired; i++) {
    up_fault_rule_t *r = &f->rules[i];
    if (!up_glob_match(r->path, path ? path : ""))
      continue;
    if (r->count > 0) {
      fired = true;
    } else {
      /* 53 random bits: a draw in [0, 1); a fraction of 1 always fires. */
      double draw = (double)(splitmix64(&f->rng) >> 11) * (1.0 / 9007199254740992.0);
      fired = draw < r->fraction;
    }
    if (!fired)
      continue;
    hit->status = r->status;
    hit->retry_after = r->retry_after;
    hit->latency_ms = r->latency_ms;
    if (r->count > 0 && --r->count == 0) {
      memmove(r, r + 1, (f->n - i - 1) * sizeof(*r));
      f->n--;
    }
  }
  pthread_mutex_unlock(&f->mu);
  return fired;
}
