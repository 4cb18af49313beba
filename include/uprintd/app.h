/* app.h - the application context handed to every handler: configuration, store, models, keys.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_APP_H
#define UPRINTD_APP_H

#include "uprintd/auth.h"
#include "uprintd/config.h"
#include "uprintd/device.h"
#include "uprintd/http.h"
#include "uprintd/schema.h"
#include "uprintd/store.h"

struct up_uploads;
struct up_faults;
struct up_ratelimit;
struct up_metrics;

struct up_app {
  up_config_t config;             /**< settings (read-only after start) */
  char base_url[512];             /**< absolute URL prefix of links, no trailing '/' */
  up_store_t *store;              /**< persistence */
  up_schema_t *schema;            /**< Graph models */
  up_keyring_t *keys;             /**< token keys */
  up_devices_t *devices;          /**< the printers' simulated devices */
  struct up_uploads *uploads;     /**< byte ranges of uploads in flight (api-uploads.c) */
  struct up_faults *faults;       /**< simulated fault rules (resilience.h), server-wide */
  struct up_ratelimit *ratelimit; /**< --rate-limit, or NULL when off (resilience.h) */
  struct up_metrics *metrics;     /**< request counters for /metrics (metrics.h) */
  char documents_dir[1100];       /**< DATA/documents: one file per uploaded document */
  char uploads_dir[1100];         /**< DATA/uploads: spool files of upload sessions */
};
typedef struct up_app up_app_t;

/** Opens the data folder (creating it), the store and the keys, loads the models. When
 *  config->demo, seeds the demo tenant. Caller frees with up_app_free. */
up_status_t up_app_open(const up_config_t *config, up_app_t **out, up_error_t *err);

void up_app_free(up_app_t *app);

/** Creates the demo printer and share in the default tenant once (idempotent). */
up_status_t up_app_seed_demo(up_app_t *app, up_error_t *err);

/** The route table (router.c), ended by a row whose pattern is NULL. */
extern const up_route_t up_routes[];

#endif
