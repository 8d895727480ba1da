/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's HTTP side (libmicrohttpd, its own thread): GET /metrics,
 * /report and /healthz, served from buffers the scan loop publishes after
 * each scan.  A request never scans and never waits for one: it takes a
 * reference to the current buffer under a mutex held for a pointer copy,
 * and the loop swaps in a new one when the next scan is done.  Read-only:
 * there is no method or path that changes anything.  Slow, many and odd
 * clients meet libmicrohttpd's limits (connections, memory per connection,
 * time-out), set in http.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct HttpServer HttpServer;

/* "127.0.0.1:10070", "[::1]:10070", "0.0.0.0:10070", "localhost:10070"; port 0: any free one. */
int http_listen_parse(const char *spec, struct sockaddr_storage *ret, socklen_t *ret_len);

/* Listen and serve (nothing but 503s until the first publish): 0 or -errno. */
int http_server_start(const char *listen, HttpServer **ret);
HttpServer *http_server_stop(HttpServer *h);

/* The port it listens on (useful with port 0). */
uint16_t http_server_port(const HttpServer *h);

/* Publish: @text is malloc'd and now the server's, freed when the last request with it ends. */
void http_server_set_metrics(HttpServer *h, char *text, size_t len);
void http_server_set_report(HttpServer *h, char *text, size_t len);

/*
 * /healthz answers 200 while the last scan worked (@ok) and the last good
 * one ended (@last_ok, seconds since the epoch) less than @max_age_s ago;
 * else 503 with @reason or the age.
 */
void http_server_set_health(HttpServer *h, bool ok, const char *reason, double last_ok,
			    double max_age_s);
