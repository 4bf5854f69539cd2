#!/usr/bin/env bash
# Prints raw and gzipped (-9) .wasm sizes of built package flavours against the budgets of
# issue #12 / design.md. A build over its budget is marked loudly; the script never fails on it.
set -euo pipefail
printf '%-22s %12s %12s %12s  %s\n' flavour "raw bytes" "gzip bytes" "budget gz" verdict
for dir in "$@"; do
  f=
  for candidate in "$dir"/omni_wasm*_bg.wasm; do [ -f "$candidate" ] && f=$candidate && break; done
  [ -n "$f" ] || continue
  case "$dir" in
    */templates) name=templates; budget=120000 ;;
    */lite) name="lite (browser)"; budget=270000 ;;
    *) name=full; budget=700000 ;;
  esac
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  verdict=within; [ "$gz" -le "$budget" ] || verdict="OVER BUDGET by $((gz - budget)) bytes"
  printf '%-22s %12d %12d %12d  %s\n' "$name" "$raw" "$gz" "$budget" "$verdict"
done
