/* model-private.h - helpers shared by the model-*.c files.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_MODEL_PRIVATE_H
#define UP_MODEL_PRIVATE_H

#include "uprintd/model.h"

#include <jansson.h>

/** Checks every member of a write body of type against the properties a caller may send:
 *  allowed lists the property names (a "x@odata.bind" entry allows that bind). Each allowed
 *  value is validated against the model; other known properties are refused as not
 *  updatable (read-only ones as read-only), unknown ones as unknown. "@odata.type" naming
 *  the type is tolerated. */
up_status_t up_model_check_body(const up_app_t *app, const char *type, const json_t *body,
                                up_api_version_t ver, const char *const *allowed, up_error_t *err);

/** Compact JSON text of v, members in order (new string, free()); NULL for JSON null or on
 *  allocation failure (*oom set). */
char *up_model_dump(const json_t *v, bool *oom);

/* Merges patch into target member by member (a PATCH of complex values): nested objects merge
 * the same way, anything else (null, arrays, scalars) replaces the member. False when out of
 * memory. */
bool up_model_merge(json_t *target, const json_t *patch);

/** Parses stored JSON text (NULL -> JSON null). A value that fails to parse renders as null. */
json_t *up_model_load(const char *text);

/** JSON string or null. */
json_t *up_model_string(const char *s);

/** A DateTimeOffset or null (UP_TIME_NULL). */
json_t *up_model_time(up_time_t t);

/** Sets key on obj to v (taken); false on failure (v released). */
bool up_model_set(json_t *obj, const char *key, json_t *v);

#endif
