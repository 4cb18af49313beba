/* api-faults.c - the control surface of the simulated faults, /_uprintd/faults (not Graph:
 * this server's own, for tests and demos, like Dev Proxy's fault injection in front of the real
 * Graph). The rules are server-wide: they hit the Graph requests of every tenant, so setting,
 * listing and clearing them needs a Printer Administrator (permission set server.faults).
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/resilience.h"
#include "uprintd/response.h"

/* Who changed the rules, for the log. */
static const char *caller(const up_request_t *req)
{
  const up_principal_t *p = req->principal;
  if (!p)
    return "(permissions off)";
  return p->upn ? p->upn : p->app_id ? p->app_id : p->oid;
}

UP_HANDLER(up_api_faults_list)
{
  up_fault_rule_t rules[UP_FAULT_MAX_RULES];
  size_t n = up_faults_list(app->faults, rules, UP_FAULT_MAX_RULES);
  struct json_t *arr = up_api_array();
  if (!arr)
    return up_api_nomem(err);
  for (size_t i = 0; i < n && i < UP_FAULT_MAX_RULES; i++)
    if (!up_api_array_add(arr, up_fault_render(&rules[i]), req->query)) {
      up_json_free(arr);
      return up_api_nomem(err);
    }
  return up_reply_collection(app, req, resp, NULL, arr) == UP_OK ? UP_OK : up_api_nomem(err);
}

UP_HANDLER(up_api_faults_add)
{
  up_fault_rule_t rule;
  up_status_t st;
  if ((st = up_fault_from_body(req->body, &rule, err)) != UP_OK ||
      (st = up_faults_add(app->faults, &rule, err)) != UP_OK)
    return st;
  if (rule.count)
    up_log(UP_LOG_INFO, "fault rule added by %s: status %u, latency %u ms, count %u, path %s",
           caller(req), rule.status, rule.latency_ms, rule.count, rule.path);
  else
    up_log(UP_LOG_INFO, "fault rule added by %s: status %u, latency %u ms, fraction %.4g, path %s",
           caller(req), rule.status, rule.latency_ms, rule.fraction, rule.path);
  return up_reply_json(app, req, resp, 201, NULL, up_fault_render(&rule)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
}

UP_HANDLER(up_api_faults_clear)
{
  (void)err;
  size_t n = up_faults_clear(app->faults);
  up_log(UP_LOG_INFO, "%zu fault rule%s cleared by %s", n, n == 1 ? "" : "s", caller(req));
  return up_reply_empty(resp, 204);
}
