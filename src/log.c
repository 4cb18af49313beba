/* log.c - leveled logging to stderr.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static volatile up_log_level_t min_level = UP_LOG_INFO;
static volatile bool json_lines = false;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void up_log_set_level(up_log_level_t level)
{
  min_level = level;
}

void up_log_set_json(bool json)
{
  json_lines = json;
}

/* Appends s as a JSON string (quoted, escaped) to buf at *pos, bounded by cap. NULL is null. */
static void put_json(char *buf, size_t cap, size_t *pos, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  if (*pos + 8 >= cap)
    return;
  if (!s) {
    memcpy(buf + *pos, "null", 4);
    *pos += 4;
    return;
  }
  buf[(*pos)++] = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p && *pos + 8 < cap; p++) {
    if (*p == '"' || *p == '\\') {
      buf[(*pos)++] = '\\';
      buf[(*pos)++] = (char)*p;
    } else if (*p < 0x20 || *p == 0x7f) {
      memcpy(buf + *pos, "\\u00", 4);
      buf[*pos + 4] = hex[*p >> 4];
      buf[*pos + 5] = hex[*p & 15];
      *pos += 6;
    } else {
      buf[(*pos)++] = (char)*p;
    }
  }
  buf[(*pos)++] = '"';
}

static void put_raw(char *buf, size_t cap, size_t *pos, const char *fmt, ...) UP_PRINTF(4, 5);

static void put_raw(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
  va_list ap;
  if (*pos >= cap)
    return;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
  va_end(ap);
  if (n > 0)
    *pos = *pos + (size_t)n < cap ? *pos + (size_t)n : cap - 1;
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
  if (json_lines) {
    char out[2600];
    size_t pos = 0;
    put_raw(out, sizeof(out), &pos, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", stamp,
            level_names[level]);
    put_json(out, sizeof(out), &pos, line);
    fprintf(stderr, "%.*s}\n", (int)pos, out);
    return;
  }
  /* One fprintf per line: stdio locks the stream, so lines of threads do not interleave. */
  fprintf(stderr, "%s %-5s %s\n", stamp, level_names[level], line);
}

/* A value for a text line: no spaces or control characters, "-" when empty. */
static void put_word(char *buf, size_t cap, size_t *pos, const char *s)
{
  if (!s || !*s)
    s = "-";
  for (; *s && *pos + 1 < cap; s++)
    buf[(*pos)++] = ((unsigned char)*s <= 0x20 || *s == 0x7f) ? '?' : *s;
  buf[*pos] = '\0';
}

void up_log_access(const up_access_t *a)
{
  char stamp[UP_TIME_STRLEN], out[2048];
  size_t pos = 0;
  if (UP_LOG_INFO < min_level)
    return;
  up_time_format(up_time_now(), stamp);
  if (json_lines) {
    static const char *const keys[] = {"requestId", "clientRequestId", "tenant",
                                       "caller",    "method",          "route"};
    const char *vals[] = {a->request_id, a->client_request_id, a->tenant, a->caller, a->method,
                          a->route};
    put_raw(out, sizeof(out), &pos, "{\"time\":\"%s\",\"level\":\"info\",\"type\":\"access\"",
            stamp);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
      put_raw(out, sizeof(out), &pos, ",\"%s\":", keys[i]);
      put_json(out, sizeof(out), &pos, vals[i]);
    }
    put_raw(out, sizeof(out), &pos, ",\"version\":");
    put_json(out, sizeof(out), &pos, a->version && *a->version ? a->version : NULL);
    put_raw(out, sizeof(out), &pos,
            ",\"status\":%d,\"durationMs\":%.3f,\"bytesIn\":%llu,\"bytesOut\":%llu}", a->status,
            a->duration_ms, (unsigned long long)a->bytes_in, (unsigned long long)a->bytes_out);
    fprintf(stderr, "%.*s\n", (int)pos, out);
    return;
  }
  put_raw(out, sizeof(out), &pos, "%s info  access ", stamp);
  put_word(out, sizeof(out), &pos, a->method);
  put_raw(out, sizeof(out), &pos, " ");
  if (a->version && *a->version) {
    put_raw(out, sizeof(out), &pos, "/");
    put_word(out, sizeof(out), &pos, a->version);
  }
  put_word(out, sizeof(out), &pos, a->route);
  put_raw(out, sizeof(out), &pos, " %d %.3fms in=%llu out=%llu request-id=", a->status,
          a->duration_ms, (unsigned long long)a->bytes_in, (unsigned long long)a->bytes_out);
  put_word(out, sizeof(out), &pos, a->request_id);
  put_raw(out, sizeof(out), &pos, " client-request-id=");
  put_word(out, sizeof(out), &pos, a->client_request_id);
  put_raw(out, sizeof(out), &pos, " tenant=");
  put_word(out, sizeof(out), &pos, a->tenant);
  put_raw(out, sizeof(out), &pos, " caller=");
  put_word(out, sizeof(out), &pos, a->caller);
  fprintf(stderr, "%.*s\n", (int)pos, out);
}
