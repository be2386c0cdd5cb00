#!/usr/bin/env bash
# Runs every test file except the soaks (Node 20's runner takes no ** globs).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/soak/*' | sort)
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "$@" "${files[@]}"
