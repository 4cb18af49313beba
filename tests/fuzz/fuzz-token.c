/* fuzz-token.c - libFuzzer harness: the parsers of untrusted request text: up_token_verify on
 * Authorization values (fixed signing key and clock, so that seeds may carry valid tokens),
 * up_query_parse, up_router_match on the route table, up_percent_decode and up_time_parse.
 * Input: one selector byte, then the text (an embedded NUL ends it):
 *   0 Authorization value   1 query string   2 path (after one byte: the method, mod 8)
 *   3 percent-decoding (after one byte: plus_is_space when odd)   4 ISO 8601 time
 *   anything else: the text through all of them.
 * With UP_FUZZ_TOKEN_SEEDS=DIR set, writes seed files with tokens signed by the fixed key.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/app.h"
#include "uprintd/auth.h"
#include "uprintd/log.h"
#include "uprintd/query.h"
#include "uprintd/router.h"
#include "uprintd/util.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The harness's clock: tokens of the seeds are valid at this time. */
#define NOW 1700000000LL

static up_keyring_t *keys;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void write_seed(const char *dir, const char *name, const char *auth)
{
  char path[1024];
  FILE *f;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (!(f = fopen(path, "wb"))) {
    perror(path);
    return;
  }
  fputc(0, f);
  fputs(auth, f);
  fclose(f);
}

static void write_token_seeds(const char *dir)
{
  static const struct {
    const char *name;
    up_token_spec_t spec;
  } specs[] = {
      {"admin",
       {.upn = "admin@contoso.com",
        .name = "Admin",
        .roles = "PrinterAdministrator GlobalAdministrator",
        .scopes = "Printer.FullControl.All PrinterShare.ReadWrite.All",
        .groups = "aaaaaaaa-0000-0000-0000-000000000001",
        .now = NOW - 60}},
      {"user", {.upn = "user@contoso.com", .scopes = "PrinterShare.ReadBasic.All", .now = NOW}},
      {"app",
       {.app_id = "2f8c7a6e-3b1d-4e5f-9a0b-c1d2e3f4a5b6",
        .scopes = "Printer.ReadWrite.All PrintJob.Manage.All",
        .now = NOW - 10}},
      {"other-tenant",
       {.upn = "a@fabrikam.com",
        .tenant_id = "11111111-2222-3333-4444-555555555555",
        .oid = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
        .scopes = "Printer.Read.All",
        .now = NOW - 100}},
      {"expired", {.upn = "old@contoso.com", .scopes = "x", .now = NOW - 7200}},
      {"not-yet", {.upn = "new@contoso.com", .scopes = "x", .now = NOW + 600}},
  };
  for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
    char *tok = NULL, *auth = NULL, name[64];
    up_error_t err;
    if (up_token_issue(keys, &specs[i].spec, &tok, &err) != UP_OK) {
      fprintf(stderr, "fuzz-token: %s: %s\n", specs[i].name, err.message);
      abort();
    }
    if (asprintf(&auth, "Bearer %s", tok) < 0)
      abort();
    snprintf(name, sizeof(name), "token-%s", specs[i].name);
    write_seed(dir, name, auth);
    free(auth);
    free(tok);
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  char dir[256], path[300];
  unsigned char key[32];
  up_error_t err;
  int fd;
  const char *seeds = getenv("UP_FUZZ_TOKEN_SEEDS");
  (void)argc;
  (void)argv;
  up_log_set_level(UP_LOG_ERROR);
  /* A key folder with a fixed key (bytes 0..31; not a secret). */
  snprintf(dir, sizeof(dir), "%s/fuzz-token-XXXXXX",
           access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    abort();
  }
  for (int i = 0; i < 32; i++)
    key[i] = (unsigned char)i;
  snprintf(path, sizeof(path), "%s/%s", dir, UP_KEY_FILE);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || close(fd) != 0) {
    perror(path);
    abort();
  }
  if (up_keyring_open(dir, &keys, &err) != UP_OK) {
    fprintf(stderr, "fuzz-token: %s\n", err.message);
    abort();
  }
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  if (seeds)
    write_token_seeds(seeds);
  return 0;
}

static void run_token(const char *s)
{
  up_principal_t p;
  up_error_t err;
  up_error_clear(&err);
  if (up_token_verify(keys, s, NOW, &p, &err) == UP_OK) {
    /* A verified principal is complete. */
    if (!up_uuid_is_valid(p.tenant_id) || !up_uuid_is_valid(p.oid) || !p.app_id)
      abort();
    up_principal_has_scope(&p, "Printer.Read.All");
    up_principal_is_printer_admin(&p);
  } else if (err.status != UP_UNAUTHORIZED && err.status != UP_NOMEM) {
    abort();
  }
  up_principal_fini(&p);
}

static void run_query(const char *s)
{
  up_query_t q;
  up_error_t err;
  if (up_query_parse(s, &q, &err) == UP_OK) {
    for (size_t i = 0; i < q.n_select; i++)
      if (!q.select[i] || !q.select[i][0])
        abort();
    up_query_selects(&q, "id");
  }
  up_query_fini(&q);
}

static void run_route(const char *s, up_method_t method)
{
  up_route_match_t m;
  up_error_t err;
  up_error_clear(&err);
  if (up_router_match(up_routes, s, method, &m, &err) == UP_OK) {
    if (!m.route || m.route->method != method || !m.path || m.params.n > UP_MAX_PARAMS)
      abort();
    for (size_t i = 0; i < m.params.n; i++)
      if (!m.params.v[i] || !m.params.v[i][0])
        abort();
  } else if (err.status != UP_INVALID && err.status != UP_METHOD_NOT_ALLOWED) {
    abort();
  }
  up_route_match_fini(&m);
}

static void run_decode(const char *s, bool plus)
{
  char *d = up_percent_decode(s, strlen(s), plus);
  if (d && strlen(d) > strlen(s))
    abort();
  free(d);
}

static void run_time(const char *s)
{
  up_time_t t;
  char out[UP_TIME_STRLEN], secs[20];
  if (up_time_parse(s, &t)) {
    up_time_format(t, out);
    up_time_format_seconds(t, secs);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s;
  uint8_t sel, arg = 0;
  size_t skip = 1;
  if (size < 1 || size > 64 * 1024)
    return -1;
  sel = data[0];
  /* Route and decode take an argument byte before the text. */
  if ((sel == 2 || sel == 3) && size > 1) {
    arg = data[1];
    skip = 2;
  }
  if (!(s = strndup((const char *)data + skip, size - skip)))
    return 0;
  switch (sel) {
  case 0:
    run_token(s);
    break;
  case 1:
    run_query(s);
    break;
  case 2:
    run_route(s, (up_method_t)(arg % (UP_METHOD_OTHER + 1)));
    break;
  case 3:
    run_decode(s, arg & 1);
    break;
  case 4:
    run_time(s);
    break;
  default:
    run_token(s);
    run_query(s);
    run_route(s, UP_METHOD_GET);
    run_decode(s, true);
    run_time(s);
  }
  free(s);
  return 0;
}
