/* metrics.h - the server's counters for /metrics (Prometheus text format): requests by route
 * and status, latency histograms by route, bytes in and out, upload bytes. Counting is
 * lock-free (relaxed atomics): one call per request. What the store knows (jobs by state, queue
 * depth, upload sessions, commit and checkpoint times) is read when /metrics is asked for.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_METRICS_H
#define UPRINTD_METRICS_H

#include "uprintd/base.h"

#include <stdio.h>

typedef struct up_metrics up_metrics_t;

/** Counters for n_routes routes (index = the route's row in up_routes); NULL when out of
 *  memory. */
up_metrics_t *up_metrics_new(size_t n_routes);
void up_metrics_free(up_metrics_t *m);

/** One answered request: route index (-1: no route matched), status, duration in seconds,
 *  request body bytes received and answer body bytes sent. */
void up_metrics_request(up_metrics_t *m, int route, int status, double seconds, uint64_t bytes_in,
                        uint64_t bytes_out);

/** Document bytes written by uploads. */
void up_metrics_upload_bytes(up_metrics_t *m, uint64_t bytes);

/** Writes the counters as Prometheus text. route_label(i) names route i (method and
 *  pattern). */
void up_metrics_write(const up_metrics_t *m, FILE *out,
                      const char *(*route_label)(size_t i, void *ctx), void *ctx);

/** Upper bounds of the latency buckets, in seconds (the last bucket is +Inf). */
#define UP_METRICS_BUCKETS 14
extern const double up_metrics_bucket_bounds[UP_METRICS_BUCKETS];

/** Escapes s as a Prometheus label value (backslash, double quote, newline) into out. */
void up_metrics_label(FILE *out, const char *s);

#endif
