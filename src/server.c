/* server.c - the libmicrohttpd glue: daemon, access handler, completion.
 * The only file that includes <microhttpd.h>. Each request goes: URI callback (raw URL kept)
 * -> first access call: up_exchange_begin, nothing queued (so keep-alive survives: see
 * docs/ARCHITECTURE.md) -> body chunks: up_exchange_body -> last call: up_exchange_finish and
 * one response -> completion callback: up_exchange_fini. A fault rule's latency suspends the
 * connection before that last answer, and the delay thread resumes it when the time is up.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/server.h"
#include "uprintd/log.h"
#include "uprintd/resilience.h"
#include "uprintd/response.h"
#include "uprintd/router.h"
#include "uprintd/util.h"
#include "dispatch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long a stopping server waits for the requests in progress to finish. */
#define SHUTDOWN_GRACE_MS 5000

typedef struct req_ctx req_ctx_t;

struct up_server {
  struct MHD_Daemon *daemon; /* NULL until started */
  atomic_int in_flight;      /* requests begun (URI seen) and not yet completed */
  up_app_t *app;             /* set by up_server_start */
  int fd;                    /* the listening socket */
  bool ipv6;
  unsigned port;        /* the port bound */
  char listen_url[300]; /* http://HOST:PORT of the bound socket */
  char base_url[512];   /* links: --base-url or listen_url */
  /* Delayed answers (fault latency): suspended connections, resumed by delay_thread. */
  pthread_t delay_thread;
  bool delay_sync;    /* delay_mu and delay_cv exist (until the server is freed) */
  bool delay_running; /* delay_thread was started (set before the daemon starts) */
  bool delay_stop;    /* no more delays: stopping (under delay_mu) */
  pthread_mutex_t delay_mu;
  pthread_cond_t delay_cv;  /* CLOCK_MONOTONIC */
  req_ctx_t *delayed;       /* suspended requests, in no order */
  char *tls_cert, *tls_key; /* PEM text of --tls-cert and --tls-key, or NULL (HTTP) */
};

/* Per-request state, created by the URI callback, freed only by the completion callback. */
struct req_ctx {
  bool started;          /* the first access call has happened */
  bool answered;         /* a response is queued */
  bool delayed;          /* the answer was delayed (once) */
  int64_t due_ms;        /* up_monotonic_ms when a delayed answer is due */
  req_ctx_t *next_delay; /* srv->delayed list */
  int64_t begun_ms;      /* up_monotonic_ms when the request line was in */
  char *raw_url;         /* path and query as sent; NULL when over the limit */
  size_t raw_url_len;
  up_exchange_t ex; /* the request in progress */
  struct MHD_Connection *con;
};

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
  up_server_t *srv = cls;
  req_ctx_t *ctx = calloc(1, sizeof(*ctx));
  if (!ctx)
    return NULL;
  atomic_fetch_add(&srv->in_flight, 1);
  ctx->con = con;
  ctx->begun_ms = up_monotonic_ms();
  ctx->raw_url_len = strlen(uri);
  if (ctx->raw_url_len <= (size_t)srv->app->config.max_url_kb * 1024)
    ctx->raw_url = strdup(uri);
  return ctx;
}

static void completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  up_server_t *srv = cls;
  (void)con;
  (void)toe;
  req_ctx_t *ctx = *con_cls;
  if (ctx) {
    atomic_fetch_sub(&srv->in_flight, 1);
    up_exchange_fini(&ctx->ex);
    free(ctx->raw_url);
    free(ctx);
    *con_cls = NULL;
  }
}

static const char *header_lookup(const up_request_t *req, const char *name)
{
  req_ctx_t *ctx = req->glue;
  return MHD_lookup_connection_value(ctx->con, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_answer(req_ctx_t *ctx)
{
  up_answer_t a;
  struct MHD_Response *r;
  up_exchange_finish(&ctx->ex, &a);
  ctx->answered = true;
  if (a.fd >= 0)
    r = MHD_create_response_from_fd64((uint64_t)a.fd_size, a.fd); /* MHD closes fd */
  else
    r = MHD_create_response_from_buffer(a.body_len, a.body,
                                        a.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!r) {
    free(a.body);
    if (a.fd >= 0)
      close(a.fd);
    return MHD_NO;
  }
  for (size_t i = 0; i < a.n_headers; i++)
    MHD_add_response_header(r, a.headers[i].name, a.headers[i].value);
  enum MHD_Result ret = MHD_queue_response(ctx->con, (unsigned)a.status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Resumes the delayed requests that are due (all of them when stopping). A connection is
 * suspended until it is resumed here, so it cannot complete (and ctx cannot be freed) while it
 * is on the list. Called with delay_mu held; returns the next deadline, or -1. */
static int64_t resume_due(up_server_t *srv, bool all)
{
  int64_t now = up_monotonic_ms(), next = -1;
  req_ctx_t **link = &srv->delayed;
  while (*link) {
    req_ctx_t *ctx = *link;
    if (all || ctx->due_ms <= now) {
      *link = ctx->next_delay;
      ctx->next_delay = NULL;
      MHD_resume_connection(ctx->con);
    } else {
      if (next < 0 || ctx->due_ms < next)
        next = ctx->due_ms;
      link = &ctx->next_delay;
    }
  }
  return next;
}

static void *delay_main(void *arg)
{
  up_server_t *srv = arg;
  pthread_mutex_lock(&srv->delay_mu);
  while (!srv->delay_stop) {
    int64_t next = resume_due(srv, false);
    if (next < 0) {
      pthread_cond_wait(&srv->delay_cv, &srv->delay_mu);
    } else {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      int64_t wait_ms = next - up_monotonic_ms();
      if (wait_ms < 0)
        wait_ms = 0;
      ts.tv_sec += (time_t)(wait_ms / 1000);
      ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&srv->delay_cv, &srv->delay_mu, &ts);
    }
  }
  resume_due(srv, true);
  pthread_mutex_unlock(&srv->delay_mu);
  return NULL;
}

/* Holds the answer back for ms: suspends the connection until delay_main resumes it, and
 * libmicrohttpd then calls the access handler again. False when the server is stopping (the
 * answer goes now). */
static bool delay_answer(up_server_t *srv, req_ctx_t *ctx, unsigned ms)
{
  bool queued = false;
  pthread_mutex_lock(&srv->delay_mu);
  if (srv->delay_running && !srv->delay_stop) {
    /* + 1: the clock reads whole milliseconds, and the delay is a minimum. */
    ctx->due_ms = up_monotonic_ms() + ms + 1;
    MHD_suspend_connection(ctx->con);
    ctx->next_delay = srv->delayed;
    srv->delayed = ctx;
    pthread_cond_signal(&srv->delay_cv);
    queued = true;
  }
  pthread_mutex_unlock(&srv->delay_mu);
  return queued;
}

/* Ends the delays: every suspended request is resumed now and answered; none is suspended
 * after this (the lock stays for the access handler until the daemon is stopped). */
static void stop_delays(up_server_t *srv)
{
  if (!srv->delay_running)
    return;
  pthread_mutex_lock(&srv->delay_mu);
  srv->delay_stop = true;
  pthread_cond_signal(&srv->delay_cv);
  pthread_mutex_unlock(&srv->delay_mu);
  pthread_join(srv->delay_thread, NULL);
}

/* True once the request has taken longer than --request-timeout-s to arrive. */
static bool timed_out(const up_server_t *srv, const req_ctx_t *ctx)
{
  return up_monotonic_ms() - ctx->begun_ms > (int64_t)srv->app->config.request_timeout_s * 1000;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *con, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
  up_server_t *srv = cls;
  req_ctx_t *ctx = *con_cls;
  (void)url;
  (void)version;
  if (!ctx)
    return MHD_NO; /* the URI callback could not allocate: drop the connection */
  if (!ctx->started) {
    /* First call: headers only. Route, authenticate and begin; answer nothing yet (keep-alive),
     * except that a body over the limit is refused now rather than read. */
    const char *cl =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t declared = -1;
    if (cl) {
      char *end;
      unsigned long long v = strtoull(cl, &end, 10);
      declared = (*cl && !*end && v <= INT64_MAX) ? (int64_t)v : INT64_MAX;
    }
    ctx->started = true;
    /* Overload: beyond --max-in-flight requests in progress (this one counted), 503 at once
     * rather than a queue without bound. */
    if ((unsigned)atomic_load(&srv->in_flight) > srv->app->config.max_in_flight)
      ctx->ex.overloaded = true;
    up_exchange_begin(srv->app, &ctx->ex, method, ctx->raw_url, ctx->raw_url_len, declared,
                      header_lookup, ctx);
    if (timed_out(srv, ctx))
      up_exchange_timeout(&ctx->ex, srv->app->config.request_timeout_s);
    if (up_exchange_answer_now(&ctx->ex))
      return send_answer(ctx);
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!ctx->answered) {
      /* A body trickling in (slowloris): at the deadline the connection is closed. No answer
       * can be queued while a body is being received (libmicrohttpd), so the 408 goes to the
       * access log and /metrics only. */
      if (timed_out(srv, ctx)) {
        up_answer_t a;
        up_exchange_timeout(&ctx->ex, srv->app->config.request_timeout_s);
        up_exchange_finish(&ctx->ex, &a);
        free(a.body);
        if (a.fd >= 0)
          close(a.fd);
        ctx->answered = true;
        *upload_data_size = 0;
        return MHD_NO;
      }
      up_exchange_body(&ctx->ex, upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (ctx->answered)
    return MHD_YES;
  /* A fault rule's latency: the answer (the handler, for a request that proceeds) waits
   * without holding this worker thread. */
  if (ctx->ex.delay_ms && !ctx->delayed) {
    ctx->delayed = true;
    if (delay_answer(srv, ctx, ctx->ex.delay_ms))
      return MHD_YES;
  }
  return send_answer(ctx);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
  char line[512];
  (void)cls;
  vsnprintf(line, sizeof(line), fmt, ap);
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  up_log(UP_LOG_WARN, "http: %s", line);
}

/* Binds the listening socket ourselves, so that the port (also with port 0) and hence the
 * base URL are known before the first request can arrive. */
static int open_listener(const up_config_t *cfg, bool *ipv6, unsigned *port, up_error_t *err)
{
  struct addrinfo hints = {0}, *ai = NULL;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  char service[16];
  int fd = -1, one = 1;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  snprintf(service, sizeof(service), "%u", cfg->listen_port);
  int rc = getaddrinfo(cfg->listen_host, service, &hints, &ai);
  if (rc != 0) {
    up_error_set(err, UP_INVALID, NULL, "cannot resolve listen address '%s': %s", cfg->listen_host,
                 gai_strerror(rc));
    return -1;
  }
  *ipv6 = ai->ai_family == AF_INET6;
  fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
      getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
    up_error_set(err, UP_INTERNAL, NULL, "cannot listen on %s:%u: %s", cfg->listen_host,
                 cfg->listen_port, strerror(errno));
    if (fd >= 0)
      close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

up_status_t up_server_bind(const up_config_t *cfg, up_server_t **out, up_error_t *err)
{
  bool ipv6 = false;
  up_server_t *srv = calloc(1, sizeof(*srv));
  if (!srv)
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  if ((srv->fd = open_listener(cfg, &ipv6, &srv->port, err)) < 0) {
    free(srv);
    return UP_INTERNAL;
  }
  srv->ipv6 = ipv6;
  const char *scheme = cfg->tls_cert[0] ? "https" : "http";
  snprintf(srv->listen_url, sizeof(srv->listen_url), ipv6 ? "%s://[%s]:%u" : "%s://%s:%u", scheme,
           cfg->listen_host, srv->port);
  up_strlcpy(srv->base_url, cfg->base_url[0] ? cfg->base_url : srv->listen_url,
             sizeof(srv->base_url));
  *out = srv;
  return UP_OK;
}

const char *up_server_listen_url(const up_server_t *srv)
{
  return srv->listen_url;
}

const char *up_server_base_url(const up_server_t *srv)
{
  return srv->base_url;
}

/* The text of a PEM file (at most 1 MiB); NULL with a message in err. */
static char *read_pem(const char *path, up_error_t *err)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0;
  if (f && (buf = malloc((1 << 20) + 1)))
    n = fread(buf, 1, 1 << 20, f);
  if (!f || !buf || ferror(f) || n == 0 || n == 1 << 20 || !memchr(buf, '-', n)) {
    up_error_set(err, UP_INVALID, NULL, "cannot read the PEM file %s: %s", path,
                 !f             ? strerror(errno)
                 : n == 1 << 20 ? "larger than 1 MiB"
                                : "empty or not PEM");
    free(buf);
    if (f)
      fclose(f);
    return NULL;
  }
  fclose(f);
  buf[n] = '\0';
  return buf;
}

up_status_t up_server_start(up_server_t *srv, up_app_t *app, up_error_t *err)
{
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                   MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
  if (srv->ipv6)
    flags |= MHD_USE_IPv6;
  srv->app = app;
  up_strlcpy(app->base_url, srv->base_url, sizeof(app->base_url));
  /* The delay thread, for fault latency (its clock is monotonic, as the deadlines). */
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the delay thread's lock");
  bool cv_ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
               pthread_cond_init(&srv->delay_cv, &attr) == 0;
  pthread_condattr_destroy(&attr);
  if (!cv_ok)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the delay thread's lock");
  if (pthread_mutex_init(&srv->delay_mu, NULL) != 0) {
    pthread_cond_destroy(&srv->delay_cv);
    return up_error_set(err, UP_INTERNAL, NULL, "cannot create the delay thread's lock");
  }
  srv->delay_sync = true;
  if (pthread_create(&srv->delay_thread, NULL, delay_main, srv) != 0)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot start the delay thread");
  srv->delay_running = true;
  /* Memory per connection bounds the request line and headers: the URL limit plus room for
   * headers, so that our own 414 (a Graph error) answers before libmicrohttpd's. */
  size_t mem = (size_t)app->config.max_url_kb * 1024 + (size_t)app->config.max_header_kb * 1024;
  /* HTTPS (--tls-cert, --tls-key): libmicrohttpd with GnuTLS; the PEM files are read here.
   * Without TLS the HTTPS options must not be given at all. */
  struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}};
  if (app->config.tls_cert[0]) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
      return up_error_set(err, UP_INVALID, NULL, "this libmicrohttpd was built without TLS");
    if (!(srv->tls_cert = read_pem(app->config.tls_cert, err)) ||
        !(srv->tls_key = read_pem(app->config.tls_key, err)))
      return UP_INVALID;
    flags |= MHD_USE_TLS;
    tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
    tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
    tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  }
  /* Connections: in all, per client address (0: no limit), and how long one may stay silent. */
  srv->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, access_cb, srv, MHD_OPTION_ARRAY, tls, MHD_OPTION_EXTERNAL_LOGGER,
      mhd_logger, NULL, MHD_OPTION_LISTEN_SOCKET, srv->fd, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned)app->config.threads, MHD_OPTION_URI_LOG_CALLBACK, uri_cb, srv,
      MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv, MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)app->config.idle_timeout_s,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->config.max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)app->config.max_connections_ip, MHD_OPTION_END);
  if (!srv->daemon)
    return up_error_set(err, UP_INTERNAL, NULL, "cannot start the HTTP server on port %u",
                        srv->port);
  return UP_OK;
}

unsigned up_server_port(const up_server_t *srv)
{
  return srv->port;
}

void up_server_stop(up_server_t *srv)
{
  if (!srv)
    return;
  /* Stop accepting new connections; let the requests in progress (also those whose body is
   * still arriving) finish, for SHUTDOWN_GRACE_MS at most; then close every connection. Delayed
   * answers go at once: libmicrohttpd must not close a suspended connection. */
  stop_delays(srv);
  if (srv->daemon) {
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
      close(fd);
    for (int waited = 0; atomic_load(&srv->in_flight) > 0 && waited < SHUTDOWN_GRACE_MS;
         waited += 10)
      usleep(10 * 1000);
    if (atomic_load(&srv->in_flight) > 0)
      up_log(UP_LOG_WARN, "stopping with %d request(s) still in progress",
             atomic_load(&srv->in_flight));
    MHD_stop_daemon(srv->daemon);
  } else {
    close(srv->fd);
  }
  if (srv->delay_sync) { /* no access handler runs any more */
    pthread_cond_destroy(&srv->delay_cv);
    pthread_mutex_destroy(&srv->delay_mu);
  }
  if (srv->tls_key) /* the private key does not linger in freed memory */
    explicit_bzero(srv->tls_key, strlen(srv->tls_key));
  free(srv->tls_key);
  free(srv->tls_cert);
  free(srv);
}
