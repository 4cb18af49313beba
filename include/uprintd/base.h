/* base.h - status codes, the error record and small shared definitions.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_BASE_H
#define UPRINTD_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UP_ID_SIZE 37 /* a lower-case GUID, 36 characters + NUL */

#if defined(__GNUC__)
#define UP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define UP_UNUSED       __attribute__((unused))
#else
#define UP_PRINTF(f, a)
#define UP_UNUSED
#endif

/** Outcome of an operation. Each maps to one HTTP status and a default Graph error code
 *  (the table is in response.c). */
typedef enum up_status {
  UP_OK = 0,
  UP_INVALID,            /**< 400 invalidRequest */
  UP_UNAUTHORIZED,       /**< 401 InvalidAuthenticationToken */
  UP_FORBIDDEN,          /**< 403 accessDenied */
  UP_NOT_FOUND,          /**< 404 itemNotFound */
  UP_METHOD_NOT_ALLOWED, /**< 405 */
  UP_CONFLICT,           /**< 409 */
  UP_TOO_LARGE,          /**< 413 */
  UP_URI_TOO_LONG,       /**< 414 */
  UP_UNSUPPORTED_MEDIA,  /**< 415 */
  UP_RANGE,              /**< 416 invalidRange */
  UP_FAILED_DEPENDENCY,  /**< 424 failedDependency: a batch request whose dependency failed */
  UP_TOO_MANY_REQUESTS,  /**< 429 TooManyRequests (throttled) */
  UP_NOMEM,              /**< 500, out of memory */
  UP_DB,                 /**< 500, the store failed */
  UP_INTERNAL,           /**< 500 */
  UP_UNAVAILABLE,        /**< 503 serviceNotAvailable */
  UP_GATEWAY_TIMEOUT,    /**< 504 gatewayTimeout */
  UP_REQUEST_TIMEOUT,    /**< 408 requestTimeout: the request did not arrive in time */
  UP_QUOTA,              /**< 429 quotaLimitReached: a per-user quota is used up */
  UP_NO_SPACE,           /**< 507 quotaLimitReached: the disk is full */
  UP_STATUS_COUNT
} up_status_t;

/** A failure, filled by the function that detected it. */
typedef struct up_error {
  up_status_t status; /**< what went wrong */
  char code[48];      /**< Graph error.code; "" = the default for status */
  char message[2048]; /**< human-readable message, safe to send to the client */
  char target[128];   /**< offending property path ("configuration.colorMode") or "" */
} up_error_t;

/** Fills err (which may be NULL) and returns st. code may be NULL for the status's default. */
up_status_t up_error_set(up_error_t *err, up_status_t st, const char *code, const char *fmt, ...)
    UP_PRINTF(4, 5);

/** Sets err->target (bounded copy); err may be NULL. */
void up_error_set_target(up_error_t *err, const char *target);

/** Clears err to UP_OK with empty strings. */
void up_error_clear(up_error_t *err);

/** Graph API version of a request. */
typedef enum up_api_version {
  UP_API_V1 = 1,
  UP_API_BETA = 2,
  UP_API_ROOT = 4, /**< not Graph: this server's own URLs under /_uprintd (uploads, control) */
} up_api_version_t;

/** Returns "v1.0" or "beta" ("v1.0" for UP_API_ROOT, whose links use v1.0). */
const char *up_api_version_name(up_api_version_t v);

#endif
