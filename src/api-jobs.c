/* api-jobs.c - print jobs and their documents under /print/printers/{id}/jobs and
 * /print/shares/{id}/jobs: create, list, get, start, cancel, documents, createUploadSession,
 * $value (reference 2.4, 3.1-3.5, 3.8, 4.3). One job, one id, whichever path names it: a
 * share's jobs are the jobs of its printer.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/job.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a $value download URL stays valid. */
#define DOWNLOAD_TTL_S 600

/* The queue a request names: a printer, directly or through a share. */
typedef struct queue {
  up_printer_t printer;
  char set[128];    /* @odata.context prefix: print/printers('{id}') or print/shares('{id}') */
  up_share_t share; /* through a share: its id, tenant and allowAllUsers (no strings) */
} queue_t;

static up_status_t find_queue(up_app_t *app, const up_request_t *req, queue_t *q, up_error_t *err)
{
  const char *id = req->params.v[0];
  bool share = !up_str_nieq(req->path, "/print/printers/", 16), all = true;
  memset(q, 0, sizeof(*q));
  /* Only the printer's id is read (every job request needs it; createUploadSession reads the
   * whole printer itself for its content types). */
  up_status_t st = up_api_not_found(
      up_store_queue_of(app->store, up_api_tenant(req), share, id, q->printer.id, &all, err), err,
      share ? "share" : "printer", id);
  if (st != UP_OK)
    return st;
  if (share) {
    up_strlcpy(q->share.id, id, sizeof(q->share.id));
    up_ascii_lower(q->share.id);
    up_strlcpy(q->share.tenant_id, up_api_tenant(req), sizeof(q->share.tenant_id));
    q->share.allow_all_users = all;
    snprintf(q->set, sizeof(q->set), "print/shares('%s')", q->share.id);
  } else {
    snprintf(q->set, sizeof(q->set), "print/printers('%s')", q->printer.id);
  }
  return UP_OK;
}

/* A job id from the URL: decimal digits. Anything else names no job. */
static bool parse_job_id(const char *s, int64_t *out)
{
  int64_t v = 0;
  if (!s || !*s || strlen(s) > 18 || s[0] == '0')
    return false; /* ids are written without leading zeros: "01" names no job */
  for (const char *p = s; *p; p++) {
    if (!isdigit((unsigned char)*p))
      return false;
    v = v * 10 + (*p - '0');
  }
  *out = v;
  return v > 0;
}

/* Whose jobs the caller reaches: NULL for every user's (an application, a Printer Administrator
 * with a .All scope), else the signed-in user's own (reference 11.2, "own vs all"). */
static const char *job_owner_filter(const up_request_t *req)
{
  return req->all_jobs || !req->principal ? NULL : req->principal->oid;
}

/* Reads job id of the tenant (in printer_id's queue unless NULL) as the caller may see it:
 * another user's job is as absent as one that does not exist. */
static up_status_t get_visible_job(up_app_t *app, const up_request_t *req, const char *printer_id,
                                   int64_t id, const char *shown, up_job_t *j, up_error_t *err)
{
  const char *owner = job_owner_filter(req);
  up_status_t st = up_store_job_get(app->store, up_api_tenant(req), printer_id, id, j, err);
  if (st == UP_OK && owner && strcmp(j->created_by_id, owner) != 0) {
    up_job_fini(j);
    memset(j, 0, sizeof(*j));
    st = UP_NOT_FOUND;
  }
  return up_api_not_found(st, err, "print job", shown);
}

/* The job the URL names, in the queue the URL names. */
static up_status_t find_job(up_app_t *app, const up_request_t *req, queue_t *q, up_job_t *j,
                            up_error_t *err)
{
  int64_t id;
  up_status_t st = find_queue(app, req, q, err);
  memset(j, 0, sizeof(*j));
  if (st != UP_OK)
    return st;
  if (!parse_job_id(req->params.v[1], &id))
    return up_error_set(err, UP_NOT_FOUND, NULL, "The print job '%.32s' was not found.",
                        req->params.v[1]);
  return get_visible_job(app, req, q->printer.id, id, req->params.v[1], j, err);
}

/* The document the URL names (params[2]) of a job. */
static up_status_t check_document(const up_request_t *req, const up_job_t *j, up_error_t *err)
{
  if (!up_str_ieq(j->document.id, req->params.v[2]))
    return up_error_set(err, UP_NOT_FOUND, NULL, "The document '%.64s' was not found.",
                        req->params.v[2]);
  return UP_OK;
}

/* Renders a job with what flags ask for; its tasks are read when $expand=tasks. */
static struct json_t *render_job(up_app_t *app, const up_job_t *j, up_api_version_t ver,
                                 unsigned flags)
{
  up_task_list_t tasks = {0};
  if ((flags & UP_RENDER_TASKS) &&
      up_store_task_list_for_job(app->store, j->tenant_id, j->id, &tasks, NULL) != UP_OK)
    return NULL;
  struct json_t *o = up_job_render_with_tasks(j, ver, flags, &tasks);
  up_task_list_fini(&tasks);
  return o;
}

static up_status_t reply_job(up_app_t *app, const up_request_t *req, up_response_t *resp,
                             int status, const queue_t *q, const up_job_t *j, unsigned flags,
                             up_error_t *err)
{
  char set[160];
  snprintf(set, sizeof(set), "%s/jobs", q->set);
  return up_api_entity(app, req, resp, status, set, render_job(app, j, req->version, flags)) ==
                 UP_OK
             ? UP_OK
             : up_api_nomem(err);
}

/* --job-quota: a user may create so many jobs in so many days (Graph: about 10,000 in 12);
 * beyond, 429 quotaLimitReached with Retry-After until the oldest of them leaves the window.
 * Applications have no quota. */
static up_status_t check_job_quota(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                   up_error_t *err)
{
  const up_principal_t *who = req->principal;
  const up_config_t *cfg = &app->config;
  if (!cfg->job_quota || !who || who->is_app || !who->oid[0])
    return UP_OK;
  up_time_t window = (up_time_t)cfg->job_quota_days * 86400 * UP_TIME_TICKS_PER_SECOND;
  up_time_t now = up_time_now(), oldest;
  int64_t count;
  up_status_t st = up_store_job_quota(app->store, up_api_tenant(req), who->oid, now - window,
                                      cfg->job_quota, &count, &oldest, err);
  if (st != UP_OK || count < (int64_t)cfg->job_quota)
    return st;
  int64_t wait = oldest > 0 ? (oldest + window - now) / UP_TIME_TICKS_PER_SECOND + 1 : 1;
  char seconds[24];
  snprintf(seconds, sizeof(seconds), "%lld", (long long)(wait > 0 ? wait : 1));
  up_response_header(resp, "Retry-After", seconds);
  return up_error_set(err, UP_QUOTA, NULL,
                      "You have created %u print jobs in the last %u days, the most allowed; "
                      "more can be created in %s seconds.",
                      cfg->job_quota, cfg->job_quota_days, seconds);
}

UP_HANDLER(up_api_jobs_create)
{
  queue_t q;
  up_job_t j;
  char link[1024];
  up_status_t st;
  memset(&j, 0, sizeof(j));
  if ((st = find_queue(app, req, &q, err)) != UP_OK)
    goto out;
  /* Printing through a share: the share must admit the user (reference 2.3). */
  if (q.share.id[0] && !up_api_share_admits(app, req, &q.share, err)) {
    st = err->status;
    goto out;
  }
  if ((st = up_job_from_create(app, req->body, req->version, &j, err)) ||
      (st = check_job_quota(app, req, resp, err)) != UP_OK)
    goto out;
  const up_principal_t *who = req->principal;
  up_strlcpy(j.tenant_id, up_api_tenant(req), sizeof(j.tenant_id));
  up_strlcpy(j.printer_id, q.printer.id, sizeof(j.printer_id));
  if (!who->is_app)
    up_strlcpy(j.created_by_id, who->oid, sizeof(j.created_by_id));
  j.created_by_name = up_strdup(who->name);
  j.created_by_upn = up_strdup(who->upn);
  j.created_by_app = up_strdup(who->app_id);
  j.created_at = up_time_now();
  j.state = UP_JOB_PAUSED;
  j.details = UP_JOB_DETAIL_UPLOAD_PENDING;
  /* One empty document per job (reference 3.1). */
  up_uuid_new(j.document.id);
  j.document.display_name = strdup("");
  j.document.content_type = strdup("");
  if ((who->name && !j.created_by_name) || (who->upn && !j.created_by_upn) ||
      (who->app_id && !j.created_by_app) || !j.document.display_name || !j.document.content_type) {
    st = up_api_nomem(err);
    goto out;
  }
  if ((st = up_store_job_create(app->store, &j, err)) != UP_OK ||
      (st = reply_job(app, req, resp, 201, &q, &j, UP_RENDER_DOCUMENTS, err)) != UP_OK)
    goto out;
  snprintf(link, sizeof(link), "%s/%s%s/%lld", app->base_url, up_api_version_name(req->version),
           req->path, (long long)j.id);
  up_response_header(resp, "Location", link);
out:
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

typedef struct list_ctx {
  up_app_t *app;
  up_api_version_t ver;
} list_ctx_t;

static struct json_t *render_job_item(const void *item, unsigned flags, void *ctx)
{
  list_ctx_t *c = ctx;
  return render_job(c->app, item, c->ver, flags);
}

UP_HANDLER(up_api_jobs_list)
{
  queue_t q;
  unsigned flags = 0, ignored;
  char set[160];
  list_ctx_t ctx = {app, req->version};
  up_status_t st;
  if ((st = up_model_check_select(app, "printJob", req->query, req->version, &ignored, err)) ==
          UP_OK &&
      (st = up_job_check_expand(req->query, &flags, err)) == UP_OK &&
      (st = find_queue(app, req, &q, err)) == UP_OK) {
    /* A user without a .All scope lists the jobs the user created (in SQL). */
    const char *scope[] = {up_api_tenant(req), q.printer.id, job_owner_filter(req)};
    snprintf(set, sizeof(set), "%s/jobs", q.set);
    st =
        up_api_list(app, req, resp, UP_COLL_JOBS, scope, 3, set, render_job_item, flags, &ctx, err);
    up_printer_fini(&q.printer);
  }
  return st;
}

UP_HANDLER(up_api_job_get)
{
  queue_t q;
  up_job_t j;
  unsigned flags = 0, ignored;
  up_status_t st;
  if ((st = up_model_check_select(app, "printJob", req->query, req->version, &ignored, err)) !=
          UP_OK ||
      (st = up_job_check_expand(req->query, &flags, err)) != UP_OK)
    return st;
  if ((st = find_job(app, req, &q, &j, err)) == UP_OK)
    st = reply_job(app, req, resp, 200, &q, &j, flags, err);
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

/* Applies ev to the job the URL names; *out (zeroed first) receives the job as written. */
static up_status_t act(up_app_t *app, const up_request_t *req, up_job_event_t ev, up_job_t *out,
                       up_error_t *err)
{
  queue_t q;
  up_job_t j;
  up_status_t st = find_job(app, req, &q, &j, err);
  memset(out, 0, sizeof(*out));
  if (st == UP_OK)
    st = up_job_apply(app->store, j.tenant_id, j.id, ev, NULL, out, err);
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

/* The canonical URL of a job: its printer's path in v1.0 (task parentUrl, redirect links). */
static void job_url(const up_app_t *app, const char *printer_id, int64_t id, char *out, size_t len)
{
  snprintf(out, len, "%s/v1.0/print/printers/%s/jobs/%lld", app->base_url, printer_id,
           (long long)id);
}

UP_HANDLER(up_api_job_start)
{
  queue_t q;
  up_job_t j, done;
  up_task_trigger_t trigger;
  up_task_t task;
  char url[1200];
  memset(&task, 0, sizeof(task));
  memset(&done, 0, sizeof(done));
  up_status_t st = find_job(app, req, &q, &j, err);
  if (st != UP_OK)
    goto out;
  /* A trigger on the printer holds the job with a new task (reference 6). */
  st = up_store_task_trigger_of_printer(app->store, j.tenant_id, j.printer_id, &trigger, err);
  if (st == UP_OK) {
    up_uuid_new(task.id);
    up_strlcpy(task.tenant_id, j.tenant_id, sizeof(task.tenant_id));
    up_strlcpy(task.definition_id, trigger.definition_id, sizeof(task.definition_id));
    up_strlcpy(task.trigger_id, trigger.id, sizeof(task.trigger_id));
    task.job_id = j.id;
    job_url(app, j.printer_id, j.id, url, sizeof(url));
    task.parent_url = url;
    task.state = UP_TASK_PROCESSING;
    task.description = "The task is being processed.";
    task.created_at = up_time_now();
    up_job_event_args_t args = {.create_task = &task};
    st = up_job_apply(app->store, j.tenant_id, j.id, UP_JOB_EV_START_HELD, &args, &done, err);
  } else if (st == UP_NOT_FOUND) {
    /* The device takes it now when it is free, so that the answer says processing. */
    if ((st = up_job_apply(app->store, j.tenant_id, j.id, UP_JOB_EV_START, NULL, NULL, err)) ==
        UP_OK) {
      up_devices_kick(app->devices, j.printer_id);
      st = up_store_job_get(app->store, j.tenant_id, NULL, j.id, &done, err);
    }
  }
  if (st == UP_OK)
    st = up_reply_json(app, req, resp, 200, NULL, up_job_status_render(&done)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
out:
  up_job_fini(&done);
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

UP_HANDLER(up_api_job_cancel)
{
  up_job_t j;
  up_status_t st = act(app, req, UP_JOB_EV_CANCEL, &j, err);
  if (st == UP_OK) {
    /* A job that was printing stops; the device moves on. */
    up_devices_job_gone(app->devices, j.printer_id, j.id);
    st = up_reply_empty(resp, 204);
  }
  up_job_fini(&j);
  return st;
}

static struct json_t *render_document_item(const void *item, unsigned flags, void *ctx)
{
  (void)flags;
  (void)ctx;
  return up_document_render(item);
}

UP_HANDLER(up_api_documents_list)
{
  queue_t q;
  up_job_t j;
  char set[200];
  unsigned ignored;
  up_status_t st;
  if ((st = up_model_check_select(app, "printDocument", req->query, req->version, &ignored, err)) !=
      UP_OK)
    return st;
  if ((st = find_job(app, req, &q, &j, err)) == UP_OK) {
    snprintf(set, sizeof(set), "%s/jobs('%lld')/documents", q.set, (long long)j.id);
    st = up_api_reply_list(app, req, resp, set, &j.document, 1, sizeof(j.document),
                           render_document_item, 0, NULL, err);
  }
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

UP_HANDLER(up_api_document_get)
{
  queue_t q;
  up_job_t j;
  char set[200];
  unsigned ignored;
  up_status_t st;
  if ((st = up_model_check_select(app, "printDocument", req->query, req->version, &ignored, err)) !=
      UP_OK)
    return st;
  if ((st = find_job(app, req, &q, &j, err)) == UP_OK &&
      (st = check_document(req, &j, err)) == UP_OK) {
    snprintf(set, sizeof(set), "%s/jobs('%lld')/documents", q.set, (long long)j.id);
    st = up_api_entity(app, req, resp, 200, set, up_document_render(&j.document)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  }
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

static up_status_t held_by_caller(up_app_t *app, const up_request_t *req, const up_job_t *j,
                                  up_task_t *task, up_error_t *err);

/* 32 random bytes as base64url (43 characters): the tempauthtoken of upload URLs. */
static bool make_token(char out[48])
{
  unsigned char raw[32];
  return up_random_bytes(raw, sizeof(raw)) && up_base64url_encode(raw, sizeof(raw), out, 48);
}

UP_HANDLER(up_api_upload_create)
{
  queue_t q;
  up_job_t j;
  up_upload_t u;
  char url[1200];
  up_status_t st;
  memset(&u, 0, sizeof(u));
  if ((st = find_job(app, req, &q, &j, err)) != UP_OK ||
      (st = check_document(req, &j, err)) != UP_OK)
    goto out;
  /* The content may change until the job is started; a job held by a print task, only by the
   * task's application (reference 3.8). */
  if (!up_job_can(&j, UP_JOB_EV_UPLOADED, err)) {
    st = UP_INVALID;
    goto out;
  }
  if (j.details & UP_JOB_DETAIL_RELEASE_WAIT) {
    up_task_t task;
    st = held_by_caller(app, req, &j, &task, err);
    up_task_fini(&task);
    if (st != UP_OK) {
      if (st == UP_FORBIDDEN && !req->principal->is_app)
        st = up_error_set(
            err, UP_INVALID, NULL,
            "The job is held by a print task; only the task's application may change its content.");
      goto out;
    }
  }
  if ((st = up_upload_properties_from_body(app, req->body, req->version, &u.document_name,
                                           &u.content_type, &u.size, err)) != UP_OK)
    goto out;
  up_printer_t full;
  memset(&full, 0, sizeof(full));
  if ((st = up_api_not_found(
           up_store_printer_get(app->store, up_api_tenant(req), q.printer.id, &full, err), err,
           "printer", q.printer.id)) != UP_OK)
    goto out;
  bool accepted = up_printer_accepts(&full, u.content_type);
  up_printer_fini(&full);
  if (!accepted) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "The printer does not accept documents of type '%.100s' (see its "
                      "capabilities.contentTypes).",
                      u.content_type);
    up_error_set_target(err, "properties.contentType");
    goto out;
  }
  if (u.size > (int64_t)app->config.max_document_mb * 1024 * 1024) {
    st = up_error_set(err, UP_INVALID, "maxFileSizeExceeded",
                      "The document is %lld bytes; the largest this server accepts is %u MiB.",
                      (long long)u.size, app->config.max_document_mb);
    up_error_set_target(err, "properties.size");
    goto out;
  }
  /* --max-upload-sessions: a user's jobs may have so many sessions open at once. */
  if (app->config.max_upload_sessions && j.created_by_id[0]) {
    int64_t open = 0;
    if ((st = up_store_uploads_of_user(app->store, j.tenant_id, j.created_by_id, up_time_now(),
                                       j.document.id, &open, err)) != UP_OK)
      goto out;
    if (open >= (int64_t)app->config.max_upload_sessions) {
      st = up_error_set(err, UP_QUOTA, NULL,
                        "The user of this job has %lld upload sessions open, the most allowed; "
                        "finish or delete one first.",
                        (long long)open);
      goto out;
    }
  }
  up_uuid_new(u.id);
  if (!make_token(u.token)) {
    st = up_error_set(err, UP_INTERNAL, NULL, "No random bytes for the upload token.");
    goto out;
  }
  up_strlcpy(u.tenant_id, j.tenant_id, sizeof(u.tenant_id));
  u.job_id = j.id;
  up_strlcpy(u.document_id, j.document.id, sizeof(u.document_id));
  u.expires_at = up_time_now() + (up_time_t)app->config.upload_expiry_s * UP_TIME_TICKS_PER_SECOND;
  if (!(u.received = strdup(""))) {
    st = up_api_nomem(err);
    goto out;
  }
  if ((st = up_store_upload_create(app->store, &u, err)) != UP_OK)
    goto out;
  snprintf(url, sizeof(url), "%s/_uprintd/uploads/%s?tempauthtoken=%s", app->base_url, u.id,
           u.token);
  int64_t hole[2] = {0, u.size - 1};
  st = up_reply_json(app, req, resp, 200, "microsoft.graph.uploadSession",
                     up_upload_session_render(url, u.expires_at, hole, 1)) == UP_OK
           ? UP_OK
           : up_api_nomem(err);
out:
  up_upload_fini(&u);
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

UP_HANDLER(up_api_document_value)
{
  queue_t q;
  up_job_t j;
  char url[1200];
  up_status_t st;
  if ((st = find_job(app, req, &q, &j, err)) != UP_OK ||
      (st = check_document(req, &j, err)) != UP_OK)
    goto out;
  if (j.document.uploaded_at == UP_TIME_NULL) {
    st = up_error_set(err, UP_NOT_FOUND, NULL, "The document has no content yet.");
    goto out;
  }
  /* A short-lived, pre-authenticated URL on this server (reference 4.3), signed rather than
   * stored: getting it writes nothing (a full disk does not stop reads). */
  long long expires = (long long)(up_time_now() / UP_TIME_TICKS_PER_SECOND) + DOWNLOAD_TTL_S;
  char grant[256], token[48];
  snprintf(grant, sizeof(grant), "download\n%s\n%s\n%lld", j.tenant_id, j.document.id, expires);
  if (!up_keyring_url_token(app->keys, grant, token)) {
    st = up_error_set(err, UP_INTERNAL, NULL, "Cannot sign the download URL.");
    goto out;
  }
  snprintf(url, sizeof(url), "%s/_uprintd/downloads/%s?tenant=%s&expires=%lld&tempauthtoken=%s",
           app->base_url, j.document.id, j.tenant_id, expires, token);
  up_reply_empty(resp, 302);
  up_response_header(resp, "Location", url);
out:
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

/* --- the task's application: PATCH, abort, redirect of held jobs (reference 3.3, 3.6, 3.7) --- */

/* The job must be held by a processing task created by a trigger whose definition is the calling
 * application's. *task receives that task. */
static up_status_t held_by_caller(up_app_t *app, const up_request_t *req, const up_job_t *j,
                                  up_task_t *task, up_error_t *err)
{
  up_task_list_t tasks = {0};
  up_task_definition_t d;
  up_status_t st;
  memset(task, 0, sizeof(*task));
  memset(&d, 0, sizeof(d));
  if ((st = up_store_task_list_for_job(app->store, j->tenant_id, j->id, &tasks, err)) != UP_OK)
    return st;
  const up_task_t *held = NULL;
  for (size_t i = 0; i < tasks.count; i++)
    if (tasks.items[i].state == UP_TASK_PROCESSING)
      held = &tasks.items[i];
  if (!held || !(j->details & UP_JOB_DETAIL_RELEASE_WAIT)) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "The job is not held by a processing print task (it is %s).",
                      up_job_state_name(j->state));
  } else if ((st = up_store_task_definition_get(app->store, j->tenant_id, held->definition_id, &d,
                                                err)) == UP_OK &&
             !up_str_ieq(d.app_id, req->principal->app_id)) {
    st = up_error_set(
        err, UP_FORBIDDEN, NULL,
        "The job is held by a print task of another application; only that application may act on "
        "it.");
  } else if (st == UP_OK) {
    *task = *held;
    memset((up_task_t *)held, 0, sizeof(*held)); /* moved out of the list */
  }
  up_task_definition_fini(&d);
  up_task_list_fini(&tasks);
  return st;
}

UP_HANDLER(up_api_job_patch)
{
  queue_t q;
  up_job_t j, done;
  up_task_t task;
  char *config = NULL;
  memset(&done, 0, sizeof(done));
  memset(&task, 0, sizeof(task));
  up_status_t st = find_job(app, req, &q, &j, err);
  if (st == UP_OK && (st = held_by_caller(app, req, &j, &task, err)) == UP_OK &&
      (st = up_job_configuration_patch(app, req->body, req->version, j.configuration_json, &config,
                                       err)) == UP_OK) {
    up_job_event_args_t args = {.configuration_json = config};
    if ((st = up_job_apply(app->store, j.tenant_id, j.id, UP_JOB_EV_CONFIGURE, &args, &done,
                           err)) == UP_OK)
      st = reply_job(app, req, resp, 200, &q, &done, 0, err);
  }
  free(config);
  up_task_fini(&task);
  up_job_fini(&done);
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

UP_HANDLER(up_api_job_abort)
{
  queue_t q;
  up_job_t j;
  up_task_t task;
  const char *reason = NULL;
  char why[600];
  memset(&task, 0, sizeof(task));
  up_status_t st = find_job(app, req, &q, &j, err);
  if (st == UP_OK && (st = up_job_abort_from_body(req->body, &reason, err)) == UP_OK &&
      (st = held_by_caller(app, req, &j, &task, err)) == UP_OK) {
    snprintf(why, sizeof(why), "The job was aborted by the application%s%.500s",
             reason ? ": " : ".", reason ? reason : "");
    up_job_event_args_t args = {
        .task_id = task.id, .task_state = UP_TASK_ABORTED, .task_description = why};
    if ((st = up_job_apply(app->store, j.tenant_id, j.id, UP_JOB_EV_ABORT, &args, NULL, err)) ==
        UP_OK)
      st = up_reply_empty(resp, 204);
  }
  up_task_fini(&task);
  up_job_fini(&j);
  up_printer_fini(&q.printer);
  return st;
}

/* The job a redirect names: under a printer or share, or (the /printerBase form) by id alone
 * within the caller's tenant. */
static up_status_t find_redirect_source(up_app_t *app, const up_request_t *req, queue_t *q,
                                        up_job_t *j, up_error_t *err)
{
  int64_t id;
  if (!up_str_nieq(req->path, "/printerBase/", 13))
    return find_job(app, req, q, j, err);
  memset(q, 0, sizeof(*q));
  memset(j, 0, sizeof(*j));
  if (!parse_job_id(req->params.v[0], &id))
    return up_error_set(err, UP_NOT_FOUND, NULL, "The print job '%.32s' was not found.",
                        req->params.v[0]);
  return get_visible_job(app, req, NULL, id, req->params.v[0], j, err);
}

UP_HANDLER(up_api_job_redirect)
{
  queue_t q;
  up_job_t src, nj, done;
  up_task_t task, held_task;
  up_task_trigger_t trigger;
  up_printer_t dest;
  char dest_id[UP_ID_SIZE], from_url[1200], to_url[1200], task_url[1200], path_from[1200],
      path_to[1200];
  char *config = NULL;
  bool linked = false;
  memset(&nj, 0, sizeof(nj));
  memset(&done, 0, sizeof(done));
  memset(&task, 0, sizeof(task));
  memset(&held_task, 0, sizeof(held_task));
  memset(&dest, 0, sizeof(dest));
  up_status_t st = find_redirect_source(app, req, &q, &src, err);
  if (st != UP_OK || (st = held_by_caller(app, req, &src, &task, err)) != UP_OK ||
      (st = up_job_redirect_from_body(app, req->body, req->version, dest_id, &config, err)) !=
          UP_OK)
    goto out;
  if ((st = up_store_printer_get(app->store, src.tenant_id, dest_id, &dest, err)) != UP_OK) {
    if (st == UP_NOT_FOUND) {
      st = up_error_set(err, UP_INVALID, NULL,
                        "destinationPrinterId: the printer '%s' was not found.", dest_id);
      up_error_set_target(err, "destinationPrinterId");
    }
    goto out;
  }
  /* The new job: same content and owner, on the destination, started there. */
  if ((st = up_store_job_reserve_id(app->store, &nj.id, err)) != UP_OK)
    goto out;
  up_strlcpy(nj.tenant_id, src.tenant_id, sizeof(nj.tenant_id));
  up_strlcpy(nj.printer_id, dest.id, sizeof(nj.printer_id));
  up_strlcpy(nj.created_by_id, src.created_by_id, sizeof(nj.created_by_id));
  job_url(app, src.printer_id, src.id, from_url, sizeof(from_url));
  job_url(app, dest.id, nj.id, to_url, sizeof(to_url));
  nj.configuration_json = config ? config : up_strdup(src.configuration_json);
  config = NULL;
  nj.created_by_name = up_strdup(src.created_by_name);
  nj.created_by_upn = up_strdup(src.created_by_upn);
  nj.created_by_app = up_strdup(src.created_by_app);
  nj.redirected_from = strdup(from_url);
  nj.created_at = nj.started_at = up_time_now();
  up_uuid_new(nj.document.id);
  nj.document.display_name = up_strdup(src.document.display_name);
  nj.document.content_type = up_strdup(src.document.content_type);
  nj.document.size = src.document.size;
  nj.document.uploaded_at = src.document.uploaded_at;
  if (!nj.configuration_json || !nj.redirected_from ||
      (src.created_by_name && !nj.created_by_name) || (src.created_by_upn && !nj.created_by_upn) ||
      (src.created_by_app && !nj.created_by_app)) {
    st = up_api_nomem(err);
    goto out;
  }
  /* A trigger on the destination holds the new job there too. */
  st = up_store_task_trigger_of_printer(app->store, src.tenant_id, dest.id, &trigger, err);
  if (st == UP_OK) {
    nj.state = UP_JOB_PAUSED;
    nj.details = UP_JOB_DETAIL_RELEASE_WAIT;
    up_uuid_new(held_task.id);
    up_strlcpy(held_task.tenant_id, src.tenant_id, sizeof(held_task.tenant_id));
    up_strlcpy(held_task.definition_id, trigger.definition_id, sizeof(held_task.definition_id));
    up_strlcpy(held_task.trigger_id, trigger.id, sizeof(held_task.trigger_id));
    held_task.job_id = nj.id;
    snprintf(task_url, sizeof(task_url), "%s", to_url);
    held_task.parent_url = task_url;
    held_task.state = UP_TASK_PROCESSING;
    held_task.description = "The task is being processed.";
    held_task.created_at = nj.created_at;
  } else if (st == UP_NOT_FOUND) {
    nj.state = UP_JOB_PENDING;
    st = UP_OK;
  } else {
    goto out;
  }
  /* The content: a second name for the same file (uploaded documents never change in place). */
  snprintf(path_from, sizeof(path_from), "%s/%s", app->documents_dir, src.document.id);
  snprintf(path_to, sizeof(path_to), "%s/%s", app->documents_dir, nj.document.id);
  if (link(path_from, path_to) != 0) {
    st = up_error_set(err, UP_INTERNAL, NULL, "Cannot copy the document: %s.", strerror(errno));
    goto out;
  }
  linked = true;
  up_job_event_args_t args = {.create_job = &nj,
                              .create_task = held_task.id[0] ? &held_task : NULL,
                              .redirected_to = to_url,
                              .task_id = task.id,
                              .task_state = UP_TASK_COMPLETED,
                              .task_description = "The job was redirected to another printer."};
  if ((st = up_job_apply(app->store, src.tenant_id, src.id, UP_JOB_EV_REDIRECT, &args, NULL,
                         err)) != UP_OK)
    goto out;
  linked = false; /* the file is the new document's now */
  up_devices_kick(app->devices, dest.id);
  if ((st = up_store_job_get(app->store, src.tenant_id, dest.id, nj.id, &done, err)) == UP_OK) {
    queue_t dq;
    memset(&dq, 0, sizeof(dq));
    snprintf(dq.set, sizeof(dq.set), "print/printers('%s')", dest.id);
    st = reply_job(app, req, resp, 200, &dq, &done, 0, err);
  }
out:
  if (linked)
    unlink(path_to);
  /* held_task's strings are the stack buffers above: only its struct is cleared. */
  free(config);
  up_task_fini(&task);
  up_job_fini(&nj);
  up_job_fini(&done);
  up_job_fini(&src);
  up_printer_fini(&dest);
  up_printer_fini(&q.printer);
  return st;
}
