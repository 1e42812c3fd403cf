#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds tsync with AddressSanitizer and UBSan,
# runs the whole test suite through ctest, and, when clang is available,
# fuzzes the JSON record stream and the Link header parser for a short while.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --with-fuzzer
jobs=$(nproc)

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSYNC_SANITIZE=ON -DTSYNC_WERROR=ON >/dev/null
cmake --build build-test -j "$jobs"

if command -v clang++ >/dev/null 2>&1; then
  CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSYNC_FUZZ=ON \
    -DTSYNC_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target fuzz_records fuzz_link_header
  seconds=${TSYNC_FUZZ_SECONDS:-30}
  # target, seed corpus, seconds
  for run in "fuzz_records tests/fuzz/corpus $seconds" \
             "fuzz_link_header tests/fuzz/link_corpus $(( (seconds + 2) / 3 ))"; do
    set -- $run
    mkdir -p "build-fuzz/corpus-$1"
    echo "$1: running for $3 s"
    "build-fuzz/$1" -max_total_time="$3" -print_final_stats=1 \
      "build-fuzz/corpus-$1" "$2" 2>"build-fuzz/$1.log" \
      || { tail -40 "build-fuzz/$1.log"; exit 1; }
    grep -E "stat::number_of_executed_units" "build-fuzz/$1.log" || true
  done
fi

ctest --test-dir build-test --output-on-failure -j "$jobs"
