/* response.h - filling responses: JSON entities and collections with their @odata.context,
 * empty answers, headers, and the Graph error envelope.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_RESPONSE_H
#define UPRINTD_RESPONSE_H

#include "uprintd/app.h"
#include "uprintd/http.h"

/** The JSON content type Graph sends. */
#define UP_JSON_CONTENT_TYPE                                                                       \
  "application/"                                                                                   \
  "json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

/** HTTP status for st, and Graph's default error.code for it. */
int up_status_http(up_status_t st);
const char *up_status_code(up_status_t st);

/** Answers status with body (taken: owned by resp afterwards, also on failure). The body is
 *  prefixed with "@odata.context": "<base>/<version>/$metadata#<context>" when context is not
 *  NULL. Returns UP_NOMEM when it cannot build the result. */
up_status_t up_reply_json(const up_app_t *app, const up_request_t *req, up_response_t *resp,
                          int status, const char *context, struct json_t *body);

/** Answers {"@odata.context": ..., "value": items} (items taken). */
/** A text/plain answer (a collection's /$count). */
up_status_t up_reply_text(up_response_t *resp, int status, const char *text);

up_status_t up_reply_collection(const up_app_t *app, const up_request_t *req, up_response_t *resp,
                                const char *context, struct json_t *items);

/** Answers status with no body (202, 204). */
up_status_t up_reply_empty(up_response_t *resp, int status);

/** Adds a response header (bounded copy); false when there is no room. */
bool up_response_header(up_response_t *resp, const char *name, const char *value);

/** Writes "<base>/<version><path>" into out. */
void up_link(const up_app_t *app, up_api_version_t ver, const char *path, char *out, size_t outlen);

/** Builds the error envelope for err (status → default code when err->code is empty).
 *  Returns a new JSON text; caller frees with free(). NULL on allocation failure. */
char *up_error_render(const up_error_t *err, const char *request_id, const char *client_request_id);

/** Serializes a response body; caller frees with free(). */
char *up_response_dump(const up_response_t *resp, size_t *len);

/** Releases the body. */
void up_response_fini(up_response_t *resp);

#endif
