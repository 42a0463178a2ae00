// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP side, on libmicrohttpd: one thread polling with epoll serves
 * every connection from the page the refresh loop last published, shared
 * by reference, so a scrape costs a copy to the socket and many clients
 * cost no more memory than one. GET and HEAD only; / is a small page,
 * /metrics the metrics, anything else 404. Limits: 256 connections,
 * 16 KiB of request per connection (a longer URL gets 414), 10 s idle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "export.h"
#include "log.h"

#define HTTP_CONNECTIONS 256
#define HTTP_MEMORY (16 * 1024)
#define HTTP_TIMEOUT_S 10
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct nl_blob {
	atomic_int refs;
	size_t len;
	char data[];
};

struct nl_http {
	struct MHD_Daemon *daemon;
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

	/* Other methods are refused at once (the connection closes then). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, h->not_allowed);
	/* The answer waits for the whole request, so the connection can be
	 * kept alive; a body sent with GET is read and ignored. */
	if (!*state) {
		*state = h;
		return MHD_YES;
	}
	if (*upload_size) {
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

int nl_http_start(int fd, struct nl_http **out)
{
	struct nl_http *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
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
	h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
				     NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
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
