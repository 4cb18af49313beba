/* model-fault.c - the body of POST /_uprintd/faults and the rules as GET /_uprintd/faults
 * shows them (the control surface of the simulated faults, resilience.h).
 * SPDX-License-Identifier: Apache-2.0 */
#include "model-private.h"
#include "uprintd/util.h"

#include <string.h>

static up_status_t refuse(up_error_t *err, const char *member, const char *message)
{
  up_error_set(err, UP_INVALID, NULL, "%s", message);
  up_error_set_target(err, member);
  return UP_INVALID;
}

up_status_t up_fault_from_body(const json_t *body, up_fault_rule_t *rule, up_error_t *err)
{
  static const char *const members[] = {"status",     "count",     "fraction", "path",
                                        "retryAfter", "latencyMs", NULL};
  const char *path = NULL, *why = NULL;
  int64_t status = 0, count = 0, retry_after = -1, latency = 0;
  bool has_status, has_count, has_retry, has_latency;
  up_status_t st;

  memset(rule, 0, sizeof(*rule));
  rule->retry_after = -1;
  if (!json_is_object(body))
    return up_error_set(err, UP_INVALID, NULL, "A JSON object describing the fault is required.");
  if ((st = up_model_only(body, members, err)) != UP_OK ||
      (st = up_model_get_int(body, "count", 1, UP_FAULT_MAX_COUNT, &has_count, &count, err)) !=
          UP_OK ||
      (st = up_model_get_int(body, "retryAfter", 0, UP_FAULT_MAX_RETRY_AFTER, &has_retry,
                             &retry_after, err)) != UP_OK ||
      (st = up_model_get_int(body, "latencyMs", 0, UP_FAULT_MAX_LATENCY_MS, &has_latency, &latency,
                             err)) != UP_OK ||
      (st = up_model_get_string(body, "path", &path, err)) != UP_OK)
    return st;
  const json_t *sv = json_object_get(body, "status");
  has_status = sv && !json_is_null(sv);
  status = json_is_integer(sv) ? json_integer_value(sv) : 0;
  if (has_status && status != 429 && status != 503 && status != 504)
    return refuse(err, "status", "Property 'status' must be 429, 503 or 504.");
  const json_t *fraction = json_object_get(body, "fraction");
  if (fraction && !json_is_null(fraction)) {
    double f = json_is_number(fraction) ? json_number_value(fraction) : 0;
    if (!(f > 0 && f <= 1))
      return refuse(err, "fraction",
                    "Property 'fraction' must be a number above 0 and at most 1 (the probability "
                    "that a matching request fails).");
    rule->fraction = f;
  }
  if (path && !up_glob_valid(path, &why)) {
    up_error_set(err, UP_INVALID, NULL, "Property 'path' is not a valid path glob: %s.", why);
    up_error_set_target(err, "path");
    return UP_INVALID;
  }
  rule->status = (unsigned)status;
  rule->count = (unsigned)count;
  rule->latency_ms = (unsigned)latency;
  up_strlcpy(rule->path, path ? path : UP_FAULT_DEFAULT_PATH, sizeof(rule->path));
  /* Graph sends Retry-After with 429 and 503: one second unless the body says otherwise. */
  if (has_retry)
    rule->retry_after = (int)retry_after;
  else if (status == 429 || status == 503)
    rule->retry_after = 1;
  return up_fault_check(rule, err);
}

json_t *up_fault_render(const up_fault_rule_t *r)
{
  json_t *o = json_object();
  bool ok = o && up_model_set(o, "status", r->status ? json_integer(r->status) : json_null()) &&
            up_model_set(o, "count", r->count ? json_integer(r->count) : json_null()) &&
            up_model_set(o, "fraction", r->count ? json_null() : json_real(r->fraction)) &&
            up_model_set(o, "path", json_string(r->path)) &&
            up_model_set(o, "retryAfter",
                         r->retry_after >= 0 ? json_integer(r->retry_after) : json_null()) &&
            up_model_set(o, "latencyMs", json_integer(r->latency_ms));
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}
