/* router.c - the route table and path matching.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/router.h"
#include "uprintd/permissions.h"
#include "uprintd/util.h"
#include "api.h"

#include <stdlib.h>
#include <string.h>

#define V1     UP_API_V1
#define BETA   UP_API_BETA
#define BOTH   (UP_API_V1 | UP_API_BETA)
#define GET    UP_METHOD_GET
#define POST   UP_METHOD_POST
#define PATCH  UP_METHOD_PATCH
#define DELETE UP_METHOD_DELETE
/* Body kind and limit, two columns: the default limit is --max-json-kb. */
#define NONE            UP_BODY_NONE, 0
#define JSON            UP_BODY_JSON, 0
#define JSON_KB(kb)     UP_BODY_JSON, kb
#define JSON_OPT_KB(kb) UP_BODY_JSON_OPT, kb
#define SEL             UP_QUERY_SELECT
#define EXP             UP_QUERY_EXPAND
/* Query options of collections (reference 10.6): pages, filters and order. */
#define PAGED                                                                                      \
  (UP_QUERY_FILTER | UP_QUERY_ORDERBY | UP_QUERY_TOP | UP_QUERY_SKIP | UP_QUERY_SKIPTOKEN)
/* Task definitions, tasks and triggers: $filter, $orderby, $expand; no $select, $top, $skip. */
#define TASKLIST (UP_QUERY_FILTER | UP_QUERY_ORDERBY | UP_QUERY_EXPAND | UP_QUERY_SKIPTOKEN)
#define PUT      UP_METHOD_PUT
#define STREAM   UP_BODY_STREAM, 0
#define JSON_OPT UP_BODY_JSON_OPT, 0
#define ROOT     UP_API_ROOT
#define P(x)     UP_PERM_##x

/* The one route table: every Graph operation the server answers. Columns: method, pattern
 * (relative to the version root; {x} matches one non-empty segment), handler, body kind and
 * body limit, versions, supported query options, stream operations, anonymous, and the
 * permission set of permissions.c (who may call it; checked before the handler). Bodies of a
 * few small members get a small limit. */
const up_route_t up_routes[] = {
    /* Printers (reference 2.2) */
    {POST, "/print/printers/create", up_api_printers_create, JSON, BOTH, 0, NULL, false,
     P(PRINTER_CREATE)},
    {GET, "/print/printers", up_api_printers_list, NONE, BOTH, SEL | EXP | PAGED, NULL, false,
     P(PRINTER_LIST)},
    {GET, "/print/printers/{printerId}", up_api_printer_get, NONE, BOTH, SEL | EXP, NULL, false,
     P(PRINTER_READ)},
    {PATCH, "/print/printers/{printerId}", up_api_printer_patch, JSON, BOTH, 0, NULL, false,
     P(PRINTER_UPDATE)},
    {DELETE, "/print/printers/{printerId}", up_api_printer_delete, NONE, BOTH, 0, NULL, false,
     P(PRINTER_DELETE)},
    {POST, "/print/printers/{printerId}/restoreFactoryDefaults", up_api_printer_restore_defaults,
     NONE, BOTH, 0, NULL, false, P(PRINTER_RESTORE)},
    {GET, "/print/printers/{printerId}/shares", up_api_printer_shares_list, NONE, BOTH,
     SEL | EXP | PAGED, NULL, false, P(SHARE_READ)},
    {GET, "/print/printers/{printerId}/shares/{shareId}", up_api_printer_share_get, NONE, BOTH, SEL,
     NULL, false, P(SHARE_READ)},
    {GET, "/print/printers/{printerId}/share", up_api_printer_share_single, NONE, BETA, SEL, NULL,
     false, P(SHARE_READ)},
    /* Operations (reference 2.1, R8/R9, and the printer alias of 1.3) */
    {GET, "/print/operations", up_api_operations_list, NONE, BOTH, SEL | PAGED | UP_QUERY_COUNT,
     NULL, false, P(OPERATION_READ)},
    {GET, "/print/operations/$count", up_api_operations_count, NONE, BOTH, UP_QUERY_FILTER, NULL,
     false, P(OPERATION_READ)},
    {GET, "/print/operations/{operationId}", up_api_operation_get, NONE, BOTH, 0, NULL, false,
     P(OPERATION_READ)},
    {GET, "/print/operations/{operationId}/printer", up_api_operation_printer_get, NONE, BOTH, SEL,
     NULL, false, P(OPERATION_READ)},
    /* Shares (reference 2.3; /print/printerShares is beta's deprecated alias) */
    {POST, "/print/shares", up_api_shares_create, JSON_KB(64), BOTH, 0, NULL, false,
     P(SHARE_CREATE)},
    {GET, "/print/shares", up_api_shares_list, NONE, BOTH, SEL | EXP | PAGED, NULL, false,
     P(SHARE_READ)},
    {GET, "/print/shares/{shareId}", up_api_share_get, NONE, BOTH, SEL | EXP, NULL, false,
     P(SHARE_READ)},
    {PATCH, "/print/shares/{shareId}", up_api_share_patch, JSON_KB(64), BOTH, 0, NULL, false,
     P(SHARE_UPDATE)},
    {DELETE, "/print/shares/{shareId}", up_api_share_delete, NONE, BOTH, 0, NULL, false,
     P(SHARE_UPDATE)},
    {GET, "/print/shares/{shareId}/printer", up_api_share_printer_get, NONE, BOTH, SEL, NULL, false,
     P(PRINTER_READ)},
    {POST, "/print/printerShares", up_api_shares_create, JSON_KB(64), BETA, 0, NULL, false,
     P(SHARE_CREATE)},
    {GET, "/print/printerShares", up_api_shares_list, NONE, BETA, SEL | EXP | PAGED, NULL, false,
     P(SHARE_READ)},
    {GET, "/print/printerShares/{shareId}", up_api_share_get, NONE, BETA, SEL | EXP, NULL, false,
     P(SHARE_READ)},
    {PATCH, "/print/printerShares/{shareId}", up_api_share_patch, JSON_KB(64), BETA, 0, NULL, false,
     P(SHARE_UPDATE)},
    {DELETE, "/print/printerShares/{shareId}", up_api_share_delete, NONE, BETA, 0, NULL, false,
     P(SHARE_UPDATE)},
    {GET, "/print/printerShares/{shareId}/printer", up_api_share_printer_get, NONE, BETA, SEL, NULL,
     false, P(PRINTER_READ)},
    /* Who may print to a share (reference 2.3, S6-S11) */
    {GET, "/print/shares/{shareId}/allowedUsers", up_api_share_users_list, NONE, BOTH, 0, NULL,
     false, P(SHARE_MEMBERS_READ)},
    {POST, "/print/shares/{shareId}/allowedUsers/$ref", up_api_share_users_add, JSON_KB(16), BOTH,
     0, NULL, false, P(SHARE_MEMBERS_WRITE)},
    {DELETE, "/print/shares/{shareId}/allowedUsers/{userId}/$ref", up_api_share_users_remove, NONE,
     BOTH, 0, NULL, false, P(SHARE_MEMBERS_WRITE)},
    {GET, "/print/shares/{shareId}/allowedGroups", up_api_share_groups_list, NONE, BOTH, 0, NULL,
     false, P(SHARE_MEMBERS_READ)},
    {POST, "/print/shares/{shareId}/allowedGroups/$ref", up_api_share_groups_add, JSON_KB(16), BOTH,
     0, NULL, false, P(SHARE_MEMBERS_WRITE)},
    {DELETE, "/print/shares/{shareId}/allowedGroups/{groupId}/$ref", up_api_share_groups_remove,
     NONE, BOTH, 0, NULL, false, P(SHARE_MEMBERS_WRITE)},
    /* Print jobs and their documents (reference 2.4, 3.1-3.5, 3.8, 4): under printers and shares */
    {POST, "/print/printers/{printerId}/jobs", up_api_jobs_create, JSON, BOTH, 0, NULL, false,
     P(JOB_CREATE_PRINTER)},
    {GET, "/print/printers/{printerId}/jobs", up_api_jobs_list, NONE, BOTH, SEL | EXP | PAGED, NULL,
     false, P(JOB_READ_PRINTER)},
    {GET, "/print/printers/{printerId}/jobs/{jobId}", up_api_job_get, NONE, BOTH, SEL | EXP, NULL,
     false, P(JOB_READ_PRINTER)},
    {POST, "/print/printers/{printerId}/jobs/{jobId}/start", up_api_job_start, NONE, BOTH, 0, NULL,
     false, P(JOB_START_PRINTER)},
    {POST, "/print/printers/{printerId}/jobs/{jobId}/cancel", up_api_job_cancel, NONE, BOTH, 0,
     NULL, false, P(JOB_CANCEL_PRINTER)},
    {GET, "/print/printers/{printerId}/jobs/{jobId}/documents", up_api_documents_list, NONE, BOTH,
     SEL, NULL, false, P(JOB_CONTENT_PRINTER)},
    {GET, "/print/printers/{printerId}/jobs/{jobId}/documents/{documentId}", up_api_document_get,
     NONE, BOTH, SEL, NULL, false, P(JOB_CONTENT_PRINTER)},
    {POST, "/print/printers/{printerId}/jobs/{jobId}/documents/{documentId}/createUploadSession",
     up_api_upload_create, JSON_KB(16), BOTH, 0, NULL, false, P(JOB_UPLOAD_PRINTER)},
    {GET, "/print/printers/{printerId}/jobs/{jobId}/documents/{documentId}/$value",
     up_api_document_value, NONE, BOTH, 0, NULL, false, P(JOB_CONTENT_PRINTER)},
    {POST, "/print/shares/{shareId}/jobs", up_api_jobs_create, JSON, BOTH, 0, NULL, false,
     P(JOB_CREATE_SHARE)},
    {GET, "/print/shares/{shareId}/jobs", up_api_jobs_list, NONE, BOTH, SEL | EXP | PAGED, NULL,
     false, P(JOB_READ_SHARE)},
    {GET, "/print/shares/{shareId}/jobs/{jobId}", up_api_job_get, NONE, BOTH, SEL | EXP, NULL,
     false, P(JOB_READ_SHARE)},
    {POST, "/print/shares/{shareId}/jobs/{jobId}/start", up_api_job_start, NONE, BOTH, 0, NULL,
     false, P(JOB_START_SHARE)},
    {POST, "/print/shares/{shareId}/jobs/{jobId}/cancel", up_api_job_cancel, NONE, BOTH, 0, NULL,
     false, P(JOB_CANCEL_SHARE)},
    {GET, "/print/shares/{shareId}/jobs/{jobId}/documents", up_api_documents_list, NONE, BOTH, SEL,
     NULL, false, P(JOB_CONTENT_SHARE)},
    {GET, "/print/shares/{shareId}/jobs/{jobId}/documents/{documentId}", up_api_document_get, NONE,
     BOTH, SEL, NULL, false, P(JOB_CONTENT_SHARE)},
    {POST, "/print/shares/{shareId}/jobs/{jobId}/documents/{documentId}/createUploadSession",
     up_api_upload_create, JSON_KB(16), BOTH, 0, NULL, false, P(JOB_UPLOAD_SHARE)},
    {GET, "/print/shares/{shareId}/jobs/{jobId}/documents/{documentId}/$value",
     up_api_document_value, NONE, BOTH, 0, NULL, false, P(JOB_CONTENT_SHARE)},
    {PATCH, "/print/printers/{printerId}/jobs/{jobId}", up_api_job_patch, JSON, BOTH, 0, NULL,
     false, P(JOB_UPDATE)},
    {POST, "/print/printers/{printerId}/jobs/{jobId}/abort", up_api_job_abort, JSON_OPT_KB(16),
     BOTH, 0, NULL, false, P(JOB_ABORT)},
    {POST, "/print/printers/{printerId}/jobs/{jobId}/redirect", up_api_job_redirect, JSON, BOTH, 0,
     NULL, false, P(JOB_REDIRECT)},
    {PATCH, "/print/shares/{shareId}/jobs/{jobId}", up_api_job_patch, JSON, BOTH, 0, NULL, false,
     P(JOB_UPDATE)},
    {POST, "/print/shares/{shareId}/jobs/{jobId}/abort", up_api_job_abort, JSON_OPT_KB(16), BOTH, 0,
     NULL, false, P(JOB_ABORT)},
    {POST, "/print/shares/{shareId}/jobs/{jobId}/redirect", up_api_job_redirect, JSON, BOTH, 0,
     NULL, false, P(JOB_REDIRECT)},
    /* Pull printing (reference 2.5, 3.12, 3.13): definitions, triggers, tasks, and the
     * application's operations on held jobs; /printerBase/jobs/{id}/redirect names a job by id. */
    {POST, "/print/taskDefinitions", up_api_definitions_create, JSON_KB(16), BOTH, 0, NULL, false,
     P(TASK_DEFINITIONS)},
    {GET, "/print/taskDefinitions", up_api_definitions_list, NONE, BOTH, TASKLIST, NULL, false,
     P(TASK_DEFINITIONS)},
    {GET, "/print/taskDefinitions/{taskDefinitionId}", up_api_definition_get, NONE, BOTH, EXP, NULL,
     false, P(TASK_DEFINITIONS)},
    {PATCH, "/print/taskDefinitions/{taskDefinitionId}", up_api_definition_patch, JSON_KB(16), BOTH,
     0, NULL, false, P(TASK_DEFINITIONS)},
    {DELETE, "/print/taskDefinitions/{taskDefinitionId}", up_api_definition_delete, NONE, BOTH, 0,
     NULL, false, P(TASK_DEFINITIONS)},
    {GET, "/print/taskDefinitions/{taskDefinitionId}/tasks", up_api_tasks_list, NONE, BOTH,
     TASKLIST, NULL, false, P(TASK_DEFINITIONS)},
    {GET, "/print/taskDefinitions/{taskDefinitionId}/tasks/{taskId}", up_api_task_get, NONE, BOTH,
     EXP, NULL, false, P(TASK_DEFINITIONS)},
    {PATCH, "/print/taskDefinitions/{taskDefinitionId}/tasks/{taskId}", up_api_task_patch,
     JSON_KB(16), BOTH, 0, NULL, false, P(TASK_DEFINITIONS)},
    {GET, "/print/taskDefinitions/{taskDefinitionId}/tasks/{taskId}/definition",
     up_api_task_definition_get, NONE, BOTH, 0, NULL, false, P(TASK_DEFINITIONS)},
    {GET, "/print/taskDefinitions/{taskDefinitionId}/tasks/{taskId}/trigger",
     up_api_task_trigger_get, NONE, BOTH, 0, NULL, false, P(TASK_DEFINITIONS)},
    {POST, "/print/printers/{printerId}/taskTriggers", up_api_triggers_create, JSON_KB(16), BOTH, 0,
     NULL, false, P(TRIGGER_WRITE)},
    {GET, "/print/printers/{printerId}/taskTriggers", up_api_triggers_list, NONE, BOTH, TASKLIST,
     NULL, false, P(TRIGGER_READ)},
    {GET, "/print/printers/{printerId}/taskTriggers/{taskTriggerId}", up_api_trigger_get, NONE,
     BOTH, EXP, NULL, false, P(TRIGGER_READ)},
    {DELETE, "/print/printers/{printerId}/taskTriggers/{taskTriggerId}", up_api_trigger_delete,
     NONE, BOTH, 0, NULL, false, P(TRIGGER_WRITE)},
    {POST, "/printerBase/jobs/{jobId}/redirect", up_api_job_redirect, JSON, BOTH, 0, NULL, false,
     P(JOB_REDIRECT)},
    /* JSON batching (reference 10.8). The batch body gets --max-json-kb (the column cannot go
     * above it): it carries up to 20 requests whose bodies each keep their own route's limit
     * inside, so a smaller fixed limit would refuse batches of bodies that pass one by one,
     * while the operator's --max-json-kb still bounds the memory one request may take. Every
     * request inside is checked against its own route's permission set. */
    {POST, "/$batch", up_api_batch, JSON, BOTH, 0, NULL, false, P(BATCH)},
    /* This server's own URLs (not Graph): upload and download URLs carry their own token;
     * the control surfaces of the simulated devices and faults need a Printer Administrator. */
    {PUT, "/_uprintd/uploads/{uploadId}", up_api_upload_put, STREAM, ROOT, 0, &up_api_upload_stream,
     true, P(OPEN)},
    {GET, "/_uprintd/uploads/{uploadId}", up_api_upload_get, NONE, ROOT, 0, NULL, true, P(OPEN)},
    {DELETE, "/_uprintd/uploads/{uploadId}", up_api_upload_delete, NONE, ROOT, 0, NULL, true,
     P(OPEN)},
    {GET, "/_uprintd/downloads/{downloadId}", up_api_download_get, NONE, ROOT, 0, NULL, true,
     P(OPEN)},
    {GET, "/_uprintd/printers/{printerId}", up_api_control_get, NONE, ROOT, 0, NULL, false,
     P(DEVICE_CONTROL)},
    {POST, "/_uprintd/printers/{printerId}/hold", up_api_control_hold, NONE, ROOT, 0, NULL, false,
     P(DEVICE_CONTROL)},
    {POST, "/_uprintd/printers/{printerId}/release", up_api_control_release, NONE, ROOT, 0, NULL,
     false, P(DEVICE_CONTROL)},
    {POST, "/_uprintd/printers/{printerId}/complete", up_api_control_complete, JSON_OPT_KB(4), ROOT,
     0, NULL, false, P(DEVICE_CONTROL)},
    {POST, "/_uprintd/printers/{printerId}/fail", up_api_control_fail, JSON_KB(4), ROOT, 0, NULL,
     false, P(DEVICE_CONTROL)},
    /* Simulated faults (resilience.h): server-wide rules that hit Graph requests. */
    {GET, "/_uprintd/faults", up_api_faults_list, NONE, ROOT, 0, NULL, false, P(SERVER_FAULTS)},
    {POST, "/_uprintd/faults", up_api_faults_add, JSON_KB(4), ROOT, 0, NULL, false,
     P(SERVER_FAULTS)},
    {DELETE, "/_uprintd/faults", up_api_faults_clear, NONE, ROOT, 0, NULL, false, P(SERVER_FAULTS)},
    /* Operations (api-ops.c): anonymous, outside /_uprintd so that probes need no prefix. */
    {GET, "/healthz", up_api_healthz, NONE, ROOT, 0, NULL, true, P(PUBLIC)},
    {GET, "/readyz", up_api_readyz, NONE, ROOT, 0, NULL, true, P(PUBLIC)},
    {GET, "/metrics", up_api_metrics, NONE, ROOT, 0, NULL, true, P(PUBLIC)},
    {0, NULL, NULL, 0, 0, 0, 0, NULL, false, 0},
};

/* The one-segment paths of api-ops.c: /healthz, /readyz, /metrics. */
static bool is_ops_path(char **segs, size_t n)
{
  return n == 1 && (up_str_ieq(segs[0], "healthz") || up_str_ieq(segs[0], "readyz") ||
                    up_str_ieq(segs[0], "metrics"));
}

static const char *const method_names[] = {"GET",    "POST", "PATCH",  "PUT",
                                           "DELETE", "HEAD", "OPTIONS"};

const char *up_method_name(up_method_t m)
{
  return m < UP_METHOD_OTHER ? method_names[m] : "OTHER";
}

up_method_t up_method_parse(const char *s)
{
  for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
    if (s && strcmp(s, method_names[i]) == 0)
      return (up_method_t)i;
  return UP_METHOD_OTHER;
}

void up_route_match_fini(up_route_match_t *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->n_segs; i++)
    free(m->segs[i]);
  free(m->path);
  memset(m, 0, sizeof(*m));
}

/* Splits the raw path into decoded segments: the first is the version. A trailing '/' is
 * tolerated. Returns false on a malformed escape or too many segments. */
static bool split_path(const char *raw, char **segs, size_t *n, size_t max)
{
  const char *p = raw;
  *n = 0;
  if (*p == '/')
    p++;
  while (*p) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == 0 && !end)
      break;
    if (*n == max)
      return false;
    if (!(segs[*n] = up_percent_decode(p, len, false)))
      return false;
    (*n)++;
    if (!end)
      break;
    p = end + 1;
  }
  return true;
}

/* Number of pattern segments matching segs; how_many_literal counts the literal ones. Returns
 * the count of leading segments that match (full match when == n and pattern ends). */
static size_t match_pattern(const char *pattern, char **segs, size_t n, up_params_t *params,
                            bool *full, int *literals)
{
  const char *p = pattern;
  size_t i = 0;
  *full = false;
  *literals = 0;
  params->n = 0;
  if (*p == '/')
    p++;
  while (*p) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (i == n)
      return i; /* path shorter than pattern */
    if (p[0] == '{') {
      if (segs[i][0] == '\0')
        return i;
      if (params->n < UP_MAX_PARAMS)
        params->v[params->n++] = segs[i];
    } else {
      if (strlen(segs[i]) != len || !up_str_nieq(p, segs[i], len))
        return i;
      (*literals)++;
    }
    i++;
    if (!end)
      break;
    p = end + 1;
  }
  *full = (i == n);
  return i;
}

up_status_t up_router_match(const up_route_t *routes, const char *raw_path, up_method_t method,
                            up_route_match_t *m, up_error_t *err)
{
  char *all[UP_MAX_SEGMENTS + 1];
  size_t n_all = 0, best_prefix = 0;
  int best_literals = -1;
  bool path_exists = false;
  memset(m, 0, sizeof(*m));
  if (!split_path(raw_path, all, &n_all, UP_MAX_SEGMENTS + 1)) {
    for (size_t i = 0; i < n_all; i++)
      free(all[i]);
    return up_error_set(err, UP_INVALID, "BadRequest",
                        "The request URL is malformed or has too many segments.");
  }
  /* The version segment; this server's own URLs (/_uprintd/...) have none. */
  bool root = (n_all > 0 && up_str_ieq(all[0], "_uprintd")) || is_ops_path(all, n_all);
  if (!root && (n_all == 0 || (!up_str_ieq(all[0], "v1.0") && !up_str_ieq(all[0], "beta")))) {
    up_error_set(err, UP_INVALID, "BadRequest", "Invalid version: '%.64s'. Use v1.0 or beta.",
                 n_all ? all[0] : "");
    for (size_t i = 0; i < n_all; i++)
      free(all[i]);
    return UP_INVALID;
  }
  if (root && n_all > UP_MAX_SEGMENTS) {
    for (size_t i = 0; i < n_all; i++)
      free(all[i]);
    return up_error_set(err, UP_INVALID, "BadRequest", "The request URL has too many segments.");
  }
  if (root) {
    m->version = UP_API_ROOT;
    m->n_segs = n_all;
    memcpy(m->segs, all, n_all * sizeof(char *));
  } else {
    m->version = up_str_ieq(all[0], "beta") ? UP_API_BETA : UP_API_V1;
    free(all[0]);
    m->n_segs = n_all - 1;
    memcpy(m->segs, all + 1, m->n_segs * sizeof(char *));
  }
  /* GUIDs compare case-insensitively, as in Graph: ids are stored lower-case. */
  for (size_t i = 0; i < m->n_segs; i++)
    if (up_uuid_is_valid(m->segs[i]))
      up_ascii_lower(m->segs[i]);
  /* The decoded path after the version, for messages and handlers. */
  size_t plen = 1;
  for (size_t i = 0; i < m->n_segs; i++)
    plen += strlen(m->segs[i]) + 1;
  if (!(m->path = malloc(plen)))
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  m->path[0] = '\0';
  for (size_t i = 0; i < m->n_segs; i++) {
    strcat(m->path, "/");
    strcat(m->path, m->segs[i]);
  }
  /* Best route: full match, right version, right method, most literal segments. */
  for (const up_route_t *r = routes; r->pattern; r++) {
    up_params_t params;
    bool full;
    int literals;
    size_t prefix = match_pattern(r->pattern, m->segs, m->n_segs, &params, &full, &literals);
    if (!(r->versions & m->version))
      continue;
    if (prefix > best_prefix)
      best_prefix = prefix;
    if (!full)
      continue;
    path_exists = true;
    if (r->method != method) {
      m->allowed |= 1u << r->method;
      continue;
    }
    if (literals > best_literals) {
      best_literals = literals;
      m->route = r;
      m->params = params;
    }
  }
  if (m->route)
    return UP_OK;
  if (path_exists)
    return up_error_set(err, UP_METHOD_NOT_ALLOWED, NULL,
                        "The HTTP method '%s' is not allowed for the resource '%.200s'.",
                        up_method_name(method), m->path);
  if (m->n_segs == 0)
    return up_error_set(err, UP_INVALID, "BadRequest", "Resource not found for the segment '%s'.",
                        up_api_version_name(m->version));
  return up_error_set(err, UP_INVALID, "BadRequest", "Resource not found for the segment '%.128s'.",
                      m->segs[best_prefix < m->n_segs ? best_prefix : m->n_segs - 1]);
}
