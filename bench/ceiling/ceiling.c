/* The ceiling of `make bench`: the least work each benchmark scenario needs, on the same stack as
 * uprintd (libmicrohttpd, jansson, SQLite), so that uprintd's numbers can be read against what
 * this machine allows. It is a benchmark tool, not a server: no authentication, no validation
 * beyond what the scenarios touch, no OData.
 *
 * Usage: ceiling --data DIR [--listen-port PORT] [--threads N]
 *   Listens on 127.0.0.1 (port 0 picks a free one) and prints
 *   "ceiling listening on http://127.0.0.1:PORT" on stderr; SIGINT/SIGTERM stop it.
 *
 * Routes (the shapes of uprintd's, so that the same wrk scripts drive both; {parent} is any
 * /v1.0/print/shares/{id} or /v1.0/print/printers/{id}):
 *   POST {parent}/jobs                          parse the body, one INSERT, 201 + the job
 *   GET  {parent}/jobs/{id}                     primary-key SELECT, the job as JSON
 *   GET  {parent}/jobs?$top=N                   SELECT ... WHERE parent ORDER BY id LIMIT N
 *   POST {parent}/jobs/{id}/documents/{d}/createUploadSession
 *                                               one UPDATE (a random token), the uploadUrl
 *   PUT  /_uprintd/uploads/{id}?tempauthtoken=T one SELECT (the token), the bytes written to
 *                                               DIR/documents/{id}, fdatasync, one UPDATE, 201
 *   POST {parent}/jobs/{id}/start               one UPDATE (paused and uploaded -> pending)
 *
 * How it is built, after the measurements of the machine's limits: an epoll thread pool of
 * --threads threads (default 2, as uprintd); one SQLite connection (the single writer) behind a
 * mutex, WAL with synchronous=NORMAL, prepared statements; every response is queued on a later
 * call of the access handler than the first (libmicrohttpd 0.9.75 closes the connection of a
 * GET answered on its first call). A client-request-id header is echoed, as Graph does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_JSON (1024 * 1024)

static const char *data_dir;
static unsigned listen_port;

/* ---- the store: one connection, one mutex ------------------------------------------------ */

static sqlite3 *db;
static pthread_mutex_t db_mx = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_stmt *st_insert, *st_get, *st_list, *st_session, *st_token, *st_uploaded, *st_start;

static void die(const char *what) {
  fprintf(stderr, "ceiling: %s: %s\n", what, db ? sqlite3_errmsg(db) : strerror(errno));
  exit(1);
}

static void prepare(sqlite3_stmt **st, const char *sql) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) die(sql);
}

static void store_open(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/ceiling.db", data_dir);
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK)
    die("open");
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY, parent TEXT NOT NULL,"
                   " state TEXT NOT NULL, configuration TEXT NOT NULL, created TEXT NOT NULL,"
                   " upload_token TEXT, doc_size INTEGER, uploaded INTEGER NOT NULL DEFAULT 0);"
                   "CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent, id);",
                   NULL, NULL, NULL) != SQLITE_OK)
    die("schema");
  prepare(&st_insert, "INSERT INTO jobs(parent, state, configuration, created) VALUES(?, 'paused', ?, ?)");
  prepare(&st_get, "SELECT id, state, configuration, created, uploaded FROM jobs WHERE id = ? AND parent = ?");
  prepare(&st_list, "SELECT id, state, configuration, created, uploaded FROM jobs WHERE parent = ?"
                    " ORDER BY id LIMIT ?");
  prepare(&st_session, "UPDATE jobs SET upload_token = ?, doc_size = ? WHERE id = ? AND parent = ?"
                       " AND state = 'paused'");
  prepare(&st_token, "SELECT upload_token, doc_size FROM jobs WHERE id = ?");
  prepare(&st_uploaded, "UPDATE jobs SET uploaded = 1, upload_token = NULL WHERE id = ?");
  prepare(&st_start, "UPDATE jobs SET state = 'pending' WHERE id = ? AND parent = ? AND uploaded = 1"
                     " AND state = 'paused'");
}

static void done_stmt(sqlite3_stmt *st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void now_iso(char out[40]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 40 - n, ".%07ldZ", ts.tv_nsec / 100);
}

/* The job as JSON (the columns of st_get/st_list, positioned on a row). */
static json_t *job_json(sqlite3_stmt *st) {
  json_error_t err;
  char id[24];
  snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
  json_t *cfg = json_loadb((const char *)sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2), 0, &err);
  return json_pack("{s:s, s:s, s:{s:s, s:[]}, s:o?, s:[{s:s, s:b}]}", "id", id, "createdDateTime",
                   (const char *)sqlite3_column_text(st, 3), "status", "state",
                   (const char *)sqlite3_column_text(st, 1), "details", "configuration", cfg, "documents",
                   "id", id, "uploaded", sqlite3_column_int(st, 4));
}

/* ---- requests ----------------------------------------------------------------------------- */

enum route { R_NONE, R_CREATE, R_GET, R_LIST, R_SESSION, R_START, R_UPLOAD };

typedef struct {
  enum route route;
  char parent[128]; /* "shares/{id}" or "printers/{id}" */
  long long job;
  char *buf; /* JSON body */
  size_t len, cap;
  int fd; /* upload: the document file */
  long long received, size;
  int status; /* an answer decided before the body ended (0: none) */
} req_t;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, char *body, int must_free,
                              const char *location) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(body), body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  const char *crid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "client-request-id");
  if (crid) MHD_add_response_header(r, "client-request-id", crid);
  if (location) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result answer_json(struct MHD_Connection *c, unsigned code, json_t *v, const char *location) {
  char *txt = json_dumps(v, JSON_COMPACT);
  json_decref(v);
  if (!txt) return MHD_NO;
  return answer(c, code, txt, 1, location);
}

#define ERR(c, code, what) answer((c), (code), "{\"error\":{\"code\":\"" what "\"}}", 0, NULL)

/* Which route a URL (without its query) and method name. */
static void route(req_t *q, const char *method, const char *url) {
  q->route = R_NONE;
  if (!strncmp(url, "/_uprintd/uploads/", 18)) {
    if (!strcmp(method, "PUT")) {
      q->route = R_UPLOAD;
      q->job = atoll(url + 18);
    }
    return;
  }
  const char *p = strstr(url, "/print/");
  const char *jobs = strstr(url, "/jobs");
  if (!p || !jobs || jobs <= p + 7 || (size_t)(jobs - (p + 7)) >= sizeof q->parent) return;
  memcpy(q->parent, p + 7, (size_t)(jobs - (p + 7)));
  q->parent[jobs - (p + 7)] = '\0';
  const char *rest = jobs + 5;
  if (*rest == '\0') {
    q->route = !strcmp(method, "POST") ? R_CREATE : !strcmp(method, "GET") ? R_LIST : R_NONE;
    return;
  }
  if (*rest != '/') return;
  char *end;
  q->job = strtoll(rest + 1, &end, 10);
  if (end == rest + 1) return;
  if (*end == '\0' && !strcmp(method, "GET"))
    q->route = R_GET;
  else if (!strcmp(end, "/start") && !strcmp(method, "POST"))
    q->route = R_START;
  else if (!strncmp(end, "/documents/", 11) && strstr(end, "/createUploadSession") && !strcmp(method, "POST"))
    q->route = R_SESSION;
}

static enum MHD_Result do_create(struct MHD_Connection *c, req_t *q) {
  json_error_t err;
  json_t *in = json_loadb(q->buf ? q->buf : "", q->len, 0, &err);
  json_t *cfg = json_object_get(in, "configuration");
  if (!json_is_object(cfg)) {
    json_decref(in);
    return ERR(c, 400, "invalidRequest");
  }
  char *cfgtxt = json_dumps(cfg, JSON_COMPACT);
  char created[40];
  now_iso(created);
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_text(st_insert, 1, q->parent, -1, SQLITE_STATIC);
  sqlite3_bind_text(st_insert, 2, cfgtxt, -1, SQLITE_STATIC);
  sqlite3_bind_text(st_insert, 3, created, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st_insert);
  long long id = sqlite3_last_insert_rowid(db);
  done_stmt(st_insert);
  pthread_mutex_unlock(&db_mx);
  free(cfgtxt);
  if (rc != SQLITE_DONE) {
    json_decref(in);
    return ERR(c, 500, "generalException");
  }
  char ids[24], loc[256];
  snprintf(ids, sizeof ids, "%lld", id);
  snprintf(loc, sizeof loc, "http://127.0.0.1:%u/v1.0/print/%s/jobs/%s", listen_port, q->parent, ids);
  json_t *out = json_pack("{s:s, s:s, s:{s:s, s:[s]}, s:O, s:[{s:s}]}", "id", ids, "createdDateTime", created,
                          "status", "state", "paused", "details", "uploadPending", "configuration", cfg,
                          "documents", "id", ids);
  json_decref(in);
  return answer_json(c, 201, out, loc);
}

static enum MHD_Result do_get(struct MHD_Connection *c, req_t *q) {
  json_t *out = NULL;
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_int64(st_get, 1, q->job);
  sqlite3_bind_text(st_get, 2, q->parent, -1, SQLITE_STATIC);
  if (sqlite3_step(st_get) == SQLITE_ROW) out = job_json(st_get);
  done_stmt(st_get);
  pthread_mutex_unlock(&db_mx);
  if (!out) return ERR(c, 404, "itemNotFound");
  return answer_json(c, 200, out, NULL);
}

static enum MHD_Result do_list(struct MHD_Connection *c, req_t *q) {
  const char *top = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "$top");
  int n = top ? atoi(top) : 100;
  if (n < 0 || n > 100) n = 100;
  json_t *rows = json_array();
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_text(st_list, 1, q->parent, -1, SQLITE_STATIC);
  sqlite3_bind_int(st_list, 2, n);
  while (sqlite3_step(st_list) == SQLITE_ROW) json_array_append_new(rows, job_json(st_list));
  done_stmt(st_list);
  pthread_mutex_unlock(&db_mx);
  return answer_json(c, 200, json_pack("{s:o}", "value", rows), NULL);
}

static enum MHD_Result do_session(struct MHD_Connection *c, req_t *q) {
  json_error_t err;
  json_t *in = json_loadb(q->buf ? q->buf : "", q->len, 0, &err);
  json_int_t size = json_integer_value(json_object_get(json_object_get(in, "properties"), "size"));
  json_decref(in);
  if (size <= 0) return ERR(c, 400, "invalidRequest");
  unsigned char rnd[16];
  char token[33];
  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) return ERR(c, 500, "generalException");
  for (int i = 0; i < 16; i++) sprintf(token + 2 * i, "%02x", rnd[i]);
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_text(st_session, 1, token, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st_session, 2, size);
  sqlite3_bind_int64(st_session, 3, q->job);
  sqlite3_bind_text(st_session, 4, q->parent, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st_session);
  int changed = sqlite3_changes(db);
  done_stmt(st_session);
  pthread_mutex_unlock(&db_mx);
  if (rc != SQLITE_DONE) return ERR(c, 500, "generalException");
  if (!changed) return ERR(c, 404, "itemNotFound");
  char url[256], range[48];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/_uprintd/uploads/%lld?tempauthtoken=%s", listen_port, q->job,
           token);
  snprintf(range, sizeof range, "0-%lld", (long long)size - 1);
  return answer_json(c, 200, json_pack("{s:s, s:[s]}", "uploadUrl", url, "nextExpectedRanges", range), NULL);
}

/* First call of an upload: the token, then the file. Sets q->status on a refusal. */
static void upload_begin(struct MHD_Connection *c, req_t *q) {
  const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "tempauthtoken");
  int ok = 0;
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_int64(st_token, 1, q->job);
  if (sqlite3_step(st_token) == SQLITE_ROW && token && sqlite3_column_text(st_token, 0) &&
      !strcmp(token, (const char *)sqlite3_column_text(st_token, 0))) {
    ok = 1;
    q->size = sqlite3_column_int64(st_token, 1);
  }
  done_stmt(st_token);
  pthread_mutex_unlock(&db_mx);
  if (!ok) {
    q->status = 404;
    return;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/documents/%lld", data_dir, q->job);
  q->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (q->fd < 0) q->status = 500;
}

static enum MHD_Result upload_finish(struct MHD_Connection *c, req_t *q) {
  if (q->status) return q->status == 404 ? ERR(c, 404, "itemNotFound") : ERR(c, 500, "generalException");
  if (q->received != q->size) return ERR(c, 400, "invalidRange");
  if (fdatasync(q->fd) != 0) return ERR(c, 500, "generalException");
  close(q->fd);
  q->fd = -1;
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_int64(st_uploaded, 1, q->job);
  int rc = sqlite3_step(st_uploaded);
  done_stmt(st_uploaded);
  pthread_mutex_unlock(&db_mx);
  if (rc != SQLITE_DONE) return ERR(c, 500, "generalException");
  char id[24];
  snprintf(id, sizeof id, "%lld", q->job);
  return answer_json(c, 201, json_pack("{s:s, s:I}", "id", id, "size", (json_int_t)q->size), NULL);
}

static enum MHD_Result do_start(struct MHD_Connection *c, req_t *q) {
  pthread_mutex_lock(&db_mx);
  sqlite3_bind_int64(st_start, 1, q->job);
  sqlite3_bind_text(st_start, 2, q->parent, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st_start);
  int changed = sqlite3_changes(db);
  done_stmt(st_start);
  pthread_mutex_unlock(&db_mx);
  if (rc != SQLITE_DONE) return ERR(c, 500, "generalException");
  if (!changed) return ERR(c, 400, "invalidRequest");
  return answer(c, 200, "{\"state\":\"pending\",\"details\":[]}", 0, NULL);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls) {
  (void)cls;
  (void)version;
  req_t *q = *con_cls;
  if (!q) { /* first call: headers only; never answer here (keep-alive, see the top) */
    q = calloc(1, sizeof *q);
    if (!q) return MHD_NO;
    q->fd = -1;
    *con_cls = q;
    route(q, method, url);
    if (q->route == R_UPLOAD) upload_begin(c, q);
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (q->route == R_UPLOAD) {
      if (q->status) return MHD_YES;
      if (q->received + (long long)n > q->size) {
        q->status = 400;
        return MHD_YES;
      }
      if (pwrite(q->fd, upload_data, n, q->received) != (ssize_t)n) q->status = 500;
      q->received += (long long)n;
      return MHD_YES;
    }
    if (q->len + n > MAX_JSON) {
      q->status = 413;
      return MHD_YES;
    }
    if (q->len + n > q->cap) {
      size_t cap = (q->len + n) * 2;
      char *b = realloc(q->buf, cap);
      if (!b) return MHD_NO;
      q->buf = b;
      q->cap = cap;
    }
    memcpy(q->buf + q->len, upload_data, n);
    q->len += n;
    return MHD_YES;
  }
  if (q->status == 413) return ERR(c, 413, "requestEntityTooLarge");
  switch (q->route) {
  case R_CREATE: return do_create(c, q);
  case R_GET: return do_get(c, q);
  case R_LIST: return do_list(c, q);
  case R_SESSION: return do_session(c, q);
  case R_START: return do_start(c, q);
  case R_UPLOAD:
    if (q->status == 400) return ERR(c, 400, "invalidRange");
    return upload_finish(c, q);
  default: return ERR(c, 404, "itemNotFound");
  }
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
  (void)cls;
  (void)c;
  (void)t;
  req_t *q = *con_cls;
  if (!q) return;
  if (q->fd >= 0) close(q->fd);
  free(q->buf);
  free(q);
  *con_cls = NULL;
}

int main(int argc, char **argv) {
  unsigned threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data"))
      data_dir = argv[i + 1];
    else if (!strcmp(argv[i], "--listen-port"))
      listen_port = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads"))
      threads = (unsigned)atoi(argv[i + 1]);
    else
      break;
  }
  if (!data_dir || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: ceiling --data DIR [--listen-port PORT] [--threads N]\n");
    return 2;
  }
  char docs[4096];
  snprintf(docs, sizeof docs, "%s/documents", data_dir);
  if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) die(data_dir);
  if (mkdir(docs, 0700) != 0 && errno != EEXIST) die(docs);
  store_open();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* the pool's threads inherit the mask */

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, access_cb, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
  if (!d) die("MHD_start_daemon");
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  listen_port = info ? info->port : listen_port;
  fprintf(stderr, "ceiling listening on http://127.0.0.1:%u\n", listen_port);

  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  sqlite3_stmt *all[] = {st_insert, st_get, st_list, st_session, st_token, st_uploaded, st_start};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) sqlite3_finalize(all[i]);
  sqlite3_close(db);
  return 0;
}
