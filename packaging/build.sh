#!/bin/sh
# The one entry point: builds eula-gate, its man pages, both .deb packages and,
# when rpmbuild is installed, both rpms, from this checkout.
#   packaging/build.sh [OUTDIR]     (default: TARGET/packages)
# TARGET is cargo's target directory: CARGO_TARGET_DIR or build.target-dir are
# honoured. SOURCE_DATE_EPOCH (default: the date of packaging/deb/eula-gate/changelog)
# fixes every timestamp, so two builds of one commit give the same .deb bytes.
# Prints the path of each package.
set -eu
cd "$(dirname "$0")/.."
target=$(cargo metadata --format-version 1 --no-deps --locked |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target" ] || { echo "build.sh: cannot find cargo's target directory" >&2; exit 1; }
outdir=${1:-$target/packages}
: "${SOURCE_DATE_EPOCH:=$(dpkg-parsechangelog -l packaging/deb/eula-gate/changelog -STimestamp)}"
export SOURCE_DATE_EPOCH

cargo build --release --locked --bin eula-gate --example manpage >&2
rm -rf "$target/man"
"$target/release/examples/manpage" "$target/man"
packaging/deb/build-gate-deb.sh "$target/release/eula-gate" "$target/man" "$outdir"
packaging/deb/build-demo-deb.sh "$target/release/eula-gate" "$outdir"
if command -v rpmbuild >/dev/null 2>&1; then
    packaging/rpm/build-rpms.sh "$target/release/eula-gate" "$target/man" "$outdir"
else
    echo "build.sh: rpmbuild is not installed (apt-get install rpm): no rpms" >&2
fi
