# qmail-rs: make [build] | setup | check | test | run.  DESTDIR is passed through: with it,
# setup builds a package image (no users, no chown, no control files) and check compares
# only modes and types. setup and a check of the live tree must run as root.

CARGO ?= cargo
# `sudo make` resets PATH (and HOME) to root's: without a cargo there, use the toolchain of
# the user who ran sudo, as rustup installed it in ~/.cargo and ~/.rustup.
ifeq ($(CARGO),cargo)
ifeq ($(shell command -v cargo),)
SUDO_HOME := $(shell getent passwd "$(SUDO_USER)" | cut -d: -f6)
ifneq ($(SUDO_HOME),)
ifneq ($(wildcard $(SUDO_HOME)/.cargo/bin/cargo),)
export CARGO_HOME := $(SUDO_HOME)/.cargo
export RUSTUP_HOME := $(SUDO_HOME)/.rustup
export PATH := $(CARGO_HOME)/bin:$(PATH)
# rustup target add writes to that user's toolchain: as that user
RUSTUP_AS := $(SUDO_USER)
endif
endif
endif
endif
TARGET_DIR = $(or $(CARGO_TARGET_DIR),target)
REL = $(TARGET_DIR)/release
PROGRAMS := $(notdir $(wildcard bins/*))
# Linking for the cheapest start-up (qmail's unit cost is a process: tcpserver -> qmail-smtpd
# -> qmail-queue; qmail-lspawn -> qmail-getpw, qmail-local): a static, non-PIE executable
# needs no dynamic loader, no shared libraries (libc, libgcc_s) to map and no relocations.
# The static programs are linked against musl when Rust's musl target and musl-gcc (ring's C
# and assembly; Debian package musl-tools) are there: musl's start-up is a few system calls,
# while static glibc's probes the CPU with CPUID instructions, each a trip to the hypervisor
# on a virtual machine (an exec of qmail-local: 0.6 ms with musl, 1.5 ms with static glibc).
# With rustup, build adds the target when it is missing (rustup target add
# x86_64-unknown-linux-musl); without it (Debian's rustc) or without musl-gcc the programs
# are static glibc ones, and build says so in one line. One cargo build makes all the musl
# programs (their dependencies build once for the musl target), which are then linked into
# $(REL), where setup, deb and the tests take them.
# The programs that resolve users and groups through the C library (getpwnam, getgrnam,
# getgrouplist) must keep the system's NSS (LDAP, sssd, systemd users), which only works
# from a dynamically linked glibc: they are dynamic, but not PIE. tests/e2e/tests/linking.rs
# checks that every program importing those functions is in NSS_PROGRAMS, and how each
# program in $(REL) is linked. The glibc flags apply to each program's own crate only
# (cargo rustc), so proc macros and the shared dependencies build once, as for cargo build.
NSS_PROGRAMS := config-fast instcheck qmail-checkpw qmail-dkimkey qmail-dkimsign qmail-getpw qmail-lspawn qmail-newrcpt qmail-qfix \
	qmail-rspawn qmail-setup qmail-showctl qmail-start qmail-tlsd qmail-upq
LINK_STATIC := -C target-feature=+crt-static -C relocation-model=static
MUSL_FLAGS := ["-C", "target-feature=+crt-static", "-C", "relocation-model=static"]
# Sets musl to this host's musl target (x86_64-unknown-linux-gnu: x86_64-unknown-linux-musl)
# when it can be built for, adding it with rustup when missing, or else to nothing, saying why.
RUSTC ?= rustc
MUSL_PROBE = musl=$$($(RUSTC) -vV | sed -n 's/^host: \(.*-linux-\)gnu/\1musl/p'); \
	has_std() { ls "$$($(RUSTC) --print target-libdir --target "$$1" 2>/dev/null)"/libstd-*.rlib >/dev/null 2>&1; }; \
	if [ -n "$$musl" ] && ! has_std $$musl && command -v rustup >/dev/null; then \
	  echo "make build: adding Rust's $$musl target (rustup target add $$musl)"; \
	  $(if $(RUSTUP_AS),runuser -u $(RUSTUP_AS) -- env PATH="$$PATH" RUSTUP_HOME="$$RUSTUP_HOME" CARGO_HOME="$$CARGO_HOME") \
	    rustup target add $$musl >/dev/null 2>&1 || true; \
	fi; \
	if [ -z "$$musl" ]; then why="no musl target for $$($(RUSTC) -vV | sed -n 's/^host: //p')"; \
	elif ! has_std $$musl; then why="no Rust standard library for $$musl (rustup target add $$musl)"; musl=; \
	elif ! command -v musl-gcc >/dev/null; then why="no musl-gcc (Debian package musl-tools)"; musl=; fi; \
	[ -n "$$musl" ] || echo "make build: $$why: linking static glibc programs instead (slower to start)"
# A dynamic Rust program also loads libgcc_s.so.1 (the standard library's unwinder), whose
# constructor probes the CPU with CPUID at every exec: on a virtual machine each CPUID is a
# trip to the hypervisor, about 0.2 ms per exec of qmail-getpw. Nothing
# unwinds (panic = "abort"), so the NSS programs take the same unwinder from the static
# libgcc_eh.a instead, found under libgcc_s's name in a directory searched first.
LIBGCC_EH := $(shell $(CC) -print-file-name=libgcc_eh.a 2>/dev/null)
NO_GCC_S := $(abspath $(REL)/no-gcc-s)
LINK_NSS := -C relocation-model=static $(if $(wildcard $(LIBGCC_EH)),-L native=$(NO_GCC_S))
QMAILHOME := $(shell head -n 1 conf/conf-qmail)

.PHONY: all build setup check test run deb packages-run packages-test

all: build

build:
	@set -e; $(if $(wildcard $(LIBGCC_EH)),mkdir -p $(NO_GCC_S); ln -sf $(LIBGCC_EH) $(NO_GCC_S)/libgcc_s.a;) \
	$(MUSL_PROBE); \
	static=; \
	for p in $(PROGRAMS); do \
	  case " $(NSS_PROGRAMS) " in \
	    *" $$p "*) $(CARGO) rustc -q --release -p $$p --bin $$p -- $(LINK_NSS) ;; \
	    *) if [ -n "$$musl" ]; then static="$$static $$p"; \
	       else $(CARGO) rustc -q --release -p $$p --bin $$p -- $(LINK_STATIC); fi ;; \
	  esac; \
	done; \
	if [ -n "$$musl" ]; then \
	  env "CC_$$(echo $$musl | tr - _)=musl-gcc" $(CARGO) build -q --release --target $$musl \
	    --config 'target.'$$musl'.rustflags=$(MUSL_FLAGS)' $$(printf -- ' -p %s' $$static); \
	  for p in $$static; do ln -f $(TARGET_DIR)/$$musl/release/$$p $(REL)/$$p; done; \
	fi; \
	echo "$${musl:-glibc}" > $(REL)/static-libc

# POSTMASTER=address: where mail to postmaster, root and mailer-daemon goes (default
# ~alias/Maildir/), when setup creates those aliases.
setup: build
	DESTDIR="$(DESTDIR)" $(REL)/qmail-setup --bindir $(REL) --srcdir . $(if $(POSTMASTER),--postmaster $(POSTMASTER))

# instcheck prints one warning per difference and exits 1 if it printed any.
check:
	@if [ -x $(REL)/instcheck ]; then DESTDIR="$(DESTDIR)" $(REL)/instcheck; \
	else DESTDIR="$(DESTDIR)" "$(DESTDIR)$(QMAILHOME)/bin/instcheck"; fi

# The Debian packages tests/packages lists: installed when missing (as root), or named.
packages-run:
	@sh tests/need-packages run
packages-test:
	@sh tests/need-packages test

# The e2e tests install the built programs, so build them all before testing; make build's
# (release) programs are what tests/e2e/tests/linking.rs checks.
test: packages-test build
	$(CARGO) build --workspace
	$(CARGO) test --workspace

# The whole system in the foreground: qmail-send's log on stdout, qmail-smtpd on port 25
# (2525 when 25 is taken), local mail to ~/Maildir/. Ctrl-C stops it cleanly.
run: packages-run setup
	sh boot/run-foreground "$(QMAILHOME)"

# The Debian package qmail-rs_<version>_<arch>.deb in this directory; install it with
# `sudo apt install ./qmail-rs_*.deb`.
deb: build
	sh boot/debian/mkdeb $(REL) .
