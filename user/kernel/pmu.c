// SPDX-License-Identifier: GPL-2.0
/*
 * The PMU is found by what sysfs says it can do, never by CPU model:
 *  - Intel: a core PMU ("cpu", or "cpu_core"/"cpu_atom" on hybrid parts)
 *    with an events/mem-loads alias; when it also has mem-loads-aux (Sapphire
 *    Rapids, hybrid parts) that event must lead the group, or the open fails
 *    with ENODATA. ldlat (in config1 on current parts) sets the latency
 *    threshold; precise_ip asks for PEBS.
 *  - AMD: the ibs_op PMU, its type in ibs_op/type; IBS periods have their
 *    low 4 bits clear; l3missonly where the format and caps offer it.
 * Event aliases are turned into config bits through the PMU's format files
 * ("config:0-7", "config1:0-15"), as perf does.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pmu.h"
#include "privs.h"
#include "procfs.h"

#define DEVICES "bus/event_source/devices"
#define LDLAT 30 /* cycles: loads faster than this are L1/L2 hits, not worth a sample */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Sample periods per rate: loads for PEBS, dispatched ops for IBS (multiples of 16). */
static const uint64_t pebs_periods
	[] = { [NL_PMU_RATE_NORMAL] = 10007, [NL_PMU_RATE_LOW] = 50021, [NL_PMU_RATE_HIGH] = 2003 };
static const uint64_t ibs_periods[] = { [NL_PMU_RATE_NORMAL] = 500000,
					[NL_PMU_RATE_LOW] = 2000000,
					[NL_PMU_RATE_HIGH] = 100000 };

static int read_sysfs(const char *root, const char *pmu, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	int len;

	snprintf(path, sizeof(path), "%s/" DEVICES "/%s/%s", root, pmu, file);
	len = nl_read_file(path, buf, size);
	if (len < 0)
		return len;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return len;
}

/* Is there a PMU whose name starts with prefix (arm_spe_0...)? Its name in buf. */
static bool first_pmu_named(const char *root, const char *prefix, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/" DEVICES, root);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(buf, size, "%.*s", (int)(size - 1), de->d_name);
			found = true;
		}
	closedir(dir);
	return found;
}

static bool sysfs_exists(const char *root, const char *pmu, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" DEVICES "/%s/%s", root, pmu, file);
	return !stat(path, &st);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int nl_pmu_parse_type(const char *text)
{
	uint64_t type;

	if (!nl_parse_u64(text, strlen(text), &type) || type > INT_MAX)
		return -EINVAL;
	return (int)type;
}

/* A bit number of a format at *p: digits, 0 to 63. */
static bool format_bit(const char **p, int *bit)
{
	long v;
	char *end;

	if (!is_digit(**p))
		return false; /* strtol would take " 5", "+5" or "-5" */
	v = strtol(*p, &end, 10);
	if (v > 63)
		return false;
	*bit = (int)v;
	*p = end;
	return true;
}

int nl_pmu_apply_format(const char *format, uint64_t value, struct perf_event_attr *attr)
{
	const char *colon = strchr(format, ':'), *p;
	uint64_t named = 0;
	__u64 *field;
	int shift = 0;

	if (!colon)
		return -EINVAL;
	if (!strncmp(format, "config:", 7))
		field = &attr->config;
	else if (!strncmp(format, "config1:", 8))
		field = &attr->config1;
	else if (!strncmp(format, "config2:", 8))
		field = &attr->config2;
	else
		return -EINVAL;
	for (p = colon + 1;;) {
		int lo, hi, bit;

		if (!format_bit(&p, &lo))
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (!format_bit(&p, &hi) || hi < lo)
				return -EINVAL;
		}
		/* A bit named twice: a value bit would be lost, and past 64
		 * bits named, the shift below would be undefined. */
		for (bit = lo; bit <= hi; bit++, shift++) {
			if (named & (1ull << bit))
				return -EINVAL;
			named |= 1ull << bit;
			if ((value >> shift) & 1)
				*field |= 1ull << bit;
			else
				*field &= ~(1ull << bit);
		}
		if (!*p)
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	/* A value wider than its bits does not fit. */
	return shift < 64 && (value >> shift) ? -ERANGE : 0;
}

/* A term's name, a file name under format/: no '/' or "..". */
static bool term_name_ok(const char *name)
{
	const char *c;

	for (c = name; *c; c++)
		if (!is_digit(*c) && !(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    *c != '_')
			return false;
	return c != name;
}

int nl_pmu_parse_terms(const char *terms, nl_pmu_format_fn format_of, void *ctx,
		       struct perf_event_attr *attr)
{
	char copy[256], *term, *save = NULL;

	if (snprintf(copy, sizeof(copy), "%s", terms) >= (int)sizeof(copy))
		return -E2BIG;
	for (term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(term, '='), format[128], *end;
		uint64_t value = 1; /* a bare term is a flag */
		int err;

		if (eq) {
			*eq = '\0';
			/* strtoull would take " 1", "+1" and "-1" (2^64 - 1). */
			if (!is_digit(eq[1]))
				return -EINVAL;
			errno = 0;
			value = strtoull(eq + 1, &end, 0);
			if (errno || *end)
				return -EINVAL;
		}
		if (!term_name_ok(term))
			return -EINVAL;
		err = format_of(ctx, term, format, sizeof(format));
		if (err < 0)
			return err;
		err = nl_pmu_apply_format(format, value, attr);
		if (err)
			return err;
	}
	return 0;
}

/* A format file of the PMU named by ctx, from sysfs. */
struct sysfs_pmu {
	const char *root, *pmu;
};

static int sysfs_format(void *ctx, const char *name, char *buf, size_t size)
{
	const struct sysfs_pmu *where = ctx;
	char file[160];

	snprintf(file, sizeof(file), "format/%s", name);
	return read_sysfs(where->root, where->pmu, file, buf, size);
}

int nl_pmu_parse_event(const char *root, const char *pmu, const char *terms,
		       struct perf_event_attr *attr)
{
	struct sysfs_pmu where = { root, pmu };

	return nl_pmu_parse_terms(terms, sysfs_format, &where, attr);
}

static void all_cpus(uint64_t *cpus)
{
	memset(cpus, 0xff, NL_CPU_WORDS * sizeof(*cpus));
}

static void base_attr(struct perf_event_attr *attr, uint32_t type)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = type;
	attr->exclude_hv = 1;
	attr->exclude_guest = 1;
}

#define SAMPLE_TYPE \
	(PERF_SAMPLE_ADDR | PERF_SAMPLE_DATA_SRC | PERF_SAMPLE_WEIGHT | PERF_SAMPLE_PHYS_ADDR)

/* One Intel core PMU with a mem-loads alias; 0, or -ENOENT if it has none. */
static int probe_pebs_pmu(const char *root, const char *pmu, uint64_t period,
			  struct nl_pmu_event *ev)
{
	char buf[256];
	int type, err;

	if (read_sysfs(root, pmu, "events/mem-loads", buf, sizeof(buf)) <= 0)
		return -ENOENT;
	if (read_sysfs(root, pmu, "type", buf + 128, 64) <= 0)
		return -ENOENT;
	type = nl_pmu_parse_type(buf + 128);
	if (type < 0)
		return type;
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->pmu, sizeof(ev->pmu), "%s", pmu);
	base_attr(&ev->attr, type);
	err = nl_pmu_parse_event(root, pmu, buf, &ev->attr);
	if (err)
		return err;
	if (sysfs_exists(root, pmu, "format/ldlat")) {
		err = nl_pmu_parse_event(root, pmu, "ldlat=" STR(LDLAT), &ev->attr);
		if (err)
			return err;
	}
	ev->attr.sample_period = period;
	ev->attr.sample_type = SAMPLE_TYPE;
	ev->attr.precise_ip = 3; /* lowered at open where the CPU offers less */
	if (read_sysfs(root, pmu, "events/mem-loads-aux", buf, sizeof(buf)) > 0) {
		ev->has_leader = true;
		base_attr(&ev->leader, type);
		err = nl_pmu_parse_event(root, pmu, buf, &ev->leader);
		if (err)
			return err;
	}
	all_cpus(ev->cpus);
	/* A hybrid core type's PMU says which CPUs are its own. */
	if (read_sysfs(root, pmu, "cpus", buf, sizeof(buf)) > 0) {
		memset(ev->cpus, 0, sizeof(ev->cpus));
		if (nl_cpulist_parse(buf, strlen(buf), ev->cpus, NL_MAX_CPUS) < 0)
			return -EINVAL;
	}
	return 0;
}

static int probe_ibs(const char *root, uint64_t period, struct nl_pmu_event *ev)
{
	char buf[64];
	int err, type;

	if (read_sysfs(root, "ibs_op", "type", buf, sizeof(buf)) <= 0)
		return -ENOENT;
	type = nl_pmu_parse_type(buf);
	if (type < 0)
		return type;
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->pmu, sizeof(ev->pmu), "ibs_op");
	base_attr(&ev->attr, type);
	/* Count dispatched ops rather than cycles, where the PMU can. */
	if (sysfs_exists(root, "ibs_op", "format/cnt_ctl")) {
		err = nl_pmu_parse_event(root, "ibs_op", "cnt_ctl=1", &ev->attr);
		if (err)
			return err;
	}
	/* Only L3 misses: every sample then says something about memory. */
	if (sysfs_exists(root, "ibs_op", "format/l3missonly") &&
	    sysfs_exists(root, "ibs_op", "caps/zen4_ibs_extensions")) {
		err = nl_pmu_parse_event(root, "ibs_op", "l3missonly=1", &ev->attr);
		if (err)
			return err;
	}
	ev->attr.sample_period = period & ~0xfull;
	ev->attr.sample_type = SAMPLE_TYPE;
	all_cpus(ev->cpus);
	return 0;
}

int nl_pmu_probe(const char *root, uint64_t period, enum nl_pmu_rate rate,
		 struct nl_pmu_config *cfg, char *reason, size_t size)
{
	static const char *const core_pmus[] = { "cpu_core", "cpu_atom", "cpu" };
	char spe_name[64];
	size_t i;
	bool spe;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < sizeof(core_pmus) / sizeof(core_pmus[0]); i++) {
		struct nl_pmu_event *ev = &cfg->events[cfg->nr_events];

		if (cfg->nr_events == NL_PMU_MAX_PMUS)
			break;
		err = probe_pebs_pmu(root, core_pmus[i], period ? period : pebs_periods[rate], ev);
		if (err == -ENOENT)
			continue;
		if (err) {
			snprintf(reason, size, "the %s PMU's mem-loads event does not parse (%s)",
				 core_pmus[i], strerror(-err));
			return err;
		}
		cfg->nr_events++;
	}
	if (cfg->nr_events) {
		struct nl_pmu_event *ev = &cfg->events[0];

		cfg->kind = NL_PMU_PEBS;
		snprintf(cfg->desc, sizeof(cfg->desc),
			 "Intel PEBS load latency: %s%s/mem-loads,ldlat=%d/%s, period %llu",
			 ev->pmu, cfg->nr_events > 1 ? "+cpu_atom" : "", LDLAT,
			 ev->has_leader ? " led by mem-loads-aux" : "",
			 (unsigned long long)ev->attr.sample_period);
		return 0;
	}
	err = probe_ibs(root, period ? period : ibs_periods[rate], &cfg->events[0]);
	if (!err) {
		struct nl_pmu_event *ev = &cfg->events[0];

		cfg->kind = NL_PMU_IBS;
		cfg->nr_events = 1;
		snprintf(cfg->desc, sizeof(cfg->desc), "AMD IBS op%s%s, period %llu",
			 ev->attr.config & (1ull << 19) ? " (dispatched ops)" : "",
			 sysfs_exists(root, "ibs_op", "caps/zen4_ibs_extensions") ?
				 ", L3 misses only" :
				 "",
			 (unsigned long long)ev->attr.sample_period);
		return 0;
	}
	if (err != -ENOENT) {
		snprintf(reason, size, "the ibs_op PMU cannot be configured (%s)", strerror(-err));
		return err;
	}
	spe = first_pmu_named(root, "arm_spe", spe_name, sizeof(spe_name));
	snprintf(reason, size,
		 "no hardware memory sampling here: no PMU in %s/" DEVICES
		 " has a mem-loads event (Intel PEBS) and there is no ibs_op (AMD IBS)%s%s%s",
		 root, spe ? "; Arm SPE (" : "", spe ? spe_name : "",
		 spe ? ") is here, but numalens does not read SPE yet" : "; usual in VMs");
	return -ENOENT;
}

void nl_pmu_software_faults(struct nl_pmu_config *cfg)
{
	struct nl_pmu_event *ev = &cfg->events[0];

	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = NL_PMU_SW_PAGE_FAULTS;
	cfg->nr_events = 1;
	snprintf(ev->pmu, sizeof(ev->pmu), "software");
	base_attr(&ev->attr, PERF_TYPE_SOFTWARE);
	ev->attr.config = PERF_COUNT_SW_PAGE_FAULTS;
	ev->attr.sample_period = 1;
	ev->attr.sample_type = PERF_SAMPLE_ADDR;
	all_cpus(ev->cpus);
	snprintf(cfg->desc, sizeof(cfg->desc), "software page faults (a test of the plumbing)");
}

static int perf_event_open(struct perf_event_attr *attr, int cpu, int group)
{
	return syscall(SYS_perf_event_open, attr, -1, cpu, group, PERF_FLAG_FD_CLOEXEC);
}

/* One descriptor per CPU, two with a group leader: make room for them. */
static int ensure_nofile(int needed, char *reason, size_t size)
{
	struct rlimit rl;
	rlim_t hard;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= (rlim_t)needed)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= (rlim_t)needed) {
		rl.rlim_cur = needed;
		return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
	}
	hard = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = needed;
	if (!setrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	snprintf(reason, size,
		 "too many open files (EMFILE): sampling every CPU needs %d descriptors and the "
		 "hard limit is %llu; raise it (ulimit -Hn %d, LimitNOFILE=%d) or grant "
		 "CAP_SYS_RESOURCE",
		 needed, (unsigned long long)hard, needed, needed);
	return -EMFILE;
}

static void explain_open_error(int err, const struct nl_pmu_event *ev, int cpu, char *reason,
			       size_t size)
{
	int paranoid;

	if (nl_sysctl_int("kernel/perf_event_paranoid", &paranoid))
		paranoid = -99;

	switch (err) {
	case EACCES:
	case EPERM:
		snprintf(reason, size,
			 "perf_event_open was refused (%s): kernel.perf_event_paranoid is %d and "
			 "%s; run as root or grant CAP_PERFMON",
			 strerror(err), paranoid,
			 nl_has_cap(CAP_PERFMON) ?
				 "CAP_PERFMON is held (a security module may forbid it)" :
				 "CAP_PERFMON is missing");
		break;
	case EMFILE:
	case ENFILE:
		snprintf(reason, size,
			 "too many open files (%s) opening CPU %d: raise the limit (ulimit -n) or "
			 "grant CAP_SYS_RESOURCE",
			 strerror(err), cpu);
		break;
	case ENODATA:
		snprintf(
			reason, size,
			"the %s PMU wants mem-loads inside a group led by mem-loads-aux (ENODATA), "
			"which sysfs does not offer",
			ev->pmu);
		break;
	default:
		snprintf(reason, size, "the %s PMU refused the sampling event on CPU %d (%s)",
			 ev->pmu, cpu, strerror(err));
	}
}

static const struct nl_pmu_event *event_for_cpu(const struct nl_pmu_config *cfg, int cpu)
{
	int i;

	for (i = 0; i < cfg->nr_events; i++)
		if ((cfg->events[i].cpus[cpu / 64] >> (cpu % 64)) & 1)
			return &cfg->events[i];
	return NULL;
}

int nl_pmu_open(const struct nl_pmu_config *cfg, const struct nl_topology *topo,
		struct nl_pmu_fds *out, char *reason, size_t size)
{
	struct nl_pmu_event events[NL_PMU_MAX_PMUS];
	int cpu, err, ncpus = 0;

	memset(out, 0, sizeof(*out));
	memcpy(events, cfg->events, sizeof(events));
	for (cpu = 0; cpu < topo->nr_cpu_ids && cpu < NL_MAX_CPUS; cpu++)
		ncpus += topo->cpu_node[cpu] >= 0;
	err = ensure_nofile(2 * ncpus + 256, reason, size);
	if (err)
		return err;
	out->fds = calloc(ncpus ? ncpus : 1, sizeof(int));
	out->leaders = calloc(ncpus ? ncpus : 1, sizeof(int));
	if (!out->fds || !out->leaders) {
		nl_pmu_close(out);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < topo->nr_cpu_ids && cpu < NL_MAX_CPUS; cpu++) {
		struct nl_pmu_event *ev;
		int leader = -1, fd;

		if (topo->cpu_node[cpu] < 0 || !event_for_cpu(cfg, cpu))
			continue;
		ev = &events[event_for_cpu(cfg, cpu) - cfg->events];
		if (ev->has_leader) {
			leader = perf_event_open(&ev->leader, cpu, -1);
			if (leader < 0)
				goto fail;
		}
		for (;;) {
			fd = perf_event_open(&ev->attr, cpu, leader);
			/* Not every CPU offers the highest precision. */
			if (fd < 0 && (errno == EINVAL || errno == EOPNOTSUPP) &&
			    ev->attr.precise_ip > 1) {
				ev->attr.precise_ip--;
				continue;
			}
			break;
		}
		if (fd < 0) {
			if (leader >= 0)
				close(leader);
			goto fail;
		}
		out->fds[out->nr] = fd;
		out->leaders[out->nr] = leader;
		out->nr++;
		continue;
fail:
		err = errno;
		explain_open_error(err, ev, cpu, reason, size);
		nl_pmu_close(out);
		return -err;
	}
	if (!out->nr) {
		snprintf(reason, size, "no online CPU has the sampling PMU");
		nl_pmu_close(out);
		return -ENODEV;
	}
	return 0;
}

void nl_pmu_close(struct nl_pmu_fds *f)
{
	int i;

	for (i = 0; i < f->nr; i++) {
		close(f->fds[i]);
		if (f->leaders[i] >= 0)
			close(f->leaders[i]);
	}
	free(f->fds);
	free(f->leaders);
	memset(f, 0, sizeof(*f));
}

int nl_physmap_load(const char *root, struct nl_physmap *m)
{
	char path[PATH_MAX], buf[64];
	uint64_t block_size;
	struct dirent *de;
	int node, err = 0;
	DIR *dir;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/devices/system/memory/block_size_bytes", root);
	if (nl_read_file(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	block_size = strtoull(buf, NULL, 16); /* printed in hex, without 0x */
	if (!block_size || (block_size & (block_size - 1)))
		return -EINVAL;
	m->block_shift = __builtin_ctzll(block_size);
	m->nr_blocks = NL_PHYS_BLOCKS;
	m->node = malloc(m->nr_blocks);
	if (!m->node)
		return -ENOMEM;
	memset(m->node, NL_NODE_UNKNOWN, m->nr_blocks);
	for (node = 0; node < NL_MAX_NODES; node++) {
		snprintf(path, sizeof(path), "%s/devices/system/node/node%d", root, node);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			char *end;
			unsigned long block;

			if (strncmp(de->d_name, "memory", 6))
				continue;
			block = strtoul(de->d_name + 6, &end, 10);
			if (end == de->d_name + 6 || *end)
				continue; /* memory_failure and the like */
			if (block < m->nr_blocks)
				m->node[block] = node;
			else
				err = -ERANGE; /* beyond the table: those samples stay unknown */
		}
		closedir(dir);
	}
	return err == -ERANGE ? 0 : err;
}

int nl_physmap_node(const struct nl_physmap *m, uint64_t phys)
{
	uint64_t block;

	if (!m->node)
		return NL_NODE_UNKNOWN;
	block = phys >> m->block_shift;
	return block < m->nr_blocks ? m->node[block] : NL_NODE_UNKNOWN;
}

static bool only_holes_from(const struct nl_physmap *m, uint32_t block)
{
	for (; block < m->nr_blocks; block++)
		if (m->node[block] != NL_NODE_UNKNOWN)
			return false;
	return true;
}

int nl_physmap_ranges(const struct nl_physmap *m, struct nl_phys_range *out, int max, bool *cut)
{
	uint32_t block, node, prev = NL_NODE_UNKNOWN;
	int nr = 0;

	*cut = false;
	if (max < 2)
		return -EINVAL;
	for (block = 0; m->node && block < m->nr_blocks; block++) {
		node = m->node[block];
		if (node == prev)
			continue;
		if (nr == max - 1) {
			/* The last slot ends the map: a cut, unless no block
			 * from here on has a node anyway. */
			*cut = !only_holes_from(m, block);
			break;
		}
		out[nr++] = (struct nl_phys_range){ .first_block = block, .node = node };
		prev = node;
	}
	/* A last range on a node ends where the blocks do (or it was cut);
	 * one on no node runs on to the end as it is. */
	if (prev != NL_NODE_UNKNOWN || !nr)
		out[nr++] = (struct nl_phys_range){ .first_block = block, .node = NL_NODE_UNKNOWN };
	return nr;
}

void nl_physmap_free(struct nl_physmap *m)
{
	free(m->node);
	memset(m, 0, sizeof(*m));
}
