// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HTTP for the agent (http.h) on libmicrohttpd: one internal polling
 * thread (epoll) handles every connection without blocking, responses are
 * reference-counted buffers, never copies.
 *
 * Limits, so that no client can hurt the host or the scan loop:
 * 64 connections at once, 32 from one address; 16 KiB of memory per
 * connection (a longer request line or headers gets 414/431 from
 * libmicrohttpd); 10 s without progress closes a connection (slowloris);
 * methods other than GET and HEAD get 405; unknown paths 404.
 *
 * The library is opened with dlopen() when a server starts, not linked:
 * every other command would map it (and GnuTLS, nettle, p11-kit... that it
 * pulls in) for nothing, 1.2 ms of each `residue orphans`'s 35.
 */
#include "agent/http.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/macro.h"

#define CONNECTIONS_MAX 64
#define CONNECTIONS_PER_IP_MAX 32
#define CONNECTION_MEMORY (16 * 1024)
#define CONNECTION_TIMEOUT_S 10

/* The soname of Debian 12's and 13's libmicrohttpd12, whose headers the build uses. */
#define MHD_SONAME "libmicrohttpd.so.12"

/* The calls residue makes, typed from the library's own declarations. */
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_buffer_with_free_callback_cls)
		*create_response_from_buffer_with_free_callback_cls;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static const char *mhd_error = "not opened"; /* why it could not be; NULL once it was */
static char mhd_dlerror[256]; /* dlerror()'s text, which the next dl call may overwrite */

static void mhd_open(void)
{
	void *l = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!l) {
		const char *e = dlerror();
		snprintf(mhd_dlerror, sizeof(mhd_dlerror), "%s", e ? e : MHD_SONAME ": not found");
		mhd_error = mhd_dlerror;
		return;
	}
#define SYM(name)                                                                                  \
	if (!(*(void **)&mhd.name = dlsym(l, "MHD_" #name))) {                                     \
		mhd_error = "a libmicrohttpd without MHD_" #name;                                  \
		return;                                                                            \
	}
	SYM(start_daemon)
	SYM(stop_daemon)
	SYM(get_daemon_info)
	SYM(create_response_from_buffer)
	SYM(create_response_from_buffer_with_free_callback_cls)
	SYM(add_response_header)
	SYM(queue_response)
	SYM(destroy_response)
#undef SYM
	mhd_error = NULL;
}

typedef struct Blob {
	atomic_int refs;
	size_t len;
	char *data;
} Blob;

struct HttpServer {
	struct MHD_Daemon *d;
	pthread_mutex_t lock; /* guards the pointers below, held for a copy */
	Blob *metrics, *report;
	bool ok;
	char reason[256];
	double last_ok, max_age_s;
};

static Blob *blob_new(char *data, size_t len)
{
	Blob *b = malloc(sizeof(*b));
	if (!b) {
		free(data);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->len = len;
	b->data = data;
	return b;
}

static void blob_unref(void *p)
{
	Blob *b = p;
	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		free(b->data);
		free(b);
	}
}

static Blob *take(HttpServer *h, Blob **slot)
{
	pthread_mutex_lock(&h->lock);
	Blob *b = *slot;
	if (b)
		atomic_fetch_add(&b->refs, 1);
	pthread_mutex_unlock(&h->lock);
	return b;
}

static void put(HttpServer *h, Blob **slot, char *text, size_t len)
{
	Blob *b = blob_new(text, len), *old;
	if (!b)
		return; /* keep serving the old one */
	pthread_mutex_lock(&h->lock);
	old = *slot;
	*slot = b;
	pthread_mutex_unlock(&h->lock);
	blob_unref(old);
}

void http_server_set_metrics(HttpServer *h, char *text, size_t len)
{
	put(h, &h->metrics, text, len);
}

void http_server_set_report(HttpServer *h, char *text, size_t len)
{
	put(h, &h->report, text, len);
}

void http_server_set_health(HttpServer *h, bool ok, const char *reason, double last_ok,
			    double max_age_s)
{
	pthread_mutex_lock(&h->lock);
	h->ok = ok;
	snprintf(h->reason, sizeof(h->reason), "%s", reason ? reason : "");
	h->last_ok = last_ok;
	h->max_age_s = max_age_s;
	pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *text)
{
	struct MHD_Response *r =
		mhd.create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = mhd.queue_response(c, status, r);
	mhd.destroy_response(r);
	return ret;
}

static enum MHD_Result reply_blob(struct MHD_Connection *c, Blob *b, const char *type)
{
	if (!b)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
			     "no scan has finished yet\n");
	struct MHD_Response *r = mhd.create_response_from_buffer_with_free_callback_cls(
		b->len, b->data, blob_unref, b);
	if (!r) {
		blob_unref(b);
		return MHD_NO;
	}
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	mhd.add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = mhd.queue_response(c, MHD_HTTP_OK, r);
	mhd.destroy_response(r);
	return ret;
}

static enum MHD_Result healthz(HttpServer *h, struct MHD_Connection *c)
{
	char text[320];
	struct timespec now;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &now);
	double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	pthread_mutex_lock(&h->lock);
	if (!h->last_ok && h->ok)
		snprintf(text, sizeof(text), "no scan has finished yet\n");
	else if (!h->ok)
		snprintf(text, sizeof(text), "last scan failed: %s\n", h->reason);
	else if (t - h->last_ok > h->max_age_s)
		snprintf(text, sizeof(text), "last good scan %.0f s ago (more than %.0f s)\n",
			 t - h->last_ok, h->max_age_s);
	else
		snprintf(text, sizeof(text), "ok\n");
	ok = strcmp(text, "ok\n") == 0;
	pthread_mutex_unlock(&h->lock);
	return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		     "text/plain; charset=utf-8", text);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	HttpServer *h = cls;
	(void)version;
	(void)upload_data;

	/* Refused at once: libmicrohttpd then closes the connection without reading a body. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		*upload_data_size = 0;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     "only GET and HEAD: residue serve is read-only\n");
	}
	/*
	 * The first call comes when the headers are in, then one per piece of a body, then a last
	 * one.  A reply queued on the first, before the request has been read to its end, makes
	 * libmicrohttpd close the connection after it, so each scrape would cost Prometheus a new
	 * TCP connection: answer on the last call.  A body (a GET may carry one) is dropped unread
	 * piece by piece; the per-connection memory and time-out bound it as they bound headers.
	 */
	if (!*con_cls || *upload_data_size) {
		*con_cls = h;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return reply_blob(c, take(h, &h->metrics),
				  "text/plain; version=0.0.4; charset=utf-8");
	if (strcmp(url, "/report") == 0)
		return reply_blob(c, take(h, &h->report), "application/json");
	if (strcmp(url, "/healthz") == 0)
		return healthz(h, c);
	if (strcmp(url, "/") == 0)
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8",
			     "residue serve: /metrics (Prometheus), /report (residue --json), "
			     "/healthz\n");
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
		     "not found: /metrics, /report, /healthz\n");
}

int http_listen_parse(const char *spec, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	const char *colon = strrchr(spec, ':');
	char host[256];
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_PASSIVE },
			*ai = NULL;
	char *end;

	if (!colon || colon == spec)
		return -EINVAL;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		return -EINVAL;
	size_t n = (size_t)(colon - spec);
	if (spec[0] == '[' && n >= 2 && spec[n - 1] == ']') { /* [::1]:10070 */
		spec++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
		return -EADDRNOTAVAIL;
	memcpy(ret, ai->ai_addr, ai->ai_addrlen);
	*ret_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int http_server_start(const char *listen, HttpServer **ret)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int r = http_listen_parse(listen, &sa, &len);
	if (r < 0)
		return r;
	pthread_once(&mhd_once, mhd_open);
	if (mhd_error) {
		fprintf(stderr, "residue: cannot serve HTTP: %s\n", mhd_error);
		return -ELIBACC;
	}
	HttpServer *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->ok = true;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	h->d = mhd.start_daemon(
		flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONNECTIONS_PER_IP_MAX,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (!h->d) {
		r = errno ? -errno : -EADDRINUSE;
		pthread_mutex_destroy(&h->lock);
		free(h);
		return r;
	}
	*ret = h;
	return 0;
}

uint16_t http_server_port(const HttpServer *h)
{
	const union MHD_DaemonInfo *i = mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

HttpServer *http_server_stop(HttpServer *h)
{
	if (!h)
		return NULL;
	mhd.stop_daemon(h->d); /* waits for its thread: no request runs after this */
	blob_unref(h->metrics);
	blob_unref(h->report);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return NULL;
}
