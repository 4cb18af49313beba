/* util.c - ids, time, strings, the error record.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <uuid/uuid.h>

up_status_t up_error_set(up_error_t *err, up_status_t st, const char *code, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    err->status = st;
    up_strlcpy(err->code, code ? code : "", sizeof(err->code));
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    err->target[0] = '\0';
  }
  return st;
}

void up_error_set_target(up_error_t *err, const char *target)
{
  if (err)
    up_strlcpy(err->target, target ? target : "", sizeof(err->target));
}

void up_error_clear(up_error_t *err)
{
  /* The strings' first bytes suffice (every request clears a few of these 2 KiB buffers). */
  if (err) {
    err->status = UP_OK;
    err->code[0] = err->message[0] = err->target[0] = '\0';
  }
}

const char *up_api_version_name(up_api_version_t v)
{
  return v == UP_API_BETA ? "beta" : "v1.0";
}

up_time_t up_time_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (up_time_t)ts.tv_sec * UP_TIME_TICKS_PER_SECOND + ts.tv_nsec / 100;
}

static void split_time(up_time_t t, struct tm *tm, long *ticks)
{
  time_t secs = (time_t)(t / UP_TIME_TICKS_PER_SECOND);
  long rem = (long)(t % UP_TIME_TICKS_PER_SECOND);
  if (rem < 0) {
    rem += UP_TIME_TICKS_PER_SECOND;
    secs -= 1;
  }
  gmtime_r(&secs, tm);
  *ticks = rem;
}

void up_time_format(up_time_t t, char out[UP_TIME_STRLEN])
{
  struct tm tm;
  long ticks;
  split_time(t, &tm, &ticks);
  char tmp[96]; /* roomy for the compiler's range analysis; the result is 28 characters */
  snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%07ldZ", (tm.tm_year + 1900) % 10000,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ticks);
  up_strlcpy(out, tmp, UP_TIME_STRLEN);
}

void up_time_format_seconds(up_time_t t, char out[20])
{
  struct tm tm;
  long ticks;
  split_time(t, &tm, &ticks);
  char tmp[96];
  snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d", (tm.tm_year + 1900) % 10000,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  up_strlcpy(out, tmp, 20);
}

static bool digits(const char *s, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool up_time_parse(const char *s, up_time_t *out)
{
  int y, mo, d, h, mi, se;
  long frac = 0;
  int offset_min = 0;
  if (!s || strlen(s) < 20)
    return false;
  if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
      !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
      s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return false;
  const char *p = s + 19;
  if (*p == '.') {
    int n = 0;
    p++;
    while (isdigit((unsigned char)*p)) {
      if (n < 7) {
        frac = frac * 10 + (*p - '0');
        n++;
      }
      p++;
    }
    if (n == 0)
      return false;
    while (n++ < 7)
      frac *= 10;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return false;
    offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return false;
  }
  if (*p)
    return false;
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  time_t secs = timegm(&tm);
  secs -= (time_t)offset_min * 60;
  *out = (up_time_t)secs * UP_TIME_TICKS_PER_SECOND + frac;
  return true;
}

void up_uuid_new(char out[UP_ID_SIZE])
{
  uuid_t u;
  uuid_generate_random(u);
  uuid_unparse_lower(u, out);
}

bool up_uuid_from_name(const char *ns, const char *name, char out[UP_ID_SIZE])
{
  uuid_t nsu, u;
  if (!up_uuid_is_valid(ns) || uuid_parse(ns, nsu) != 0)
    return false;
  uuid_generate_sha1(u, nsu, name, strlen(name));
  uuid_unparse_lower(u, out);
  return true;
}

bool up_uuid_is_valid(const char *s)
{
  if (!s || strlen(s) != 36)
    return false;
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return false;
    } else if (!isxdigit((unsigned char)s[i])) {
      return false;
    }
  }
  return true;
}

void up_ascii_lower(char *s)
{
  for (; s && *s; s++)
    *s = (char)tolower((unsigned char)*s);
}

char *up_strdup(const char *s)
{
  return s ? strdup(s) : NULL;
}

bool up_str_set(char **p, const char *s)
{
  char *copy = NULL;
  if (s && !(copy = strdup(s)))
    return false;
  free(*p);
  *p = copy;
  return true;
}

size_t up_utf8_length(const char *s)
{
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
    if ((*p & 0xC0) != 0x80)
      n++;
  return n;
}

void up_utf8_sanitize(char *s)
{
  unsigned char *p = (unsigned char *)s;
  while (p && *p) {
    unsigned c = *p, n = 0, i;
    uint32_t cp = 0;
    if (c < 0x80) {
      p++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      n = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
      n = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
      n = 3, cp = c & 0x07;
    for (i = 1; i <= n && (p[i] & 0xC0) == 0x80; i++) /* stops at the NUL */
      cp = (cp << 6) | (p[i] & 0x3F);
    if (n == 0 || i <= n || (n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      *p++ = '?';
      continue;
    }
    p += n + 1;
  }
}

bool up_str_ieq(const char *a, const char *b)
{
  return a && b && strcasecmp(a, b) == 0;
}

bool up_str_nieq(const char *a, const char *b, size_t n)
{
  return a && b && strncasecmp(a, b, n) == 0;
}

bool up_strlcpy(char *dst, const char *src, size_t n)
{
  size_t len = strlen(src);
  if (len < n) {
    memcpy(dst, src, len + 1);
    return true;
  }
  memcpy(dst, src, n - 1);
  dst[n - 1] = '\0';
  return false;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

char *up_percent_decode(const char *src, size_t len, bool plus_is_space)
{
  char *out = malloc(len + 1), *o = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    char c = src[i];
    if (c == '%') {
      int hi, lo;
      if (i + 2 >= len || (hi = hexval(src[i + 1])) < 0 || (lo = hexval(src[i + 2])) < 0) {
        free(out);
        return NULL;
      }
      c = (char)(hi * 16 + lo);
      i += 2;
      if (c == '\0') {
        free(out);
        return NULL;
      }
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    } else if (c == '\0') {
      free(out);
      return NULL;
    }
    *o++ = c;
  }
  *o = '\0';
  return out;
}

bool up_mem_equal_ct(const void *a, const void *b, size_t n)
{
  const volatile unsigned char *x = a, *y = b;
  unsigned char acc = 0;
  for (size_t i = 0; i < n; i++)
    acc |= x[i] ^ y[i];
  return acc == 0;
}

bool up_random_bytes(void *buf, size_t n)
{
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += got;
    n -= (size_t)got;
  }
  return true;
}

bool up_mkdir_p(const char *path, int mode)
{
  struct stat st;
  char parent[4096];
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return true;
    errno = ENOTDIR;
    return false;
  }
  if (errno != ENOENT)
    return false;
  /* The parent first (every missing level), then this one. */
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/')
    len--;
  while (len > 0 && path[len - 1] != '/')
    len--;
  while (len > 1 && path[len - 1] == '/')
    len--;
  if (len > 0 && !(len == 1 && path[0] == '/')) {
    if (len >= sizeof(parent)) {
      errno = ENAMETOOLONG;
      return false;
    }
    memcpy(parent, path, len);
    parent[len] = '\0';
    if (!up_mkdir_p(parent, mode))
      return false;
  }
  return mkdir(path, (mode_t)mode) == 0 || errno == EEXIST;
}

unsigned up_json_depth(const char *data, size_t len, unsigned limit)
{
  unsigned depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < len && deepest <= limit; i++) {
    char c = data[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest)
        deepest = depth;
    } else if ((c == '}' || c == ']') && depth) {
      depth--;
    }
  }
  return deepest;
}

size_t up_query_count(const char *qs)
{
  size_t n = 0;
  for (const char *p = qs; p && *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len)
      n++;
    if (!amp)
      break;
    p = amp + 1;
  }
  return n;
}

bool up_base64url_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
  static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    size_t k = n - i;
    if (k > 1)
      v |= (uint32_t)in[i + 1] << 8;
    if (k > 2)
      v |= in[i + 2];
    for (size_t j = 0; j < (k > 2 ? 4 : k + 1); j++) {
      if (o + 1 >= outlen)
        return false;
      out[o++] = b64url[(v >> (18 - 6 * j)) & 63];
    }
  }
  if (o >= outlen)
    return false;
  out[o] = '\0';
  return true;
}
