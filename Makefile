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
endif
endif
endif
endif
REL = target/release
QMAILHOME := $(shell head -n 1 conf/conf-qmail)

.PHONY: all build setup check test run deb packages-run packages-test

all: build

build:
	$(CARGO) build --release --workspace

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

# The e2e tests install the built programs, so build them all before testing.
test: packages-test
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
