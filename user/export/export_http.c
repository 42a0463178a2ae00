// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP side, on libmicrohttpd: one thread polling with epoll serves
 * every connection from the page the refresh loop last published, shared
 * by reference, so a scrape costs a copy to the socket and many clients
 * cost no more memory than one. GET and HEAD only; / is a small page,
 * /metrics the metrics, anything else 404.
 *
 * Hostile clients (issue 13). A connection costs a descriptor and a little
 * memory, not a thread, so the limits are high: NL_HTTP_CONNECTIONS in
 * total, NL_HTTP_PER_CLIENT per client address (export.h). Over a limit,
 * the connection idle the longest (no request under way: kept alive, never
 * sent one, or still sending its header a line at a time) is closed to
 * make room, the same client's first; only when every connection has a
 * request under way is the new one closed. So idle and slow clients cannot
 * keep a scraper out, whatever their number; a request with a body is
 * answered without waiting for the body (then closed), so a slow body holds
 * nothing either. libmicrohttpd closes a connection silent for
 * NL_HTTP_TIMEOUT_S, and keeps a request within NL_HTTP_REQUEST_BYTES (a
 * longer URL gets 414, a larger header 431). The descriptor limit is raised
 * to fit (RLIMIT_NOFILE, up to its hard limit), else the total shrinks.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "export.h"
#include "log.h"

/* Closed connections stay counted by libmicrohttpd until its next turn:
 * its own limit is this much above ours. */
#define HTTP_SLACK 64
/* Descriptors kept for everything else (BPF, /proc, the textfile). */
#define HTTP_FD_RESERVE 256
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct nl_blob {
	atomic_int refs;
	size_t len;
	char data[];
};

/* A connection, in the order they came (oldest first). Only the server's
 * thread touches these. */
struct nl_conn {
	struct nl_conn *prev, *next;
	unsigned char client[16]; /* the address, IPv4 mapped into IPv6 */
	int fd;
	bool busy;    /* a request under way */
	bool closing; /* closed to make room, not counted any more */
};

struct nl_http {
	struct MHD_Daemon *daemon;
	struct nl_conn *oldest, *newest;
	unsigned int open, limit;
	pthread_mutex_t lock;
	struct nl_blob *metrics;
	struct MHD_Response *index, *not_found, *not_allowed, *unavailable;
};

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>numalens exporter</title></head>\n"
	"<body><h1>numalens exporter</h1>\n"
	"<p>NUMA locality per process: remote memory access, CPU time and memory per node.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

struct nl_blob *nl_blob_new(const char *data, size_t len)
{
	struct nl_blob *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

static struct nl_blob *blob_get(struct nl_blob *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

void nl_blob_put(struct nl_blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

static void blob_free_cb(void *cls)
{
	nl_blob_put(cls);
}

static struct MHD_Response *static_response(const char *text, const char *type)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int code, struct MHD_Response *r)
{
	return r ? MHD_queue_response(conn, code, r) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **state)
{
	struct nl_http *h = cls;
	struct MHD_Response *r;
	struct nl_blob *b;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (!*state) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct nl_conn *c = ci ? ci->socket_context : NULL;

		if (c)
			c->busy = true; /* until request_done() */
	}
	/* Other methods are refused at once (the connection closes then). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, h->not_allowed);
	/* Without a body, the answer comes once the request is whole, and the
	 * connection can be kept alive. A body (which GET and HEAD do not use)
	 * is not waited for: answered at once, the connection then closes, so
	 * a slow or endless one holds nothing. */
	if (!*state) {
		const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_CONTENT_LENGTH);

		*state = h;
		if ((!len || !strcmp(len, "0")) &&
		    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_TRANSFER_ENCODING))
			return MHD_YES;
	} else if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/"))
		return queue(conn, MHD_HTTP_OK, h->index);
	if (strcmp(url, "/metrics"))
		return queue(conn, MHD_HTTP_NOT_FOUND, h->not_found);
	pthread_mutex_lock(&h->lock);
	b = h->metrics ? blob_get(h->metrics) : NULL;
	pthread_mutex_unlock(&h->lock);
	if (!b)
		return queue(conn, MHD_HTTP_SERVICE_UNAVAILABLE, h->unavailable);
	r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data, blob_free_cb,
								   b);
	if (!r) {
		nl_blob_put(b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode why)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct nl_conn *c = ci ? ci->socket_context : NULL;

	(void)cls;
	(void)why;
	*state = NULL;
	if (c)
		c->busy = false;
}

static void client_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

/* Closes the connection idle the longest (of C's client when SAME): the
 * server's next turn sees it shut and frees it. C itself is the newest, so
 * it goes only when every other one has a request under way. */
static void make_room(struct nl_http *h, const struct nl_conn *c, bool same)
{
	struct nl_conn *v;

	for (v = h->oldest; v; v = v->next)
		if (!v->busy && !v->closing && (!same || !memcmp(v->client, c->client, 16)))
			break;
	if (!v)
		return;
	shutdown(v->fd, SHUT_RDWR);
	v->closing = true;
	h->open--;
	nl_debug("http: %s: closed the connection idle the longest (%u open)",
		 same ? "a client over its limit" : "over the limit", h->open);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	struct nl_http *h = cls;
	struct nl_conn *c = *ctx, *v;
	const union MHD_ConnectionInfo *ci;
	unsigned int same = 0;

	if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!c)
			return;
		*(c->prev ? &c->prev->next : &h->oldest) = c->next;
		*(c->next ? &c->next->prev : &h->newest) = c->prev;
		if (!c->closing)
			h->open--;
		free(c);
		*ctx = NULL;
		return;
	}
	c = calloc(1, sizeof(*c));
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!c || !ci) {
		/* No room to track it: not served. */
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		free(c);
		return;
	}
	c->fd = ci->connect_fd;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	client_key(ci ? ci->client_addr : NULL, c->client);
	c->prev = h->newest;
	*(h->newest ? &h->newest->next : &h->oldest) = c;
	h->newest = c;
	h->open++;
	*ctx = c;
	for (v = h->oldest; v; v = v->next)
		same += !v->closing && !memcmp(v->client, c->client, 16);
	if (same > NL_HTTP_PER_CLIENT)
		make_room(h, c, true);
	if (h->open > h->limit)
		make_room(h, c, false);
}

/* The descriptors open now. */
static unsigned int fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	if (!d)
		return 64;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Room for the connections under RLIMIT_NOFILE, raised up to its hard
 * limit if need be (no privilege needed); returns the total limit. */
static unsigned int fit_descriptors(void)
{
	unsigned int want = NL_HTTP_CONNECTIONS + HTTP_SLACK + HTTP_FD_RESERVE + fds_open();
	struct rlimit rl;
	unsigned int limit;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return NL_HTTP_CONNECTIONS;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want :
										   rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return NL_HTTP_CONNECTIONS;
	limit = rl.rlim_cur > want - NL_HTTP_CONNECTIONS + 16 ?
			rl.rlim_cur - (want - NL_HTTP_CONNECTIONS) :
			16;
	nl_warn("the descriptor limit (ulimit -n %llu, hard limit included) leaves room for "
		"%u HTTP connections, not %d",
		(unsigned long long)rl.rlim_cur, limit, NL_HTTP_CONNECTIONS);
	return limit;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	if (nl_verbose < 2)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	nl_debug("http: %s", msg);
}

/* "host:port", "[v6]:port", ":port" */
static int split_spec(const char *spec, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= hsize)
			return -EINVAL;
		memcpy(host, spec + 1, close - spec - 1);
		host[close - spec - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= hsize || memchr(spec, ':', colon - spec))
			return -EINVAL;
		memcpy(host, spec, colon - spec);
		host[colon - spec] = '\0';
	}
	if (!colon[1] || strlen(colon + 1) >= psize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	snprintf(port, psize, "%s", colon + 1);
	return atoi(port) > 0 && atoi(port) < 65536 ? 0 : -EINVAL;
}

int nl_http_listen(const char *spec, char *desc, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL,
			*ai;
	char host[256], port[8];
	int fd = -1, err, one = 1, pass;

	if (split_spec(spec, host, sizeof(host), port, sizeof(port))) {
		nl_err("--listen must be ADDRESS:PORT (127.0.0.1:%d, [::1]:%d, :%d for every "
		       "address), not '%s'",
		       NL_EXPORT_PORT, NL_EXPORT_PORT, NL_EXPORT_PORT, spec);
		return -EINVAL;
	}
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (err) {
		nl_err("--listen %s: %s", spec, gai_strerror(err));
		return -EINVAL;
	}
	err = -EADDRNOTAVAIL;
	/* ":port": IPv6 first, which takes IPv4 too (V6ONLY off), then IPv4. */
	for (pass = host[0] ? 1 : 0; fd < 0 && pass < 2; pass++)
		for (ai = res; ai; ai = ai->ai_next) {
			if (!pass && ai->ai_family != AF_INET6)
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				err = -errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6 && !host[0]) {
				int zero = 0; /* ":port": IPv4 too */

				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			}
			if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 128)) {
				char addr[INET6_ADDRSTRLEN] = "?";

				if (ai->ai_family == AF_INET)
					inet_ntop(AF_INET,
						  &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
						  addr, sizeof(addr));
				else if (ai->ai_family == AF_INET6)
					inet_ntop(AF_INET6,
						  &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
						  addr, sizeof(addr));
				snprintf(desc, size,
					 ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", addr,
					 port);
				break;
			}
			err = -errno;
			close(fd);
			fd = -1;
		}
	freeaddrinfo(res);
	if (fd < 0) {
		nl_err("cannot listen on %s: %s%s", spec, strerror(-err),
		       err == -EADDRINUSE ? " (another exporter there? --listen chooses another "
					    "port)" :
		       err == -EACCES	  ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)" :
					    "");
		return err;
	}
	return fd;
}

int nl_http_start(int fd, struct nl_blob *first, struct nl_http **out)
{
	struct nl_http *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h) {
		nl_blob_put(first);
		return -ENOMEM;
	}
	pthread_mutex_init(&h->lock, NULL);
	/* Before the server thread exists: a connection already waiting in
	 * the backlog is served these, not "no metrics yet". */
	h->metrics = first;
	h->index = static_response(index_page, "text/html; charset=utf-8");
	h->not_found = static_response("404 not found: the metrics are at /metrics\n",
				       "text/plain; charset=utf-8");
	h->not_allowed = static_response("405 method not allowed: GET or HEAD\n",
					 "text/plain; charset=utf-8");
	h->unavailable = static_response("503 no metrics yet\n", "text/plain; charset=utf-8");
	if (!h->index || !h->not_found || !h->not_allowed || !h->unavailable) {
		nl_http_stop(h);
		return -ENOMEM;
	}
	MHD_add_response_header(h->not_allowed, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	/* MSG_NOSIGNAL on every send, but SIGPIPE stays harmless anyway. */
	signal(SIGPIPE, SIG_IGN);
	h->limit = fit_descriptors();
	/* One thread (the connection list needs no lock), epoll (no
	 * FD_SETSIZE); libmicrohttpd's own limit is above ours, so it never
	 * stops accepting: make_room() keeps the count. */
	h->daemon = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)(h->limit + HTTP_SLACK), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)NL_HTTP_REQUEST_BYTES, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)NL_HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		NULL, MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
	if (!h->daemon) {
		nl_err("cannot start the HTTP server (libmicrohttpd)");
		nl_http_stop(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void nl_http_publish(struct nl_http *h, struct nl_blob *metrics)
{
	struct nl_blob *old;

	pthread_mutex_lock(&h->lock);
	old = h->metrics;
	h->metrics = metrics;
	pthread_mutex_unlock(&h->lock);
	nl_blob_put(old);
}

void nl_http_stop(struct nl_http *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->index)
		MHD_destroy_response(h->index);
	if (h->not_found)
		MHD_destroy_response(h->not_found);
	if (h->not_allowed)
		MHD_destroy_response(h->not_allowed);
	if (h->unavailable)
		MHD_destroy_response(h->unavailable);
	nl_blob_put(h->metrics);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
