// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of nl_proc_stat_parse: any bytes, never a crash; on
 * success comm is a terminated string of at most NL_COMM_LEN - 1 bytes,
 * made text: no control byte, so no ESC (tests/fuzz/fuzz_untrusted.c
 * checks the rest of what that means).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_proc_stat st;
	char *text;
	size_t i;
	int ret;

	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	ret = nl_proc_stat_parse(text, size, &st);
	if (ret != 0 && ret != -EINVAL)
		abort();
	if (!ret && (memchr(st.comm, '\0', NL_COMM_LEN) == NULL || st.pid <= 0))
		abort();
	for (i = 0; !ret && st.comm[i]; i++)
		if ((unsigned char)st.comm[i] < 0x20 || st.comm[i] == 0x7f)
			abort();
	free(text);
	return 0;
}
