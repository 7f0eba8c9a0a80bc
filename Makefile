# pathdiag - MTU and path diagnostics.  Plain GNU make; `make help` lists
# the targets.  Sources are found by wildcard: a new lib/src/*.c joins the
# library, a new tests/unit/test_*.c becomes a test binary, a new
# tools/NAME/*.c joins tool NAME, a new tests/fuzz/fuzz_*.c a fuzz target.

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
SOVERSION := 0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# Tools that open raw sockets get file capabilities at install (never setuid):
# mtuprobe (TCP and ICMP probes where ping sockets are not allowed), nattrace
# (hop-limited probes, ICMP errors) and tunsniff (live capture, -i).  Reading
# files needs none; nattrace conntrack/watch need CAP_NET_ADMIN, which is not
# granted (run them as root).  SETCAP=0 skips it.
SETCAP ?= 1
CAP_TOOLS := mtuprobe nattrace tunsniff
DESTDIR ?=

CC ?= cc
BUILD ?= build
CFLAGS ?= -O2 -g
# CI (CI=true) and `make WERROR=1` turn warnings into errors.
ifneq ($(filter true 1,$(CI) $(WERROR)),)
  WERRFLAG := -Werror
endif
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
	-Wno-missing-field-initializers
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
ifeq ($(SAN),1)
  CFLAGS += $(SAN_FLAGS)
  LDFLAGS += $(SAN_FLAGS)
endif

# Link-time optimisation: the per-packet path of tunsniff -r crosses the
# capture, fast-path and analysis modules, which LTO inlines into one loop
# (bench/tunsniff-bench.sh).  LTO=0 turns it off; never with SAN=1.
LTO ?= 1
ifeq ($(LTO)$(SAN),1)
  LTO_FLAGS := -flto=auto
  LDFLAGS += $(LTO_FLAGS)
endif

PKGS := libpcap libmnl jansson
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcap -lmnl -ljansson)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DPD_VERSION='"$(VERSION)"' -fPIC \
	-Ilib/include -Ilib/src -Itools/common $(WARN) $(WERRFLAG) $(PKG_CFLAGS) $(CFLAGS) \
	$(LTO_FLAGS) -MMD -MP

ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-7s %s\n' $(1) $(2);
endif

LIB_SRC := $(sort $(wildcard lib/src/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A := $(BUILD)/libpathdiag.a
LIB_SO := $(BUILD)/libpathdiag.so.$(SOVERSION)

TOOLS := mtuprobe tunsniff nattrace
TOOL_BINS := $(TOOLS:%=$(BUILD)/%)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Helpers shared by the unit tests (pcap writers, fixtures), not tests.
TESTLIB_SRC := $(sort $(wildcard tests/common/*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
CONF_BIN := $(BUILD)/tests/conformance
# Test drivers (tests/tools/NAME.c -> $(BUILD)/NAME), see their rule below.
TESTTOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/%,$(wildcard tests/tools/*.c))
CONF_SRC := $(sort $(wildcard tests/conformance/*.c))

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_RUNS ?= 20000

CAPTURES ?= ../shared/captures

.PHONY: FORCE all lib tools tests check unit unit-san conformance cli monitoring lab-check install-check \
	fuzz fuzz-build fuzz-smoke bench demo deps install uninstall clean help \
	lint schema-check check-configs

all: lib tools

lib: $(LIB_A) $(LIB_SO) $(BUILD)/libpathdiag.pc
tools: $(TOOL_BINS)
tests: $(UNIT_BINS) $(CONF_BIN) $(TESTTOOL_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Objects that embed PD_VERSION are rebuilt when it changes (the stamp is
# rewritten only when the version differs).
VERSION_STAMP := $(BUILD)/.version
$(VERSION_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
FORCE:
$(BUILD)/lib/src/responder.o $(BUILD)/tools/common/cli.o \
	$(BUILD)/tools/common/render_json.o: $(VERSION_STAMP)

$(LIB_A): $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@; ar rcs $@ $^

# Exports: every pd_* symbol, nothing else (lib/libpathdiag.map).
$(LIB_SO): $(LIB_OBJ) lib/libpathdiag.map
	$(call say,LD,$@)$(CC) -shared -Wl,-soname,libpathdiag.so.$(SOVERSION) \
		-Wl,--version-script=lib/libpathdiag.map $(LDFLAGS) -o $@ \
		$(LIB_OBJ) $(PKG_LIBS)
	@ln -sf libpathdiag.so.$(SOVERSION) $(BUILD)/libpathdiag.so

$(BUILD)/libpathdiag.pc: lib/libpathdiag.pc.in Makefile
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Each tool is every .c under tools/NAME/ linked with the static library.
# Keep intermediate objects (test .o files) between runs.
.SECONDARY:
.SECONDEXPANSION:
# tools/common/*.c (option parsing, error printing, output) joins every tool.
TOOLCOMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/common/*.c))
$(TOOL_BINS): $(BUILD)/%: $$(addprefix $(BUILD)/,$$(addsuffix .o,$$(basename $$(wildcard tools/$$*/*.c)))) $(TOOLCOMMON_OBJ) $(LIB_A)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(TESTLIB_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(PKG_LIBS) -lm

# The binary is $(BUILD)/tests/conformance, so its objects cannot live in a
# directory of that name.
CONF_OBJ := $(CONF_SRC:tests/conformance/%.c=$(BUILD)/tests/conformance.o/%.o)
$(BUILD)/tests/conformance.o/%.o: tests/conformance/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(CONF_BIN): $(CONF_OBJ) $(TESTLIB_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Test drivers in tests/tools/: gencap (synthetic captures, encode-tshark.sh,
# benchmarks), peertest, probetest and nlquery (the lab's responder, prober
# and netlink tests), pd-delayq (the lab's delay stage, lab_delay), pd-flood
# (serve-flood-tests.sh).  Each links its one source with the test helpers.
$(TESTTOOL_BINS): $(BUILD)/%: $(BUILD)/tests/tools/%.o $(TESTLIB_OBJ) $(LIB_A)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# ---- tests -------------------------------------------------------------
# `make check`: dependencies, the gcc and clang builds with warnings as
# errors, unit tests plain and under ASan+UBSan, conformance against tshark
# (shared captures, generated scenarios, encoders), CLI black-box tests, an
# install into a staging DESTDIR, a fuzz smoke run, then the namespace lab.
check: deps
	$(MAKE) WERROR=1 all tests
	$(MAKE) CC=clang BUILD=build/clang WERROR=1 all tests
	$(MAKE) unit
	$(MAKE) BUILD=build/san SAN=1 WERROR=1 unit
	$(MAKE) conformance
	$(MAKE) BUILD=build/san SAN=1 WERROR=1 conformance
	$(MAKE) cli
	$(MAKE) check-configs
	$(MAKE) monitoring
	$(MAKE) install-check
	$(MAKE) fuzz-smoke
	$(MAKE) lab-check
	@echo "make check: all stages passed"

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

conformance: $(CONF_BIN) $(BUILD)/gencap $(BUILD)/floodcap $(BUILD)/tunsniff $(BUILD)/mtuprobe
	$(CONF_BIN) $(CAPTURES)
	@sh tests/conformance-gen.sh $(BUILD)
	@sh tests/encode-tshark.sh $(BUILD)
	@sh tests/tunsniff-captures.sh $(BUILD) $(CAPTURES)
	@sh tests/tunsniff-gen.sh $(BUILD)
	@sh tests/tunsniff-flood.sh $(BUILD)
	@bash tests/schema-tests.sh $(BUILD) offline

cli: all
	@sh tests/cli/run.sh $(BUILD)
	@sh tests/capfaults-offline.sh $(BUILD) $(CAPTURES)
	@bash tests/completion-check.sh $(BUILD)

# `mtuprobe check` against the wg-quick fixtures in tests/configs/ (SARIF schema too).
check-configs: all
	@sh tests/check-tests.sh $(BUILD)

install-check: all
	@sh tests/install-check.sh $(BUILD)

# --format prometheus / nagios from real runs on the shared captures (no network);
# the lab half runs in lab-check.
monitoring: all
	@CAPTURES=$(CAPTURES) sh tests/monitoring-tests.sh $(BUILD) offline

lab-check: all tests
	@sh tests/lab/run-tests.sh $(BUILD)
	@sh tests/lab/probe-tests.sh $(BUILD)
	@sh tests/lab/peer-tests.sh $(BUILD)
	@sh tests/lab/serve-flood-tests.sh $(BUILD)
	@sh tests/lab/mtuprobe-tests.sh $(BUILD)
	@sh tests/lab/spoof-tests.sh $(BUILD)
	@sh tests/lab/netlink-tests.sh $(BUILD)
	@sh tests/lab/tunnel-tests.sh $(BUILD)
	@sh tests/lab/correlate-tests.sh $(BUILD)
	@sh tests/lab/tunsniff-tests.sh $(BUILD)
	@sh tests/lab/faults-tests.sh $(BUILD)
	@sh tests/lab/nattrace-path-tests.sh $(BUILD)
	@sh tests/lab/ct-tests.sh $(BUILD)
	@sh tests/lab/nattrace-flow-tests.sh $(BUILD)
	@sh tests/lab/nattrace-peer-tests.sh $(BUILD)
	@sh tests/lab/privs-tests.sh $(BUILD)
	@sh tests/lab/nattrace-ct-tests.sh $(BUILD)
	@bash tests/schema-tests.sh $(BUILD) lab
	@sh tests/monitoring-tests.sh $(BUILD) lab

# JSON output against docs/schema/ alone: offline part, then (root) the lab part.
schema-check: all $(BUILD)/gencap
	@bash tests/schema-tests.sh $(BUILD) offline
	@bash tests/schema-tests.sh $(BUILD) lab

# ---- fuzzing (clang libFuzzer, ASan+UBSan) -------------------------------
FUZZ_CC ?= clang
# Small pcapfast/readahead buffers: inputs of a few KB reach the reading
# thread and wrap its ring (lib/src/readahead.h, tests/fuzz/fuzz_capfile.c).
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ilib/include -Ilib/src \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-DPCAPFAST_BUF=512 -DREADAHEAD_MIN_FILE=1024 -DREADAHEAD_BLK=512 -DREADAHEAD_NBLK=4 \
	$(PKG_CFLAGS)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(wildcard lib/src/*.h lib/include/pathdiag/*.h)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

# Seeds are cut from the real captures by tests/fuzz/seedgen.c (run.sh builds
# and runs it); minimised corpora are kept
# in tests/fuzz/corpus/NAME.
fuzz: fuzz-build
	@sh tests/fuzz/run.sh long $(FUZZ_SECONDS) $(CAPTURES) $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh smoke $(FUZZ_SMOKE_RUNS) $(CAPTURES) $(FUZZ_BINS)

# ---- lab, demo, bench ----------------------------------------------------
demo: deps all
	@sh tests/lab/demo.sh $(BUILD)

BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
$(BENCH_BINS): $(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB_A)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

bench: deps all $(BENCH_BINS) $(BUILD)/gencap $(BUILD)/pd-delayq $(BUILD)/ctquery $(BUILD)/ctfill
	@sh bench/run.sh $(BUILD)

# ---- set-up ----------------------------------------------------------------
deps:
	@sh scripts/deps.sh

# ---- install -----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/pathdiag $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libpathdiag.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libpathdiag.so
	install -m 644 lib/include/pathdiag/*.h $(DESTDIR)$(INCLUDEDIR)/pathdiag/
	# Written here, not at build time, so that PREFIX given to install counts.
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		lib/libpathdiag.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libpathdiag.pc
	for m in docs/*.1; do [ -f "$$m" ] && install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man1/ || true; done
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 644 contrib/bash-completion/pathdiag $(DESTDIR)$(COMPLETIONDIR)/mtuprobe
	ln -sf mtuprobe $(DESTDIR)$(COMPLETIONDIR)/tunsniff
	ln -sf mtuprobe $(DESTDIR)$(COMPLETIONDIR)/nattrace
	@sh scripts/install-caps.sh "$(SETCAP)" "$(DESTDIR)" $(CAP_TOOLS:%=$(DESTDIR)$(BINDIR)/%)

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) \
		$(DESTDIR)$(LIBDIR)/libpathdiag.a $(DESTDIR)$(LIBDIR)/libpathdiag.so* \
		$(DESTDIR)$(PKGCONFIGDIR)/libpathdiag.pc $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
		$(TOOLS:%=$(DESTDIR)$(COMPLETIONDIR)/%)
	rm -rf $(DESTDIR)$(INCLUDEDIR)/pathdiag

clean:
	rm -rf build

help:
	@echo "targets: all lib tools tests check unit conformance cli lab-check schema-check"
	@echo "         fuzz fuzz-smoke bench demo deps install uninstall clean"
	@echo "vars:    V=1 (verbose) WERROR=1 SAN=1 BUILD=dir PREFIX DESTDIR SETCAP=0 COMPLETIONDIR"
	@echo "         FUZZ_SECONDS (per target, make fuzz) CAPTURES=dir LTO=0 (no link-time opt.)"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
