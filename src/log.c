/* log.c - leveled logging to stderr.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static volatile up_log_level_t min_level = UP_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void up_log_set_level(up_log_level_t level)
{
  min_level = level;
}

bool up_log_level_parse(const char *s, up_log_level_t *out)
{
  for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
    if (up_str_ieq(s, level_names[i])) {
      *out = (up_log_level_t)i;
      return true;
    }
  }
  if (up_str_ieq(s, "warning")) {
    *out = UP_LOG_WARN;
    return true;
  }
  return false;
}

void up_log(up_log_level_t level, const char *fmt, ...)
{
  char line[2048], stamp[UP_TIME_STRLEN];
  va_list ap;
  if (level < min_level)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  /* No control characters from client input reach the log. */
  for (char *p = line; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = '?';
  up_time_format(up_time_now(), stamp);
  /* One fprintf per line: stdio locks the stream, so lines of threads do not interleave. */
  fprintf(stderr, "%s %-5s %s\n", stamp, level_names[level], line);
}
