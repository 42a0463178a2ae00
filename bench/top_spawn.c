// SPDX-License-Identifier: GPL-2.0
/*
 * top_spawn N: starts N idle processes for bench/top.sh, prints "ready N"
 * once they all exist, then waits until it is killed. Each child blocks
 * reading a pipe whose only writer is this parent: when the parent ends,
 * they all read end-of-file and exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0, i;
	int fds[2];
	char c;

	if (n <= 0 || n > 100000) {
		fprintf(stderr, "usage: top_spawn N (1 to 100000)\n");
		return 2;
	}
	if (pipe(fds)) {
		perror("top_spawn: pipe");
		return 1;
	}
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "top_spawn: fork after %ld processes: %s\n", i,
				strerror(errno));
			return 1;
		}
		if (!pid) {
			close(fds[1]);
			while (read(fds[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(fds[0]);
	printf("ready %ld\n", n);
	fflush(stdout);
	/* Until killed: then the children read end-of-file and exit. */
	for (;;)
		pause();
}
