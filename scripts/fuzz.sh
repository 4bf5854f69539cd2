#!/usr/bin/env bash
# The fuzz campaign (`make fuzz`, not part of `make test`): every target in fuzz/ under
# cargo-fuzz (libFuzzer, nightly) for FUZZ_SECONDS each (default 600), FUZZ_JOBS targets at a
# time (default 1), then a table of runs, new corpus entries and crashes per target.
#
#   make fuzz                              all targets, 10 minutes each
#   FUZZ_SECONDS=30 make fuzz              a smoke run
#   FUZZ_TARGETS="selector template" make fuzz
#
# The corpus of each target is committed as fuzz/corpus/<target>.tar.gz (minimised with
# `cargo fuzz cmin`; one archive rather than thousands of files), unpacked into
# target/fuzz/corpus/<target> for a run and packed again after it; the hand-written seeds are
# in fuzz/seeds/<target>. A crash leaves its input in fuzz/artifacts/<target>/: fix it and keep
# it as a regression test (fuzz/regressions/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
targets=${FUZZ_TARGETS:-$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^omni-wasm-fuzz$')}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

log=target/fuzz && mkdir -p "$log"
cargo +nightly fuzz build -O >/dev/null 2>&1 || cargo +nightly fuzz build -O

run_one() {
  local t=$1 corpus=$log/corpus/$t
  rm -rf "$corpus" && mkdir -p "$corpus" "fuzz/seeds/$t"
  [ -f "fuzz/corpus/$t.tar.gz" ] && tar -xzf "fuzz/corpus/$t.tar.gz" -C "$corpus"
  local before; before=$(find "$corpus" -type f | wc -l)
  local rc=0
  cargo +nightly fuzz run -O "$t" "$corpus" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"$log/$t.log" 2>&1 || rc=$?
  cargo +nightly fuzz cmin -O "$t" "$corpus" >"$log/$t.cmin.log" 2>&1 || true
  mkdir -p fuzz/corpus
  # reproducible archive: sorted names, no times or owners
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$corpus" -cf - . | gzip -9n >"fuzz/corpus/$t.tar.gz"
  local after; after=$(find "$corpus" -type f | wc -l)
  local runs; runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log/$t.log" | tail -1)
  local crashes; crashes=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "${runs:-?}" "$((after - before))" "$crashes" "$rc" >"$log/$t.row"
}

running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

echo
printf '%-16s %8s %12s %12s %8s\n' target seconds runs "corpus +/-" crashes
failed=0
for t in $targets; do
  IFS=$'\t' read -r name secs runs new crashes rc <"$log/$t.row"
  printf '%-16s %8s %12s %12s %8s\n' "$name" "$secs" "$runs" "$new" "$crashes"
  if [ "$crashes" != 0 ] || [ "$rc" != 0 ]; then failed=1; echo "  see $log/$t.log and fuzz/artifacts/$t/"; fi
done
exit $failed
