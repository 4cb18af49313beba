/* app.c - opening the data folder, store, keys and models; the demo tenant.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/app.h"
#include "uprintd/log.h"
#include "uprintd/metrics.h"
#include "uprintd/model.h"
#include "uprintd/resilience.h"
#include "uprintd/util.h"
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Housekeeping: expired upload sessions, stray spool files, tasks past --task-timeout-s. It
 * runs every minute, or twice per task timeout when that is shorter. */
static unsigned housekeeping_ms(const up_config_t *cfg)
{
  unsigned long ms = (unsigned long)cfg->task_timeout_s * 500;
  return ms < 200 ? 200 : ms > 60000 ? 60000 : (unsigned)ms;
}

static void housekeeping(void *arg)
{
  up_api_uploads_housekeeping(arg);
  up_api_tasks_housekeeping(arg);
}

/* Token settings: the leeway on lifetimes, and the keys of an identity provider (--trust-jwks),
 * read once here. */
static up_status_t trust_external_keys(up_keyring_t *keys, const up_config_t *cfg, up_error_t *err)
{
  size_t n = 0;
  up_status_t st;
  up_keyring_set_clock_skew(keys, cfg->clock_skew);
  if (!cfg->trust_jwks[0])
    return UP_OK;
  st = up_keyring_trust_jwks(keys, cfg->trust_jwks, cfg->issuer, cfg->audience, &n, err);
  if (st != UP_OK) {
    if (err) {
      char msg[sizeof(err->message)];
      up_strlcpy(msg, err->message, sizeof(msg));
      up_error_set(err, st, NULL, "--trust-jwks: %s", msg);
    }
    return st;
  }
  up_log(UP_LOG_INFO,
         "trusting %zu signing key%s of %s for RS256/ES256 tokens (issuer %s, audience %s)", n,
         n == 1 ? "" : "s", cfg->trust_jwks, cfg->issuer[0] ? cfg->issuer : "any",
         cfg->audience[0] ? cfg->audience : "Microsoft Graph");
  return UP_OK;
}

up_status_t up_app_open(const up_config_t *config, up_app_t **out, up_error_t *err)
{
  char path[1200];
  up_status_t st;
  up_app_t *app = calloc(1, sizeof(*app));
  *out = NULL;
  if (!app)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  app->config = *config;
  up_strlcpy(app->base_url, config->base_url, sizeof(app->base_url));
  if (!up_mkdir_p(config->data_dir, 0700)) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot create data folder '%s': %s",
                      config->data_dir, strerror(errno));
    goto fail;
  }
  snprintf(path, sizeof(path), "%s/uprintd.db", config->data_dir);
  if ((st = up_store_open(path, &app->store, err)) != UP_OK ||
      (config->durability == UP_DURABILITY_FULL_EACH &&
       (st = up_store_set_synchronous_full(app->store, err)) != UP_OK) ||
      (st = up_keyring_open(config->data_dir, &app->keys, err)) != UP_OK ||
      (st = trust_external_keys(app->keys, config, err)) != UP_OK ||
      (st = up_schema_load(&app->schema, err)) != UP_OK)
    goto fail;
  if (config->demo && (st = up_app_seed_demo(app, err)) != UP_OK)
    goto fail;
  /* Document contents and upload spool files live in the data folder too. */
  snprintf(app->documents_dir, sizeof(app->documents_dir), "%s/documents", config->data_dir);
  snprintf(app->uploads_dir, sizeof(app->uploads_dir), "%s/uploads", config->data_dir);
  if (!up_mkdir_p(app->documents_dir, 0700) || !up_mkdir_p(app->uploads_dir, 0700)) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot create the folders of '%s': %s",
                      config->data_dir, strerror(errno));
    goto fail;
  }
  /* Simulated faults and throttling (resilience.h): no rule at start, --rate-limit when set. */
  size_t n_routes = 0;
  while (up_routes[n_routes].pattern)
    n_routes++;
  if (!(app->metrics = up_metrics_new(n_routes)) || !(app->faults = up_faults_new(0)) ||
      (config->rate_limit &&
       !(app->ratelimit = up_ratelimit_new(config->rate_limit, config->rate_window_s, 0)))) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto fail;
  }
  if (config->rate_limit)
    up_log(UP_LOG_INFO,
           "rate limit: %u requests per %u s per application and per user (429 beyond it)",
           config->rate_limit, config->rate_window_s);
  up_api_uploads_recover(app);
  if ((st = up_uploads_new(&app->uploads, err)) != UP_OK ||
      (st = up_devices_start(app->store, config->sim_job_ms, &app->devices, err)) != UP_OK)
    goto fail;
  up_devices_set_housekeeping(app->devices, housekeeping_ms(config), housekeeping, app);
  *out = app;
  return UP_OK;
fail:
  up_app_free(app);
  return st;
}

void up_app_free(up_app_t *app)
{
  if (!app)
    return;
  up_devices_stop(app->devices);
  up_uploads_free(app->uploads);
  up_faults_free(app->faults);
  up_metrics_free(app->metrics);
  up_ratelimit_free(app->ratelimit);
  up_store_free(app->store);
  up_keyring_free(app->keys);
  up_schema_free(app->schema);
  free(app);
}

up_status_t up_app_seed_demo(up_app_t *app, up_error_t *err)
{
  up_printer_t p;
  up_operation_t op;
  up_share_t s;
  up_status_t st;
  memset(&p, 0, sizeof(p));
  memset(&op, 0, sizeof(op));
  memset(&s, 0, sizeof(s));
  /* Fixed ids derived from the tenant make the seeding idempotent. */
  char printer_id[UP_ID_SIZE];
  up_uuid_from_name(UP_DEFAULT_TENANT, "uprintd-demo-printer", printer_id);
  st = up_store_printer_get(app->store, UP_DEFAULT_TENANT, printer_id, &p, err);
  if (st == UP_NOT_FOUND) {
    memcpy(p.id, printer_id, UP_ID_SIZE);
    up_strlcpy(p.tenant_id, UP_DEFAULT_TENANT, sizeof(p.tenant_id));
    p.display_name = strdup("Demo Printer");
    p.manufacturer = strdup("Contoso");
    p.model = strdup("Simulated LaserJet 9000");
    p.has_physical_device = true;
    p.is_accepting_jobs = 1;
    p.registered_at = p.last_seen_at = up_time_now();
    p.status_json = up_printer_default_status();
    p.capabilities_json = up_printer_default_capabilities();
    p.defaults_json = up_printer_default_defaults();
    p.factory_defaults_json = up_printer_default_defaults();
    p.location_json =
        strdup("{\"building\":\"1\",\"floor\":\"2\",\"roomName\":\"210\",\"city\":\"Redmond\","
               "\"countryOrRegion\":\"US\"}");
    up_uuid_from_name(UP_DEFAULT_TENANT, "uprintd-demo-operation", op.id);
    up_strlcpy(op.tenant_id, UP_DEFAULT_TENANT, sizeof(op.tenant_id));
    op.created_at = p.registered_at;
    op.state = UP_OPERATION_SUCCEEDED;
    op.description = strdup("The operation has completed successfully.");
    up_strlcpy(op.printer_id, p.id, sizeof(op.printer_id));
    if (!p.display_name || !p.manufacturer || !p.model || !p.status_json || !p.capabilities_json ||
        !p.defaults_json || !p.factory_defaults_json || !p.location_json || !op.description) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    if ((st = up_store_printer_create(app->store, &p, &op, err)) != UP_OK)
      goto out;
    up_log(UP_LOG_INFO, "demo: registered printer %s", p.id);
  } else if (st != UP_OK) {
    goto out;
  }
  if (!p.is_shared) {
    up_uuid_from_name(UP_DEFAULT_TENANT, "uprintd-demo-share", s.id);
    up_strlcpy(s.tenant_id, UP_DEFAULT_TENANT, sizeof(s.tenant_id));
    up_strlcpy(s.printer_id, p.id, sizeof(s.printer_id));
    s.allow_all_users = true;
    s.created_at = up_time_now();
    if (!(s.display_name = strdup("Demo Printer"))) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    if ((st = up_store_share_create(app->store, &s, err)) != UP_OK)
      goto out;
    up_log(UP_LOG_INFO, "demo: shared printer %s as %s", p.id, s.id);
  }
  st = UP_OK;
out:
  up_printer_fini(&p);
  up_operation_fini(&op);
  up_share_fini(&s);
  return st;
}
