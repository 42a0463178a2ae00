/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a sampled load was served from, decoded from the perf_mem_data_src
 * word the kernel fills for PEBS and IBS samples. Plain C shared by the BPF
 * program that counts samples and the unit tests that feed it the encodings
 * each kernel driver produces. The bit layout and values are perf's UAPI
 * (include/uapi/linux/perf_event.h); they are restated here because the BPF
 * side sees only vmlinux.h, which has no #defines.
 *
 * The rules follow perf c2c: a load came from memory (DRAM, PMEM or CXL) when
 * mem_lvl_num says so or mem_lvl has LOC_RAM/REM_RAM1/REM_RAM2; it was remote
 * when mem_lvl has REM_RAM1/REM_RAM2 (older PEBS, Zen 3) or mem_remote is set
 * (Skylake-and-later PEBS sets no REM_RAM1 bit), unless mem_hops says it was
 * "remote core, same node".
 */
#ifndef NUMALENS_MEMSRC_H
#define NUMALENS_MEMSRC_H

#ifndef __VMLINUX_H__ /* userspace: BPF programs get these from vmlinux.h */
#include <linux/types.h>
#endif

#define NL_MEM_LVL_SHIFT 5
#define NL_MEM_LVL_NA 0x01
#define NL_MEM_LVL_HIT 0x02
#define NL_MEM_LVL_MISS 0x04
#define NL_MEM_LVL_L1 0x08
#define NL_MEM_LVL_LFB 0x10
#define NL_MEM_LVL_L2 0x20
#define NL_MEM_LVL_L3 0x40
#define NL_MEM_LVL_LOC_RAM 0x80
#define NL_MEM_LVL_REM_RAM1 0x100
#define NL_MEM_LVL_REM_RAM2 0x200
#define NL_MEM_LVL_REM_CCE1 0x400
#define NL_MEM_LVL_REM_CCE2 0x800
#define NL_MEM_LVL_IO 0x1000
#define NL_MEM_LVL_UNC 0x2000

#define NL_MEM_LVLNUM_SHIFT 33
#define NL_MEM_LVLNUM_L1 0x01
#define NL_MEM_LVLNUM_L2 0x02
#define NL_MEM_LVLNUM_L3 0x03
#define NL_MEM_LVLNUM_L4 0x04
#define NL_MEM_LVLNUM_UNC 0x08
#define NL_MEM_LVLNUM_CXL 0x09
#define NL_MEM_LVLNUM_IO 0x0a
#define NL_MEM_LVLNUM_ANY_CACHE 0x0b
#define NL_MEM_LVLNUM_LFB 0x0c
#define NL_MEM_LVLNUM_RAM 0x0d
#define NL_MEM_LVLNUM_PMEM 0x0e
#define NL_MEM_LVLNUM_NA 0x0f

#define NL_MEM_REMOTE_SHIFT 37
#define NL_MEM_HOPS_SHIFT 43
#define NL_MEM_HOPS_0 0x01 /* remote core, same node */

enum nl_mem_class {
	NL_MEM_UNKNOWN,	     /* no data source: not a load, or not decoded */
	NL_MEM_CACHE,	     /* a cache of this node (L1, LFB, L2, L3, L4) */
	NL_MEM_REMOTE_CACHE, /* a cache of another node (snoop across sockets) */
	NL_MEM_LOCAL_DRAM,
	NL_MEM_REMOTE_DRAM,
	NL_MEM_LOCAL_CXL, /* CXL or persistent memory */
	NL_MEM_REMOTE_CXL,
	NL_MEM_OTHER, /* I/O or uncached */
	NL_MEM_CLASS_MAX,
};

static inline int nl_mem_class_is_memory(unsigned int class)
{
	return class >= NL_MEM_LOCAL_DRAM && class <= NL_MEM_REMOTE_CXL;
}

static inline int nl_mem_class_is_remote(unsigned int class)
{
	return class == NL_MEM_REMOTE_CACHE || class == NL_MEM_REMOTE_DRAM ||
	       class == NL_MEM_REMOTE_CXL;
}

/*
 * Classifies one data source word. *hops gets the distance of a remote
 * access: 1 (another node), 2 (another socket), 3 (another board), from
 * mem_hops or REM_RAM1/REM_RAM2, 1 when only "remote" is known; 0 if local.
 */
static inline unsigned int nl_mem_classify(__u64 src, __u32 *hops)
{
	__u32 lvl = (src >> NL_MEM_LVL_SHIFT) & 0x3fff;
	__u32 lnum = (src >> NL_MEM_LVLNUM_SHIFT) & 0xf;
	__u32 remote_bit = (src >> NL_MEM_REMOTE_SHIFT) & 1;
	__u32 mhops = (src >> NL_MEM_HOPS_SHIFT) & 7;
	int remote, memory, slow_tier;

	*hops = 0;
	remote = (lvl & (NL_MEM_LVL_REM_RAM1 | NL_MEM_LVL_REM_RAM2)) ||
		 (remote_bit && mhops != NL_MEM_HOPS_0);
	if (remote) {
		if (mhops > NL_MEM_HOPS_0)
			*hops = mhops - NL_MEM_HOPS_0;
		else if (lvl & NL_MEM_LVL_REM_RAM2)
			*hops = 2;
		else
			*hops = 1;
	}
	slow_tier = lnum == NL_MEM_LVLNUM_CXL || lnum == NL_MEM_LVLNUM_PMEM;
	memory = slow_tier || lnum == NL_MEM_LVLNUM_RAM ||
		 (lvl & (NL_MEM_LVL_LOC_RAM | NL_MEM_LVL_REM_RAM1 | NL_MEM_LVL_REM_RAM2));
	if (memory) {
		if (slow_tier)
			return remote ? NL_MEM_REMOTE_CXL : NL_MEM_LOCAL_CXL;
		return remote ? NL_MEM_REMOTE_DRAM : NL_MEM_LOCAL_DRAM;
	}
	if ((lvl & (NL_MEM_LVL_IO | NL_MEM_LVL_UNC)) || lnum == NL_MEM_LVLNUM_IO ||
	    lnum == NL_MEM_LVLNUM_UNC)
		return NL_MEM_OTHER;
	/* A miss with no level that served it (old PEBS 0x00) says nothing. */
	if (lvl & NL_MEM_LVL_MISS)
		return NL_MEM_UNKNOWN;
	if ((lnum >= NL_MEM_LVLNUM_L1 && lnum <= NL_MEM_LVLNUM_L4) ||
	    lnum == NL_MEM_LVLNUM_ANY_CACHE || lnum == NL_MEM_LVLNUM_LFB ||
	    (lvl & (NL_MEM_LVL_L1 | NL_MEM_LVL_LFB | NL_MEM_LVL_L2 | NL_MEM_LVL_L3 |
		    NL_MEM_LVL_REM_CCE1 | NL_MEM_LVL_REM_CCE2)))
		return remote ? NL_MEM_REMOTE_CACHE : NL_MEM_CACHE;
	return NL_MEM_UNKNOWN;
}

#endif /* NUMALENS_MEMSRC_H */
