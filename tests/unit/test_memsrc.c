// SPDX-License-Identifier: GPL-2.0
/*
 * The data_src classifier against the encodings the kernel's drivers
 * produce, built here with the UAPI macros the way each driver builds them:
 * arch/x86/events/intel/ds.c (pebs_data_source[] before Skylake and its
 * Skylake-and-later rewrite), arch/x86/events/amd/ibs.c (Zen 3 g_data_src[]
 * and Zen 4 g_zen4_data_src[] with the remote-node rewrite).
 */
#include <linux/perf_event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "memsrc.h"

/* Newer than Debian 12's UAPI headers (v6.5). */
#ifndef PERF_MEM_LVLNUM_UNC
#define PERF_MEM_LVLNUM_UNC 0x08
#endif

#define P(a, b) PERF_MEM_S(a, b)
#define OP_LH (P(OP, LOAD) | P(LVL, HIT))
#define LEVEL(x) P(LVLNUM, x)
#define REM P(REMOTE, REMOTE)
#define SNOOP_NONE_MISS (P(SNOOP, NONE) | P(SNOOP, MISS))
/* AMD IBS */
#define L(x) (P(LVL, x) | P(LVL, HIT))
#define HOPS(x) P(HOPS, x)
#define NA_ALL (P(OP, NA) | P(LVL, NA) | P(SNOOP, NA) | P(LOCK, NA) | P(TLB, NA))

static void expect(uint64_t src, unsigned int class, unsigned int hops)
{
	__u32 got_hops = 99;
	unsigned int got = nl_mem_classify(src, &got_hops);

	if (got != class || got_hops != hops)
		fail_msg("data_src %#llx: class %u hops %u, want class %u hops %u",
			 (unsigned long long)src, got, got_hops, class, hops);
}

/* Before Skylake: remote DRAM carries REM_RAM1. */
static void test_intel_pre_skylake(void **state)
{
	expect(P(OP, LOAD) | P(LVL, MISS) | LEVEL(L3) | P(SNOOP, NA), NL_MEM_UNKNOWN, 0);
	expect(OP_LH | P(LVL, L1) | LEVEL(L1) | P(SNOOP, NONE), NL_MEM_CACHE, 0);
	expect(OP_LH | P(LVL, LFB) | LEVEL(LFB) | P(SNOOP, NONE), NL_MEM_CACHE, 0);
	expect(OP_LH | P(LVL, L2) | LEVEL(L2) | P(SNOOP, NONE), NL_MEM_CACHE, 0);
	expect(OP_LH | P(LVL, L3) | LEVEL(L3) | P(SNOOP, HITM), NL_MEM_CACHE, 0);
	expect(OP_LH | P(LVL, REM_CCE1) | REM | LEVEL(L3) | P(SNOOP, HIT), NL_MEM_REMOTE_CACHE, 1);
	expect(OP_LH | P(LVL, REM_CCE1) | REM | LEVEL(L3) | P(SNOOP, HITM), NL_MEM_REMOTE_CACHE, 1);
	expect(OP_LH | P(LVL, LOC_RAM) | LEVEL(RAM) | P(SNOOP, HIT), NL_MEM_LOCAL_DRAM, 0);
	expect(OP_LH | P(LVL, REM_RAM1) | REM | LEVEL(L3) | P(SNOOP, HIT), NL_MEM_REMOTE_DRAM, 1);
	expect(OP_LH | P(LVL, LOC_RAM) | LEVEL(RAM) | SNOOP_NONE_MISS, NL_MEM_LOCAL_DRAM, 0);
	expect(OP_LH | P(LVL, REM_RAM1) | LEVEL(RAM) | REM | SNOOP_NONE_MISS, NL_MEM_REMOTE_DRAM,
	       1);
	expect(OP_LH | P(LVL, IO) | LEVEL(NA) | P(SNOOP, NONE), NL_MEM_OTHER, 0);
	expect(OP_LH | P(LVL, UNC) | LEVEL(NA) | P(SNOOP, NONE), NL_MEM_OTHER, 0);
	/* A two-hop remote DRAM bit, as some older tables use. */
	expect(OP_LH | P(LVL, REM_RAM2) | LEVEL(RAM) | REM, NL_MEM_REMOTE_DRAM, 2);
}

/* Skylake and later rewrite 0x08-0x0d: remote DRAM has no REM_RAM1 bit. */
static void test_intel_skylake_and_later(void **state)
{
	expect(OP_LH | LEVEL(L4) | P(SNOOP, HIT), NL_MEM_CACHE, 0);
	expect(OP_LH | LEVEL(PMEM) | P(SNOOP, HIT), NL_MEM_LOCAL_CXL, 0);
	expect(OP_LH | LEVEL(PMEM) | REM | P(SNOOP, HIT), NL_MEM_REMOTE_CXL, 1);
	expect(OP_LH | LEVEL(RAM) | REM | P(SNOOP, NONE), NL_MEM_REMOTE_DRAM, 1);
	expect(OP_LH | LEVEL(ANY_CACHE) | REM | P(SNOOPX, FWD), NL_MEM_REMOTE_CACHE, 1);
	expect(OP_LH | LEVEL(ANY_CACHE) | REM | P(SNOOP, HITM), NL_MEM_REMOTE_CACHE, 1);
	/* unchanged 0x0a/0x0c: local DRAM */
	expect(OP_LH | P(LVL, LOC_RAM) | LEVEL(RAM) | P(SNOOP, HIT), NL_MEM_LOCAL_DRAM, 0);
}

/* Zen 3: coarse DataSrc; RmtNode turns DRAM into REM_RAM1 | REM | HOPS(1). */
static void test_amd_zen3(void **state)
{
	expect(P(OP, LOAD) | L(L1) | LEVEL(L1), NL_MEM_CACHE, 0);
	expect(P(OP, LOAD) | L(L2) | LEVEL(L2), NL_MEM_CACHE, 0);
	/* local cache, another CCX of this node: REM_CCE1 with HOPS(0) is local */
	expect(P(OP, LOAD) | L(L3) | L(REM_CCE1) | LEVEL(ANY_CACHE) | HOPS(0), NL_MEM_CACHE, 0);
	expect(P(OP, LOAD) | L(LOC_RAM) | LEVEL(RAM), NL_MEM_LOCAL_DRAM, 0);
	expect(P(OP, LOAD) | L(REM_RAM1) | LEVEL(RAM) | REM | HOPS(1), NL_MEM_REMOTE_DRAM, 1);
	expect(P(OP, LOAD) | L(REM_CCE2) | LEVEL(ANY_CACHE) | REM | HOPS(1), NL_MEM_REMOTE_CACHE,
	       1);
	expect(P(OP, LOAD) | L(IO) | LEVEL(IO), NL_MEM_OTHER, 0);
	expect(P(OP, LOAD) | L(UNC) | LEVEL(UNC), NL_MEM_OTHER, 0);
	expect(P(OP, LOAD) | L(LFB) | LEVEL(LFB), NL_MEM_CACHE, 0);
}

/* Zen 4: extended DataSrc, with PMEM and CXL (extension memory). */
static void test_amd_zen4(void **state)
{
	expect(P(OP, LOAD) | L(L3) | LEVEL(L3), NL_MEM_CACHE, 0);
	/* near CCX: remote core, same node */
	expect(P(OP, LOAD) | L(REM_CCE1) | LEVEL(ANY_CACHE) | REM | HOPS(0), NL_MEM_CACHE, 0);
	expect(P(OP, LOAD) | L(REM_CCE2) | LEVEL(ANY_CACHE) | REM | HOPS(1), NL_MEM_REMOTE_CACHE,
	       1);
	expect(P(OP, LOAD) | L(LOC_RAM) | LEVEL(RAM), NL_MEM_LOCAL_DRAM, 0);
	expect(P(OP, LOAD) | L(REM_RAM1) | LEVEL(RAM) | REM | HOPS(1), NL_MEM_REMOTE_DRAM, 1);
	expect(P(OP, LOAD) | LEVEL(CXL), NL_MEM_LOCAL_CXL, 0);
	expect(P(OP, LOAD) | LEVEL(CXL) | REM | HOPS(1), NL_MEM_REMOTE_CXL, 1);
	expect(P(OP, LOAD) | LEVEL(PMEM) | REM | HOPS(1), NL_MEM_REMOTE_CXL, 1);
}

/* mem_hops, where a driver sets it, gives the distance. */
static void test_hops(void **state)
{
	expect(P(OP, LOAD) | LEVEL(RAM) | REM | HOPS(2), NL_MEM_REMOTE_DRAM, 2);
	expect(P(OP, LOAD) | LEVEL(RAM) | REM | HOPS(3), NL_MEM_REMOTE_DRAM, 3);
}

static void test_unknown(void **state)
{
	expect(NA_ALL, NL_MEM_UNKNOWN, 0);
	expect(P(LVL, NA) | LEVEL(NA), NL_MEM_UNKNOWN, 0);
	expect(0, NL_MEM_UNKNOWN, 0);
	/* IBS "MAB" fallback with no data source: NA */
	expect(P(OP, LOAD) | P(LVL, NA) | LEVEL(NA), NL_MEM_UNKNOWN, 0);
}

static void test_class_predicates(void **state)
{
	assert_true(nl_mem_class_is_memory(NL_MEM_LOCAL_DRAM));
	assert_true(nl_mem_class_is_memory(NL_MEM_REMOTE_CXL));
	assert_false(nl_mem_class_is_memory(NL_MEM_REMOTE_CACHE));
	assert_false(nl_mem_class_is_memory(NL_MEM_OTHER));
	assert_true(nl_mem_class_is_remote(NL_MEM_REMOTE_CACHE));
	assert_false(nl_mem_class_is_remote(NL_MEM_LOCAL_CXL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_pre_skylake),
		cmocka_unit_test(test_intel_skylake_and_later),
		cmocka_unit_test(test_amd_zen3),
		cmocka_unit_test(test_amd_zen4),
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_class_predicates),
	};

	return cmocka_run_group_tests_name("memsrc", tests, NULL, NULL);
}
