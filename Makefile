# SPDX-License-Identifier: LGPL-2.1-or-later
# The two commands: `make run` (set up, build, scan this host) and
# `make check` (set up, build, every test).  Meson does the real work.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON_OPTS ?=

.PHONY: all deps run check vm-check unit integration asan bench scale scale-zombies fuzz stress install clean format format-check

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	./scripts/setup-deps build
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true $(MESON_OPTS)

deps:
	./scripts/setup-deps check

run: all
	./$(BUILD)/residue

# Every test: unit, fuzz-corpus replay, golden output, root integration
# against the live kernel, then the unit suite again under ASan + UBSan.
check:
	./scripts/setup-deps check
	./scripts/check $(BUILD) $(ASAN_BUILD)

# Only the root integration tests inside a Linux 6.1 guest under QEMU (tests/vm/README.md);
# `make check` runs them too.  VM_TESTS="orphan-fd census" picks tests.
vm-check: all
	./scripts/setup-deps check
	./tests/vm/run --build $(BUILD) $(VM_TESTS)

bench: all
	./scripts/setup-deps bench
	./bench/run

# The scale limits (issue 9): one namespace of up to 99 000 mounts, up to 5 000 namespaces, up to
# 1 000 000 open descriptors, in steps; answers checked against /proc, timed (docs/PERFORMANCE.md,
# "Scale limits").  About 10 minutes here, 3 of them the kernel building 99 000 mounts.  Not in
# `make check`, which runs the small version (tests/integration/scale.sh).
scale: all
	./scripts/setup-deps bench
	./bench/scale

# 10 000 zombie memory cgroups below our own cgroup, made in steps (ZOMBIE_STEPS): residue's time
# and peak RSS at each, the kernel memory they cost, every zombie checked against the kernel's own
# view, then all released (docs/PERFORMANCE.md, "10 000 zombie memory cgroups").
ZOMBIE_STEPS ?= 0 1000 3000 10000
scale-zombies: all
	./scripts/setup-deps check
	./bench/zombie-scale $(ZOMBIE_STEPS)

# Every libFuzzer target of tests/fuzz for FUZZ_SECONDS each (default 60; FUZZ_RUNS caps the
# executions, FUZZ_JOBS runs targets side by side), in a clang build of its own; crashers land in
# tests/fuzz/corpus.  Not part of `make check`, which replays the corpus only.
fuzz:
	./scripts/setup-deps fuzz
	./scripts/fuzz $(FUZZ_BUILD)

# The stress test for STRESS_SECONDS (default 600): containers born and dying at STRESS_RATE a
# second while residue scans in a loop and the agent every 100 ms (docs/RELIABILITY.md).
STRESS_SECONDS ?= 600
stress: all
	./scripts/setup-deps check
	STRESS_SECONDS=$(STRESS_SECONDS) RESIDUE=$(CURDIR)/$(BUILD)/residue \
		RESIDUE_HOLD=$(CURDIR)/$(BUILD)/repro/residue-hold \
		RESIDUE_CHURN=$(CURDIR)/$(BUILD)/repro/residue-churn bash tests/integration/stress.sh

install: all
	meson install -C $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
