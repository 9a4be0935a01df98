#!/usr/bin/env bash
# tools/native_checks.sh - the C core under the sanitizers, valgrind and two fuzzers.
#
#   bash tools/native_checks.sh [STEP ...]      (default: every step, in this order)
#
# Steps (docs/reliability.md has what each found and the figures):
#   asan_driver    tests/native/driver.c via the shim over tests/native/scenarios.txt, built
#                  with clang -fsanitize=address,undefined -fno-sanitize-recover=all; its trace
#                  must also equal the plain gcc build's, byte for byte
#   asan_smoke     tests/native/smoke_core.c, ASan+UBSan
#   asan_programs  tests/native/errno_core.c and signals_core.c (errno kept; signals and
#                  the signal hook), ASan+UBSan, and signals_core.c under TSan too; and
#                  tests/native/fdset_shim.c (Winsock's fd_set and select through the shim), and
#                  tests/native/winapi_shim.c (the shim's windows.h: threads, FormatMessageA, ...)
#   asan_stress    tests/native/stress_core.c (threads: lifecycles, close-while-blocked,
#                  forged handles, the final cleanup racing calls), ASan+UBSan
#   tsan           stress_core.c and the driver under ThreadSanitizer
#   valgrind       memcheck (--error-exitcode=1 --leak-check=full
#                  --errors-for-leak-kinds=definite) on the driver, smoke_core and stress_core
#   fuzz_core      tools/fuzz_core.c, libFuzzer + ASan + UBSan, for FUZZ_SECONDS
#   fuzz_mirror    tools/fuzz_mirror.py, atheris over portsock.winsock, for FUZZ_SECONDS
#                  (installs atheris from PyPI if it is missing)
#   asan_pytest    the Python suite (less the Wine parity and packaging tests) against an
#                  ASan+UBSan build of the extension, libasan preloaded into CPython
#
# Environment: FUZZ_SECONDS (default 60), STRESS_SECONDS (default 3), CHECKS_DIR (where the
# builds go; default a fresh temporary directory, removed at the end unless KEEP_CHECKS=1).
# Every step runs even when an earlier one failed; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
STRESS_SECONDS=${STRESS_SECONDS:-3}
OUT=${CHECKS_DIR:-$(mktemp -d /tmp/portsock-checks.XXXXXX)}
mkdir -p "$OUT"
# The core's POSIX sources, from their one list (csrc/SOURCES).
read -r -a CORE <<< "$(sed -n 's/^posix://p' csrc/SOURCES | sed 's|[^ ][^ ]*|csrc/&|g')"
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
CFLAGS=(-std=c11 -Wall -Wextra -Werror)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tools/tsan.supp"

failed=()
passed=()

step() {   # step NAME COMMAND...: runs it, times it, records the outcome
    local name=$1 t0 t1 rc
    shift
    echo "=== $name"
    t0=$(date +%s)
    "$@"
    rc=$?
    t1=$(date +%s)
    if [ "$rc" = 0 ]; then
        echo "=== $name: PASS ($((t1 - t0)) s)"
        passed+=("$name")
    else
        echo "=== $name: FAIL (exit $rc, $((t1 - t0)) s)"
        failed+=("$name")
    fi
}

need() {
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "missing: $tool (Debian: apt-get install valgrind clang libclang-rt-14-dev)" >&2
            return 1
        fi
    done
}

# A sanitizer report fails the run by its exit status; this also catches a
# report that a handler let through.
no_reports() {
    ! grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer" "$1"
}

asan_driver() {
    need clang gcc || return 1
    clang "${CFLAGS[@]}" "${SAN[@]}" -Icsrc/include/portsock -Icsrc -o "$OUT/driver_asan" \
        tests/native/driver.c "${CORE[@]}" -lpthread || return 1
    gcc "${CFLAGS[@]}" -Icsrc/include/portsock -Icsrc -o "$OUT/driver_gcc" \
        tests/native/driver.c "${CORE[@]}" -lpthread || return 1
    "$OUT/driver_gcc" tests/native/scenarios.txt >"$OUT/driver_gcc.out" || return 1
    "$OUT/driver_asan" tests/native/scenarios.txt >"$OUT/driver_asan.out" 2>"$OUT/driver_asan.err" || {
        cat "$OUT/driver_asan.err"; return 1; }
    no_reports "$OUT/driver_asan.err" || return 1
    echo "$(grep -c '^==' "$OUT/driver_asan.out") scenarios, $(grep -c '^{' "$OUT/driver_asan.out") trace lines"
    diff -u "$OUT/driver_gcc.out" "$OUT/driver_asan.out" || { echo "the ASan build's trace differs"; return 1; }
}

asan_smoke() {
    need clang || return 1
    clang "${CFLAGS[@]}" "${SAN[@]}" -Icsrc -o "$OUT/smoke_asan" tests/native/smoke_core.c "${CORE[@]}" \
        -lpthread || return 1
    "$OUT/smoke_asan" >"$OUT/smoke_asan.out" 2>"$OUT/smoke_asan.err" || {
        grep -v '^PASS' "$OUT/smoke_asan.out"; cat "$OUT/smoke_asan.err"; return 1; }
    no_reports "$OUT/smoke_asan.err" || return 1
    echo "$(grep -c '^PASS' "$OUT/smoke_asan.out") checks passed"
}

# The C programs of tests/test_core_programs.py (errno kept; signals and the
# hook), under ASan+UBSan, and the signal one under TSan (it has threads).
asan_programs() {
    need clang || return 1
    local prog
    for prog in errno_core signals_core; do
        clang "${CFLAGS[@]}" "${SAN[@]}" -Icsrc -o "$OUT/${prog}_asan" "tests/native/$prog.c" "${CORE[@]}" \
            -lpthread || return 1
        "$OUT/${prog}_asan" >"$OUT/${prog}_asan.out" 2>"$OUT/${prog}_asan.err" || {
            cat "$OUT/${prog}_asan.out" "$OUT/${prog}_asan.err"; return 1; }
        no_reports "$OUT/${prog}_asan.err" || return 1
        echo "$prog: $(tail -n 1 "$OUT/${prog}_asan.out")"
    done
    clang "${CFLAGS[@]}" "${SAN[@]}" -Icsrc/include/portsock -Icsrc -o "$OUT/fdset_shim_asan" \
        tests/native/fdset_shim.c "${CORE[@]}" -lpthread || return 1
    "$OUT/fdset_shim_asan" >"$OUT/fdset_shim_asan.out" 2>"$OUT/fdset_shim_asan.err" || {
        cat "$OUT/fdset_shim_asan.out" "$OUT/fdset_shim_asan.err"; return 1; }
    no_reports "$OUT/fdset_shim_asan.err" || return 1
    echo "fdset_shim: $(tail -n 1 "$OUT/fdset_shim_asan.out")"
    # The shim's windows.h (threads and their handles, FormatMessageA, ...):
    # its output is fixed (tests/native/winapi_shim.expected.txt).
    clang "${CFLAGS[@]}" "${SAN[@]}" -Icsrc/include/portsock -Icsrc -o "$OUT/winapi_shim_asan" \
        tests/native/winapi_shim.c "${CORE[@]}" -lpthread || return 1
    "$OUT/winapi_shim_asan" >"$OUT/winapi_shim_asan.out" 2>"$OUT/winapi_shim_asan.err" || {
        cat "$OUT/winapi_shim_asan.out" "$OUT/winapi_shim_asan.err"; return 1; }
    no_reports "$OUT/winapi_shim_asan.err" || return 1
    diff -u tests/native/winapi_shim.expected.txt "$OUT/winapi_shim_asan.out" || return 1
    echo "winapi_shim: $(tail -n 1 "$OUT/winapi_shim_asan.out")"
    clang -std=c11 -Wall -Wextra -Werror -fsanitize=thread -g -O1 -Icsrc -o "$OUT/signals_tsan" \
        tests/native/signals_core.c "${CORE[@]}" -lpthread || return 1
    "$OUT/signals_tsan" >"$OUT/signals_tsan.out" 2>"$OUT/signals_tsan.err" || {
        cat "$OUT/signals_tsan.out" "$OUT/signals_tsan.err"; return 1; }
    no_reports "$OUT/signals_tsan.err" || return 1
    echo "signals_core under TSan: $(tail -n 1 "$OUT/signals_tsan.out")"
}

asan_stress() {
    need clang || return 1
    clang "${CFLAGS[@]}" "${SAN[@]}" -Icsrc -o "$OUT/stress_asan" tests/native/stress_core.c "${CORE[@]}" \
        -lpthread || return 1
    "$OUT/stress_asan" "$STRESS_SECONDS" 2>"$OUT/stress_asan.err" || { cat "$OUT/stress_asan.err"; return 1; }
    no_reports "$OUT/stress_asan.err"
}

tsan() {
    need clang || return 1
    clang -std=c11 -Wall -Wextra -Werror -fsanitize=thread -g -O1 -Icsrc -o "$OUT/stress_tsan" \
        tests/native/stress_core.c "${CORE[@]}" -lpthread || return 1
    clang -std=c11 -Wall -Wextra -Werror -fsanitize=thread -g -O1 -Icsrc/include/portsock -Icsrc \
        -o "$OUT/driver_tsan" tests/native/driver.c "${CORE[@]}" -lpthread || return 1
    "$OUT/stress_tsan" "$STRESS_SECONDS" 2>"$OUT/stress_tsan.err" || { cat "$OUT/stress_tsan.err"; return 1; }
    no_reports "$OUT/stress_tsan.err" || return 1
    "$OUT/driver_tsan" tests/native/scenarios.txt >"$OUT/driver_tsan.out" 2>"$OUT/driver_tsan.err" || {
        cat "$OUT/driver_tsan.err"; return 1; }
    no_reports "$OUT/driver_tsan.err" || return 1
    diff -q "$OUT/driver_gcc.out" "$OUT/driver_tsan.out" >/dev/null 2>&1 || [ ! -f "$OUT/driver_gcc.out" ] || {
        echo "the TSan build's trace differs"; return 1; }
    echo "no data race reported"
}

valgrind_checks() {
    need valgrind gcc || return 1
    local vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
              --show-leak-kinds=definite)
    gcc -std=c11 -g -O1 -Wall -Wextra -Icsrc/include/portsock -Icsrc -o "$OUT/driver_vg" \
        tests/native/driver.c "${CORE[@]}" -lpthread || return 1
    gcc -std=c11 -g -O1 -Wall -Wextra -Icsrc -o "$OUT/smoke_vg" tests/native/smoke_core.c "${CORE[@]}" \
        -lpthread || return 1
    gcc -std=c11 -g -O1 -Wall -Wextra -Icsrc -o "$OUT/stress_vg" tests/native/stress_core.c "${CORE[@]}" \
        -lpthread || return 1
    "${vg[@]}" "$OUT/driver_vg" tests/native/scenarios.txt >"$OUT/driver_vg.out" || return 1
    echo "driver: 0 errors, 0 definite leaks"
    "${vg[@]}" "$OUT/smoke_vg" >/dev/null || return 1
    echo "smoke_core: 0 errors, 0 definite leaks"
    # --fair-sched: valgrind runs one thread at a time; without it the busy
    # threads starve the main thread's phases.
    "${vg[@]}" --fair-sched=yes "$OUT/stress_vg" 1 || return 1
    echo "stress_core: 0 errors, 0 definite leaks"
}

fuzz_core() {
    need clang || return 1
    clang "${CFLAGS[@]}" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Icsrc \
        -o "$OUT/fuzz_core" tools/fuzz_core.c "${CORE[@]}" -lpthread || return 1
    mkdir -p "$OUT/fuzz_core_corpus"
    (cd "$OUT" && ./fuzz_core -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -rss_limit_mb=4096 \
        fuzz_core_corpus >fuzz_core.log 2>&1)
    local rc=$?
    grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)|^Done" "$OUT/fuzz_core.log"
    [ "$rc" = 0 ] || { grep -E -B5 -A30 "ERROR|violation|runtime error" "$OUT/fuzz_core.log" | head -80; }
    return "$rc"
}

fuzz_mirror() {
    if ! python -c "import atheris" 2>/dev/null; then
        python -m pip install -q atheris || { echo "atheris does not install here"; return 1; }
    fi
    mkdir -p "$OUT/fuzz_mirror_corpus"
    python tools/fuzz_mirror.py -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 \
        -artifact_prefix="$OUT/" "$OUT/fuzz_mirror_corpus" >"$OUT/fuzz_mirror.log" 2>&1
    local rc=$?
    grep -E "^Done" "$OUT/fuzz_mirror.log"
    [ "$rc" = 0 ] || { grep -E -A30 "Uncaught|ERROR|Traceback" "$OUT/fuzz_mirror.log" | head -60; }
    return "$rc"
}

asan_pytest() {
    need gcc || return 1
    local pkg="$OUT/asan_pkg" libasan
    rm -rf "$pkg"
    mkdir -p "$pkg/src"
    cp -r build.py setup.py pyproject.toml csrc "$pkg/" || return 1
    cp -r src/portsock "$pkg/src/" || return 1
    rm -f "$pkg"/src/portsock/_core*.so
    # gcc, as CPython was built with it: its libasan is the one preloaded below.
    (cd "$pkg" && CC=gcc CFLAGS="${SAN[*]}" LDFLAGS="-fsanitize=address,undefined" \
        python setup.py -q build_ext --inplace >"$OUT/asan_build.log" 2>&1) || {
        tail -20 "$OUT/asan_build.log"; return 1; }
    libasan=$(gcc -print-file-name=libasan.so)
    # CPython itself is not instrumented: leak reports would be its own, so
    # LeakSanitizer is off; every other ASan and UBSan report stops the process.
    # malloc of a huge size returns NULL (MemoryError) instead of aborting.
    # PYTHONMALLOC=malloc: every Python buffer (bytearray, bytes) comes from
    # malloc, so ASan knows its bounds when the core writes into it.
    # ASan's quarantine keeps freed memory: the soak's RSS bound does not hold
    # under it, and is widened here.
    (LD_PRELOAD="$libasan" PYTHONPATH="$pkg/src" PYTHONMALLOC=malloc \
        ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1" \
        python -c "import portsock._core as c, sys; assert c.__file__.startswith(sys.argv[1]), c.__file__" \
        "$pkg/src" && \
     LD_PRELOAD="$libasan" PYTHONPATH="$pkg/src" PYTHONMALLOC=malloc \
        ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1" \
        PORTSOCK_SOAK_RSS_SLACK_MIB=4096 PORTSOCK_RSS_SLACK_MIB=4096 \
        python -m pytest -q -m "not parity and not packaging" -p no:cacheprovider tests 2>&1 \
        | tee "$OUT/asan_pytest.log" | tail -5)
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || return 1
    no_reports "$OUT/asan_pytest.log"
}

ALL=(asan_driver asan_smoke asan_programs asan_stress tsan valgrind fuzz_core fuzz_mirror asan_pytest)
STEPS=("$@")
[ ${#STEPS[@]} = 0 ] && STEPS=("${ALL[@]}")
for s in "${STEPS[@]}"; do
    case "$s" in
        valgrind) step valgrind valgrind_checks ;;
        asan_driver|asan_smoke|asan_programs|asan_stress|tsan|fuzz_core|fuzz_mirror|asan_pytest) step "$s" "$s" ;;
        *) echo "unknown step: $s (one of: ${ALL[*]})" >&2; failed+=("$s") ;;
    esac
done

[ "${KEEP_CHECKS:-0}" = 1 ] || [ -n "${CHECKS_DIR:-}" ] || rm -rf "$OUT"
[ ${#failed[@]} = 0 ] || echo "failed steps: ${failed[*]}"
echo "native-checks: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} = 0 ]
