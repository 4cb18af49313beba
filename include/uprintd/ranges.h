/* ranges.h - byte ranges of document uploads: Content-Range parsing and the set arithmetic of
 * received ranges and holes (reference 4.2). Ranges are closed: [start, end], zero-based.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_RANGES_H
#define UPRINTD_RANGES_H

#include "uprintd/base.h"

typedef struct up_range {
  int64_t start; /**< first byte */
  int64_t end;   /**< last byte (inclusive) */
} up_range_t;

/** A set of disjoint ranges, sorted by start, adjacent ranges merged. Zero-initialize it; release
 *  with up_rangeset_fini. */
typedef struct up_rangeset {
  up_range_t *v;
  size_t n;
  size_t cap;
} up_rangeset_t;

/** Parses a Content-Range value "bytes START-END/TOTAL" (also "bytes=START-END/TOTAL", the form
 *  one Graph example uses; surrounding spaces tolerated; the unit case-insensitive). Requires
 *  0 <= START <= END < TOTAL, decimal numbers without signs that fit in int64. UP_INVALID with a
 *  message otherwise. */
up_status_t up_content_range_parse(const char *value, int64_t *start, int64_t *end, int64_t *total,
                                   up_error_t *err);

/** Parses "a-b,c-d" (the stored form; "" is the empty set) into out (zeroed first). Ranges may
 *  come in any order and are normalized. False when malformed or on allocation failure. */
bool up_rangeset_parse(const char *text, up_rangeset_t *out);

/** Formats as "a-b,c-d" (new string, free()); NULL on allocation failure. */
char *up_rangeset_format(const up_rangeset_t *rs);

/** True when [start, end] shares at least one byte with the set. */
bool up_rangeset_overlaps(const up_rangeset_t *rs, int64_t start, int64_t end);

/** Adds [start, end] (merging with overlapping and adjacent ranges); false on allocation failure.
 */
bool up_rangeset_add(up_rangeset_t *rs, int64_t start, int64_t end);

/** Removes [start, end] from the set (splitting a range when needed); false on allocation failure.
 */
bool up_rangeset_remove(up_rangeset_t *rs, int64_t start, int64_t end);

/** The holes: the ranges of [0, size - 1] not in rs, into holes (zeroed first). False on
 *  allocation failure. size 0 has no holes. */
bool up_rangeset_holes(const up_rangeset_t *rs, int64_t size, up_rangeset_t *holes);

/** True when rs covers all of [0, size - 1]. */
bool up_rangeset_covers(const up_rangeset_t *rs, int64_t size);

/** Total bytes in the set. */
int64_t up_rangeset_bytes(const up_rangeset_t *rs);

void up_rangeset_fini(up_rangeset_t *rs);

#endif
