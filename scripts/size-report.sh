#!/usr/bin/env bash
# Prints raw and gzipped .wasm sizes of built package flavours against the design budgets.
set -euo pipefail
printf '%-22s %12s %12s %12s  %s\n' flavour "raw bytes" "gzip bytes" "budget gz" verdict
for dir in "$@"; do
  f="$dir/omni_wasm_bg.wasm"
  [ -f "$f" ] || continue
  case "$dir" in
    */templates) name=templates; budget=150000 ;;
    */lite) name="browser (lite)"; budget=250000 ;;
    *) name=full; budget=600000 ;;
  esac
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  verdict=within; [ "$gz" -le "$budget" ] || verdict=OVER
  printf '%-22s %12d %12d %12d  %s\n' "$name" "$raw" "$gz" "$budget" "$verdict"
done
