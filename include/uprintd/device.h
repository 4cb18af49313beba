/* device.h - the simulated printing devices: one per printer, run by one worker thread. A
 * device takes its printer's oldest pending job (FIFO by start), makes it fetchable, acquires
 * it, prints it for --sim-job-ms and completes it; every step is a job event (job.h). After a
 * restart, jobs that were printing are queued again in their place and printed.
 * Locking: the devices' mutex is taken before the store's (never the other way round).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_DEVICE_H
#define UPRINTD_DEVICE_H

#include "uprintd/job.h"
#include "uprintd/store.h"

typedef struct up_devices up_devices_t;

/** Starts the worker: requeues jobs that were printing, resumes every printer's queue.
 *  sim_ms: how long printing one job takes. */
up_status_t up_devices_start(up_store_t *store, unsigned sim_ms, up_devices_t **out,
                             up_error_t *err);

/** Stops the worker (the jobs it was printing are requeued at the next start). NULL ok. */
void up_devices_stop(up_devices_t *d);

/** A job of printer_id became pending: the device takes it now when it is free (so that the
 *  caller's answer shows it processing), or later in FIFO order. */
void up_devices_kick(up_devices_t *d, const char *printer_id);

/** A job of printer_id left the device's hands (canceled, aborted): it moves on. */
void up_devices_job_gone(up_devices_t *d, const char *printer_id, int64_t job_id);

/** Holds (takes no new jobs) or releases a printer's device. Releasing a device whose job is
 *  stopped resumes that job. */
up_status_t up_devices_hold(up_devices_t *d, const char *printer_id, bool hold, up_error_t *err);

/** Ends the current job of printer_id now: UP_JOB_EV_COMPLETE (with args->result),
 *  UP_JOB_EV_ABORT or UP_JOB_EV_STOP (with an error code). UP_CONFLICT when nothing prints. */
up_status_t up_devices_finish(up_devices_t *d, const char *printer_id, up_job_event_t ev,
                              const up_job_event_args_t *args, up_error_t *err);

/** The state of a printer's device. */
typedef struct up_device_info {
  bool held;           /**< takes no new jobs */
  bool stopped;        /**< its job is stopped until release */
  int64_t current_job; /**< the job it prints, 0 when none */
} up_device_info_t;

void up_devices_info(up_devices_t *d, const char *printer_id, up_device_info_t *out);

/** Runs fn every period_ms on the worker thread (housekeeping: expired uploads). */
void up_devices_set_housekeeping(up_devices_t *d, unsigned period_ms, void (*fn)(void *ctx),
                                 void *ctx);

#endif
