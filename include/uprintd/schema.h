/* schema.h - the Graph models (schema/models.json, embedded) and the one validator that checks
 * any JSON value against them. Model layer: uses jansson.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_SCHEMA_H
#define UPRINTD_SCHEMA_H

#include "uprintd/base.h"

struct json_t;
typedef struct up_schema up_schema_t;

/** Validation flags. */
enum {
  UP_VALIDATE_WRITE = 1u << 0,       /**< a request body: read-only properties are refused */
  UP_VALIDATE_ANNOTATIONS = 1u << 1, /**< tolerate "@odata.type" (must then name the type or a
                                          subtype) and other "x@odata.*" / "@odata.*" annotations */
};

/** Loads and checks the embedded schema/models.json. The result is immutable and may be shared
 *  by threads. Caller frees with up_schema_free. */
up_status_t up_schema_load(up_schema_t **out, up_error_t *err);

/** Loads a model set from JSON text (tests). */
up_status_t up_schema_load_text(const char *text, size_t len, up_schema_t **out, up_error_t *err);

void up_schema_free(up_schema_t *schema);

/** Validates value against the type named type (an entity, complex or enum type, named with or
 *  without "microsoft.graph."): JSON kinds, Int32/Int64 ranges, enum members (all of them,
 *  including those after unknownFutureValue), nullability, collections, unknown properties,
 *  properties that do not exist in version ver (beta-only members are refused in v1.0) and,
 *  with UP_VALIDATE_WRITE, read-only properties.
 *  @param path prefix for messages and err->target ("configuration"), or NULL/"" at the top.
 *  @return true when valid; otherwise false with err (UP_INVALID, code "invalidRequest") naming
 *          the property path, and for enums the allowed values. */
bool up_schema_validate(const up_schema_t *schema, const char *type, const struct json_t *value,
                        up_api_version_t ver, unsigned flags, const char *path, up_error_t *err);

/** Like up_schema_validate for the one property prop of type (value may be JSON null). */
bool up_schema_validate_property(const up_schema_t *schema, const char *type, const char *prop,
                                 const struct json_t *value, up_api_version_t ver, unsigned flags,
                                 const char *path, up_error_t *err);

/** Property lookup: true when type (or a base type) declares prop in version ver; the out
 *  parameters (each may be NULL) receive its flags. */
bool up_schema_property_find(const up_schema_t *schema, const char *type, const char *prop,
                             up_api_version_t ver, bool *read_only, bool *nullable,
                             bool *navigation);

/** True when enum_name has member. */
bool up_schema_enum_has(const up_schema_t *schema, const char *enum_name, const char *member);

/** Numeric value of an enum member, or -1. */
long up_schema_enum_value(const up_schema_t *schema, const char *enum_name, const char *member);

/** True when member is declared after unknownFutureValue (an evolvable member). */
/** Replaces, anywhere in body, the values of enum properties that are members declared after
 *  unknownFutureValue (printFinishing, printerProcessingStateDetail) with unknownFutureValue:
 *  what Graph answers without `Prefer: include-unknown-enum-members` (reference 10.9). */
void up_schema_hide_evolvable(const up_schema_t *schema, struct json_t *body);

bool up_schema_enum_is_evolvable(const up_schema_t *schema, const char *enum_name,
                                 const char *member);

#endif
