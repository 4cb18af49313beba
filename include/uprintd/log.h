/* log.h - leveled logging to stderr.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_LOG_H
#define UPRINTD_LOG_H

#include "uprintd/base.h"

typedef enum up_log_level {
  UP_LOG_DEBUG = 0,
  UP_LOG_INFO,
  UP_LOG_WARN,
  UP_LOG_ERROR,
} up_log_level_t;

/** Sets the minimum level written. */
void up_log_set_level(up_log_level_t level);

/** Parses "debug", "info", "warn" or "error"; false when unknown. */
bool up_log_level_parse(const char *s, up_log_level_t *out);

/** Lines as text (the default) or as one JSON object each ({"time","level","msg"}). */
void up_log_set_json(bool json);

/** Writes one line (time, level, message) to stderr when level is enabled. Control characters
 *  in the formatted text are replaced, and the line is capped at 2 KiB. Thread-safe. */
void up_log(up_log_level_t level, const char *fmt, ...) UP_PRINTF(2, 3);

/** One answered request for the access log. Strings may be NULL (written as null or "-");
 *  none of them may hold a secret: the route is the pattern, never the URL. */
typedef struct up_access {
  const char *request_id;
  const char *client_request_id;
  const char *tenant;
  const char *caller; /**< upn, application id or object id */
  const char *method;
  const char *route;   /**< the route's pattern, e.g. "/print/shares/{shareId}/jobs" */
  const char *version; /**< "v1.0", "beta" or "" */
  int status;
  double duration_ms;
  uint64_t bytes_in, bytes_out;
} up_access_t;

/** Writes the access log line of a request (level info). */
void up_log_access(const up_access_t *a);

#endif
