#!/usr/bin/env bash
# Installs what is missing, builds tsync with AddressSanitizer and UBSan,
# runs the whole test suite through ctest, and, when clang is available,
# fuzzes the JSON record stream for a short while.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --with-fuzzer
jobs=$(nproc)

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSYNC_SANITIZE=ON -DTSYNC_WERROR=ON >/dev/null
cmake --build build-test -j "$jobs"

if command -v clang++ >/dev/null 2>&1; then
  CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSYNC_FUZZ=ON \
    -DTSYNC_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target fuzz_records
  mkdir -p build-fuzz/corpus
  seconds=${TSYNC_FUZZ_SECONDS:-30}
  echo "fuzz_records: running for ${seconds} s"
  build-fuzz/fuzz_records -max_total_time="$seconds" -print_final_stats=1 \
    build-fuzz/corpus tests/fuzz/corpus 2>build-fuzz/fuzz.log \
    || { tail -40 build-fuzz/fuzz.log; exit 1; }
  grep -E "stat::number_of_executed_units" build-fuzz/fuzz.log || true
fi

ctest --test-dir build-test --output-on-failure -j "$jobs"
