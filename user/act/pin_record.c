// SPDX-License-Identifier: GPL-2.0
/*
 * The pin record's format and the state directory it lives in (pin_record.h
 * says what both must be). The parser is strict: it accepts only what
 * nl_pin_record_format writes, so a record that another program or a stray
 * byte changed is refused rather than half-believed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "array.h"
#include "pin_record.h"
#include "procfs.h"

#define MASK_BYTES (NL_CPU_WORDS * sizeof(uint64_t))
/* The longest list of NL_MAX_CPUS bits: every other CPU, "0,2,...,4094". */
#define LIST_MAX (NL_MAX_CPUS / 2 * 5 + 16)

struct nl_pin_thread *nl_pin_record_find(struct nl_pin_record *r, int tid)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (r->t[i].tid == tid)
			return &r->t[i];
	return NULL;
}

int nl_pin_record_add(struct nl_pin_record *r, int tid, const uint64_t *mask)
{
	struct nl_pin_thread *room = nl_array_room(r->t, r->nr, &r->cap, sizeof(*room), 16);

	if (!room)
		return -ENOMEM;
	r->t = room;
	r->t[r->nr].tid = tid;
	memcpy(r->t[r->nr].mask, mask, MASK_BYTES);
	r->nr++;
	return 0;
}

void nl_pin_record_free(struct nl_pin_record *r)
{
	free(r->t);
	memset(r, 0, sizeof(*r));
}

static const char *const result_names[NL_VERIFY_MAX] = {
	[NL_VERIFY_NONE] = "none",     [NL_VERIFY_GAIN] = "gain", [NL_VERIFY_NO_GAIN] = "no_gain",
	[NL_VERIFY_SLOWER] = "slower", [NL_VERIFY_GONE] = "gone", [NL_VERIFY_UNDONE] = "undone",
};

const char *nl_verify_result_name(enum nl_verify_result r)
{
	return r < NL_VERIFY_MAX ? result_names[r] : "unknown";
}

static const char *const by_names[NL_PIN_BY_MAX] = {
	[NL_PIN_BY_UNKNOWN] = "unknown",
	[NL_PIN_BY_PIN] = "pin",
	[NL_PIN_BY_AUTOPIN] = "auto-pin",
};

const char *nl_pin_by_name(enum nl_pin_by by)
{
	return by < NL_PIN_BY_MAX ? by_names[by] : "unknown";
}

/* ---- writing ---- */

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *grown;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += n;
			return;
		}
		grown = realloc(b->p, b->cap * 2 + n);
		if (!grown) {
			b->err = -ENOMEM;
			return;
		}
		b->p = grown;
		b->cap = b->cap * 2 + n;
	}
}

static bool escaped(unsigned char c)
{
	return c < '!' || c > '~' || c == '\\';
}

static bool mask_empty(const uint64_t *mask, size_t words)
{
	size_t w;

	for (w = 0; w < words; w++)
		if (mask[w])
			return false;
	return true;
}

static bool verified_representable(const struct nl_pin_verified *v)
{
	if (v->result == NL_VERIFY_NONE)
		return !v->has_remote && !v->has_cpu && !v->has_memory && !v->has_latency;
	return v->result < NL_VERIFY_MAX && v->window_ms &&
	       (!v->has_remote || (v->source <= NL_SRC_PLACEMENT && v->remote_ppm[0] <= 1000000 &&
				   v->remote_ppm[1] <= 1000000));
}

/* Whether the reader would take r back as it is. */
static bool representable(const struct nl_pin_record *r)
{
	size_t i, j;

	if (r->pid <= 0 || !verified_representable(&r->verified) || !r->start ||
	    r->by >= NL_PIN_BY_MAX || !memchr(r->comm, '\0', sizeof(r->comm)) ||
	    mask_empty(r->target, NL_CPU_WORDS) || mask_empty(r->original, NL_CPU_WORDS) ||
	    !r->moved_from != !r->moved_to)
		return false;
	for (i = 0; i < r->nr; i++) {
		if (r->t[i].tid <= 0 || mask_empty(r->t[i].mask, NL_CPU_WORDS))
			return false;
		for (j = 0; j < i; j++)
			if (r->t[j].tid == r->t[i].tid)
				return false;
	}
	return true;
}

static void put_pair(struct buf *b, const char *key, const uint64_t *v)
{
	put(b, "%s %llu %llu\n", key, (unsigned long long)v[0], (unsigned long long)v[1]);
}

static void put_verified(struct buf *b, const struct nl_pin_verified *v)
{
	if (v->result == NL_VERIFY_NONE)
		return;
	put(b, "verified %s %llu\n", result_names[v->result], (unsigned long long)v->window_ms);
	if (v->has_remote)
		put(b, "remote %s %llu %llu\n", nl_source_name(v->source),
		    (unsigned long long)v->remote_ppm[0], (unsigned long long)v->remote_ppm[1]);
	if (v->has_cpu)
		put_pair(b, "cpu", v->cpu_micro);
	if (v->has_memory)
		put_pair(b, "target_memory", v->target_bytes);
	if (v->has_latency)
		put_pair(b, "latency", v->latency);
}

int nl_pin_record_format(const struct nl_pin_record *r, char **text, size_t *len)
{
	struct buf b = { .cap = 4096 };
	char *list = malloc(LIST_MAX);
	const char *c;
	size_t i;

	*text = NULL;
	*len = 0;
	if (!representable(r)) {
		free(list);
		return -EINVAL;
	}
	b.p = malloc(b.cap);
	if (!b.p || !list) {
		free(b.p);
		free(list);
		return -ENOMEM;
	}
	put(&b,
	    "# numalens pin record: 'numalens unpin %d' restores these affinities\n"
	    "pid %d\nstart %llu\ncomm ",
	    r->pid, r->pid, (unsigned long long)r->start);
	for (c = r->comm; *c; c++)
		put(&b, escaped(*c) ? "\\x%02x" : "%c", (unsigned char)*c);
	put(&b, "\ntarget %s\n", nl_bits_to_list(r->target, NL_MAX_CPUS, list, LIST_MAX));
	put(&b, "original %s\n", nl_bits_to_list(r->original, NL_MAX_CPUS, list, LIST_MAX));
	if (r->applied)
		put(&b, "applied %llu\n", (unsigned long long)r->applied);
	if (r->by != NL_PIN_BY_UNKNOWN)
		put(&b, "by %s\n", by_names[r->by]);
	if (r->moved_from) {
		char from[256], to[256];

		put(&b, "migrated %s %s\n",
		    nl_bits_to_list(&r->moved_from, NL_MAX_NODES, from, sizeof(from)),
		    nl_bits_to_list(&r->moved_to, NL_MAX_NODES, to, sizeof(to)));
	}
	put_verified(&b, &r->verified);
	for (i = 0; i < r->nr; i++)
		put(&b, "thread %d %s\n", r->t[i].tid,
		    nl_bits_to_list(r->t[i].mask, NL_MAX_CPUS, list, LIST_MAX));
	free(list);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*text = b.p;
	*len = b.len;
	return 0;
}

/* ---- reading ---- */

/* A decimal number from 1 to max, nothing else: no sign, no leading zero. */
static bool parse_number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n || n > 20 || s[0] == '0')
		return false;
	for (i = 0; i < n; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* A list in canonical form ("0-3,8", as the writer writes it), not empty. */
static bool parse_list(const char *s, size_t n, uint64_t *bits, int nbits, char *scratch)
{
	if (n >= LIST_MAX || nl_cpulist_parse(s, n, bits, nbits) <= 0)
		return false;
	nl_bits_to_list(bits, nbits, scratch, LIST_MAX);
	return strlen(scratch) == n && !memcmp(scratch, s, n);
}

static bool parse_comm(const char *s, size_t n, char *comm, size_t size)
{
	size_t i, out = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\\') {
			static const char hex[] = "0123456789abcdef";
			const char *hi, *lo;

			/* Lower-case hex, of a byte the writer escapes. */
			if (n - i < 4)
				return false;
			if (s[i + 1] != 'x' || !s[i + 2] || !s[i + 3] ||
			    !(hi = strchr(hex, s[i + 2])) || !(lo = strchr(hex, s[i + 3])))
				return false;
			c = (unsigned char)((hi - hex) << 4 | (lo - hex));
			if (!c || !escaped(c))
				return false;
			i += 3;
		} else if (escaped(c)) {
			return false;
		}
		if (out + 1 >= size)
			return false;
		comm[out++] = (char)c;
	}
	comm[out] = '\0';
	return true;
}

static int cmp_tid(const void *a, const void *b)
{
	int x = ((const struct nl_pin_thread *)a)->tid, y = ((const struct nl_pin_thread *)b)->tid;

	return (x > y) - (x < y);
}

static bool unique_tids(const struct nl_pin_record *r)
{
	struct nl_pin_thread *sorted;
	size_t i;
	bool ok = true;

	if (r->nr < 2)
		return true;
	sorted = malloc(r->nr * sizeof(*sorted));
	if (!sorted)
		return false;
	memcpy(sorted, r->t, r->nr * sizeof(*sorted));
	qsort(sorted, r->nr, sizeof(*sorted), cmp_tid);
	for (i = 1; ok && i < r->nr; i++)
		ok = sorted[i - 1].tid != sorted[i].tid;
	free(sorted);
	return ok;
}

/* "A B": A's length, and where B starts and its length. */
static bool two_words(const char *val, size_t vlen, size_t *alen, const char **b, size_t *blen)
{
	const char *sp = memchr(val, ' ', vlen);

	if (!sp)
		return false;
	*alen = sp - val;
	*b = sp + 1;
	*blen = vlen - *alen - 1;
	return true;
}

/* A number as parse_number takes it, or exactly "0". */
static bool parse_count(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	if (n == 1 && s[0] == '0') {
		*out = 0;
		return true;
	}
	return parse_number(s, n, max, out);
}

/* "BEFORE AFTER", two counts up to max. */
static bool parse_pair(const char *val, size_t vlen, uint64_t max, uint64_t *v)
{
	const char *b;
	size_t alen, blen;

	return two_words(val, vlen, &alen, &b, &blen) && parse_count(val, alen, max, &v[0]) &&
	       parse_count(b, blen, max, &v[1]);
}

enum {
	K_PID = 1,
	K_START = 2,
	K_COMM = 4,
	K_TARGET = 8,
	K_ORIGINAL = 16,
	K_MIGRATED = 32,
	K_VERIFIED = 64,
	K_REMOTE = 128,
	K_CPU = 256,
	K_MEMORY = 512,
	K_LATENCY = 1024,
	K_APPLIED = 2048,
	K_BY = 4096,
};
#define K_NEEDED (K_PID | K_START | K_COMM | K_TARGET | K_ORIGINAL)
/* What verify found: only after the line that says it verified. */
#define K_VERIFY_DETAIL (K_REMOTE | K_CPU | K_MEMORY | K_LATENCY)

/* verified RESULT WINDOW_MS */
static bool parse_verified(const char *val, size_t vlen, struct nl_pin_verified *v)
{
	const char *rest;
	size_t alen, rlen;
	int i;

	if (!two_words(val, vlen, &alen, &rest, &rlen) ||
	    !parse_number(rest, rlen, UINT64_MAX, &v->window_ms))
		return false;
	for (i = NL_VERIFY_NONE + 1; i < NL_VERIFY_MAX; i++)
		if (strlen(result_names[i]) == alen && !memcmp(val, result_names[i], alen)) {
			v->result = i;
			return true;
		}
	return false;
}

/* by pin|auto-pin */
static bool parse_by(const char *val, size_t vlen, enum nl_pin_by *by)
{
	int i;

	for (i = NL_PIN_BY_UNKNOWN + 1; i < NL_PIN_BY_MAX; i++)
		if (strlen(by_names[i]) == vlen && !memcmp(val, by_names[i], vlen)) {
			*by = i;
			return true;
		}
	return false;
}

/* remote SOURCE BEFORE AFTER */
static bool parse_remote(const char *val, size_t vlen, struct nl_pin_verified *v)
{
	const char *rest;
	size_t alen, rlen;
	int i;

	if (!two_words(val, vlen, &alen, &rest, &rlen) ||
	    !parse_pair(rest, rlen, 1000000, v->remote_ppm))
		return false;
	for (i = 0; i <= NL_SRC_PLACEMENT; i++)
		if (strlen(nl_source_name(i)) == alen && !memcmp(val, nl_source_name(i), alen)) {
			v->source = i;
			return v->has_remote = true;
		}
	return false;
}

/* One line (without its newline): 0, or -EINVAL. */
static int parse_line(const char *line, size_t n, struct nl_pin_record *r, unsigned int *seen,
		      char *scratch)
{
	const char *sp = memchr(line, ' ', n), *val, *rest;
	size_t klen, vlen, alen, rlen;
	unsigned int key;
	uint64_t v;

	if (n && line[0] == '#')
		return 0;
	if (!sp)
		return -EINVAL;
	klen = sp - line;
	val = sp + 1;
	vlen = n - klen - 1;
#define IS(k) (klen == sizeof(k) - 1 && !memcmp(line, k, klen))
	if (IS("thread")) {
		uint64_t mask[NL_CPU_WORDS];

		if (!two_words(val, vlen, &alen, &rest, &rlen) ||
		    !parse_number(val, alen, INT_MAX, &v) ||
		    !parse_list(rest, rlen, mask, NL_MAX_CPUS, scratch))
			return -EINVAL;
		return nl_pin_record_add(r, (int)v, mask) ? -EINVAL : 0;
	}
	key = IS("pid")		  ? K_PID :
	      IS("start")	  ? K_START :
	      IS("comm")	  ? K_COMM :
	      IS("target")	  ? K_TARGET :
	      IS("original")	  ? K_ORIGINAL :
	      IS("migrated")	  ? K_MIGRATED :
	      IS("verified")	  ? K_VERIFIED :
	      IS("remote")	  ? K_REMOTE :
	      IS("cpu")		  ? K_CPU :
	      IS("target_memory") ? K_MEMORY :
	      IS("latency")	  ? K_LATENCY :
	      IS("applied")	  ? K_APPLIED :
	      IS("by")		  ? K_BY :
				    0;
#undef IS
	if (!key || (*seen & key))
		return -EINVAL;
	/* What verify found comes after the line that says it verified. */
	if ((key & K_VERIFY_DETAIL) && !(*seen & K_VERIFIED))
		return -EINVAL;
	*seen |= key;
	switch (key) {
	case K_PID:
		if (!parse_number(val, vlen, INT_MAX, &v))
			return -EINVAL;
		r->pid = (int)v;
		return 0;
	case K_START:
		return parse_number(val, vlen, UINT64_MAX, &r->start) ? 0 : -EINVAL;
	case K_APPLIED:
		return parse_number(val, vlen, UINT64_MAX, &r->applied) ? 0 : -EINVAL;
	case K_BY:
		return parse_by(val, vlen, &r->by) ? 0 : -EINVAL;
	case K_COMM:
		return parse_comm(val, vlen, r->comm, sizeof(r->comm)) ? 0 : -EINVAL;
	case K_TARGET:
		return parse_list(val, vlen, r->target, NL_MAX_CPUS, scratch) ? 0 : -EINVAL;
	case K_ORIGINAL:
		return parse_list(val, vlen, r->original, NL_MAX_CPUS, scratch) ? 0 : -EINVAL;
	case K_VERIFIED:
		return parse_verified(val, vlen, &r->verified) ? 0 : -EINVAL;
	case K_REMOTE:
		return parse_remote(val, vlen, &r->verified) ? 0 : -EINVAL;
	case K_CPU:
		r->verified.has_cpu = true;
		return parse_pair(val, vlen, UINT64_MAX, r->verified.cpu_micro) ? 0 : -EINVAL;
	case K_MEMORY:
		r->verified.has_memory = true;
		return parse_pair(val, vlen, UINT64_MAX, r->verified.target_bytes) ? 0 : -EINVAL;
	case K_LATENCY:
		r->verified.has_latency = true;
		return parse_pair(val, vlen, UINT64_MAX, r->verified.latency) ? 0 : -EINVAL;
	default: /* K_MIGRATED: FROM TO */
		if (!two_words(val, vlen, &alen, &rest, &rlen) ||
		    !parse_list(val, alen, &r->moved_from, NL_MAX_NODES, scratch) ||
		    !parse_list(rest, rlen, &r->moved_to, NL_MAX_NODES, scratch))
			return -EINVAL;
		return 0;
	}
}

int nl_pin_record_parse(const char *text, size_t len, struct nl_pin_record *r)
{
	char *scratch = malloc(LIST_MAX);
	unsigned int seen = 0;
	size_t pos = 0;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!scratch)
		return -ENOMEM;
	/* Every line ends with a newline: a file cut short is refused. */
	if (len && text[len - 1] != '\n')
		err = -EINVAL;
	while (!err && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl - (text + pos);

		err = parse_line(text + pos, n, r, &seen, scratch);
		pos += n + 1;
	}
	free(scratch);
	if (!err && ((seen & K_NEEDED) != K_NEEDED || !unique_tids(r)))
		err = -EINVAL;
	if (err)
		nl_pin_record_free(r);
	return err;
}

/* ---- the state directory ---- */

static void msgf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void msgf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

int nl_pin_dir_open(const char *dir, bool create, char *msg, size_t size)
{
	uid_t me = geteuid();
	struct stat st;
	int fd;

	msgf(msg, size, "%s", "");
	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	/* The directory as it is now: the checks and every later *at call
	 * see this one, whatever is renamed over its path meanwhile. */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (st.st_uid != me && st.st_uid != 0) {
		msgf(msg, size,
		     "the state directory %s belongs to uid %u: its records could be anyone's, "
		     "and numalens (uid %u) trusts only a directory of its own user or root; "
		     "remove it, or set NUMALENS_STATE_DIR to a directory of yours",
		     dir, (unsigned int)st.st_uid, (unsigned int)me);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		msgf(msg, size,
		     "the state directory %s is writable by %s (mode %04o): anyone there could "
		     "plant a record; make it 0700 (chmod go-w), or set NUMALENS_STATE_DIR to a "
		     "directory only you may write",
		     dir, st.st_mode & S_IWOTH ? "every user" : "its group",
		     (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	return fd;
}

int nl_pin_record_load(int dirfd, int pid, struct nl_pin_record *r, char *msg, size_t size)
{
	char name[32], *text = NULL;
	size_t len = 0;
	struct stat st;
	int fd, err = 0;

	memset(r, 0, sizeof(*r));
	msgf(msg, size, "%s", "");
	snprintf(name, sizeof(name), "%d.pin", pid);
	/* Not through a symlink, and no waiting on a FIFO planted there. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP) {
			msgf(msg, size, "the record %s is a symlink: not followed", name);
			return -EPERM;
		}
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		msgf(msg, size, "the record %s is not a regular file", name);
		err = -EPERM;
	} else if (st.st_uid != geteuid()) {
		msgf(msg, size,
		     "the record %s belongs to uid %u, not to uid %u running numalens: not trusted",
		     name, (unsigned int)st.st_uid, (unsigned int)geteuid());
		err = -EPERM;
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		msgf(msg, size, "the record %s is writable by others (mode %04o): not trusted",
		     name, (unsigned int)(st.st_mode & 07777));
		err = -EPERM;
	} else if ((uint64_t)st.st_size > NL_PIN_RECORD_MAX) {
		err = -EFBIG;
	} else {
		text = malloc(st.st_size + 1);
		if (!text)
			err = -ENOMEM;
		while (!err && len < (size_t)st.st_size) {
			ssize_t n = read(fd, text + len, st.st_size - len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				err = -errno;
			else if (!n)
				break;
			else
				len += n;
		}
	}
	close(fd);
	if (!err)
		err = nl_pin_record_parse(text, len, r);
	free(text);
	return err;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int nl_pin_record_save(int dirfd, const struct nl_pin_record *r)
{
	char name[32], tmp[40], *text;
	size_t len;
	int fd, err;

	err = nl_pin_record_format(r, &text, &len);
	if (err)
		return err;
	snprintf(name, sizeof(name), "%d.pin", r->pid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	/* A new file of our own: whatever is at the name (a leftover of a
	 * crash, a planted symlink) is removed, never opened. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && !unlinkat(dirfd, tmp, 0))
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		free(text);
		return err;
	}
	err = write_all(fd, text, len);
	free(text);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int nl_pin_record_remove(int dirfd, int pid)
{
	char name[32];

	snprintf(name, sizeof(name), "%d.pin", pid);
	return unlinkat(dirfd, name, 0) && errno != ENOENT ? -errno : 0;
}
