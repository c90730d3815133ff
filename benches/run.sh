#!/usr/bin/env bash
# All benchmark figures, each next to its target: the in-process pager and diff figures,
# list and history over 1,000 receipts and events,
# whole-process verify timings against sha256sum, /bin/true and Python, the binary
# size, and the pager's peak memory on ordinary and pathological licenses.
# Usage: benches/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== pager, in process (cargo bench --bench pager)"
cargo bench --locked --quiet --bench pager 2>/dev/null
echo
echo "== whole process (hyperfine, medians)"
benches/process.sh "${1:-3000}"
echo
echo "== word diff, in process (cargo bench --bench diff)"
cargo bench --locked --quiet --bench diff 2>/dev/null
echo
echo "== evidence: list and history over 1,000 receipts and events"
benches/evidence.sh
echo
echo "== the real binary paging ordinary and pathological licenses in a pseudo-terminal"
python3 benches/pager_memory.py target/release/eula-gate
