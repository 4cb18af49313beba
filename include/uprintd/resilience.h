/* resilience.h - simulated throttling and faults, what Dev Proxy offers in front of the real
 * Graph: a rate limiter per application and per user (`uprintd serve --rate-limit N/SECONDS`)
 * and fault rules set through the control surface (`POST /_uprintd/faults`). The request
 * pipeline (dispatch.c) consults both after the permission check and before the body is read.
 * Pure C (no libmicrohttpd, SQLite or jansson) and thread-safe; the clock and the random
 * numbers are parameters, so that tests drive them.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_RESILIENCE_H
#define UPRINTD_RESILIENCE_H

#include "uprintd/base.h"

/** Milliseconds of CLOCK_MONOTONIC (rate windows and delays never jump with the wall clock). */
int64_t up_monotonic_ms(void);

/* --- rate limits ------------------------------------------------------------------------ */

#define UP_RATE_MAX_LIMIT    1000000u /**< largest N of N/SECONDS */
#define UP_RATE_MAX_WINDOW_S 86400u   /**< longest window, a day */
#define UP_RATE_MAX_KEYS     10000u   /**< callers tracked at once (the least recent go first) */
#define UP_RATE_KEY_MAX      200      /**< bytes of a key: kind, tenant and id (longer ids cut) */

/** Whose budget a request counts against. */
typedef enum up_rate_kind {
  UP_RATE_APP,  /**< an application token: tenant + appid */
  UP_RATE_USER, /**< a delegated token: tenant + oid (whatever the client application) */
} up_rate_kind_t;

typedef struct up_ratelimit up_ratelimit_t;

/** Parses "N/SECONDS" (1 <= N <= UP_RATE_MAX_LIMIT, 1 <= SECONDS <= UP_RATE_MAX_WINDOW_S) or
 *  "off" (*limit 0). False with a message in err otherwise. */
bool up_ratelimit_parse(const char *text, unsigned *limit, unsigned *window_s, char *err,
                        size_t errlen);

/** A limiter of limit requests per window_s seconds per key (fixed windows: a key's window
 *  opens with its first request and a new one with the first request after it ends), tracking
 *  at most max_keys keys (0: UP_RATE_MAX_KEYS). NULL when out of memory or limit/window is 0. */
up_ratelimit_t *up_ratelimit_new(unsigned limit, unsigned window_s, size_t max_keys);

void up_ratelimit_free(up_ratelimit_t *rl);

/** Counts one request of (kind, tenant, id) at now_ms (up_monotonic_ms). True when it is within
 *  the limit. False when the window is full: the request is not counted and *retry_after_s is
 *  the whole seconds (>= 1, rounded up) until the window ends and frees a slot. O(1): one hash
 *  lookup; keys whose window has ended are dropped as they come to the end of the
 *  least-recently-used list, and when max_keys are tracked the least recently used one goes. */
bool up_ratelimit_take(up_ratelimit_t *rl, up_rate_kind_t kind, const char *tenant, const char *id,
                       int64_t now_ms, unsigned *retry_after_s);

/** Keys tracked now. */
size_t up_ratelimit_tracked(up_ratelimit_t *rl);

/** The limit and the window, as configured. */
unsigned up_ratelimit_limit(const up_ratelimit_t *rl);
unsigned up_ratelimit_window_s(const up_ratelimit_t *rl);

/* --- fault rules ------------------------------------------------------------------------ */

#define UP_FAULT_MAX_RULES       32     /**< rules active at once */
#define UP_FAULT_MAX_LATENCY_MS  30000u /**< largest latencyMs */
#define UP_FAULT_MAX_RETRY_AFTER 3600u  /**< largest retryAfter, seconds */
#define UP_FAULT_MAX_COUNT       1000000u
#define UP_FAULT_PATH_MAX        256 /**< longest path glob, bytes */
#define UP_FAULT_DEFAULT_PATH    "/*"

/** One rule: which requests it hits and what it does to them. */
typedef struct up_fault_rule {
  unsigned status; /**< 429, 503, 504, or 0: only latency_ms (the request then proceeds) */
  unsigned count;  /**< the next count matching requests (count mode); 0: fraction mode */
  double fraction; /**< fraction mode: each matching request with this probability, (0,1] */
  char path[UP_FAULT_PATH_MAX + 1]; /**< glob on the path after the version ('*': any run) */
  int retry_after;                  /**< Retry-After seconds, or -1 for none */
  unsigned latency_ms;              /**< delay before the answer, 0..UP_FAULT_MAX_LATENCY_MS */
} up_fault_rule_t;

/** What happens to a request a rule hit. */
typedef struct up_fault_hit {
  unsigned status;     /**< 429, 503, 504, or 0: the request proceeds (after the delay) */
  int retry_after;     /**< Retry-After seconds, or -1 */
  unsigned latency_ms; /**< delay before the answer */
} up_fault_hit_t;

typedef struct up_faults up_faults_t;

/** An empty rule set whose random numbers (fraction mode) start from seed (0: a random seed).
 *  NULL when out of memory. */
up_faults_t *up_faults_new(uint64_t seed);

void up_faults_free(up_faults_t *f);

/** Checks a rule as the control surface accepts it (up_fault_check) and appends it; UP_INVALID
 *  naming the member (err->target) when it is not valid, UP_CONFLICT when
 *  UP_FAULT_MAX_RULES are active. */
up_status_t up_faults_add(up_faults_t *f, const up_fault_rule_t *rule, up_error_t *err);

/** UP_OK when rule is complete and within bounds: a status of 429, 503 or 504 and/or a latency;
 *  a count (1..UP_FAULT_MAX_COUNT) or a fraction in (0, 1], not both; a valid path glob;
 *  retry_after -1 or 0..UP_FAULT_MAX_RETRY_AFTER and only with a status; latency within
 *  UP_FAULT_MAX_LATENCY_MS. UP_INVALID naming the member (err->target) otherwise. */
up_status_t up_fault_check(const up_fault_rule_t *rule, up_error_t *err);

/** Copies the active rules (count mode: the requests still to hit) into out (at most max);
 *  returns how many there are. */
size_t up_faults_list(up_faults_t *f, up_fault_rule_t *out, size_t max);

/** Removes every rule; returns how many there were. */
size_t up_faults_clear(up_faults_t *f);

/** Decides for one request on path (the decoded path after the version, "/print/..."): the
 *  rules are tried in the order they were added, and the first one whose glob matches and that
 *  fires (count mode: always, using one of its count, and the rule goes when none is left;
 *  fraction mode: when a random draw in [0, 1) is below the fraction) fills *hit and ends the
 *  search. False when no rule fired. */
bool up_faults_match(up_faults_t *f, const char *path, up_fault_hit_t *hit);

/** True when glob is a valid path glob: starts with '/' or '*', at most UP_FAULT_PATH_MAX
 *  bytes, printable ASCII without spaces, '?', '#', '[', ']', '{', '}' or '\\'. *why (may be
 *  NULL) says what is wrong otherwise. */
bool up_glob_valid(const char *glob, const char **why);

/** Matches s against glob: '*' matches any run of characters ('/' included), everything else
 *  itself, ASCII letters case-insensitively (Graph's paths are). Linear in practice: the last
 *  '*' is the only backtracking point. */
bool up_glob_match(const char *glob, const char *s);

#endif
