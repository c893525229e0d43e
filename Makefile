# qpayd: `make` builds bin/qpayd and bin/qpayd-executor; `make check` runs every
# test; `make demo` walks through a real flow. Both install what is missing first.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

WARN     := -std=c17 -Wall -Wextra -Werror
CPPFLAGS := -D_GNU_SOURCE -DQPAYD_VERSION='"$(VERSION)"' -Icommon -Ibuild/gen -I/usr/include/postgresql
CFLAGS   ?= -O2 -g
LIBS     := -levent -levent_pthreads -lpq -lcjson -lcurl -linih -lsodium -lqrencode -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

COMMON_SRC := $(sort $(wildcard common/*.c))
# The migrations compiled in (sql/embed.sh): only qpayd applies them.
API_SRC    := $(sort $(filter-out api/main.c,$(wildcard api/*.c))) build/gen/sql_embed.c
EXEC_SRC   := $(sort $(filter-out executor/main.c,$(wildcard executor/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
SQL_FILES  := $(sort $(wildcard sql/*.sql))
HEADERS    := $(wildcard common/*.h api/*.h executor/*.h)

# Two builds of the same sources: optimised (build/rel) and sanitised (build/san).
obj = $(patsubst %.c,build/$(1)/%.o,$(patsubst build/gen/%,gen/%,$(2)))

DEBIAN_BUILD := gcc make libc6-dev libevent-dev libpq-dev libcjson-dev libcurl4-openssl-dev \
                libinih-dev libsodium-dev libqrencode-dev
# clang and libclang-rt-14-dev (libclang_rt.fuzzer) build the fuzz harnesses only;
# chromium, chromium-driver and python3-selenium run the browser tests
# (tests/blackbox/browser.py).
DEBIAN_TEST  := libcmocka-dev python3 python3-pytest python3-psycopg2 postgresql curl procps \
                clang libclang-rt-14-dev chromium chromium-driver python3-selenium
DEBIAN_PKGS  := $(DEBIAN_BUILD) $(DEBIAN_TEST)

# A third build for fuzzing (tests/fuzz/, docs/fuzzing.md): clang's libFuzzer with
# ASan and UBSan in build/fuzz. A test tool only: `make` and `make all` never use it.
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined
FUZZ_NAMES  := $(sort $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c)))
FUZZ_BINS   := $(patsubst %,build/fuzz/bin/%,$(FUZZ_NAMES))
FUZZ_LIBS   := build/fuzz/libapi.a build/fuzz/libexecutor.a build/fuzz/libcommon.a
# make fuzz: seconds per harness; make check / fuzz-check: the short run per harness.
FUZZ_SECONDS       ?= 60
FUZZ_CHECK_SECONDS ?= 20
export FUZZ_SECONDS FUZZ_CHECK_SECONDS

.PHONY: all check unit blackbox demo deps install clean format fuzz fuzz-check
all: bin/qpayd bin/qpayd-executor

build/gen/sql_embed.c: sql/embed.sh $(SQL_FILES)
	@mkdir -p $(@D)
	sh sql/embed.sh sql > $@.tmp && mv $@.tmp $@

define build_rules
build/$(1)/%.o: %.c $$(HEADERS) build/gen/sql_embed.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(WARN) $$(CFLAGS) $(2) -c $$< -o $$@
build/$(1)/gen/%.o: build/gen/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -Iapi $$(WARN) $$(CFLAGS) $(2) -c $$< -o $$@
build/$(1)/libcommon.a: $(call obj,$(1),$(COMMON_SRC))
	rm -f $$@ && ar rcs $$@ $$^
build/$(1)/libapi.a: $(call obj,$(1),$(API_SRC))
	rm -f $$@ && ar rcs $$@ $$^
build/$(1)/libexecutor.a: $(call obj,$(1),$(EXEC_SRC))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
build/$(1)/tests/%: tests/unit/%.c build/$(1)/libapi.a build/$(1)/libexecutor.a build/$(1)/libcommon.a
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) -Iapi -Iexecutor $$(WARN) $$(CFLAGS) $(2) $$< -o $$@ \
		build/$(1)/libapi.a build/$(1)/libexecutor.a build/$(1)/libcommon.a $$(LIBS) -lcmocka
endef
$(eval $(call build_rules,rel,))
$(eval $(call build_rules,san,$(SAN) -O1))

# The project's sources get coverage instrumentation only (fuzzer-no-link); the
# harness links libFuzzer's main.
build/fuzz/%.o: %.c $(HEADERS) build/gen/sql_embed.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Iapi $(WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/libcommon.a: $(call obj,fuzz,$(COMMON_SRC))
	rm -f $@ && ar rcs $@ $^
build/fuzz/libapi.a: $(call obj,fuzz,$(API_SRC))
	rm -f $@ && ar rcs $@ $^
build/fuzz/libexecutor.a: $(call obj,fuzz,$(EXEC_SRC))
	rm -f $@ && ar rcs $@ $^
build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Iapi -Iexecutor $(WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ \
		$(FUZZ_LIBS) $(LIBS)

bin/qpayd: build/rel/api/main.o build/rel/libapi.a build/rel/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)
bin/qpayd-executor: build/rel/executor/main.o build/rel/libexecutor.a build/rel/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)
# Sanitised daemons, used by the black-box tests.
build/san/bin/qpayd: build/san/api/main.o build/san/libapi.a build/san/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $^ -o $@ $(LIBS)
build/san/bin/qpayd-executor: build/san/executor/main.o build/san/libexecutor.a build/san/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $^ -o $@ $(LIBS)

UNIT_REL := $(patsubst tests/unit/%.c,build/rel/tests/%,$(UNIT_SRC))
UNIT_SAN := $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRC))

deps:
	@sh tests/deps.sh $(DEBIAN_PKGS)

# Each step is a separate make so that `deps` has run before anything compiles.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all build/san/bin/qpayd build/san/bin/qpayd-executor $(UNIT_REL) $(UNIT_SAN) \
		$(FUZZ_BINS)
	@sh tests/run.sh

# Each harness for FUZZ_SECONDS; what it finds is added to tests/fuzz/corpus/<name>/.
fuzz: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh fuzz $(FUZZ_NAMES)
# Each corpus once, then FUZZ_CHECK_SECONDS of fuzzing on a copy: the part of `make check`.
fuzz-check: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh check $(FUZZ_NAMES)

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/qpayd/sql \
		$(DESTDIR)$(PREFIX)/share/qpayd/examples $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 bin/qpayd bin/qpayd-executor $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(SQL_FILES) $(DESTDIR)$(PREFIX)/share/qpayd/sql/
	install -m 0644 deploy/*.toml deploy/*.conf $(DESTDIR)$(PREFIX)/share/qpayd/examples/
	install -m 0644 deploy/*.service $(DESTDIR)$(PREFIX)/lib/systemd/system/

clean:
	rm -rf bin build

format:
	clang-format -i common/*.[ch] api/*.[ch] executor/*.[ch] tests/unit/*.c tests/fuzz/*.[ch]
