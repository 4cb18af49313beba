/* job.c - the print job lifecycle: the transition table and the one function that applies it.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/job.h"
#include "uprintd/util.h"

#include <stdlib.h>
#include <string.h>

#define S(x)   (1u << (x))
#define ACTIVE (S(UP_JOB_PENDING) | S(UP_JOB_PROCESSING) | S(UP_JOB_PAUSED) | S(UP_JOB_STOPPED))

/* The transition table: for each event, the states it may happen in, the details that must be
 * absent, and the state it leads to. The effects on the other members are in transition(). */
static const struct {
  const char *name;
  unsigned from;     /* bit mask of states */
  unsigned forbid;   /* details that must not be set */
  unsigned require;  /* details that must be set */
  up_job_state_t to; /* resulting state */
} table[UP_JOB_EV_COUNT] = {
    /* A held job's content may change too: only its task's application may do that (api-jobs.c). */
    [UP_JOB_EV_UPLOADED] = {"upload", S(UP_JOB_PAUSED), 0, 0, UP_JOB_PAUSED},
    [UP_JOB_EV_START] = {"start", S(UP_JOB_PAUSED),
                         UP_JOB_DETAIL_UPLOAD_PENDING | UP_JOB_DETAIL_RELEASE_WAIT, 0,
                         UP_JOB_PENDING},
    [UP_JOB_EV_TAKE] = {"take", S(UP_JOB_PENDING), 0, 0, UP_JOB_PROCESSING},
    [UP_JOB_EV_ACQUIRE] = {"acquire", S(UP_JOB_PROCESSING), 0, 0, UP_JOB_PROCESSING},
    [UP_JOB_EV_COMPLETE] = {"complete", S(UP_JOB_PROCESSING), 0, 0, UP_JOB_COMPLETED},
    [UP_JOB_EV_STOP] = {"stop", S(UP_JOB_PROCESSING), 0, 0, UP_JOB_STOPPED},
    [UP_JOB_EV_RESUME] = {"resume", S(UP_JOB_STOPPED), 0, 0, UP_JOB_PROCESSING},
    [UP_JOB_EV_REQUEUE] = {"requeue", S(UP_JOB_PROCESSING), 0, 0, UP_JOB_PENDING},
    [UP_JOB_EV_ABORT] = {"abort", ACTIVE, 0, 0, UP_JOB_ABORTED},
    [UP_JOB_EV_START_HELD] = {"start", S(UP_JOB_PAUSED),
                              UP_JOB_DETAIL_UPLOAD_PENDING | UP_JOB_DETAIL_RELEASE_WAIT, 0,
                              UP_JOB_PAUSED},
    [UP_JOB_EV_RELEASE] = {"be released", S(UP_JOB_PAUSED), 0, UP_JOB_DETAIL_RELEASE_WAIT,
                           UP_JOB_PENDING},
    [UP_JOB_EV_CONFIGURE] = {"be reconfigured", S(UP_JOB_PAUSED), 0, UP_JOB_DETAIL_RELEASE_WAIT,
                             UP_JOB_PAUSED},
    [UP_JOB_EV_REDIRECT] = {"be redirected", S(UP_JOB_PAUSED), 0, UP_JOB_DETAIL_RELEASE_WAIT,
                            UP_JOB_COMPLETED},
    [UP_JOB_EV_CANCEL] = {"cancel", ACTIVE, 0, 0, UP_JOB_CANCELED},
};

static const char *const state_names[UP_JOB_STATE_COUNT] = {
    "unknown", "pending", "processing", "paused", "stopped", "completed", "canceled", "aborted"};

/* Printer statuses the device's work implies. */
static const char status_idle[] = "{\"state\":\"idle\",\"details\":[],\"description\":\"\"}";
static const char status_processing[] =
    "{\"state\":\"processing\",\"details\":[],\"description\":\"The printer is printing a job.\"}";
static const char status_stopped[] = "{\"state\":\"stopped\",\"details\":[\"other\"],"
                                     "\"description\":\"The printer needs attention.\"}";

const char *up_job_event_name(up_job_event_t ev)
{
  return (unsigned)ev < UP_JOB_EV_COUNT ? table[ev].name : "?";
}

const char *up_job_state_name(up_job_state_t st)
{
  return (unsigned)st < UP_JOB_STATE_COUNT ? state_names[st] : "unknown";
}

int up_job_state_parse(const char *name)
{
  for (int i = 0; i < UP_JOB_STATE_COUNT; i++)
    if (name && strcmp(name, state_names[i]) == 0)
      return i;
  return -1;
}

bool up_job_state_is_terminal(up_job_state_t st)
{
  return st == UP_JOB_COMPLETED || st == UP_JOB_CANCELED || st == UP_JOB_ABORTED;
}

bool up_job_can(const up_job_t *j, up_job_event_t ev, up_error_t *err)
{
  if ((unsigned)ev >= UP_JOB_EV_COUNT) {
    up_error_set(err, UP_INTERNAL, NULL, "unknown job event %d", (int)ev);
    return false;
  }
  if ((table[ev].from & S(j->state)) && !(j->details & table[ev].forbid) &&
      (j->details & table[ev].require) == table[ev].require)
    return true;
  /* Say why, in the caller's terms. */
  if (up_job_state_is_terminal(j->state))
    up_error_set(err, UP_INVALID, NULL, "The job is %s; it cannot be %s.", state_names[j->state],
                 ev == UP_JOB_EV_START || ev == UP_JOB_EV_START_HELD ? "started"
                 : ev == UP_JOB_EV_CANCEL                            ? "canceled"
                 : ev == UP_JOB_EV_UPLOADED                          ? "given new content"
                                                                     : "changed any more");
  else if ((ev == UP_JOB_EV_START || ev == UP_JOB_EV_START_HELD) &&
           (j->details & UP_JOB_DETAIL_UPLOAD_PENDING))
    up_error_set(
        err, UP_INVALID, NULL,
        "The job cannot be started before its document is uploaded (createUploadSession, then PUT "
        "the content).");
  else if ((ev == UP_JOB_EV_START || ev == UP_JOB_EV_START_HELD) &&
           (j->state != UP_JOB_PAUSED || (j->details & UP_JOB_DETAIL_RELEASE_WAIT)))
    up_error_set(err, UP_INVALID, NULL, "The job has already been started (it is %s).",
                 state_names[j->state]);
  else if (ev == UP_JOB_EV_UPLOADED && j->state != UP_JOB_PAUSED)
    up_error_set(err, UP_INVALID, NULL,
                 "The job has been started (it is %s); its document can no longer change.",
                 state_names[j->state]);
  else if (j->details & UP_JOB_DETAIL_RELEASE_WAIT)
    up_error_set(err, UP_INVALID, NULL, "The job is held by a print task and cannot %s now.",
                 table[ev].name);
  else
    up_error_set(err, UP_INVALID, NULL, "A %s job cannot %s.", state_names[j->state],
                 table[ev].name);
  return false;
}

up_status_t up_job_transition(up_job_t *j, up_job_event_t ev, const up_job_event_args_t *args,
                              up_time_t now, char **printer_status, up_error_t *err)
{
  static const up_job_event_args_t none = {0};
  const char *status = NULL;
  bool was_on_device = j->state == UP_JOB_PROCESSING || j->state == UP_JOB_STOPPED;
  if (!args)
    args = &none;
  if (!up_job_can(j, ev, err))
    return err ? err->status : UP_INVALID;
  switch (ev) {
  case UP_JOB_EV_UPLOADED:
    j->details &= ~UP_JOB_DETAIL_UPLOAD_PENDING;
    if (args->document) {
      if (!up_str_set(&j->document.display_name, args->document->display_name) ||
          !up_str_set(&j->document.content_type, args->document->content_type))
        return up_error_set(err, UP_NOMEM, NULL, "out of memory");
      j->document.size = args->document->size;
      j->document.uploaded_at = now;
      j->document.downloaded_at = UP_TIME_NULL;
    }
    break;
  case UP_JOB_EV_START:
  case UP_JOB_EV_RELEASE:
    if (ev == UP_JOB_EV_START || j->started_at == UP_TIME_NULL)
      j->started_at = now;
    j->details = 0;
    break;
  case UP_JOB_EV_START_HELD:
    j->started_at = now;
    j->details = UP_JOB_DETAIL_RELEASE_WAIT;
    break;
  case UP_JOB_EV_CONFIGURE:
    if (args->configuration_json && !up_str_set(&j->configuration_json, args->configuration_json))
      return up_error_set(err, UP_NOMEM, NULL, "out of memory");
    break;
  case UP_JOB_EV_REDIRECT:
    j->details = 0;
    j->is_fetchable = false;
    j->completed_at = now;
    if (!up_str_set(&j->redirected_to, args->redirected_to))
      return up_error_set(err, UP_NOMEM, NULL, "out of memory");
    break;
  case UP_JOB_EV_TAKE:
  case UP_JOB_EV_RESUME:
    j->details = UP_JOB_DETAIL_INTERPRETING;
    j->is_fetchable = true;
    j->is_acquired = false;
    status = status_processing;
    break;
  case UP_JOB_EV_ACQUIRE:
    j->details = 0;
    j->is_acquired = true;
    j->acknowledged_at = now;
    break;
  case UP_JOB_EV_COMPLETE:
    j->details = args->result ? args->result : UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY;
    j->is_fetchable = false;
    j->completed_at = now;
    status = status_idle;
    break;
  case UP_JOB_EV_STOP:
    j->details = 0;
    j->is_fetchable = false;
    status = status_stopped;
    break;
  case UP_JOB_EV_REQUEUE:
    j->details = 0;
    j->is_fetchable = false;
    j->is_acquired = false;
    status = status_idle;
    break;
  case UP_JOB_EV_ABORT:
  case UP_JOB_EV_CANCEL:
    j->details = 0;
    j->is_fetchable = false;
    j->completed_at = now;
    if (was_on_device)
      status = status_idle;
    break;
  default:
    break;
  }
  if ((ev == UP_JOB_EV_STOP || ev == UP_JOB_EV_ABORT) && args->has_error_code) {
    j->has_error_code = true;
    j->error_code = args->error_code;
  }
  j->state = table[ev].to;
  if (status && printer_status && !(*printer_status = strdup(status)))
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  return UP_OK;
}

typedef struct apply_ctx {
  up_job_event_t ev;
  const up_job_event_args_t *args;
  up_time_t now;
} apply_ctx_t;

static up_status_t apply_change(up_job_t *job, void *arg, up_job_effects_t *fx, up_error_t *err)
{
  apply_ctx_t *c = arg;
  const up_job_event_args_t *a = c->args;
  up_status_t st = up_job_transition(job, c->ev, a, c->now, &fx->printer_status_json, err);
  /* A held job canceled by its user: its task ends with it. */
  if (st == UP_OK && c->ev == UP_JOB_EV_CANCEL)
    fx->abort_tasks_description = "The job was canceled by its user.";
  if (st != UP_OK || !a)
    return st;
  /* What the event brings along, written in the same transaction. */
  if (a->upload_id)
    up_strlcpy(fx->delete_upload_id, a->upload_id, sizeof(fx->delete_upload_id));
  if (c->ev == UP_JOB_EV_START_HELD)
    fx->create_task = a->create_task;
  if (c->ev == UP_JOB_EV_REDIRECT) {
    fx->create_job = a->create_job;
    fx->create_task = a->create_task; /* the destination's trigger holds the new job */
  }
  if (a->task_id) {
    up_strlcpy(fx->update_task_id, a->task_id, sizeof(fx->update_task_id));
    fx->update_task_state = a->task_state;
    fx->update_task_description = a->task_description;
  }
  return st;
}

up_status_t up_job_apply(up_store_t *store, const char *tenant, int64_t id, up_job_event_t ev,
                         const up_job_event_args_t *args, up_job_t *out, up_error_t *err)
{
  apply_ctx_t c = {ev, args, up_time_now()};
  return up_store_job_change(store, tenant, id, apply_change, &c, out, err);
}

typedef struct close_ctx {
  const char *task_id;
  up_task_state_t state;
  const char *description;
} close_ctx_t;

static up_status_t close_change(up_job_t *job, void *arg, up_job_effects_t *fx, up_error_t *err)
{
  close_ctx_t *c = arg;
  (void)job;
  (void)err;
  up_strlcpy(fx->update_task_id, c->task_id, sizeof(fx->update_task_id));
  fx->update_task_state = c->state;
  fx->update_task_description = c->description;
  return UP_OK;
}

up_status_t up_job_close_task(up_store_t *store, const char *tenant, int64_t job_id,
                              const char *task_id, up_task_state_t state, const char *description,
                              up_error_t *err)
{
  close_ctx_t c = {task_id, state, description};
  return up_store_job_change(store, tenant, job_id, close_change, &c, NULL, err);
}
