# svod: single view of debt. `make demo` and `make test` work on a fresh
# Debian 12 machine as root: `deps` installs what is missing first.

PKGS     := libxml-2.0 libpq libcrypto libxxhash inih libutf8proc jansson
DEBS     := build-essential pkg-config clang libcsv-dev libxml2-dev \
            libxml2-utils libpq-dev libssl-dev libxxhash-dev libcmocka-dev \
            libinih-dev libutf8proc-dev libjansson-dev postgresql \
            postgresql-15-pgtap hyperfine valgrind time python3
BUILD    ?= build
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lcsv -lm
SCHEMA_DIR ?= $(CURDIR)/schemas/feeds
CPPFLAGS += -DSVOD_SCHEMA_DIR='"$(SCHEMA_DIR)"'
SCHEMA_SQL_DIR ?= $(CURDIR)/schemas
CPPFLAGS += -DSVOD_SQL_DIR='"$(SCHEMA_SQL_DIR)"'
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(CPPFLAGS)
PREFIX   ?= /usr/local
DESTDIR  ?=
FUZZ_SECONDS ?= 60
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIB_SRC   := $(sort $(wildcard etl/*.c matchers/*.c))
JOBS_SRC  := $(sort $(wildcard jobs/*.c))
SYNTH_SRC := $(sort $(wildcard fixtures/synth/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
JOBS_OBJ  := $(JOBS_SRC:%.c=$(BUILD)/%.o)
SYNTH_OBJ := $(SYNTH_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check check-build test demo demo-stop audit asan fuzz bench \
        install clean fmt need-pkgs FORCE
all: $(BUILD)/svod $(BUILD)/svod-synth

# Install the missing Debian packages (needs root; apt-get update first).
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "deps: run as root, or: apt-get install$$missing" >&2; \
	    exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $$missing; fi

# Name the Debian package behind a missing pkg-config module.
need-pkgs:
	@for m in $(PKGS); do pkg-config --exists $$m || { \
	  echo "missing pkg-config module '$$m': run 'make deps'" \
	    "(Debian: libxml2-dev libpq-dev libssl-dev libxxhash-dev" \
	    "libinih-dev libutf8proc-dev libjansson-dev)" >&2; exit 1; }; done
	@test -f /usr/include/csv.h || { echo "missing libcsv: install" \
	  "libcsv-dev ('make deps')" >&2; exit 1; }

# The quick subset: unit tests and the command-line tests, no database.
# Runs in a sub-make so that pkg-config sees packages 'deps' installed.
check: deps
	@$(MAKE) --no-print-directory need-pkgs check-build
	@sh tests/run.sh --no-db $(BUILD)

check-build: all $(UNIT_BIN)

# Everything. Ends with the line "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory need-pkgs check-build
	@sh tests/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory need-pkgs all
	@sh jobs/demo.sh $(BUILD)

# Run the nightly job on the committed borough and compare the published
# tables with the committed expected digests and dumps.
audit: deps
	@$(MAKE) --no-print-directory need-pkgs all
	@sh tests/e2e/audit.sh $(BUILD)

# Stop the demo's private PostgreSQL server (var/pg).
demo-stop:
	@sh tests/db/pg.sh stop var/pg

asan: deps
	@$(MAKE) --no-print-directory need-pkgs
	@$(MAKE) --no-print-directory BUILD=build/asan CC=clang \
	  CFLAGS="-O1 -g $(SAN)" check-build
	@ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  READERS_LOCK_MS=250 sh tests/run.sh build/asan

fuzz: deps
	@$(MAKE) --no-print-directory need-pkgs
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory need-pkgs all
	@sh tests/bench/bench.sh $(BUILD)

install: deps
	@$(MAKE) --no-print-directory need-pkgs
	@$(MAKE) --no-print-directory BUILD=build/install \
	  SCHEMA_DIR=$(PREFIX)/share/svod/schemas/feeds \
	  SCHEMA_SQL_DIR=$(PREFIX)/share/svod/schemas build/install/svod
	install -d $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/svod/schemas/feeds
	$(if $(wildcard schemas/[0-9][0-9][0-9]_*.sql),install -m 0644 \
	  $(wildcard schemas/[0-9][0-9][0-9]_*.sql) \
	  $(DESTDIR)$(PREFIX)/share/svod/schemas/)
	install -m 0755 build/install/svod $(DESTDIR)$(PREFIX)/bin/svod
	install -m 0644 schemas/feeds/*.xsd schemas/feeds/*.md \
	  $(DESTDIR)$(PREFIX)/share/svod/schemas/feeds/
	install -m 0644 jobs/svod.example.ini \
	  $(DESTDIR)$(PREFIX)/share/svod/svod.example.ini
	install -d $(DESTDIR)$(PREFIX)/share/svod/systemd
	install -m 0644 jobs/systemd/svod-nightly.service \
	  jobs/systemd/svod-nightly.timer jobs/svod.cron \
	  $(DESTDIR)$(PREFIX)/share/svod/systemd/

fmt:
	clang-format -i etl/*.[ch] matchers/*.[ch] jobs/*.[ch]

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DSVOD_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

$(BUILD)/.flags: FORCE
	@mkdir -p $(@D); echo '$(ALL_CFLAGS) $(LDLIBS)' | cmp -s - $@ || \
	  echo '$(ALL_CFLAGS) $(LDLIBS)' > $@
FORCE:

$(BUILD)/libsvod.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/svod: $(JOBS_OBJ) $(BUILD)/libsvod.a
	$(CC) $(CFLAGS) -o $@ $(JOBS_OBJ) $(BUILD)/libsvod.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/svod-synth: $(SYNTH_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libsvod.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libsvod.a $(LDFLAGS) $(LDLIBS) -lcmocka

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
