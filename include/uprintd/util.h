/* util.h - ids, time, strings.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_UTIL_H
#define UPRINTD_UTIL_H

#include "uprintd/base.h"

/** A point in time: 100-nanosecond ticks since 1970-01-01T00:00:00Z (Graph's 7 fractional digits).
 */
typedef int64_t up_time_t;

#define UP_TIME_NULL             ((up_time_t)0) /* "no value" (a null DateTimeOffset) */
#define UP_TIME_TICKS_PER_SECOND 10000000LL
#define UP_TIME_STRLEN           29 /* "2020-06-15T22:27:03.0318490Z" + NUL */

/** Now, from CLOCK_REALTIME. */
up_time_t up_time_now(void);

/** Writes t as "YYYY-MM-DDThh:mm:ss.fffffffZ" into out (at least UP_TIME_STRLEN bytes). */
void up_time_format(up_time_t t, char out[UP_TIME_STRLEN]);

/** Writes t as "YYYY-MM-DDThh:mm:ss" (Graph innerError.date form) into out (>= 20 bytes). */
void up_time_format_seconds(up_time_t t, char out[20]);

/** Parses an ISO-8601 DateTimeOffset (Z or +hh:mm offset, 0-7+ fractional digits); false if
 * malformed. */
bool up_time_parse(const char *s, up_time_t *out);

/** A new random (v4) lower-case GUID. */
void up_uuid_new(char out[UP_ID_SIZE]);

/** A name-based (v5, SHA-1) lower-case GUID of name within namespace ns (a GUID string).
 *  Returns false when ns is not a GUID. */
bool up_uuid_from_name(const char *ns, const char *name, char out[UP_ID_SIZE]);

/** True when s is a GUID in 8-4-4-4-12 hex form (either case). */
bool up_uuid_is_valid(const char *s);

/** Lower-cases a GUID (or any ASCII string) in place. */
void up_ascii_lower(char *s);

/** strdup that returns NULL for NULL. */
char *up_strdup(const char *s);

/** Frees *p and sets it to a copy of s (NULL allowed); false on allocation failure. */
bool up_str_set(char **p, const char *s);

/** Number of Unicode code points in a UTF-8 string (invalid bytes count one each). */
size_t up_utf8_length(const char *s);

/** Writes in[0..n) as unpadded base64url (RFC 4648 section 5) into out, NUL-terminated; false
 *  when outlen is too small (4 characters per 3 bytes, rounded up, plus the NUL). */
bool up_base64url_encode(const unsigned char *in, size_t n, char *out, size_t outlen);

/** The deepest nesting of objects and arrays in a JSON text (brackets in strings do not
 *  count); stops counting at limit + 1. */
unsigned up_json_depth(const char *data, size_t len, unsigned limit);

/** Parameters in a query string (its '&'-separated parts that are not empty). */
size_t up_query_count(const char *qs);

/** Replaces, in place, every byte of s that does not belong to a well-formed UTF-8 sequence
 *  (a stray continuation byte, a truncated, overlong or surrogate sequence, beyond U+10FFFF)
 *  with '?'. The result is valid UTF-8 and no longer than s. */
void up_utf8_sanitize(char *s);

/** Case-insensitive ASCII comparison of n bytes / whole strings. */
bool up_str_ieq(const char *a, const char *b);
bool up_str_nieq(const char *a, const char *b, size_t n);

/** Bounded copy that always NUL-terminates (dst size n > 0). Returns false on truncation. */
bool up_strlcpy(char *dst, const char *src, size_t n);

/** Decodes %XX escapes (and '+' as space when plus_is_space) from src[0..len) into a new string.
 *  Returns NULL on malformed escapes, embedded NUL or allocation failure. */
char *up_percent_decode(const char *src, size_t len, bool plus_is_space);

/** Constant-time comparison of two byte buffers of equal length n. */
bool up_mem_equal_ct(const void *a, const void *b, size_t n);

/** Fills buf with n bytes from the kernel's random source; false on failure. */
bool up_random_bytes(void *buf, size_t n);

/** Creates directory path with mode when absent, and its missing parents; false (errno set) on
 *  failure. */
bool up_mkdir_p(const char *path, int mode);

#endif
