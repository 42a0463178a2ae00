// SPDX-License-Identifier: GPL-2.0
/*
 * export_spawn N: N idle processes for bench/export.sh. Each child waits
 * on a pipe only this parent writes to, so they all end with it; "ready N"
 * is printed once they exist. Runs until killed (SIGTERM, SIGINT).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0, i;
	int hold[2];
	char c;

	if (n <= 0 || n > 100000) {
		fprintf(stderr, "usage: export_spawn N (1 to 100000)\n");
		return 2;
	}
	if (pipe(hold)) {
		perror("export_spawn: pipe");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN); /* no zombies to reap */
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "export_spawn: fork after %ld: %s\n", i, strerror(errno));
			return 1;
		}
		if (!pid) {
			close(hold[1]);
			while (read(hold[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(hold[0]);
	printf("ready %ld\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
