/* api.h - the request handlers named in the route table (router.c).
 * Each implements one Graph operation; see the route table for method and path.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_API_H
#define UP_API_H

#include "uprintd/app.h"
#include "uprintd/http.h"

#define UP_HANDLER(name)                                                                           \
  up_status_t name(up_app_t *app, const up_request_t *req, up_response_t *resp, up_error_t *err)

/* api-printers.c */
UP_HANDLER(up_api_printers_create);
UP_HANDLER(up_api_printers_list);
UP_HANDLER(up_api_printer_get);
UP_HANDLER(up_api_printer_patch);
UP_HANDLER(up_api_printer_delete);
UP_HANDLER(up_api_printer_restore_defaults);
UP_HANDLER(up_api_printer_shares_list);
UP_HANDLER(up_api_printer_share_get);
UP_HANDLER(up_api_printer_share_single);

/* api-jobs.c */
UP_HANDLER(up_api_jobs_create);
UP_HANDLER(up_api_jobs_list);
UP_HANDLER(up_api_job_get);
UP_HANDLER(up_api_job_start);
UP_HANDLER(up_api_job_cancel);
UP_HANDLER(up_api_documents_list);
UP_HANDLER(up_api_document_get);
UP_HANDLER(up_api_upload_create);
UP_HANDLER(up_api_document_value);

/* api-uploads.c: the upload and download URLs (not Graph: this server's own) */
extern const up_stream_ops_t up_api_upload_stream;
UP_HANDLER(up_api_upload_put);
UP_HANDLER(up_api_upload_get);
UP_HANDLER(up_api_upload_delete);
UP_HANDLER(up_api_download_get);

/** Creates and frees the registry of uploads in flight (app->uploads). */
up_status_t up_uploads_new(struct up_uploads **out, up_error_t *err);
void up_uploads_free(struct up_uploads *u);

/** Deletes expired upload sessions and spool files without a session. */
void up_api_uploads_housekeeping(up_app_t *app);
/** At start, before any request: finishes what a stop left between publishing an upload's
 *  content and recording it, and removes document files no document names. */
void up_api_uploads_recover(up_app_t *app);

/* api-control.c: the simulated devices' control surface (not Graph) */
UP_HANDLER(up_api_control_get);
UP_HANDLER(up_api_control_hold);
UP_HANDLER(up_api_control_release);
UP_HANDLER(up_api_control_complete);
UP_HANDLER(up_api_control_fail);

/* api-faults.c: the simulated faults' control surface (not Graph) */
UP_HANDLER(up_api_faults_list);
UP_HANDLER(up_api_faults_add);
UP_HANDLER(up_api_faults_clear);
UP_HANDLER(up_api_healthz);
UP_HANDLER(up_api_readyz);
UP_HANDLER(up_api_metrics);

/* api-tasks.c: pull printing */
UP_HANDLER(up_api_definitions_create);
UP_HANDLER(up_api_definitions_list);
UP_HANDLER(up_api_definition_get);
UP_HANDLER(up_api_definition_patch);
UP_HANDLER(up_api_definition_delete);
UP_HANDLER(up_api_tasks_list);
UP_HANDLER(up_api_task_get);
UP_HANDLER(up_api_task_patch);
UP_HANDLER(up_api_task_definition_get);
UP_HANDLER(up_api_task_trigger_get);
UP_HANDLER(up_api_triggers_create);
UP_HANDLER(up_api_triggers_list);
UP_HANDLER(up_api_trigger_get);
UP_HANDLER(up_api_trigger_delete);
/** Aborts the jobs of tasks not completed within --task-timeout-s. */
void up_api_tasks_housekeeping(up_app_t *app);

/* api-jobs.c: the application's operations on held jobs */
UP_HANDLER(up_api_job_patch);
UP_HANDLER(up_api_job_abort);
UP_HANDLER(up_api_job_redirect);

/* api-batch.c: JSON batching (POST /{version}/$batch) */
UP_HANDLER(up_api_batch);

/* api-print.c */
UP_HANDLER(up_api_operations_list);
UP_HANDLER(up_api_operations_count);
UP_HANDLER(up_api_operation_get);
UP_HANDLER(up_api_operation_printer_get);

/* api-shares.c */
UP_HANDLER(up_api_shares_create);
UP_HANDLER(up_api_shares_list);
UP_HANDLER(up_api_share_get);
UP_HANDLER(up_api_share_patch);
UP_HANDLER(up_api_share_delete);
UP_HANDLER(up_api_share_printer_get);
UP_HANDLER(up_api_share_users_list);
UP_HANDLER(up_api_share_groups_list);
UP_HANDLER(up_api_share_users_add);
UP_HANDLER(up_api_share_groups_add);
UP_HANDLER(up_api_share_users_remove);
UP_HANDLER(up_api_share_groups_remove);

/** Whether the caller may print to share s: allowAllUsers, or the user (oid) or one of the
 *  token's groups among its allowed members (reference 2.3). False with err set (403, or the
 *  store's failure) otherwise. Applications and `--permissions off` are not checked. */
bool up_api_share_admits(up_app_t *app, const up_request_t *req, const up_share_t *s,
                         up_error_t *err);

/* api-common.c: helpers shared by the handlers. */

/** The caller's tenant. */
const char *up_api_tenant(const up_request_t *req);

/** Answers status with obj (taken) as an entity of set ("print/printers"): applies $select and
 *  writes the matching @odata.context. */
up_status_t up_api_entity(up_app_t *app, const up_request_t *req, up_response_t *resp, int status,
                          const char *set, struct json_t *obj);

/** A growing JSON array for collection answers. */
struct json_t *up_api_array(void);
/** Appends item (taken) to arr after applying $select; false on failure. */
bool up_api_array_add(struct json_t *arr, struct json_t *item, const up_query_t *q);

/** Answers a collection (items taken) with context set, "(select list)" appended to it. */
up_status_t up_api_collection(up_app_t *app, const up_request_t *req, up_response_t *resp,
                              const char *set, struct json_t *items);

/** Renders one stored object (an up_printer_t, up_share_t, ...) with render flags; ctx is the
 *  handler's, passed through. */
typedef struct json_t *(*up_render_fn)(const void *item, unsigned flags, void *ctx);

/** Answers a collection of count items of size bytes each, rendered with render and flags,
 *  $select applied, under context set. */
up_status_t up_api_reply_list(up_app_t *app, const up_request_t *req, up_response_t *resp,
                              const char *set, const void *items, size_t count, size_t size,
                              up_render_fn render, unsigned flags, void *ctx, up_error_t *err);

/** Answers one page of collection coll within scope (see up_store_query) with the request's
 *  $filter, $orderby, $top, $skip, $skiptoken and $count: items rendered with render and flags,
 *  $select applied, under context set; @odata.count with $count=true; @odata.nextLink (the
 *  request's options and an opaque $skiptoken) when another page follows. */
up_status_t up_api_list(up_app_t *app, const up_request_t *req, up_response_t *resp, up_coll_t coll,
                        const char *const *scope, int n_scope, const char *set, up_render_fn render,
                        unsigned flags, void *ctx, up_error_t *err);

/** Answers the number of rows of collection coll within scope that the request's $filter
 *  keeps, as text/plain (a collection's /$count). */
up_status_t up_api_count(up_app_t *app, const up_request_t *req, up_response_t *resp,
                         up_coll_t coll, const char *const *scope, int n_scope, up_error_t *err);

/** 204 when st is UP_OK (a delete or an action without a body), else the Graph error of st
 *  (404 naming what and id for UP_NOT_FOUND). */
up_status_t up_api_no_content(up_status_t st, up_response_t *resp, up_error_t *err,
                              const char *what, const char *id);

/** Turns a store UP_NOT_FOUND into a Graph 404 naming what was missing; passes other statuses. */
up_status_t up_api_not_found(up_status_t st, up_error_t *err, const char *what, const char *id);

/** Out of memory while building an answer. */
up_status_t up_api_nomem(up_error_t *err);

/** Renders an up_share_t (api-shares.c). */
struct json_t *up_api_render_share(const void *item, unsigned flags, void *ctx);

/** The render flags of a share request: $select and $expand (printer) checked. */
up_status_t up_api_share_flags(up_app_t *app, const up_request_t *req, unsigned *flags,
                               up_error_t *err);

/** Answers printer id as a printer entity (200), honouring $select (api-printers.c). */
up_status_t up_api_reply_printer(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                 const char *id, up_error_t *err);

#endif
