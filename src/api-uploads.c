/* api-uploads.c - the upload URLs of document upload sessions (PUT byte ranges, GET status,
 * DELETE) and the download URLs of $value (reference 4.2, 4.3). Not Graph paths: this server's
 * own, under /_uprintd; the URL's tempauthtoken authorizes, an Authorization header is ignored.
 *
 * A PUT streams its bytes straight into the session's spool file (DATA/uploads/{id}.part) at
 * their offset, never whole in memory. Ranges being written are reserved in memory, so that
 * parallel fragments cannot overlap; a range counts as received only once its bytes are on
 * disk (fdatasync) and the store says so. The last range moves the spool file to
 * DATA/documents/{documentId} (fsync, rename, fsync of the folder) before the 201.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"
#include "uprintd/job.h"
#include "uprintd/log.h"
#include "uprintd/model.h"
#include "uprintd/ranges.h"
#include "uprintd/response.h"
#include "uprintd/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fragment must be smaller than this (reference 4.2: "less than 10 MB"). */
#define MAX_FRAGMENT (10 * 1024 * 1024)

/* Ranges being written, per session: the registry of uploads in flight. */
typedef struct inflight {
  char upload_id[UP_ID_SIZE];
  up_rangeset_t ranges;
} inflight_t;

struct up_uploads {
  pthread_mutex_t lock; /* taken before the store's */
  inflight_t *v;
  size_t n, cap;
};

up_status_t up_uploads_new(struct up_uploads **out, up_error_t *err)
{
  struct up_uploads *u = calloc(1, sizeof(*u));
  if (!u)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  pthread_mutex_init(&u->lock, NULL);
  *out = u;
  return UP_OK;
}

void up_uploads_free(struct up_uploads *u)
{
  if (!u)
    return;
  for (size_t i = 0; i < u->n; i++)
    up_rangeset_fini(&u->v[i].ranges);
  free(u->v);
  pthread_mutex_destroy(&u->lock);
  free(u);
}

/* The in-flight ranges of a session (created when absent). Called with the lock held. */
static inflight_t *inflight_of(struct up_uploads *u, const char *id, bool create)
{
  for (size_t i = 0; i < u->n; i++)
    if (strcmp(u->v[i].upload_id, id) == 0)
      return &u->v[i];
  if (!create)
    return NULL;
  if (u->n == u->cap) {
    size_t cap = u->cap ? u->cap * 2 : 8;
    inflight_t *v = realloc(u->v, cap * sizeof(*v));
    if (!v)
      return NULL;
    u->v = v;
    u->cap = cap;
  }
  inflight_t *f = &u->v[u->n++];
  memset(f, 0, sizeof(*f));
  up_strlcpy(f->upload_id, id, sizeof(f->upload_id));
  return f;
}

/* Releases a reservation; drops the entry when it is empty. Called with the lock held. */
static void unreserve(struct up_uploads *u, const char *id, int64_t start, int64_t end)
{
  inflight_t *f = inflight_of(u, id, false);
  if (!f)
    return;
  up_rangeset_remove(&f->ranges, start, end);
  if (f->ranges.n == 0) {
    up_rangeset_fini(&f->ranges);
    *f = u->v[--u->n];
  }
}

/* A full disk (or quota) is 507; any other failure to write, 500. */
static up_status_t io_failure(int e)
{
  return e == ENOSPC || e == EDQUOT || e == EFBIG ? UP_NO_SPACE : UP_INTERNAL;
}

static void spool_path(const up_app_t *app, const char *upload_id, char *out, size_t len)
{
  snprintf(out, len, "%s/%s.part", app->uploads_dir, upload_id);
}

static void document_path(const up_app_t *app, const char *document_id, char *out, size_t len)
{
  snprintf(out, len, "%s/%s", app->documents_dir, document_id);
}

/* The last fragment makes the spool file the document's content (publish) and then records the
 * completion; a server stopped between the two leaves a session whose spool file is gone while
 * its content is the document's file. Any later fragment of that session (the client repeats the
 * one it got no answer for) first takes the content back, so that nothing received is lost.
 * Called with the registry locked, once the fragment's range is reserved: no other fragment of
 * the session can be finishing. */
static up_status_t recover_spool(up_app_t *app, const up_upload_t *u, up_error_t *err)
{
  char spool[1200], doc[1200];
  spool_path(app, u->id, spool, sizeof(spool));
  if (access(spool, F_OK) == 0 || errno != ENOENT)
    return UP_OK;
  document_path(app, u->document_id, doc, sizeof(doc));
  if (rename(doc, spool) != 0)
    return up_error_set(err, UP_INTERNAL, NULL,
                        "The data received for this upload session was lost (%s); delete the "
                        "session and upload the document again.",
                        strerror(errno));
  up_log(UP_LOG_WARN, "upload %s: recovered the content published before a restart", u->id);
  return UP_OK;
}

/* Reads the session a URL names and checks its token and lifetime: 404 for an unknown or
 * expired session, 401 for a wrong token. */
static up_status_t find_upload(up_app_t *app, const up_request_t *req, up_upload_t *u,
                               up_error_t *err)
{
  char token[64];
  /* No token at all: the URL was cut. A wrong one answers exactly like an unknown session, so
   * that the URL tells nothing about sessions whose token the caller does not hold (other
   * users', other tenants'). */
  if (!up_query_param(req->raw_query, "tempauthtoken", token, sizeof(token)))
    return up_error_set(err, UP_UNAUTHORIZED, "unauthenticated",
                        "The upload URL's tempauthtoken is missing.");
  up_status_t st = up_store_upload_get(app->store, req->params.v[0], u, err);
  if (st == UP_OK && (u->expires_at <= up_time_now() || strlen(token) != strlen(u->token) ||
                      !up_mem_equal_ct(token, u->token, strlen(token))))
    st = UP_NOT_FOUND;
  if (st == UP_NOT_FOUND)
    return up_error_set(err, UP_NOT_FOUND, "itemNotFound",
                        "The upload session was not found or has expired.");
  return st;
}

/* The holes of a session as pairs for up_upload_session_render (new array, free()). */
static up_status_t holes_of(const up_upload_t *u, int64_t **pairs, size_t *n, up_error_t *err)
{
  up_rangeset_t got = {0}, holes = {0};
  *pairs = NULL;
  *n = 0;
  if (!up_rangeset_parse(u->received, &got) || !up_rangeset_holes(&got, u->size, &holes)) {
    up_rangeset_fini(&got);
    return up_error_set(err, UP_INTERNAL, NULL, "The upload session's ranges are unreadable.");
  }
  if (holes.n && !(*pairs = malloc(holes.n * 2 * sizeof(int64_t)))) {
    up_rangeset_fini(&got);
    up_rangeset_fini(&holes);
    return up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
  }
  for (size_t i = 0; i < holes.n; i++) {
    (*pairs)[2 * i] = holes.v[i].start;
    (*pairs)[2 * i + 1] = holes.v[i].end;
  }
  *n = holes.n;
  up_rangeset_fini(&got);
  up_rangeset_fini(&holes);
  return UP_OK;
}

static up_status_t reply_session(up_app_t *app, const up_request_t *req, up_response_t *resp,
                                 int status, const up_upload_t *u, up_error_t *err)
{
  int64_t *pairs;
  size_t n;
  up_status_t st = holes_of(u, &pairs, &n, err);
  if (st == UP_OK)
    st = up_reply_json(app, req, resp, status, NULL,
                       up_upload_session_render(NULL, u->expires_at, pairs, n)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  free(pairs);
  return st;
}

/* --- PUT: one fragment --- */

typedef struct put_state {
  up_app_t *app;
  up_upload_t session;
  int64_t start, end; /* the fragment's range */
  int64_t written;    /* bytes written so far */
  int fd;             /* the spool file */
  bool reserved;      /* [start, end] is reserved in the registry */
} put_state_t;

static void put_release(void *arg)
{
  put_state_t *s = arg;
  if (!s)
    return;
  if (s->reserved) {
    pthread_mutex_lock(&s->app->uploads->lock);
    unreserve(s->app->uploads, s->session.id, s->start, s->end);
    pthread_mutex_unlock(&s->app->uploads->lock);
  }
  if (s->fd >= 0)
    close(s->fd);
  up_upload_fini(&s->session);
  free(s);
}

static up_status_t put_begin(up_app_t *app, const up_request_t *req, void **state, up_error_t *err)
{
  int64_t start, end, total;
  char path[1200];
  up_status_t st;
  put_state_t *s = calloc(1, sizeof(*s));
  if (!s)
    return up_api_nomem(err);
  s->app = app;
  s->fd = -1;
  if ((st = find_upload(app, req, &s->session, err)) != UP_OK)
    goto fail;
  const char *range = up_request_header(req, "Content-Range");
  if (!range) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "A Content-Range header (bytes START-END/TOTAL) is required.");
    goto fail;
  }
  if ((st = up_content_range_parse(range, &start, &end, &total, err)) != UP_OK)
    goto fail;
  if (total != s->session.size) {
    st = up_error_set(err, UP_INVALID, "fragmentLengthMismatch",
                      "The total in Content-Range (%lld) differs from the document's size (%lld).",
                      (long long)total, (long long)s->session.size);
    goto fail;
  }
  if (end - start + 1 >= MAX_FRAGMENT) {
    st = up_error_set(err, UP_TOO_LARGE, "maxFragmentLengthExceeded",
                      "A fragment must be smaller than %d bytes (this one is %lld).", MAX_FRAGMENT,
                      (long long)(end - start + 1));
    goto fail;
  }
  const char *cl = up_request_header(req, "Content-Length");
  if (cl && strtoll(cl, NULL, 10) != end - start + 1) {
    st = up_error_set(err, UP_INVALID, "fragmentLengthMismatch",
                      "Content-Length (%.20s) differs from the length of the range %lld-%lld.", cl,
                      (long long)start, (long long)end);
    goto fail;
  }
  s->start = start;
  s->end = end;
  /* Reserve the range: nothing received or being written may overlap it. */
  up_rangeset_t got = {0};
  pthread_mutex_lock(&app->uploads->lock);
  up_upload_t fresh;
  if ((st = up_store_upload_get(app->store, s->session.id, &fresh, err)) == UP_OK) {
    inflight_t *f = inflight_of(app->uploads, s->session.id, true);
    if (!up_rangeset_parse(fresh.received, &got) || !f)
      st = up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
    else if (up_rangeset_overlaps(&got, start, end) || up_rangeset_overlaps(&f->ranges, start, end))
      st = up_error_set(
          err, UP_RANGE, "invalidRange",
          "Uploaded fragment overlaps with existing data (fragmentOverlap): %lld-%lld.",
          (long long)start, (long long)end);
    else if (!up_rangeset_add(&f->ranges, start, end))
      st = up_error_set(err, UP_NOMEM, NULL, "Out of memory.");
    else
      s->reserved = true;
    if (s->reserved && got.n > 0) /* released by put_release when this fails */
      st = recover_spool(app, &fresh, err);
    if (f && !s->reserved && f->ranges.n == 0)
      unreserve(app->uploads, s->session.id, 0, -1);
    up_upload_fini(&fresh);
  } else if (st == UP_NOT_FOUND) {
    st = up_error_set(err, UP_NOT_FOUND, NULL, "The upload session was not found or has expired.");
  }
  pthread_mutex_unlock(&app->uploads->lock);
  up_rangeset_fini(&got);
  if (st != UP_OK)
    goto fail;
  spool_path(app, s->session.id, path, sizeof(path));
  if ((s->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
    st = up_error_set(err, io_failure(errno), NULL, "Cannot open the upload's spool file: %s.",
                      strerror(errno));
    goto fail;
  }
  *state = s;
  return UP_OK;
fail:
  put_release(s);
  return st;
}

static up_status_t put_chunk(void *arg, const char *data, size_t size, up_error_t *err)
{
  put_state_t *s = arg;
  if ((int64_t)size > s->end - s->start + 1 - s->written)
    return up_error_set(err, UP_INVALID, "fragmentLengthMismatch",
                        "The body is longer than the range %lld-%lld.", (long long)s->start,
                        (long long)s->end);
  while (size > 0) {
    ssize_t n = pwrite(s->fd, data, size, (off_t)(s->start + s->written));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return up_error_set(err, io_failure(n < 0 ? errno : ENOSPC), NULL,
                          "Cannot write the upload: %s.", strerror(n < 0 ? errno : ENOSPC));
    s->written += n;
    data += n;
    size -= (size_t)n;
  }
  return UP_OK;
}

const up_stream_ops_t up_api_upload_stream = {put_begin, put_chunk, put_release};

/* Makes the finished spool file the document's content: durable before anyone is told. */
static up_status_t publish(up_app_t *app, put_state_t *s, up_error_t *err)
{
  char from[1200], to[1200];
  spool_path(app, s->session.id, from, sizeof(from));
  document_path(app, s->session.document_id, to, sizeof(to));
  if (fsync(s->fd) != 0 || rename(from, to) != 0)
    return up_error_set(err, io_failure(errno), NULL, "Cannot store the document: %s.",
                        strerror(errno));
  int dir = open(app->documents_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return UP_OK;
}

UP_HANDLER(up_api_upload_put)
{
  put_state_t *s = req->stream;
  up_upload_t fresh;
  up_rangeset_t got = {0};
  up_job_t job;
  up_status_t st;
  memset(&fresh, 0, sizeof(fresh));
  memset(&job, 0, sizeof(job));
  if (s->written != s->end - s->start + 1)
    return up_error_set(err, UP_INVALID, "fragmentLengthMismatch",
                        "Got %lld bytes for the range %lld-%lld.", (long long)s->written,
                        (long long)s->start, (long long)s->end);
  /* The bytes are on disk before the range counts as received. */
  if (fdatasync(s->fd) != 0)
    return up_error_set(err, io_failure(errno), NULL, "Cannot write the upload: %s.",
                        strerror(errno));
  pthread_mutex_lock(&app->uploads->lock);
  if ((st = up_store_upload_get(app->store, s->session.id, &fresh, err)) != UP_OK) {
    st = up_error_set(err, UP_NOT_FOUND, NULL, "The upload session was deleted during the upload.");
    goto out;
  }
  if (!up_rangeset_parse(fresh.received, &got) || !up_rangeset_add(&got, s->start, s->end)) {
    st = up_api_nomem(err);
    goto out;
  }
  unreserve(app->uploads, s->session.id, s->start, s->end);
  s->reserved = false;
  if (up_rangeset_covers(&got, fresh.size)) {
    /* The last hole: the content becomes the document's, and the job leaves uploadPending. */
    up_document_t doc = {0};
    doc.display_name = fresh.document_name;
    doc.content_type = fresh.content_type;
    doc.size = fresh.size;
    up_job_event_args_t args = {.document = &doc, .upload_id = fresh.id};
    /* A job that was started (or ended) meanwhile keeps the content it has. */
    if ((st = up_store_job_get(app->store, fresh.tenant_id, NULL, fresh.job_id, &job, err)) !=
            UP_OK ||
        !up_job_can(&job, UP_JOB_EV_UPLOADED, err)) {
      st = st != UP_OK ? st : UP_INVALID;
      goto out;
    }
    up_job_fini(&job);
    if ((st = publish(app, s, err)) != UP_OK ||
        (st = up_job_apply(app->store, fresh.tenant_id, fresh.job_id, UP_JOB_EV_UPLOADED, &args,
                           &job, err)) != UP_OK)
      goto out;
    st = up_reply_json(app, req, resp, 201, NULL,
                       up_document_render_uploaded(&job.document, fresh.document_name)) == UP_OK
             ? UP_OK
             : up_api_nomem(err);
  } else {
    char *text = up_rangeset_format(&got);
    if (!text || (st = up_store_upload_set_received(app->store, fresh.id, text, err)) != UP_OK) {
      free(text);
      st = text ? st : up_api_nomem(err);
      goto out;
    }
    free(fresh.received);
    fresh.received = text;
    st = reply_session(app, req, resp, 202, &fresh, err);
  }
out:
  pthread_mutex_unlock(&app->uploads->lock);
  up_rangeset_fini(&got);
  up_upload_fini(&fresh);
  up_job_fini(&job);
  return st;
}

UP_HANDLER(up_api_upload_get)
{
  up_upload_t u;
  memset(&u, 0, sizeof(u));
  up_status_t st = find_upload(app, req, &u, err);
  if (st == UP_OK)
    st = reply_session(app, req, resp, 200, &u, err);
  up_upload_fini(&u);
  return st;
}

UP_HANDLER(up_api_upload_delete)
{
  up_upload_t u;
  char path[1200];
  memset(&u, 0, sizeof(u));
  up_status_t st = find_upload(app, req, &u, err);
  if (st == UP_OK && (st = up_store_upload_delete(app->store, u.id, err)) == UP_OK) {
    spool_path(app, u.id, path, sizeof(path));
    unlink(path);
    st = up_reply_empty(resp, 204);
  }
  up_upload_fini(&u);
  return up_api_not_found(st, err, "upload session", req->params.v[0]);
}

UP_HANDLER(up_api_download_get)
{
  up_document_t doc;
  char token[64], tenant[64], expires[24], grant[256], path[1200];
  memset(&doc, 0, sizeof(doc));
  /* As for upload URLs: no token is 401, a wrong one (or anything else of the URL changed)
   * is an unknown URL. The token signs tenant, document and expiry ($value). */
  if (!up_query_param(req->raw_query, "tempauthtoken", token, sizeof(token)))
    return up_error_set(err, UP_UNAUTHORIZED, "unauthenticated",
                        "The download URL's tempauthtoken is missing.");
  const char *document = req->params.v[0];
  char *end = NULL;
  long long until = 0;
  bool ok = up_query_param(req->raw_query, "tenant", tenant, sizeof(tenant)) &&
            up_uuid_is_valid(tenant) && up_uuid_is_valid(document) &&
            up_query_param(req->raw_query, "expires", expires, sizeof(expires)) &&
            (until = strtoll(expires, &end, 10)) > 0 && end && !*end;
  if (ok) {
    snprintf(grant, sizeof(grant), "download\n%s\n%s\n%lld", tenant, document, until);
    ok = up_keyring_url_token_ok(app->keys, grant, token) &&
         until > up_time_now() / UP_TIME_TICKS_PER_SECOND;
  }
  if (!ok)
    return up_error_set(err, UP_NOT_FOUND, NULL, "The download URL was not found or has expired.");
  up_status_t st = up_store_document_get(app->store, tenant, document, &doc, err);
  if (st != UP_OK)
    return up_api_not_found(st, err, "document", document);
  document_path(app, doc.id, path, sizeof(path));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) {
    if (fd >= 0)
      close(fd);
    up_document_fini(&doc);
    return up_error_set(err, UP_NOT_FOUND, NULL, "The document's content is gone.");
  }
  /* Best effort: on a full disk the content is still served. */
  up_store_document_set_downloaded(app->store, tenant, doc.id, up_time_now(), NULL);
  resp->status = 200;
  resp->fd = fd;
  resp->fd_size = sb.st_size;
  up_response_header(resp, "Content-Type",
                     doc.content_type && doc.content_type[0] ? doc.content_type
                                                             : "application/octet-stream");
  up_document_fini(&doc);
  return UP_OK;
}

void up_api_uploads_housekeeping(up_app_t *app)
{
  size_t n = 0;
  up_error_t err;
  char path[1200];
  if (up_store_upload_delete_expired(app->store, up_time_now(), &n, &err) != UP_OK)
    up_log(UP_LOG_WARN, "upload sessions: %s", err.message);
  /* Spool files whose session is gone (expired, deleted, replaced, or completed by a crash). */
  DIR *dir = opendir(app->uploads_dir);
  struct dirent *e;
  while (dir && (e = readdir(dir))) {
    char id[UP_ID_SIZE];
    size_t len = strlen(e->d_name);
    if (len != 41 || strcmp(e->d_name + 36, ".part") != 0)
      continue;
    memcpy(id, e->d_name, 36);
    id[36] = '\0';
    if (up_uuid_is_valid(id) && !up_store_upload_exists(app->store, id)) {
      spool_path(app, id, path, sizeof(path));
      unlink(path);
    }
  }
  if (dir)
    closedir(dir);
  if (n)
    up_log(UP_LOG_INFO, "upload sessions: %zu expired and deleted", n);
}

/* A session whose last fragment was published (the spool file renamed to the document's) but
 * whose completion was not recorded: the server stopped in between. The client got no answer.
 * A document without content goes back to the state before that fragment (the spool file
 * again: the client repeats the fragment, or the session expires and the file with it). A
 * document that had content (an upload replacing it) cannot: the old content is gone, and the
 * new one is complete, so the completion is recorded now. */
static void recover_session(void *arg, const up_upload_t *u, bool document_uploaded)
{
  up_app_t *app = arg;
  char spool[1200], doc[1200];
  struct stat sb;
  up_error_t err;
  spool_path(app, u->id, spool, sizeof(spool));
  document_path(app, u->document_id, doc, sizeof(doc));
  if (stat(doc, &sb) != 0)
    return;
  if (!document_uploaded && access(spool, F_OK) == 0) {
    /* Both names: the rename out of uploads/ was lost (a power cut), the one into documents/
     * was not. The session keeps its spool file; the early copy goes. */
    if (unlink(doc) == 0)
      up_log(UP_LOG_WARN,
             "upload %s: its last fragment was published but not recorded; the "
             "content is the session's again",
             u->id);
    return;
  }
  if (access(spool, F_OK) == 0)
    return;
  if (!document_uploaded) {
    if (rename(doc, spool) == 0)
      up_log(UP_LOG_WARN,
             "upload %s: its last fragment was published but not recorded; the "
             "content is the session's again",
             u->id);
    else
      up_log(UP_LOG_ERROR, "upload %s: cannot take back its content: %s", u->id, strerror(errno));
    return;
  }
  if (sb.st_size != u->size) {
    up_log(UP_LOG_ERROR, "upload %s: the document's file has %lld bytes, the session %lld", u->id,
           (long long)sb.st_size, (long long)u->size);
    return;
  }
  up_document_t d = {0};
  d.display_name = u->document_name;
  d.content_type = u->content_type;
  d.size = u->size;
  up_job_event_args_t args = {.document = &d, .upload_id = u->id};
  up_job_t job;
  memset(&job, 0, sizeof(job));
  up_error_clear(&err);
  if (up_job_apply(app->store, u->tenant_id, u->job_id, UP_JOB_EV_UPLOADED, &args, &job, &err) ==
      UP_OK)
    up_log(UP_LOG_WARN, "upload %s: its last fragment was published but not recorded; recorded now",
           u->id);
  else
    up_log(UP_LOG_ERROR, "upload %s: cannot record the content published before a restart: %s",
           u->id, err.message);
  up_job_fini(&job);
}

void up_api_uploads_recover(up_app_t *app)
{
  up_error_t err;
  char path[1200];
  if (up_store_uploads_each(app->store, recover_session, app, &err) != UP_OK)
    up_log(UP_LOG_ERROR, "upload sessions: %s", err.message);
  /* Document files no document names: a redirect or a printer's deletion cut short. */
  DIR *dir = opendir(app->documents_dir);
  struct dirent *e;
  size_t removed = 0;
  while (dir && (e = readdir(dir))) {
    char id[UP_ID_SIZE];
    if (strlen(e->d_name) != UP_ID_SIZE - 1 || !up_uuid_is_valid(e->d_name))
      continue;
    memcpy(id, e->d_name, UP_ID_SIZE);
    if (up_store_document_exists(app->store, id))
      continue;
    document_path(app, id, path, sizeof(path));
    if (unlink(path) == 0)
      removed++;
  }
  if (dir)
    closedir(dir);
  if (removed)
    up_log(UP_LOG_WARN, "documents: %zu file%s of no document removed", removed,
           removed == 1 ? "" : "s");
  /* Expired sessions and spool files of no session (after a power cut, a spool file's old name
   * can come back beside the document it became), now rather than at the first housekeeping. */
  up_api_uploads_housekeeping(app);
}
