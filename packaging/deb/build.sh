#!/bin/sh
# Builds both packages from a checkout: eula-gate and the portsip-pbx-demo example.
#   packaging/deb/build.sh [OUTDIR]     (default: target/debian)
set -eu
cd "$(dirname "$0")/../.."
outdir=${1:-target/debian}
cargo build --release --locked
cargo run --release --locked --quiet --example manpage >target/eula-gate.1
packaging/deb/build-gate-deb.sh target/release/eula-gate target/eula-gate.1 "$outdir"
packaging/deb/build-demo-deb.sh target/release/eula-gate "$outdir"
