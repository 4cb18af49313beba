/* fuzz-json-models.c - libFuzzer harness: request bodies through the JSON layer and the model
 * validator (up_json_parse_body, up_schema_validate for several Graph types, versions and flags)
 * and through the printer/share body functions that handlers call.
 * Input: JSON text. Invariant checked: every error renders as the Graph error envelope
 * (up_error_render); FUZZ_ALLOW_BAD_UTF8=1 only logs the first few that do not.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/app.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/response.h"
#include "uprintd/schema.h"
#include "uprintd/util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static up_schema_t *schema;
static bool allow_bad_utf8;
static up_app_t app; /* only the models: the body functions need no store */

static const char *const types[] = {
    "printer",         "printerShare",        "printJobConfiguration",         "printerDefaults",
    "printerLocation", "printerCapabilities", "microsoft.graph.printerStatus", "integerRange",
};

static const unsigned flag_sets[] = {0, UP_VALIDATE_WRITE, UP_VALIDATE_ANNOTATIONS,
                                     UP_VALIDATE_WRITE | UP_VALIDATE_ANNOTATIONS};

/* A path prefix just short of the validator's 256-byte path, ending in a 2-byte character. */
static char long_path[260];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  up_error_t err;
  (void)argc;
  (void)argv;
  up_log_set_level(UP_LOG_ERROR);
  allow_bad_utf8 = getenv("FUZZ_ALLOW_BAD_UTF8") && *getenv("FUZZ_ALLOW_BAD_UTF8") == '1';
  if (up_schema_load(&schema, &err) != UP_OK) {
    fprintf(stderr, "fuzz-json-models: %s\n", err.message);
    abort();
  }
  app.schema = schema;
  memset(long_path, 'a', 250);
  memcpy(long_path + 250, "\xc3\xa9", 3);
  return 0;
}

/* Aborts unless err renders as the Graph error envelope with its target (jansson refuses text
 * that is not valid UTF-8: the answer would then have no body, or no target). */
static void check_error(const up_error_t *err, up_status_t expected)
{
  static unsigned logged;
  char *text;
  if (err->status != expected) {
    fprintf(stderr, "fuzz-json-models: status %d, expected %d: %s\n", (int)err->status,
            (int)expected, err->message);
    abort();
  }
  text = up_error_render(err, "request-id", "client-request-id");
  if (text && err->target[0]) { /* a target that is not UTF-8 is left out silently */
    json_t *v = json_loads(text, 0, NULL);
    if (!json_is_string(json_object_get(json_object_get(v, "error"), "target"))) {
      free(text);
      text = NULL;
    }
    json_decref(v);
  }
  if (!text && (!allow_bad_utf8 || logged++ < 20)) {
    fprintf(stderr, "fuzz-json-models: the error does not render: message '");
    for (const unsigned char *p = (const unsigned char *)err->message; *p; p++)
      fprintf(stderr, *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02x", *p);
    fprintf(stderr, "', target '");
    for (const unsigned char *p = (const unsigned char *)err->target; *p; p++)
      fprintf(stderr, *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02x", *p);
    fprintf(stderr, "'\n");
    if (!allow_bad_utf8)
      abort();
  }
  free(text);
}

static void validate_all(const json_t *v)
{
  for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
    for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++)
      for (int ver = UP_API_V1; ver <= UP_API_BETA; ver++) {
        up_error_t err;
        const char *path = f == 0 ? NULL : f == 1 ? "configuration" : f == 2 ? "" : long_path;
        up_error_clear(&err);
        if (!up_schema_validate(schema, types[t], v, (up_api_version_t)ver, flag_sets[f], path,
                                &err))
          check_error(&err, UP_INVALID);
      }
}

/* The per-property check of PATCH bodies, for every member of an object. */
static void validate_members(const json_t *v)
{
  const char *key;
  json_t *value;
  if (!json_is_object(v))
    return;
  json_object_foreach((json_t *)v, key, value)
  {
    for (int ver = UP_API_V1; ver <= UP_API_BETA; ver++) {
      up_error_t err;
      up_error_clear(&err);
      if (!up_schema_validate_property(schema, "printer", key, value, (up_api_version_t)ver,
                                       UP_VALIDATE_ANNOTATIONS, "", &err))
        check_error(&err, UP_INVALID);
      up_schema_property_find(schema, "printerShare", key, (up_api_version_t)ver, NULL, NULL, NULL);
    }
  }
}

/* The handlers' body functions, then rendering of the result. */
static void bodies(const json_t *body, up_api_version_t ver)
{
  up_error_t err;
  up_printer_t p;
  up_share_t s;
  char id[UP_ID_SIZE];

  memset(&p, 0, sizeof(p));
  up_error_clear(&err);
  if (up_printer_from_create(&app, body, ver, &p, &err) == UP_OK) {
    json_decref(up_printer_render(&p, UP_RENDER_DEFAULTS | UP_RENDER_CAPABILITIES));
  } else {
    check_error(&err, UP_INVALID);
  }
  up_printer_fini(&p);

  for (int is_app = 0; is_app <= 1; is_app++) {
    memset(&p, 0, sizeof(p));
    strcpy(p.id, "00000000-0000-0000-0000-000000000001");
    p.display_name = strdup("P");
    p.status_json = up_printer_default_status();
    up_error_clear(&err);
    if (up_printer_apply_patch(&app, body, ver, is_app, &p, &err) == UP_OK) {
      json_t *r = up_printer_render(&p, UP_RENDER_DEFAULTS | UP_RENDER_CAPABILITIES);
      char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;
      if (!text) {
        fprintf(stderr, "fuzz-json-models: a patched printer does not render\n");
        abort();
      }
      free(text);
      json_decref(r);
    } else {
      check_error(&err, UP_INVALID);
    }
    up_printer_fini(&p);
  }

  memset(&s, 0, sizeof(s));
  up_error_clear(&err);
  if (up_share_from_create(&app, body, ver, &s, &err) == UP_OK) {
    if (!up_uuid_is_valid(s.printer_id) || !s.display_name) {
      fprintf(stderr, "fuzz-json-models: share create accepted a bad printer id or name\n");
      abort();
    }
    json_decref(up_share_render(&s, UP_RENDER_DEFAULTS));
  } else {
    check_error(&err, UP_INVALID);
  }
  up_error_clear(&err);
  if (up_share_apply_patch(&app, body, ver, &s, &err) != UP_OK)
    check_error(&err, UP_INVALID);
  up_share_fini(&s);

  const char *bind = json_string_value(json_object_get(body, "printer@odata.bind"));
  if (bind && up_model_bind_printer_id(bind, id) && !up_uuid_is_valid(id))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  json_t *body = NULL, *any;
  up_error_t err;

  if (size > 256 * 1024)
    return -1;
  /* As a request body. */
  up_error_clear(&err);
  if (up_json_parse_body((const char *)data, size, &body, &err) == UP_OK) {
    if (!json_is_object(body))
      abort();
    bodies(body, UP_API_V1);
    bodies(body, UP_API_BETA);
    validate_members(body);
    up_json_free(body);
  } else {
    if (body)
      abort();
    check_error(&err, UP_INVALID);
  }
  /* Any JSON value against the models. */
  any = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
  if (any) {
    validate_all(any);
    json_decref(any);
  }
  return 0;
}
