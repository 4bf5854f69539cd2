#!/usr/bin/env bash
# Runs a command with omni-sim listening on a free loopback port; OMNI_SIM_URL tells where.
# The simulator is stopped when the command ends, whatever its outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
sim=target/debug/omni-sim
[ -x "$sim" ] || cargo build -q -p omni-sim --bin omni-sim
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp -t omni-sim.XXXXXX.log)
"$sim" --port "$port" --accept-eula --enable-break-glass-configs --test-endpoints ${OMNI_SIM_ARGS:-} >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { echo "omni-sim exited early:"; cat "$log"; exit 1; }
  sleep 0.1
done
export OMNI_SIM_URL="http://127.0.0.1:$port"
"$@"
