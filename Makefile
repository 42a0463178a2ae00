# numalens: build, test, benchmark.
#   make            build/numalens and build/numatop-lite
#   make diagnose   install what is missing, build, diagnose this machine (ARGS=...)
#   make test       install what is missing, then every test (unit, BPF, VM, fuzz smoke)
#   make deps       install the Debian packages the build and tests need
#   make bench      BPF cost per event and other speed targets
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
# V=1 shows the commands.

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BUILD := build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The checked-in header for $(ARCH) (vmlinux/README.md); for an architecture
# without one, a header generated from this machine's own BTF (rule below).
ifneq ($(wildcard vmlinux/$(ARCH)/vmlinux.h),)
VMLINUX_DIR := vmlinux/$(ARCH)
else
VMLINUX_DIR := $(BUILD)/vmlinux/$(ARCH)
endif
BPF_SRCS := $(wildcard bpf/*.bpf.c)
# state.bpf.o defines the shared maps the others declare extern: it links first.
BPF_OBJS := $(BUILD)/bpf/state.bpf.o $(filter-out $(BUILD)/bpf/state.bpf.o,\
	$(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS)))
BPF_HDRS := $(wildcard bpf/*.h)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -Ibpf \
	-Wall -Wno-unused-function -Werror

# The loader in layers, each a folder: a file includes its own folder's
# headers and the layers' below (make check-layers, tests/check-layers.sh).
USER_LAYERS := base kernel collect core act cmd top export
USER_SRCS := $(wildcard $(USER_LAYERS:%=user/%/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(BUILD)/user/cmd/main.o,$(USER_OBJS))
USER_HDRS := $(wildcard $(USER_LAYERS:%=user/%/*.h)) bpf/numalens.h
USER_INCLUDES := $(USER_LAYERS:%=-Iuser/%)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Werror -D_GNU_SOURCE $(USER_INCLUDES) -Ibpf -I$(BUILD) -DNUMALENS_VERSION='"$(VERSION)"'
# libbpf statically, so the binary runs where libbpf is not installed (the
# Debian package links it dynamically, LIBBPF_LIBS in debian/rules: no copy
# of zlib in the binary, and its Depends: bring the libraries).
LIBBPF_LIBS ?= -Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic
LDLIBS := $(LIBBPF_LIBS) -lnuma -ljson-c -lm
# The live view (user/top/).
LDLIBS += -lncursesw
# The exporter's HTTP server (user/export/export_http.c).
LDLIBS += -lmicrohttpd

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf_%,$(BPF_TEST_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

.DELETE_ON_ERROR:
.PHONY: all clean deps diagnose test unit-test bpf-test cli-test results-test vm-test fuzz fuzz-smoke bench format check-format check-layers static-test

all: $(BUILD)/numalens $(BUILD)/numatop-lite $(BUILD)/numa-workload man

# The man pages, from their scdoc sources (man/*.scd): numalens(8), numatop-lite(8).
MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(wildcard man/*.scd))
.PHONY: man
man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)command -v scdoc >/dev/null || { echo "error: scdoc is missing (make deps installs" \
		"it)" >&2; exit 1; }
	$(Q)scdoc <$< >$@

$(BUILD)/bpf $(BUILD)/user $(BUILD)/tests $(BUILD)/fuzz:
	$(Q)mkdir -p $@

ifeq ($(VMLINUX_DIR),$(BUILD)/vmlinux/$(ARCH))
$(VMLINUX_DIR)/vmlinux.h:
	@echo "  no vmlinux/$(ARCH)/vmlinux.h checked in: generating $@ from this machine's" \
		"/sys/kernel/btf/vmlinux ($$(uname -m), Linux $$(uname -r))"
	$(Q)[ -r /sys/kernel/btf/vmlinux ] || { echo "error: /sys/kernel/btf/vmlinux is missing," \
		"so there is no vmlinux.h for $(ARCH): boot a kernel built with" \
		"CONFIG_DEBUG_INFO_BTF=y, or check in vmlinux/$(ARCH)/vmlinux.h made elsewhere with" \
		"vmlinux/gen-vmlinux.sh BTF_FILE $(ARCH) (see vmlinux/README.md)" >&2; exit 1; }
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@
endif

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX_DIR)/vmlinux.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# One linked object, so one skeleton, whatever the number of BPF files.
$(BUILD)/numalens.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/numalens.skel.h: $(BUILD)/numalens.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name numalens > $@

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(BUILD)/numalens.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/numalens: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/numatop-lite: $(BUILD)/numalens
	$(Q)ln -sf numalens $@

# The project's own workload with a known placement, for the tests.
$(BUILD)/numa-workload: tests/workload/numa-workload.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lnuma -lpthread

$(BUILD):
	$(Q)mkdir -p $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) tests/unit/fixtures.h | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -DFIXTURES='"tests/unit/fixtures"' $< $(LIB_OBJS) -o $@ \
		$(LDLIBS) -lcmocka

$(BUILD)/tests/bpf_%: tests/bpf/%.c tests/bpf/helpers.h $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS) -lcmocka -lpthread

# The parsers, the untrusted-bytes cleaning they call, the label escaper,
# the pin record (fuzz_untrusted.c also checks what json-c makes of it) and
# the shell quoting of suggested commands (sources.c: the record names a source).
FUZZ_LIB_SRCS := user/kernel/procfs.c user/base/untrusted.c user/export/export_text.c \
	user/act/pin_record.c user/base/shquote.c user/kernel/sysstate.c user/kernel/cgroup.c \
	user/export/export_cgroup.c user/kernel/pmu.c user/kernel/privs.c \
	user/collect/sources.c

# Compiled once for every target (fuzzer-no-link: instrumented, no main),
# each target then one file and a link: the fuzz smoke's build was half of
# its 111 s.
FUZZ_CFLAGS := -g -O1 -D_GNU_SOURCE $(USER_INCLUDES) -Ibpf
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(BUILD)/fuzz/lib/%.o,$(FUZZ_LIB_SRCS))

$(BUILD)/fuzz/lib/%.o: user/%.c $(USER_HDRS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/model.h $(FUZZ_LIB_OBJS) $(USER_HDRS) | $(BUILD)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_LIB_OBJS) -o $@ \
		-ljson-c -lm

deps:
	$(Q)tests/deps.sh

# The README's first command: build what is missing, then diagnose this machine.
diagnose:
	$(Q)tests/deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BUILD)/numalens diagnose $(ARGS)

unit-test: $(TEST_BINS)
	$(Q)tests/run-unit.sh $(TEST_BINS)

bpf-test: all $(BPF_TEST_BINS)
	$(Q)tests/run-unit.sh $(BPF_TEST_BINS)

cli-test: all
	$(Q)tests/cli/run.sh

# The counting of the suites themselves (tests/results-lib.sh, run-unit.sh, run-all.sh).
results-test: $(BUILD)/tests/test_export_advice
	$(Q)tests/results-test.sh $<

vm-test: all $(BUILD)/tests/bpf_test_cputime $(BUILD)/tests/bpf_test_synth
	$(Q)tests/vm/run.sh

# A few seconds each, one target per CPU at a time (tests/fuzz/run.sh), so
# the smoke of every target stays a small part of make test's budget: 11
# targets at 4 s one after the other took 58-74 s with their start-up and
# build. make fuzz runs each for FUZZ_SECONDS.
FUZZ_SMOKE_SECONDS := 4
fuzz-smoke: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run-all.sh

# The benchmarks: the empty programs to compare with, on sched_switch, on
# perf_event and of type syscall (each built like bpf/, with its own
# skeleton, bench_NAME),
# and the programs that measure.
BENCH_BINS := $(BUILD)/bench/cost $(BUILD)/bench/sample $(BUILD)/bench/read \
	$(BUILD)/bench/refresh $(BUILD)/bench/synth
BENCH_SKELS := $(BUILD)/bench/empty.skel.h $(BUILD)/bench/empty_perf.skel.h \
	$(BUILD)/bench/empty_syscall.skel.h

$(BUILD)/bench:
	$(Q)mkdir -p $@

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(VMLINUX_DIR)/vmlinux.h | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_SKELS): $(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bench_$* > $@

# What the benchmarks share (bench/bench.h), linked into each.
$(BUILD)/bench/bench.o: bench/bench.c bench/bench.h | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c bench/bench.h $(BUILD)/bench/bench.o $(BENCH_SKELS) \
		$(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/bench $< $(BUILD)/bench/bench.o $(LIB_OBJS) -o $@ $(LDLIBS) \
		-lpthread

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/run.sh

# The layers of user/ (tests/check-layers.sh): run by make test (static-test).
check-layers:
	$(Q)tests/check-layers.sh

# What is checked without running anything: the layers and the format.
static-test:
	$(Q)tests/static.sh

check-format:
	$(Q)clang-format --dry-run -Werror bpf/*.c bpf/*.h user/*/*.c user/*/*.h tests/*/*.c

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h user/*/*.c user/*/*.h tests/*/*.c

clean:
	$(Q)rm -rf $(BUILD)

# The host stages of make test while stress-ng keeps every CPU busy: the
# suite must hold on a loaded machine (the VM stage is make test's).
.PHONY: test-load
test-load: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run-load.sh

# The live view (make tui-test): its screens from hand-made snapshots, then
# numatop-lite itself in tmux at 80x24 and 200x50, and its batch mode.
.PHONY: tui-test
TUI_TEST_BINS := $(BUILD)/tests/tui_test_top_view

$(BUILD)/tests/tui_%: tests/tui/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

tui-test: all $(TUI_TEST_BINS)
	$(Q)tests/tui/run.sh $(TUI_TEST_BINS)

# The Prometheus exporter (make export-test): promtool, a real Prometheus
# scraping it, dashboards and rules against its output, textfile atomicity,
# bad requests, cardinality, capabilities. Unit tests: tests/unit/test_export*.c.
.PHONY: export-test
export-test: all
	$(Q)tests/export/run.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary and its numatop-lite
# link, the man pages, the bash completion (numatop-lite's a link to it), the
# exporter's systemd unit (its ExecStart= lines point at the installed binary;
# installed, not enabled), the dashboards and the alerting rules under
# share/numalens. The Debian package installs this with PREFIX=/usr.
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/numalens
MANDIR := $(PREFIX)/share/man
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
.PHONY: install
install: $(BUILD)/numalens $(MAN_PAGES)
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)/dashboards \
		$(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR)
	$(Q)install -m 755 $(BUILD)/numalens $(DESTDIR)$(BINDIR)/numalens
	$(Q)ln -sf numalens $(DESTDIR)$(BINDIR)/numatop-lite
	$(Q)install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 644 deploy/bash-completion/numalens $(DESTDIR)$(COMPLETIONDIR)/numalens
	$(Q)ln -sf numalens $(DESTDIR)$(COMPLETIONDIR)/numatop-lite
	$(Q)sed 's|/usr/local/bin/numalens|$(BINDIR)/numalens|g' deploy/numalens-exporter.service \
		>$(DESTDIR)$(UNITDIR)/numalens-exporter.service
	$(Q)chmod 644 $(DESTDIR)$(UNITDIR)/numalens-exporter.service
	$(Q)install -m 644 dashboards/numalens.json $(DESTDIR)$(DATADIR)/dashboards/
	$(Q)install -m 644 dashboards/numalens-alerts.yml dashboards/numalens-recording.yml \
		$(DESTDIR)$(DATADIR)/rules/

# make image: the exporter's container image, FROM scratch (deploy/Dockerfile):
# the binary and exactly the shared libraries it loads (deploy/image-root.sh),
# about 12 MB, built with podman from build/image/root, no registry needed.
# make image-archive saves it to build/numalens-image.tar (docker-archive) for
# nodes without a registry: ctr -n k8s.io images import, docker load, kind
# load image-archive. deploy/kubernetes/numalens-exporter.yaml names $(IMAGE).
PODMAN ?= podman
IMAGE ?= localhost/numalens:latest
# The last commit's time in the image and its files: the same binary makes the
# same image (id), and a rebuild leaves no untagged copy behind.
IMAGE_TIME := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
.PHONY: image image-archive
image: $(BUILD)/numalens
	$(call msg,IMAGE,$(IMAGE))
	$(Q)deploy/image-root.sh $(BUILD)/numalens $(BUILD)/image/root
	$(Q)$(PODMAN) build --quiet --layers=false --timestamp $(IMAGE_TIME) --file deploy/Dockerfile \
		--build-arg VERSION=$(VERSION) --tag $(IMAGE) $(BUILD)/image/root >/dev/null
IMAGE_ARCHIVE ?= $(BUILD)/numalens-image.tar
image-archive: image
	$(call msg,SAVE,$(IMAGE_ARCHIVE))
	$(Q)rm -f $(IMAGE_ARCHIVE)
	$(Q)$(PODMAN) save --quiet --format docker-archive --output $(IMAGE_ARCHIVE) $(IMAGE)

# make deb: the Debian package (debian/), built with debhelper from a copy
# of the tree's files in build/deb/src so that dpkg-buildpackage writes
# build/deb/numalens_VERSION_ARCH.deb and leaves the tree alone. Its version
# orders by the commit's date and names the commit (numalens --version).
# The BPF objects (bytecode, whatever the C flags) come from build/, newer
# than their copied sources, so only the loader is compiled again.
DEB_DIR := $(BUILD)/deb
DEB_VERSION = 0.1+git$(shell git log -1 --format=%cd --date=format:%Y%m%d%H%M%S 2>/dev/null).$(subst -,.,$(VERSION))
.PHONY: deb
deb: $(BUILD)/numalens.skel.h
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	$(Q)git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $(DEB_DIR)/src
	$(Q)mkdir -p $(DEB_DIR)/src/$(BUILD) && cp -pr $(BUILD)/bpf $(BUILD)/numalens.bpf.o \
		$(BUILD)/numalens.skel.h $(DEB_DIR)/src/$(BUILD)/
	$(Q)sed -i '1s/(.*)/($(DEB_VERSION))/' $(DEB_DIR)/src/debian/changelog
	$(Q)cd $(DEB_DIR)/src && NUMALENS_VERSION='$(VERSION)' dpkg-buildpackage -b -nc --no-sign \
		$(if $(V),,>../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; })
	$(Q)rm -rf $(DEB_DIR)/src
	$(Q)ls $(DEB_DIR)/*.deb

# numalens as it ships (make test-deploy, tests/deploy/t-*.sh): install, man
# pages, the Debian package, the container image, the systemd unit, the
# Kubernetes manifests. make test runs it; NUMALENS_DEPLOY_ONLY=NAME runs one.
.PHONY: test-deploy
test-deploy: all
	$(Q)tests/deploy/run.sh

# numalens pin and unpin on the host (make pin-test): dry run, pin --apply and
# unpin of a multi-threaded process, every refusal. Needs root.
.PHONY: pin-test
pin-test: all
	$(Q)tests/pin/run.sh
