// SPDX-License-Identifier: GPL-2.0
/*
 * What `numalens selftest` verified, kept per CPU model and source in one
 * JSON file that doctor reads: a source's figures depend on the CPU (PEBS
 * and IBS differ by model), so a pass on one model says nothing of another.
 * /var/lib/numalens, not the pin records' /run/numalens: it must outlive a
 * reboot. A missing file is "never verified"; one that cannot be written is
 * said, and the test's verdict stands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "selftest.h"

#define STATE_DIR "/var/lib/numalens"

/* The value of "key<spaces>: value" lines of cpuinfo, first one. */
static bool cpuinfo_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *p = line + klen;

		if (!strncmp(line, key, klen) && (*p == ' ' || *p == '\t' || *p == ':')) {
			size_t len;

			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == ':') {
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				len = end ? (size_t)(end - p) : strlen(p);
				if (len >= size)
					len = size - 1;
				memcpy(out, p, len);
				out[len] = '\0';
				return true;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

void nl_cpu_id_parse(const char *cpuinfo, char *id, size_t id_size, char *name, size_t name_size)
{
	char a[64], b[32], c[32];

	name[0] = '\0';
	if (!cpuinfo_value(cpuinfo, "model name", name, name_size))
		name[0] = '\0';
	if (cpuinfo_value(cpuinfo, "vendor_id", a, sizeof(a)) &&
	    cpuinfo_value(cpuinfo, "cpu family", b, sizeof(b)) &&
	    cpuinfo_value(cpuinfo, "model", c, sizeof(c)))
		snprintf(id, id_size, "%s family %s model %s", a, b, c);
	else if (cpuinfo_value(cpuinfo, "CPU implementer", a, sizeof(a)) &&
		 cpuinfo_value(cpuinfo, "CPU part", b, sizeof(b)))
		snprintf(id, id_size, "implementer %s part %s", a, b);
	else
		snprintf(id, id_size, "unknown");
}

void nl_cpu_id_read(char *id, size_t id_size, char *name, size_t name_size)
{
	char buf[16384];
	FILE *f = fopen("/proc/cpuinfo", "re");
	size_t n = 0;

	/* The first CPU's lines are enough: every CPU of a machine is one model. */
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	nl_cpu_id_parse(buf, id, id_size, name, name_size);
}

const char *nl_st_state_path(void)
{
	const char *p = getenv("NUMALENS_SELFTEST_FILE");

	return p && *p ? p : STATE_DIR "/selftest.json";
}

static void msgf(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
}

/* The file's document; an empty one when there is no file. */
static int load(const char *path, json_object **out)
{
	json_object *doc;

	*out = NULL;
	if (access(path, F_OK)) {
		if (errno != ENOENT)
			return -errno;
		*out = json_object_new_object();
		return *out ? 0 : -ENOMEM;
	}
	doc = json_object_from_file(path);
	if (!doc)
		return access(path, R_OK) ? -errno : -EINVAL;
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return -EINVAL;
	}
	*out = doc;
	return 0;
}

static json_object *child(json_object *parent, const char *key)
{
	json_object *o;

	if (json_object_object_get_ex(parent, key, &o) && json_object_is_type(o, json_type_object))
		return o;
	o = json_object_new_object();
	json_object_object_add(parent, key, o);
	return o;
}

int nl_st_record(const char *path, const struct nl_st_result *r, time_t now, char *msg, size_t size)
{
	char tmp[4096], dir[4096], *slash;
	json_object *doc, *cpu, *sources;
	int err, s, fd;

	msg[0] = '\0';
	err = load(path, &doc);
	if (err == -EINVAL) {
		/* Not ours to read: start again rather than never record. */
		doc = json_object_new_object();
		err = doc ? 0 : -ENOMEM;
	}
	if (err) {
		msgf(msg, size, "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	cpu = child(child(doc, "cpus"), r->cpu_id);
	json_object_object_add(cpu, "model_name", json_object_new_string(r->cpu_name));
	sources = child(cpu, "sources");
	for (s = 0; s < NL_ST_SOURCES; s++) {
		const struct nl_st_source *src = &r->src[s];
		json_object *o;

		/* Only a full test counts: local probes alone verify nothing remote. */
		if (!r->remote_tested ||
		    (src->verdict != NL_ST_PASS && src->verdict != NL_ST_FAIL &&
		     src->verdict != NL_ST_NO_DATA))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "verdict",
				       json_object_new_string(nl_st_verdict_name(src->verdict)));
		json_object_object_add(o, "method", json_object_new_string(src->method));
		json_object_object_add(o, "time", json_object_new_int64(now));
		json_object_object_add(o, "max_error", json_object_new_double(src->max_error));
		json_object_object_add(o, "tolerance", json_object_new_double(r->tolerance));
		json_object_object_add(o, "probes", json_object_new_int(src->probes));
		json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
		json_object_object_add(sources, nl_source_name(s), o);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			err = -errno;
			msgf(msg, size, "cannot create %s: %s", dir, strerror(-err));
			goto out;
		}
	}
	/* A new file renamed over the old: a reader sees one or the other. */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		msgf(msg, size, "cannot write %s: %s", path, strerror(-err));
		goto out;
	}
	fchmod(fd, 0644);
	errno = 0; /* json-c may fail without setting it */
	if (json_object_to_fd(fd, doc, JSON_C_TO_STRING_PRETTY) || fsync(fd)) {
		err = -(errno ? errno : EIO);
		close(fd);
		unlink(tmp);
		msgf(msg, size, "cannot write %s: %s", tmp, strerror(-err));
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		msgf(msg, size, "cannot replace %s: %s", path, strerror(-err));
	}
out:
	json_object_put(doc);
	return err;
}

int nl_st_lookup(const char *path, const char *cpu_id, enum nl_source_id source,
		 struct nl_st_seen *out)
{
	json_object *doc, *cpus, *cpu, *sources, *o, *v;
	int err;

	memset(out, 0, sizeof(*out));
	err = load(path, &doc);
	if (err)
		return err;
	if (json_object_object_get_ex(doc, "cpus", &cpus) &&
	    json_object_object_get_ex(cpus, cpu_id, &cpu) &&
	    json_object_object_get_ex(cpu, "sources", &sources) &&
	    json_object_object_get_ex(sources, nl_source_name(source), &o) &&
	    json_object_is_type(o, json_type_object)) {
		out->found = true;
		if (json_object_object_get_ex(o, "verdict", &v))
			out->passed = !strcmp(json_object_get_string(v), "pass");
		if (json_object_object_get_ex(o, "time", &v))
			out->when = json_object_get_int64(v);
		if (json_object_object_get_ex(o, "max_error", &v))
			out->max_error = json_object_get_double(v);
		if (json_object_object_get_ex(o, "tolerance", &v))
			out->tolerance = json_object_get_double(v);
		if (json_object_object_get_ex(o, "kernel", &v))
			snprintf(out->kernel, sizeof(out->kernel), "%s", json_object_get_string(v));
	}
	json_object_put(doc);
	return 0;
}
