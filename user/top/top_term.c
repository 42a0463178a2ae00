// SPDX-License-Identifier: GPL-2.0
/*
 * Whether the terminal can show the live view: a terminfo entry for $TERM
 * that can clear the screen and move the cursor. Checked before the BPF
 * programs load, so a terminal that cannot (TERM unset, unknown, or
 * "dumb") is refused at once instead of garbled. Apart from top.c because
 * <term.h> defines macros named like ordinary words (columns, lines).
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>
#include "top.h"

static bool has_string(const char *cap)
{
	const char *s = tigetstr(cap);

	return s && s != (const char *)-1;
}

int top_terminal_check(char *why, size_t size)
{
	const char *term = getenv("TERM");
	bool ok;
	int err = 0;

	if (!term || !term[0]) {
		snprintf(why, size, "TERM is not set");
		return -1;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		if (err == 1)
			snprintf(why, size, "TERM=%s is a hardcopy terminal", term);
		else if (err == 0)
			snprintf(why, size, "TERM=%s is not in the terminfo database", term);
		else
			snprintf(why, size, "no terminfo database was found (TERM=%s)", term);
		return -1;
	}
	ok = has_string("clear") && has_string("cup");
	if (!ok)
		snprintf(why, size, "TERM=%s cannot clear the screen and move the cursor", term);
	del_curterm(cur_term);
	return ok ? 0 : -1;
}
