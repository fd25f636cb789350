#!/bin/sh
# Coverage-guided fuzzing with libFuzzer, on the stable toolchain: fuzz/'s targets are
# built by plain cargo with the coverage instrumentation cargo-fuzz would ask for (all
# stable codegen flags; no nightly, no sanitizer), then each runs for SECONDS from the
# committed seeds (fuzz/corpus/TARGET, only read) and what it found before
# ($FUZZ_DIR/corpus/TARGET, where new inputs go). A crash leaves its input in
# $FUZZ_DIR/artifacts/TARGET/ and fails the run.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]     (default 15 s each, every target)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-15}
[ $# -gt 0 ] && shift
targets=${*:-"form json digest retry_after location spool_entry answer"}
FUZZ_DIR=${FUZZ_DIR:-target/fuzz}
export CARGO_TARGET_DIR="$FUZZ_DIR/build"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros, as cargo-fuzz does.
host=$(rustc -vV | sed -n 's/^host: //p')
started=$(date +%s)
${CARGO:-cargo} build --release --manifest-path fuzz/Cargo.toml --target "$host" --locked $(for t in $targets; do printf -- '--bin %s ' "$t"; done)
echo "fuzz: built in $(( $(date +%s) - started )) s"
for t in $targets; do
    mkdir -p "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/artifacts/$t"
    "$CARGO_TARGET_DIR/$host/release/$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/artifacts/$t/" "$FUZZ_DIR/corpus/$t" "fuzz/corpus/$t" 2>"$FUZZ_DIR/$t.log" || {
        tail -40 "$FUZZ_DIR/$t.log"
        echo "fuzz: $t failed; the input is in $FUZZ_DIR/artifacts/$t/ (replay: $CARGO_TARGET_DIR/$host/release/$t FILE)"
        exit 1
    }
    echo "fuzz: $t: $(grep -E '^stat::number_of_executed_units' "$FUZZ_DIR/$t.log" | awk '{print $2}') runs in $seconds s, $(grep -cE 'NEW ' "$FUZZ_DIR/$t.log") new inputs, no crash"
done
echo "fuzz: done in $(( $(date +%s) - started )) s"
