# qpayd: `make` builds bin/qpayd and bin/qpayd-executor; `make check` runs every
# test; `make demo` walks through a real flow. Both install what is missing first.

CC      ?= cc
VERSION := 0.1.0

# Where `make install` puts things (docs/packaging.md). sysconfdir is /etc for
# PREFIX=/usr, as Debian has it; localstatedir stays /var whatever the prefix,
# because the executor unit's StateDirectory= is always under /var/lib.
PREFIX         ?= /usr/local
DESTDIR        ?=
bindir         ?= $(PREFIX)/bin
datadir        ?= $(PREFIX)/share
mandir         ?= $(datadir)/man
sysconfdir     ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
localstatedir  ?= /var
systemdunitdir ?= $(PREFIX)/lib/systemd/system

# CPPFLAGS, CFLAGS and LDFLAGS from the command line or the environment
# (dpkg-buildflags) are added to the project's own flags, never replace them.
# -Werror only where `make check` builds (WERROR=-Werror, and always in the
# sanitised and fuzz builds), so a newer compiler's warning never breaks a
# plain `make` or a package build.
WERROR   ?=
WARN     := -std=c17 -Wall -Wextra
QPAYD_CPPFLAGS := -D_GNU_SOURCE -DQPAYD_VERSION='"$(VERSION)"' -Icommon -Ibuild/gen \
                  -I/usr/include/postgresql
CPPFLAGS ?=
ALL_CPPFLAGS = $(QPAYD_CPPFLAGS) $(CPPFLAGS)
CFLAGS   ?= -O2 -g
LDFLAGS  ?=
LIBS     := -levent -levent_pthreads -lpq -lcjson -lcurl -linih -lsodium -lqrencode -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

COMMON_SRC := $(sort $(wildcard common/*.c))
# The migrations compiled in (sql/embed.sh): only qpayd applies them.
# The dashboard's files compiled in (web/embed.sh, api/static.c).
API_SRC    := $(sort $(filter-out api/main.c,$(wildcard api/*.c))) build/gen/sql_embed.c \
              build/gen/web_embed.c
WEB_FILES  := $(sort $(wildcard web/dashboard/*))
EXEC_SRC   := $(sort $(filter-out executor/main.c,$(wildcard executor/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
SQL_FILES  := $(sort $(wildcard sql/*.sql))
HEADERS    := $(wildcard common/*.h api/*.h executor/*.h)

# Two builds of the same sources: optimised (build/rel) and sanitised (build/san).
obj = $(patsubst %.c,build/$(1)/%.o,$(patsubst build/gen/%,gen/%,$(2)))

DEBIAN_BUILD := gcc make libc6-dev libevent-dev libpq-dev libcjson-dev libcurl4-openssl-dev \
                libinih-dev libsodium-dev libqrencode-dev
# scdoc builds the man pages (make man, install, deb); the rest builds and
# checks the Debian packages (make deb, tests/blackbox/test_deb.py,
# test_install.py).
DEBIAN_PACK  := scdoc man-db systemd debhelper dpkg-dev fakeroot lintian devscripts
# clang and libclang-rt-14-dev (libclang_rt.fuzzer) build the fuzz harnesses only;
# chromium, chromium-driver and python3-selenium run the browser tests
# (tests/blackbox/browser.py).
DEBIAN_TEST  := libcmocka-dev python3 python3-pytest python3-psycopg2 postgresql pgbouncer curl \
                procps clang libclang-rt-14-dev chromium chromium-driver python3-selenium \
                $(DEBIAN_PACK)
DEBIAN_TEST  += nginx openssl systemd # test_nginx.py, test_units.py (systemd-analyze)
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

.PHONY: all check unit blackbox demo deps install uninstall man deb clean format fuzz fuzz-check
all: bin/qpayd bin/qpayd-executor

build/gen/sql_embed.c: sql/embed.sh $(SQL_FILES)
	@mkdir -p $(@D)
	sh sql/embed.sh sql > $@.tmp && mv $@.tmp $@
	sh sql/embed.sh -h sql > build/gen/sql_schema.h.tmp && \
		mv build/gen/sql_schema.h.tmp build/gen/sql_schema.h

build/gen/web_embed.c: web/embed.sh $(WEB_FILES)
	@mkdir -p $(@D)
	sh web/embed.sh web/dashboard > $@.tmp && mv $@.tmp $@

define build_rules
build/$(1)/%.o: %.c $$(HEADERS) build/gen/sql_embed.c
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CPPFLAGS) $$(WARN) $$(CFLAGS) $(2) -c $$< -o $$@
build/$(1)/gen/%.o: build/gen/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CPPFLAGS) -Iapi $$(WARN) $$(CFLAGS) $(2) -c $$< -o $$@
build/$(1)/libcommon.a: $(call obj,$(1),$(COMMON_SRC))
	rm -f $$@ && ar rcs $$@ $$^
build/$(1)/libapi.a: $(call obj,$(1),$(API_SRC))
	rm -f $$@ && ar rcs $$@ $$^
build/$(1)/libexecutor.a: $(call obj,$(1),$(EXEC_SRC))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
build/$(1)/tests/%: tests/unit/%.c build/$(1)/libapi.a build/$(1)/libexecutor.a build/$(1)/libcommon.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CPPFLAGS) -Iapi -Iexecutor $$(WARN) $$(CFLAGS) $(2) $$(LDFLAGS) $$< -o $$@ \
		build/$(1)/libapi.a build/$(1)/libexecutor.a build/$(1)/libcommon.a $$(LIBS) -lcmocka
endef
$(eval $(call build_rules,rel,$(WERROR)))
$(eval $(call build_rules,san,$(SAN) -O1 -Werror))

# The project's sources get coverage instrumentation only (fuzzer-no-link); the
# harness links libFuzzer's main.
build/fuzz/%.o: %.c $(HEADERS) build/gen/sql_embed.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(WARN) -Werror $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) -Iapi $(WARN) -Werror $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/libcommon.a: $(call obj,fuzz,$(COMMON_SRC))
	rm -f $@ && ar rcs $@ $^
build/fuzz/libapi.a: $(call obj,fuzz,$(API_SRC))
	rm -f $@ && ar rcs $@ $^
build/fuzz/libexecutor.a: $(call obj,fuzz,$(EXEC_SRC))
	rm -f $@ && ar rcs $@ $^
build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) -Iapi -Iexecutor $(WARN) -Werror $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ \
		$(FUZZ_LIBS) $(LIBS)

bin/qpayd: build/rel/api/main.o build/rel/libapi.a build/rel/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LIBS)
bin/qpayd-executor: build/rel/executor/main.o build/rel/libexecutor.a build/rel/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LIBS)
# Sanitised daemons, used by the black-box tests.
build/san/bin/qpayd: build/san/api/main.o build/san/libapi.a build/san/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) $^ -o $@ $(LIBS)
build/san/bin/qpayd-executor: build/san/executor/main.o build/san/libexecutor.a build/san/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) $^ -o $@ $(LIBS)

UNIT_REL := $(patsubst tests/unit/%.c,build/rel/tests/%,$(UNIT_SRC))
UNIT_SAN := $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRC))

deps:
	@sh tests/deps.sh $(DEBIAN_PKGS)

# Each step is a separate make so that `deps` has run before anything compiles.
# The build inside check uses every core: it is a fifth of check's time on a
# fresh clone. `make check CHECK_JOBS=-j1` builds one file at a time.
CHECK_JOBS ?= -j$(shell nproc 2>/dev/null || echo 2)
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(CHECK_JOBS) WERROR=-Werror all man build/san/bin/qpayd \
		build/san/bin/qpayd-executor $(UNIT_REL) $(UNIT_SAN) $(FUZZ_BINS)
	@sh tests/run.sh

# Each harness for FUZZ_SECONDS; what it finds is added to tests/fuzz/corpus/<name>/.
fuzz: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh fuzz $(FUZZ_NAMES)
# Each corpus once, then FUZZ_CHECK_SECONDS of fuzzing on a copy: the part of `make check`.
fuzz-check: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh check $(FUZZ_NAMES)

# tests/blackbox/test_scaling.py at its full size: 1000 invoices, two qpayd
# (release binaries) and four executors (make check runs 200, sanitised).
.PHONY: scale-test
scale-test:
	@$(MAKE) --no-print-directory all
	QPAYD_BIN_DIR=bin /usr/bin/python3 -m pytest -q -s \
		-p no:cacheprovider tests/blackbox/test_scaling.py

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

# Man pages (man/*.scd, scdoc): qpayd(8), qpayd-executor(8), qpayd.toml(5).
MAN_PAGES := $(patsubst man/%.scd,build/man/%,$(wildcard man/*.scd))
build/man/%: man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@
man: $(MAN_PAGES)

# The units and examples of deploy/ name /usr/local/bin, /etc/qpayd and
# /var/lib/qpayd-executor; installed, they name where this install put things.
INSTALL_SED := -e 's|/usr/local/bin/|$(bindir)/|g' -e 's|/etc/qpayd/|$(sysconfdir)/qpayd/|g' \
               -e 's|/var/lib/qpayd-executor|$(localstatedir)/lib/qpayd-executor|g'
UNITS       := $(sort $(wildcard deploy/*.service))
EXAMPLES    := $(filter-out $(UNITS),$(sort $(shell find deploy -maxdepth 1 -type f)))
# What install puts, one list, so that uninstall removes exactly that.
INSTALLED   := $(bindir)/qpayd $(bindir)/qpayd-executor \
               $(patsubst sql/%,$(datadir)/qpayd/sql/%,$(SQL_FILES)) \
               $(patsubst deploy/%,$(datadir)/qpayd/examples/%,$(EXAMPLES)) \
               $(patsubst deploy/%,$(systemdunitdir)/%,$(UNITS)) \
               $(foreach m,$(MAN_PAGES),$(mandir)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))

install: all man
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(datadir)/qpayd/sql \
		$(DESTDIR)$(datadir)/qpayd/examples $(DESTDIR)$(systemdunitdir) \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8
	install -m 0755 bin/qpayd bin/qpayd-executor $(DESTDIR)$(bindir)/
	install -m 0644 $(SQL_FILES) $(DESTDIR)$(datadir)/qpayd/sql/
	for f in $(EXAMPLES); do \
		sed $(INSTALL_SED) $$f > $(DESTDIR)$(datadir)/qpayd/examples/$${f#deploy/} && \
		chmod 0644 $(DESTDIR)$(datadir)/qpayd/examples/$${f#deploy/} || exit 1; done
	for f in $(UNITS); do \
		sed $(INSTALL_SED) $$f > $(DESTDIR)$(systemdunitdir)/$${f#deploy/} && \
		chmod 0644 $(DESTDIR)$(systemdunitdir)/$${f#deploy/} || exit 1; done
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(mandir)/man5/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(mandir)/man8/

# The shared directories (bindir, mandir, ...) stay; qpayd's own go if empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(datadir)/qpayd/sql $(DESTDIR)$(datadir)/qpayd/examples \
		$(DESTDIR)$(datadir)/qpayd

clean:
	rm -rf bin build

format:
	clang-format -i common/*.[ch] api/*.[ch] executor/*.[ch] tests/unit/*.c tests/fuzz/*.[ch]

# Two Debian packages, qpayd and qpayd-executor (debian/, docs/packaging.md),
# built with dpkg-buildflags' hardening from a copy of the sources in
# build/deb/src (never from this tree's objects, built with other flags); the
# .debs (moved there only once lintian passed) and lintian's report land in
# build/deb/.
DEB_VERSION := $(VERSION)-1
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILES   := build/deb/qpayd_$(DEB_VERSION)_$(DEB_ARCH).deb \
               build/deb/qpayd-executor_$(DEB_VERSION)_$(DEB_ARCH).deb
# What the package build reads; a change elsewhere (docs, tests) keeps the .debs.
DEB_SOURCES := Makefile api common executor sql deploy man debian web
deb: $(firstword $(DEB_FILES))
$(firstword $(DEB_FILES)): $(shell find $(DEB_SOURCES) -type f 2>/dev/null)
	rm -rf build/deb && mkdir -p build/deb/src/qpayd-$(VERSION)
	tar -cf - $(DEB_SOURCES) | tar -xf - -C build/deb/src/qpayd-$(VERSION)
	cd build/deb/src/qpayd-$(VERSION) && dpkg-buildpackage -b -us -uc -j2 >../../build.log 2>&1 \
		|| { tail -40 ../../build.log; exit 1; }
	lintian --fail-on error $(patsubst build/deb/%,build/deb/src/%,$(DEB_FILES)) \
		> build/deb/lintian.log 2>&1 || { cat build/deb/lintian.log; exit 1; }
	cat build/deb/lintian.log
	mv build/deb/src/*.deb build/deb/src/*.buildinfo build/deb/src/*.changes build/deb/
	rm -rf build/deb/src
