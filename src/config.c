/* config.c - the `uprintd serve` options: one table of name, kind, bounds and field.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/config.h"
#include "uprintd/auth.h"
#include "uprintd/resilience.h"
#include "uprintd/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
  OPT_LISTEN,
  OPT_STRING,
  OPT_UINT,
  OPT_FLAG,
  OPT_LEVEL,
  OPT_URL,
  OPT_PERMISSIONS,
  OPT_DURABILITY,
  OPT_RATE,
  OPT_LOG_FORMAT,
  OPT_ACCESS_LOG
} opt_kind_t;

typedef struct opt {
  const char *name; /* without "--" */
  opt_kind_t kind;
  size_t offset;          /* field in up_config_t */
  size_t size;            /* string fields: buffer size */
  unsigned long min, max; /* OPT_UINT bounds */
  const char *arg;        /* help: argument name */
  const char *help;       /* help: meaning and default */
} opt_t;

#define FIELD(f) offsetof(up_config_t, f), sizeof(((up_config_t *)0)->f)

static const opt_t options[] = {
    {"listen", OPT_LISTEN, FIELD(listen_host), 0, 0, "HOST:PORT",
     "address to listen on (default 127.0.0.1:8080; port 0 picks a free port)"},
    {"data", OPT_STRING, FIELD(data_dir), 0, 0, "DIR",
     "data folder: database, signing key, documents (default ./data; created if absent)"},
    {"base-url", OPT_URL, FIELD(base_url), 0, 0, "URL",
     "absolute URL used in links such as @odata.context (default http://HOST:PORT)"},
    {"threads", OPT_UINT, FIELD(threads), 1, 64, "N",
     "HTTP worker threads (default 2; 8 with --durability full)"},
    {"log-level", OPT_LEVEL, FIELD(log_level), 0, 0, "L",
     "debug, info, warn or error (default info)"},
    {"log-format", OPT_LOG_FORMAT, FIELD(log_json), 0, 0, "F",
     "text (default) or json: every log line, the access log's included, a JSON object"},
    {"access-log", OPT_ACCESS_LOG, FIELD(access_log_off), 0, 0, "on|off",
     "one line per answered request: request-id, client-request-id, tenant, caller, method, "
     "route pattern, status, duration, body bytes in and out; never a token (default on)"},
    {"demo", OPT_FLAG, FIELD(demo), 0, 0, "",
     "create a demo printer and share, print ready tokens"},
    {"durability", OPT_DURABILITY, FIELD(durability), 0, 0, "MODE",
     "normal (default: commits reach the disk at checkpoints; a crash of the machine may lose "
     "the last ones), full (every answered write is fsynced first; concurrent writes share one "
     "fsync) or full-each (one fsync per commit, for comparison)"},
    {"permissions", OPT_PERMISSIONS, FIELD(permissions_off), 0, 0, "MODE",
     "enforce (default: Graph's scopes, roles and ownership) or off (any valid token may do "
     "anything)"},
    {"max-json-kb", OPT_UINT, FIELD(max_json_kb), 1, 65536, "N",
     "largest JSON request body in KiB (default 1024)"},
    {"max-url-kb", OPT_UINT, FIELD(max_url_kb), 1, 64, "N",
     "longest request URL in KiB (default 8)"},
    {"sim-job-ms", OPT_UINT, FIELD(sim_job_ms), 0, 3600000, "N",
     "how long a simulated device prints one job, in ms (default 1000)"},
    {"max-document-mb", OPT_UINT, FIELD(max_document_mb), 1, 1048576, "N",
     "largest document an upload session accepts, in MiB (default 512)"},
    {"task-timeout-s", OPT_UINT, FIELD(task_timeout_s), 1, 31536000, "N",
     "a job held by a print task longer than this is aborted, in seconds (default 86400)"},
    {"upload-expiry-s", OPT_UINT, FIELD(upload_expiry_s), 1, 2592000, "N",
     "lifetime of an upload session in seconds (default 86400)"},
    {"trust-jwks", OPT_STRING, FIELD(trust_jwks), 0, 0, "FILE",
     "also accept RS256/ES256 tokens signed by the keys of this JWKS file (read at start)"},
    {"issuer", OPT_STRING, FIELD(issuer), 0, 0, "ISS",
     "tokens signed by --trust-jwks keys must carry exactly this iss (default: any)"},
    {"audience", OPT_STRING, FIELD(audience), 0, 0, "AUD",
     "tokens signed by --trust-jwks keys must carry this aud (default: Microsoft Graph)"},
    {"clock-skew", OPT_UINT, FIELD(clock_skew), 0, 3600, "SECONDS",
     "leeway on the exp and nbf of every token (default 30)"},
    {"max-header-kb", OPT_UINT, FIELD(max_header_kb), 1, 1024, "N",
     "largest request line and headers beyond the URL, in KiB; more gets 431 and the connection "
     "closed (default 48)"},
    {"max-json-depth", OPT_UINT, FIELD(max_json_depth), 2, 1000, "N",
     "deepest nesting of objects and arrays in a JSON body; deeper gets 400 (default 64)"},
    {"max-query-options", OPT_UINT, FIELD(max_query_options), 1, 1000, "N",
     "most parameters in a query string; more gets 400 (default 32)"},
    {"max-connections", OPT_UINT, FIELD(max_connections), 1, 100000, "N",
     "open connections in all; more are closed at once (default 1024)"},
    {"max-connections-per-ip", OPT_UINT, FIELD(max_connections_ip), 0, 100000, "N",
     "open connections per client address; more are closed at once (default 512, 0: no limit)"},
    {"max-in-flight", OPT_UINT, FIELD(max_in_flight), 1, 100000, "N",
     "requests in progress at once; more get 503 with Retry-After at once (default 512)"},
    {"idle-timeout-s", OPT_UINT, FIELD(idle_timeout_s), 1, 3600, "N",
     "a connection silent this long is closed, in seconds (default 60)"},
    {"request-timeout-s", OPT_UINT, FIELD(request_timeout_s), 1, 86400, "N",
     "a request whose headers or body are still arriving after this long gets 408 and the "
     "connection closed, in seconds (default 300)"},
    {"job-quota", OPT_UINT, FIELD(job_quota), 0, 10000000, "N",
     "jobs one user may create in --job-quota-days days (applications have no quota); more get 429 "
     "quotaLimitReached (default 10000, Graph's; 0: no quota)"},
    {"job-quota-days", OPT_UINT, FIELD(job_quota_days), 1, 365, "D",
     "the window of --job-quota, in days (default 12)"},
    {"max-upload-sessions", OPT_UINT, FIELD(max_upload_sessions), 0, 1000000, "N",
     "open upload sessions on one user's jobs; more get 429 quotaLimitReached "
     "(default 1000, 0: no limit)"},
    {"tls-cert", OPT_STRING, FIELD(tls_cert), 0, 0, "FILE",
     "serve HTTPS with this PEM certificate (chain); needs --tls-key (default: HTTP)"},
    {"tls-key", OPT_STRING, FIELD(tls_key), 0, 0, "FILE",
     "the PEM private key of --tls-cert (unencrypted)"},
    {"rate-limit", OPT_RATE, FIELD(rate_limit), 0, 0, "N/SECONDS",
     "at most N requests per SECONDS seconds per application and per user, then 429 with "
     "Retry-After (default off)"},
};

void up_config_defaults(up_config_t *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  strcpy(cfg->listen_host, "127.0.0.1");
  cfg->listen_port = 8080;
  strcpy(cfg->data_dir, "./data");
  cfg->threads = 2;
  cfg->log_level = UP_LOG_INFO;
  cfg->max_json_kb = 1024;
  cfg->max_url_kb = 8;
  cfg->sim_job_ms = 1000;
  cfg->max_document_mb = 512;
  cfg->upload_expiry_s = 86400;
  cfg->task_timeout_s = 86400;
  cfg->clock_skew = UP_DEFAULT_CLOCK_SKEW;
  cfg->max_header_kb = 48;
  cfg->max_json_depth = 64;
  cfg->max_query_options = 32;
  cfg->max_connections = 1024;
  cfg->max_connections_ip = 512;
  cfg->max_in_flight = 512;
  cfg->idle_timeout_s = 60;
  cfg->request_timeout_s = 300;
  cfg->job_quota = 10000;
  cfg->job_quota_days = 12;
  cfg->max_upload_sessions = 1000;
}

/* "HOST:PORT", "[v6]:PORT" or ":PORT". */
static bool parse_listen(up_config_t *cfg, const char *v)
{
  const char *colon = strrchr(v, ':');
  char *end;
  if (!colon)
    return false;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (!colon[1] || *end || errno || port > 65535)
    return false;
  size_t hlen = (size_t)(colon - v);
  if (hlen >= 2 && v[0] == '[' && v[hlen - 1] == ']') {
    v++;
    hlen -= 2;
  }
  if (hlen >= sizeof(cfg->listen_host))
    return false;
  memcpy(cfg->listen_host, v, hlen);
  cfg->listen_host[hlen] = '\0';
  if (hlen == 0)
    strcpy(cfg->listen_host, "127.0.0.1");
  cfg->listen_port = (unsigned)port;
  return true;
}

static bool apply(up_config_t *cfg, const opt_t *o, const char *v, char *err, size_t errlen)
{
  char *field = (char *)cfg + o->offset;
  switch (o->kind) {
  case OPT_LISTEN:
    if (!parse_listen(cfg, v)) {
      snprintf(err, errlen, "--listen: expected HOST:PORT, got '%s'", v);
      return false;
    }
    return true;
  case OPT_URL: {
    size_t len = strlen(v);
    while (len && v[len - 1] == '/')
      len--;
    if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) || len >= o->size) {
      snprintf(err, errlen, "--%s: expected an absolute http:// or https:// URL, got '%s'", o->name,
               v);
      return false;
    }
    memcpy(field, v, len);
    field[len] = '\0';
    return true;
  }
  case OPT_STRING:
    if (!*v || strlen(v) >= o->size) {
      snprintf(err, errlen, "--%s: value empty or too long", o->name);
      return false;
    }
    strcpy(field, v);
    return true;
  case OPT_UINT: {
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || n < o->min || n > o->max) {
      snprintf(err, errlen, "--%s: expected a whole number from %lu to %lu, got '%s'", o->name,
               o->min, o->max, v);
      return false;
    }
    *(unsigned *)(void *)field = (unsigned)n;
    return true;
  }
  case OPT_LEVEL:
    if (!up_log_level_parse(v, (up_log_level_t *)(void *)field)) {
      snprintf(err, errlen, "--%s: expected debug, info, warn or error, got '%s'", o->name, v);
      return false;
    }
    return true;
  case OPT_FLAG:
    *(bool *)(void *)field = true;
    return true;
  case OPT_DURABILITY:
    if (strcmp(v, "normal") == 0)
      *(up_durability_t *)(void *)field = UP_DURABILITY_NORMAL;
    else if (strcmp(v, "full") == 0)
      *(up_durability_t *)(void *)field = UP_DURABILITY_FULL;
    else if (strcmp(v, "full-each") == 0)
      *(up_durability_t *)(void *)field = UP_DURABILITY_FULL_EACH;
    else {
      snprintf(err, errlen, "--%s: expected normal, full or full-each, got '%s'", o->name, v);
      return false;
    }
    return true;
  case OPT_PERMISSIONS:
    if (strcmp(v, "enforce") != 0 && strcmp(v, "off") != 0) {
      snprintf(err, errlen, "--%s: expected enforce or off, got '%s'", o->name, v);
      return false;
    }
    *(bool *)(void *)field = strcmp(v, "off") == 0;
    return true;
  case OPT_LOG_FORMAT:
  case OPT_ACCESS_LOG: {
    const char *a = o->kind == OPT_LOG_FORMAT ? "text" : "on";
    const char *b = o->kind == OPT_LOG_FORMAT ? "json" : "off";
    if (strcmp(v, a) != 0 && strcmp(v, b) != 0) {
      snprintf(err, errlen, "--%s: expected %s or %s, got '%s'", o->name, a, b, v);
      return false;
    }
    *(bool *)(void *)field = strcmp(v, b) == 0;
    return true;
  }
  case OPT_RATE:
    return up_ratelimit_parse(v, &cfg->rate_limit, &cfg->rate_window_s, err, errlen);
  }
  return false;
}

bool up_config_parse_serve(up_config_t *cfg, int argc, char **argv, char *err, size_t errlen)
{
  bool threads_given = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    const opt_t *o = NULL;
    if (strncmp(arg, "--", 2) != 0) {
      snprintf(err, errlen, "unexpected argument '%s'", arg);
      return false;
    }
    const char *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
      if (strlen(options[k].name) == nlen && strncmp(options[k].name, arg + 2, nlen) == 0)
        o = &options[k];
    if (!o) {
      snprintf(err, errlen, "unknown option '%s' (see uprintd --help)", arg);
      return false;
    }
    if (o->kind == OPT_FLAG) {
      if (eq) {
        snprintf(err, errlen, "--%s takes no value", o->name);
        return false;
      }
    } else if (eq) {
      value = eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      snprintf(err, errlen, "--%s needs a value (%s)", o->name, o->arg);
      return false;
    }
    if (!apply(cfg, o, value, err, errlen))
      return false;
    threads_given = threads_given || strcmp(o->name, "threads") == 0;
  }
  /* Group commit needs requests waiting together: --durability full defaults to 8 threads. */
  if (cfg->durability == UP_DURABILITY_FULL && !threads_given)
    cfg->threads = 8;
  if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
    snprintf(err, errlen, "--%s needs --%s too", cfg->tls_cert[0] ? "tls-cert" : "tls-key",
             cfg->tls_cert[0] ? "tls-key" : "tls-cert");
    return false;
  }
  if ((cfg->issuer[0] || cfg->audience[0]) && !cfg->trust_jwks[0]) {
    snprintf(err, errlen,
             "--%s applies to tokens signed by --trust-jwks keys: give --trust-jwks FILE too",
             cfg->issuer[0] ? "issuer" : "audience");
    return false;
  }
  return true;
}

void up_config_print_help(void *file)
{
  FILE *f = file;
  for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
    fprintf(f, "  --%-12s %-10s %s\n", options[k].name, options[k].arg, options[k].help);
}
