/* main.c - the uprintd command line: `serve` runs the server, `token` issues bearer tokens,
 * `permissions` prints who may call what.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/app.h"
#include "uprintd/auth.h"
#include "uprintd/config.h"
#include "uprintd/log.h"
#include "uprintd/permissions.h"
#include "uprintd/router.h"
#include "uprintd/server.h"
#include "uprintd/util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2

/* Scopes of the tokens that --demo prints. */
#define DEMO_ADMIN_SCOPES                                                                          \
  "Printer.FullControl.All PrinterShare.ReadWrite.All PrintJob.ReadWrite.All "                     \
  "PrintSettings.ReadWrite.All "                                                                   \
  "PrintConnector.ReadWrite.All"
#define DEMO_USER_SCOPES "PrintJob.ReadWrite PrintJob.Create PrinterShare.ReadBasic.All"
#define DEMO_APP_ID      "2f8c7a6e-3b1d-4e5f-9a0b-c1d2e3f4a5b6"
#define DEMO_APP_SCOPES                                                                            \
  "PrintTaskDefinition.ReadWrite.All PrintJob.Manage.All PrintJob.ReadWrite.All Printer.Read.All"

static void usage(FILE *f)
{
  fprintf(f,
          "uprintd %s - a self-hosted Microsoft Graph Universal Print API server\n\n"
          "Usage:\n"
          "  uprintd serve [options]\n"
          "  uprintd token --data DIR --user UPN [--name NAME] [--app APPID] [--tenant TID] [--oid "
          "OID]\n"
          "                [--roles \"R ...\"] [--groups \"G ...\"] --scopes \"S ...\" "
          "[--expires-in SECONDS]\n"
          "  uprintd token --data DIR --app APPID [--tenant TID] --scopes \"S ...\" [--expires-in "
          "SECONDS]\n"
          "  uprintd permissions [--json]\n"
          "  uprintd --help | --version\n\n"
          "Options of serve:\n",
          UP_VERSION);
  up_config_print_help(f);
  fprintf(
      f,
      "\nuprintd token prints a bearer token signed with DIR's key: a delegated (user) token with\n"
      "--user (scopes go to scp, --roles PrinterAdministrator|GlobalAdministrator to wids), or an\n"
      "application token without it (scopes go to roles).\n");
}

/* Issues one token and prints it with a label, for --demo. */
static void print_demo_token(const up_app_t *app, const char *label, const up_token_spec_t *spec)
{
  char *token = NULL;
  up_error_t err;
  if (up_token_issue(app->keys, spec, &token, &err) == UP_OK)
    printf("%s\n  %s\n\n", label, token);
  else
    up_log(UP_LOG_ERROR, "demo: cannot issue a token: %s", err.message);
  free(token);
}

static void print_demo(const up_app_t *app, const char *base_url)
{
  int64_t day = 86400;
  printf("\nDemo tenant %s: one printer and one share. Tokens (valid 24 h):\n\n",
         UP_DEFAULT_TENANT);
  print_demo_token(app, "Printer Administrator (admin@contoso.com):",
                   &(up_token_spec_t){.upn = "admin@contoso.com",
                                      .name = "Demo Admin",
                                      .roles = "PrinterAdministrator",
                                      .scopes = DEMO_ADMIN_SCOPES,
                                      .expires_in = day});
  print_demo_token(app, "User (user@contoso.com):",
                   &(up_token_spec_t){.upn = "user@contoso.com",
                                      .name = "Demo User",
                                      .scopes = DEMO_USER_SCOPES,
                                      .expires_in = day});
  print_demo_token(app, "Pull-print application (" DEMO_APP_ID "):",
                   &(up_token_spec_t){.app_id = DEMO_APP_ID,
                                      .name = "Demo Pull Print App",
                                      .scopes = DEMO_APP_SCOPES,
                                      .expires_in = day});
  printf("Try:\n  TOKEN=<the administrator token above>\n"
         "  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1.0/print/shares\n\n",
         base_url);
  fflush(stdout);
}

static int cmd_serve(int argc, char **argv)
{
  up_config_t cfg;
  char msg[512];
  up_error_t err;
  up_app_t *app = NULL;
  up_server_t *srv = NULL;
  sigset_t set;
  int sig = 0;

  up_config_defaults(&cfg);
  if (!up_config_parse_serve(&cfg, argc, argv, msg, sizeof(msg))) {
    fprintf(stderr, "uprintd serve: %s\n", msg);
    return EXIT_USAGE;
  }
  up_log_set_level(cfg.log_level);
  up_log_set_json(cfg.log_json);
  /* SIGINT/SIGTERM are taken by sigwait below; the server's threads inherit the mask. */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* Bind first: the first log line says where the server listens. */
  if (up_server_bind(&cfg, &srv, &err) != UP_OK) {
    fprintf(stderr, "uprintd: %s\n", err.message);
    return 1;
  }
  up_log(UP_LOG_INFO, "uprintd listening on %s", up_server_listen_url(srv));
  if (cfg.permissions_off)
    up_log(UP_LOG_WARN,
           "PERMISSIONS ARE OFF (--permissions off): any valid token of a tenant may "
           "call any operation on it; scopes, roles and job ownership are not checked");
  if (strcmp(up_server_listen_url(srv), up_server_base_url(srv)) != 0)
    up_log(UP_LOG_INFO, "links use the base URL %s", up_server_base_url(srv));
  if (up_app_open(&cfg, &app, &err) != UP_OK)
    goto fail;
  up_log(UP_LOG_INFO, "data folder %s, %u threads, store schema version %d", cfg.data_dir,
         cfg.threads, up_store_schema_version(app->store));
  /* The demo tokens are out before the first request is answered. */
  if (cfg.demo)
    print_demo(app, up_server_base_url(srv));
  if (up_server_start(srv, app, &err) != UP_OK)
    goto fail;

  while (sigwait(&set, &sig) != 0)
    ;
  up_log(UP_LOG_INFO, "received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  up_server_stop(srv);
  up_app_free(app);
  up_log(UP_LOG_INFO, "stopped");
  return 0;
fail:
  up_log(UP_LOG_ERROR, "%s", err.message);
  up_server_stop(srv);
  up_app_free(app);
  return 1;
}

static int cmd_token(int argc, char **argv)
{
  const char *data = NULL, *expires = NULL;
  up_token_spec_t spec = {0};
  struct {
    const char *name;
    const char **slot;
  } opts[] = {{"data", &data},         {"user", &spec.upn},         {"name", &spec.name},
              {"app", &spec.app_id},   {"tenant", &spec.tenant_id}, {"oid", &spec.oid},
              {"roles", &spec.roles},  {"groups", &spec.groups},    {"scopes", &spec.scopes},
              {"expires-in", &expires}};
  for (int i = 0; i < argc; i++) {
    const char **slot = NULL;
    for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
      if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, opts[k].name) == 0)
        slot = opts[k].slot;
    if (!slot) {
      fprintf(stderr, "uprintd token: unknown option '%s' (see uprintd --help)\n", argv[i]);
      return EXIT_USAGE;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "uprintd token: %s needs a value\n", argv[i]);
      return EXIT_USAGE;
    }
    *slot = argv[++i];
  }
  if (!data || !spec.scopes) {
    fprintf(stderr, "uprintd token: --data and --scopes are required\n");
    return EXIT_USAGE;
  }
  if (!spec.upn && !spec.app_id) {
    fprintf(stderr,
            "uprintd token: give --user (a delegated token) or --app (an application token)\n");
    return EXIT_USAGE;
  }
  if (expires) {
    char *end;
    errno = 0;
    long long v = strtoll(expires, &end, 10);
    if (!*expires || *end || errno || v <= 0 || v > 10LL * 365 * 86400) {
      fprintf(stderr,
              "uprintd token: --expires-in: expected seconds from 1 to 315360000, got '%s'\n",
              expires);
      return EXIT_USAGE;
    }
    spec.expires_in = v;
  }
  up_keyring_t *keys = NULL;
  up_error_t err;
  char *token = NULL;
  if (!up_mkdir_p(data, 0700)) {
    fprintf(stderr, "uprintd token: cannot create '%s': %s\n", data, strerror(errno));
    return 1;
  }
  if (up_keyring_open(data, &keys, &err) != UP_OK) {
    fprintf(stderr, "uprintd token: %s\n", err.message);
    return 1;
  }
  up_status_t st = up_token_issue(keys, &spec, &token, &err);
  up_keyring_free(keys);
  if (st != UP_OK) {
    fprintf(stderr, "uprintd token: %s\n", err.message);
    return st == UP_INVALID ? EXIT_USAGE : 1;
  }
  printf("%s\n", token);
  free(token);
  return 0;
}

/* `uprintd permissions [--json]`: the permission table of every route (docs/PERMISSIONS.md). */
static int cmd_permissions(int argc, char **argv)
{
  if (argc > 1 || (argc == 1 && strcmp(argv[0], "--json") != 0)) {
    fprintf(stderr, "uprintd permissions: usage: uprintd permissions [--json]\n");
    return EXIT_USAGE;
  }
  if (argc == 1)
    up_perm_write_json(stdout, up_routes);
  else
    up_perm_write_markdown(stdout, up_routes);
  return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("uprintd %s\n", UP_VERSION);
    return 0;
  }
  if (strcmp(argv[1], "serve") == 0)
    return cmd_serve(argc - 2, argv + 2);
  if (strcmp(argv[1], "token") == 0)
    return cmd_token(argc - 2, argv + 2);
  if (strcmp(argv[1], "permissions") == 0)
    return cmd_permissions(argc - 2, argv + 2);
  fprintf(stderr, "uprintd: unknown command '%s' (see uprintd --help)\n", argv[1]);
  return EXIT_USAGE;
}
