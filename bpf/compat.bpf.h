/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, resolved with CO-RE at load time (never by version).
 */
#ifndef NUMALENS_COMPAT_BPF_H
#define NUMALENS_COMPAT_BPF_H

#include <bpf/bpf_core_read.h>

#define NL_PF_KTHREAD 0x00200000 /* include/linux/sched.h, stable */

/* Before v5.16 (commit bcf9033e5449) some configs kept the CPU in task_struct. */
struct task_struct___cpu_in_task {
	unsigned int cpu;
} __attribute__((preserve_access_index));

/* Read directly, not through a helper call: every caller has a task pointer
 * the verifier trusts (tp_btf arguments, the task iterator's). */
static __always_inline __u32 task_cpu(struct task_struct *task)
{
	if (bpf_core_field_exists(task->thread_info.cpu))
		return task->thread_info.cpu;
	return ((struct task_struct___cpu_in_task *)task)->cpu;
}

/* numa_faults_locality[] exists only with CONFIG_NUMA_BALANCING. */
struct task_struct___numab {
	unsigned long numa_faults_locality[3];
	int numa_preferred_nid;
} __attribute__((preserve_access_index));

static __always_inline bool task_has_numab(void)
{
	return bpf_core_field_exists(struct task_struct___numab, numa_faults_locality);
}

#endif /* NUMALENS_COMPAT_BPF_H */
