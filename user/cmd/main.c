// SPDX-License-Identifier: GPL-2.0
/*
 * numalens: finds the processes whose memory accesses cross NUMA nodes,
 * explains why, and suggests the fix. One binary; its subcommands are the
 * front ends. Run as `numatop-lite` it is the interactive view.
 */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "selftest.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: numalens COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  diagnose   watch for a few seconds, then report remote memory access per process\n"
		"  doctor     list the data sources and why any of them is unavailable here\n"
		"  top        the live view, keyboard-driven (also run as numatop-lite)\n"
		"  pin        move a process's threads (and memory) to a node; dry run unless --apply\n"
		"  unpin      give a pinned process back the affinity it had before\n"
		"  status     list the pinned processes: the change, its age, what verify found\n"
		"  selftest   check every data source against probes with a known answer\n"
		"  export     serve the metrics to Prometheus (or write a textfile)\n"
		"  version    print the version\n"
		"\n"
		"Run 'numalens COMMAND --help' for a command's options.\n");
}

static int run(int argc, char **argv)
{
	const char *name = basename(argv[0]);

	if (!strcmp(name, "numatop-lite"))
		return cmd_top(argc, argv);
	if (argc < 2) {
		nl_usage_err(
			"which command? diagnose, doctor, top, pin, unpin, status, selftest, export or "
			"version");
		return NL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "diagnose"))
		return cmd_diagnose(argc - 1, argv + 1);
	if (!strcmp(argv[1], "doctor"))
		return cmd_doctor(argc - 1, argv + 1);
	if (!strcmp(argv[1], "top"))
		return cmd_top(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return cmd_export(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pin"))
		return cmd_pin(argc - 1, argv + 1);
	if (!strcmp(argv[1], "unpin"))
		return cmd_unpin(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "selftest"))
		return cmd_selftest(argc - 1, argv + 1);
	/* Not a command for users: the process selftest starts per probe. */
	if (!strcmp(argv[1], "selftest-probe"))
		return cmd_selftest_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("numalens %s\n", NUMALENS_VERSION);
		return NL_EXIT_OK;
	}
	if (!strcmp(argv[1], "help") && argc == 3 && strcmp(argv[2], "help")) {
		/* numalens help COMMAND: that command's --help */
		char *help[] = { argv[0], argv[2], "--help", NULL };

		return run(3, help);
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return NL_EXIT_OK;
	}
	nl_usage_err("unknown command '%s'", argv[1]);
	return NL_EXIT_USAGE;
}

/*
 * What a command wrote must have reached its standard output: a full disk,
 * a closed descriptor or /dev/full make the command fail, not succeed with
 * its report cut or lost.
 */
int main(int argc, char **argv)
{
	int status = run(argc, argv), err = 0;
	bool failed;

	errno = 0;
	failed = fflush(stdout) == EOF || ferror(stdout);
	if (failed)
		err = errno;
	if (fclose(stdout) == EOF && !failed) {
		failed = true;
		err = errno;
	}
	/* A command that failed has said why already. */
	if (!failed || status != NL_EXIT_OK)
		return status;
	if (err)
		nl_err("cannot write the standard output: %s", strerror(err));
	else /* a write inside the command failed; its errno is long gone */
		nl_err("cannot write the standard output: a write failed (is the disk full, or "
		       "the output closed?)");
	return NL_EXIT_FAILURE;
}
