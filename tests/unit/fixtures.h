/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the unit tests: fixture paths (FIXTURES is relative to the
 * repository's top, where tests/run-unit.sh runs the tests), reading a
 * fixture, scratch directories for generated files, and a value in a JSON
 * document by its path.
 */
#ifndef NUMALENS_TEST_FIXTURES_H
#define NUMALENS_TEST_FIXTURES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>
#include <json-c/json.h>

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures"
#endif

/* FIXTURE("sysfs/two-node"): the path of a fixture, as a string literal. */
#define FIXTURE(rel) FIXTURES "/" rel

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* skip_because("no CPU %d here", 1): skips the test and says why, on the
 * line "skip: REASON" that tests/results-lib.sh lists with its name. */
#define skip_because(...)                            \
	do {                                         \
		print_message("skip: " __VA_ARGS__); \
		print_message("\n");                 \
		skip();                              \
	} while (0)

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

/* The whole of a fixture file, NUL-terminated, in memory to free(); fails the test if absent. */
static inline char *fixture_load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f)
		fail_msg("fixture %s: %s (run from the repository's top)", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc(size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = size;
	return buf;
}

/* A copy of len bytes in a block of exactly that size, so reading past it is caught by ASan/valgrind. */
static inline char *exact_copy(const char *text, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, text, len);
	return p;
}

/* A new scratch directory under $TMPDIR; returns its path in buf. */
static inline void scratch_dir(char *buf, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, size, "%s/numalens-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(buf));
}

static inline int scratch_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static inline void scratch_remove(const char *dir)
{
	nftw(dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to dir/rel, creating the directories on the way. */
static inline void scratch_write(const char *dir, const char *rel, const char *text, size_t len)
{
	char path[4096];
	char *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The value at path in obj: keys and array indexes between dots
 * ("processes.0.pid"); fails the test when a key is missing. */
static inline json_object *json_get(json_object *obj, const char *path)
{
	char buf[128], *key, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key; key = strtok_r(NULL, ".", &save)) {
		json_object *next = NULL;

		if (json_object_is_type(obj, json_type_array))
			next = json_object_array_get_idx(obj, atoi(key));
		else if (!json_object_object_get_ex(obj, key, &next))
			fail_msg("no %s in %s", key, path);
		obj = next;
	}
	return obj;
}

#endif /* NUMALENS_TEST_FIXTURES_H */
