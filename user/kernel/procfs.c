// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers of /proc text: numa_maps, stat, CPU lists. Every parser works on a
 * (pointer, length) pair and never looks past the length: the text may lack
 * a final newline, and may hold NUL bytes (the fuzzers feed it anything).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "procfs.h"
#include "untrusted.h"

const char *nl_proc_root = "/proc";

/* numa_maps is streamed through a buffer of this size; a longer line is skipped as bad. */
#define NM_BUF_SIZE (64 * 1024)
#define STAT_BUF_SIZE 4096

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A decimal number spanning exactly len bytes; false if empty, not digits, or too big. */
bool nl_parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (!is_digit(s[i]))
			return false;
		d = s[i] - '0';
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* An optionally negative decimal number in [min, max]. */
static bool parse_s64(const char *s, size_t len, int64_t min, int64_t max, int64_t *v)
{
	bool neg = len && s[0] == '-';
	uint64_t u;

	if (!nl_parse_u64(s + neg, len - neg, &u))
		return false;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return false;
		*v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > (uint64_t)INT64_MAX)
			return false;
		*v = (int64_t)u;
	}
	return *v >= min && *v <= max;
}

static bool is_hex_word(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 16)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F'))
			return false;
	}
	return true;
}

struct token {
	const char *s;
	size_t len;
};

/* The next blank-separated token of s[0..len) from *pos; false at the end. */
static bool next_token(const char *s, size_t len, size_t *pos, struct token *tok)
{
	size_t i = *pos, start;

	while (i < len && is_blank(s[i]))
		i++;
	if (i == len) {
		*pos = i;
		return false;
	}
	start = i;
	while (i < len && !is_blank(s[i]))
		i++;
	tok->s = s + start;
	tok->len = i - start;
	*pos = i;
	return true;
}

/* Does the token start with key (which ends in '=')? Sets *val to what follows. */
static bool token_key(const struct token *tok, const char *key, struct token *val)
{
	size_t klen = strlen(key);

	if (tok->len < klen || memcmp(tok->s, key, klen))
		return false;
	val->s = tok->s + klen;
	val->len = tok->len - klen;
	return true;
}

static bool token_is(const struct token *tok, const char *word)
{
	size_t wlen = strlen(word);

	return tok->len == wlen && !memcmp(tok->s, word, wlen);
}

/* Keys of numa_maps whose value must be a page count; others are ignored. */
static const char *const nm_count_keys[] = {
	"anon=", "dirty=", "mapped=", "mapmax=", "active=", "writeback=", "swapcache=",
};

/*
 * One line of numa_maps: "ADDR POLICY [tokens]". The policy can itself hold
 * spaces ("weighted interleave:0-3", "prefer (many):1"): tokens that are not
 * known are skipped, which covers those and keys that later kernels add.
 * Node page counts come before kernelpagesize_kB, so they are summed per node
 * first and turned into bytes at the end of the line. A malformed line adds
 * nothing but bad_lines.
 */
static void nm_parse_line(const char *s, size_t len, struct nl_numa_maps *out)
{
	uint64_t pages[NL_MAX_NODES];
	uint64_t touched = 0, page_kb = 4, bytes[NL_MAX_NODES], total = 0;
	uint32_t clamped = 0;
	bool file = false, huge = false;
	struct token tok, val;
	size_t pos = 0, i;
	int node;

	if (!next_token(s, len, &pos, &tok))
		return; /* a blank line: nothing the kernel writes, nothing to count */
	if (!is_hex_word(tok.s, tok.len))
		goto bad;
	if (!next_token(s, len, &pos, &tok) || tok.s[0] < 'a' || tok.s[0] > 'z')
		goto bad;

	while (next_token(s, len, &pos, &tok)) {
		uint64_t n, v;

		if (tok.s[0] == 'N') {
			const char *eq = memchr(tok.s, '=', tok.len);

			if (!eq || !nl_parse_u64(tok.s + 1, eq - tok.s - 1, &n) ||
			    !nl_parse_u64(eq + 1, tok.s + tok.len - eq - 1, &v))
				goto bad;
			if (n >= NL_MAX_NODES) {
				clamped++;
				continue;
			}
			if (!(touched & (1ULL << n))) {
				touched |= 1ULL << n;
				pages[n] = 0;
			}
			if (__builtin_add_overflow(pages[n], v, &pages[n]))
				goto bad;
		} else if (token_key(&tok, "kernelpagesize_kB=", &val)) {
			if (!nl_parse_u64(val.s, val.len, &page_kb) || !page_kb)
				goto bad;
		} else if (token_key(&tok, "file=", &val)) {
			/* The path has space, tab, newline and '=' escaped as \ooo:
			 * it is one token, and its name does not matter here. */
			file = true;
		} else if (token_is(&tok, "huge")) {
			huge = true;
		} else {
			for (i = 0; i < sizeof(nm_count_keys) / sizeof(nm_count_keys[0]); i++) {
				if (token_key(&tok, nm_count_keys[i], &val)) {
					if (!nl_parse_u64(val.s, val.len, &v))
						goto bad;
					break;
				}
			}
		}
	}

	if (page_kb > UINT64_MAX / 1024)
		goto bad;
	for (node = 0; node < NL_MAX_NODES; node++) {
		if (!(touched & (1ULL << node)))
			continue;
		if (__builtin_mul_overflow(pages[node], page_kb * 1024, &bytes[node]) ||
		    __builtin_add_overflow(total, bytes[node], &total))
			goto bad;
	}
	for (node = 0; node < NL_MAX_NODES; node++)
		if (touched & (1ULL << node))
			out->node_bytes[node] += bytes[node];
	/* Hugetlb first: anonymous hugetlb memory shows as file=/anon_hugepage. */
	if (huge)
		out->huge_bytes += total;
	else if (file)
		out->file_bytes += total;
	else
		out->anon_bytes += total;
	out->clamped_nodes += clamped;
	out->mappings++;
	return;
bad:
	out->bad_lines++;
}

int nl_numa_maps_parse(const char *text, size_t len, struct nl_numa_maps *out)
{
	size_t pos = 0;

	if (!text || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		nm_parse_line(text + pos, end - pos, out);
		pos = end + 1;
	}
	return 0;
}

static ssize_t read_retry(int fd, void *buf, size_t size)
{
	ssize_t n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	return n;
}

int nl_numa_maps_read(int pid, size_t max_bytes, struct nl_numa_maps *out)
{
	size_t have = 0, total = 0;
	bool skipping = false; /* inside a line longer than the buffer */
	char path[PATH_MAX], *buf;
	int fd, ret = 0;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%d/numa_maps", nl_proc_root, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	buf = malloc(NM_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}

	for (;;) {
		size_t room = NM_BUF_SIZE - have, start = 0;
		const char *nl;
		ssize_t n;

		if (max_bytes && total >= max_bytes) {
			char probe;

			/* The limit is reached: is there more? */
			n = read_retry(fd, &probe, 1);
			if (n < 0) {
				ret = -errno;
				break;
			}
			if (n > 0) {
				out->truncated = 1; /* the partial line is dropped */
				break;
			}
			if (have && !skipping)
				nm_parse_line(buf, have, out);
			break;
		}
		if (max_bytes && room > max_bytes - total)
			room = max_bytes - total;
		n = read_retry(fd, buf + have, room);
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0) {
			if (have && !skipping)
				nm_parse_line(buf, have, out); /* no final newline */
			break;
		}
		total += n;
		have += n;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t end = nl - buf;

			if (skipping)
				skipping = false;
			else
				nm_parse_line(buf + start, end - start, out);
			start = end + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == NM_BUF_SIZE) {
			if (!skipping)
				out->bad_lines++;
			skipping = true;
			have = 0;
		}
	}
	close(fd);
out_free:
	free(buf);
	return ret;
}

/*
 * "pid (comm) state ppid ..." as in proc(5). comm can hold spaces and ')',
 * so it ends at the last ')'; it can hold any other byte too, so it comes
 * out as text (nl_untrusted_text: '?' for what a terminal must not see).
 * Fields up to starttime (22) are required; rss (24) and processor (39)
 * are filled when present, else left 0 and -1.
 */
int nl_proc_stat_parse(const char *text, size_t len, struct nl_proc_stat *out)
{
	const char *lparen, *rparen = NULL;
	size_t i, comm_len, pos;
	int field = 2;
	int64_t v;
	uint64_t u;

	if (!text || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->processor = -1;

	lparen = memchr(text, '(', len);
	if (!lparen)
		return -EINVAL;
	for (i = len; i > (size_t)(lparen - text) + 1; i--) {
		if (text[i - 1] == ')') {
			rparen = text + i - 1;
			break;
		}
	}
	if (!rparen)
		return -EINVAL;

	/* pid, then blanks up to '(' */
	for (i = 0; i < (size_t)(lparen - text) && is_digit(text[i]); i++)
		;
	if (!parse_s64(text, i, 1, INT_MAX, &v) || i == (size_t)(lparen - text))
		return -EINVAL;
	out->pid = (int)v;
	for (; i < (size_t)(lparen - text); i++)
		if (!is_blank(text[i]))
			return -EINVAL;

	comm_len = rparen - lparen - 1;
	if (comm_len > NL_COMM_LEN - 1)
		comm_len = NL_COMM_LEN - 1;
	/* Any bytes the process chose: text from here on (untrusted.h). */
	nl_untrusted_text(out->comm, sizeof(out->comm), lparen + 1, comm_len);

	pos = rparen - text + 1;
	while (pos < len) {
		size_t start;
		const char *s;
		size_t tlen;

		while (pos < len && (is_space(text[pos]) || !text[pos]))
			pos++;
		if (pos == len)
			break;
		start = pos;
		while (pos < len && !is_space(text[pos]) && text[pos])
			pos++;
		s = text + start;
		tlen = pos - start;
		field++;

		switch (field) {
		case 3:
			if (tlen != 1)
				return -EINVAL;
			out->state = s[0];
			break;
		case 4:
			if (!parse_s64(s, tlen, INT_MIN, INT_MAX, &v))
				return -EINVAL;
			out->ppid = (int)v;
			break;
		case 9:
			if (!nl_parse_u64(s, tlen, &u) || u > UINT_MAX)
				return -EINVAL;
			out->flags = (unsigned int)u;
			break;
		case 14:
			if (!nl_parse_u64(s, tlen, &out->utime_ticks))
				return -EINVAL;
			break;
		case 15:
			if (!nl_parse_u64(s, tlen, &out->stime_ticks))
				return -EINVAL;
			break;
		case 20:
			if (!parse_s64(s, tlen, LONG_MIN, LONG_MAX, &v))
				return -EINVAL;
			out->num_threads = (long)v;
			break;
		case 22:
			if (!nl_parse_u64(s, tlen, &out->starttime_ticks))
				return -EINVAL;
			break;
		case 24:
			if (!parse_s64(s, tlen, LONG_MIN, LONG_MAX, &v))
				return -EINVAL;
			out->rss_pages = (long)v;
			break;
		case 39:
			if (!parse_s64(s, tlen, INT_MIN, INT_MAX, &v))
				return -EINVAL;
			out->processor = (int)v;
			break;
		}
	}
	return field >= 22 ? 0 : -EINVAL;
}

static int stat_file_read(const char *path, struct nl_proc_stat *out)
{
	char buf[STAT_BUF_SIZE];
	int len = nl_read_file(path, buf, sizeof(buf));

	if (len < 0)
		return len;
	return nl_proc_stat_parse(buf, len, out);
}

int nl_proc_stat_read(int pid, struct nl_proc_stat *out)
{
	char path[PATH_MAX];

	if (!out)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%d/stat", nl_proc_root, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return stat_file_read(path, out);
}

int nl_thread_stat_read(int pid, int tid, struct nl_proc_stat *out)
{
	char path[PATH_MAX];

	if (!out)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%d/task/%d/stat", nl_proc_root, pid, tid) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return stat_file_read(path, out);
}

int nl_task_walk(int pid, int (*visit)(int tid, void *ctx), void *ctx)
{
	char path[PATH_MAX];
	int ret = 0;
	DIR *dir;

	if (snprintf(path, sizeof(path), "%s/%d/task", nl_proc_root, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	for (;;) {
		struct dirent *de;
		uint64_t tid;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			/* The kernel says ENOENT here once the process is gone. */
			ret = -errno;
			break;
		}
		if (!nl_parse_u64(de->d_name, strlen(de->d_name), &tid) || !tid || tid > INT_MAX)
			continue; /* ".", "..", anything else that is no thread id */
		ret = visit((int)tid, ctx);
		if (ret)
			break;
	}
	closedir(dir);
	return ret;
}

/* The value of the first "Key:<blanks>value" line of status text: a
 * pointer into it and its length, which ends at the line's end. */
static bool status_value(const char *text, size_t len, const char *key, struct token *val)
{
	size_t klen = strlen(key), pos = 0;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;

		pos += llen + 1;
		if (llen <= klen || memcmp(line, key, klen) || line[klen] != ':')
			continue;
		val->s = line + klen + 1;
		val->len = llen - klen - 1;
		while (val->len && is_blank(*val->s)) {
			val->s++;
			val->len--;
		}
		return true;
	}
	return false;
}

/* "Uid:\treal\teffective\tsaved\tfs": the first two, 32-bit decimal ids. */
static bool status_ids(const struct token *val, uint32_t *real, uint32_t *effective)
{
	struct token tok;
	uint64_t id[2];
	size_t pos = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (!next_token(val->s, val->len, &pos, &tok) ||
		    !nl_parse_u64(tok.s, tok.len, &id[i]) || id[i] > UINT32_MAX)
			return false;
	*real = id[0];
	*effective = id[1];
	return true;
}

int nl_proc_status_parse(const char *text, size_t len, struct nl_proc_status *out)
{
	struct token val;

	memset(out, 0, sizeof(*out));
	if (status_value(text, len, "Uid", &val))
		out->ids_known = status_ids(&val, &out->uid, &out->euid);
	if (status_value(text, len, "Cpus_allowed_list", &val))
		out->affinity_known = nl_cpulist_parse(val.s, val.len, out->affinity, NL_MAX_CPUS) >
				      0;
	if (status_value(text, len, "Mems_allowed_list", &val))
		out->mems_known = nl_cpulist_parse(val.s, val.len, &out->mems, NL_MAX_NODES) > 0;
	return out->ids_known || out->affinity_known || out->mems_known ? 0 : -EINVAL;
}

/* A decimal id at text[*pos]; saturates at UINT64_MAX (then out of range). */
static bool parse_list_id(const char *text, size_t end, size_t *pos, uint64_t *id)
{
	size_t i = *pos;
	uint64_t x = 0;

	if (i >= end || !is_digit(text[i]))
		return false;
	for (; i < end && is_digit(text[i]); i++) {
		unsigned int d = text[i] - '0';

		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*pos = i;
	*id = x;
	return true;
}

/* Text ends at len or at a NUL; blanks and newlines around the list are allowed. */
int nl_cpulist_parse(const char *text, size_t len, uint64_t *bits, size_t nbits)
{
	size_t words = (nbits + 63) / 64, pos = 0, end;
	const char *nul;
	int count = 0, ret;

	if (!bits || (!text && len) || nbits > INT_MAX)
		return -EINVAL;
	memset(bits, 0, words * sizeof(*bits));
	if (!len)
		return 0;
	nul = memchr(text, '\0', len);
	end = nul ? (size_t)(nul - text) : len;
	while (end > 0 && is_space(text[end - 1]))
		end--;
	while (pos < end && is_space(text[pos]))
		pos++;
	if (pos == end)
		return 0;

	for (;;) {
		uint64_t first, last, id;

		if (!parse_list_id(text, end, &pos, &first)) {
			ret = -EINVAL;
			goto err;
		}
		last = first;
		if (pos < end && text[pos] == '-') {
			pos++;
			if (!parse_list_id(text, end, &pos, &last)) {
				ret = -EINVAL;
				goto err;
			}
		}
		if (first > last || (pos < end && text[pos] != ',')) {
			ret = -EINVAL; /* "3-1", "1-3:2/4", "1 2", ... */
			goto err;
		}
		if (last >= nbits) {
			ret = -ERANGE;
			goto err;
		}
		for (id = first; id <= last; id++) {
			uint64_t mask = 1ULL << (id % 64);

			if (!(bits[id / 64] & mask)) {
				bits[id / 64] |= mask;
				count++;
			}
		}
		if (pos == end)
			return count;
		pos++; /* ',' */
		if (pos == end) {
			ret = -EINVAL; /* trailing comma */
			goto err;
		}
	}
err:
	memset(bits, 0, words * sizeof(*bits));
	return ret;
}

char *nl_bits_to_list(const uint64_t *bits, int nbits, char *buf, size_t size)
{
	size_t used = 0;
	int i, first;

	if (!size)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < nbits && used < size; i++) {
		if (!(bits[i / 64] >> (i % 64) & 1))
			continue;
		first = i;
		while (i + 1 < nbits && bits[(i + 1) / 64] >> ((i + 1) % 64) & 1)
			i++;
		used += snprintf(buf + used, size - used, i > first ? "%s%d-%d" : "%s%d",
				 used ? "," : "", first, i);
	}
	if (used >= size && size > 4)
		strcpy(buf + size - 4, "...");
	return buf;
}

char *nl_nodes_to_list(uint64_t nodes, char *buf, size_t size)
{
	return nl_bits_to_list(&nodes, NL_MAX_NODES, buf, size);
}

/* -EFBIG when the file does not fit in size - 1 bytes. */
int nl_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, ret;

	if (!path || !buf || !size || size > INT_MAX)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == size - 1) {
			char probe;

			n = read_retry(fd, &probe, 1);
			if (n < 0)
				ret = -errno;
			else
				ret = n ? -EFBIG : (int)len;
			break;
		}
		n = read_retry(fd, buf + len, size - 1 - len);
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0) {
			ret = (int)len;
			break;
		}
		len += n;
	}
	close(fd);
	buf[ret < 0 ? 0 : len] = '\0';
	return ret;
}

int nl_sysctl_int(const char *name, int *value)
{
	char path[PATH_MAX], buf[32];
	int64_t v;
	int len;

	if (snprintf(path, sizeof(path), "%s/sys/%s", nl_proc_root, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	len = nl_read_file(path, buf, sizeof(buf));
	if (len < 0)
		return len == -EFBIG ? -EINVAL : len;
	if (len && buf[len - 1] == '\n')
		len--;
	if (!parse_s64(buf, len, INT_MIN, INT_MAX, &v))
		return -EINVAL;
	*value = (int)v;
	return 0;
}
