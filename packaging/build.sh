#!/bin/sh
# The one entry point: builds eula-gate, its man pages, both .deb packages and,
# when rpmbuild is installed, both rpms, from this checkout.
#   packaging/build.sh [OUTDIR]     (default: TARGET/packages)
# TARGET is cargo's target directory: CARGO_TARGET_DIR or build.target-dir are
# honoured. SOURCE_DATE_EPOCH (default: the date of packaging/deb/eula-gate/changelog)
# fixes every timestamp, so two builds of one commit give the same .deb bytes.
# Prints the path of each package.
set -eu
# A relative OUTDIR is the caller's, not the checkout's.
case ${1:-} in
"" | /*) ;;
*) set -- "$(pwd)/$1" ;;
esac
cd "$(dirname "$0")/.."
target=$(cargo metadata --format-version 1 --no-deps --locked |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target" ] || { echo "build.sh: cannot find cargo's target directory" >&2; exit 1; }
outdir=${1:-$target/packages}
: "${SOURCE_DATE_EPOCH:=$(dpkg-parsechangelog -l packaging/deb/eula-gate/changelog -STimestamp)}"
export SOURCE_DATE_EPOCH

# The binary alone, exactly as `cargo build --release --locked` makes it: built together
# with the man page example, it would get the features the dev-dependencies turn on
# (and link crates the packages do not name). Kept aside before the example is built.
cargo build --release --locked --bin eula-gate >&2
mkdir -p "$target/packaging"
cp "$target/release/eula-gate" "$target/packaging/eula-gate"
gate=$target/packaging/eula-gate
cargo build --release --locked --example manpage >&2
rm -rf "$target/man"
"$target/release/examples/manpage" "$target/man"
packaging/deb/build-gate-deb.sh "$gate" "$target/man" "$outdir"
packaging/deb/build-demo-deb.sh "$gate" "$outdir"
if command -v rpmbuild >/dev/null 2>&1; then
    packaging/rpm/build-rpms.sh "$gate" "$target/man" "$outdir"
else
    echo "build.sh: rpmbuild is not installed (apt-get install rpm): no rpms" >&2
fi
