#!/usr/bin/env bash
# Seeds each target's corpus from the shared MD files and fuzzes it for RUNS executions
# (default 10 million) or SECONDS seconds, whichever comes first, one target after the other;
# prints one line per target: executions, seconds, corpus size, crash files. Needs nightly
# and cargo-fuzz (`cargo install cargo-fuzz`). Usage, from crates/deepsig-md:
#   fuzz/run.sh [TARGET...]          RUNS=10000000 SECONDS=3600 DATA=../../../shared/data
# AMBER=DIR seeds ncdf and prmtop (e.g. MDAnalysisTests/data/Amber of the Python test venv).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-10000000}"
SECONDS_CAP="${SECONDS:-3600}"
DATA="${DATA:-../../../shared/data}"
AMBER="${AMBER:-$DATA}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(dcd trr xtc ncdf topology prmtop text_frames selection manifest arrays)
fi

# One seed file per real input, with the selector byte the target reads first where it has one.
seed() {
    local target=$1 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    local c="$DATA/coordinates"
    case "$target" in
        dcd) cp "$c/test.dcd" "$DATA/adk_dims.dcd" "$dir/" 2>/dev/null || true ;;
        trr) cp "$c/test.trr" "$dir/" ;;
        xtc) cp "$c/test.xtc" "$dir/"; head -c 200000 "$DATA/adk_oplsaa.xtc" >"$dir/adk_head.xtc" ;;
        ncdf) find "$AMBER" -name '*.nc*' -size -300k -exec sh -c 'printf "\0" | cat - "$1" >"$2/$(basename "$1")"' _ {} "$dir" \; ;;
        topology)
            { printf '\0'; head -c 6000 "$DATA/adk_open.pdb"; } >"$dir/pdb"
            { printf '\1'; head -c 6000 "$c/test.gro"; } >"$dir/gro"
            { printf '\2'; head -c 8000 "$DATA/adk.psf"; } >"$dir/psf" ;;
        prmtop) find "$AMBER" -name '*.prmtop' -size -200k -exec cp {} "$dir/" \; ;;
        text_frames)
            { printf '\0'; cat "$c/test_topology.pdb"; } >"$dir/pdb"
            { printf '\1'; cat "$c/test.gro"; } >"$dir/gro" ;;
        selection) printf 'protein and name CA' >"$dir/a"; printf 'not (resname HOH or segid WAT) and resid 1-2' >"$dir/b" ;;
        manifest) cp ../../examples/*/manifest.toml "$dir/" 2>/dev/null || true
            for m in ../../examples/*/manifest.toml; do cp "$m" "$dir/$(basename "$(dirname "$m")").toml"; done ;;
        arrays)
            for f in "$DATA"/*.npy; do { printf '\0'; head -c 2048 "$f"; } >"$dir/$(basename "$f")"; done
            printf '\2# source target\n0 1\n1 2\n2,0\n' >"$dir/edges" ;;
    esac
}

printf '%-12s %12s %9s %8s %8s\n' target executions seconds corpus crashes
for t in "${targets[@]}"; do
    seed "$t"
    log=$(mktemp)
    cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" -- -runs="$RUNS" \
        -max_total_time="$SECONDS_CAP" -max_len=8192 -malloc_limit_mb=512 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || true
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    secs=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    crashes=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    if [ -n "$secs" ] && [ "$secs" -gt 0 ] && [ -n "$execs" ]; then secs=$((execs / secs)); fi
    printf '%-12s %12s %9s %8s %8s\n' "$t" "${execs:-?}" "${secs:-?}" "$corpus" "$crashes"
    cp "$log" "fuzz/last-$t.log"
done
