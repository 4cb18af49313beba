/* model.h - JSON <-> stored objects for printers, shares and operations (model layer: jansson
 * is used here and in response.c only; handlers hold json_t pointers opaquely).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_MODEL_H
#define UPRINTD_MODEL_H

#include "uprintd/app.h"
#include "uprintd/objects.h"
#include "uprintd/query.h"
#include "uprintd/resilience.h"

struct json_t;

/** Which optional parts to render. */
enum {
  UP_RENDER_DEFAULTS = 1u << 0,     /**< include defaults (single GET, not lists) */
  UP_RENDER_CAPABILITIES = 1u << 1, /**< include capabilities (only when $select'ed) */
};

/** Checks $select against type ("printer", "printerShare"): UP_INVALID naming an unknown
 *  property. Returns the render flags implied by the selection (capabilities when selected). */
up_status_t up_model_check_select(const up_app_t *app, const char *type, const up_query_t *q,
                                  up_api_version_t ver, unsigned *flags, up_error_t *err);

/** Keeps only the $select'ed properties of obj (no-op without $select). */
void up_model_apply_select(struct json_t *obj, const up_query_t *q);

/** Writes the @odata.context for an entity of collection set ("print/printers") under q's
 *  selection: "print/printers/$entity" or "print/printers(id,displayName)/$entity". */
void up_model_entity_context(const char *set, const up_query_t *q, char *out, size_t outlen);

/** Renders a printer / share / operation (new reference; NULL on allocation failure). */
struct json_t *up_printer_render(const up_printer_t *p, unsigned flags);
struct json_t *up_share_render(const up_share_t *s, unsigned flags);

/** The member a `$ref` body names: {"@odata.id": ".../users/{id}"} (groups/{id} for groups;
 *  directoryObjects/{id} too), absolute or relative. */
up_status_t up_member_from_ref(const struct json_t *body, up_member_kind_t kind,
                               char out[UP_ID_SIZE], up_error_t *err);

/** An allowed user or group as Graph shows it in allowedUsers / allowedGroups. */
struct json_t *up_member_render(const up_member_t *m, up_member_kind_t kind);
struct json_t *up_operation_render(const up_operation_t *op, const up_printer_t *printer);

/** Validates a printers/create body and fills p (registration) — the caller sets ids, tenant,
 *  times and the registering caller. */
up_status_t up_printer_from_create(const up_app_t *app, const struct json_t *body,
                                   up_api_version_t ver, up_printer_t *p, up_error_t *err);

/** Default printerStatus, printerCapabilities and printerDefaults JSON text of a new printer's
 *  simulated device (new strings). */
char *up_printer_default_status(void);
char *up_printer_default_capabilities(void);
char *up_printer_default_defaults(void);

/** Validates a PATCH body for printer p (is_app: application caller) and applies it to p.
 *  Delegated callers may change displayName, location and defaults; applications also
 *  manufacturer, model, isAcceptingJobs, status and capabilities. Complex values (location,
 *  defaults, capabilities) merge member by member; status is replaced whole. */
up_status_t up_printer_apply_patch(const up_app_t *app, const struct json_t *body,
                                   up_api_version_t ver, bool is_app, up_printer_t *p,
                                   up_error_t *err);

/** Validates a share create body: fills s->display_name, allow_all_users and s->printer_id
 *  (from printer@odata.bind). */
up_status_t up_share_from_create(const up_app_t *app, const struct json_t *body,
                                 up_api_version_t ver, up_share_t *s, up_error_t *err);

/** Validates a share PATCH body and applies it to s (displayName, allowAllUsers,
 *  printer@odata.bind). */
up_status_t up_share_apply_patch(const up_app_t *app, const struct json_t *body,
                                 up_api_version_t ver, up_share_t *s, up_error_t *err);

/** Extracts the id of an @odata.bind value naming an entity of collection ("print/printers",
 *  "print/taskDefinitions"): an absolute or relative URL ending in COLLECTION/{id}, optionally
 *  with a version segment. False when it is not one. */
bool up_model_bind_id(const char *url, const char *collection, char out[UP_ID_SIZE]);

/** Extracts the printer id of a printer@odata.bind value: an absolute or relative URL ending in
 *  print/printers/{id} (optionally with a version segment). False when it is not one. */
bool up_model_bind_printer_id(const char *url, char out[UP_ID_SIZE]);

/** Parses JSON text of a request body. UP_INVALID with a message naming line, column and
 *  position when malformed or when it is not an object. *out is a new reference. */
up_status_t up_json_parse_body(const char *data, size_t len, struct json_t **out, up_error_t *err);

/** A navigation property $expand may name, and the render flag it sets. */
typedef struct up_nav {
  const char *name;
  unsigned flag;
} up_nav_t;

/** Render flags of expanded navigations beyond a job's (printer shares, share printer, task
 *  definition and trigger, definition tasks). */
enum {
  UP_RENDER_SHARES = 1u << 4,
  UP_RENDER_PRINTER = 1u << 5,
  UP_RENDER_DEFINITION = 1u << 6,
  UP_RENDER_TRIGGER = 1u << 7,
  UP_RENDER_DEF_TASKS = 1u << 8,
};

/** Checks $expand against the navigations of type (NULL-name-terminated navs) and sets their
 *  flags; an unknown one is 400 naming it and the ones that expand. */
up_status_t up_model_check_expand(const up_query_t *q, const char *type, const up_nav_t *navs,
                                  unsigned *flags, up_error_t *err);

/** JSON null (for an expanded navigation that has no target). */
struct json_t *up_model_null(void);

/** Sets obj's member name to value (taken, also on failure); false on failure. */
bool up_model_attach(struct json_t *obj, const char *name, struct json_t *value);

/** Releases a JSON value (NULL ok). */
void up_json_free(struct json_t *v);

/* --- print jobs, documents, uploads (model-job.c) --- */

enum {
  UP_RENDER_DOCUMENTS = 1u << 2, /**< include a job's documents ($expand=documents, create) */
  UP_RENDER_TASKS = 1u << 3,     /**< include a job's tasks ($expand=tasks) */
};

/** Validates a job create body ({"configuration": {...}} and nothing else; every member of the
 *  configuration optional and nullable; @odata.type annotations tolerated and dropped) and sets
 *  j->configuration_json. Refusals name the property path (configuration.copies) and, for
 *  enums, the allowed values; bounds: copies >= 1, dpi > 0, pagesPerSheet >= 1, pageRanges with
 *  1 <= start <= end, margins >= 0. */
up_status_t up_job_from_create(const up_app_t *app, const struct json_t *body, up_api_version_t ver,
                               up_job_t *j, up_error_t *err);

/** Validates a printJobConfiguration value alone (path names it, e.g. "configuration") and
 *  returns its canonical JSON text without annotations (new string) in *out. */
up_status_t up_job_configuration_check(const up_app_t *app, const struct json_t *config,
                                       up_api_version_t ver, const char *path, char **out,
                                       up_error_t *err);

/** Renders a job (flags: UP_RENDER_DOCUMENTS), its status alone, its document. */
struct json_t *up_job_render(const up_job_t *j, up_api_version_t ver, unsigned flags);
struct json_t *up_job_status_render(const up_job_t *j);
struct json_t *up_document_render(const up_document_t *d);

/** The printDocument answered when an upload completes: also documentName (reference 4.2). */
struct json_t *up_document_render_uploaded(const up_document_t *d, const char *document_name);

/** Renders a job with its tasks (UP_RENDER_TASKS; tasks may be NULL for none). */
struct json_t *up_job_render_with_tasks(const up_job_t *j, up_api_version_t ver, unsigned flags,
                                        const up_task_list_t *tasks);

/** Checks $expand of a job request: documents and tasks. Sets UP_RENDER_DOCUMENTS/TASKS. */
up_status_t up_job_check_expand(const up_query_t *q, unsigned *flags, up_error_t *err);

/** Validates a createUploadSession body: {"properties": {documentName, contentType, size}}, all
 *  required. Fills name and content type (new strings) and size. */
up_status_t up_upload_properties_from_body(const up_app_t *app, const struct json_t *body,
                                           up_api_version_t ver, char **name, char **content_type,
                                           int64_t *size, up_error_t *err);

/** True when printer p accepts content_type (its capabilities.contentTypes; the simulated
 *  device's list when it has none), compared case-insensitively. */
bool up_printer_accepts(const up_printer_t *p, const char *content_type);

/** An uploadSession: {expirationDateTime, nextExpectedRanges} and uploadUrl when url is not
 *  NULL. holes: the missing ranges (closed "a-b" strings are made from them). */
struct json_t *up_upload_session_render(const char *url, up_time_t expires_at, const int64_t *holes,
                                        size_t n_holes);

/** The state of a printer's simulated device (control surface): printerId, held, stopped,
 *  currentJobId (string or null), queue (job ids as strings). */
struct json_t *up_model_device_render(const char *printer_id, bool held, bool stopped,
                                      int64_t current_job, const int64_t *queue, size_t n);

/** UP_INVALID naming the first member of obj that allowed (NULL-terminated) does not list. */
up_status_t up_model_only(const struct json_t *obj, const char *const *allowed, up_error_t *err);

/** Reads an optional string member (NULL when absent or null; UP_INVALID when another type). */
up_status_t up_model_get_string(const struct json_t *obj, const char *name, const char **out,
                                up_error_t *err);

/** Reads an optional integer member within [min, max]; *present tells whether it was given. */
up_status_t up_model_get_int(const struct json_t *obj, const char *name, int64_t min, int64_t max,
                             bool *present, int64_t *out, up_error_t *err);

/* --- pull printing (model-task.c) --- */

struct json_t *up_task_definition_render(const up_task_definition_t *d);
struct json_t *up_task_trigger_render(const up_task_trigger_t *t);
struct json_t *up_task_render(const up_task_t *t);

/** Graph name of a task state. */
const char *up_task_state_name(up_task_state_t st);

/** A definition's create body: displayName (required) and createdBy.displayName; fills d. */
up_status_t up_task_definition_from_create(const up_app_t *app, const struct json_t *body,
                                           up_api_version_t ver, up_task_definition_t *d,
                                           up_error_t *err);

/** A definition's PATCH body (displayName, createdBy.displayName), applied to d. */
up_status_t up_task_definition_apply_patch(const up_app_t *app, const struct json_t *body,
                                           up_api_version_t ver, up_task_definition_t *d,
                                           up_error_t *err);

/** A trigger's create body: event jobStarted and definition@odata.bind; fills t->definition_id. */
up_status_t up_task_trigger_from_create(const up_app_t *app, const struct json_t *body,
                                        up_api_version_t ver, up_task_trigger_t *t,
                                        up_error_t *err);

/** A task's PATCH body: {"status": {"state": completed|aborted, "description": ...}}. *description
 *  points into body. */
up_status_t up_task_status_from_patch(const up_app_t *app, const struct json_t *body,
                                      up_api_version_t ver, up_task_state_t *state,
                                      const char **description, up_error_t *err);

/** A job PATCH body ({"configuration": {...}} only): the configuration merged member by member
 *  into current (JSON text), validated as on create. *out: new text. */
up_status_t up_job_configuration_patch(const up_app_t *app, const struct json_t *body,
                                       up_api_version_t ver, const char *current, char **out,
                                       up_error_t *err);

/** A redirect body: destinationPrinterId (required, a GUID, lower-cased into dest) and an
 *  optional configuration (validated; *configuration new text, or NULL when absent). */
up_status_t up_job_redirect_from_body(const up_app_t *app, const struct json_t *body,
                                      up_api_version_t ver, char dest[UP_ID_SIZE],
                                      char **configuration, up_error_t *err);

/** An abort body: optional {"reason": string}; *reason points into body (NULL when absent). */
up_status_t up_job_abort_from_body(const struct json_t *body, const char **reason, up_error_t *err);

/* --- JSON batching (model-batch.c) --- */

/** The most requests a batch may hold (Graph's limit). */
#define UP_BATCH_MAX 20

typedef struct up_batch_header {
  char *name;
  char *value;
} up_batch_header_t;

/** One request of a batch, as sent (owned strings). */
typedef struct up_batch_request {
  char *id;                   /**< non-empty, unique within the batch */
  up_method_t method;         /**< GET, POST, PATCH, PUT or DELETE */
  char *url;                  /**< as sent: judged when the request runs */
  up_batch_header_t *headers; /**< its headers (Content-Type when there is a body) */
  size_t n_headers;
  char *body; /**< the body as JSON text, or NULL for none */
  size_t body_len;
  size_t depends[UP_BATCH_MAX]; /**< indices of the requests it depends on (no repeats) */
  size_t n_depends;
} up_batch_request_t;

/** A parsed batch: its requests in batch order and the order to run them in. */
typedef struct up_batch {
  up_batch_request_t *requests;
  size_t n;
  size_t order[UP_BATCH_MAX]; /**< indices: each request after those it depends on */
} up_batch_t;

/** Reads a batch body ({"requests": [...]}): 1 to UP_BATCH_MAX requests, each with a unique
 *  non-empty string id, a method of GET/POST/PATCH/PUT/DELETE (any case), a non-empty url,
 *  optional headers (an object of strings; Content-Type required with a body), an optional body
 *  (any JSON value) and optional dependsOn (ids of other requests of the batch, no cycle).
 *  Anything else is UP_INVALID (code BadRequest) naming the member and the problem. out is
 *  always up_batch_fini-able. */
up_status_t up_batch_from_body(const struct json_t *body, up_batch_t *out, up_error_t *err);

void up_batch_fini(up_batch_t *b);

/** The answer to one request of a batch, as the pipeline produced it (borrowed). */
typedef struct up_batch_answer {
  const char *id;
  int status;
  const char *const *header_names; /**< n_headers names and values */
  const char *const *header_values;
  size_t n_headers;
  const char *body; /**< NULL (or empty) for none */
  size_t body_len;
} up_batch_answer_t;

/** {"id", "status", "headers": {...}, "body"}: a JSON body (by its Content-Type) embedded as
 *  JSON, other text as a string, bytes that are not UTF-8 as base64; no body, no member. NULL
 *  on allocation failure. */
struct json_t *up_batch_response_render(const up_batch_answer_t *a);

/** {"responses": [...]} of n responses (each taken, and set to NULL; a NULL one fails the
 *  whole). NULL on allocation failure. */
struct json_t *up_batch_render(struct json_t **responses, size_t n);

/* --- simulated faults (model-fault.c) --- */

/** Parses the body of POST /_uprintd/faults into rule: status (429, 503, 504), count (1..10^6)
 *  or fraction (0 < f <= 1), path (a glob; default UP_FAULT_DEFAULT_PATH, every path), retryAfter
 * (0..3600; default 1 with 429 and 503, none with 504), latencyMs (0..30000); null is the same as
 * absent. UP_INVALID naming the member (err->target) for an unknown member, a wrong type, a value
 * out of range, a bad glob, count and fraction both or neither, neither status nor latencyMs. */
up_status_t up_fault_from_body(const struct json_t *body, up_fault_rule_t *rule, up_error_t *err);

/** A rule as GET /_uprintd/faults shows it: the members of the body, every one present (null
 *  when not set); count is what is left. */
struct json_t *up_fault_render(const up_fault_rule_t *rule);
#endif
