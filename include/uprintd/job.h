/* job.h - the print job lifecycle: one table of allowed transitions and the one function that
 * changes a job's state (reference 5). Everything that moves a job - the API handlers, the
 * simulated device, uploads - goes through up_job_apply.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_JOB_H
#define UPRINTD_JOB_H

#include "uprintd/objects.h"
#include "uprintd/store.h"

/** What happens to a job. */
typedef enum up_job_event {
  UP_JOB_EV_UPLOADED = 0, /**< its document's content is complete: uploadPending cleared */
  UP_JOB_EV_START,        /**< start: queued on its printer (pending) */
  UP_JOB_EV_TAKE,         /**< the device takes it: processing/interpreting, fetchable */
  UP_JOB_EV_ACQUIRE,      /**< the device acquires it: isAcquiredByPrinter, acknowledgedDateTime */
  UP_JOB_EV_COMPLETE,     /**< printed: completed with a completed* detail */
  UP_JOB_EV_STOP,         /**< the device needs attention: stopped, with an error code */
  UP_JOB_EV_RESUME,       /**< attention given: processing again */
  UP_JOB_EV_REQUEUE,      /**< the server restarted while it printed: pending again, same place */
  UP_JOB_EV_ABORT,        /**< aborted by the device (or an application) */
  UP_JOB_EV_CANCEL,       /**< canceled by a user */
  UP_JOB_EV_START_HELD, /**< start on a printer with a trigger: held (releaseWait) by a new task */
  UP_JOB_EV_RELEASE,    /**< its task completed: queued on its printer */
  UP_JOB_EV_CONFIGURE,  /**< the task's application changed its configuration (held jobs) */
  UP_JOB_EV_REDIRECT,   /**< redirected to another printer: done here, redirectedTo set */
  UP_JOB_EV_COUNT
} up_job_event_t;

/** Details of an event (zero-initialize; set what the event uses). */
typedef struct up_job_event_args {
  /** COMPLETE: UP_JOB_DETAIL_COMPLETED_* (0: successfully) */
  unsigned result;
  /** STOP, ABORT: set errorCode */
  bool has_error_code;
  int32_t error_code;
  /** UPLOADED: displayName, contentType, size of the content */
  const up_document_t *document;
  /** UPLOADED: the finished upload session, deleted in the same transaction */
  const char *upload_id;
  /** START_HELD: the task that holds the job, created with it */
  const up_task_t *create_task;
  /** RELEASE, ABORT, REDIRECT: the holding task, whose status becomes task_state with
   *  task_description, in the same transaction */
  const char *task_id;
  up_task_state_t task_state;
  const char *task_description;
  /** CONFIGURE: the new configuration (JSON text) */
  const char *configuration_json;
  /** REDIRECT: the new job on the destination, created with it, and its URL */
  const up_job_t *create_job;
  const char *redirected_to;
} up_job_event_args_t;

/** Name of an event ("start", ...), for messages and logs. */
const char *up_job_event_name(up_job_event_t ev);

/** Graph name of a state ("paused", ...) and back (-1 when unknown). */
const char *up_job_state_name(up_job_state_t st);
int up_job_state_parse(const char *name);

/** True for completed, canceled and aborted. */
bool up_job_state_is_terminal(up_job_state_t st);

/** Whether the table allows ev for job j (its state and details); when not, fills err with a
 *  message that says why (UP_INVALID). Pure: no store access. */
bool up_job_can(const up_job_t *j, up_job_event_t ev, up_error_t *err);

/** Applies ev to j in memory: state, details, flags, timestamps (now), and, when the printer's
 *  status changes with it, a new printer status JSON in *printer_status (new string, or left
 *  NULL). Fails like up_job_can. Pure: no store access. */
up_status_t up_job_transition(up_job_t *j, up_job_event_t ev, const up_job_event_args_t *args,
                              up_time_t now, char **printer_status, up_error_t *err);

/** The one function that changes a job's state: in one store transaction, reads job id of
 *  tenant, checks and applies ev (up_job_transition), and writes the job, its document, the
 *  printer's status and the event's other effects. out (may be NULL) receives the job as
 *  written. */
up_status_t up_job_apply(up_store_t *store, const char *tenant, int64_t id, up_job_event_t ev,
                         const up_job_event_args_t *args, up_job_t *out, up_error_t *err);

/** Ends a job's task without changing the job (whose own state ended it otherwise: canceled,
 *  completed): sets the task's status in one transaction with a read of the job. */
up_status_t up_job_close_task(up_store_t *store, const char *tenant, int64_t job_id,
                              const char *task_id, up_task_state_t state, const char *description,
                              up_error_t *err);
#endif
