#!/usr/bin/env bash
# The signature forward built for three CPU feature sets (baseline x86-64, AVX2+FMA, and
# target-cpu=native), each timed on the anchor shapes, one after the other on one machine.
#   benches/target_features.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for flags in "" "-C target-feature=+avx2,+fma" "-C target-cpu=native"; do
    dir="target/features-$(echo "${flags:-baseline}" | tr -c 'a-z0-9' '_')"
    RUSTFLAGS="$flags" cargo build -q --release -p deepsig-signature --example forward_timing --target-dir "$dir"
    echo "== RUSTFLAGS=\"$flags\""
    "$dir/release/examples/forward_timing"
done
