/* api-control.c - the control surface of the simulated devices, under /_uprintd/printers/{id}
 * (not Graph: this server's own, for tests and demos). Hold and release a printer's device, and
 * make it complete, fail or stop the job it prints. A Printer Administrator of the printer's
 * tenant only.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/job.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The printer must be the caller's tenant's (the permission table requires a Printer
 * Administrator). */
static up_status_t check(up_app_t *app, const up_request_t *req, up_error_t *err)
{
  up_printer_t p;
  up_status_t st = up_store_printer_get(app->store, up_api_tenant(req), req->params.v[0], &p, err);
  up_printer_fini(&p);
  return up_api_not_found(st, err, "printer", req->params.v[0]);
}

UP_HANDLER(up_api_control_get)
{
  up_device_info_t info;
  up_job_list_t jobs = {0};
  up_status_t st;
  if ((st = check(app, req, err)) != UP_OK ||
      (st = up_store_job_list(app->store, up_api_tenant(req), req->params.v[0], &jobs, err)) !=
          UP_OK)
    goto out;
  up_devices_info(app->devices, req->params.v[0], &info);
  /* The queue: pending jobs in the order the device takes them (oldest start first). */
  int64_t *queue = calloc(jobs.count ? jobs.count : 1, sizeof(int64_t));
  up_time_t *started = calloc(jobs.count ? jobs.count : 1, sizeof(up_time_t));
  size_t n = 0;
  if (!queue || !started) {
    free(queue);
    free(started);
    st = up_api_nomem(err);
    goto out;
  }
  for (size_t i = jobs.count; i-- > 0;) {
    const up_job_t *j = &jobs.items[i];
    if (j->state != UP_JOB_PENDING)
      continue;
    size_t k = n++;
    while (k > 0 && (started[k - 1] > j->started_at ||
                     (started[k - 1] == j->started_at && queue[k - 1] > j->id))) {
      queue[k] = queue[k - 1];
      started[k] = started[k - 1];
      k--;
    }
    queue[k] = j->id;
    started[k] = j->started_at;
  }
  st = up_reply_json(app, req, resp, 200, NULL,
                     up_model_device_render(req->params.v[0], info.held, info.stopped,
                                            info.current_job, queue, n)) == UP_OK
           ? UP_OK
           : up_api_nomem(err);
  free(queue);
  free(started);
out:
  up_job_list_fini(&jobs);
  return st;
}

UP_HANDLER(up_api_control_hold)
{
  up_status_t st = check(app, req, err);
  if (st == UP_OK)
    st = up_devices_hold(app->devices, req->params.v[0], true, err);
  return st == UP_OK ? up_reply_empty(resp, 204) : st;
}

UP_HANDLER(up_api_control_release)
{
  up_status_t st = check(app, req, err);
  if (st == UP_OK)
    st = up_devices_hold(app->devices, req->params.v[0], false, err);
  return st == UP_OK ? up_reply_empty(resp, 204) : st;
}

UP_HANDLER(up_api_control_complete)
{
  static const char *const results[] = {"success", "warnings", "errors"};
  static const unsigned details[] = {UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY,
                                     UP_JOB_DETAIL_COMPLETED_WITH_WARNINGS,
                                     UP_JOB_DETAIL_COMPLETED_WITH_ERRORS};
  up_job_event_args_t args = {.result = UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY};
  const char *result = NULL;
  up_status_t st = check(app, req, err);
  static const char *const members[] = {"result", NULL};
  if (st == UP_OK && req->body && (st = up_model_only(req->body, members, err)) == UP_OK &&
      (st = up_model_get_string(req->body, "result", &result, err)) == UP_OK && result) {
    size_t i = 0;
    while (i < 3 && strcmp(result, results[i]) != 0)
      i++;
    if (i == 3) {
      st = up_error_set(err, UP_INVALID, NULL,
                        "Property 'result' must be success, warnings or errors.");
      up_error_set_target(err, "result");
    } else {
      args.result = details[i];
    }
  }
  if (st == UP_OK)
    st = up_devices_finish(app->devices, req->params.v[0], UP_JOB_EV_COMPLETE, &args, err);
  return st == UP_OK ? up_reply_empty(resp, 204) : st;
}

UP_HANDLER(up_api_control_fail)
{
  up_job_event_args_t args = {0};
  const char *state = NULL;
  int64_t code = 0;
  up_job_event_t ev = UP_JOB_EV_ABORT;
  up_status_t st = check(app, req, err);
  static const char *const members[] = {"state", "errorCode", NULL};
  if (st == UP_OK && (st = up_model_only(req->body, members, err)) == UP_OK &&
      (st = up_model_get_string(req->body, "state", &state, err)) == UP_OK &&
      (st = up_model_get_int(req->body, "errorCode", INT32_MIN, INT32_MAX, &args.has_error_code,
                             &code, err)) == UP_OK) {
    args.error_code = (int32_t)code;
    if (state && strcmp(state, "stopped") == 0) {
      ev = UP_JOB_EV_STOP;
    } else if (state && strcmp(state, "aborted") != 0) {
      st = up_error_set(err, UP_INVALID, NULL, "Property 'state' must be stopped or aborted.");
      up_error_set_target(err, "state");
    } else if (!state) {
      st =
          up_error_set(err, UP_INVALID, NULL, "Property 'state' (stopped or aborted) is required.");
      up_error_set_target(err, "state");
    }
  }
  if (st == UP_OK)
    st = up_devices_finish(app->devices, req->params.v[0], ev, &args, err);
  return st == UP_OK ? up_reply_empty(resp, 204) : st;
}
