/* server.h - the HTTP front end: starts libmicrohttpd and turns each request into a routed,
 * authenticated up_request_t for a handler.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_SERVER_H
#define UPRINTD_SERVER_H

#include "uprintd/app.h"

typedef struct up_server up_server_t;

/** Binds the listening socket of cfg (connections queue until the server starts), so that the
 *  port, also with port 0, and the base URL are known first. Caller ends with up_server_stop. */
up_status_t up_server_bind(const up_config_t *cfg, up_server_t **out, up_error_t *err);

/** http://HOST:PORT of the bound socket. */
const char *up_server_listen_url(const up_server_t *srv);

/** The base URL of links: --base-url, or http://HOST:PORT of the bound socket. */
const char *up_server_base_url(const up_server_t *srv);

/** Starts answering with app's thread pool; copies the base URL into app->base_url. */
up_status_t up_server_start(up_server_t *srv, up_app_t *app, up_error_t *err);

/** The port actually bound (useful with port 0). */
unsigned up_server_port(const up_server_t *srv);

/** Stops accepting connections, lets in-flight requests finish, stops the threads. NULL ok. */
void up_server_stop(up_server_t *srv);

#endif
