#!/usr/bin/env bash
# The wasm build must carry no async runtime, thread pool or OS I/O. Since gRPC-web is framed by
# our own codec over fetch (no tonic), tokio is not in the tree at all; should a dependency bring
# it back, its `sync` feature alone (channels; no runtime, no I/O, no threads) is tolerated and
# anything more is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -p omni-wasm --target wasm32-unknown-unknown -e normal,features 2>/dev/null)
bad=0
for crate in mio socket2 hyper-util "hyper " tower-http "tokio-rustls" "h2 " num_cpus; do
  if grep -q "── ${crate}" <<<"$tree"; then echo "wasm deps: forbidden crate ${crate}"; bad=1; fi
done
features=$( (grep -oE 'tokio feature "[a-z-]+"' <<<"$tree" || true) | sort -u | sed 's/tokio feature //' | tr -d '"' | tr '\n' ' ')
for f in $features; do
  case $f in default|sync) ;; *) echo "wasm deps: tokio feature \"$f\" would pull a runtime/OS dependency"; bad=1 ;; esac
done
if [ $bad = 0 ]; then echo "wasm deps: ok (tokio features: ${features:-none}; no runtime, no I/O, no threads)"; fi
exit $bad
