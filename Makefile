# prec: build, test, regenerate the BPF objects, install.
GO       ?= go
CLANG    ?= clang-14
STRIP    ?= llvm-strip-14
PREFIX   ?= /usr
DESTDIR  ?=
# A release is a tag vX.Y.Z; between releases the version says how far past it (or past nothing).
VERSION  := $(shell v=$$(git describe --tags --match 'v[0-9]*' 2>/dev/null) && echo $${v\#v} || \
              echo 0.0.0+git$$(git rev-list --count HEAD 2>/dev/null || echo 0).$$(git rev-parse --short HEAD 2>/dev/null || echo none))
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE     := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG      := github.com/prec-dev/prec/lib/cli
LDFLAGS  := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
# A count, not a duration: Go 1.26's fuzz coordinator can fail a duration run at its deadline with
# "context deadline exceeded" though no input failed (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 50000x

.PHONY: build test demo generate check-generated vmlinux install bench fuzz clean toolchain man package

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# Unit tests everywhere; the end-to-end tests load real BPF and need root (they skip otherwise).
test:
	$(GO) test ./...

# Start precd on a scratch log, run a few commands, show what prec recorded, stop precd. Needs root.
demo: build
	@bash tests/demo.sh

# The toolchain the BPF objects are generated with (Debian 12: clang 14). bpf2go is pinned in go.mod.
toolchain:
	@command -v $(CLANG) >/dev/null && command -v $(STRIP) >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 llvm-14 >/dev/null; }

generate: toolchain
	cd lib/bpfexec && BPF2GO_CC=$(CLANG) BPF2GO_STRIP=$(STRIP) $(GO) generate .

# Fails when the committed BPF objects or Go bindings are not what bpf/ generates.
check-generated: generate
	git diff --exit-code -- lib/bpfexec

# Dump this kernel's types for CO-RE (run on a machine of each architecture; needs bpftool).
vmlinux:
	@command -v bpftool >/dev/null || { apt-get update -qq && apt-get install -y -qq bpftool >/dev/null; }
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/include/vmlinux_x86.h

bench: build
	bash tests/bench/query.sh
	bash tests/bench/exec.sh

fuzz:
	$(GO) test ./lib/query -run '^$$' -fuzz FuzzCompile -fuzztime $(FUZZTIME)
	$(GO) test ./lib/record -run '^$$' -fuzz FuzzScan -fuzztime $(FUZZTIME)
	$(GO) test ./lib/record -run '^$$' -fuzz FuzzAppendString -fuzztime $(FUZZTIME)
	$(GO) test ./lib/logio -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./lib/jsonl -run '^$$' -fuzz FuzzReader -fuzztime $(FUZZTIME)
	$(GO) test ./lib/redact -run '^$$' -fuzz FuzzApply -fuzztime $(FUZZTIME)
	$(GO) test ./lib/forward -run '^$$' -fuzz FuzzShorten -fuzztime $(FUZZTIME)

install: build
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 bin/precd $(DESTDIR)$(PREFIX)/sbin/precd
	for b in prec prec-cat prec-join prec-filter prec-fmt; do install -m 0755 bin/$$b $(DESTDIR)$(PREFIX)/bin/$$b; done
	install -d -m 0750 $(DESTDIR)/etc/prec $(DESTDIR)/var/log/prec
	test -e $(DESTDIR)/etc/prec/precd.conf || install -m 0640 packaging/precd.conf.example $(DESTDIR)/etc/prec/precd.conf
	install -D -m 0644 packaging/systemd/precd.service $(DESTDIR)/lib/systemd/system/precd.service
	install -D -m 0644 packaging/logrotate/prec $(DESTDIR)/etc/logrotate.d/prec
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 packaging/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 packaging/man/precd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 packaging/man/precd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -D -m 0644 packaging/completion/prec.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/prec
	for b in prec-cat prec-join prec-filter prec-fmt precd; do ln -sf prec $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$b; done

# Manual pages, generated from the flag definitions (the hidden --man-page of every binary) and from
# the example configuration; committed, and checked against the binaries by tests/man.
man: build
	for b in prec prec-cat prec-join prec-filter prec-fmt; do bin/$$b --man-page > packaging/man/$$b.1; done
	bin/precd --man-page > packaging/man/precd.8
	$(GO) run ./packaging/man/confpage < packaging/precd.conf.example > packaging/man/precd.conf.5

# deb and rpm packages in dist/, with nfpm (pinned as a Go tool in go.mod).
# Package metadata set in one place: the maintainer (a packager sets its own: make package
# MAINTAINER='Name <address>') and the package revision. The changelog comes from
# packaging/changelog; the deb states its licence in /usr/share/doc/prec/copyright, not in a field.
MAINTAINER ?= prec developers <prec-dev@users.noreply.github.com>
RELEASE    ?= 1
NFPM_ENV   := PREC_VERSION='$(VERSION)' PREC_RELEASE='$(RELEASE)' PREC_MAINTAINER='$(MAINTAINER)'

package: build
	rm -rf dist && mkdir -p dist/man
	for f in packaging/man/*.[0-9]; do gzip -9n < $$f > dist/man/$$(basename $$f).gz; done
	gzip -9n < README.md > dist/README.md.gz
	sh packaging/changelog.sh packaging/changelog '$(VERSION)' '$(RELEASE)' '$(MAINTAINER)' > dist/changelog.yml
	sed '/^license:/d' packaging/nfpm.yaml > dist/nfpm-deb.yaml
	$(NFPM_ENV) $(GO) tool nfpm package -f dist/nfpm-deb.yaml -p deb -t dist/
	$(NFPM_ENV) $(GO) tool nfpm package -f packaging/nfpm.yaml -p rpm -t dist/

clean:
	rm -rf bin dist
