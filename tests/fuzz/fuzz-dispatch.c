/* fuzz-dispatch.c - libFuzzer harness: whole requests through up_dispatch(), without a socket,
 * against one process-wide app whose store holds a known printer, share and operation.
 *
 * Input: newline-separated fields, then the body (every field may be empty or missing):
 *   METHOD \n URL \n CONTENT-TYPE \n AUTH \n CLIENT-REQUEST-ID \n BODY...
 * CONTENT-TYPE and CLIENT-REQUEST-ID: empty means the header is absent.
 * AUTH: its first character picks a token issued at start (so seeds do not depend on a key):
 *   a  admin of the default tenant (PrinterAdministrator, full scopes)
 *   u  plain user of the default tenant (read scopes, no role)
 *   p  application of the default tenant; it registered {P}, which has no physical device
 *   o  admin of another tenant
 *   e  expired admin token
 *   !  the rest of the line is the Authorization value itself
 *   anything else (or empty): no Authorization header.
 * In URL, body and a raw Authorization value these placeholders are replaced:
 *   {P} printer (shared as {S})     {Q} second printer, not shared    {X} other tenant's printer
 *   {S} share of {P}                {O} operation that registered {P} {Y} other tenant's share
 *   {A} the admin token             {T} the application token
 * Requests other than GET may change the store; it is put back to its initial rows afterwards, so
 * every input runs against the same state.
 * Invariants checked on every answer (a broken one aborts): the status is 200..599; a body
 * comes with a Content-Type and is valid JSON, but for /metrics' 200 in text/plain; an error (4xx,
 * 5xx) has a body (the Graph error envelope; set FUZZ_ALLOW_EMPTY_ERROR=1 to only log); no 5xx
 * (FUZZ_ALLOW_5XX=1 to only log). FUZZ_VERBOSE=1 prints each request and its answer.
 * SPDX-License-Identifier: Apache-2.0 */
#include "dispatch.h"
#include "store-private.h"
#include "uprintd/app.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define APP_ID       "2f8c7a6e-3b1d-4e5f-9a0b-c1d2e3f4a5b6"
#define OTHER_TENANT "11111111-2222-3333-4444-555555555555"
#define MAX_FIELD    (64 * 1024)

static up_app_t *app;
static char datadir[256];
static bool allow_5xx, allow_empty_error, verbose;

/* Placeholder values, filled at start. */
static char id_p[UP_ID_SIZE], id_q[UP_ID_SIZE], id_x[UP_ID_SIZE], id_s[UP_ID_SIZE],
    id_y[UP_ID_SIZE], id_o[UP_ID_SIZE];
static char *tok_admin, *tok_app; /* the tokens themselves, for {A} and {T} */
static char *auth_admin, *auth_user, *auth_app, *auth_other, *auth_expired;

typedef struct fake {
  const char *auth;
  const char *content_type;
  const char *client_request_id;
} fake_t;

static const char *fake_header(const up_request_t *req, const char *name)
{
  const fake_t *f = req->glue;
  if (strcasecmp(name, "Authorization") == 0)
    return f->auth;
  if (strcasecmp(name, "Content-Type") == 0)
    return f->content_type;
  if (strcasecmp(name, "client-request-id") == 0)
    return f->client_request_id;
  return NULL;
}

static void die(const char *what, const up_error_t *err)
{
  fprintf(stderr, "fuzz-dispatch: %s: %s\n", what, err ? err->message : "failed");
  abort();
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void cleanup(void)
{
  char *const tokens[] = {tok_admin, tok_app,    auth_admin,  auth_user,
                          auth_app,  auth_other, auth_expired};
  for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
    free(tokens[i]);
  up_app_free(app);
  app = NULL;
  if (datadir[0])
    nftw(datadir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the data folders of earlier runs whose process is gone: a child of -fork=N ends
 * without running atexit handlers. */
static void sweep(const char *base)
{
  DIR *d = opendir(base);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char path[512];
    long pid;
    if (sscanf(e->d_name, "fuzz-dispatch-%ld-", &pid) != 1 || pid <= 0 ||
        kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue;
    snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  if (d)
    closedir(d);
}

/* A token for spec; *bearer gets the Authorization value "Bearer <token>". */
static char *issue(const up_token_spec_t *spec, char **bearer)
{
  char *t = NULL;
  up_error_t err;
  if (up_token_issue(app->keys, spec, &t, &err) != UP_OK)
    die("issuing a token", &err);
  if (asprintf(bearer, "Bearer %s", t) < 0)
    abort();
  return t;
}

/* A printer of tenant with a fixed id derived from name. */
static void add_printer(const char *tenant, const char *name, bool physical, const char *by_app,
                        char id[UP_ID_SIZE], char op_id[UP_ID_SIZE])
{
  up_printer_t p;
  up_operation_t op;
  up_error_t err;
  memset(&p, 0, sizeof(p));
  memset(&op, 0, sizeof(op));
  up_uuid_from_name(tenant, name, id);
  memcpy(p.id, id, UP_ID_SIZE);
  up_strlcpy(p.tenant_id, tenant, sizeof(p.tenant_id));
  p.display_name = strdup(name);
  p.manufacturer = strdup("Contoso");
  p.model = strdup("Fuzz 1");
  p.has_physical_device = physical;
  p.is_accepting_jobs = 1;
  p.registered_by_app = strdup(by_app);
  p.registered_at = p.last_seen_at = 16000000000000000LL;
  p.status_json = up_printer_default_status();
  p.capabilities_json = up_printer_default_capabilities();
  p.defaults_json = up_printer_default_defaults();
  p.factory_defaults_json = up_printer_default_defaults();
  p.location_json = strdup("{\"building\":\"1\",\"floor\":\"2\"}");
  up_uuid_from_name(id, "operation", op.id);
  up_strlcpy(op.tenant_id, tenant, sizeof(op.tenant_id));
  op.created_at = p.registered_at;
  op.state = UP_OPERATION_SUCCEEDED;
  op.description = strdup("The operation has completed successfully.");
  op.certificate = strdup("Y2VydA==");
  up_strlcpy(op.printer_id, id, sizeof(op.printer_id));
  if (up_store_printer_create(app->store, &p, &op, &err) != UP_OK)
    die("creating a printer", &err);
  if (op_id)
    memcpy(op_id, op.id, UP_ID_SIZE);
  up_printer_fini(&p);
  up_operation_fini(&op);
}

static void add_share(const char *tenant, const char *printer_id, char id[UP_ID_SIZE])
{
  up_share_t s;
  up_error_t err;
  memset(&s, 0, sizeof(s));
  up_uuid_from_name(tenant, printer_id, id);
  memcpy(s.id, id, UP_ID_SIZE);
  up_strlcpy(s.tenant_id, tenant, sizeof(s.tenant_id));
  up_strlcpy(s.printer_id, printer_id, sizeof(s.printer_id));
  s.display_name = strdup("Fuzz share");
  s.allow_all_users = true;
  s.created_at = 16000000000000000LL;
  if (up_store_share_create(app->store, &s, &err) != UP_OK)
    die("creating a share", &err);
  up_share_fini(&s);
}

static void exec_sql(const char *sql)
{
  char *msg = NULL;
  up_store_lock(app->store);
  if (sqlite3_exec(app->store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "fuzz-dispatch: %s: %s\n", sql, msg ? msg : "?");
    abort();
  }
  up_store_unlock(app->store);
  sqlite3_free(msg);
}

/* The initial rows, kept in TEMP tables and copied back after each changing request. */
static void snapshot(void)
{
  exec_sql("CREATE TEMP TABLE snap_printers AS SELECT * FROM main.printers;"
           "CREATE TEMP TABLE snap_shares AS SELECT * FROM main.shares;"
           "CREATE TEMP TABLE snap_operations AS SELECT * FROM main.operations;");
}

static void restore(void)
{
  exec_sql("BEGIN;"
           "DELETE FROM main.shares; DELETE FROM main.operations; DELETE FROM main.printers;"
           "INSERT INTO main.printers SELECT * FROM snap_printers;"
           "INSERT INTO main.shares SELECT * FROM snap_shares;"
           "INSERT INTO main.operations SELECT * FROM snap_operations;"
           "COMMIT;");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  up_log_set_level(UP_LOG_ERROR);
  allow_5xx = getenv("FUZZ_ALLOW_5XX") && *getenv("FUZZ_ALLOW_5XX") == '1';
  allow_empty_error = getenv("FUZZ_ALLOW_EMPTY_ERROR") && *getenv("FUZZ_ALLOW_EMPTY_ERROR") == '1';
  verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
  return 0;
}

/* Opens the app, its data folder and the known rows, on the first input rather than in
 * LLVMFuzzerInitialize: AFL++'s driver forks its children after LLVMFuzzerInitialize, and a
 * fork keeps only the calling thread, so the app's own threads must start in the process that
 * runs the inputs. Each such process has its own data folder, removed when it exits. */
static void setup(void)
{
  up_config_t cfg;
  up_error_t err;
  const char *base = getenv("TMPDIR");
  /* A RAM-backed folder when there is one: every changing request writes to the database. */
  if (!base || !*base)
    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  sweep(base);
  snprintf(datadir, sizeof(datadir), "%s/fuzz-dispatch-%ld-XXXXXX", base, (long)getpid());
  if (!mkdtemp(datadir)) {
    perror("mkdtemp");
    abort();
  }
  up_config_defaults(&cfg);
  up_strlcpy(cfg.data_dir, datadir, sizeof(cfg.data_dir));
  up_strlcpy(cfg.base_url, "https://graph.example.com", sizeof(cfg.base_url));
  cfg.max_json_kb = 4; /* small, so that the 413 path is reachable */
  cfg.access_log_off = true;
  if (up_app_open(&cfg, &app, &err) != UP_OK)
    die("opening the app", &err);
  atexit(cleanup);

  tok_admin =
      issue(&(up_token_spec_t){.upn = "admin@contoso.com",
                               .roles = "PrinterAdministrator",
                               .scopes = "Printer.FullControl.All PrinterShare.ReadWrite.All",
                               .expires_in = 315360000},
            &auth_admin);
  free(issue(&(up_token_spec_t){.upn = "user@contoso.com",
                                .scopes = "PrinterShare.ReadBasic.All",
                                .groups = "aaaaaaaa-0000-0000-0000-000000000001",
                                .expires_in = 315360000},
             &auth_user));
  tok_app = issue(&(up_token_spec_t){.app_id = APP_ID,
                                     .scopes = "Printer.ReadWrite.All",
                                     .expires_in = 315360000},
                  &auth_app);
  free(issue(&(up_token_spec_t){.upn = "admin@fabrikam.com",
                                .tenant_id = OTHER_TENANT,
                                .roles = "GlobalAdministrator",
                                .scopes = "Printer.FullControl.All",
                                .expires_in = 315360000},
             &auth_other));
  free(issue(&(up_token_spec_t){.upn = "admin@contoso.com",
                                .scopes = "Printer.FullControl.All",
                                .now = 1000000000},
             &auth_expired));

  add_printer(UP_DEFAULT_TENANT, "fuzz-printer-p", false, APP_ID, id_p, id_o);
  add_printer(UP_DEFAULT_TENANT, "fuzz-printer-q", true, UP_DEFAULT_CLIENT_APP, id_q, NULL);
  add_printer(OTHER_TENANT, "fuzz-printer-x", true, UP_DEFAULT_CLIENT_APP, id_x, NULL);
  add_share(UP_DEFAULT_TENANT, id_p, id_s);
  add_share(OTHER_TENANT, id_x, id_y);
  snapshot();
}

/* A growing string. */
typedef struct buf {
  char *p;
  size_t n, cap;
} buf_t;

static void buf_add(buf_t *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p)
      abort();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static const char *placeholder(char c)
{
  switch (c) {
  case 'P':
    return id_p;
  case 'Q':
    return id_q;
  case 'X':
    return id_x;
  case 'S':
    return id_s;
  case 'Y':
    return id_y;
  case 'O':
    return id_o;
  case 'A':
    return tok_admin;
  case 'T':
    return tok_app;
  default:
    return NULL;
  }
}

/* A NUL-terminated copy of s[0..n) with the placeholders replaced. An embedded NUL ends the
 * text, as it would in a C string from the HTTP layer. */
static char *expand(const char *s, size_t n, size_t *out_len)
{
  buf_t b = {0};
  buf_add(&b, "", 0);
  for (size_t i = 0; i < n && s[i]; i++) {
    const char *v;
    if (s[i] == '{' && i + 2 < n && s[i + 2] == '}' && (v = placeholder(s[i + 1]))) {
      buf_add(&b, v, strlen(v));
      i += 2;
    } else {
      buf_add(&b, s + i, 1);
    }
  }
  if (out_len)
    *out_len = b.n;
  return b.p;
}

/* The next newline-terminated field of data[*pos..size). */
static const char *field(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
  const char *start = (const char *)data + *pos;
  const char *nl = memchr(start, '\n', size - *pos);
  *len = nl ? (size_t)(nl - start) : size - *pos;
  if (*len > 0 && start[*len - 1] == '\r')
    (*len)--;
  *pos = nl ? (size_t)(nl - (const char *)data) + 1 : size;
  return start;
}

/* Reports a broken invariant: aborts, or (when allowed) logs the first few. */
static void report(bool allowed, const char *fmt, ...)
{
  static unsigned logged;
  va_list ap;
  if (allowed && logged >= 20)
    return;
  va_start(ap, fmt);
  fprintf(stderr, "fuzz-dispatch: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if (!allowed)
    abort();
  logged++;
}

static void check_answer(const char *method, const char *url, const up_answer_t *a)
{
  bool has_type = false, text = false;
  for (size_t i = 0; i < a->n_headers; i++)
    if (strcasecmp(a->headers[i].name, "Content-Type") == 0) {
      has_type = true;
      text = strncmp(a->headers[i].value, "text/plain", 10) == 0;
    }
  if (a->status < 200 || a->status > 599) {
    fprintf(stderr, "fuzz-dispatch: %s %s: status %d\n", method, url, a->status);
    abort();
  }
  /* /metrics answers Prometheus text (text/plain); every other body is JSON. */
  if (a->body && text && (a->status != 200 || strlen(a->body) != a->body_len)) {
    fprintf(stderr, "fuzz-dispatch: %s %s: bad text answer %d: %.300s\n", method, url, a->status,
            a->body);
    abort();
  } else if (a->body && !text) {
    json_error_t jerr;
    json_t *v = json_loadb(a->body, a->body_len, 0, &jerr);
    if (!v || !has_type || strlen(a->body) != a->body_len) {
      fprintf(stderr, "fuzz-dispatch: %s %s: bad answer body (%s): %.300s\n", method, url,
              v ? "no Content-Type" : jerr.text, a->body);
      abort();
    }
    json_decref(v);
  }
  /* Every error has the Graph error envelope. */
  if (a->status >= 400 && !a->body)
    report(allow_empty_error, "%.200s %.300s -> %d without an error body", method, url, a->status);
  if (a->status >= 500)
    report(allow_5xx, "%.200s %.300s -> %d: %.500s", method, url, a->status,
           a->body ? a->body : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t pos = 0, len[5], body_len = 0;
  const char *f[5];
  char *method, *url, *ctype, *auth = NULL, *crid, *body;
  fake_t fake;
  up_body_t b;
  up_answer_t a;

  if (!app)
    setup();
  for (int i = 0; i < 5; i++) {
    f[i] = field(data, size, &pos, &len[i]);
    if (len[i] > MAX_FIELD)
      return -1;
  }
  method = expand(f[0], len[0], NULL);
  url = expand(f[1], len[1], NULL);
  ctype = len[2] ? expand(f[2], len[2], NULL) : NULL;
  crid = len[4] ? expand(f[4], len[4], NULL) : NULL;
  body = size > pos ? expand((const char *)data + pos, size - pos, &body_len) : NULL;
  switch (len[3] ? f[3][0] : 0) {
  case 'a':
    fake.auth = auth_admin;
    break;
  case 'u':
    fake.auth = auth_user;
    break;
  case 'p':
    fake.auth = auth_app;
    break;
  case 'o':
    fake.auth = auth_other;
    break;
  case 'e':
    fake.auth = auth_expired;
    break;
  case '!':
    fake.auth = auth = expand(f[3] + 1, len[3] - 1, NULL);
    break;
  default:
    fake.auth = NULL;
  }
  fake.content_type = ctype;
  fake.client_request_id = crid;

  /* The body as server.c accumulates it: kept up to the limit, then flagged too large. */
  memset(&b, 0, sizeof(b));
  b.limit = (size_t)app->config.max_json_kb * 1024;
  if (body) {
    b.data = body;
    b.len = body_len;
    b.cap = body_len + 1;
    if (b.len > b.limit) {
      b.len = b.limit;
      b.data[b.len] = '\0';
      b.too_large = true;
    }
  }

  up_dispatch(app, &(up_dispatch_in_t){method, url, &b, fake_header, &fake, false}, &a);
  if (verbose)
    fprintf(stderr, "%s %s -> %d %.300s\n", method, url, a.status, a.body ? a.body : "");
  check_answer(method, url, &a);
  free(a.body);
  if (strcmp(method, "GET") != 0)
    restore();

  free(method);
  free(url);
  free(ctype);
  free(crid);
  free(auth);
  free(body);
  return 0;
}
