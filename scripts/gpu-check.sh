#!/usr/bin/env bash
# The GPU check of issue H §3, for a machine with an NVIDIA GPU and Vulkan: builds deepsig
# with burn's wgpu backend, runs the model crate's tests on the GPU, times one training epoch
# at GPCR and EGFR size on the GPU and on the CPU, and prints one table. Under 10 minutes on
# an H100 (a warm build directory helps: the wgpu build is the longest step).
#
#   scripts/gpu-check.sh              # on the GPU machine
#   DEVICE=cpu FEATURES= SIZE=smoke scripts/gpu-check.sh   # the CPU self-test of this script
#   TESTS=0 ...                       # skip the model tests (they take minutes in release)
#
# DEVICE: the device the GPU rows use (wgpu). FEATURES: cargo features (wgpu). SIZE: full
# (GPCR 1240 atoms x 100 frames, 400 windows; EGFR 4878 atoms, 64 windows) or smoke (tiny).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE="${DEVICE:-wgpu}"
FEATURES="${FEATURES-wgpu}"
SIZE="${SIZE:-full}"
OUT="${OUT:-$(mktemp -d)}"
feature_args=()
if [ -n "$FEATURES" ]; then
    feature_args=(--features "$FEATURES")
fi

if [ "$DEVICE" != cpu ]; then
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    else
        echo "gpu-check: no nvidia-smi: is this a GPU machine?" >&2
    fi
    if command -v vulkaninfo >/dev/null; then
        vulkaninfo --summary 2>/dev/null | grep -E "deviceName|apiVersion" | head -4 || true
    fi
fi

start=$(date +%s)
echo "== build (release, features: ${FEATURES:-none})"
cargo build --release -p deepsig "${feature_args[@]}"
bin=target/release/deepsig

echo "== model tests on $DEVICE"
tests_status=passed
if [ "${TESTS:-1}" = 0 ]; then
    tests_status=skipped
    : >"$OUT/tests.log"
elif ! DEEPSIG_TEST_DEVICE="$DEVICE" cargo test --release -p deepsig-model "${feature_args[@]}" \
    >"$OUT/tests.log" 2>&1; then
    tests_status="FAILED (see $OUT/tests.log)"
fi
tests_summary=$({ grep -E "^test result" "$OUT/tests.log" || true; } | awk '{p+=$4; f+=$6} END {print p+0 " passed, " f+0 " failed"}')

case "$SIZE" in
    full) sizes=("GPCR 1240 100 400 150" "EGFR 4878 100 64 32") ;;
    smoke) sizes=("tiny 60 20 8 4") ;;
    *) echo "gpu-check: SIZE is full or smoke, not $SIZE" >&2; exit 2 ;;
esac

rows=()
for spec in "${sizes[@]}"; do
    read -r name atoms frames windows eval <<<"$spec"
    for device in "$DEVICE" cpu; do
        echo "== bench train $name on $device"
        json=$("$bin" bench train --device "$device" --atoms "$atoms" --frames "$frames" \
            --windows "$windows" --eval-windows "$eval" --json)
        row=$(python3 -c 'import json,sys
r = json.loads(sys.stdin.read())[0]["result"]
print("%.2f %.2f %.0f" % (r["epoch_seconds"], r["eval_seconds"], r["peak_rss_mb"]))' <<<"$json")
        rows+=("$name $atoms $frames $windows $device $row")
        [ "$device" = cpu ] && [ "$DEVICE" = cpu ] && break
    done
done

echo
echo "GPU check, $(date -u +%Y-%m-%d), $(( $(date +%s) - start )) s"
echo "model tests on $DEVICE: $tests_status ($tests_summary)"
printf '| %-5s | %6s | %6s | %7s | %-6s | %9s | %8s | %8s |\n' size atoms frames windows device "epoch s" "eval s" "host MB"
printf '| %-5s | %6s | %6s | %7s | %-6s | %9s | %8s | %8s |\n' --- --- --- --- --- --- --- ---
for r in "${rows[@]}"; do
    # shellcheck disable=SC2086
    printf '| %-5s | %6s | %6s | %7s | %-6s | %9s | %8s | %8s |\n' $r
done
