#!/usr/bin/env bash
# Whole-process timings with hyperfine, side by side in one run: `eula-gate verify`
# against `sha256sum -c`, `/bin/true` and the same check in Python, plus the binary
# size. Prints each figure next to its target. Usage: benches/process.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3000}

command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install hyperfine" >&2; exit 1; }
echo "building the release binary..." >&2
cargo build --release --locked --quiet
bin=$PWD/target/release/eula-gate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" --accept-eula --receipt-dir "$work/r" 2>/dev/null
printf 'hello\n' >"$work/small.txt"
(cd "$work" && sha256sum small.txt >small.sha256)
digest=$("$bin" hash)
"$bin" verify --quiet --receipt-dir "$work/r" || { echo "verify failed on a fresh receipt" >&2; exit 1; }
python3 benches/verify_receipt.py "$work/r/portsip-pbx.json" portsip-pbx "$digest" || {
  echo "the Python comparison check failed on a fresh receipt" >&2; exit 1; }

echo "timing $runs runs of each (medians)..." >&2
cd "$work"
hyperfine -N --warmup 200 --runs "$runs" --export-json "$work/times.json" --style none \
  -n verify "$bin verify --quiet --receipt-dir $work/r" \
  -n sha256sum "sha256sum -c --quiet small.sha256" \
  -n true "/bin/true" >/dev/null
hyperfine -N --warmup 20 --runs $((runs / 10)) --export-json "$work/python.json" --style none \
  -n python "python3 $OLDPWD/benches/verify_receipt.py $work/r/portsip-pbx.json portsip-pbx $digest" >/dev/null

size=$(stat -c %s "$bin")
python3 - "$work/times.json" "$work/python.json" "$size" <<'PY'
import json, sys
med = {}
for path in sys.argv[1:3]:
    for r in json.load(open(path))["results"]:
        med[r["command"]] = r["median"] * 1000
size = int(sys.argv[3])
v = med["verify"]
print(f"eula-gate verify --quiet   {v:6.3f} ms median")
print(f"sha256sum -c --quiet       {med['sha256sum']:6.3f} ms   verify/sha256sum = {v/med['sha256sum']:.2f}x  (target <= 1.30x)")
print(f"/bin/true                  {med['true']:6.3f} ms   verify/true      = {v/med['true']:.2f}x  (target <= 1.60x)")
print(f"python3 verify_receipt.py  {med['python']:6.3f} ms   python/verify    = {med['python']/v:.1f}x  (target >= 10x)")
print(f"stripped release binary    {size} bytes = {size/1048576:.3f} MiB (target <= 1 MiB)")
PY
