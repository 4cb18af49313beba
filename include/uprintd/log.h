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

/** Writes one line (time, level, message) to stderr when level is enabled. Control characters
 *  in the formatted text are replaced, and the line is capped at 2 KiB. Thread-safe. */
void up_log(up_log_level_t level, const char *fmt, ...) UP_PRINTF(2, 3);

#endif
