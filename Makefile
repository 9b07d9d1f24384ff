# ddb-sync: GNU make build. `make`, `make test`, `make install PREFIX=...`.
# Switches: WERROR=1 (warnings are errors), SANITIZE=1 (ASan + UBSan).

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
CC        ?= cc
PKG_CONFIG ?= pkg-config
BUILD     ?= build

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wnull-dereference -Wvla -Wundef -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -DDDB_SYNC_VERSION='"$(VERSION)"' \
	-fno-strict-aliasing -pipe $(WARN) -MMD -MP
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   := $(BUILD)-san
endif

# The supervisor has no libcurl/OpenSSL/cJSON, the worker no libevent or
# libyaml (it gets its pair on argv; the YAML reader is libplanyaml.a).
SUP_PKGS    := libevent yaml-0.1
WORKER_PKGS := libcurl openssl libcjson zlib
TEST_PKGS   := cmocka

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1))

PLANYAML_SRC := common/plan_yaml.c
COMMON_SRC := $(filter-out $(PLANYAML_SRC),$(wildcard common/*.c)) \
	$(wildcard proto/*.c)
WORKER_SRC := $(filter-out worker/main.c,$(wildcard worker/*.c))
SUP_SRC    := $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
TOOL_SRC   := $(wildcard tools/*.c)
# Helpers shared by unit tests (fake loopback servers, fixtures).
TLIB_SRC   := $(wildcard tests/lib/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

COMMON_OBJ := $(call obj,$(COMMON_SRC))
WORKER_OBJ := $(call obj,$(WORKER_SRC))
SUP_OBJ    := $(call obj,$(SUP_SRC))
TLIB_OBJ   := $(call obj,$(TLIB_SRC))

BIN_SUP    := $(BUILD)/ddb-sync
BIN_WORKER := $(BUILD)/ddb-sync-worker
TOOLS      := $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_SRC))
UNITS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Programs the scenarios run (tests/fakes/*.c), built with the unit tests.
TESTBINS   := $(patsubst tests/fakes/%.c,$(BUILD)/%,$(wildcard tests/fakes/*.c))

# C benchmarks (bench/README.md); built with everything so they keep building.
BENCHES    := $(BUILD)/bench-spool-append

all: $(BIN_SUP) $(BIN_WORKER) $(TOOLS) $(BENCHES)

$(BUILD)/common/%.o: CPPFLAGS += -Icommon
$(BUILD)/common/plan_yaml.o: CPPFLAGS += $(call pc_cflags,yaml-0.1)
$(BUILD)/proto/%.o: CPPFLAGS += -Icommon -Iproto
$(BUILD)/worker/%.o: CPPFLAGS += -Icommon -Iproto -Iworker \
	$(call pc_cflags,$(WORKER_PKGS))
$(BUILD)/supervisor/%.o: CPPFLAGS += -Icommon -Iproto -Isupervisor \
	$(call pc_cflags,$(SUP_PKGS))
$(BUILD)/tools/%.o: CPPFLAGS += -Icommon -Iproto -Iworker \
	$(call pc_cflags,$(WORKER_PKGS))
$(BUILD)/bench/%.o: CPPFLAGS += -Icommon -Iproto -Iworker \
	$(call pc_cflags,$(WORKER_PKGS))
$(BUILD)/tests/%.o: CPPFLAGS += -Icommon -Iproto -Iworker -Isupervisor -Itests/lib \
	$(call pc_cflags,$(WORKER_PKGS) $(SUP_PKGS) $(TEST_PKGS))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libplanyaml.a: $(call obj,$(PLANYAML_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libworker.a: $(WORKER_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libsup.a: $(SUP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libtest.a: $(TLIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BIN_SUP): $(BUILD)/supervisor/main.o $(BUILD)/libsup.a \
    $(BUILD)/libplanyaml.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(SUP_PKGS)) -lm

$(BIN_WORKER): $(BUILD)/worker/main.o $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WORKER_PKGS)) -lm

$(BUILD)/%: $(BUILD)/tools/%.o $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WORKER_PKGS)) -lm

$(BUILD)/%: $(BUILD)/tests/fakes/%.o $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WORKER_PKGS)) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libtest.a \
    $(BUILD)/libsup.a $(BUILD)/libworker.a $(BUILD)/libplanyaml.a \
    $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WORKER_PKGS) $(SUP_PKGS) $(TEST_PKGS)) -lm

$(BUILD)/bench-spool-append: $(BUILD)/bench/spool_append.o \
    $(BUILD)/libworker.a $(BUILD)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WORKER_PKGS)) -lm

units: $(UNITS) $(TESTBINS)

# Unit tests only (fast, no DynamoDB Local): what SANITIZE=1 runs in CI.
unit: $(UNITS)
	@tests/run-units.sh $(UNITS)

# Everything: unit tests, then scenarios against fakes and DynamoDB Local.
test: all $(UNITS) $(TESTBINS)
	@BUILD=$(BUILD) tests/run-all.sh $(UNITS)

# The README's demo: DynamoDB Local, a filled table, a copy, a check.
demo: all
	@scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BIN_SUP) $(BIN_WORKER) $(DESTDIR)$(BINDIR)/
	@for t in $(TOOLS); do install -m 0755 $$t $(DESTDIR)$(BINDIR)/; done
	@if [ -f docs/ddb-sync.1 ]; then \
	    install -m 0644 docs/ddb-sync.1 $(DESTDIR)$(MANDIR)/man1/; fi

# libFuzzer targets for the decoders (clang): FUZZ_SECONDS per target.
fuzz:
	@tests/fuzz/run.sh

# Every C file of the project; .clang-format describes their style.
FMT_SRC := $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

format:
	@clang-format -i $(FMT_SRC)

# What CI runs: fails, naming the lines, if any file is not formatted.
format-check:
	@clang-format --dry-run -Werror $(FMT_SRC)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all units unit test demo install fuzz format format-check clean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
