// SPDX-License-Identifier: GPL-2.0
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "privs.h"

bool nl_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

bool nl_missing_bpf_caps(char *buf, size_t size)
{
	/* CAP_SYS_ADMIN covers both on kernels before v5.8 and on any kernel. */
	if (nl_has_cap(CAP_SYS_ADMIN) || (nl_has_cap(CAP_BPF) && nl_has_cap(CAP_PERFMON))) {
		buf[0] = '\0';
		return false;
	}
	snprintf(buf, size, "%s%s%s", nl_has_cap(CAP_BPF) ? "" : "CAP_BPF",
		 !nl_has_cap(CAP_BPF) && !nl_has_cap(CAP_PERFMON) ? " and " : "",
		 nl_has_cap(CAP_PERFMON) ? "" : "CAP_PERFMON");
	return true;
}
