#!/usr/bin/env bash
# Evidence figures, each next to its target: `eula-gate list --json` over 1,000
# receipts (target: well under a second) and `history --check` over a 1,000-event
# history, timed with hyperfine; `cargo bench --bench diff` has the diff figures.
# Usage: benches/evidence.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}

command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install hyperfine" >&2; exit 1; }
echo "building the release binary..." >&2
cargo build --release --locked --quiet
bin=$PWD/target/release/eula-gate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'Acme EULA\n\nThe terms.\n' >"$work/license.txt"
echo "writing 1,000 receipts and a 1,000-event history..." >&2
for i in $(seq 1 1000); do
  "$bin" --accept-eula --product "p$i" --license "$work/license.txt" --receipt-dir "$work/r" 2>/dev/null
done
for i in $(seq 1 500); do
  "$bin" revoke --receipt-dir "$work/h" 2>/dev/null
  "$bin" --accept-eula --receipt-dir "$work/h" 2>/dev/null
done
count=$("$bin" list --json --receipt-dir "$work/r" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$count" = 1000 ] || { echo "list saw $count receipts, not 1000" >&2; exit 1; }

hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/times.json" --style none \
  -n list "$bin list --json --receipt-dir $work/r" \
  -n history "$bin history --check --receipt-dir $work/h" >/dev/null
python3 - "$work/times.json" <<'PY'
import json, sys
med = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
print(f"list --json, 1,000 receipts       {med['list']:8.1f} ms   (target: well under 1,000 ms)")
print(f"history --check, 1,000 events     {med['history']:8.1f} ms")
PY
