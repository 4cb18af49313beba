/* metrics.c - request counters and latency histograms for /metrics.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

const double up_metrics_bucket_bounds[UP_METRICS_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

/* The statuses counted one by one; any other is counted as "other" with its class. */
static const int statuses[] = {200, 201, 202, 204, 206, 400, 401, 403, 404, 405, 406, 409, 411,
                               412, 413, 414, 415, 416, 424, 429, 431, 500, 501, 503, 504, 507};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 5) /* + 1xx..5xx others */

typedef struct {
  atomic_ullong by_status[N_STATUS];
  atomic_ullong buckets[UP_METRICS_BUCKETS + 1]; /* not cumulative; the last is +Inf */
  atomic_ullong micros;                          /* sum of durations, in microseconds */
  atomic_ullong bytes_in, bytes_out;
} route_counters_t;

struct up_metrics {
  size_t n_routes;
  route_counters_t *routes; /* n_routes + 1: the last is "no route" */
  atomic_ullong upload_bytes;
};

up_metrics_t *up_metrics_new(size_t n_routes)
{
  up_metrics_t *m = calloc(1, sizeof(*m));
  if (!m)
    return NULL;
  m->n_routes = n_routes;
  if (!(m->routes = calloc(n_routes + 1, sizeof(route_counters_t)))) {
    free(m);
    return NULL;
  }
  return m;
}

void up_metrics_free(up_metrics_t *m)
{
  if (!m)
    return;
  free(m->routes);
  free(m);
}

static size_t status_slot(int status)
{
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
    if (statuses[i] == status)
      return i;
  int cls = status / 100;
  if (cls < 1 || cls > 5)
    cls = 5;
  return sizeof(statuses) / sizeof(statuses[0]) + (size_t)(cls - 1);
}

void up_metrics_request(up_metrics_t *m, int route, int status, double seconds, uint64_t bytes_in,
                        uint64_t bytes_out)
{
  if (!m)
    return;
  route_counters_t *c =
      &m->routes[route >= 0 && (size_t)route < m->n_routes ? (size_t)route : m->n_routes];
  size_t b = 0;
  while (b < UP_METRICS_BUCKETS && seconds > up_metrics_bucket_bounds[b])
    b++;
  atomic_fetch_add_explicit(&c->by_status[status_slot(status)], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&c->buckets[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&c->micros, (unsigned long long)(seconds * 1e6 + 0.5),
                            memory_order_relaxed);
  atomic_fetch_add_explicit(&c->bytes_in, bytes_in, memory_order_relaxed);
  atomic_fetch_add_explicit(&c->bytes_out, bytes_out, memory_order_relaxed);
}

void up_metrics_upload_bytes(up_metrics_t *m, uint64_t bytes)
{
  if (m)
    atomic_fetch_add_explicit(&m->upload_bytes, bytes, memory_order_relaxed);
}

void up_metrics_label(FILE *out, const char *s)
{
  for (; *s; s++) {
    if (*s == '\\' || *s == '"')
      fputc('\\', out), fputc(*s, out);
    else if (*s == '\n')
      fputs("\\n", out);
    else
      fputc(*s, out);
  }
}

static unsigned long long load(const atomic_ullong *v)
{
  return atomic_load_explicit(v, memory_order_relaxed);
}

static void status_label(FILE *out, size_t slot)
{
  size_t named = sizeof(statuses) / sizeof(statuses[0]);
  if (slot < named)
    fprintf(out, "%d", statuses[slot]);
  else
    fprintf(out, "%zuxx", slot - named + 1);
}

void up_metrics_write(const up_metrics_t *m, FILE *out,
                      const char *(*route_label)(size_t i, void *ctx), void *ctx)
{
  fputs("# HELP uprintd_http_requests_total Requests answered, by route and status.\n"
        "# TYPE uprintd_http_requests_total counter\n",
        out);
  for (size_t r = 0; r <= m->n_routes; r++) {
    const char *name = r < m->n_routes ? route_label(r, ctx) : "(no route)";
    for (size_t s = 0; s < N_STATUS; s++) {
      unsigned long long n = load(&m->routes[r].by_status[s]);
      if (!n)
        continue;
      fputs("uprintd_http_requests_total{route=\"", out);
      up_metrics_label(out, name);
      fputs("\",status=\"", out);
      status_label(out, s);
      fprintf(out, "\"} %llu\n", n);
    }
  }
  fputs("# HELP uprintd_http_request_duration_seconds Time from the request's headers to its "
        "answer, by route.\n"
        "# TYPE uprintd_http_request_duration_seconds histogram\n",
        out);
  for (size_t r = 0; r <= m->n_routes; r++) {
    const route_counters_t *c = &m->routes[r];
    unsigned long long count = 0;
    for (size_t b = 0; b <= UP_METRICS_BUCKETS; b++)
      count += load(&c->buckets[b]);
    if (!count)
      continue;
    const char *name = r < m->n_routes ? route_label(r, ctx) : "(no route)";
    unsigned long long cum = 0;
    for (size_t b = 0; b <= UP_METRICS_BUCKETS; b++) {
      cum += load(&c->buckets[b]);
      fputs("uprintd_http_request_duration_seconds_bucket{route=\"", out);
      up_metrics_label(out, name);
      if (b < UP_METRICS_BUCKETS)
        fprintf(out, "\",le=\"%g\"} %llu\n", up_metrics_bucket_bounds[b], cum);
      else
        fprintf(out, "\",le=\"+Inf\"} %llu\n", cum);
    }
    fputs("uprintd_http_request_duration_seconds_sum{route=\"", out);
    up_metrics_label(out, name);
    fprintf(out, "\"} %.6f\n", (double)load(&c->micros) / 1e6);
    fputs("uprintd_http_request_duration_seconds_count{route=\"", out);
    up_metrics_label(out, name);
    fprintf(out, "\"} %llu\n", count);
  }
  static const char *const dirs[] = {"received", "sent"};
  for (int d = 0; d < 2; d++) {
    fprintf(out,
            "# HELP uprintd_http_body_bytes_%s_total Body bytes %s, by route.\n"
            "# TYPE uprintd_http_body_bytes_%s_total counter\n",
            dirs[d], dirs[d], dirs[d]);
    for (size_t r = 0; r <= m->n_routes; r++) {
      unsigned long long n = load(d ? &m->routes[r].bytes_out : &m->routes[r].bytes_in);
      if (!n)
        continue;
      fprintf(out, "uprintd_http_body_bytes_%s_total{route=\"", dirs[d]);
      up_metrics_label(out, r < m->n_routes ? route_label(r, ctx) : "(no route)");
      fprintf(out, "\"} %llu\n", n);
    }
  }
  fprintf(out,
          "# HELP uprintd_upload_bytes_total Document bytes received by upload sessions.\n"
          "# TYPE uprintd_upload_bytes_total counter\n"
          "uprintd_upload_bytes_total %llu\n",
          load(&m->upload_bytes));
}
