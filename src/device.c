/* device.c - the simulated printing devices and their worker thread.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/device.h"
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { PHASE_NONE = 0, PHASE_TAKEN, PHASE_PRINTING } phase_t;

/* One printer's device. */
typedef struct device {
  char printer_id[UP_ID_SIZE];
  char tenant_id[UP_ID_SIZE]; /* of the current job */
  bool held;                  /* takes no new jobs */
  bool stopped;               /* the current job is stopped until release */
  bool want;                  /* may have pending jobs: try to take one */
  int64_t job;                /* current job, 0 when none */
  phase_t phase;              /* what the current job waits for */
  up_time_t deadline;         /* when the phase ends */
} device_t;

struct up_devices {
  up_store_t *store;
  unsigned sim_ms;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  bool running;
  device_t *v; /* devices, by printer id (unsorted; a few hundred at most) */
  size_t n, cap;
  void (*housekeeping)(void *ctx);
  void *housekeeping_ctx;
  unsigned housekeeping_ms;
  up_time_t next_housekeeping;
};

#define MS(x) ((up_time_t)(x) * (UP_TIME_TICKS_PER_SECOND / 1000))

/* The device of printer_id, created when absent (NULL only without memory). */
static device_t *find(up_devices_t *d, const char *printer_id, bool create)
{
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->v[i].printer_id, printer_id) == 0)
      return &d->v[i];
  if (!create)
    return NULL;
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    device_t *v = realloc(d->v, cap * sizeof(*v));
    if (!v)
      return NULL;
    d->v = v;
    d->cap = cap;
  }
  device_t *dev = &d->v[d->n++];
  memset(dev, 0, sizeof(*dev));
  up_strlcpy(dev->printer_id, printer_id, sizeof(dev->printer_id));
  return dev;
}

/* Applies ev to the device's current job; on failure (the job was canceled or deleted in the
 * meantime) the device lets go of it. */
static bool apply(up_devices_t *d, device_t *dev, up_job_event_t ev,
                  const up_job_event_args_t *args)
{
  up_error_t err;
  up_status_t st = up_job_apply(d->store, dev->tenant_id, dev->job, ev, args, NULL, &err);
  if (st != UP_OK) {
    if (st != UP_INVALID && st != UP_NOT_FOUND)
      up_log(UP_LOG_ERROR, "device %s: job %lld: %s failed: %s", dev->printer_id,
             (long long)dev->job, up_job_event_name(ev), err.message);
    dev->job = 0;
    dev->phase = PHASE_NONE;
    dev->stopped = false;
    dev->want = true;
    return false;
  }
  return true;
}

/* The time a job spends between being taken and being acquired. */
static up_time_t acquire_delay(const up_devices_t *d)
{
  unsigned ms = d->sim_ms / 10;
  return MS(ms > 100 ? 100 : ms);
}

/* Takes the printer's next pending job when the device is free. Called with the lock held. */
static void try_take(up_devices_t *d, device_t *dev)
{
  up_job_t j;
  up_error_t err;
  dev->want = false;
  while (!dev->job && !dev->held && !dev->stopped) {
    memset(&j, 0, sizeof(j));
    up_status_t st = up_store_job_next(d->store, dev->printer_id, &j, &err);
    if (st != UP_OK) {
      if (st != UP_NOT_FOUND)
        up_log(UP_LOG_ERROR, "device %s: reading the queue: %s", dev->printer_id, err.message);
      up_job_fini(&j);
      return;
    }
    dev->job = j.id;
    up_strlcpy(dev->tenant_id, j.tenant_id, sizeof(dev->tenant_id));
    up_job_fini(&j);
    if (apply(d, dev, UP_JOB_EV_TAKE, NULL)) {
      dev->phase = PHASE_TAKEN;
      dev->deadline = up_time_now() + acquire_delay(d);
      up_log(UP_LOG_DEBUG, "device %s: took job %lld", dev->printer_id, (long long)dev->job);
    }
  }
}

/* Moves the device's current job on when its phase is over. Called with the lock held. */
static void step(up_devices_t *d, device_t *dev, up_time_t now)
{
  if (!dev->job || dev->stopped || dev->deadline > now)
    return;
  if (dev->phase == PHASE_TAKEN) {
    if (apply(d, dev, UP_JOB_EV_ACQUIRE, NULL)) {
      dev->phase = PHASE_PRINTING;
      dev->deadline = now + MS(d->sim_ms);
    }
  } else if (dev->phase == PHASE_PRINTING) {
    apply(d, dev, UP_JOB_EV_COMPLETE, NULL);
    dev->job = 0;
    dev->phase = PHASE_NONE;
    dev->want = true;
  }
}

static void *worker(void *arg)
{
  up_devices_t *d = arg;
  pthread_mutex_lock(&d->lock);
  while (d->running) {
    up_time_t now = up_time_now(), next = now + MS(1000);
    for (size_t i = 0; i < d->n; i++) {
      device_t *dev = &d->v[i];
      step(d, dev, now);
      if (dev->want)
        try_take(d, dev);
      if (dev->job && !dev->stopped && dev->deadline < next)
        next = dev->deadline;
    }
    if (d->housekeeping && now >= d->next_housekeeping) {
      d->next_housekeeping = now + MS(d->housekeeping_ms);
      pthread_mutex_unlock(&d->lock);
      d->housekeeping(d->housekeeping_ctx);
      pthread_mutex_lock(&d->lock);
      continue;
    }
    if (d->housekeeping && d->next_housekeeping < next)
      next = d->next_housekeeping;
    if (next > now) {
      struct timespec ts = {(time_t)(next / UP_TIME_TICKS_PER_SECOND),
                            (long)(next % UP_TIME_TICKS_PER_SECOND) * 100};
      pthread_cond_timedwait(&d->wake, &d->lock, &ts);
    }
  }
  pthread_mutex_unlock(&d->lock);
  return NULL;
}

/* Restores the devices from the store: jobs stopped stay with their device; jobs that were
 * printing go back to the queue in their place; every printer with a queue gets a device. */
static up_status_t resume(up_devices_t *d, up_error_t *err)
{
  up_job_list_t printing = {0};
  char(*pending)[UP_ID_SIZE] = NULL;
  size_t n_pending = 0;
  up_status_t st = up_store_job_list_printing(d->store, &printing, err);
  for (size_t i = 0; st == UP_OK && i < printing.count; i++) {
    up_job_t *j = &printing.items[i];
    device_t *dev = find(d, j->printer_id, true);
    if (!dev) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      break;
    }
    if (j->state == UP_JOB_STOPPED && !dev->job) {
      dev->job = j->id;
      dev->stopped = true;
      dev->phase = PHASE_TAKEN;
      up_strlcpy(dev->tenant_id, j->tenant_id, sizeof(dev->tenant_id));
    } else if (j->state == UP_JOB_PROCESSING) {
      up_job_apply(d->store, j->tenant_id, j->id, UP_JOB_EV_REQUEUE, NULL, NULL, NULL);
      up_log(UP_LOG_INFO,
             "device %s: job %lld was printing when the server stopped; printing it again",
             j->printer_id, (long long)j->id);
    }
  }
  if (st == UP_OK)
    st = up_store_printers_with_pending(d->store, &pending, &n_pending, err);
  for (size_t i = 0; st == UP_OK && i < n_pending; i++) {
    device_t *dev = find(d, pending[i], true);
    if (!dev)
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    else
      dev->want = true;
  }
  free(pending);
  up_job_list_fini(&printing);
  return st;
}

up_status_t up_devices_start(up_store_t *store, unsigned sim_ms, up_devices_t **out,
                             up_error_t *err)
{
  up_devices_t *d = calloc(1, sizeof(*d));
  pthread_condattr_t attr;
  if (!d)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  d->store = store;
  d->sim_ms = sim_ms;
  pthread_mutex_init(&d->lock, NULL);
  pthread_condattr_init(&attr);
  pthread_cond_init(&d->wake, &attr); /* CLOCK_REALTIME, as up_time_now */
  pthread_condattr_destroy(&attr);
  up_status_t st = resume(d, err);
  if (st == UP_OK) {
    d->running = true;
    if (pthread_create(&d->thread, NULL, worker, d) != 0) {
      d->running = false;
      st = up_error_set(err, UP_INTERNAL, NULL, "cannot start the device thread");
    }
  }
  if (st != UP_OK) {
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d->v);
    free(d);
    return st;
  }
  *out = d;
  return UP_OK;
}

void up_devices_stop(up_devices_t *d)
{
  if (!d)
    return;
  pthread_mutex_lock(&d->lock);
  d->running = false;
  pthread_cond_signal(&d->wake);
  pthread_mutex_unlock(&d->lock);
  pthread_join(d->thread, NULL);
  pthread_cond_destroy(&d->wake);
  pthread_mutex_destroy(&d->lock);
  free(d->v);
  free(d);
}

void up_devices_kick(up_devices_t *d, const char *printer_id)
{
  pthread_mutex_lock(&d->lock);
  device_t *dev = find(d, printer_id, true);
  if (dev)
    try_take(d, dev);
  pthread_cond_signal(&d->wake);
  pthread_mutex_unlock(&d->lock);
}

void up_devices_job_gone(up_devices_t *d, const char *printer_id, int64_t job_id)
{
  pthread_mutex_lock(&d->lock);
  device_t *dev = find(d, printer_id, false);
  if (dev && dev->job == job_id) {
    dev->job = 0;
    dev->phase = PHASE_NONE;
    dev->stopped = false;
    try_take(d, dev);
    pthread_cond_signal(&d->wake);
  }
  pthread_mutex_unlock(&d->lock);
}

up_status_t up_devices_hold(up_devices_t *d, const char *printer_id, bool hold, up_error_t *err)
{
  up_status_t st = UP_OK;
  pthread_mutex_lock(&d->lock);
  device_t *dev = find(d, printer_id, true);
  if (!dev) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
  } else {
    dev->held = hold;
    if (!hold && dev->stopped && dev->job) {
      /* Attention given: the stopped job prints again. */
      dev->stopped = false;
      if (apply(d, dev, UP_JOB_EV_RESUME, NULL)) {
        dev->phase = PHASE_TAKEN;
        dev->deadline = up_time_now() + acquire_delay(d);
      }
    }
    if (!hold)
      try_take(d, dev);
    pthread_cond_signal(&d->wake);
  }
  pthread_mutex_unlock(&d->lock);
  return st;
}

up_status_t up_devices_finish(up_devices_t *d, const char *printer_id, up_job_event_t ev,
                              const up_job_event_args_t *args, up_error_t *err)
{
  up_status_t st = UP_OK;
  pthread_mutex_lock(&d->lock);
  device_t *dev = find(d, printer_id, false);
  if (!dev || !dev->job || (dev->stopped && ev == UP_JOB_EV_STOP)) {
    st = up_error_set(err, UP_CONFLICT, NULL, "The printer's device is not printing a job.");
  } else if (ev == UP_JOB_EV_STOP) {
    if (apply(d, dev, ev, args))
      dev->stopped = true;
  } else if (dev->stopped && ev == UP_JOB_EV_COMPLETE) {
    st = up_error_set(err, UP_CONFLICT, NULL,
                      "The printer's job is stopped; release the printer first.");
  } else {
    apply(d, dev, ev, args);
    dev->job = 0;
    dev->phase = PHASE_NONE;
    dev->stopped = false;
    try_take(d, dev);
  }
  pthread_cond_signal(&d->wake);
  pthread_mutex_unlock(&d->lock);
  return st;
}

void up_devices_info(up_devices_t *d, const char *printer_id, up_device_info_t *out)
{
  memset(out, 0, sizeof(*out));
  pthread_mutex_lock(&d->lock);
  device_t *dev = find(d, printer_id, false);
  if (dev) {
    out->held = dev->held;
    out->stopped = dev->stopped;
    out->current_job = dev->job;
  }
  pthread_mutex_unlock(&d->lock);
}

void up_devices_set_housekeeping(up_devices_t *d, unsigned period_ms, void (*fn)(void *ctx),
                                 void *ctx)
{
  pthread_mutex_lock(&d->lock);
  d->housekeeping = fn;
  d->housekeeping_ctx = ctx;
  d->housekeeping_ms = period_ms;
  d->next_housekeeping = up_time_now() + MS(period_ms);
  pthread_cond_signal(&d->wake);
  pthread_mutex_unlock(&d->lock);
}
