/* config.h - the server's settings: one table of options with defaults and bounds.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_CONFIG_H
#define UPRINTD_CONFIG_H

#include "uprintd/base.h"
#include "uprintd/log.h"

/** When an acknowledged write is on disk (--durability). */
typedef enum up_durability {
  UP_DURABILITY_NORMAL,   /**< at the next checkpoint (WAL, synchronous=NORMAL) */
  UP_DURABILITY_FULL,     /**< before the answer: group commit (store.h, up_store_sync) */
  UP_DURABILITY_FULL_EACH /**< before the answer: one fsync per commit (synchronous=FULL) */
} up_durability_t;

typedef struct up_config {
  char listen_host[256];      /**< --listen HOST part */
  unsigned listen_port;       /**< --listen PORT part (0: the kernel picks one) */
  char data_dir[1024];        /**< --data */
  char base_url[512];         /**< --base-url, without trailing '/'; "" = from the listen address */
  unsigned threads;           /**< --threads: HTTP worker threads */
  up_log_level_t log_level;   /**< --log-level */
  bool log_json;              /**< --log-format json: every log line a JSON object */
  bool access_log_off;        /**< --access-log off: no line per request */
  bool demo;                  /**< --demo */
  up_durability_t durability; /**< --durability */
  bool permissions_off;       /**< --permissions off: any valid token may do anything */
  unsigned max_json_kb;       /**< --max-json-kb: largest JSON request body */
  unsigned max_url_kb;        /**< --max-url-kb: longest request URL (path and query) */
  unsigned sim_job_ms;        /**< --sim-job-ms: how long a simulated device prints a job */
  unsigned max_document_mb;   /**< --max-document-mb: largest document */
  unsigned upload_expiry_s;   /**< --upload-expiry-s: lifetime of an upload session */
  unsigned task_timeout_s;    /**< --task-timeout-s: a job held longer by a task is aborted */
  char trust_jwks[1024];      /**< --trust-jwks: JWKS file of a trusted identity provider, or "" */
  char issuer[512];           /**< --issuer: required iss of tokens signed by those keys, or "" */
  char audience[512];         /**< --audience: required aud of those tokens, or "" (Graph) */
  unsigned clock_skew;        /**< --clock-skew: leeway on exp and nbf of every token, seconds */
  unsigned rate_limit;        /**< --rate-limit N/SECONDS: N (0: off) */
  unsigned rate_window_s;     /**< --rate-limit N/SECONDS: SECONDS */
  /* Limits (reliability): every length and count from the network is bounded. */
  unsigned max_header_kb;       /**< --max-header-kb: request line and headers beyond the URL */
  unsigned max_json_depth;      /**< --max-json-depth: nesting of a JSON body */
  unsigned max_query_options;   /**< --max-query-options: parameters in a query string */
  unsigned max_connections;     /**< --max-connections: open connections in all */
  unsigned max_connections_ip;  /**< --max-connections-per-ip (0: no limit) */
  unsigned max_in_flight;       /**< --max-in-flight: requests in progress; then 503 */
  unsigned idle_timeout_s;      /**< --idle-timeout-s: a silent connection is closed */
  unsigned request_timeout_s;   /**< --request-timeout-s: a request still arriving gets 408 */
  unsigned job_quota;           /**< --job-quota: jobs a user may create per window (0: off) */
  unsigned job_quota_days;      /**< --job-quota-days: the window */
  unsigned max_upload_sessions; /**< --max-upload-sessions: open sessions per user (0: off) */
  char tls_cert[1024];          /**< --tls-cert: PEM certificate (chain) file, or "" for HTTP */
  char tls_key[1024];           /**< --tls-key: PEM private key file */
} up_config_t;

/** Fills the defaults. */
void up_config_defaults(up_config_t *cfg);

/** Parses the options of `uprintd serve` (argv[0] is the first option). On error writes a
 *  message to err and returns false; --issuer and --audience without --trust-jwks are an error. */
bool up_config_parse_serve(up_config_t *cfg, int argc, char **argv, char *err, size_t errlen);

/** Writes the option table (name, argument, default, meaning) as help text. */
void up_config_print_help(void *file);

#endif
