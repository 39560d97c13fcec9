# SourceVault. `make demo` and `make test` work on a fresh Debian machine: they install what is
# missing (libsodium-dev, libsqlite3-dev, sqlite3, strace, python3-nacl, cmark, age, openssh-client, libpwquality-dev,
# man-db) with apt-get.
SWIFT ?= swift
BIN := .build/debug/sourcevault
# The Swift toolchain's clang (it builds the C targets too); any C compiler will do.
TEST_CC := $(shell command -v clang || command -v cc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release test demo bench fuzz clean redaction-report redaction-tables man install

all: build

deps:
	@need=""; \
	pkg-config --exists libsodium 2>/dev/null || need="$$need libsodium-dev pkg-config"; \
	pkg-config --exists sqlite3 2>/dev/null || need="$$need libsqlite3-dev"; \
	command -v sqlite3 >/dev/null 2>&1 || need="$$need sqlite3"; \
	[ -x /usr/bin/strace ] || need="$$need strace"; \
	/usr/bin/python3 -c 'import nacl.bindings' >/dev/null 2>&1 || need="$$need python3-nacl"; \
	command -v cmark >/dev/null 2>&1 || need="$$need cmark"; \
	[ -x /usr/bin/age ] || need="$$need age"; \
	command -v ssh-keygen >/dev/null 2>&1 || need="$$need openssh-client"; \
	pkg-config --exists pwquality 2>/dev/null || need="$$need libpwquality-dev"; \
	command -v man >/dev/null 2>&1 || need="$$need man-db"; \
	if [ -n "$$need" ]; then \
	  echo "installing:$$need"; \
	  if [ "$$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then \
	    echo "missing:$$need — install them as root (apt-get install$$need)"; exit 1; fi; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need >/dev/null; \
	fi

build: deps
	$(SWIFT) build

# The binary to install: release, with the Swift runtime and Foundation linked in (it runs where no
# Swift toolchain is installed, and starts 10 ms sooner: no dynamic loading of them).
RELEASE_FLAGS := -c release --static-swift-stdlib
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product sourcevault
	@echo "built .build/release/sourcevault"

# `make install PREFIX=DIR` (default /usr/local; DESTDIR is honoured): the release binary, a man page
# per command (sourcevault-export(1), ...) from swift-argument-parser's generate-manual plugin, and
# bash, zsh and fish completions (scripts/install.sh). The pages are generated from the debug build:
# the same help text as the release binary.
PREFIX ?= /usr/local
MAN_SRC := .build/plugins/GenerateManual/outputs/sourcevault
man: deps
	$(SWIFT) package generate-manual --multi-page --configuration debug

install: release man
	scripts/install.sh .build/release/sourcevault $(MAN_SRC) $(DESTDIR)$(PREFIX)

test: deps
	# Formatting (.swift-format): the tree as swift-format leaves it, or the run fails.
	$(SWIFT) format lint --strict -r Sources Tests Package.swift
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@mkdir -p .build/ctextscan
	$(TEST_CC) -O2 -c Sources/CTextScan/textscan.c -I Sources/CTextScan/include -o .build/ctextscan/sse2.o
	$(TEST_CC) -O2 -c Sources/CTextScan/textscan.c -I Sources/CTextScan/include -U__SSE2__ -Dsourcevault_fold_blocks=portable_fold_blocks -o .build/ctextscan/portable.o
	$(TEST_CC) -O2 Tests/CTextScan/compare.c .build/ctextscan/sse2.o .build/ctextscan/portable.o -o .build/ctextscan/compare
	.build/ctextscan/compare
	# Parallel search and list's page opener under ThreadSanitizer (its own build folder).
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter "ParallelSearchTests|searchLeavesItsBuffersWiped|openingPagesAhead"
	/usr/bin/python3 Tests/independent/check_independent.py $(BIN)
	# make install into a throwaway PREFIX (debug binary), then man and the completions read back.
	$(SWIFT) package generate-manual --multi-page --configuration debug
	rm -rf .build/install-test
	scripts/install.sh $(BIN) $(MAN_SRC) $(CURDIR)/.build/install-test
	scripts/check_install.sh $(CURDIR)/.build/install-test

demo: build
	BIN=$(BIN) bash scripts/demo.sh

# Figures for the brief's targets (section 5), release build. Flags: BENCH_ARGS="--redaction-mb 20 --rules 1000 --audit-entries 100000 --records 10000 --record-bytes 4096 --skip kdf,redaction,audit,vault"
# --baseline-cli PATH: whole-process show, list and rule list beside another build (e.g. an earlier commit's release binary).
bench: deps
	@[ -x /usr/bin/time ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq time >/dev/null; }
	$(SWIFT) build $(RELEASE_FLAGS) --product sourcevault-bench
	$(SWIFT) build $(RELEASE_FLAGS) --product sourcevault
	.build/release/sourcevault-bench $(BENCH_ARGS)

# The redaction corpus (Tests/RedactionTests/Corpus) scored per language and class: cases, must-hide and
# must-keep strings, leaks, over-redactions, leak-check refusals. Fails when any of the last three is not zero.
redaction-report: deps
	$(SWIFT) build --build-tests
	@mkdir -p .build
	@REDACTION_REPORT=.build/redaction-report.txt $(SWIFT) test --skip-build --filter CorpusTests \
	  >.build/redaction-report.log 2>&1; status=$$?; \
	  cat .build/redaction-report.txt 2>/dev/null || tail -20 .build/redaction-report.log; \
	  [ $$status = 0 ] || { grep -E "Expectation failed" .build/redaction-report.log | head -20; exit $$status; }

# Regenerates the redaction data tables from their maintained sources: TR39 confusables from ICU's uspoof
# (Debian libicu-dev) and phone calling codes/trunk prefixes from libphonenumber's metadata (PyPI phonenumbers).
redaction-tables:
	@[ -e /usr/lib/x86_64-linux-gnu/libicui18n.so ] || ls /usr/lib/*/libicui18n.so >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libicu-dev >/dev/null; }
	@/usr/bin/env python3 -c 'import phonenumbers' 2>/dev/null || /usr/bin/env python3 -m pip install -q phonenumbers
	python3 scripts/gen_confusables.py --icu-version $$(pkg-config --modversion icu-i18n | cut -d. -f1) \
	  > Sources/Redaction/ConfusablesTable.swift
	python3 scripts/gen_phone_metadata.py > Sources/Redaction/PhoneMetadata.swift
	python3 scripts/gen_han_variants.py --icu-version $$(pkg-config --modversion icu-i18n | cut -d. -f1) \
	  > Sources/Redaction/HanVariantsTable.swift

clean:
	rm -rf .build

# libFuzzer (SECURITY.md §12): each target runs FUZZ_SECONDS on a copy of its committed seed corpus;
# a crash leaves its input in .build-fuzz/crashes/ and fails the run (add it to the corpus as a regression seed).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz-audit-log fuzz-redaction fuzz-recovery-key fuzz-vault-file fuzz-folding fuzz-age
fuzz: deps
	@for t in $(FUZZ_TARGETS); do \
	  SOURCEVAULT_FUZZ=1 $(SWIFT) build --product $$t --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address \
	    -Xswiftc -parse-as-library -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >/dev/null || exit 1; \
	done
	@mkdir -p .build-fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	  c=.build-fuzz/corpus/$${t#fuzz-}; mkdir -p $$c; cp Tests/Fuzz/corpus/$${t#fuzz-}/* $$c/; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  .build-fuzz/debug/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=.build-fuzz/crashes/$$t- $$c 2>&1 \
	    | grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|Done" || true; \
	  ls .build-fuzz/crashes/$$t-* >/dev/null 2>&1 && { echo "$$t: CRASH, see .build-fuzz/crashes"; exit 1; }; \
	done; echo "fuzz: no crashes"
