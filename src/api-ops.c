/* api-ops.c - operations endpoints, not Graph: /healthz (the process answers), /readyz (the
 * store takes writes) and /metrics (Prometheus text format). Anonymous and cheap, for load
 * balancers, orchestrators and scrapers; they reveal no object of any tenant but printer ids
 * in the queue depths of /metrics.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/job.h"
#include "uprintd/metrics.h"
#include "uprintd/response.h"
#include "uprintd/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

UP_HANDLER(up_api_healthz)
{
  (void)app;
  (void)req;
  return up_reply_text(resp, 200, "ok\n") == UP_OK ? UP_OK : up_api_nomem(err);
}

/* Below this much free space in the data folder's file system, writes are about to fail. */
#define READY_MIN_FREE (1024 * 1024)

UP_HANDLER(up_api_readyz)
{
  (void)req;
  struct statvfs vfs;
  up_status_t st = up_store_ready(app->store, err);
  if (st != UP_OK)
    return st;
  if (statvfs(app->config.data_dir, &vfs) == 0 &&
      (unsigned long long)vfs.f_bavail * vfs.f_frsize < READY_MIN_FREE)
    return up_error_set(err, UP_UNAVAILABLE, NULL,
                        "The data folder's file system has %llu bytes free; writes would fail.",
                        (unsigned long long)vfs.f_bavail * vfs.f_frsize);
  return up_reply_text(resp, 200, "ready\n") == UP_OK ? UP_OK : up_api_nomem(err);
}

/* "GET /print/shares/{shareId}" for route i. */
static const char *route_label(size_t i, void *ctx)
{
  char(*labels)[160] = ctx;
  return labels[i];
}

typedef struct {
  FILE *out;
  const char *metric;
  const char *label;
  int64_t by_state[UP_JOB_STATE_COUNT];
} count_ctx_t;

static void by_state(void *arg, const char *key, int64_t n)
{
  count_ctx_t *c = arg;
  int st = up_job_state_parse(key);
  if (st >= 0 && st < UP_JOB_STATE_COUNT)
    c->by_state[st] += n;
}

static void labelled(void *arg, const char *key, int64_t n)
{
  count_ctx_t *c = arg;
  fprintf(c->out, "%s{%s=\"", c->metric, c->label);
  up_metrics_label(c->out, key);
  fprintf(c->out, "\"} %lld\n", (long long)n);
}

UP_HANDLER(up_api_metrics)
{
  (void)req;
  char *text = NULL;
  size_t len = 0;
  size_t n_routes = 0;
  up_status_t st = UP_OK;
  while (up_routes[n_routes].pattern)
    n_routes++;
  char(*labels)[160] = calloc(n_routes ? n_routes : 1, sizeof(*labels));
  FILE *out = labels ? open_memstream(&text, &len) : NULL;
  if (!out) {
    free(labels);
    return up_api_nomem(err);
  }
  for (size_t i = 0; i < n_routes; i++)
    snprintf(labels[i], sizeof(labels[i]), "%s %s", up_method_name(up_routes[i].method),
             up_routes[i].pattern);
  up_metrics_write(app->metrics, out, route_label, labels);

  count_ctx_t c = {.out = out};
  st = up_store_job_count_by_state(app->store, by_state, &c, err);
  if (st == UP_OK) {
    fputs("# HELP uprintd_jobs Print jobs stored, every tenant's, by state.\n"
          "# TYPE uprintd_jobs gauge\n",
          out);
    for (int s = 0; s < UP_JOB_STATE_COUNT; s++)
      fprintf(out, "uprintd_jobs{state=\"%s\"} %lld\n", up_job_state_name((up_job_state_t)s),
              (long long)c.by_state[s]);
    fputs("# HELP uprintd_queue_depth Pending jobs by printer (printers with none are left "
          "out).\n# TYPE uprintd_queue_depth gauge\n",
          out);
    c.metric = "uprintd_queue_depth";
    c.label = "printer";
    st = up_store_queue_depths(app->store, labelled, &c, err);
  }
  int64_t uploads = 0;
  if (st == UP_OK)
    st = up_store_uploads_active(app->store, up_time_now(), &uploads, err);
  if (st == UP_OK) {
    up_store_stats_t s;
    up_store_stats(app->store, &s);
    fprintf(out,
            "# HELP uprintd_upload_sessions_active Upload sessions that have not expired.\n"
            "# TYPE uprintd_upload_sessions_active gauge\n"
            "uprintd_upload_sessions_active %lld\n"
            "# HELP uprintd_store_commit_seconds Time spent committing write transactions.\n"
            "# TYPE uprintd_store_commit_seconds summary\n"
            "uprintd_store_commit_seconds_sum %.6f\n"
            "uprintd_store_commit_seconds_count %lu\n"
            "# HELP uprintd_store_checkpoint_seconds Time spent in WAL checkpoints (off the "
            "request path).\n"
            "# TYPE uprintd_store_checkpoint_seconds summary\n"
            "uprintd_store_checkpoint_seconds_sum %.6f\n"
            "uprintd_store_checkpoint_seconds_count %lu\n"
            "# HELP uprintd_store_fsyncs_total fsyncs of the WAL for --durability full.\n"
            "# TYPE uprintd_store_fsyncs_total counter\n"
            "uprintd_store_fsyncs_total %lu\n"
            "# HELP uprintd_store_wal_pages Frames in the WAL after the last commit.\n"
            "# TYPE uprintd_store_wal_pages gauge\n"
            "uprintd_store_wal_pages %d\n",
            (long long)uploads, s.commit_seconds, s.commits, s.checkpoint_seconds, s.checkpoints,
            s.fsyncs, s.wal_pages);
  }
  free(labels);
  if (fclose(out) != 0 || !text) {
    free(text);
    return st != UP_OK ? st : up_api_nomem(err);
  }
  if (st == UP_OK && up_reply_text(resp, 200, text) != UP_OK)
    st = up_api_nomem(err);
  free(text);
  return st;
}
